//! What operators see of the outbox and the announcement deliveries: the backlog by queue,
//! channel and state (for the metrics), the dead and failing messages without their
//! addresses (for the admin API), and putting dead ones back in the queue.
//!
//! Every count here reads only rows that wait or were given up, through partial indexes
//! (`outbox_due`, `outbox_dead`, `announcement_deliveries_due`, `announcement_deliveries_dead`,
//! `announcements_delivering`, and the primary key after a fan-out's cursor), never the sent
//! rows, which are the many: a scrape costs what the backlog is, not what the history is.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use uuid::Uuid;

use super::connection::{DbTime, DbUuid};
use super::schema::{announcement_deliveries, announcements, outbox};
use super::{DbConnection, StorageError};

pub use crate::domain::message::DeliveryKey;

/// How many messages wait or were given up, per queue and channel.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Backlog {
    /// `(queue, channel, state, count)`: queue `outbox` or `announcements`, state `pending`
    /// or `dead`.
    pub counts: Vec<(&'static str, String, &'static str, i64)>,
    /// When the oldest pending outbox message was queued.
    pub oldest_outbox: Option<DateTime<Utc>>,
    /// When the announcement of the oldest pending delivery was published.
    pub oldest_delivery: Option<DateTime<Utc>>,
}

/// The backlog now (cheap: see the module's documentation).
pub fn backlog(conn: &mut DbConnection) -> Result<Backlog, StorageError> {
    use announcement_deliveries::dsl as d;
    let mut backlog = Backlog::default();
    let pending: Vec<(String, i64)> = outbox::table
        .filter(outbox::status.eq("pending"))
        .group_by(outbox::channel)
        .select((outbox::channel, diesel::dsl::count_star()))
        .load(conn)?;
    backlog.counts.extend(pending.into_iter().map(|(channel, n)| ("outbox", channel, "pending", n)));
    let dead: Vec<(String, i64)> = outbox::table
        .filter(outbox::status.eq("dead"))
        .group_by(outbox::channel)
        .select((outbox::channel, diesel::dsl::count_star()))
        .load(conn)?;
    backlog.counts.extend(dead.into_iter().map(|(channel, n)| ("outbox", channel, "dead", n)));
    backlog.oldest_outbox = outbox::table
        .filter(outbox::status.eq("pending"))
        .order(outbox::created_at.asc())
        .select(outbox::created_at)
        .first::<DbTime>(conn)
        .optional()?
        .map(|t| t.0);
    let dead: Vec<(String, i64)> = d::announcement_deliveries
        .filter(d::status.eq("dead"))
        .group_by(d::channel)
        .select((d::channel, diesel::dsl::count_star()))
        .load(conn)?;
    backlog.counts.extend(dead.into_iter().map(|(channel, n)| ("announcements", channel, "dead", n)));
    // Pending deliveries are of two kinds: leased or waiting for a retry (`next_attempt_at`
    // set, in the due index), and fresh ones after their announcement's cursor.
    let mut pending: std::collections::BTreeMap<String, i64> = std::collections::BTreeMap::new();
    let due: Vec<(String, i64)> = d::announcement_deliveries
        .filter(d::next_attempt_at.is_not_null())
        .filter(d::status.eq("pending"))
        .group_by(d::channel)
        .select((d::channel, diesel::dsl::count_star()))
        .load(conn)?;
    for (channel, n) in due {
        *pending.entry(channel).or_default() += n;
    }
    let mut waiting: Vec<i64> = d::announcement_deliveries
        .filter(d::next_attempt_at.is_not_null())
        .filter(d::status.eq("pending"))
        .select(d::announcement_seq)
        .distinct()
        .load(conn)?;
    let delivering: Vec<(i64, i64)> = announcements::table
        .filter(announcements::deliveries_claimed_to.lt(announcements::deliveries_last))
        .select((announcements::seq, announcements::deliveries_claimed_to))
        .load(conn)?;
    for (seq, claimed_to) in delivering {
        let fresh: Vec<(String, i64)> = d::announcement_deliveries
            .filter(d::announcement_seq.eq(seq))
            .filter(d::subscription_seq.gt(claimed_to))
            .filter(d::status.eq("pending"))
            .filter(d::next_attempt_at.is_null())
            .group_by(d::channel)
            .select((d::channel, diesel::dsl::count_star()))
            .load(conn)?;
        if !fresh.is_empty() {
            waiting.push(seq);
        }
        for (channel, n) in fresh {
            *pending.entry(channel).or_default() += n;
        }
    }
    backlog.counts.extend(pending.into_iter().map(|(channel, n)| ("announcements", channel, "pending", n)));
    waiting.sort_unstable();
    waiting.dedup();
    let mut published: Vec<DateTime<Utc>> = Vec::new();
    for chunk in waiting.chunks(500) {
        let times: Vec<Option<DbTime>> = announcements::table
            .filter(announcements::seq.eq_any(chunk))
            .select(announcements::published_at)
            .load(conn)?;
        published.extend(times.into_iter().flatten().map(|t| t.0));
    }
    backlog.oldest_delivery = published.into_iter().min();
    Ok(backlog)
}

