//! The other terms: outbox messages lose their recipient and body some days after they were
//! sent or given up, unconfirmed subscriptions and "me too" addresses are purged (with the
//! confirmation email queued for them), the audit of views of personal data is kept for
//! its term, and sessions, API tokens and access links past their expiry are removed. Each batch selects up to `limit`
//! rows that are due (a read, which never holds intake back), then changes those of them
//! that are still due in one short write transaction, by primary key.

use diesel::prelude::*;

use super::super::connection::{DbTime, DbUuid};
use super::super::schema::{access_requests, audit_log, auth_tokens, outbox, report_supporters, subscriptions};
use super::super::{DbConnection, StorageError};
use super::Batch;
use crate::domain::retention::Cutoffs;

fn batch(read: usize, done: usize, limit: i64) -> Batch {
    let read = i64::try_from(read).unwrap_or(i64::MAX);
    Batch { done: i64::try_from(done).unwrap_or(i64::MAX), photos: 0, next: (read >= limit).then_some(None) }
}

macro_rules! outbox_due {
    ($cutoffs:expr) => {{
        let before = DbTime::new($cutoffs.outbox);
        outbox::table.filter(outbox::recipient.ne("").or(outbox::params.ne("{}"))).filter(
            (outbox::status.eq("sent").and(outbox::sent_at.lt(before)))
                .or(outbox::status.eq_any(["dead", "cancelled"]).and(outbox::created_at.lt(before))),
        )
    }};
}

/// How many outbox messages would be erased now.
pub(super) fn count_outbox_due(conn: &mut DbConnection, cutoffs: &Cutoffs) -> Result<i64, StorageError> {
    Ok(outbox_due!(cutoffs).count().get_result(conn)?)
}

/// Erases recipient, body and last error of up to `limit` messages sent or given up before
/// the outbox term.
pub fn erase_outbox_batch(conn: &mut DbConnection, cutoffs: &Cutoffs, limit: i64) -> Result<Batch, StorageError> {
    let ids: Vec<DbUuid> = outbox_due!(cutoffs).select(outbox::id).limit(limit).load(conn)?;
    conn.write_transaction(|c| {
        let done = diesel::update(outbox_due!(cutoffs).filter(outbox::id.eq_any(&ids)))
            .set((outbox::recipient.eq(""), outbox::params.eq("{}"), outbox::last_error.eq(None::<String>)))
            .execute(c)?;
        Ok(batch(ids.len(), done, limit))
    })
}

macro_rules! subscriptions_due {
    ($cutoffs:expr) => {
        subscriptions::table
            .filter(subscriptions::status.eq("pending"))
            .filter(subscriptions::created_at.lt(DbTime::new($cutoffs.unconfirmed)))
    };
}

/// How many unconfirmed subscriptions would be purged now.
pub(super) fn count_subscriptions_due(conn: &mut DbConnection, cutoffs: &Cutoffs) -> Result<i64, StorageError> {
    Ok(subscriptions_due!(cutoffs).count().get_result(conn)?)
}

/// Purges up to `limit` subscriptions still unconfirmed after their term, and erases the
/// messages queued or sent to them.
pub fn purge_subscriptions_batch(
    conn: &mut DbConnection,
    cutoffs: &Cutoffs,
    limit: i64,
) -> Result<Batch, StorageError> {
    let found: Vec<DbUuid> = subscriptions_due!(cutoffs).select(subscriptions::id).limit(limit).load(conn)?;
    conn.write_transaction(|c| {
        let ids: Vec<DbUuid> =
            subscriptions_due!(cutoffs).filter(subscriptions::id.eq_any(&found)).select(subscriptions::id).load(c)?;
        diesel::update(outbox::table.filter(outbox::subscription_id.eq_any(ids.iter().copied().map(Some))))
            .set((outbox::recipient.eq(""), outbox::params.eq("{}"), outbox::last_error.eq(None::<String>)))
            .execute(c)?;
        diesel::update(
            outbox::table
                .filter(outbox::subscription_id.eq_any(ids.iter().copied().map(Some)))
                .filter(outbox::status.eq("pending")),
        )
        .set(outbox::status.eq("cancelled"))
        .execute(c)?;
        let done = diesel::delete(subscriptions::table.filter(subscriptions::id.eq_any(&ids))).execute(c)?;
        Ok(batch(found.len(), done, limit))
    })
}

