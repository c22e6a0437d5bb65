//! Anonymising the reporters of reports closed long enough ago: their contact row, the
//! follow links, the supporters' addresses and the messages still queued for any of them
//! are erased, and the report's history says that it happened (not what was erased), as
//! Signalen notes it. The report itself, its text and its statistics stay.

use std::collections::BTreeSet;

use diesel::prelude::*;
use uuid::Uuid;

use super::super::connection::{DbTime, DbUuid};
use super::super::schema::{follow_tokens, outbox, report_supporters, reporter_contacts, reports};
use super::super::{DbConnection, StorageError};
use super::{Batch, cancel_queued_messages};
use crate::domain::privacy::audit::AuditAction;
use crate::domain::retention::Cutoffs;

/// The actor of the history entries retention writes.
pub const ACTOR: &str = "retention";

/// Reports closed before the cutoff that still hold something of a reporter or supporter
/// (at most `limit` of each kind; `None`: all).
fn candidates(conn: &mut DbConnection, cutoffs: &Cutoffs, limit: Option<i64>) -> Result<BTreeSet<Uuid>, StorageError> {
    let before = DbTime::new(cutoffs.anonymise);
    let settled = || reports::table.filter(reports::settled_at.lt(before)).select(reports::id);
    let limit = limit.unwrap_or(i64::MAX);
    let mut ids: Vec<DbUuid> = reporter_contacts::table
        .filter(reporter_contacts::report_id.eq_any(settled()))
        .select(reporter_contacts::report_id)
        .limit(limit)
        .load(conn)?;
    ids.extend(
        follow_tokens::table
            .filter(follow_tokens::report_id.eq_any(settled()))
            .select(follow_tokens::report_id)
            .limit(limit)
            .load::<DbUuid>(conn)?,
    );
    ids.extend(
        report_supporters::table
            .filter(report_supporters::email.is_not_null())
            .filter(report_supporters::report_id.eq_any(settled()))
            .select(report_supporters::report_id)
            .limit(limit)
            .load::<DbUuid>(conn)?,
    );
    let queued: Vec<Option<DbUuid>> = outbox::table
        .filter(outbox::status.eq("pending"))
        .filter(outbox::report_id.eq_any(settled().select(reports::id.nullable())))
        .select(outbox::report_id)
        .limit(limit)
        .load(conn)?;
    ids.extend(queued.into_iter().flatten());
    Ok(ids.into_iter().map(|id| id.0).collect())
}

/// How many reports would be anonymised now.
pub(super) fn count_due(conn: &mut DbConnection, cutoffs: &Cutoffs) -> Result<i64, StorageError> {
    Ok(i64::try_from(candidates(conn, cutoffs, None)?.len()).unwrap_or(i64::MAX))
}

/// Anonymises the reporters of up to `limit` reports that are due, in one transaction.
pub fn anonymise_batch(conn: &mut DbConnection, cutoffs: &Cutoffs, limit: i64) -> Result<Batch, StorageError> {
    // Found before the write transaction (reading never holds intake back), checked again
    // inside it by id: a report reopened meanwhile is no longer due.
    let found = candidates(conn, cutoffs, Some(limit))?;
    let found: Vec<DbUuid> = found.into_iter().take(usize::try_from(limit).unwrap_or(usize::MAX)).map(DbUuid).collect();
    let read = i64::try_from(found.len()).unwrap_or(i64::MAX);
    conn.write_transaction(|c| {
        let still: Vec<DbUuid> = reports::table
            .filter(reports::id.eq_any(&found))
            .filter(reports::settled_at.lt(DbTime::new(cutoffs.anonymise)))
            .select(reports::id)
            .load(c)?;
        let ids: Vec<Uuid> = still.into_iter().map(|id| id.0).collect();
        erase_reporters(c, &ids)?;
        for id in &ids {
            super::super::triage::append(
                c,
                *id,
                ACTOR,
                "reporter_anonymised",
                serde_json::json!({"reason": "retention", "text": "De contactgegevens van de melder zijn verwijderd / The reporter's contact details were erased"}),
            )?;
        }
        let done = i64::try_from(ids.len()).unwrap_or(i64::MAX);
        Ok(Batch { done, photos: 0, next: (read >= limit).then_some(None) })
    })
}

