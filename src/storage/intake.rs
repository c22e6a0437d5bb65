//! The SQL of report intake: storing a batch of new reports in one transaction (reports,
//! history, contacts, confirmation emails, idempotency claims) or one report alone, and
//! the SQLite writer connection's settings. The threads that batch requests are in
//! `crate::intake::writer`.
//!
//! Idempotency keys are claimed in the same transaction as the report. On PostgreSQL the
//! claim is `INSERT … ON CONFLICT DO NOTHING`, which waits for a concurrent claim of the
//! same key (another writer or process) and then sees it: two racing requests with one key
//! produce one report.

use std::collections::HashMap;
use std::time::Duration;

use chrono::Utc;
use diesel::prelude::*;
use diesel::result::{DatabaseErrorKind, Error as DieselError};
use uuid::Uuid;

use super::connection::{DbTime, DbUuid};
use super::duplicates::{Nearby, duplicate_window, nearby};
use super::rows::{ContactRow, IdempotencyRow, NewHistoryRow, ReportRow};
use super::schema::{idempotency_keys, report_history, reporter_contacts, reports};
use super::{Database, DbConnection, StorageError};
use crate::domain::report::ReportStatus;
use crate::domain::report::{NewReport, Report};
use crate::domain::report_event::body::{CreatedData, EventData};

/// A client's idempotency key with the fingerprint of the request that used it.
#[derive(Debug, Clone)]
pub struct IdempotencyClaim {
    /// The `Idempotency-Key` header value.
    pub key: String,
    /// SHA-256 of the canonical request body.
    pub request_hash: String,
}

/// What intake did with a report.
#[derive(Debug)]
pub enum IntakeOutcome {
    /// Stored as a new report, with the open reports of its category nearby (possible
    /// duplicates, nearest first), read in the transaction that stored it.
    Created(Box<Report>, Vec<Nearby>),
    /// The key was used before with the same request: this is the report it created.
    Replayed(Uuid),
    /// The key was used before with a different request.
    KeyReused,
}

/// WAL size (frames, i.e. pages) at which the writer runs its own automatic checkpoint:
/// four times SQLite's default, as the checkpointer has copied most of it by then.
const WAL_AUTOCHECKPOINT_FRAMES: u32 = 4096;

/// Copies the WAL frames committed so far into the SQLite file without waiting for (or
/// making wait) the writer; see [`crate::intake::writer`] for when it runs.
pub fn checkpoint_passive(conn: &mut DbConnection) -> Result<(), StorageError> {
    use diesel::connection::SimpleConnection as _;
    Ok(conn.batch_execute("PRAGMA wal_checkpoint(PASSIVE)")?)
}

/// The writer's own connection. On SQLite it gets a page cache of its own large enough for
/// the index pages intake touches (the default 2 MiB makes it read them back from the
/// file): the writer is the only connection that writes, so its cache stays valid between
/// batches. And it leaves checkpoints (copying the WAL into the database file) to the
/// checkpointer thread, so they no longer stall intake on the one writer's thread, except
/// the small one that lets the WAL start over (see `crate::intake::writer`); when the WAL
/// starts over, a file grown past 64 MiB is cut back to that.
pub fn writer_connection(db: &Database) -> Result<DbConnection, StorageError> {
    let mut conn = db.dedicated_connection()?;
    if let DbConnection::Sqlite(sqlite) = &mut conn {
        use diesel::connection::SimpleConnection as _;
        sqlite.batch_execute(&format!(
            "PRAGMA cache_size = -65536; PRAGMA wal_autocheckpoint = {WAL_AUTOCHECKPOINT_FRAMES}; \
             PRAGMA journal_size_limit = 67108864"
        ))?;
    }
    Ok(conn)
}

/// Stores one report in its own transaction, retrying deadlocks and serialisation
/// failures, and drawing a new reference when the random one is taken.
pub fn store_alone(
    conn: &mut DbConnection,
    mut report: NewReport,
    claim: Option<&IdempotencyClaim>,
) -> Result<IntakeOutcome, StorageError> {
    let mut attempt = 0;
    loop {
        attempt += 1;
        match conn.write_transaction(|c| store_one(c, &report, claim)) {
            Err(StorageError::Query(DieselError::DatabaseError(kind, info))) if attempt < 4 => match kind {
                DatabaseErrorKind::UniqueViolation
                    if info.message().contains("reference")
                        || info.constraint_name().is_some_and(|n| n.contains("reference")) =>
                {
                    report.reference = crate::domain::reference::new_reference();
                }
                DatabaseErrorKind::SerializationFailure => std::thread::sleep(Duration::from_millis(5 * attempt)),
                _ if info.message().contains("deadlock") => std::thread::sleep(Duration::from_millis(5 * attempt)),
                _ => return Err(StorageError::Query(DieselError::DatabaseError(kind, info))),
            },
            other => return other,
        }
    }
}

