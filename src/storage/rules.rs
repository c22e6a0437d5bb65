//! Routing rules: an ordered list. Positions are kept dense (1, 2, 3, …): every change
//! renumbers the list inside its transaction.

use chrono::Utc;
use diesel::prelude::*;
use uuid::Uuid;

use super::connection::{DbTime, DbUuid};
use super::rows::RuleRow;
use super::schema::routing_rules;
use super::{DbConnection, StorageError, generation};
use crate::domain::routing::Rule;
use crate::domain::rule_spec::{ConditionsSpec, stored_conditions};

/// A rule as stored: the rule, its place and its conditions as they were written.
#[derive(Debug, Clone)]
pub struct StoredRule {
    /// The rule.
    pub rule: Rule,
    /// Place in the list, 1 = first.
    pub position: i32,
    /// The conditions as sent (polygon as GeoJSON).
    pub conditions: ConditionsSpec,
    /// Created.
    pub created_at: chrono::DateTime<Utc>,
    /// Last changed.
    pub updated_at: chrono::DateTime<Utc>,
}

fn to_stored(row: RuleRow) -> Result<StoredRule, StorageError> {
    let conditions: ConditionsSpec = serde_json::from_str(&row.conditions)
        .map_err(|e| StorageError::Corrupt(format!("conditions of rule {}: {e}", row.id.0)))?;
    let parsed = stored_conditions(&conditions)
        .map_err(|e| StorageError::Corrupt(format!("conditions of rule {}: {e}", row.id.0)))?;
    Ok(StoredRule {
        rule: Rule {
            id: row.id.0,
            name: row.name,
            active: row.active,
            conditions: parsed,
            department_id: row.department_id.0,
            priority: row.priority,
            deadline_hours: row.deadline_hours,
        },
        position: row.position,
        conditions,
        created_at: row.created_at.0,
        updated_at: row.updated_at.0,
    })
}

/// Every rule in order.
pub fn load(conn: &mut DbConnection) -> Result<Vec<StoredRule>, StorageError> {
    routing_rules::table
        .select(RuleRow::as_select())
        .order((routing_rules::position, routing_rules::created_at))
        .load(conn)?
        .into_iter()
        .map(to_stored)
        .collect()
}

/// Whether a rule routes to this department.
pub fn department_in_use(conn: &mut DbConnection, department: Uuid) -> Result<Vec<String>, StorageError> {
    Ok(routing_rules::table
        .filter(routing_rules::department_id.eq(DbUuid(department)).and(routing_rules::active.eq(true)))
        .select(routing_rules::name)
        .load(conn)?)
}

fn row(rule: &Rule, conditions: &ConditionsSpec, position: i32, created_at: DbTime) -> Result<RuleRow, StorageError> {
    Ok(RuleRow {
        id: DbUuid(rule.id),
        position,
        name: rule.name.clone(),
        active: rule.active,
        conditions: serde_json::to_string(conditions).map_err(|e| StorageError::Corrupt(e.to_string()))?,
        department_id: DbUuid(rule.department_id),
        priority: rule.priority.clone(),
        deadline_hours: rule.deadline_hours,
        created_at,
        updated_at: DbTime::new(Utc::now()),
    })
}

/// Puts `id` at `position` (1-based; `None`: keep or append) and renumbers every rule.
fn renumber(conn: &mut DbConnection, id: Uuid, position: Option<i32>) -> Result<i32, StorageError> {
    let mut order: Vec<DbUuid> = routing_rules::table
        .select(routing_rules::id)
        .order((routing_rules::position, routing_rules::created_at))
        .load(conn)?;
    let current = order.iter().position(|r| r.0 == id);
    let index = match (position, current) {
        (Some(p), _) => usize::try_from(p - 1).unwrap_or(0),
        (None, Some(i)) => i,
        (None, None) => order.len(),
    };
    order.retain(|r| r.0 != id);
    let index = index.min(order.len());
    order.insert(index, DbUuid(id));
    for (number, rule) in (1i32..).zip(&order) {
        diesel::update(routing_rules::table.find(*rule)).set(routing_rules::position.eq(number)).execute(conn)?;
    }
    Ok(i32::try_from(index).unwrap_or(0) + 1)
}

/// Saves a new rule at `position` (default: last). Returns its position.
pub fn create(
    conn: &mut DbConnection,
    rule: &Rule,
    conditions: &ConditionsSpec,
    position: Option<i32>,
) -> Result<i32, StorageError> {
    conn.write_transaction(|conn| {
        diesel::insert_into(routing_rules::table)
            .values(row(rule, conditions, i32::MAX, DbTime::new(Utc::now()))?)
            .execute(conn)?;
        let placed = renumber(conn, rule.id, position)?;
        generation::bump_settings(conn)?;
        Ok(placed)
    })
}

/// Replaces a rule (and moves it when `position` is given). `None` when it does not exist.
pub fn update(
    conn: &mut DbConnection,
    rule: &Rule,
    conditions: &ConditionsSpec,
    position: Option<i32>,
) -> Result<Option<i32>, StorageError> {
    conn.write_transaction(|conn| {
        let existing: Option<RuleRow> =
            routing_rules::table.find(DbUuid(rule.id)).select(RuleRow::as_select()).first(conn).optional()?;
        let Some(existing) = existing else { return Ok(None) };
        let new_row = row(rule, conditions, existing.position, existing.created_at)?;
        diesel::update(routing_rules::table.find(DbUuid(rule.id))).set(&new_row).execute(conn)?;
        let placed = renumber(conn, rule.id, position)?;
        generation::bump_settings(conn)?;
        Ok(Some(placed))
    })
}

/// Deletes a rule. Returns whether it existed.
pub fn delete(conn: &mut DbConnection, id: Uuid) -> Result<bool, StorageError> {
    conn.write_transaction(|conn| {
        let deleted = diesel::delete(routing_rules::table.find(DbUuid(id))).execute(conn)?;
        if deleted > 0 {
            let order: Vec<DbUuid> = routing_rules::table
                .select(routing_rules::id)
                .order((routing_rules::position, routing_rules::created_at))
                .load(conn)?;
            for (number, rule) in (1i32..).zip(&order) {
                diesel::update(routing_rules::table.find(*rule))
                    .set(routing_rules::position.eq(number))
                    .execute(conn)?;
            }
            generation::bump_settings(conn)?;
        }
        Ok(deleted > 0)
    })
}
