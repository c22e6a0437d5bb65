//! Changing departments and categories (the admin API). Every change bumps the settings
//! generation in its own transaction, so every process reloads the catalog.

use chrono::Utc;
use diesel::prelude::*;
use uuid::Uuid;

use super::connection::{DbTime, DbUuid};
use super::rows::{CategoryRow, DepartmentRow};
use super::schema::{categories, departments};
use super::{DbConnection, StorageError, generation, rules};
use crate::domain::category::Question;

/// Why a configuration change was not made.
#[derive(Debug, thiserror::Error)]
pub enum ChangeError {
    /// Nothing has this id.
    #[error("{0}")]
    NotFound(String),
    /// The change conflicts with what is stored (a slug taken, a department in use).
    #[error("{0}")]
    Conflict(String),
    /// Storing failed.
    #[error(transparent)]
    Storage(#[from] StorageError),
}

impl From<diesel::result::Error> for ChangeError {
    fn from(error: diesel::result::Error) -> Self {
        ChangeError::Storage(error.into())
    }
}

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
pub type StoredDepartment = DepartmentRow;

/// Every department, by slug.
pub fn list(conn: &mut DbConnection) -> Result<Vec<StoredDepartment>, StorageError> {
    Ok(departments::table.select(DepartmentRow::as_select()).order(departments::slug).load(conn)?)
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
        Ok(row)
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
        Ok(DepartmentRow {
            name_nl: fields.name_nl.clone(),
            name_en: fields.name_en.clone(),
            email: fields.email.clone(),
            active: fields.active,
            updated_at: now,
            ..existing
        })
    })
}

/// A category's editable fields, references resolved to ids.
#[derive(Debug, Clone)]
pub struct CategoryFields {
    /// The main category (`None`: this is a main category). Fixed after creation.
    pub parent_id: Option<Uuid>,
    /// Slug (fixed after creation).
    pub slug: String,
    /// Dutch name.
    pub name_nl: String,
    /// English name.
    pub name_en: String,
    /// Dutch description.
    pub description_nl: Option<String>,
    /// English description.
    pub description_en: Option<String>,
    /// Whether reports are public.
    pub is_public: bool,
    /// Whether public output is coarsened.
    pub is_sensitive: bool,
    /// Handling time in hours.
    pub handling_hours: Option<i32>,
    /// Default department.
    pub default_department_id: Option<Uuid>,
    /// Questions (validated).
    pub questions: Vec<Question>,
    /// Whether it takes reports.
    pub active: bool,
    /// Order in listings.
    pub position: i32,
}

/// A category as stored.
pub type StoredCategory = CategoryRow;

/// Every category (main and sub), in display order.
pub fn list_categories(conn: &mut DbConnection) -> Result<Vec<StoredCategory>, StorageError> {
    Ok(categories::table
        .select(CategoryRow::as_select())
        .order((categories::parent_id.is_not_null(), categories::position, categories::slug))
        .load(conn)?)
}

fn questions_json(questions: &[Question]) -> Result<String, StorageError> {
    serde_json::to_string(questions).map_err(|e| StorageError::Corrupt(e.to_string()))
}

/// Creates a category.
pub fn create_category(conn: &mut DbConnection, fields: &CategoryFields) -> Result<StoredCategory, ChangeError> {
    conn.write_transaction(|conn| {
        let same_kind = if fields.parent_id.is_some() {
            categories::table
                .filter(categories::slug.eq(&fields.slug).and(categories::parent_id.is_not_null()))
                .into_boxed()
        } else {
            categories::table
                .filter(categories::slug.eq(&fields.slug).and(categories::parent_id.is_null()))
                .into_boxed()
        };
        let taken: i64 = same_kind.count().get_result(conn)?;
        if taken > 0 {
            let kind = if fields.parent_id.is_some() { "subcategory" } else { "main category" };
            return Err(ChangeError::Conflict(format!(
                "a {kind} with slug '{}' exists; choose another slug",
                fields.slug
            )));
        }
        let now = DbTime::new(Utc::now());
        let row = CategoryRow {
            id: DbUuid(Uuid::now_v7()),
            parent_id: fields.parent_id.map(DbUuid),
            slug: fields.slug.clone(),
            name_nl: fields.name_nl.clone(),
            name_en: fields.name_en.clone(),
            description_nl: fields.description_nl.clone(),
            description_en: fields.description_en.clone(),
            is_public: fields.is_public,
            is_sensitive: fields.is_sensitive,
            handling_hours: fields.handling_hours,
            default_department_id: fields.default_department_id.map(DbUuid),
            questions: questions_json(&fields.questions)?,
            active: fields.active,
            position: fields.position,
            created_at: now,
            updated_at: now,
        };
        diesel::insert_into(categories::table).values(&row).execute(conn)?;
        generation::bump_settings(conn)?;
        Ok(row)
    })
}

/// Changes a category (not its slug or parent).
pub fn update_category(
    conn: &mut DbConnection,
    id: Uuid,
    fields: &CategoryFields,
) -> Result<StoredCategory, ChangeError> {
    conn.write_transaction(|conn| {
        let existing: Option<CategoryRow> =
            categories::table.find(DbUuid(id)).select(CategoryRow::as_select()).first(conn).optional()?;
        let Some(existing) = existing else {
            return Err(ChangeError::NotFound(format!("there is no category with id {id}")));
        };
        let now = DbTime::new(Utc::now());
        let row = CategoryRow {
            name_nl: fields.name_nl.clone(),
            name_en: fields.name_en.clone(),
            description_nl: fields.description_nl.clone(),
            description_en: fields.description_en.clone(),
            is_public: fields.is_public,
            is_sensitive: fields.is_sensitive,
            handling_hours: fields.handling_hours,
            default_department_id: fields.default_department_id.map(DbUuid),
            questions: questions_json(&fields.questions)?,
            active: fields.active,
            position: fields.position,
            updated_at: now,
            ..existing
        };
        diesel::update(categories::table.find(DbUuid(id)))
            .set((
                categories::name_nl.eq(&row.name_nl),
                categories::name_en.eq(&row.name_en),
                categories::description_nl.eq(&row.description_nl),
                categories::description_en.eq(&row.description_en),
                categories::is_public.eq(row.is_public),
                categories::is_sensitive.eq(row.is_sensitive),
                categories::handling_hours.eq(row.handling_hours),
                categories::default_department_id.eq(row.default_department_id),
                categories::questions.eq(&row.questions),
                categories::active.eq(row.active),
                categories::position.eq(row.position),
                categories::updated_at.eq(now),
            ))
            .execute(conn)?;
        generation::bump_settings(conn)?;
        Ok(row)
    })
}