/// Which messages to list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Which {
    /// Given up (`dead`).
    Dead,
    /// Still pending, but failed at least once.
    Failing,
}

impl Which {
    /// The stored status and the least attempts of such a message.
    fn filter(self) -> (&'static str, i32) {
        match self {
            Which::Dead => ("dead", 0),
            Which::Failing => ("pending", 1),
        }
    }
}

/// An outbox message as operators see it: no recipient, no body.
#[derive(Debug, Clone, PartialEq)]
pub struct MessageLetter {
    pub id: Uuid,
    pub channel: String,
    pub template: String,
    /// `dead` or `pending`.
    pub status: String,
    pub attempts: i32,
    /// The class of the last failure (`mail_refused`, `webhook_status`, …); `None` for
    /// failures recorded before classes were.
    pub error_class: Option<String>,
    pub created_at: DateTime<Utc>,
    /// The next attempt of a pending message.
    pub next_attempt_at: Option<DateTime<Utc>>,
    /// The report it is about (reporter emails).
    pub report_id: Option<Uuid>,
}

type MessageRow = (DbUuid, String, String, String, i32, Option<String>, DbTime, DbTime, Option<DbUuid>);

/// Up to `limit` dead or failing outbox messages after `after`, in the order they were queued.
pub fn list_messages(
    conn: &mut DbConnection,
    which: Which,
    after: Option<Uuid>,
    limit: i64,
) -> Result<Vec<MessageLetter>, StorageError> {
    let (status, least_attempts) = which.filter();
    let rows: Vec<MessageRow> = outbox::table
        .filter(outbox::status.eq(status))
        .filter(outbox::attempts.ge(least_attempts))
        .filter(outbox::id.gt(DbUuid(after.unwrap_or(Uuid::nil()))))
        .order(outbox::id.asc())
        .limit(limit)
        .select((
            outbox::id,
            outbox::channel,
            outbox::template,
            outbox::status,
            outbox::attempts,
            outbox::last_error_class,
            outbox::created_at,
            outbox::next_attempt_at,
            outbox::report_id,
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(id, channel, template, status, attempts, class, created, next, report)| MessageLetter {
            id: id.0,
            channel,
            template,
            next_attempt_at: (status == "pending").then_some(next.0),
            status,
            attempts,
            error_class: class,
            created_at: created.0,
            report_id: report.map(|r| r.0),
        })
        .collect())
}

/// An announcement delivery as operators see it: no subscriber, no address.
#[derive(Debug, Clone, PartialEq)]
pub struct DeliveryLetter {
    pub key: DeliveryKey,
    /// The announcement (`None` if it is gone).
    pub announcement_id: Option<Uuid>,
    /// When the announcement was published.
    pub published_at: Option<DateTime<Utc>>,
    pub channel: String,
    pub status: String,
    pub attempts: i32,
    pub error_class: Option<String>,
    pub next_attempt_at: Option<DateTime<Utc>>,
}

type DeliveryRow = (i64, i64, String, String, i32, Option<String>, Option<DbTime>);

