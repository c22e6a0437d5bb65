//! Queries behind the Open311 endpoints: filtered report lists, the public history of
//! reports (for status notes) and history entries in a time window, a page at a time
//! (service request updates).

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use uuid::Uuid;

use super::connection::{DbTime, DbUuid};
use super::rows::{HistoryRow, ReportRow};
use super::schema::{report_history, reports};
use super::{DbConnection, StorageError};
use crate::domain::report::Report;
use crate::domain::workflow::HistoryEntry;

/// History actions that can be public updates.
const UPDATE_ACTIONS: [&str; 3] = ["created", "status_changed", "note"];

/// Which reports a `GET requests` wants.
#[derive(Debug, Clone, Default)]
pub struct RequestFilter {
    /// Only these categories (`None`: all).
    pub category_ids: Option<Vec<Uuid>>,
    /// Only these workflow statuses (`None`: all).
    pub statuses: Option<Vec<String>>,
    /// Received at or after.
    pub from: Option<DateTime<Utc>>,
    /// Received at or before.
    pub to: Option<DateTime<Utc>>,
    /// Only reports in this gemeente.
    pub gemeente: Option<String>,
    /// Most reports returned.
    pub limit: i64,
    /// Reports skipped (paging).
    pub offset: i64,
}

/// Reports matching `filter`, newest first.
pub fn list(conn: &mut DbConnection, filter: &RequestFilter) -> Result<Vec<Report>, StorageError> {
    let mut query = reports::table.into_boxed();
    if let Some(ids) = &filter.category_ids {
        query = query.filter(reports::category_id.eq_any(ids.iter().copied().map(DbUuid).collect::<Vec<_>>()));
    }
    if let Some(statuses) = &filter.statuses {
        query = query.filter(reports::status.eq_any(statuses.clone()));
    }
    if let Some(from) = filter.from {
        query = query.filter(reports::created_at.ge(DbTime::new(from)));
    }
    if let Some(to) = filter.to {
        query = query.filter(reports::created_at.le(DbTime::new(to)));
    }
    if let Some(gemeente) = &filter.gemeente {
        query = query.filter(reports::gemeente_code.eq(gemeente.clone()));
    }
    query
        .order((reports::created_at.desc(), reports::id.desc()))
        .limit(filter.limit)
        .offset(filter.offset)
        .select(ReportRow::as_select())
        .load(conn)?
        .into_iter()
        .map(Report::try_from)
        .collect()
}

/// The history entries of `report_ids` that may be public updates (created, status
/// changes, notes), oldest first.
pub fn public_history(conn: &mut DbConnection, report_ids: &[Uuid]) -> Result<Vec<HistoryEntry>, StorageError> {
    if report_ids.is_empty() {
        return Ok(Vec::new());
    }
    report_history::table
        .filter(report_history::report_id.eq_any(report_ids.iter().copied().map(DbUuid).collect::<Vec<_>>()))
        .filter(report_history::action.eq_any(UPDATE_ACTIONS))
        .order(report_history::id.asc())
        .select(HistoryRow::as_select())
        .load(conn)?
        .into_iter()
        .map(HistoryEntry::try_from)
        .collect()
}

/// Which history entries a page of `servicerequestupdates` scans.
#[derive(Debug, Clone, Default)]
pub struct UpdateFilter {
    /// Recorded at or after (`None`: no lower bound).
    pub from: Option<DateTime<Utc>>,
    /// Recorded at or before.
    pub to: Option<DateTime<Utc>>,
    /// Only reports in this gemeente.
    pub gemeente: Option<String>,
}

/// PostgreSQL: the entry was inserted before the oldest other open transaction began.
const HORIZON: &str = "COALESCE(report_history.recorded_at, '-infinity'::timestamptz) < COALESCE(\
    (SELECT min(a.xact_start) FROM pg_stat_activity a \
     WHERE a.datname = current_database() AND a.pid <> pg_backend_pid() AND a.xact_start IS NOT NULL), \
    'infinity'::timestamptz)";

/// History entries that may be public updates (created, status changes, notes) matching
/// `filter` with ids above `after` (the paging cursor), with their reports, in the order they were recorded (id
/// ascending); at most `limit`. New entries get greater ids, so a cursor on the id neither
/// skips nor repeats entries while others are added.
pub fn updates_after(
    conn: &mut DbConnection,
    filter: &UpdateFilter,
    after: Option<i64>,
    limit: i64,
) -> Result<Vec<(HistoryEntry, Report)>, StorageError> {
    let mut query = report_history::table
        .inner_join(reports::table)
        .filter(report_history::action.eq_any(UPDATE_ACTIONS))
        .into_boxed();
    if let Some(from) = filter.from {
        query = query.filter(report_history::at.ge(DbTime::new(from)));
    }
    if let Some(to) = filter.to {
        query = query.filter(report_history::at.le(DbTime::new(to)));
    }
    if let Some(after) = after {
        query = query.filter(report_history::id.gt(after));
    }
    if let Some(code) = &filter.gemeente {
        query = query.filter(reports::gemeente_code.eq(code.clone()));
    }
    if !conn.is_sqlite() {
        // Ids are drawn at insert, but transactions commit in any order: an entry inserted
        // after the oldest transaction still open began could be followed by one with a
        // lower id committing later, which a client's cursor would skip. Such entries wait
        // for the next page (migration 000019; sessions of the same database user are seen).
        query = query.filter(diesel::dsl::sql::<diesel::sql_types::Bool>(HORIZON));
    }
    query
        .order(report_history::id.asc())
        .limit(limit)
        .select((HistoryRow::as_select(), ReportRow::as_select()))
        .load::<(HistoryRow, ReportRow)>(conn)?
        .into_iter()
        .map(|(history, report)| Ok((HistoryEntry::try_from(history)?, Report::try_from(report)?)))
        .collect()
}
