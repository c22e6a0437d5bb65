//! Announcement deliveries: one narrow row per (announcement, subscription) in
//! `announcement_deliveries`, keyed by the two integer numbers `announcements.seq` and
//! `subscriptions.seq` (migration 000011 says why).
//!
//! Fan-out is one `INSERT … SELECT` that writes the rows in key order, so the primary key
//! b-tree is only appended to. Which form it takes depends on how much of the subscriptions
//! the announcement reaches:
//! - few (a neighbourhood): the announcement's cells are probed in
//!   `subscription_areas (area_code, subscription_seq)`, and the subscriptions found are read
//!   by number;
//! - many (a municipality's worth or more): the subscriptions are walked in number order and
//!   each one's cells are tested against the announcement's. Both sides come in number order,
//!   so the result needs neither sorting nor de-duplication (a subscription counts once
//!   however many of its cells overlap). On PostgreSQL this is a merge semi join, which the
//!   planner is steered to with transaction-local settings.
//!
//! The worker claims deliveries beside the outbox rows (`outbox::claim`): first those whose
//! lease ended or whose retry is due (`announcement_deliveries_due`, which holds only rows
//! with `next_attempt_at` set), then fresh ones, which have no `next_attempt_at` and are taken
//! in key order after the announcement's cursor `deliveries_claimed_to`. A claim leases the
//! rows it takes (`next_attempt_at` moved forward), so a worker that dies mid-send only
//! delays them. On PostgreSQL the rows and the cursor are locked with
//! `FOR UPDATE SKIP LOCKED`, so parallel workers never take the same delivery.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Text};
use uuid::Uuid;

use super::connection::{DbTime, DbUuid, PortableUuid};
use super::schema::{announcement_areas, announcement_deliveries, announcements, subscriptions};
use super::{DbConnection, StorageError};

/// A fan-out reaches "many" subscriptions when its (cell, subscription) pairs number at least
/// the number of subscriptions divided by this. Below it, probing the cells reads less than
/// walking every subscription.
const MANY_DIVISOR: i64 = 4;

