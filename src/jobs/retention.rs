//! The retention job (docs/privacy.md): runs the steps of `domain::retention::Step` in
//! small batches, each one short write transaction (`storage::retention`), so intake never
//! waits long; daily at `retention_at` in every server and worker process, and on demand
//! with `meldpunt retention run`. One process at a time holds the lease; a process that
//! finds it taken does nothing. Every batch only selects what is still due, so a run that
//! was stopped (or killed) leaves nothing half-done, and the next run finishes the rest
//! without doing anything twice. Runs are logged as counts only.

use std::sync::Weak;
use std::time::Duration as StdDuration;

use chrono::{DateTime, NaiveTime, Utc};

use crate::domain::retention::{RetentionPolicy, RunCounts, Step, last_due};
use crate::storage::photos::PhotoStore;
use crate::storage::retention::{self as store, Batch, Cursor, DeletionKind, runs};
use crate::storage::{Database, StorageError};

/// How the job runs.
#[derive(Debug, Clone)]
pub struct RetentionSettings {
    /// The terms.
    pub policy: RetentionPolicy,
    /// Rows per batch (one transaction each).
    pub batch: i64,
    /// The daily time in Europe/Amsterdam; `None`: no daily run.
    pub daily_at: Option<NaiveTime>,
    /// How long the lease lasts without renewal (a dead holder blocks the job this long).
    pub lease: chrono::Duration,
}

/// Who started a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trigger {
    /// The daily run.
    Schedule,
    /// `meldpunt retention run`.
    Command,
}

impl Trigger {
    fn as_str(self) -> &'static str {
        match self {
            Trigger::Schedule => "schedule",
            Trigger::Command => "command",
        }
    }
}

/// One run's options.
#[derive(Debug, Clone)]
pub struct RunOptions {
    pub trigger: Trigger,
    /// Count what is due and change nothing (not logged as a run).
    pub dry_run: bool,
    /// The moment the terms are measured from (now, except in tests of debug builds).
    pub now: DateTime<Utc>,
    /// Stop after this many batches that changed something (the next run goes on from
    /// there).
    pub max_batches: Option<u64>,
}

/// What a run came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RunOutcome {
    /// Another process holds the lease: nothing was done.
    Busy,
    /// The daily run has already run since it was last due.
    AlreadyRan,
    /// The run ended (`finished` or `stopped`) with these counts; `run` is its log id
    /// (`None` for a dry run).
    Ended { run: Option<i64>, outcome: &'static str, counts: RunCounts },
}

/// Runs retention once; `keep_going` is asked before every batch.
pub async fn run_once(
    db: &Database,
    photos: &dyn PhotoStore,
    settings: &RetentionSettings,
    options: &RunOptions,
    keep_going: &(dyn Fn() -> bool + Sync),
) -> Result<RunOutcome, StorageError> {
    let cutoffs = settings.policy.cutoffs(options.now);
    if options.dry_run {
        let counts = db
            .run(move |conn| {
                let mut counts = RunCounts::default();
                for step in Step::ALL {
                    counts.add(step, store::due(conn, step, &cutoffs)?);
                }
                Ok::<_, StorageError>(counts)
            })
            .await?;
        return Ok(RunOutcome::Ended { run: None, outcome: "finished", counts });
    }
    let holder = uuid::Uuid::new_v4().to_string();
    let lease = settings.lease;
    let taken = {
        let holder = holder.clone();
        db.run(move |conn| runs::take_lease(conn, &holder, Utc::now(), lease)).await?
    };
    if !taken {
        return Ok(RunOutcome::Busy);
    }
    let result = leased_run(db, photos, settings, options, keep_going, &holder).await;
    let release = {
        let holder = holder.clone();
        db.run(move |conn| runs::release_lease(conn, &holder)).await
    };
    if let Err(error) = release {
        tracing::warn!(%error, "retention: cannot give up the lease (it expires by itself)");
    }
    result
}

async fn leased_run(
    db: &Database,
    photos: &dyn PhotoStore,
    settings: &RetentionSettings,
    options: &RunOptions,
    keep_going: &(dyn Fn() -> bool + Sync),
    holder: &str,
) -> Result<RunOutcome, StorageError> {
    if let (Trigger::Schedule, Some(at)) = (options.trigger, settings.daily_at) {
        let since = last_due(at, Utc::now());
        if db.run(move |conn| runs::scheduled_run_since(conn, since)).await? {
            return Ok(RunOutcome::AlreadyRan);
        }
    }
    let trigger = options.trigger.as_str();
    let run = db.run(move |conn| runs::start_run(conn, trigger, Utc::now())).await?;
    tracing::info!(run, trigger, "retention run started");
    let mut counts = RunCounts::default();
    let worked = steps(db, photos, settings, options, keep_going, holder, run, &mut counts).await;
    let outcome = match &worked {
        Ok(true) => "finished",
        Ok(false) => "stopped",
        Err(_) => "failed",
    };
    let logged = counts;
    db.run(move |conn| runs::record_run(conn, run, &logged, Some((outcome, Utc::now())))).await?;
    if let Err(error) = db.run(runs::truncate_log).await {
        tracing::debug!(%error, "retention: the write-ahead log is truncated at its next checkpoint");
    }
    tracing::info!(
        run,
        outcome,
        anonymised_reports = counts.anonymised_reports,
        deleted_photos = counts.deleted_photos,
        deleted_resolved_reports = counts.deleted_resolved_reports,
        deleted_cancelled_reports = counts.deleted_cancelled_reports,
        erased_outbox_messages = counts.erased_outbox_messages,
        purged_subscriptions = counts.purged_subscriptions,
        purged_supporter_addresses = counts.purged_supporter_addresses,
        purged_audit_entries = counts.purged_audit_entries,
        removed_tokens = counts.removed_tokens,
        "retention run ended"
    );
    worked?;
    Ok(RunOutcome::Ended { run: Some(run), outcome, counts })
}

