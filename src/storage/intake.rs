//! Durable report intake with group commit.
//!
//! Requests hand their validated report to a small pool of writer threads over a channel.
//! A writer takes whatever reports are waiting (up to a batch limit) and stores them in
//! one transaction, so one disk sync covers many reports; each request is answered only
//! after that commit, so a `201` always means durable. If a batch fails, its reports are
//! retried one by one, so one bad report never takes others down with it.
//!
//! Idempotency keys are claimed in the same transaction as the report. On PostgreSQL the
//! claim is `INSERT … ON CONFLICT DO NOTHING`, which waits for a concurrent claim of the
//! same key (another writer or process) and then sees it: two racing requests with one key
//! produce one report.

use std::collections::HashMap;
use std::time::Duration;

use chrono::Utc;
use crossbeam_channel::{Receiver, Sender, TrySendError};
use diesel::prelude::*;
use diesel::result::{DatabaseErrorKind, Error as DieselError};
use tokio::sync::oneshot;
use uuid::Uuid;

use super::connection::{DbTime, DbUuid};
use super::duplicates::{Nearby, duplicate_window, nearby};
use super::rows::{ContactRow, IdempotencyRow, NewHistoryRow, ReportRow};
use super::schema::{idempotency_keys, report_history, reporter_contacts, reports};
use super::{Database, DbConnection, StorageError};
use crate::domain::report::{NewReport, Report};

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

/// Why a report could not be handed to intake.
#[derive(Debug, thiserror::Error)]
pub enum SubmitError {
    /// The queue is full: the server is overloaded; the client should retry later.
    #[error("intake queue is full")]
    Overloaded,
    /// Storing failed.
    #[error(transparent)]
    Storage(#[from] StorageError),
}

struct Job {
    report: NewReport,
    claim: Option<IdempotencyClaim>,
    reply: oneshot::Sender<Result<IntakeOutcome, StorageError>>,
}

/// Settings of the intake writers.
#[derive(Debug, Clone, Copy)]
pub struct IntakeSettings {
    /// Writer threads (1 is right for SQLite, which has one writer anyway).
    pub writers: usize,
    /// Most reports in one transaction.
    pub max_batch: usize,
    /// Most reports waiting; beyond that intake answers 503.
    pub queue_capacity: usize,
}

/// The handle requests use to store new reports.
#[derive(Clone)]
pub struct IntakeWriter {
    sender: Sender<Job>,
}

impl IntakeWriter {
    /// Starts the writer threads. They stop when every handle is dropped.
    pub fn start(db: &Database, settings: IntakeSettings) -> std::io::Result<Self> {
        let (sender, receiver) = crossbeam_channel::bounded(settings.queue_capacity.max(1));
        // The checkpointer runs while any writer does: each holds a sender of `alive`.
        let (alive, writers_gone) = crossbeam_channel::bounded::<()>(0);
        for index in 0..settings.writers.max(1) {
            let db = db.clone();
            let receiver = receiver.clone();
            let max_batch = settings.max_batch.max(1);
            let alive = alive.clone();
            std::thread::Builder::new().name(format!("intake-writer-{index}")).spawn(move || {
                run_writer(&db, &receiver, max_batch);
                drop(alive);
            })?;
        }
        drop(alive);
        if db.backend() == super::BackendKind::Sqlite {
            let db = db.clone();
            std::thread::Builder::new()
                .name("wal-checkpoint".into())
                .spawn(move || run_checkpointer(&db, &writers_gone))?;
        }
        Ok(IntakeWriter { sender })
    }

