//! What the open data reads of reports: pages of a year's reports for the records
//! downloads, in keyset order `(created_at, id)` on the `reports_created_at` index, and per
//! year how many there are in public categories and when they last changed (the catalogue).
//!
//! A page does not filter by category: with a list of categories SQLite reads the
//! year through `reports_category_created` and sorts all of the rest of it for every page
//! (measured with `EXPLAIN QUERY PLAN`), where without one it walks `reports_created_at` and
//! sorts only reports received at the same instant by id. The caller drops the reports of
//! non-public categories (`Record::publish`): a page may hold fewer records than it read.
//!
//! Only reads, each a short statement of its own (no transaction spans pages), so a
//! download of any size never holds back intake: on SQLite in WAL mode readers do not block
//! the writer, on PostgreSQL MVCC readers never do. Never selects text, address, answers,
//! or anything of the reporter. Reports merged into another as duplicates are left out,
//! as the statistics leave them out (they count as the report they were merged into).

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use uuid::Uuid;

use super::connection::{DbTime, DbUuid};
use super::schema::{areas, reports};
use super::{DbConnection, StorageError};
use crate::domain::open_data::catalog::YearSummary;
use crate::domain::open_data::records::{StoredRecord, local_year, year_span};

/// Which reports a page reads.
#[derive(Debug, Clone)]
pub struct RecordsQuery {
    /// Received at or after this.
    pub start: DateTime<Utc>,
    /// Received before this.
    pub end: DateTime<Utc>,
    /// Only reports after this one in `(created_at, id)` order.
    pub after: Option<(DateTime<Utc>, Uuid)>,
    /// Most reports in the page.
    pub limit: i64,
}

/// One page of records.
#[derive(Debug, Clone, PartialEq)]
pub struct RecordsPage {
    pub records: Vec<StoredRecord>,
    /// When the page is full: where the next one starts.
    pub next: Option<(DateTime<Utc>, Uuid)>,
}

type RecordRow = (
    DbUuid,
    String,
    DbUuid,
    String,
    DbTime,
    Option<DbTime>,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<i32>,
    f64,
    f64,
);

/// Reads one page of a year's reports, in every category (see the module's documentation),
/// oldest first.
pub fn page(conn: &mut DbConnection, query: &RecordsQuery) -> Result<RecordsPage, StorageError> {
    // One lower bound only: given the year's start and the cursor both, SQLite bounded the
    // index range by the start and skipped every earlier page's reports again on each page
    // (measured: 28 s for 1,000,000 reports).
    let from = query.after.map_or(query.start, |(at, _)| at.max(query.start));
    let mut select = reports::table
        .filter(reports::created_at.ge(DbTime::new(from)))
        .filter(reports::created_at.lt(DbTime::new(query.end)))
        .filter(reports::merged_into_id.is_null())
        .into_boxed();
    if let Some((at, last)) = query.after {
        select = select.filter(
            reports::created_at
                .gt(DbTime::new(at))
                .or(reports::created_at.eq(DbTime::new(at)).and(reports::id.gt(DbUuid(last)))),
        );
    }
    let rows: Vec<RecordRow> = select
        .select((
            reports::id,
            reports::reference,
            reports::category_id,
            reports::status,
            reports::created_at,
            reports::settled_at,
            reports::gemeente_code,
            reports::wijk_code,
            reports::buurt_code,
            reports::area_year,
            reports::lat,
            reports::lon,
        ))
        .order((reports::created_at.asc(), reports::id.asc()))
        .limit(query.limit)
        .load(conn)?;
    let records: Vec<StoredRecord> = rows
        .into_iter()
        .map(|(id, reference, category, status, created, settled, gemeente, wijk, buurt, year, lat, lon)| {
            StoredRecord {
                id: id.0,
                reference,
                category_id: category.0,
                status,
                created_at: created.0,
                settled_at: settled.map(|t| t.0),
                gemeente_code: gemeente,
                wijk_code: wijk,
                buurt_code: buurt,
                area_year: year,
                lat,
                lon,
            }
        })
        .collect();
    let full = i64::try_from(records.len()).unwrap_or(i64::MAX) >= query.limit;
    let next = records.last().filter(|_| full).map(|r| (r.created_at, r.id));
    Ok(RecordsPage { records, next })
}

/// The years with reports in `categories`, oldest first: how many and when the newest
/// change to one of them was made. Reads the first and last receipt of any report on the
/// `reports_created_at` index, then counts each year in between (on
/// `reports_category_created`).
pub fn years(conn: &mut DbConnection, categories: &[Uuid]) -> Result<Vec<YearSummary>, StorageError> {
    if categories.is_empty() {
        return Ok(Vec::new());
    }
    let eligible = || {
        reports::table
            .filter(reports::merged_into_id.is_null())
            .filter(reports::category_id.eq_any(categories.iter().copied().map(DbUuid)))
            .into_boxed()
    };
    let first: Option<DbTime> =
        reports::table.select(reports::created_at).order(reports::created_at.asc()).first(conn).optional()?;
    let last: Option<DbTime> =
        reports::table.select(reports::created_at).order(reports::created_at.desc()).first(conn).optional()?;
    let (Some(first), Some(last)) = (first, last) else {
        return Ok(Vec::new());
    };
    let mut out = Vec::new();
    for year in local_year(first.0)..=local_year(last.0) {
        let (start, end) = year_span(year);
        let in_year = || {
            eligible()
                .filter(reports::created_at.ge(DbTime::new(start)))
                .filter(reports::created_at.lt(DbTime::new(end)))
        };
        let records: i64 = in_year().count().get_result(conn)?;
        if records == 0 {
            continue;
        }
        let modified: Option<DbTime> =
            in_year().select(reports::updated_at).order(reports::updated_at.desc()).first(conn).optional()?;
        out.push(YearSummary { year, records, modified: modified.map_or(end, |t| t.0) });
    }
    Ok(out)
}

/// The names of municipalities by CBS code, from their newest loaded boundaries; every
/// loaded municipality when `codes` is empty. Ordered by code.
pub fn gemeente_names(conn: &mut DbConnection, codes: &[String]) -> Result<Vec<(String, String)>, StorageError> {
    let mut query =
        areas::table.filter(areas::level.eq("gemeente")).select((areas::code, areas::name, areas::year)).into_boxed();
    if !codes.is_empty() {
        query = query.filter(areas::code.eq_any(codes.to_vec()));
    }
    let rows: Vec<(String, String, i32)> = query.order((areas::code.asc(), areas::year.desc())).load(conn)?;
    let mut out: Vec<(String, String)> = Vec::new();
    for (code, name, _) in rows {
        if out.last().is_none_or(|(last, _)| *last != code) {
            out.push((code, name));
        }
    }
    Ok(out)
}