/// Whether an error means the connection is broken (the writer then opens a new one).
pub fn is_connection_error(error: &StorageError) -> bool {
    matches!(
        error,
        StorageError::Query(DieselError::DatabaseError(DatabaseErrorKind::ClosedConnection, _))
            | StorageError::Query(DieselError::BrokenTransactionManager)
    )
}

/// One report, inside the caller's transaction (the path of a failed batch's reports).
fn store_one(
    conn: &mut DbConnection,
    report: &NewReport,
    claim: Option<&IdempotencyClaim>,
) -> Result<IntakeOutcome, StorageError> {
    if let Some(claim) = claim {
        if let Some(outcome) = earlier_use(conn, claim)? {
            return Ok(outcome);
        }
        let row = idempotency_row(report, claim);
        let claimed = if let DbConnection::Postgresql(pg) = conn {
            diesel::insert_into(idempotency_keys::table).values(&row).on_conflict_do_nothing().execute(pg)?
        } else {
            diesel::insert_into(idempotency_keys::table).values(&row).execute(conn)?
        };
        if claimed == 0 {
            // A concurrent request claimed the key and has committed since.
            return earlier_use(conn, claim)?.ok_or_else(|| StorageError::Corrupt("idempotency key vanished".into()));
        }
    }
    insert_reports(conn, &[report])?;
    let nearby = nearby_of(conn, report, &mut HashMap::new())?;
    Ok(IntakeOutcome::Created(Box::new(Report::from(report.clone())), nearby))
}

/// The possible duplicates of a report just inserted (inside the writer's transaction,
/// whose page cache is warm, so a new report costs no extra round trip or connection).
/// `windows` caches the categories' duplicate radius and window for the batch.
fn nearby_of(
    conn: &mut DbConnection,
    report: &NewReport,
    windows: &mut HashMap<Uuid, (i32, i32)>,
) -> Result<Vec<Nearby>, StorageError> {
    let window = match windows.get(&report.category_id) {
        Some(window) => *window,
        None => {
            let window = duplicate_window(conn, report.category_id)?;
            windows.insert(report.category_id, window);
            window
        }
    };
    nearby(conn, report.id, report.category_id, report.location, window, report.created_at)
}

/// A whole batch with one statement per table, inside the caller's transaction. A key used
/// twice in one batch is claimed by its first report; the later ones see that claim, as
/// they would have in separate transactions. Any error (a reference taken, a key claimed
/// by a concurrent writer on PostgreSQL) fails the batch, whose reports are then stored one
/// by one.
pub fn store_many(
    conn: &mut DbConnection,
    batch: &[(&NewReport, Option<&IdempotencyClaim>)],
) -> Result<Vec<IntakeOutcome>, StorageError> {
    let keys: Vec<&str> = batch.iter().filter_map(|job| job.1.map(|c| c.key.as_str())).collect();
    let mut claimed: HashMap<String, (String, Uuid)> = HashMap::with_capacity(keys.len());
    if !keys.is_empty() {
        let earlier: Vec<IdempotencyRow> = idempotency_keys::table
            .filter(idempotency_keys::key.eq_any(&keys))
            .select(IdempotencyRow::as_select())
            .load(conn)?;
        for row in earlier {
            claimed.insert(row.key, (row.request_hash, row.report_id.0));
        }
    }
    let mut outcomes = Vec::with_capacity(batch.len());
    let mut new_reports = Vec::with_capacity(batch.len());
    let mut new_claims = Vec::with_capacity(keys.len());
    for &(report, claim) in batch {
        if let Some(claim) = claim {
            if let Some((hash, id)) = claimed.get(&claim.key) {
                outcomes.push(if *hash == claim.request_hash {
                    IntakeOutcome::Replayed(*id)
                } else {
                    IntakeOutcome::KeyReused
                });
                continue;
            }
            claimed.insert(claim.key.clone(), (claim.request_hash.clone(), report.id));
            new_claims.push(idempotency_row(report, claim));
        }
        new_reports.push(report);
        outcomes.push(IntakeOutcome::Created(Box::new(Report::from(report.clone())), Vec::new()));
    }
    if !new_claims.is_empty() {
        let inserted = if let DbConnection::Postgresql(pg) = conn {
            diesel::insert_into(idempotency_keys::table).values(&new_claims).on_conflict_do_nothing().execute(pg)?
        } else {
            insert_rows!(conn, idempotency_keys::table, &new_claims)?
        };
        if inserted < new_claims.len() {
            // Another writer claimed one of the keys meanwhile; one by one sorts it out.
            return Err(StorageError::Contended);
        }
    }
    insert_reports(conn, &new_reports)?;
    // The created outcomes are in the order of `new_reports`.
    let mut windows = HashMap::new();
    let mut stored = new_reports.iter();
    for outcome in &mut outcomes {
        if let IntakeOutcome::Created(_, nearby) = outcome
            && let Some(report) = stored.next()
        {
            *nearby = nearby_of(conn, report, &mut windows)?;
        }
    }
    Ok(outcomes)
}