/// Up to `limit` dead or failing announcement deliveries after `after`, in key order.
pub fn list_deliveries(
    conn: &mut DbConnection,
    which: Which,
    after: Option<DeliveryKey>,
    limit: i64,
) -> Result<Vec<DeliveryLetter>, StorageError> {
    use announcement_deliveries::dsl as d;
    let (status, least_attempts) = which.filter();
    let (a, s) = after.unwrap_or((i64::MIN, i64::MIN));
    let rows: Vec<DeliveryRow> = d::announcement_deliveries
        .filter(d::status.eq(status))
        .filter(d::attempts.ge(least_attempts))
        .filter(d::announcement_seq.gt(a).or(d::announcement_seq.eq(a).and(d::subscription_seq.gt(s))))
        .order((d::announcement_seq.asc(), d::subscription_seq.asc()))
        .limit(limit)
        .select((
            d::announcement_seq,
            d::subscription_seq,
            d::channel,
            d::status,
            d::attempts,
            d::last_error_class,
            d::next_attempt_at,
        ))
        .load(conn)?;
    let mut seqs: Vec<i64> = rows.iter().map(|r| r.0).collect();
    seqs.dedup();
    let found: Vec<(i64, DbUuid, Option<DbTime>)> = announcements::table
        .filter(announcements::seq.eq_any(&seqs))
        .select((announcements::seq, announcements::id, announcements::published_at))
        .load(conn)?;
    let by_seq: std::collections::BTreeMap<i64, (Uuid, Option<DateTime<Utc>>)> =
        found.into_iter().map(|(seq, id, at)| (seq, (id.0, at.map(|t| t.0)))).collect();
    Ok(rows
        .into_iter()
        .map(|(announcement, subscription, channel, status, attempts, class, next)| {
            let known = by_seq.get(&announcement);
            DeliveryLetter {
                key: (announcement, subscription),
                announcement_id: known.map(|k| k.0),
                published_at: known.and_then(|k| k.1),
                channel,
                next_attempt_at: if status == "pending" { next.map(|t| t.0) } else { None },
                status,
                attempts,
                error_class: class,
            }
        })
        .collect())
}

/// Puts dead outbox messages back in the queue, due now with no attempts: the one `id`, or
/// every dead one (`None`). Messages whose recipient was erased (retention) stay dead.
/// Returns how many.
pub fn requeue_messages(conn: &mut DbConnection, id: Option<Uuid>, now: DateTime<Utc>) -> Result<usize, StorageError> {
    conn.write_transaction(|c| -> Result<usize, StorageError> {
        let dead = outbox::table
            .filter(outbox::status.eq("dead"))
            .filter(outbox::recipient.ne("").or(outbox::subscription_id.is_not_null()));
        let again = (
            outbox::status.eq("pending"),
            outbox::attempts.eq(0),
            outbox::next_attempt_at.eq(DbTime::new(now)),
            outbox::last_error.eq(None::<String>),
            outbox::last_error_class.eq(None::<String>),
        );
        Ok(match id {
            Some(id) => diesel::update(dead.filter(outbox::id.eq(DbUuid(id)))).set(again).execute(c)?,
            None => diesel::update(dead).set(again).execute(c)?,
        })
    })
}

/// Puts dead announcement deliveries back in the queue, due now with no attempts: the one
/// `key`, or every dead one (`None`). Returns how many.
pub fn requeue_deliveries(
    conn: &mut DbConnection,
    key: Option<DeliveryKey>,
    now: DateTime<Utc>,
) -> Result<usize, StorageError> {
    use announcement_deliveries::dsl as d;
    conn.write_transaction(|c| -> Result<usize, StorageError> {
        let dead = d::announcement_deliveries.filter(d::status.eq("dead"));
        let again = (
            d::status.eq("pending"),
            d::attempts.eq(0),
            d::next_attempt_at.eq(Some(DbTime::new(now))),
            d::last_error.eq(None::<String>),
            d::last_error_class.eq(None::<String>),
        );
        Ok(match key {
            Some((announcement, subscription)) => diesel::update(
                dead.filter(d::announcement_seq.eq(announcement)).filter(d::subscription_seq.eq(subscription)),
            )
            .set(again)
            .execute(c)?,
            None => diesel::update(dead).set(again).execute(c)?,
        })
    })
}
