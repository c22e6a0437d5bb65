//! Changing categories, main and sub (the admin API). Every change bumps the settings
//! generation in its own transaction, so every process reloads the catalog.

use chrono::Utc;
use diesel::prelude::*;
use uuid::Uuid;

use super::connection::{DbTime, DbUuid};
use super::rows::CategoryRow;
use super::schema::categories;
use super::{ChangeError, DbConnection, StorageError, generation};
use crate::domain::category::{Category, Question};

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

/// A category as stored (the domain type; its row stays in storage).
pub type StoredCategory = Category;

/// Every category (main and sub), in display order.
pub fn list(conn: &mut DbConnection) -> Result<Vec<StoredCategory>, StorageError> {
    categories::table
        .select(CategoryRow::as_select())
        .order((categories::parent_id.is_not_null(), categories::position, categories::slug))
        .load::<CategoryRow>(conn)?
        .into_iter()
        .map(Category::try_from)
        .collect()
}

fn questions_json(questions: &[Question]) -> Result<String, StorageError> {
    serde_json::to_string(questions).map_err(|e| StorageError::Corrupt(e.to_string()))
}

/// Creates a category.
pub fn create(conn: &mut DbConnection, fields: &CategoryFields) -> Result<StoredCategory, ChangeError> {
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
        Ok(Category::try_from(row)?)
    })
}

/// Changes a category (not its slug or parent).
pub fn update(conn: &mut DbConnection, id: Uuid, fields: &CategoryFields) -> Result<StoredCategory, ChangeError> {
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
        Ok(Category::try_from(row)?)
    })
}
