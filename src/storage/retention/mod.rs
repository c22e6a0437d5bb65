//! Retention (docs/privacy.md): the storage side of the job that anonymises, deletes and
//! purges personal data when its term has passed. Every function here does one small batch
//! in one short write transaction and is idempotent: it selects only what is still due, so
//! a batch that was stopped half-way (its transaction rolled back) or a second run finds
//! exactly the work that is left.
//!
//! - `anonymise`: the reporter's contact, follow links, supporters' addresses and queued
//!   emails of closed reports, with a history entry that says it happened; and the same
//!   for one report at once, asked by its reporter (follow link) or by staff.
//! - `deletion`: reports deleted for good, each leaving an anonymous statistical record
//!   (`records`), photos first; also photos deleted early by their own term.
//! - `sweep`: outbox recipients and bodies, unconfirmed subscriptions and "me too"
//!   addresses, the audit of views of personal data, expired sessions, tokens and access
//!   links.
//! - `runs`: the lease that lets one process at a time run the job, and the runs log.

mod anonymise;
mod deletion;
pub mod records;
pub mod runs;
mod sweep;

use diesel::prelude::*;
use uuid::Uuid;

pub(crate) use anonymise::{ERASED_TEXT, anonymise_now, erase_supporter_now};
pub use anonymise::{
    Erased, REPORTER_ACTOR, SUPPORTER_ACTOR, StaffRequest, anonymise_batch, anonymise_on_request, erase_by_follow_token,
};
pub use deletion::{DeletionKind, delete_batch, delete_photos_batch};
pub use sweep::{
    erase_outbox_batch, purge_audit_batch, purge_subscriptions_batch, purge_supporters_batch, remove_tokens_batch,
};

use super::connection::DbUuid;
use super::photos::{PhotoStore, delete_report_photos};
use super::schema::{outbox, reports};
use super::{Database, DbConnection, StorageError};
use crate::domain::retention::{Cutoffs, Step};

/// Where a step's next batch starts: the last report id it handled (steps that change
/// what they select need none, and pass `None`).
pub type Cursor = Option<Uuid>;

/// What one batch did: how many it changed, and whether there may be more.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Batch {
    /// Rows (reports, messages, entries) changed.
    pub done: i64,
    /// Photos deleted along with them.
    pub photos: i64,
    /// The cursor for the next batch; `None` when the step is finished.
    pub next: Option<Cursor>,
}

/// How many rows `step` would change now (the dry run).
pub fn due(conn: &mut DbConnection, step: Step, cutoffs: &Cutoffs) -> Result<i64, StorageError> {
    match step {
        Step::AnonymiseReporters => anonymise::count_due(conn, cutoffs),
        Step::DeletePhotos => deletion::count_photos_due(conn, cutoffs),
        Step::DeleteResolvedReports => deletion::count_due(conn, DeletionKind::Resolved, cutoffs),
        Step::DeleteCancelledReports => deletion::count_due(conn, DeletionKind::Cancelled, cutoffs),
        Step::EraseOutbox => sweep::count_outbox_due(conn, cutoffs),
        Step::PurgeSubscriptions => sweep::count_subscriptions_due(conn, cutoffs),
        Step::PurgeSupporters => sweep::count_supporters_due(conn, cutoffs),
        Step::PurgeAudit => sweep::count_audit_due(conn, cutoffs),
        Step::RemoveTokens => sweep::count_tokens_due(conn, cutoffs),
    }
}

/// Erases the recipient and body of the messages about `reports` that are still waiting
/// to be sent, and cancels them (inside the caller's transaction): their addressee's
/// contact is being erased.
fn cancel_queued_messages(conn: &mut DbConnection, reports: &[Uuid]) -> Result<usize, StorageError> {
    Ok(diesel::update(
        outbox::table
            .filter(outbox::report_id.eq_any(reports.iter().copied().map(DbUuid)))
            .filter(outbox::status.eq("pending")),
    )
    .set((
        outbox::recipient.eq(""),
        outbox::params.eq("{}"),
        outbox::last_error.eq(None::<String>),
        outbox::status.eq("cancelled"),
    ))
    .execute(conn)?)
}

/// Deletes a report and everything of it, photos included, leaving an anonymous
/// statistical record (the statistics and the roll-up keep counting it). Returns whether
/// the report existed. Safe to run again when it failed half-way (the photos go first).
pub async fn delete_report(db: &Database, store: &dyn PhotoStore, report_id: Uuid) -> Result<bool, StorageError> {
    delete_report_photos(db, store, report_id).await?;
    let db = db.clone();
    tokio::task::spawn_blocking(move || {
        let mut conn = db.conn()?;
        conn.write_transaction(|c| {
            let exists = reports::table.find(DbUuid(report_id)).count().get_result::<i64>(c)? > 0;
            if exists {
                let family = deletion::with_duplicates(c, &[report_id])?;
                deletion::delete_keeping_records(c, &family, chrono::Utc::now())?;
            }
            Ok::<_, StorageError>(exists)
        })
    })
    .await
    .map_err(|e| StorageError::Setup(format!("report deletion stopped: {e}")))?
}
