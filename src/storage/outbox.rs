//! The outbox: every email is a row written in the same transaction as the change that
//! causes it, delivered later by the worker in `jobs::outbox`. Claiming uses a lease
//! (`next_attempt_at` moved forward): on PostgreSQL the due rows are locked with
//! `FOR UPDATE SKIP LOCKED`, so parallel workers never take the same message; SQLite has
//! one writer anyway (`BEGIN IMMEDIATE`).
//!
//! Announcement deliveries live in a table of their own (`deliveries`); `claim` takes them
//! after the outbox rows, and the `mark_*` functions record the outcome of either kind.
//!
//! Follow links are made in `super::followers` (only the SHA-256 of a token is stored).

use chrono::{DateTime, Duration, Utc};
use diesel::prelude::*;
use uuid::Uuid;

use super::connection::{DbTime, DbUuid};
use super::deliveries::{self, ClaimedDelivery, DeliveryKey};
use super::schema::{follow_tokens, outbox};
use super::{DbConnection, StorageError, json_column};
use crate::domain::auth::{new_token, token_hash};
use crate::domain::message::Template;
use crate::domain::report::{Language, NewReport};
use crate::domain::subscription::Channel;

pub use crate::domain::message::{MessageKey, OutboxMessage};

/// A claimed message whose stored row cannot be read (unknown template or channel,
/// malformed parameters): the worker records it as a failed attempt with the reason.
#[derive(Debug)]
pub struct UnreadableMessage {
    /// The row it is.
    pub id: MessageKey,
    /// Failed attempts so far.
    pub attempts: i32,
    /// What is wrong with it.
    pub error: StorageError,
}

/// A claimed message, read or not.
pub type Claimed = Result<OutboxMessage, UnreadableMessage>;

/// Counts of messages by state (for tests and monitoring).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct OutboxCounts {
    /// Waiting (including retries).
    pub pending: i64,
    /// Delivered.
    pub sent: i64,
    /// Given up.
    pub dead: i64,
    /// Not sent on purpose (subscription ended, announcement withdrawn).
    pub cancelled: i64,
}

/// Queues one message (inside the caller's transaction).
pub fn enqueue(
    conn: &mut DbConnection,
    report_id: Option<Uuid>,
    recipient: &str,
    language: Language,
    template: Template,
    params: serde_json::Value,
) -> Result<(), StorageError> {
    let now = DbTime::new(Utc::now());
    diesel::insert_into(outbox::table)
        .values((
            outbox::id.eq(DbUuid(Uuid::now_v7())),
            outbox::report_id.eq(report_id.map(DbUuid)),
            outbox::recipient.eq(recipient),
            outbox::language.eq(language.as_str()),
            outbox::template.eq(template.as_str()),
            outbox::params.eq(params.to_string()),
            outbox::status.eq("pending"),
            outbox::attempts.eq(0),
            outbox::next_attempt_at.eq(now),
            outbox::created_at.eq(now),
        ))
        .execute(conn)?;
    Ok(())
}

/// At intake: queues the confirmation with a follow link for each new report whose
/// reporter left an email address (one statement per table for the lot, inside the
/// caller's transaction).
pub fn on_intake(conn: &mut DbConnection, reports: &[&NewReport]) -> Result<(), StorageError> {
    let now = DbTime::new(Utc::now());
    let mut tokens = Vec::new();
    let mut messages = Vec::new();
    for report in reports {
        let Some(email) = report.reporter.as_ref().and_then(|c| c.email.as_deref()) else {
            continue;
        };
        let token = new_token();
        tokens.push((
            follow_tokens::token_hash.eq(token_hash(&token)),
            follow_tokens::report_id.eq(DbUuid(report.id)),
            follow_tokens::created_at.eq(now),
        ));
        let params = serde_json::json!({"reference": report.reference, "follow_token": token});
        messages.push((
            outbox::id.eq(DbUuid(Uuid::now_v7())),
            outbox::report_id.eq(Some(DbUuid(report.id))),
            outbox::recipient.eq(email),
            outbox::language.eq(report.language.as_str()),
            outbox::template.eq(Template::Confirmation.as_str()),
            outbox::params.eq(params.to_string()),
            outbox::status.eq("pending"),
            outbox::attempts.eq(0),
            outbox::next_attempt_at.eq(now),
            outbox::created_at.eq(now),
        ));
    }
    if !tokens.is_empty() {
        super::insert_rows!(conn, follow_tokens::table, &tokens)?;
        super::insert_rows!(conn, outbox::table, &messages)?;
    }
    Ok(())
}

/// Queues a public update (status change or public note) of a report to everyone who
/// should hear about it (inside the caller's transaction). Each email gets its own
/// follow link, which knows whose it is (`super::followers`).
pub fn on_public_update(
    conn: &mut DbConnection,
    report_id: Uuid,
    reference: &str,
    status: &str,
    text: Option<&str>,
) -> Result<(), StorageError> {
    on_public_update_with_survey(conn, report_id, reference, status, text, None)
}

