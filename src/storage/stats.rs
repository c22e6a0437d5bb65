//! What statistics read of reports: one row per report with its category, department,
//! source, receipt, deadline, life (closings and reopenings), "me too" count, stamped
//! areas and location. Never text, contact or address.
//!
//! Two selections per stamped boundary year, both on indexes that lead with
//! (gemeente_code, area_year): reports received in the window (`reports_stats_created`)
//! and reports received before it that were still open at its start, i.e. open now or
//! settled since (`reports_stats_settled`). Merged duplicates are left out: they count as
//! the report they were merged into.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use uuid::Uuid;

use super::connection::{DbTime, DbUuid};
use super::schema::reports;
use super::{DbConnection, StorageError};
use crate::domain::stats::lifecycle::{self, LifeEvent};

/// Which reports to read.
#[derive(Debug, Clone, Default)]
pub struct Selection {
    /// Per stamped boundary year, the municipalities (codes of that year) to read.
    pub stamped: Vec<(i32, Vec<String>)>,
    /// Start of the window.
    pub start: DateTime<Utc>,
    /// End of the window (exclusive).
    pub end: DateTime<Utc>,
    /// Only these categories (empty: all).
    pub categories: Vec<Uuid>,
    /// Only these departments (empty: all).
    pub departments: Vec<Uuid>,
    /// Only these sources (empty: all).
    pub sources: Vec<String>,
}

/// One report as statistics see it.
#[derive(Debug, Clone, PartialEq)]
pub struct ReportFact {
    pub category_id: Uuid,
    pub department_id: Option<Uuid>,
    pub source: String,
    pub created_at: DateTime<Utc>,
    pub deadline_at: Option<DateTime<Utc>>,
    pub events: Vec<LifeEvent>,
    pub me_too: i64,
    pub area_year: Option<i32>,
    pub gemeente_code: Option<String>,
    pub wijk_code: Option<String>,
    pub buurt_code: Option<String>,
    pub lat: f64,
    pub lon: f64,
}

type FactRow = (
    DbUuid,
    Option<DbUuid>,
    String,
    DbTime,
    Option<DbTime>,
    String,
    i32,
    Option<i32>,
    Option<String>,
    Option<String>,
    Option<String>,
    f64,
    f64,
);

/// Reads the reports of `selection`.
pub fn facts(conn: &mut DbConnection, selection: &Selection) -> Result<Vec<ReportFact>, StorageError> {
    let mut out = Vec::new();
    for (year, gemeenten) in &selection.stamped {
        if gemeenten.is_empty() {
            continue;
        }
        for received_in_window in [true, false] {
            let mut query = reports::table
                .filter(reports::gemeente_code.eq_any(gemeenten.clone()))
                .filter(reports::area_year.eq(*year))
                .filter(reports::merged_into_id.is_null())
                .into_boxed();
            let start = DbTime::new(selection.start);
            if received_in_window {
                query = query
                    .filter(reports::created_at.ge(start))
                    .filter(reports::created_at.lt(DbTime::new(selection.end)));
            } else {
                query = query
                    .filter(reports::settled_at.is_null().or(reports::settled_at.ge(start)))
                    .filter(reports::created_at.lt(start));
            }
            if !selection.categories.is_empty() {
                query = query.filter(reports::category_id.eq_any(selection.categories.iter().copied().map(DbUuid)));
            }
            if !selection.departments.is_empty() {
                query = query.filter(reports::department_id.eq_any(selection.departments.iter().copied().map(DbUuid)));
            }
            if !selection.sources.is_empty() {
                query = query.filter(reports::source.eq_any(selection.sources.clone()));
            }
            let rows: Vec<FactRow> = query
                .select((
                    reports::category_id,
                    reports::department_id,
                    reports::source,
                    reports::created_at,
                    reports::deadline_at,
                    reports::lifecycle,
                    reports::me_too,
                    reports::area_year,
                    reports::gemeente_code,
                    reports::wijk_code,
                    reports::buurt_code,
                    reports::lat,
                    reports::lon,
                ))
                .load(conn)?;
            out.reserve(rows.len());
            for row in rows {
                out.push(to_fact(row)?);
            }
        }
    }
    Ok(out)
}

fn to_fact(row: FactRow) -> Result<ReportFact, StorageError> {
    let (category, department, source, created, deadline, life, me_too, year, gemeente, wijk, buurt, lat, lon) = row;
    let events = lifecycle::parse(&life).map_err(|detail| StorageError::corrupt("reports", "lifecycle", detail))?;
    Ok(ReportFact {
        category_id: category.0,
        department_id: department.map(|d| d.0),
        source,
        created_at: created.0,
        deadline_at: deadline.map(|d| d.0),
        events,
        me_too: i64::from(me_too),
        area_year: year,
        gemeente_code: gemeente,
        wijk_code: wijk,
        buurt_code: buurt,
        lat,
        lon,
    })
}
