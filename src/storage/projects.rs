//! Analysts' projects and their change log. Every change is written with its log entry in
//! one transaction; a frozen definition is refused here, so no race can change it after
//! results were read.

use chrono::Utc;
use diesel::prelude::*;
use uuid::Uuid;

use super::connection::{DbTime, DbUuid};
use super::schema::{project_changes, projects};
use super::{DbConnection, StorageError};
use crate::domain::stats::project::{Project, ProjectChange, ProjectDefinition};

type ProjectRow = (DbUuid, String, String, String, String, Option<DbTime>, Option<DbTime>, String, DbTime, DbTime);

fn to_project(row: ProjectRow) -> Result<Project, StorageError> {
    let (id, name, description, definition, status, frozen, closed, created_by, created, updated) = row;
    let definition: ProjectDefinition = serde_json::from_str(&definition)
        .map_err(|e| StorageError::corrupt("projects", "definition", format!("project {}: {e}", id.0)))?;
    Ok(Project {
        id: id.0,
        name,
        description,
        definition,
        status,
        frozen_at: frozen.map(|t| t.0),
        closed_at: closed.map(|t| t.0),
        created_by,
        created_at: created.0,
        updated_at: updated.0,
    })
}

fn log(
    conn: &mut DbConnection,
    id: Uuid,
    actor: &str,
    action: &str,
    details: serde_json::Value,
) -> Result<(), StorageError> {
    diesel::insert_into(project_changes::table)
        .values((
            project_changes::project_id.eq(DbUuid(id)),
            project_changes::at.eq(DbTime::new(Utc::now())),
            project_changes::actor.eq(actor),
            project_changes::action.eq(action),
            project_changes::details.eq(details.to_string()),
        ))
        .execute(conn)?;
    Ok(())
}

fn definition_text(definition: &ProjectDefinition) -> Result<String, StorageError> {
    serde_json::to_string(definition).map_err(|e| StorageError::corrupt("projects", "definition", e.to_string()))
}

/// Stores a new project (in a write transaction) and logs its creation.
pub fn create(
    conn: &mut DbConnection,
    name: &str,
    description: &str,
    definition: &ProjectDefinition,
    actor: &str,
) -> Result<Project, StorageError> {
    let id = Uuid::now_v7();
    let now = DbTime::new(Utc::now());
    conn.write_transaction(|conn| {
        diesel::insert_into(projects::table)
            .values((
                projects::id.eq(DbUuid(id)),
                projects::name.eq(name),
                projects::description.eq(description),
                projects::definition.eq(definition_text(definition)?),
                projects::status.eq("active"),
                projects::created_by.eq(actor),
                projects::created_at.eq(now),
                projects::updated_at.eq(now),
            ))
            .execute(conn)?;
        log(conn, id, actor, "created", serde_json::json!({"name": name, "definition": definition}))?;
        get(conn, id)?.ok_or_else(|| StorageError::Corrupt(format!("project {id} vanished")))
    })
}

/// One project.
pub fn get(conn: &mut DbConnection, id: Uuid) -> Result<Option<Project>, StorageError> {
    projects::table.find(DbUuid(id)).first::<ProjectRow>(conn).optional()?.map(to_project).transpose()
}

/// Every project, newest first.
pub fn list(conn: &mut DbConnection) -> Result<Vec<Project>, StorageError> {
    projects::table.order(projects::created_at.desc()).load::<ProjectRow>(conn)?.into_iter().map(to_project).collect()
}

/// The change log of a project, oldest first.
pub fn changes(conn: &mut DbConnection, id: Uuid) -> Result<Vec<ProjectChange>, StorageError> {
    let rows: Vec<(DbTime, String, String, String)> = project_changes::table
        .filter(project_changes::project_id.eq(DbUuid(id)))
        .order(project_changes::id)
        .select((project_changes::at, project_changes::actor, project_changes::action, project_changes::details))
        .load(conn)?;
    rows.into_iter()
        .map(|(at, actor, action, details)| {
            let details = serde_json::from_str(&details)
                .map_err(|e| StorageError::corrupt("project_changes", "details", e.to_string()))?;
            Ok(ProjectChange { at: at.0, actor, action, details })
        })
        .collect()
}