/// As [`on_public_update`]; with a `survey`, the email to the report's own reporter also
/// asks whether the problem was solved (the worker signs the survey id into its links).
pub fn on_public_update_with_survey(
    conn: &mut DbConnection,
    report_id: Uuid,
    reference: &str,
    status: &str,
    text: Option<&str>,
    survey: Option<Uuid>,
) -> Result<(), StorageError> {
    for recipient in super::followers::recipients(conn, report_id)? {
        let token = super::followers::new_follow_token(conn, report_id, recipient.holder)?;
        let own_reporter = recipient.holder == super::followers::Holder::Reporter(report_id);
        let survey = survey.filter(|_| own_reporter).map(|id| id.to_string());
        let params = serde_json::json!({
            "reference": reference, "status": status, "text": text, "follow_token": token, "survey_id": survey
        });
        enqueue(conn, Some(report_id), &recipient.email, recipient.language, Template::StatusChanged, params)?;
    }
    Ok(())
}

type ClaimRow = (DbUuid, String, String, String, String, i32, String, Option<DbUuid>);

fn channel(table: &'static str, row: impl std::fmt::Display, text: &str) -> Result<Channel, StorageError> {
    Channel::parse(text)
        .ok_or_else(|| StorageError::corrupt(table, "channel", format!("row {row}: unknown channel '{text}'")))
}

fn to_message(row: ClaimRow) -> Claimed {
    let (id, recipient, language, template, params, attempts, channel_name, subscription_id) = row;
    let id = id.0;
    let unreadable = |error| UnreadableMessage { id: MessageKey::Outbox(id), attempts, error };
    Ok(OutboxMessage {
        id: MessageKey::Outbox(id),
        recipient,
        language: Language::parse(&language),
        template: Template::parse(&template).ok_or_else(|| {
            unreadable(StorageError::corrupt("outbox", "template", format!("row {id}: unknown template '{template}'")))
        })?,
        params: json_column("outbox", "params", id, &params).map_err(unreadable)?,
        attempts,
        channel: channel("outbox", id, &channel_name).map_err(unreadable)?,
        subscription_id: subscription_id.map(|id| id.0),
        announcement_id: None,
    })
}

fn delivery_message(delivery: ClaimedDelivery) -> Claimed {
    let (subscription_id, language) = match delivery.subscription {
        Some((id, language)) => (Some(id), Language::parse(&language)),
        None => (None, Language::parse("")),
    };
    let key = MessageKey::Delivery(delivery.key);
    Ok(OutboxMessage {
        id: key,
        recipient: String::new(),
        language,
        template: Template::Announcement,
        params: serde_json::json!({}),
        attempts: delivery.attempts,
        channel: channel("announcement_deliveries", key, &delivery.channel).map_err(|error| UnreadableMessage {
            id: key,
            attempts: delivery.attempts,
            error,
        })?,
        subscription_id,
        announcement_id: delivery.announcement_id,
    })
}

/// Claims up to `limit` due messages for `lease`: they are not due again for anyone until
/// the lease ends (a worker that dies mid-send only delays them). Outbox rows come first,
/// announcement deliveries fill the rest of the batch.
pub fn claim(
    conn: &mut DbConnection,
    now: DateTime<Utc>,
    lease: Duration,
    limit: i64,
) -> Result<Vec<Claimed>, StorageError> {
    let mut messages = claim_outbox(conn, now, lease, limit)?;
    let room = limit.saturating_sub(i64::try_from(messages.len()).unwrap_or(i64::MAX));
    if room > 0 {
        let deliveries = conn.write_transaction(|c| deliveries::claim(c, now, lease, room))?;
        messages.extend(deliveries.into_iter().map(delivery_message));
    }
    Ok(messages)
}

