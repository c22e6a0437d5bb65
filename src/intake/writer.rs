//! The group-commit writer. Requests hand their validated report to a small pool of
//! writer threads over a channel. A writer takes whatever reports are waiting (up to a
//! batch limit) and stores them in one transaction, so one disk sync covers many reports;
//! each request is answered only after that commit, so a `201` always means durable. If a
//! batch fails, its reports are retried one by one, so one bad report never takes others
//! down with it. The SQL (and the idempotency claim in the same transaction) is in
//! [`crate::storage::intake`]; this module owns the threads and the channel.
//!
//! On SQLite a checkpointer thread copies the WAL into the database file beside the
//! writer, so checkpoints do not stall intake on the one writer's thread.

use std::time::Duration;

use crossbeam_channel::{Receiver, Sender, TrySendError};
use tokio::sync::oneshot;

use crate::domain::report::NewReport;
use crate::storage::intake;
pub use crate::storage::intake::{IdempotencyClaim, IntakeOutcome};
use crate::storage::{Database, DbConnection, StorageError};

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
        if db.backend() == crate::storage::BackendKind::Sqlite {
            let db = db.clone();
            std::thread::Builder::new()
                .name("wal-checkpoint".into())
                .spawn(move || run_checkpointer(&db, &writers_gone))?;
        }
        Ok(IntakeWriter { sender })
    }

    /// How many reports wait for a writer now (for the metrics).
    pub fn queue_depth(&self) -> usize {
        self.sender.len()
    }

    /// The most reports that may wait before intake answers 503.
    pub fn queue_capacity(&self) -> usize {
        self.sender.capacity().unwrap_or(usize::MAX)
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
            None => intake::writer_connection(db),
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

/// How often the checkpointer copies committed WAL frames into the SQLite file.
const CHECKPOINT_EVERY: Duration = Duration::from_millis(25);

/// Runs passive checkpoints on a connection of its own until every writer has stopped. A
/// passive checkpoint never waits for the writer (nor makes it wait), and copies the frames
/// committed so far. Under steady intake the writer commits again before such a checkpoint
/// ends, so the WAL could never start over; that is left to the writer's own automatic
/// checkpoint (at `WAL_AUTOCHECKPOINT_FRAMES` frames, see `storage::intake`), which then has only the last few frames
/// to copy, and after which its next transaction writes the WAL from the beginning.
fn run_checkpointer(db: &Database, writers_gone: &Receiver<()>) {
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
        match intake::checkpoint_passive(&mut c) {
            Ok(()) => conn = Some(c),
            Err(error) => tracing::warn!(%error, "WAL checkpoint failed"),
        }
    }
}

/// Stores a batch and answers its jobs. Returns whether the connection is still healthy.
fn store_batch(conn: &mut DbConnection, batch: Vec<Job>) -> bool {
    // Metrics are no-ops unless `metrics_listen` installed a recorder.
    metrics::histogram!("meldpunt_intake_batch_size").record(batch.len() as f64);
    let started = std::time::Instant::now();
    let together = {
        let pairs: Vec<(&NewReport, Option<&IdempotencyClaim>)> =
            batch.iter().map(|job| (&job.report, job.claim.as_ref())).collect();
        conn.write_transaction(|c| intake::store_many(c, &pairs))
    };
    let outcome = if together.is_ok() { "committed" } else { "failed" };
    metrics::histogram!("meldpunt_intake_commit_seconds", "outcome" => outcome).record(started.elapsed().as_secs_f64());
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
                let result = intake::store_alone(conn, job.report, job.claim.as_ref());
                if let Err(error) = &result {
                    tracing::error!(%error, "report intake failed");
                    healthy = !intake::is_connection_error(error);
                }
                let _ = job.reply.send(result);
            }
            healthy
        }
    }
}
