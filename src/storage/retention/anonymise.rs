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
