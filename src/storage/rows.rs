//! Rows as diesel reads and writes them, and their conversion to and from domain types.
//! Rows never leave the storage layer.

use diesel::prelude::*;

use super::StorageError;
use super::connection::{DbTime, DbUuid};
use super::schema::{
    area_imports, areas, categories, departments, idempotency_keys, report_history, reporter_contacts, reports,
    routing_rules,
};
use crate::domain::category::{Category, Department, Question};
use crate::domain::privacy::moderation::Moderation;
use crate::domain::report::{AreaStamp, Location, NewReport, Report, ReportStatus, RoutingReason};
use crate::domain::workflow::HistoryEntry;

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
        Department {
            id: row.id.0,
            slug: row.slug,
            name_nl: row.name_nl,
            name_en: row.name_en,
            email: row.email,
            active: row.active,
        }
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
            description_nl: row.description_nl,
            description_en: row.description_en,
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
#[diesel(table_name = reports, treat_none_as_default_value = false)]
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
    pub gemeente_code: Option<String>,
    pub wijk_code: Option<String>,
    pub buurt_code: Option<String>,
    pub area_year: Option<i32>,
    pub routing_rule_id: Option<DbUuid>,
    pub routing_reason: String,
    pub department_locked: bool,
    pub media_url: Option<String>,
    pub public_description: Option<String>,
    pub description_moderation: Option<String>,
    pub reopen_due_at: Option<DbTime>,
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
            priority: report.priority.clone(),
            source: report.source.as_str().to_owned(),
            answers: serde_json::Value::Object(report.answers.clone()).to_string(),
            department_id: report.department_id.map(DbUuid),
            deadline_at: report.deadline_at.map(DbTime::new),
            created_at: DbTime::new(report.created_at),
            updated_at: DbTime::new(report.created_at),
            gemeente_code: report.area.as_ref().map(|a| a.gemeente_code.clone()),
            wijk_code: report.area.as_ref().and_then(|a| a.wijk_code.clone()),
            buurt_code: report.area.as_ref().and_then(|a| a.buurt_code.clone()),
            area_year: report.area.as_ref().map(|a| a.year),
            routing_rule_id: report.routing_rule_id.map(DbUuid),
            routing_reason: report.routing_reason.as_str().to_owned(),
            department_locked: false,
            media_url: report.media_url.clone(),
            public_description: None,
            description_moderation: None,
            reopen_due_at: None,
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
            area: row.gemeente_code.map(|gemeente_code| AreaStamp {
                gemeente_code,
                wijk_code: row.wijk_code,
                buurt_code: row.buurt_code,
                year: row.area_year.unwrap_or_default(),
            }),
            routing_rule_id: row.routing_rule_id.map(|id| id.0),
            routing_reason: RoutingReason::parse(&row.routing_reason),
            department_locked: row.department_locked,
            media_url: row.media_url,
            moderation: Moderation::from_stored(row.description_moderation.as_deref(), row.public_description),
            reopen_due_at: row.reopen_due_at.map(|t| t.0),
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

impl TryFrom<HistoryRow> for HistoryEntry {
    type Error = StorageError;

    fn try_from(row: HistoryRow) -> Result<Self, StorageError> {
        let details = serde_json::from_str(&row.details).map_err(|e| StorageError::CorruptValue {
            table: "report_history",
            column: "details",
            detail: format!("entry {}: {e}", row.id),
        })?;
        Ok(HistoryEntry {
            id: row.id,
            report_id: row.report_id.0,
            at: row.at.0,
            actor: row.actor,
            action: row.action,
            details,
        })
    }
}

/// A `reporter_contacts` row.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = reporter_contacts, treat_none_as_default_value = false)]
pub struct ContactRow {
    pub report_id: DbUuid,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub name: Option<String>,
    pub consent_to_contact: bool,
    pub created_at: DbTime,
    pub language: String,
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

/// An `areas` row.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = areas)]
pub struct AreaRow {
    #[diesel(skip_insertion)]
    pub id: i64,
    pub level: String,
    pub code: String,
    pub name: String,
    pub year: i32,
    pub gemeente_code: String,
    pub wijk_code: Option<String>,
    pub geometry: String,
    pub min_lon: f64,
    pub min_lat: f64,
    pub max_lon: f64,
    pub max_lat: f64,
    pub imported_at: DbTime,
}

/// An `area_imports` row.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = area_imports)]
pub struct AreaImportRow {
    #[diesel(skip_insertion)]
    pub id: i64,
    pub level: String,
    pub year: i32,
    pub features: i32,
    pub source: String,
    pub imported_at: DbTime,
    /// Who: `staff:<account id>`, `admin`, `cli`, `seed`, or '' (before it was recorded).
    pub imported_by: String,
}

/// A `routing_rules` row.
#[derive(Debug, Clone, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = routing_rules)]
#[diesel(treat_none_as_null = true)]
pub struct RuleRow {
    pub id: DbUuid,
    pub position: i32,
    pub name: String,
    pub active: bool,
    pub conditions: String,
    pub department_id: DbUuid,
    pub priority: Option<String>,
    pub deadline_hours: Option<i32>,
    pub created_at: DbTime,
    pub updated_at: DbTime,
}
