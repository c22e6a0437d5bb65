//! The monthly roll-up of the statistics (`stats_months`, see `domain::stats::rollup`):
//! written in the transaction of every change to a report as the difference between what
//! the report added before and what it adds after, read by monthly, quarterly and yearly
//! statistics, and rebuilt from the reports (and the anonymous records of reports deleted
//! by retention, which leaves the roll-up as it is) when it is new (`ensure_built`) or on
//! demand.
//!
//! Counts are added by `INSERT … ON CONFLICT … DO UPDATE SET n = n + excluded.n`, one
//! statement per batch of cells, so concurrent writers never lose an update; a change that
//! moves resolution times then rewrites those cells' `resolution_seconds` (the upsert has
//! locked the row). Cells are written in key order, so two writers cannot deadlock.

use std::collections::{BTreeMap, HashMap};

use chrono::Utc;
use diesel::prelude::*;
use diesel::upsert::excluded;
use uuid::Uuid;

use super::connection::{DbTime, DbUuid};
use super::schema::{reports, stats_months, stats_rollup_state};
use super::{DbConnection, ROWS_PER_STATEMENT, StorageError};
use crate::domain::report::NewReport;
use crate::domain::stats::lifecycle;
use crate::domain::stats::rollup::{self, CellDelta, CellKey, CellSums, StatsView};

mod cells;
mod pg;
pub use cells::{CellSelection, cells};

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = stats_months)]
#[diesel(treat_none_as_default_value = false)]
struct CellRow {
    gemeente_code: String,
    area_year: i32,
    month: i32,
    wijk_code: String,
    buurt_code: String,
    category_id: DbUuid,
    department_id: DbUuid,
    source: String,
    received: i32,
    me_too: i32,
    resolved: i32,
    cancelled: i32,
    reopened: i32,
    with_deadline: i32,
    on_time: i32,
    late_factor_3: i32,
    open_change: i32,
    resolution_seconds: String,
}

fn narrow(value: i64) -> i32 {
    i32::try_from(value).unwrap_or(if value < 0 { i32::MIN } else { i32::MAX })
}

impl CellRow {
    fn new(key: &CellKey, sums: &CellSums) -> Self {
        CellRow {
            gemeente_code: key.gemeente.clone(),
            area_year: key.area_year,
            month: key.month,
            wijk_code: key.wijk.clone(),
            buurt_code: key.buurt.clone(),
            category_id: DbUuid(key.category),
            department_id: DbUuid(key.department),
            source: key.source.clone(),
            received: narrow(sums.received),
            me_too: narrow(sums.me_too),
            resolved: narrow(sums.resolved),
            cancelled: narrow(sums.cancelled),
            reopened: narrow(sums.reopened),
            with_deadline: narrow(sums.with_deadline),
            on_time: narrow(sums.on_time),
            late_factor_3: narrow(sums.late_factor_3),
            open_change: narrow(sums.open_change),
            resolution_seconds: rollup::encode_seconds(&sums.resolution_seconds),
        }
    }

    /// The counts, in the order of `pg::COUNTS`.
    fn counts(&self) -> [i32; 9] {
        [
            self.received,
            self.me_too,
            self.resolved,
            self.cancelled,
            self.reopened,
            self.with_deadline,
            self.on_time,
            self.late_factor_3,
            self.open_change,
        ]
    }
}

type ViewRow = (
    Option<i32>,
    Option<String>,
    Option<String>,
    Option<String>,
    DbUuid,
    Option<DbUuid>,
    String,
    DbTime,
    Option<DbTime>,
    String,
    i32,
    Option<DbUuid>,
);

macro_rules! view_columns {
    () => {
        (
            reports::area_year,
            reports::gemeente_code,
            reports::wijk_code,
            reports::buurt_code,
            reports::category_id,
            reports::department_id,
            reports::source,
            reports::created_at,
            reports::deadline_at,
            reports::lifecycle,
            reports::me_too,
            reports::merged_into_id,
        )
    };
}

fn to_view(row: ViewRow) -> Result<StatsView, StorageError> {
    let (area_year, gemeente, wijk, buurt, category, department, source, created, deadline, life, me_too, merged) = row;
    Ok(StatsView {
        area_year,
        gemeente,
        wijk,
        buurt,
        category: category.0,
        department: department.map(|d| d.0),
        source,
        created: created.0.timestamp(),
        deadline: deadline.map(|d| d.0.timestamp()),
        events: lifecycle::parse(&life).map_err(|detail| StorageError::corrupt("reports", "lifecycle", detail))?,
        me_too: i64::from(me_too),
        merged: merged.is_some(),
    })
}

/// What the roll-up sees of report `id` now (`None`: there is no such report).
pub fn view(conn: &mut DbConnection, id: Uuid) -> Result<Option<StatsView>, StorageError> {
    let row: Option<ViewRow> = reports::table.find(DbUuid(id)).select(view_columns!()).first(conn).optional()?;
    row.map(to_view).transpose()
}