/// Runs every step in batches; `Ok(false)` when it stopped early.
#[expect(clippy::too_many_arguments, reason = "one run's context, passed down once")]
async fn steps(
    db: &Database,
    photos: &dyn PhotoStore,
    settings: &RetentionSettings,
    options: &RunOptions,
    keep_going: &(dyn Fn() -> bool + Sync),
    holder: &str,
    run: i64,
    counts: &mut RunCounts,
) -> Result<bool, StorageError> {
    let cutoffs = settings.policy.cutoffs(options.now);
    let limit = settings.batch.max(1);
    let mut batches = 0u64;
    for step in Step::ALL {
        let mut cursor: Cursor = None;
        loop {
            if !keep_going() || options.max_batches.is_some_and(|most| batches >= most) {
                return Ok(false);
            }
            let batch: Batch = match step {
                Step::AnonymiseReporters => db.run(move |conn| store::anonymise_batch(conn, &cutoffs, limit)).await?,
                Step::DeletePhotos => store::delete_photos_batch(db, photos, cutoffs, limit).await?,
                Step::DeleteResolvedReports => {
                    store::delete_batch(db, photos, DeletionKind::Resolved, cutoffs, limit, cursor).await?
                }
                Step::DeleteCancelledReports => {
                    store::delete_batch(db, photos, DeletionKind::Cancelled, cutoffs, limit, cursor).await?
                }
                Step::EraseOutbox => db.run(move |conn| store::erase_outbox_batch(conn, &cutoffs, limit)).await?,
                Step::PurgeSubscriptions => {
                    db.run(move |conn| store::purge_subscriptions_batch(conn, &cutoffs, limit)).await?
                }
                Step::PurgeSupporters => {
                    db.run(move |conn| store::purge_supporters_batch(conn, &cutoffs, limit)).await?
                }
                Step::PurgeAudit => db.run(move |conn| store::purge_audit_batch(conn, &cutoffs, limit)).await?,
                Step::RemoveTokens => db.run(move |conn| store::remove_tokens_batch(conn, &cutoffs, limit)).await?,
            };
            if batch.done > 0 || batch.photos > 0 {
                batches += 1;
            }
            counts.add(step, batch.done);
            if step != Step::DeletePhotos {
                counts.add(Step::DeletePhotos, batch.photos);
            }
            let (logged, holder, lease) = (*counts, holder.to_owned(), settings.lease);
            let still_ours = db
                .run(move |conn| {
                    runs::record_run(conn, run, &logged, None)?;
                    runs::renew_lease(conn, &holder, Utc::now(), lease)
                })
                .await?;
            if !still_ours {
                tracing::warn!(run, "retention: the lease was lost; stopping (the next run goes on)");
                return Ok(false);
            }
            match batch.next {
                Some(next) => cursor = next,
                None => break,
            }
            // Room for intake's writers between two batches.
            tokio::time::sleep(StdDuration::from_millis(5)).await;
        }
    }
    Ok(true)
}

/// Starts the daily run's thread: every minute it looks whether the run is due (and has
/// not run since), and runs it when this process gets the lease. Stops when `alive` is gone.
pub fn start<T: Send + Sync + 'static>(
    db: Database,
    photos: std::sync::Arc<dyn PhotoStore>,
    settings: RetentionSettings,
    alive: Weak<T>,
) -> anyhow::Result<()> {
    let Some(at) = settings.daily_at else {
        tracing::info!("retention_at is off: retention runs only with `meldpunt retention run`");
        return Ok(());
    };
    std::thread::Builder::new().name("retention".into()).spawn(move || {
        let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
            Ok(runtime) => runtime,
            Err(error) => {
                tracing::error!(%error, "retention: cannot start; the daily run is off in this process");
                return;
            }
        };
        let keep_going = || alive.strong_count() > 0;
        while keep_going() {
            let due = last_due(at, Utc::now());
            let ran = db.conn().and_then(|mut conn| runs::scheduled_run_since(&mut conn, due));
            if matches!(ran, Ok(false)) {
                let options =
                    RunOptions { trigger: Trigger::Schedule, dry_run: false, now: Utc::now(), max_batches: None };
                if let Err(error) = runtime.block_on(run_once(&db, photos.as_ref(), &settings, &options, &keep_going)) {
                    tracing::warn!(%error, "retention run failed; it is tried again tomorrow");
                }
            }
            for _ in 0..60 {
                if !keep_going() {
                    return;
                }
                std::thread::sleep(StdDuration::from_secs(1));
            }
        }
    })?;
    Ok(())
}
