//! Who runs the retention job, and what each run did.
//!
//! One process at a time holds the lease (`retention_lease`, one row on both backends): it
//! takes it with a conditional update that succeeds only when the lease is free, expired
//! or its own, renews it after every batch and gives it up at the end. A process that dies
//! holding it blocks the job until the lease expires (minutes); the next run then finds the
//! work that is left. Taking the lease marks runs left `running` by such a process as
//! `interrupted`.
//!
//! Every run is logged in `retention_runs` as counts, never as personal data, and its
//! counts are written after every batch, so a stopped run shows how far it came.

use chrono::{DateTime, Duration, Utc};
use diesel::prelude::*;

use super::super::connection::DbTime;
use super::super::schema::{retention_lease, retention_runs};
use super::super::{DbConnection, StorageError};
use crate::domain::retention::RunCounts;

/// Takes (or renews) the lease for `holder` until `now + ttl`; whether it got it.
pub fn take_lease(
    conn: &mut DbConnection,
    holder: &str,
    now: DateTime<Utc>,
    ttl: Duration,
) -> Result<bool, StorageError> {
    conn.write_transaction(|c| {
        let taken = diesel::update(
            retention_lease::table
                .find(1)
                .filter(retention_lease::expires_at.lt(DbTime::new(now)).or(retention_lease::holder.eq(holder))),
        )
        .set((retention_lease::holder.eq(holder), retention_lease::expires_at.eq(DbTime::new(now + ttl))))
        .execute(c)?;
        if taken == 1 {
            diesel::update(retention_runs::table.filter(retention_runs::outcome.eq("running")))
                .filter(retention_runs::finished_at.is_null())
                .set(retention_runs::outcome.eq("interrupted"))
                .execute(c)?;
        }
        Ok(taken == 1)
    })
}

/// Renews the lease of `holder`; false when it was lost (expired and taken by another).
pub fn renew_lease(
    conn: &mut DbConnection,
    holder: &str,
    now: DateTime<Utc>,
    ttl: Duration,
) -> Result<bool, StorageError> {
    let renewed = diesel::update(retention_lease::table.find(1).filter(retention_lease::holder.eq(holder)))
        .set(retention_lease::expires_at.eq(DbTime::new(now + ttl)))
        .execute(conn)?;
    Ok(renewed == 1)
}

/// Gives the lease up.
pub fn release_lease(conn: &mut DbConnection, holder: &str) -> Result<(), StorageError> {
    diesel::update(retention_lease::table.find(1).filter(retention_lease::holder.eq(holder)))
        .set(retention_lease::expires_at.eq(DbTime::new(DateTime::<Utc>::UNIX_EPOCH)))
        .execute(conn)?;
    Ok(())
}

/// A logged run.
#[derive(Debug, Clone, PartialEq)]
pub struct RunLog {
    pub id: i64,
    pub started_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
    /// `schedule` (the daily run) or `command` (`meldpunt retention run`).
    pub trigger: String,
    /// `running`, `finished`, `stopped` (asked to stop, or its batch limit reached),
    /// `failed` or `interrupted` (its process died).
    pub outcome: String,
    pub counts: RunCounts,
}

type RunRow = (i64, DbTime, Option<DbTime>, String, String, (i64, i64, i64, i64, i64, i64, i64, i64, i64));

macro_rules! run_columns {
    () => {
        (
            retention_runs::id,
            retention_runs::started_at,
            retention_runs::finished_at,
            retention_runs::trigger,
            retention_runs::outcome,
            (
                retention_runs::anonymised_reports,
                retention_runs::deleted_photos,
                retention_runs::deleted_resolved_reports,
                retention_runs::deleted_cancelled_reports,
                retention_runs::erased_outbox_messages,
                retention_runs::purged_subscriptions,
                retention_runs::purged_audit_entries,
                retention_runs::removed_tokens,
                retention_runs::purged_supporter_addresses,
            ),
        )
    };
}

fn to_log((id, started, finished, trigger, outcome, c): RunRow) -> RunLog {
    RunLog {
        id,
        started_at: started.0,
        finished_at: finished.map(|f| f.0),
        trigger,
        outcome,
        counts: RunCounts {
            anonymised_reports: c.0,
            deleted_photos: c.1,
            deleted_resolved_reports: c.2,
            deleted_cancelled_reports: c.3,
            erased_outbox_messages: c.4,
            purged_subscriptions: c.5,
            purged_audit_entries: c.6,
            removed_tokens: c.7,
            purged_supporter_addresses: c.8,
        },
    }
}