/// Applies the change of report `id` from `before` (read with [`view`] before the change,
/// inside the same transaction) to what it is now.
pub fn refresh(conn: &mut DbConnection, id: Uuid, before: Option<StatsView>) -> Result<(), StorageError> {
    let after = view(conn, id)?;
    apply(conn, &rollup::difference(before.as_ref(), after.as_ref()))
}

/// Adds new reports (inside the intake's transaction).
pub fn on_intake(conn: &mut DbConnection, new: &[&NewReport]) -> Result<(), StorageError> {
    // A new report adds one "received" and an open interval: counts only, one upsert.
    let mut total = BTreeMap::new();
    for report in new {
        let view = StatsView {
            area_year: report.area.as_ref().map(|a| a.year),
            gemeente: report.area.as_ref().map(|a| a.gemeente_code.clone()),
            wijk: report.area.as_ref().and_then(|a| a.wijk_code.clone()),
            buurt: report.area.as_ref().and_then(|a| a.buurt_code.clone()),
            category: report.category_id,
            department: report.department_id,
            source: report.source.as_str().to_owned(),
            created: DbTime::new(report.created_at).0.timestamp(),
            deadline: report.deadline_at.map(|d| DbTime::new(d).0.timestamp()),
            events: Vec::new(),
            me_too: 0,
            merged: false,
        };
        rollup::merge_into(&mut total, rollup::difference(None, Some(&view)));
    }
    apply(conn, &total)
}

/// Adds reports written with their whole history (the import), by their ids.
pub fn on_insert(conn: &mut DbConnection, ids: &[Uuid]) -> Result<(), StorageError> {
    let mut total = BTreeMap::new();
    for chunk in ids.chunks(ROWS_PER_STATEMENT) {
        let rows: Vec<ViewRow> = reports::table
            .filter(reports::id.eq_any(chunk.iter().copied().map(DbUuid)))
            .select(view_columns!())
            .load(conn)?;
        for row in rows {
            rollup::merge_into(&mut total, rollup::difference(None, Some(&to_view(row)?)));
        }
    }
    apply(conn, &total)
}

fn pk(key: &CellKey) -> (String, i32, i32, String, String, DbUuid, DbUuid, String) {
    (
        key.gemeente.clone(),
        key.area_year,
        key.month,
        key.wijk.clone(),
        key.buurt.clone(),
        DbUuid(key.category),
        DbUuid(key.department),
        key.source.clone(),
    )
}

/// Applies per-cell changes (inside the caller's write transaction).
pub fn apply(conn: &mut DbConnection, deltas: &BTreeMap<CellKey, CellDelta>) -> Result<(), StorageError> {
    if deltas.is_empty() {
        return Ok(());
    }
    let rows: Vec<CellRow> = deltas.iter().map(|(key, delta)| CellRow::new(key, &delta.counts)).collect();
    add_counts(conn, &rows)?;
    let mut lowered = Vec::new();
    for (key, delta) in deltas {
        if !delta.counts_only() {
            let stored: String =
                stats_months::table.find(pk(key)).select(stats_months::resolution_seconds).first(conn)?;
            let mut sums = CellSums {
                resolution_seconds: rollup::parse_seconds(&stored)
                    .map_err(|detail| StorageError::corrupt("stats_months", "resolution_seconds", detail))?,
                ..CellSums::default()
            };
            CellDelta { counts: CellSums::default(), ..delta.clone() }.apply_to(&mut sums);
            diesel::update(stats_months::table.find(pk(key)))
                .set(stats_months::resolution_seconds.eq(rollup::encode_seconds(&sums.resolution_seconds)))
                .execute(conn)?;
        }
        if !delta.remove_seconds.is_empty() || has_negative(&delta.counts) {
            lowered.push(key);
        }
    }
    // A cell a change emptied is removed, so moved histories leave no zero rows behind.
    for key in lowered {
        use stats_months::dsl as m;
        diesel::delete(m::stats_months.find(pk(key)))
            .filter(m::received.eq(0))
            .filter(m::me_too.eq(0))
            .filter(m::resolved.eq(0))
            .filter(m::cancelled.eq(0))
            .filter(m::reopened.eq(0))
            .filter(m::with_deadline.eq(0))
            .filter(m::on_time.eq(0))
            .filter(m::late_factor_3.eq(0))
            .filter(m::open_change.eq(0))
            .filter(m::resolution_seconds.eq(""))
            .execute(conn)?;
    }
    Ok(())
}

fn has_negative(c: &CellSums) -> bool {
    [
        c.received,
        c.me_too,
        c.resolved,
        c.cancelled,
        c.reopened,
        c.with_deadline,
        c.on_time,
        c.late_factor_3,
        c.open_change,
    ]
    .iter()
    .any(|n| *n < 0)
}

