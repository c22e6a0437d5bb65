//! Rows as diesel reads and writes them, and their conversion to and from domain types.
//! Rows never leave the storage layer.
#![expect(missing_docs, reason = "row fields mirror the columns documented in schema.rs and the migrations")]

use diesel::prelude::*;

use super::StorageError;
use super::connection::{DbTime, DbUuid};
use super::schema::{categories, departments, idempotency_keys, report_history, reporter_contacts, reports};
use crate::domain::category::{Category, Department, Question};
use crate::domain::report::{Location, NewReport, Report, ReportStatus};

/// A `departments` row.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = departments)]
pub struct DepartmentRow {
    pub id: DbUuid,
    pub slug: String,
    pub name_nl: String,
    pub name_en: String,
    pub email: Option<String>,
    pub active: bool,
    pub created_at: DbTime,
    pub updated_at: DbTime,
}

impl From<DepartmentRow> for Department {
    fn from(row: DepartmentRow) -> Self {
        Department { id: row.id.0, slug: row.slug, name_nl: row.name_nl, name_en: row.name_en, active: row.active }
    }
}

/// A `categories` row.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = categories)]
pub struct CategoryRow {
    pub id: DbUuid,
    pub parent_id: Option<DbUuid>,
    pub slug: String,
    pub name_nl: String,
    pub name_en: String,
    pub description_nl: Option<String>,
    pub description_en: Option<String>,
    pub is_public: bool,
    pub is_sensitive: bool,
    pub handling_hours: Option<i32>,
    pub default_department_id: Option<DbUuid>,
    pub questions: String,
    pub active: bool,
    pub position: i32,
    pub created_at: DbTime,
    pub updated_at: DbTime,
}

impl TryFrom<CategoryRow> for Category {
    type Error = StorageError;

    fn try_from(row: CategoryRow) -> Result<Self, StorageError> {
        let questions: Vec<Question> = serde_json::from_str(&row.questions)
            .map_err(|e| StorageError::Corrupt(format!("questions of category {}: {e}", row.slug)))?;
        Ok(Category {
            id: row.id.0,
            parent_id: row.parent_id.map(|id| id.0),
            slug: row.slug,
            name_nl: row.name_nl,
            name_en: row.name_en,
            is_public: row.is_public,
            is_sensitive: row.is_sensitive,
            handling_hours: row.handling_hours,
            default_department_id: row.default_department_id.map(|id| id.0),
            questions,
            active: row.active,
            position: row.position,
        })
    }
}

/// A `reports` row.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = reports)]
pub struct ReportRow {
    pub id: DbUuid,
    pub reference: String,
    pub category_id: DbUuid,
    pub description: String,
    pub lat: f64,
    pub lon: f64,
    pub address: Option<String>,
    pub status: String,
    pub priority: String,
    pub source: String,
    pub answers: String,
    pub department_id: Option<DbUuid>,
    pub deadline_at: Option<DbTime>,
    pub created_at: DbTime,
    pub updated_at: DbTime,
}

impl ReportRow {
    /// The row for a new report.
    pub fn new(report: &NewReport) -> Self {
        ReportRow {
            id: DbUuid(report.id),
            reference: report.reference.clone(),
            category_id: DbUuid(report.category_id),
            description: report.description.clone(),
            lat: report.location.lat,
            lon: report.location.lon,
            address: report.address.clone(),
            status: ReportStatus::New.as_str().to_owned(),
            priority: "normal".to_owned(),
            source: report.source.as_str().to_owned(),
            answers: serde_json::Value::Object(report.answers.clone()).to_string(),
            department_id: report.department_id.map(DbUuid),
            deadline_at: report.deadline_at.map(DbTime::new),
            created_at: DbTime::new(report.created_at),
            updated_at: DbTime::new(report.created_at),
        }
    }
}

impl TryFrom<ReportRow> for Report {
    type Error = StorageError;

    fn try_from(row: ReportRow) -> Result<Self, StorageError> {
        let status = ReportStatus::parse(&row.status)
            .ok_or_else(|| StorageError::Corrupt(format!("report {} has status '{}'", row.id.0, row.status)))?;
        let answers = match serde_json::from_str(&row.answers) {
            Ok(serde_json::Value::Object(map)) => map,
            _ => return Err(StorageError::Corrupt(format!("report {} has malformed answers", row.id.0))),
        };
        Ok(Report {
            id: row.id.0,
            reference: row.reference,
            category_id: row.category_id.0,
            description: row.description,
            location: Location { lat: row.lat, lon: row.lon },
            address: row.address,
            status,
            priority: row.priority,
            source: row.source,
            answers,
            department_id: row.department_id.map(|id| id.0),
            deadline_at: row.deadline_at.map(|t| t.0),
            created_at: row.created_at.0,
            updated_at: row.updated_at.0,
        })
    }
}

/// A new `report_history` entry (the id is assigned by the database).
#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = report_history)]
pub struct NewHistoryRow {
    pub report_id: DbUuid,
    pub at: DbTime,
    pub actor: String,
    pub action: String,
    pub details: String,
}

/// A `report_history` row.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = report_history)]
pub struct HistoryRow {
    pub id: i64,
    pub report_id: DbUuid,
    pub at: DbTime,
    pub actor: String,
    pub action: String,
    pub details: String,
}

/// A `reporter_contacts` row.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = reporter_contacts)]
pub struct ContactRow {
    pub report_id: DbUuid,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub name: Option<String>,
    pub consent_to_contact: bool,
    pub created_at: DbTime,
}

/// An `idempotency_keys` row.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = idempotency_keys)]
pub struct IdempotencyRow {
    pub key: String,
    pub request_hash: String,
    pub report_id: DbUuid,
    pub created_at: DbTime,
}