fn claim_outbox(
    conn: &mut DbConnection,
    now: DateTime<Utc>,
    lease: Duration,
    limit: i64,
) -> Result<Vec<Claimed>, StorageError> {
    let due_now = DbTime::new(now);
    let until = DbTime::new(now + lease);
    let columns = (
        outbox::id,
        outbox::recipient,
        outbox::language,
        outbox::template,
        outbox::params,
        outbox::attempts,
        outbox::channel,
        outbox::subscription_id,
    );
    let rows: Vec<ClaimRow> = match conn {
        DbConnection::Postgresql(pg) => pg.transaction(|pg| -> Result<Vec<ClaimRow>, diesel::result::Error> {
            let rows: Vec<ClaimRow> = outbox::table
                .filter(outbox::status.eq("pending"))
                .filter(outbox::next_attempt_at.le(due_now))
                .order(outbox::next_attempt_at)
                .limit(limit)
                .select(columns)
                .for_update()
                .skip_locked()
                .load(pg)?;
            let ids: Vec<DbUuid> = rows.iter().map(|r| r.0).collect();
            diesel::update(outbox::table.filter(outbox::id.eq_any(ids)))
                .set(outbox::next_attempt_at.eq(until))
                .execute(pg)?;
            Ok(rows)
        })?,
        sqlite => sqlite.write_transaction(|c| -> Result<Vec<ClaimRow>, StorageError> {
            let rows: Vec<ClaimRow> = outbox::table
                .filter(outbox::status.eq("pending"))
                .filter(outbox::next_attempt_at.le(due_now))
                .order(outbox::next_attempt_at)
                .limit(limit)
                .select(columns)
                .load(c)?;
            let ids: Vec<DbUuid> = rows.iter().map(|r| r.0).collect();
            diesel::update(outbox::table.filter(outbox::id.eq_any(ids)))
                .set(outbox::next_attempt_at.eq(until))
                .execute(c)?;
            Ok(rows)
        })?,
    };
    Ok(rows.into_iter().map(to_message).collect())
}

fn split(keys: &[MessageKey]) -> (Vec<Uuid>, Vec<DeliveryKey>) {
    let mut ids = Vec::new();
    let mut deliveries = Vec::new();
    for key in keys {
        match key {
            MessageKey::Outbox(id) => ids.push(*id),
            MessageKey::Delivery(key) => deliveries.push(*key),
        }
    }
    (ids, deliveries)
}

/// Marks many messages delivered in one transaction and forgets their parameters.
pub fn mark_sent_many(conn: &mut DbConnection, keys: &[MessageKey]) -> Result<(), StorageError> {
    let now = DbTime::new(Utc::now());
    let (ids, delivered) = split(keys);
    conn.write_transaction(|c| -> Result<(), StorageError> {
        for chunk in ids.chunks(500) {
            diesel::update(outbox::table.filter(outbox::id.eq_any(chunk.iter().copied().map(DbUuid))))
                .set((
                    outbox::status.eq("sent"),
                    outbox::sent_at.eq(Some(now)),
                    outbox::params.eq("{}"),
                    outbox::last_error.eq(None::<String>),
                ))
                .execute(c)?;
        }
        deliveries::mark_sent(c, &delivered, now)
    })
}

/// Marks many messages not sent on purpose in one transaction and forgets their parameters.
pub fn mark_cancelled_many(conn: &mut DbConnection, keys: &[MessageKey]) -> Result<(), StorageError> {
    let (ids, cancelled) = split(keys);
    conn.write_transaction(|c| -> Result<(), StorageError> {
        for chunk in ids.chunks(500) {
            diesel::update(outbox::table.filter(outbox::id.eq_any(chunk.iter().copied().map(DbUuid))))
                .set((outbox::status.eq("cancelled"), outbox::params.eq("{}")))
                .execute(c)?;
        }
        deliveries::mark_cancelled(c, &cancelled)
    })
}

/// Records a failed attempt: retried at `retry_at`, or dead-lettered when `retry_at` is
/// `None`. `error` is the (redacted) text, `class` a fixed word for operators that never
/// holds an address.
pub fn mark_failed(
    conn: &mut DbConnection,
    key: MessageKey,
    error: &str,
    class: &str,
    retry_at: Option<DateTime<Utc>>,
) -> Result<(), StorageError> {
    let id = match key {
        MessageKey::Outbox(id) => id,
        MessageKey::Delivery(key) => return deliveries::mark_failed(conn, key, error, class, retry_at),
    };
    // Only a pending message: one cancelled while it was being sent stays so.
    let target = outbox::table.find(DbUuid(id)).filter(outbox::status.eq("pending"));
    let failed = (
        outbox::attempts.eq(outbox::attempts + 1),
        outbox::last_error.eq(Some(error)),
        outbox::last_error_class.eq(Some(class)),
    );
    match retry_at {
        Some(at) => diesel::update(target).set((failed, outbox::next_attempt_at.eq(DbTime::new(at)))).execute(conn)?,
        None => diesel::update(target).set((failed, outbox::status.eq("dead"))).execute(conn)?,
    };
    Ok(())
}

/// How many messages are in each state.
pub fn counts(conn: &mut DbConnection) -> Result<OutboxCounts, StorageError> {
    let mut rows: Vec<(String, i64)> =
        outbox::table.group_by(outbox::status).select((outbox::status, diesel::dsl::count_star())).load(conn)?;
    rows.extend(deliveries::counts_by_status(conn)?);
    let mut counts = OutboxCounts::default();
    for (status, n) in rows {
        match status.as_str() {
            "pending" => counts.pending += n,
            "sent" => counts.sent += n,
            "cancelled" => counts.cancelled += n,
            _ => counts.dead += n,
        }
    }
    Ok(counts)
}