    /// Stores `report` (claiming `claim` with it) and waits for the commit.
    pub async fn submit(
        &self,
        report: NewReport,
        claim: Option<IdempotencyClaim>,
    ) -> Result<IntakeOutcome, SubmitError> {
        let (reply, answer) = oneshot::channel();
        match self.sender.try_send(Job { report, claim, reply }) {
            Ok(()) => {}
            Err(TrySendError::Full(_)) => return Err(SubmitError::Overloaded),
            Err(TrySendError::Disconnected(_)) => return Err(StorageError::WriterGone.into()),
        }
        Ok(answer.await.map_err(|_| StorageError::WriterGone)??)
    }
}

fn run_writer(db: &Database, receiver: &Receiver<Job>, max_batch: usize) {
    let mut conn: Option<DbConnection> = None;
    while let Ok(first) = receiver.recv() {
        let mut batch = Vec::with_capacity(max_batch.min(64));
        batch.push(first);
        while batch.len() < max_batch {
            match receiver.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        let connection = match conn.take() {
            Some(c) => Ok(c),
            None => writer_connection(db),
        };
        match connection {
            Ok(mut c) => {
                if store_batch(&mut c, batch) {
                    conn = Some(c);
                }
            }
            Err(error) => {
                tracing::error!(%error, "intake writer has no database connection");
                for job in batch {
                    let _ = job.reply.send(Err(StorageError::Setup("the database is unreachable".into())));
                }
                std::thread::sleep(Duration::from_millis(100));
            }
        }
    }
}

/// The writer's own connection. On SQLite it gets a page cache of its own large enough for
/// the index pages intake touches (the default 2 MiB makes it read them back from the
/// file): the writer is the only connection that writes, so its cache stays valid between
/// batches. And it leaves checkpoints (copying the WAL into the database file) to the
/// checkpointer thread, so they no longer stall intake on the one writer's thread, except
/// the small one that lets the WAL start over (see [`run_checkpointer`]); when the WAL
/// starts over, a file grown past 64 MiB is cut back to that.
fn writer_connection(db: &Database) -> Result<DbConnection, StorageError> {
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

/// WAL size (frames, i.e. pages) at which the writer runs its own automatic checkpoint:
/// four times SQLite's default, as the checkpointer has copied most of it by then.
const WAL_AUTOCHECKPOINT_FRAMES: u32 = 4096;

/// How often the checkpointer copies committed WAL frames into the SQLite file.
const CHECKPOINT_EVERY: Duration = Duration::from_millis(25);

/// Runs passive checkpoints on a connection of its own until every writer has stopped. A
/// passive checkpoint never waits for the writer (nor makes it wait), and copies the frames
/// committed so far. Under steady intake the writer commits again before such a checkpoint
/// ends, so the WAL could never start over; that is left to the writer's own automatic
/// checkpoint at [`WAL_AUTOCHECKPOINT_FRAMES`], which then has only the last few frames
/// to copy, and after which its next transaction writes the WAL from the beginning.
fn run_checkpointer(db: &Database, writers_gone: &Receiver<()>) {
    use diesel::connection::SimpleConnection as _;
    let mut conn: Option<DbConnection> = None;
    while let Err(crossbeam_channel::RecvTimeoutError::Timeout) = writers_gone.recv_timeout(CHECKPOINT_EVERY) {
        let mut c = match conn.take() {
            Some(c) => c,
            None => match db.dedicated_connection() {
                Ok(c) => c,
                Err(error) => {
                    tracing::warn!(%error, "the WAL checkpointer has no database connection");
                    continue;
                }
            },
        };
        match c.batch_execute("PRAGMA wal_checkpoint(PASSIVE)") {
            Ok(()) => conn = Some(c),
            Err(error) => tracing::warn!(%error, "WAL checkpoint failed"),
        }
    }
}

/// Stores a batch and answers its jobs. Returns whether the connection is still healthy.
fn store_batch(conn: &mut DbConnection, batch: Vec<Job>) -> bool {
    let together = conn.write_transaction(|c| store_many(c, &batch));
    match together {
        Ok(outcomes) => {
            tracing::debug!(reports = outcomes.len(), "intake batch committed");
            for (job, outcome) in batch.into_iter().zip(outcomes) {
                let _ = job.reply.send(Ok(outcome));
            }
            true
        }
        Err(error) => {
            tracing::warn!(%error, reports = batch.len(), "intake batch failed; storing its reports one by one");
            let mut healthy = true;
            for job in batch {
                let result = store_alone(conn, job.report, job.claim.as_ref());
                if let Err(error) = &result {
                    tracing::error!(%error, "report intake failed");
                    healthy = !is_connection_error(error);
                }
                let _ = job.reply.send(result);
            }
            healthy
        }
    }
}

/// Stores one report in its own transaction, retrying deadlocks and serialisation
/// failures, and drawing a new reference when the random one is taken.
fn store_alone(
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

fn is_connection_error(error: &StorageError) -> bool {
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
fn store_many(conn: &mut DbConnection, batch: &[Job]) -> Result<Vec<IntakeOutcome>, StorageError> {
    let keys: Vec<&str> = batch.iter().filter_map(|job| job.claim.as_ref().map(|c| c.key.as_str())).collect();
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
    for job in batch {
        if let Some(claim) = &job.claim {
            if let Some((hash, id)) = claimed.get(&claim.key) {
                outcomes.push(if *hash == claim.request_hash {
                    IntakeOutcome::Replayed(*id)
                } else {
                    IntakeOutcome::KeyReused
                });
                continue;
            }
            claimed.insert(claim.key.clone(), (claim.request_hash.clone(), job.report.id));
            new_claims.push(idempotency_row(&job.report, claim));
        }
        new_reports.push(&job.report);
        outcomes.push(IntakeOutcome::Created(Box::new(Report::from(job.report.clone())), Vec::new()));
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
