//! The anonymous statistical records that deleted reports leave behind (`report_records`):
//! what statistics, projects and the roll-up need of a report, and nothing that identifies
//! anyone: category, department, source, final status, the stamped area codes and their
//! boundary year, the centre of the ~280 m grid cell of the location
//! (`domain::privacy::coarsen`), receipt, deadline and the dates of its closings and
//! reopenings. No text, address, answers, contact or exact location.
//!
//! Statistics read them beside the reports ([`facts`], called by `storage::stats`) and a
//! rebuild of the roll-up counts them ([`views_page`]), so deleting a report changes no
//! statistic of its own boundary year. Placing one in another boundary year uses the
//! cell's centre, which may lie in a neighbouring buurt: docs/privacy.md says so.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use uuid::Uuid;

use super::super::connection::{DbTime, DbUuid};
use super::super::schema::{report_records, reports};
use super::super::stats::{FactRow, ReportFact, Selection};
use super::super::{DbConnection, StorageError};
use crate::domain::report::Location;
use crate::domain::stats::lifecycle;
use crate::domain::stats::rollup::StatsView;

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = report_records)]
#[diesel(treat_none_as_default_value = false)]
struct RecordRow {
    id: DbUuid,
    category_id: DbUuid,
    department_id: Option<DbUuid>,
    source: String,
    status: String,
    created_at: DbTime,
    deadline_at: Option<DbTime>,
    settled_at: Option<DbTime>,
    lifecycle: String,
    me_too: i32,
    gemeente_code: Option<String>,
    wijk_code: Option<String>,
    buurt_code: Option<String>,
    area_year: Option<i32>,
    cell_lat: f64,
    cell_lon: f64,
    deleted_at: DbTime,
}

type ReportRow = (
    (DbUuid, Option<DbUuid>, String, String, DbTime, Option<DbTime>, Option<DbTime>, String, i32),
    (Option<String>, Option<String>, Option<String>, Option<i32>, f64, f64),
);

/// Writes the records of those of `ids` that statistics count (not merged duplicates:
/// they count as the report they were merged into), inside the caller's transaction.
pub(super) fn keep(conn: &mut DbConnection, ids: &[Uuid], now: DateTime<Utc>) -> Result<usize, StorageError> {
    let rows: Vec<ReportRow> = reports::table
        .filter(reports::id.eq_any(ids.iter().copied().map(DbUuid)))
        .filter(reports::merged_into_id.is_null())
        .select((
            (
                reports::category_id,
                reports::department_id,
                reports::source,
                reports::status,
                reports::created_at,
                reports::deadline_at,
                reports::settled_at,
                reports::lifecycle,
                reports::me_too,
            ),
            (
                reports::gemeente_code,
                reports::wijk_code,
                reports::buurt_code,
                reports::area_year,
                reports::lat,
                reports::lon,
            ),
        ))
        .load(conn)?;
    let records: Vec<RecordRow> = rows
        .into_iter()
        .map(|((category, department, source, status, created, deadline, settled, life, me_too), place)| {
            let (gemeente, wijk, buurt, year, lat, lon) = place;
            let cell = crate::domain::privacy::coarsen(Location { lat, lon });
            RecordRow {
                id: DbUuid(Uuid::new_v4()),
                category_id: category,
                department_id: department,
                source,
                status,
                created_at: created,
                deadline_at: deadline,
                settled_at: settled,
                lifecycle: life,
                me_too,
                gemeente_code: gemeente,
                wijk_code: wijk,
                buurt_code: buurt,
                area_year: year,
                cell_lat: cell.lat,
                cell_lon: cell.lon,
                deleted_at: DbTime::new(now),
            }
        })
        .collect();
    super::super::insert_rows!(conn, report_records::table, &records)?;
    Ok(records.len())
}