/// How many audit entries would be removed now.
pub(super) fn count_audit_due(conn: &mut DbConnection, cutoffs: &Cutoffs) -> Result<i64, StorageError> {
    Ok(audit_log::table.filter(audit_log::at.lt(DbTime::new(cutoffs.audit))).count().get_result(conn)?)
}

/// Removes up to `limit` audit entries older than the audit term.
pub fn purge_audit_batch(conn: &mut DbConnection, cutoffs: &Cutoffs, limit: i64) -> Result<Batch, StorageError> {
    let ids: Vec<i64> = audit_log::table
        .filter(audit_log::at.lt(DbTime::new(cutoffs.audit)))
        .order(audit_log::id.asc())
        .select(audit_log::id)
        .limit(limit)
        .load(conn)?;
    conn.write_transaction(|c| {
        let done = diesel::delete(audit_log::table.filter(audit_log::id.eq_any(&ids))).execute(c)?;
        Ok(batch(ids.len(), done, limit))
    })
}

macro_rules! supporters_due {
    ($cutoffs:expr) => {
        report_supporters::table
            .filter(report_supporters::email.is_not_null())
            .filter(report_supporters::confirmed_at.is_null())
            .filter(report_supporters::created_at.lt(DbTime::new($cutoffs.unconfirmed)))
    };
}

/// How many unconfirmed "me too" addresses would be erased now.
pub(super) fn count_supporters_due(conn: &mut DbConnection, cutoffs: &Cutoffs) -> Result<i64, StorageError> {
    Ok(supporters_due!(cutoffs).count().get_result(conn)?)
}

/// Erases up to `limit` "me too" addresses still unconfirmed after their term, with the
/// confirmation emails to them (the supports still count).
pub fn purge_supporters_batch(conn: &mut DbConnection, cutoffs: &Cutoffs, limit: i64) -> Result<Batch, StorageError> {
    let found: Vec<DbUuid> = supporters_due!(cutoffs).select(report_supporters::id).limit(limit).load(conn)?;
    conn.write_transaction(|c| {
        let ids: Vec<DbUuid> = supporters_due!(cutoffs)
            .filter(report_supporters::id.eq_any(&found))
            .select(report_supporters::id)
            .load(c)?;
        let mut done = 0;
        for id in &ids {
            if super::anonymise::erase_supporter_now(c, id.0, super::anonymise::ACTOR)?.is_some() {
                done += 1;
            }
        }
        Ok(batch(found.len(), done, limit))
    })
}

/// How many sessions, tokens and access links are past their expiry.
pub(super) fn count_tokens_due(conn: &mut DbConnection, cutoffs: &Cutoffs) -> Result<i64, StorageError> {
    let now = DbTime::new(cutoffs.now);
    let tokens: i64 = auth_tokens::table.filter(auth_tokens::expires_at.lt(now)).count().get_result(conn)?;
    let links: i64 = access_requests::table.filter(access_requests::expires_at.lt(now)).count().get_result(conn)?;
    Ok(tokens + links)
}

/// Removes up to `limit` sessions and API tokens past their expiry, and up to `limit`
/// expired access links (AVG art. 15 requests) with the address they were sent to.
pub fn remove_tokens_batch(conn: &mut DbConnection, cutoffs: &Cutoffs, limit: i64) -> Result<Batch, StorageError> {
    let now = DbTime::new(cutoffs.now);
    let ids: Vec<DbUuid> =
        auth_tokens::table.filter(auth_tokens::expires_at.lt(now)).select(auth_tokens::id).limit(limit).load(conn)?;
    let links: Vec<String> = access_requests::table
        .filter(access_requests::expires_at.lt(now))
        .select(access_requests::token_hash)
        .limit(limit)
        .load(conn)?;
    conn.write_transaction(|c| {
        let done = diesel::delete(auth_tokens::table.filter(auth_tokens::id.eq_any(&ids))).execute(c)?
            + diesel::delete(access_requests::table.filter(access_requests::token_hash.eq_any(&links))).execute(c)?;
        Ok(batch(ids.len().max(links.len()), done, limit))
    })
}
