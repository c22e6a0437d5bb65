//! Anonymising the reporters of reports closed long enough ago: their contact row, the
//! follow links, the supporters' addresses and the messages still queued for any of them
//! are erased, and the report's history says that it happened (not what was erased), as
//! Signalen notes it. The report itself, its text and its statistics stay.

use std::collections::BTreeSet;

use diesel::prelude::*;
use uuid::Uuid;

use super::super::connection::{DbTime, DbUuid};
use super::super::followers::Holder;
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
/// transaction): contacts, supporters' addresses, every follow link to the reports or held
/// by their reporters and supporters, and the messages still queued about them.
pub(super) fn erase_reporters(conn: &mut DbConnection, ids: &[Uuid]) -> Result<(), StorageError> {
    let keys = || ids.iter().copied().map(DbUuid);
    let supporters =
        || report_supporters::table.filter(report_supporters::report_id.eq_any(keys())).select(report_supporters::id);
    diesel::delete(reporter_contacts::table.filter(reporter_contacts::report_id.eq_any(keys()))).execute(conn)?;
    diesel::delete(follow_tokens::table.filter(follow_tokens::report_id.eq_any(keys()))).execute(conn)?;
    diesel::delete(follow_tokens::table.filter(follow_tokens::reporter_of.eq_any(keys().map(Some)))).execute(conn)?;
    diesel::delete(follow_tokens::table.filter(follow_tokens::supporter_id.eq_any(supporters().nullable())))
        .execute(conn)?;
    diesel::update(report_supporters::table.filter(report_supporters::report_id.eq_any(keys())))
        .set((report_supporters::email.eq(None::<String>), report_supporters::confirm_token_hash.eq(None::<String>)))
        .execute(conn)?;
    cancel_queued_messages(conn, ids)?;
    super::super::surveys::close_open(conn, ids)?;
    Ok(())
}

/// The report `id` and the report it was merged into, if any: the reports whose messages
/// can reach the people of `id`.
fn with_original(conn: &mut DbConnection, id: Uuid) -> Result<Vec<DbUuid>, StorageError> {
    let original: Option<Option<DbUuid>> =
        reports::table.find(DbUuid(id)).select(reports::merged_into_id).first(conn).optional()?;
    Ok(std::iter::once(DbUuid(id)).chain(original.flatten()).collect())
}

/// Erases the messages to `email` about `reports`: the queued ones are cancelled, and the
/// address and body of all of them are erased (inside the caller's transaction).
fn erase_messages_to(conn: &mut DbConnection, email: &str, reports: &[DbUuid]) -> Result<(), StorageError> {
    let to = || {
        outbox::table
            .filter(outbox::recipient.eq(email))
            .filter(outbox::report_id.eq_any(reports.iter().copied().map(Some)))
    };
    diesel::update(to().filter(outbox::status.eq("pending"))).set(outbox::status.eq("cancelled")).execute(conn)?;
    diesel::update(to())
        .set((outbox::recipient.eq(""), outbox::params.eq("{}"), outbox::last_error.eq(None::<String>)))
        .execute(conn)?;
    Ok(())
}

/// Erases the reporter of report `id` now (inside the caller's transaction): their contact
/// row, their follow links, and the messages to them, queued or sent. What the report
/// holds of others (its supporters) stays.
fn erase_reporter_now(conn: &mut DbConnection, id: Uuid) -> Result<(), StorageError> {
    let email: Option<Option<String>> =
        reporter_contacts::table.find(DbUuid(id)).select(reporter_contacts::email).first(conn).optional()?;
    diesel::delete(reporter_contacts::table.filter(reporter_contacts::report_id.eq(DbUuid(id)))).execute(conn)?;
    diesel::delete(
        follow_tokens::table
            .filter(follow_tokens::report_id.eq(DbUuid(id)))
            .filter(follow_tokens::supporter_id.is_null())
            .filter(follow_tokens::reporter_of.is_null()),
    )
    .execute(conn)?;
    diesel::delete(follow_tokens::table.filter(follow_tokens::reporter_of.eq(Some(DbUuid(id))))).execute(conn)?;
    super::super::surveys::close_open(conn, &[id])?;
    if let Some(email) = email.flatten() {
        let reports = with_original(conn, id)?;
        erase_messages_to(conn, &email, &reports)?;
    }
    Ok(())
}