/// `INSERT … ON CONFLICT DO UPDATE` adding the counts (a new cell starts with them; the
/// rows carry no resolution seconds: `apply` writes those after).
fn add_counts(conn: &mut DbConnection, rows: &[CellRow]) -> Result<(), StorageError> {
    use stats_months::dsl as m;
    for chunk in rows.chunks(ROWS_PER_STATEMENT) {
        match conn {
            DbConnection::Postgresql(c) => {
                pg::AddCounts::new(chunk).execute(c)?;
            }
            DbConnection::Sqlite(c) => {
                diesel::insert_into(m::stats_months)
                    .values(chunk)
                    .on_conflict((
                        m::gemeente_code,
                        m::area_year,
                        m::month,
                        m::wijk_code,
                        m::buurt_code,
                        m::category_id,
                        m::department_id,
                        m::source,
                    ))
                    .do_update()
                    .set((
                        m::received.eq(m::received + excluded(m::received)),
                        m::me_too.eq(m::me_too + excluded(m::me_too)),
                        m::resolved.eq(m::resolved + excluded(m::resolved)),
                        m::cancelled.eq(m::cancelled + excluded(m::cancelled)),
                        m::reopened.eq(m::reopened + excluded(m::reopened)),
                        m::with_deadline.eq(m::with_deadline + excluded(m::with_deadline)),
                        m::on_time.eq(m::on_time + excluded(m::on_time)),
                        m::late_factor_3.eq(m::late_factor_3 + excluded(m::late_factor_3)),
                        m::open_change.eq(m::open_change + excluded(m::open_change)),
                    ))
                    .execute(c)?;
            }
        }
    }
    Ok(())
}

/// Whether the roll-up has been filled from the reports.
pub fn is_built(conn: &mut DbConnection) -> Result<bool, StorageError> {
    Ok(stats_rollup_state::table.count().get_result::<i64>(conn)? > 0)
}

/// Fills the roll-up from the reports if it has not been (the first start after the
/// migration that made it); the number of reports read when it did.
pub fn ensure_built(conn: &mut DbConnection) -> Result<Option<i64>, StorageError> {
    if is_built(conn)? {
        return Ok(None);
    }
    rebuild(conn).map(Some)
}

/// Empties the roll-up and fills it again from the reports, in one write transaction
/// (changes wait for it); the number of reports read.
pub fn rebuild(conn: &mut DbConnection) -> Result<i64, StorageError> {
    conn.write_transaction(|conn| {
        if let DbConnection::Postgresql(pg) = conn {
            // Writers of the roll-up wait; a second process rebuilding waits, then redoes it.
            diesel::sql_query("LOCK TABLE stats_months IN EXCLUSIVE MODE").execute(pg)?;
        }
        diesel::delete(stats_months::table).execute(conn)?;
        let mut totals: HashMap<CellKey, CellSums> = HashMap::new();
        let mut read = 0i64;
        let mut after: Option<DbUuid> = None;
        const PAGE: i64 = 20_000;
        loop {
            let mut query = reports::table
                .filter(reports::area_year.is_not_null())
                .filter(reports::gemeente_code.is_not_null())
                .filter(reports::merged_into_id.is_null())
                .into_boxed();
            if let Some(last) = after {
                query = query.filter(reports::id.gt(last));
            }
            let page: Vec<(DbUuid, ViewRow)> =
                query.order(reports::id.asc()).limit(PAGE).select((reports::id, view_columns!())).load(conn)?;
            let Some((last, _)) = page.last() else { break };
            after = Some(*last);
            let full = i64::try_from(page.len()).unwrap_or(PAGE) == PAGE;
            for (_, row) in page {
                read += 1;
                for (key, sums) in rollup::contributions(&to_view(row)?) {
                    let total = totals.entry(key).or_default();
                    rollup::merge_sums(total, sums);
                }
            }
            if !full {
                break;
            }
        }
        // Reports deleted by retention count through their anonymous records.
        let mut after: Option<Uuid> = None;
        loop {
            let page = super::retention::records::views_page(conn, after, PAGE)?;
            let Some((last, _)) = page.last() else { break };
            after = Some(*last);
            let full = i64::try_from(page.len()).unwrap_or(PAGE) == PAGE;
            for (_, view) in page {
                read += 1;
                for (key, sums) in rollup::contributions(&view) {
                    let total = totals.entry(key).or_default();
                    rollup::merge_sums(total, sums);
                }
            }
            if !full {
                break;
            }
        }
        let mut cells: Vec<(CellKey, CellSums)> = totals.into_iter().collect();
        cells.sort_by(|a, b| a.0.cmp(&b.0));
        for (_, sums) in &mut cells {
            sums.resolution_seconds.sort_unstable();
        }
        let rows: Vec<CellRow> = cells.iter().map(|(key, sums)| CellRow::new(key, sums)).collect();
        super::insert_rows!(conn, stats_months::table, &rows)?;
        diesel::delete(stats_rollup_state::table).execute(conn)?;
        diesel::insert_into(stats_rollup_state::table)
            .values((
                stats_rollup_state::id.eq(1),
                stats_rollup_state::built_at.eq(DbTime::new(Utc::now())),
                stats_rollup_state::reports.eq(read),
            ))
            .execute(conn)?;
        Ok(read)
    })
}