/// The number of an announcement.
pub fn announcement_seq(conn: &mut DbConnection, id: Uuid) -> Result<Option<i64>, StorageError> {
    Ok(announcements::table.find(DbUuid(id)).select(announcements::seq).first(conn).optional()?)
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

/// Whether the announcement reaches many of the subscriptions (see [`MANY_DIVISOR`]). The
/// count stops at the threshold, so it never reads more than the cheaper form would.
fn reaches_many(conn: &mut DbConnection, id: Uuid) -> Result<bool, StorageError> {
    let highest: Option<i64> = subscriptions::table.select(diesel::dsl::max(subscriptions::seq)).first(conn)?;
    let threshold = highest.unwrap_or(0) / MANY_DIVISOR;
    const SQL: &str = "SELECT COUNT(*) AS n FROM (SELECT 1 FROM announcement_areas aa \
                       JOIN subscription_areas sa ON sa.area_code = aa.area_code \
                       WHERE aa.announcement_id = $1 LIMIT $2) pairs";
    let pairs = match conn {
        DbConnection::Sqlite(c) => diesel::sql_query(SQL.replace('$', "?"))
            .bind::<PortableUuid, _>(DbUuid(id))
            .bind::<BigInt, _>(threshold)
            .get_result::<Count>(c)?,
        DbConnection::Postgresql(c) => diesel::sql_query(SQL)
            .bind::<PortableUuid, _>(DbUuid(id))
            .bind::<BigInt, _>(threshold)
            .get_result::<Count>(c)?,
    };
    Ok(pairs.n >= threshold)
}

/// Queues the announcement for every matching active subscription, once each, and sets the
/// announcement's delivery cursor (inside the caller's transaction). Returns how many
/// deliveries were queued.
pub fn fan_out(conn: &mut DbConnection, id: Uuid, tags: &[String]) -> Result<usize, StorageError> {
    let Some(seq) = announcement_seq(conn, id)? else { return Ok(0) };
    let many = reaches_many(conn, id)?;
    let inserted = match &mut *conn {
        DbConnection::Sqlite(c) => {
            // INDEXED BY: the covering index has every column read here, in number order.
            let matching = if many {
                // `+` keeps SQLite from driving the subquery by the announcement's cells.
                "s.status = 'active' AND EXISTS (SELECT 1 FROM subscription_areas sa \
                   WHERE sa.subscription_seq = s.seq AND +sa.area_code IN \
                     (SELECT aa.area_code FROM announcement_areas aa WHERE aa.announcement_id = ?2))"
            } else {
                "s.seq IN (SELECT sa.subscription_seq FROM announcement_areas aa \
                   JOIN subscription_areas sa ON sa.area_code = aa.area_code WHERE aa.announcement_id = ?2) \
                 AND s.status = 'active'"
            };
            diesel::sql_query(format!(
                "INSERT INTO announcement_deliveries (announcement_seq, subscription_seq, channel) \
                 SELECT ?1, s.seq, s.channel FROM subscriptions s INDEXED BY subscriptions_fanout \
                 WHERE {matching} \
                   AND (s.all_tags OR EXISTS (SELECT 1 FROM subscription_tags t WHERE t.subscription_id = s.id \
                                              AND t.tag IN (SELECT value FROM json_each(?3)))) \
                 ORDER BY s.seq"
            ))
            .bind::<BigInt, _>(seq)
            .bind::<PortableUuid, _>(DbUuid(id))
            .bind::<Text, _>(serde_json::json!(tags).to_string())
            .execute(c)?
        }
        DbConnection::Postgresql(c) => {
            // JIT compilation costs about 0.3 s here and saves nothing; the sorts of a fan-out
            // that probes the cells (up to a quarter of the subscriptions) fit in memory.
            diesel::sql_query("SET LOCAL jit = off").execute(c)?;
            diesel::sql_query("SET LOCAL work_mem = '64MB'").execute(c)?;
            if many {
                // Both inputs come in number order: a merge semi join streams them. Left
                // alone the planner de-duplicates a million numbers in a hash table and then
                // looks every subscription up in hash order.
                diesel::sql_query("SET LOCAL enable_hashagg = off").execute(c)?;
                diesel::sql_query("SET LOCAL enable_nestloop = off").execute(c)?;
                diesel::sql_query("SET LOCAL enable_sort = off").execute(c)?;
            }
            let cells: Vec<String> = announcement_areas::table
                .filter(announcement_areas::announcement_id.eq(DbUuid(id)))
                .select(announcement_areas::area_code)
                .load(c)?;
            // The settings end with the transaction; what follows in it reads by key.
            diesel::sql_query(
                "INSERT INTO announcement_deliveries (announcement_seq, subscription_seq, channel) \
                 SELECT $1, s.seq, s.channel FROM subscriptions s \
                 WHERE s.status = 'active' \
                   AND EXISTS (SELECT 1 FROM subscription_areas sa \
                               WHERE sa.subscription_seq = s.seq AND sa.area_code = ANY($2)) \
                   AND (s.all_tags OR EXISTS (SELECT 1 FROM subscription_tags t WHERE t.subscription_id = s.id \
                                              AND t.tag = ANY($3))) \
                 ORDER BY s.seq",
            )
            .bind::<BigInt, _>(seq)
            .bind::<Array<Text>, _>(cells.as_slice())
            .bind::<Array<Text>, _>(tags)
            .execute(c)?
        }
    };
    let last: Option<i64> = announcement_deliveries::table
        .filter(announcement_deliveries::announcement_seq.eq(seq))
        .select(diesel::dsl::max(announcement_deliveries::subscription_seq))
        .first(conn)?;
    diesel::update(announcements::table.find(DbUuid(id)))
        .set((announcements::deliveries_claimed_to.eq(0), announcements::deliveries_last.eq(last.unwrap_or(0))))
        .execute(conn)?;
    Ok(inserted)
}

/// Cancels the pending deliveries of an announcement (inside the caller's transaction).
/// Returns how many.
pub fn cancel_pending(conn: &mut DbConnection, id: Uuid) -> Result<usize, StorageError> {
    let Some(seq) = announcement_seq(conn, id)? else { return Ok(0) };
    let cancelled = diesel::update(
        announcement_deliveries::table
            .filter(announcement_deliveries::announcement_seq.eq(seq))
            .filter(announcement_deliveries::status.eq("pending")),
    )
    .set((announcement_deliveries::status.eq("cancelled"), announcement_deliveries::next_attempt_at.eq(None::<DbTime>)))
    .execute(conn)?;
    diesel::update(announcements::table.find(DbUuid(id)))
        .set(announcements::deliveries_claimed_to.eq(announcements::deliveries_last))
        .execute(conn)?;
    Ok(cancelled)
}

/// Delivery counts of an announcement: (channel, state, count).
pub fn counts(conn: &mut DbConnection, id: Uuid) -> Result<Vec<(String, String, i64)>, StorageError> {
    let Some(seq) = announcement_seq(conn, id)? else { return Ok(Vec::new()) };
    Ok(announcement_deliveries::table
        .filter(announcement_deliveries::announcement_seq.eq(seq))
        .group_by((announcement_deliveries::channel, announcement_deliveries::status))
        .select((announcement_deliveries::channel, announcement_deliveries::status, diesel::dsl::count_star()))
        .order((announcement_deliveries::channel, announcement_deliveries::status))
        .load(conn)?)
}

/// Counts of all deliveries by state.
pub fn counts_by_status(conn: &mut DbConnection) -> Result<Vec<(String, i64)>, StorageError> {
    Ok(announcement_deliveries::table
        .group_by(announcement_deliveries::status)
        .select((announcement_deliveries::status, diesel::dsl::count_star()))
        .load(conn)?)
}

/// Whether the announcement was queued for the subscription (in any state).
pub fn was_queued(conn: &mut DbConnection, announcement: Uuid, subscription_seq: i64) -> Result<bool, StorageError> {
    let Some(seq) = announcement_seq(conn, announcement)? else { return Ok(false) };
    let found: i64 = announcement_deliveries::table
        .filter(announcement_deliveries::announcement_seq.eq(seq))
        .filter(announcement_deliveries::subscription_seq.eq(subscription_seq))
        .count()
        .get_result(conn)?;
    Ok(found > 0)
}

pub use crate::domain::message::DeliveryKey;

/// A claimed delivery, with what the worker needs to send it.
#[derive(Debug, Clone)]
pub struct ClaimedDelivery {
    /// Its key.
    pub key: DeliveryKey,
    /// `email`, `webhook` or `push`.
    pub channel: String,
    /// Failed attempts so far.
    pub attempts: i32,
    /// The announcement.
    pub announcement_id: Option<Uuid>,
    /// The subscription and its language; `None` when the subscription no longer exists.
    pub subscription: Option<(Uuid, String)>,
}

type DueRow = (i64, i64, String, i32);

/// Claims up to `limit` deliveries for `lease` (inside the caller's transaction): due
/// retries and ended leases first, then fresh deliveries after the cursors.
pub fn claim(
    conn: &mut DbConnection,
    now: DateTime<Utc>,
    lease: chrono::Duration,
    limit: i64,
) -> Result<Vec<ClaimedDelivery>, StorageError> {
    use announcement_deliveries::dsl as d;
    let until = DbTime::new(now + lease);
    let due = d::announcement_deliveries
        .filter(d::next_attempt_at.le(DbTime::new(now)))
        .filter(d::status.eq("pending"))
        .order(d::next_attempt_at)
        .limit(limit)
        .select((d::announcement_seq, d::subscription_seq, d::channel, d::attempts));
    let mut rows: Vec<DueRow> = match &mut *conn {
        DbConnection::Postgresql(pg) => due.for_update().skip_locked().load(pg)?,
        DbConnection::Sqlite(c) => due.load(c)?,
    };
    let mut by_announcement: BTreeMap<i64, Vec<i64>> = BTreeMap::new();
    for (announcement, subscription, ..) in &rows {
        by_announcement.entry(*announcement).or_default().push(*subscription);
    }
    for (announcement, subscriptions) in by_announcement {
        for chunk in subscriptions.chunks(500) {
            diesel::update(
                d::announcement_deliveries
                    .filter(d::announcement_seq.eq(announcement))
                    .filter(d::subscription_seq.eq_any(chunk)),
            )
            .set(d::next_attempt_at.eq(Some(until)))
            .execute(conn)?;
        }
    }
    // Fresh deliveries, from as many announcements as it takes to fill the batch.
    let mut taken_from = Vec::new();
    while i64::try_from(rows.len()).unwrap_or(i64::MAX) < limit {
        let room = limit - i64::try_from(rows.len()).unwrap_or(i64::MAX);
        let open = announcements::table
            .filter(announcements::deliveries_claimed_to.lt(announcements::deliveries_last))
            .filter(announcements::seq.ne_all(taken_from.clone()))
            .order(announcements::seq)
            .limit(1)
            .select((announcements::seq, announcements::deliveries_claimed_to, announcements::deliveries_last));
        let cursor: Option<(i64, i64, i64)> = match &mut *conn {
            DbConnection::Postgresql(pg) => open.for_update().skip_locked().first(pg).optional()?,
            DbConnection::Sqlite(c) => open.first(c).optional()?,
        };
        let Some((announcement, claimed_to, last)) = cursor else { break };
        taken_from.push(announcement);
        let fresh: Vec<(i64, String, i32)> = d::announcement_deliveries
            .filter(d::announcement_seq.eq(announcement))
            .filter(d::subscription_seq.gt(claimed_to))
            .filter(d::status.eq("pending"))
            .order(d::subscription_seq)
            .limit(room)
            .select((d::subscription_seq, d::channel, d::attempts))
            .load(conn)?;
        let reached = match fresh.last() {
            Some((subscription, ..)) if i64::try_from(fresh.len()).unwrap_or(i64::MAX) == room => *subscription,
            _ => last,
        };
        if !fresh.is_empty() {
            diesel::update(
                d::announcement_deliveries
                    .filter(d::announcement_seq.eq(announcement))
                    .filter(d::subscription_seq.gt(claimed_to))
                    .filter(d::subscription_seq.le(reached))
                    .filter(d::status.eq("pending")),
            )
            .set(d::next_attempt_at.eq(Some(until)))
            .execute(conn)?;
        }
        diesel::update(announcements::table.filter(announcements::seq.eq(announcement)))
            .set(announcements::deliveries_claimed_to.eq(reached))
            .execute(conn)?;
        rows.extend(
            fresh.into_iter().map(|(subscription, channel, attempts)| (announcement, subscription, channel, attempts)),
        );
    }
    describe(conn, rows)
}

/// Adds the announcement and subscription ids (and the subscription's language) to claimed rows.
fn describe(conn: &mut DbConnection, rows: Vec<DueRow>) -> Result<Vec<ClaimedDelivery>, StorageError> {
    let mut announcement_seqs: Vec<i64> = rows.iter().map(|r| r.0).collect();
    announcement_seqs.sort_unstable();
    announcement_seqs.dedup();
    let announcement_ids: BTreeMap<i64, DbUuid> = announcements::table
        .filter(announcements::seq.eq_any(&announcement_seqs))
        .select((announcements::seq, announcements::id))
        .load::<(i64, DbUuid)>(conn)?
        .into_iter()
        .collect();
    let subscription_seqs: Vec<i64> = rows.iter().map(|r| r.1).collect();
    let mut subscribers: BTreeMap<i64, (Uuid, String)> = BTreeMap::new();
    for chunk in subscription_seqs.chunks(500) {
        let found: Vec<(i64, DbUuid, String)> = subscriptions::table
            .filter(subscriptions::seq.eq_any(chunk))
            .select((subscriptions::seq, subscriptions::id, subscriptions::language))
            .load(conn)?;
        subscribers.extend(found.into_iter().map(|(seq, id, language)| (seq, (id.0, language))));
    }
    Ok(rows
        .into_iter()
        .map(|(announcement, subscription, channel, attempts)| ClaimedDelivery {
            key: (announcement, subscription),
            channel,
            attempts,
            announcement_id: announcement_ids.get(&announcement).map(|id| id.0),
            subscription: subscribers.get(&subscription).cloned(),
        })
        .collect())
}

fn grouped(keys: &[DeliveryKey]) -> BTreeMap<i64, Vec<i64>> {
    let mut by_announcement: BTreeMap<i64, Vec<i64>> = BTreeMap::new();
    for (announcement, subscription) in keys {
        by_announcement.entry(*announcement).or_default().push(*subscription);
    }
    by_announcement
}

/// Marks deliveries sent (inside the caller's transaction).
pub fn mark_sent(conn: &mut DbConnection, keys: &[DeliveryKey], now: DbTime) -> Result<(), StorageError> {
    mark_done(conn, keys, "sent", Some(now))
}

/// Marks deliveries not sent on purpose (inside the caller's transaction).
pub fn mark_cancelled(conn: &mut DbConnection, keys: &[DeliveryKey]) -> Result<(), StorageError> {
    mark_done(conn, keys, "cancelled", None)
}

/// Ends deliveries in `status` (sent or cancelled), a statement per announcement and chunk.
fn mark_done(
    conn: &mut DbConnection,
    keys: &[DeliveryKey],
    status: &str,
    sent_at: Option<DbTime>,
) -> Result<(), StorageError> {
    use announcement_deliveries::dsl as d;
    for (announcement, subscriptions) in grouped(keys) {
        for chunk in subscriptions.chunks(500) {
            diesel::update(
                d::announcement_deliveries
                    .filter(d::announcement_seq.eq(announcement))
                    .filter(d::subscription_seq.eq_any(chunk)),
            )
            .set((
                d::status.eq(status),
                d::sent_at.eq(sent_at),
                d::next_attempt_at.eq(None::<DbTime>),
                d::last_error.eq(None::<String>),
            ))
            .execute(conn)?;
        }
    }
    Ok(())
}

/// Records a failed attempt: retried at `retry_at`, or dead-lettered when `retry_at` is `None`.
pub fn mark_failed(
    conn: &mut DbConnection,
    key: DeliveryKey,
    error: &str,
    class: &str,
    retry_at: Option<DateTime<Utc>>,
) -> Result<(), StorageError> {
    use announcement_deliveries::dsl as d;
    // Only a pending delivery: one cancelled (withdrawn) while it was being sent stays so.
    let target = d::announcement_deliveries.find(key).filter(d::status.eq("pending"));
    let failed = (d::attempts.eq(d::attempts + 1), d::last_error.eq(Some(error)), d::last_error_class.eq(Some(class)));
    match retry_at {
        Some(at) => diesel::update(target).set((failed, d::next_attempt_at.eq(Some(DbTime::new(at))))).execute(conn)?,
        None => diesel::update(target)
            .set((failed, d::status.eq("dead"), d::next_attempt_at.eq(None::<DbTime>)))
            .execute(conn)?,
    };
    Ok(())
}