/// Erases what the reports hold of their reporters and supporters (inside the caller's
/// transaction).
pub(super) fn erase_reporters(conn: &mut DbConnection, ids: &[Uuid]) -> Result<(), StorageError> {
    let keys = || ids.iter().copied().map(DbUuid);
    diesel::delete(reporter_contacts::table.filter(reporter_contacts::report_id.eq_any(keys()))).execute(conn)?;
    diesel::delete(follow_tokens::table.filter(follow_tokens::report_id.eq_any(keys()))).execute(conn)?;
    diesel::update(report_supporters::table.filter(report_supporters::report_id.eq_any(keys())))
        .set(report_supporters::email.eq(None::<String>))
        .execute(conn)?;
    cancel_queued_messages(conn, ids)?;
    Ok(())
}

/// What the history entry of an erasure on request says (never what was erased).
const ERASED_TEXT: &str =
    "De contactgegevens van de melder zijn verwijderd / The reporter's contact details were erased";

/// The history actor of an erasure by the reporter through their follow link.
pub const REPORTER_ACTOR: &str = "reporter";

/// Erases the reporter of the report followed with `token` at once (AVG art. 17), as the
/// retention job would, and also the address and body of the emails already sent about
/// it; the follow link stops working. Returns the report, `None` when no report has this
/// link (any more).
pub fn erase_by_follow_token(conn: &mut DbConnection, token: &str) -> Result<Option<Uuid>, StorageError> {
    conn.write_transaction(|c| {
        let Some(id) = super::super::outbox::followed_report(c, token)? else {
            return Ok(None);
        };
        anonymise_now(c, id, REPORTER_ACTOR, serde_json::json!({"reason": "reporter_request", "text": ERASED_TEXT}))?;
        Ok(Some(id))
    })
}

/// Who asks staff to anonymise a report's reporter now, and why.
#[derive(Debug, Clone)]
pub struct StaffRequest {
    /// The history actor (`admin` or `staff:<account>`).
    pub actor: String,
    /// The staff account, recorded in the audit log too (`None`: the admin token).
    pub account: Option<Uuid>,
    /// Why (kept in the history for staff; never public).
    pub reason: String,
}

/// Anonymises the reporter of report `id` at once on a staff member's request, with a
/// history entry naming the actor and the reason and, for a staff account, an
/// `anonymised_reporter` audit entry. Returns whether the report exists.
pub fn anonymise_on_request(conn: &mut DbConnection, id: Uuid, request: &StaffRequest) -> Result<bool, StorageError> {
    conn.write_transaction(|c| {
        if reports::table.find(DbUuid(id)).count().get_result::<i64>(c)? == 0 {
            return Ok(false);
        }
        let details = serde_json::json!({"reason": "staff_request", "note": request.reason, "text": ERASED_TEXT});
        anonymise_now(c, id, &request.actor, details)?;
        if let Some(account) = request.account {
            super::super::audit::record(c, account, AuditAction::AnonymisedReporter, id)?;
        }
        Ok(true)
    })
}

/// Anonymises one report's reporter now (inside the caller's transaction): what the
/// retention job erases, plus the recipient and body of the messages about the report
/// that were already sent or given up (the job erases those by their own, shorter term).
fn anonymise_now(c: &mut DbConnection, id: Uuid, actor: &str, details: serde_json::Value) -> Result<(), StorageError> {
    erase_reporters(c, &[id])?;
    diesel::update(outbox::table.filter(outbox::report_id.eq(DbUuid(id))))
        .set((outbox::recipient.eq(""), outbox::params.eq("{}"), outbox::last_error.eq(None::<String>)))
        .execute(c)?;
    super::super::triage::append(c, id, actor, "reporter_anonymised", details)
}