/// Logs the start of a run; its id.
pub fn start_run(conn: &mut DbConnection, trigger: &str, now: DateTime<Utc>) -> Result<i64, StorageError> {
    let ids: Vec<i64> = diesel::insert_into(retention_runs::table)
        .values((
            retention_runs::started_at.eq(DbTime::new(now)),
            retention_runs::trigger.eq(trigger),
            retention_runs::outcome.eq("running"),
        ))
        .returning(retention_runs::id)
        .get_results(conn)?;
    ids.first().copied().ok_or_else(|| StorageError::corrupt("retention_runs", "id", "no id returned"))
}

/// Writes a run's counts so far, and its outcome when it has ended.
pub fn record_run(
    conn: &mut DbConnection,
    id: i64,
    counts: &RunCounts,
    ended: Option<(&str, DateTime<Utc>)>,
) -> Result<(), StorageError> {
    let c = counts;
    diesel::update(retention_runs::table.find(id))
        .set((
            retention_runs::anonymised_reports.eq(c.anonymised_reports),
            retention_runs::deleted_photos.eq(c.deleted_photos),
            retention_runs::deleted_resolved_reports.eq(c.deleted_resolved_reports),
            retention_runs::deleted_cancelled_reports.eq(c.deleted_cancelled_reports),
            retention_runs::erased_outbox_messages.eq(c.erased_outbox_messages),
            retention_runs::purged_subscriptions.eq(c.purged_subscriptions),
            retention_runs::purged_audit_entries.eq(c.purged_audit_entries),
            retention_runs::removed_tokens.eq(c.removed_tokens),
            retention_runs::purged_supporter_addresses.eq(c.purged_supporter_addresses),
        ))
        .execute(conn)?;
    if let Some((outcome, at)) = ended {
        diesel::update(retention_runs::table.find(id))
            .set((retention_runs::outcome.eq(outcome), retention_runs::finished_at.eq(Some(DbTime::new(at)))))
            .execute(conn)?;
    }
    Ok(())
}

/// The latest runs, newest first.
pub fn latest(conn: &mut DbConnection, limit: i64) -> Result<Vec<RunLog>, StorageError> {
    let rows: Vec<RunRow> =
        retention_runs::table.order(retention_runs::id.desc()).limit(limit).select(run_columns!()).load(conn)?;
    Ok(rows.into_iter().map(to_log).collect())
}

/// The latest run that finished (for the metrics' last success).
pub fn last_finished(conn: &mut DbConnection) -> Result<Option<RunLog>, StorageError> {
    let row: Option<RunRow> = retention_runs::table
        .filter(retention_runs::outcome.eq("finished"))
        .order(retention_runs::id.desc())
        .select(run_columns!())
        .first(conn)
        .optional()?;
    Ok(row.map(to_log))
}

/// Whether a daily run started at or after `since` and ended (finished, stopped or
/// failed: a failed run waits for the next day rather than failing every minute).
pub fn scheduled_run_since(conn: &mut DbConnection, since: DateTime<Utc>) -> Result<bool, StorageError> {
    let n: i64 = retention_runs::table
        .filter(retention_runs::trigger.eq("schedule"))
        .filter(retention_runs::started_at.ge(DbTime::new(since)))
        .filter(retention_runs::outcome.ne("interrupted"))
        .filter(retention_runs::outcome.ne("running"))
        .count()
        .get_result(conn)?;
    Ok(n > 0)
}

/// After a run on SQLite: copies the write-ahead log into the database file and truncates
/// it, so the old versions of erased rows do not linger in the log file. Best effort: a
/// busy database keeps its log until its next checkpoint.
pub fn truncate_log(conn: &mut DbConnection) -> Result<(), StorageError> {
    #[derive(diesel::QueryableByName)]
    struct Checkpoint {
        #[diesel(sql_type = diesel::sql_types::Integer)]
        busy: i32,
    }
    if let DbConnection::Sqlite(sqlite) = conn {
        // A reader that started before the erasure keeps the checkpoint from finishing
        // (`busy` = 1, not an error); readers are short, so it is tried a few times.
        for attempt in 0..TRUNCATE_ATTEMPTS {
            let rows: Vec<Checkpoint> = diesel::sql_query("PRAGMA wal_checkpoint(TRUNCATE)").load(sqlite)?;
            if rows.iter().all(|row| row.busy == 0) {
                break;
            }
            if attempt + 1 < TRUNCATE_ATTEMPTS {
                std::thread::sleep(std::time::Duration::from_millis(50));
            }
        }
    }
    Ok(())
}

/// How often [`truncate_log`] tries while readers hold the log (50 ms apart).
const TRUNCATE_ATTEMPTS: u32 = 3;

/// After an erasure on request: [`truncate_log`], so that what was erased is gone from the
/// files at once (`secure_delete` clears the database file's pages; the log holds old
/// versions of them until it is truncated). A failure is logged and left to the next
/// checkpoint.
pub fn forget_old_versions(conn: &mut DbConnection) {
    if let Err(error) = truncate_log(conn) {
        tracing::debug!(%error, "the write-ahead log is truncated at its next checkpoint");
    }
}
