//! Changing a report's category, location, department or priority, all in one
//! transaction: areas re-stamped, routing re-run unless staff fixed the department, and
//! every change written to the report's history (see the history contract in the brief).

use chrono::{Duration, Utc};
use diesel::prelude::*;
use serde_json::{Value, json};
use uuid::Uuid;

use super::ChangeError;
use super::connection::{DbTime, DbUuid};
use super::rows::{HistoryRow, NewHistoryRow, ReportRow};
use super::schema::{report_history, reports};
use super::{DbConnection, StorageError};
use crate::domain::placement::Placer;
use crate::domain::report::{AreaStamp, Location, Report, RoutingReason};
use crate::domain::report_event::body::{EventData, RerouteChange, ReroutedData};
use crate::domain::workflow::HistoryEntry;

/// What to change; `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct ReportChange {
    /// New subcategory.
    pub category_id: Option<Uuid>,
    /// New location with its (already stamped) areas.
    pub location: Option<(Location, Option<AreaStamp>)>,
    /// A department chosen by hand: it sticks (routing leaves the report alone after).
    pub department_id: Option<Uuid>,
    /// New priority (already checked).
    pub priority: Option<String>,
}

/// Applies `change` to report `id` as `actor`, re-routing with `placer` when the category or
/// location changed and the department is not locked. Returns the changed report.
pub fn apply(
    conn: &mut DbConnection,
    id: Uuid,
    actor: &str,
    change: &ReportChange,
    placer: &Placer<'_>,
) -> Result<Report, ChangeError> {
    conn.write_transaction(|conn| {
        let row: Option<ReportRow> =
            reports::table.find(DbUuid(id)).select(ReportRow::as_select()).first(conn).optional()?;
        let Some(row) = row else {
            return Err(ChangeError::NotFound(format!("there is no report with id {id}")));
        };
        let before = Report::try_from(row)?;
        let mut after = before.clone();
        let catalog = placer.catalog;
        let category_slug = |id: Uuid| catalog.category(id).map(|c| c.slug.clone());
        let department_slug = |id: Option<Uuid>| id.and_then(|d| catalog.department(d)).map(|d| d.slug.clone());
        let mut history: Vec<(&str, Value)> = Vec::new();
        if let Some(category_id) = change.category_id.filter(|c| *c != before.category_id) {
            after.category_id = category_id;
            history.push((
                "category_changed",
                json!({"from": category_slug(before.category_id), "to": category_slug(category_id)}),
            ));
        }
        if let Some((location, area)) = change.location.as_ref().filter(|(l, _)| *l != before.location) {
            after.location = *location;
            after.area = area.clone();
            history.push((
                "location_changed",
                json!({"from": {"lat": before.location.lat, "lon": before.location.lon},
                    "to": {"lat": location.lat, "lon": location.lon}}),
            ));
        }
        let moved = after.category_id != before.category_id || after.location != before.location;
        if let Some(department_id) = change.department_id {
            if Some(department_id) != before.department_id || !before.department_locked {
                history.push((
                    "department_overridden",
                    json!({"from": department_slug(before.department_id), "to": department_slug(Some(department_id))}),
                ));
            }
            after.department_id = Some(department_id);
            after.department_locked = true;
            after.routing_reason = RoutingReason::Manual;
            after.routing_rule_id = None;
        } else if moved && !before.department_locked {
            let category = catalog
                .category(after.category_id)
                .ok_or_else(|| StorageError::Corrupt(format!("category {} is unknown", after.category_id)))?;
            let placement =
                placer.route(category, after.area.as_ref(), after.location, &after.answers, before.created_at);
            after.department_id = placement.department_id;
            after.routing_rule_id = placement.routing_rule_id;
            after.routing_reason = placement.routing_reason;
            if after.category_id != before.category_id {
                after.deadline_at =
                    placement.handling_hours.map(|hours| before.created_at + Duration::hours(i64::from(hours)));
            }
            if after.department_id != before.department_id || after.routing_rule_id != before.routing_rule_id {
                history.push((
                    "rerouted",
                    json!({
                        "from_department": department_slug(before.department_id),
                        "to_department": department_slug(after.department_id),
                        "rule_id": after.routing_rule_id,
                        "reason": after.routing_reason.as_str(),
                    }),
                ));
            }
        }
        if let Some(priority) = change.priority.as_ref().filter(|p| **p != before.priority) {
            after.priority = priority.clone();
            history.push(("priority_changed", json!({"from": before.priority, "to": priority})));
        }
        if history.is_empty() {
            return Ok(before);
        }
        let now = DbTime::new(Utc::now());
        after.updated_at = now.0;
        let counted = super::rollup::view(conn, id)?;
        diesel::update(reports::table.find(DbUuid(id)))
            .set((
                reports::category_id.eq(DbUuid(after.category_id)),
                reports::lat.eq(after.location.lat),
                reports::lon.eq(after.location.lon),
                reports::gemeente_code.eq(after.area.as_ref().map(|a| a.gemeente_code.clone())),
                reports::wijk_code.eq(after.area.as_ref().and_then(|a| a.wijk_code.clone())),
                reports::buurt_code.eq(after.area.as_ref().and_then(|a| a.buurt_code.clone())),
                reports::area_year.eq(after.area.as_ref().map(|a| a.year)),
                reports::department_id.eq(after.department_id.map(DbUuid)),
                reports::department_locked.eq(after.department_locked),
                reports::routing_rule_id.eq(after.routing_rule_id.map(DbUuid)),
                reports::routing_reason.eq(after.routing_reason.as_str()),
                reports::priority.eq(&after.priority),
                reports::deadline_at.eq(after.deadline_at.map(DbTime::new)),
                reports::updated_at.eq(now),
            ))
            .execute(conn)?;
        super::rollup::refresh(conn, id, counted)?;
        // A change of category, location or department is a `report.rerouted` event (a
        // change of priority alone is not).
        let changes: Vec<RerouteChange> = history
            .iter()
            .filter(|(action, _)| *action != "priority_changed")
            .map(|(action, details)| RerouteChange { change: (*action).to_owned(), details: details.clone() })
            .collect();
        if !changes.is_empty() {
            super::report_events::record(conn, id, &EventData::Rerouted(ReroutedData { changes }))?;
        }
        let rows: Vec<NewHistoryRow> = history
            .into_iter()
            .map(|(action, details)| NewHistoryRow {
                report_id: DbUuid(id),
                at: now,
                actor: actor.to_owned(),
                action: action.to_owned(),
                details: details.to_string(),
            })
            .collect();
        for row in rows {
            diesel::insert_into(report_history::table).values(row).execute(conn)?;
        }
        Ok(after)
    })
}

/// The history of a report, oldest first; `None` when the report does not exist.
pub fn history(conn: &mut DbConnection, id: Uuid) -> Result<Option<Vec<HistoryEntry>>, StorageError> {
    let exists: i64 = reports::table.filter(reports::id.eq(DbUuid(id))).count().get_result(conn)?;
    if exists == 0 {
        return Ok(None);
    }
    let rows: Vec<HistoryRow> = report_history::table
        .filter(report_history::report_id.eq(DbUuid(id)))
        .select(HistoryRow::as_select())
        .order(report_history::id)
        .load(conn)?;
    Ok(Some(rows.into_iter().map(HistoryEntry::try_from).collect::<Result<_, _>>()?))
}