/// Why a change was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refused {
    /// No such project.
    Missing,
    /// The definition is frozen (results exist) or the project is closed.
    Frozen(String),
}

/// What an update changes; `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct Update {
    pub name: Option<String>,
    pub description: Option<String>,
    pub definition: Option<ProjectDefinition>,
}

/// Changes a project and logs, per field, the value before and after.
pub fn update(
    conn: &mut DbConnection,
    id: Uuid,
    change: &Update,
    actor: &str,
) -> Result<Result<Project, Refused>, StorageError> {
    conn.write_transaction(|conn| {
        let Some(current) = get(conn, id)? else { return Ok(Err(Refused::Missing)) };
        if current.status == "closed" {
            return Ok(Err(Refused::Frozen("the project is closed; it no longer changes".into())));
        }
        let mut details = serde_json::Map::new();
        if let Some(definition) = change.definition.as_ref().filter(|d| **d != current.definition) {
            if current.frozen_at.is_some() {
                return Ok(Err(Refused::Frozen(
                    "results of this project exist, so its definition is frozen; define a new project to measure differently".into(),
                )));
            }
            diesel::update(projects::table.find(DbUuid(id)))
                .set(projects::definition.eq(definition_text(definition)?))
                .execute(conn)?;
            details.insert("definition".into(), serde_json::json!({"before": current.definition, "after": definition}));
        }
        if let Some(name) = change.name.as_ref().filter(|n| **n != current.name) {
            diesel::update(projects::table.find(DbUuid(id))).set(projects::name.eq(name)).execute(conn)?;
            details.insert("name".into(), serde_json::json!({"before": current.name, "after": name}));
        }
        if let Some(text) = change.description.as_ref().filter(|d| **d != current.description) {
            diesel::update(projects::table.find(DbUuid(id))).set(projects::description.eq(text)).execute(conn)?;
            details.insert("description".into(), serde_json::json!({"before": current.description, "after": text}));
        }
        if !details.is_empty() {
            diesel::update(projects::table.find(DbUuid(id)))
                .set(projects::updated_at.eq(DbTime::new(Utc::now())))
                .execute(conn)?;
            log(conn, id, actor, "updated", serde_json::Value::Object(details))?;
        }
        Ok(Ok(get(conn, id)?.ok_or(Refused::Missing)).and_then(|p| p))
    })
}

/// Freezes the definition when results are first read (logged once).
pub fn freeze(conn: &mut DbConnection, id: Uuid, actor: &str) -> Result<(), StorageError> {
    conn.write_transaction(|conn| {
        let now = DbTime::new(Utc::now());
        let frozen = diesel::update(projects::table.find(DbUuid(id)).filter(projects::frozen_at.is_null()))
            .set(projects::frozen_at.eq(Some(now)))
            .execute(conn)?;
        if frozen > 0 {
            log(conn, id, actor, "frozen", serde_json::json!({"reason": "results were read"}))?;
        }
        Ok(())
    })
}

/// Closes a project (its results stop at the closing day).
pub fn close(conn: &mut DbConnection, id: Uuid, actor: &str) -> Result<Result<Project, Refused>, StorageError> {
    conn.write_transaction(|conn| {
        let Some(current) = get(conn, id)? else { return Ok(Err(Refused::Missing)) };
        if current.status != "closed" {
            let now = DbTime::new(Utc::now());
            diesel::update(projects::table.find(DbUuid(id)))
                .set((projects::status.eq("closed"), projects::closed_at.eq(Some(now)), projects::updated_at.eq(now)))
                .execute(conn)?;
            log(conn, id, actor, "closed", serde_json::json!({}))?;
        }
        Ok(get(conn, id)?.ok_or(Refused::Missing))
    })
}