/// The records of `selection`, as statistics see reports: received in the window, or
/// received before it and settled since its start (records are of closed reports).
pub fn facts(conn: &mut DbConnection, selection: &Selection) -> Result<Vec<ReportFact>, StorageError> {
    let mut out = Vec::new();
    for (year, gemeenten) in &selection.stamped {
        if gemeenten.is_empty() {
            continue;
        }
        for received_in_window in [true, false] {
            let within = selection.within.as_ref().filter(|w| w.year == *year);
            let mut query = report_records::table.filter(report_records::area_year.eq(*year)).into_boxed();
            if within.is_none() {
                query = query.filter(report_records::gemeente_code.eq_any(gemeenten.clone()));
            }
            let start = DbTime::new(selection.start);
            query = if received_in_window {
                query
                    .filter(report_records::created_at.ge(start))
                    .filter(report_records::created_at.lt(DbTime::new(selection.end)))
            } else {
                query
                    .filter(report_records::created_at.lt(start))
                    .filter(report_records::settled_at.is_null().or(report_records::settled_at.ge(start)))
            };
            if let Some(within) = within {
                query = query.filter(
                    report_records::wijk_code
                        .eq_any(within.wijken.clone())
                        .or(report_records::buurt_code.eq_any(within.buurten.clone())),
                );
            }
            if !selection.categories.is_empty() {
                query =
                    query.filter(report_records::category_id.eq_any(selection.categories.iter().copied().map(DbUuid)));
            }
            if !selection.departments.is_empty() {
                query = query
                    .filter(report_records::department_id.eq_any(selection.departments.iter().copied().map(DbUuid)));
            }
            if !selection.sources.is_empty() {
                query = query.filter(report_records::source.eq_any(selection.sources.clone()));
            }
            let rows: Vec<FactRow> = query
                .select((
                    report_records::category_id,
                    report_records::department_id,
                    report_records::source,
                    report_records::created_at,
                    report_records::deadline_at,
                    report_records::lifecycle,
                    report_records::me_too,
                    report_records::area_year,
                    report_records::gemeente_code,
                    report_records::wijk_code,
                    report_records::buurt_code,
                    report_records::cell_lat,
                    report_records::cell_lon,
                ))
                .load(conn)?;
            for (
                category,
                department,
                source,
                created,
                deadline,
                life,
                me_too,
                year,
                gemeente,
                wijk,
                buurt,
                lat,
                lon,
            ) in rows
            {
                out.push(ReportFact {
                    category_id: category.0,
                    department_id: department.map(|d| d.0),
                    source,
                    created_at: created.0,
                    deadline_at: deadline.map(|d| d.0),
                    events: lifecycle::parse(&life)
                        .map_err(|detail| StorageError::corrupt("report_records", "lifecycle", detail))?,
                    me_too: i64::from(me_too),
                    area_year: year,
                    gemeente_code: gemeente,
                    wijk_code: wijk,
                    buurt_code: buurt,
                    lat,
                    lon,
                });
            }
        }
    }
    Ok(out)
}

type ViewRow = (
    DbUuid,
    (Option<i32>, Option<String>, Option<String>, Option<String>, DbUuid, Option<DbUuid>),
    (String, DbTime, Option<DbTime>, String, i32),
);

/// A page of records with a stamp, as the roll-up sees them, after `after` in id order.
pub fn views_page(
    conn: &mut DbConnection,
    after: Option<Uuid>,
    page: i64,
) -> Result<Vec<(Uuid, StatsView)>, StorageError> {
    let mut query = report_records::table
        .filter(report_records::area_year.is_not_null())
        .filter(report_records::gemeente_code.is_not_null())
        .into_boxed();
    if let Some(last) = after {
        query = query.filter(report_records::id.gt(DbUuid(last)));
    }
    let rows: Vec<ViewRow> = query
        .order(report_records::id.asc())
        .limit(page)
        .select((
            report_records::id,
            (
                report_records::area_year,
                report_records::gemeente_code,
                report_records::wijk_code,
                report_records::buurt_code,
                report_records::category_id,
                report_records::department_id,
            ),
            (
                report_records::source,
                report_records::created_at,
                report_records::deadline_at,
                report_records::lifecycle,
                report_records::me_too,
            ),
        ))
        .load(conn)?;
    rows.into_iter()
        .map(
            |(
                id,
                (area_year, gemeente, wijk, buurt, category, department),
                (source, created, deadline, life, me_too),
            )| {
                Ok((
                    id.0,
                    StatsView {
                        area_year,
                        gemeente,
                        wijk,
                        buurt,
                        category: category.0,
                        department: department.map(|d| d.0),
                        source,
                        created: created.0.timestamp(),
                        deadline: deadline.map(|d| d.0.timestamp()),
                        events: lifecycle::parse(&life)
                            .map_err(|detail| StorageError::corrupt("report_records", "lifecycle", detail))?,
                        me_too: i64::from(me_too),
                        merged: false,
                    },
                ))
            },
        )
        .collect()
}