/// What the history entry of a supporter's erasure says.
const SUPPORTER_ERASED_TEXT: &str =
    "Een steunbetuiger heeft zijn e-mailadres laten verwijderen / A supporter's email address was erased";

/// Erases supporter `id`'s address now (inside the caller's transaction): the address, its
/// follow links, and the messages to it, queued or sent; the support itself still counts.
/// Returns the supported report; `None` when the supporter holds no address (any more).
pub(crate) fn erase_supporter_now(
    conn: &mut DbConnection,
    id: Uuid,
    actor: &str,
) -> Result<Option<Uuid>, StorageError> {
    let found: Option<(DbUuid, Option<String>)> = report_supporters::table
        .find(DbUuid(id))
        .select((report_supporters::report_id, report_supporters::email))
        .first(conn)
        .optional()?;
    let Some((report, Some(email))) = found else { return Ok(None) };
    diesel::update(report_supporters::table.find(DbUuid(id)))
        .set((
            report_supporters::email.eq(None::<String>),
            report_supporters::confirm_token_hash.eq(None::<String>),
            report_supporters::confirmed_at.eq(None::<DbTime>),
        ))
        .execute(conn)?;
    diesel::delete(follow_tokens::table.filter(follow_tokens::supporter_id.eq(Some(DbUuid(id))))).execute(conn)?;
    let reports = with_original(conn, report.0)?;
    erase_messages_to(conn, &email, &reports)?;
    super::super::triage::append(
        conn,
        report.0,
        actor,
        "supporter_erased",
        serde_json::json!({"text": SUPPORTER_ERASED_TEXT}),
    )?;
    Ok(Some(report.0))
}

/// What the history entry of an erasure on request says (never what was erased).
pub(crate) const ERASED_TEXT: &str =
    "De contactgegevens van de melder zijn verwijderd / The reporter's contact details were erased";

/// The history actor of an erasure by the reporter through their follow link.
pub const REPORTER_ACTOR: &str = "reporter";

/// Whose contact an erasure through a follow link erased.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Erased {
    /// The reporter of this report.
    Reporter(Uuid),
    /// A supporter of this report.
    Supporter(Uuid),
}

/// Erases the contact of whoever holds the follow link `token`, at once (AVG art. 17): a
/// reporter's contact as the retention job would (plus the address and body of the emails
/// already sent to them), or a supporter's address. That person's follow links stop
/// working. `None` when no one holds this link (any more).
pub fn erase_by_follow_token(conn: &mut DbConnection, token: &str) -> Result<Option<Erased>, StorageError> {
    let erased = conn.write_transaction(|c| -> Result<Option<Erased>, StorageError> {
        let Some(link) = super::super::followers::follow_link(c, token)? else {
            return Ok(None);
        };
        match link.holder {
            Holder::Reporter(id) => {
                let details = serde_json::json!({"reason": "reporter_request", "text": ERASED_TEXT});
                anonymise_now(c, id, REPORTER_ACTOR, details)?;
                Ok(Some(Erased::Reporter(id)))
            }
            Holder::Supporter(id) => Ok(erase_supporter_now(c, id, SUPPORTER_ACTOR)?.map(Erased::Supporter)),
        }
    })?;
    super::runs::forget_old_versions(conn);
    Ok(erased)
}

/// The history actor of an erasure by a supporter through their follow link.
pub const SUPPORTER_ACTOR: &str = "supporter";

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
    let found = conn.write_transaction(|c| -> Result<bool, StorageError> {
        if reports::table.find(DbUuid(id)).count().get_result::<i64>(c)? == 0 {
            return Ok(false);
        }
        let details = serde_json::json!({"reason": "staff_request", "note": request.reason, "text": ERASED_TEXT});
        anonymise_now(c, id, &request.actor, details)?;
        if let Some(account) = request.account {
            super::super::audit::record(c, account, AuditAction::AnonymisedReporter, id)?;
        }
        Ok(true)
    })?;
    super::runs::forget_old_versions(conn);
    Ok(found)
}

/// Anonymises one report's reporter now, on request (inside the caller's transaction):
/// their contact, follow links and messages, with a history entry.
pub(crate) fn anonymise_now(
    c: &mut DbConnection,
    id: Uuid,
    actor: &str,
    details: serde_json::Value,
) -> Result<(), StorageError> {
    erase_reporter_now(c, id)?;
    super::super::triage::append(c, id, actor, "reporter_anonymised", details)
}
