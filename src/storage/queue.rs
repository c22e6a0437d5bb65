//! The staff queue: reports filtered, searched, sorted and paged. Full-text search is the
//! one dialect-specific part: SQLite's FTS5 table `reports_fts`, PostgreSQL's generated
//! `search` tsvector.

use diesel::dsl::sql;
use diesel::prelude::*;
use diesel::sql_types::{Bool, Integer, Text};
use uuid::Uuid;

use super::connection::{DbTime, DbUuid};
use super::rows::ReportRow;
use super::schema::reports;
use super::{DbConnection, StorageError};
use crate::domain::report::{Report, ReportStatus};

pub use crate::domain::queue::{QueueFilter, QueueOrder};

/// A report in the queue with its assignee.
#[derive(Debug, Clone)]
pub struct QueueItem {
    /// The report.
    pub report: Report,
    /// Its assignee.
    pub assignee_id: Option<Uuid>,
}

const CLOSED: [&str; 2] = ["resolved", "cancelled"];

/// The reports table with every filter of the queue applied (no order, no paging), so
/// that a page and its count select exactly the same reports.
type Filtered<'a> = reports::BoxedQuery<'a, <DbConnection as diesel::Connection>::Backend>;

fn filtered(sqlite: bool, filter: &QueueFilter) -> Filtered<'static> {
    let mut query = reports::table.into_boxed();
    if let Some(allowed) = &filter.departments_allowed {
        query = query.filter(reports::department_id.eq_any(allowed.iter().copied().map(DbUuid).collect::<Vec<_>>()));
    }
    if !filter.statuses.is_empty() {
        query = query.filter(reports::status.eq_any(filter.statuses.iter().map(|s| s.as_str()).collect::<Vec<_>>()));
    }
    if !filter.categories.is_empty() {
        query = query
            .filter(reports::category_id.eq_any(filter.categories.iter().copied().map(DbUuid).collect::<Vec<_>>()));
    }
    if !filter.departments.is_empty() {
        query = query
            .filter(reports::department_id.eq_any(filter.departments.iter().copied().map(DbUuid).collect::<Vec<_>>()));
    }
    if !filter.gemeenten.is_empty() {
        query = query.filter(reports::gemeente_code.eq_any(filter.gemeenten.clone()));
    }
    if !filter.wijken.is_empty() {
        query = query.filter(reports::wijk_code.eq_any(filter.wijken.clone()));
    }
    if !filter.buurten.is_empty() {
        query = query.filter(reports::buurt_code.eq_any(filter.buurten.clone()));
    }
    if let Some(assignee) = filter.assignee {
        query = query.filter(reports::assignee_id.eq(DbUuid(assignee)));
    }
    if !filter.priorities.is_empty() {
        query = query.filter(reports::priority.eq_any(filter.priorities.clone()));
    }
    if let Some(from) = filter.created_from {
        query = query.filter(reports::created_at.ge(DbTime::new(from)));
    }
    if let Some(to) = filter.created_to {
        query = query.filter(reports::created_at.lt(DbTime::new(to)));
    }
    let now = DbTime::new(filter.now);
    match filter.overdue {
        // A request to reopen has its own term (`reopen_due_at`, set only while the report
        // waits in `reopen_requested`); every other open report has its deadline.
        Some(true) => {
            query = query
                .filter(
                    reports::reopen_due_at
                        .lt(now)
                        .or(reports::reopen_due_at.is_null().and(reports::deadline_at.lt(now))),
                )
                .filter(reports::status.ne_all(CLOSED));
        }
        Some(false) => {
            query = query.filter(
                reports::reopen_due_at
                    .ge(now)
                    .or(reports::reopen_due_at
                        .is_null()
                        .and(reports::deadline_at.is_null().or(reports::deadline_at.ge(now))))
                    .or(reports::status.eq_any(CLOSED)),
            );
        }
        None => {}
    }
    if !filter.words.is_empty() {
        if sqlite {
            // Each word quoted: FTS5 query syntax in user input cannot break the query.
            let phrase: Vec<String> = filter.words.iter().map(|w| format!("\"{}\"", w.replace('"', ""))).collect();
            query = query.filter(
                sql::<Bool>("reports.rowid IN (SELECT rowid FROM reports_fts WHERE reports_fts MATCH ")
                    .bind::<Text, _>(phrase.join(" "))
                    .sql(")"),
            );
        } else {
            query = query.filter(
                sql::<Bool>("reports.search @@ plainto_tsquery('dutch', ")
                    .bind::<Text, _>(filter.words.join(" "))
                    .sql(")"),
            );
        }
    }
    query
}

/// One page of the queue (at most `limit` items).
pub fn list(conn: &mut DbConnection, filter: &QueueFilter) -> Result<Vec<QueueItem>, StorageError> {
    let mut query = filtered(conn.is_sqlite(), filter);
    query = match filter.order {
        QueueOrder::NewestFirst => query.order((reports::created_at.desc(), reports::id.desc())),
        QueueOrder::OldestFirst => query.order((reports::created_at.asc(), reports::id.asc())),
        QueueOrder::DeadlineFirst => query.order((
            sql::<Integer>("CASE WHEN reports.deadline_at IS NULL THEN 1 ELSE 0 END").asc(),
            reports::deadline_at.asc(),
            reports::id.asc(),
        )),
        QueueOrder::PriorityFirst => query.order((
            sql::<Integer>("CASE reports.priority WHEN 'high' THEN 0 WHEN 'normal' THEN 1 ELSE 2 END").asc(),
            reports::created_at.desc(),
            reports::id.desc(),
        )),
    };
    let rows: Vec<(ReportRow, Option<DbUuid>)> = query
        .select((ReportRow::as_select(), reports::assignee_id))
        .offset(filter.offset)
        .limit(filter.limit)
        .load(conn)?;
    rows.into_iter()
        .map(|(row, assignee)| Ok(QueueItem { report: Report::try_from(row)?, assignee_id: assignee.map(|a| a.0) }))
        .collect()
}

/// How many reports the queue's filter selects, over every page.
pub fn count(conn: &mut DbConnection, filter: &QueueFilter) -> Result<i64, StorageError> {
    Ok(filtered(conn.is_sqlite(), filter).count().get_result(conn)?)
}

/// How many reports the queue's filter selects with each of `statuses` instead of its own
/// status filter, for the counts above the queue (one count per status).
pub fn count_by_status(
    conn: &mut DbConnection,
    filter: &QueueFilter,
    statuses: &[ReportStatus],
) -> Result<Vec<(ReportStatus, i64)>, StorageError> {
    let mut counts = Vec::with_capacity(statuses.len());
    for status in statuses {
        let one = QueueFilter { statuses: vec![*status], ..filter.clone() };
        counts.push((*status, count(conn, &one)?));
    }
    Ok(counts)
}
