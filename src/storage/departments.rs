//! Changing departments (the admin API). Every change bumps the settings generation in its
//! own transaction, so every process reloads the catalog.

use chrono::Utc;
use diesel::prelude::*;
use uuid::Uuid;

use super::connection::{DbTime, DbUuid};
use super::rows::DepartmentRow;
use super::schema::{categories, departments};
use super::{DbConnection, StorageError, generation, rules};
use crate::domain::category::Department;

pub use super::ChangeError;

/// A department's editable fields.
#[derive(Debug, Clone)]
pub struct DepartmentFields {
    /// Slug (fixed after creation).
    pub slug: String,
    /// Dutch name.
    pub name_nl: String,
    /// English name.
    pub name_en: String,
    /// Team address for notifications.
    pub email: Option<String>,
    /// Whether it takes reports.
    pub active: bool,
}

/// A department as stored.
pub type StoredDepartment = Department;

/// Every department, by slug.
pub fn list(conn: &mut DbConnection) -> Result<Vec<StoredDepartment>, StorageError> {
    let rows: Vec<DepartmentRow> =
        departments::table.select(DepartmentRow::as_select()).order(departments::slug).load(conn)?;
    Ok(rows.into_iter().map(Department::from).collect())
}

/// Creates a department.
pub fn create(conn: &mut DbConnection, fields: &DepartmentFields) -> Result<StoredDepartment, ChangeError> {
    conn.write_transaction(|conn| {
        let taken: i64 = departments::table.filter(departments::slug.eq(&fields.slug)).count().get_result(conn)?;
        if taken > 0 {
            return Err(ChangeError::Conflict(format!(
                "a department with slug '{}' exists; choose another slug or change that one",
                fields.slug
            )));
        }
        let now = DbTime::new(Utc::now());
        let row = DepartmentRow {
            id: DbUuid(Uuid::now_v7()),
            slug: fields.slug.clone(),
            name_nl: fields.name_nl.clone(),
            name_en: fields.name_en.clone(),
            email: fields.email.clone(),
            active: fields.active,
            created_at: now,
            updated_at: now,
        };
        diesel::insert_into(departments::table).values(&row).execute(conn)?;
        generation::bump_settings(conn)?;
        Ok(Department::from(row))
    })
}

/// What still uses a department: active rules and active categories (by name/slug).
fn users(conn: &mut DbConnection, id: Uuid) -> Result<Vec<String>, StorageError> {
    let mut users: Vec<String> =
        rules::department_in_use(conn, id)?.into_iter().map(|name| format!("routing rule '{name}'")).collect();
    let defaults: Vec<String> = categories::table
        .filter(categories::default_department_id.eq(DbUuid(id)).and(categories::active.eq(true)))
        .select(categories::slug)
        .order(categories::slug)
        .load(conn)?;
    users.extend(defaults.into_iter().map(|slug| format!("category '{slug}'")));
    Ok(users)
}

/// Changes a department (not its slug). Deactivating one that active rules or categories
/// still use is a conflict naming them.
pub fn update(conn: &mut DbConnection, id: Uuid, fields: &DepartmentFields) -> Result<StoredDepartment, ChangeError> {
    conn.write_transaction(|conn| {
        let existing: Option<DepartmentRow> =
            departments::table.find(DbUuid(id)).select(DepartmentRow::as_select()).first(conn).optional()?;
        let Some(existing) = existing else {
            return Err(ChangeError::NotFound(format!("there is no department with id {id}")));
        };
        if existing.active && !fields.active {
            let users = users(conn, id)?;
            if !users.is_empty() {
                return Err(ChangeError::Conflict(format!(
                    "department '{}' is still used by {}; point those at another department or deactivate them first",
                    existing.slug,
                    users.join(", ")
                )));
            }
        }
        let now = DbTime::new(Utc::now());
        diesel::update(departments::table.find(DbUuid(id)))
            .set((
                departments::name_nl.eq(&fields.name_nl),
                departments::name_en.eq(&fields.name_en),
                departments::email.eq(&fields.email),
                departments::active.eq(fields.active),
                departments::updated_at.eq(now),
            ))
            .execute(conn)?;
        generation::bump_settings(conn)?;
        Ok(Department::from(DepartmentRow {
            name_nl: fields.name_nl.clone(),
            name_en: fields.name_en.clone(),
            email: fields.email.clone(),
            active: fields.active,
            updated_at: now,
            ..existing
        }))
    })
}