/// The rows of new reports (report, history, contact, confirmation email), one statement
/// per table, inside the caller's transaction.
fn insert_reports(conn: &mut DbConnection, new: &[&NewReport]) -> Result<(), StorageError> {
    if new.is_empty() {
        return Ok(());
    }
    let reports: Vec<ReportRow> = new.iter().map(|report| ReportRow::new(report)).collect();
    insert_rows!(conn, reports::table, &reports)?;
    super::rollup::on_intake(conn, new)?;
    let history: Vec<NewHistoryRow> = new
        .iter()
        .map(|report| NewHistoryRow {
            report_id: DbUuid(report.id),
            at: DbTime::new(report.created_at),
            actor: match report.source {
                crate::domain::report::ReportSource::Open311 => "open311".into(),
                _ => "reporter".into(),
            },
            action: "created".into(),
            details: serde_json::json!({
                "status": "new",
                "source": report.source.as_str(),
                "category_id": report.category_id,
                "department_id": report.department_id,
            })
            .to_string(),
        })
        .collect();
    insert_rows!(conn, report_history::table, &history)?;
    // The `report.created` events (and their deliveries) in the same transaction.
    let events: Vec<super::report_events::NewEvent> = new
        .iter()
        .map(|report| {
            let data = CreatedData { status: ReportStatus::New, source: report.source };
            super::report_events::NewEvent::new(report.id, &EventData::Created(data))
        })
        .collect();
    super::report_events::record_many(conn, &events)?;
    let now = DbTime::new(Utc::now());
    let contacts: Vec<ContactRow> = new
        .iter()
        .filter_map(|report| {
            report.reporter.as_ref().map(|contact| ContactRow {
                report_id: DbUuid(report.id),
                email: contact.email.clone(),
                phone: contact.phone.clone(),
                name: contact.name.clone(),
                consent_to_contact: contact.consent_to_contact,
                created_at: now,
                language: report.language.as_str().to_owned(),
            })
        })
        .collect();
    if !contacts.is_empty() {
        insert_rows!(conn, reporter_contacts::table, &contacts)?;
        // The confirmation emails are queued in the same transaction as the reports.
        super::outbox::on_intake(conn, new)?;
    }
    Ok(())
}

fn idempotency_row(report: &NewReport, claim: &IdempotencyClaim) -> IdempotencyRow {
    IdempotencyRow {
        key: claim.key.clone(),
        request_hash: claim.request_hash.clone(),
        report_id: DbUuid(report.id),
        created_at: DbTime::new(report.created_at),
    }
}

fn earlier_use(conn: &mut DbConnection, claim: &IdempotencyClaim) -> Result<Option<IntakeOutcome>, StorageError> {
    let earlier =
        idempotency_keys::table.find(&claim.key).select(IdempotencyRow::as_select()).first(conn).optional()?;
    Ok(earlier.map(|row| {
        if row.request_hash == claim.request_hash {
            IntakeOutcome::Replayed(row.report_id.0)
        } else {
            IntakeOutcome::KeyReused
        }
    }))
}
