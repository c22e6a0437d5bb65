//! What admins see of an endpoint's deliveries: each delivery with its event, state,
//! attempts and the last failure (class and text: webhook errors never hold the URL or
//! personal data), counts by state, and putting dead deliveries back in the queue.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use uuid::Uuid;

use super::connection::{DbTime, DbUuid};
use super::schema::{event_deliveries, report_events, reports};
use super::{DbConnection, StorageError};

/// Which deliveries to list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeliveryState {
    All,
    /// Received by the endpoint (2xx).
    Delivered,
    /// Waiting: not yet tried, retrying, or held back by an earlier one.
    Pending,
    /// Pending after at least one failure.
    Failing,
    /// Given up after `outbox_max_attempts`.
    Dead,
}

impl DeliveryState {
    /// The state named in a query.
    pub fn parse(text: &str) -> Option<Self> {
        Some(match text {
            "all" => Self::All,
            "delivered" => Self::Delivered,
            "pending" => Self::Pending,
            "failing" => Self::Failing,
            "dead" => Self::Dead,
            _ => return None,
        })
    }
}

/// One delivery as admins see it.
#[derive(Debug, Clone)]
pub struct DeliveryRecord {
    pub id: i64,
    pub event_id: Uuid,
    pub event_type: String,
    pub report_id: Uuid,
    /// The report's public reference (none only if the report is gone).
    pub report_reference: Option<String>,
    pub occurred_at: DateTime<Utc>,
    /// `pending`, `delivered` or `dead`.
    pub status: String,
    /// Pending, and an earlier delivery of the same report to this endpoint is pending or dead.
    pub held: bool,
    pub attempts: i32,
    pub last_error: Option<String>,
    pub last_error_class: Option<String>,
    pub replay: bool,
    pub contact_included: bool,
    pub created_at: DateTime<Utc>,
    pub delivered_at: Option<DateTime<Utc>>,
    pub next_attempt_at: Option<DateTime<Utc>>,
}

type RecordRow = (
    i64,
    DbUuid,
    String,
    DbUuid,
    DbTime,
    String,
    i32,
    Option<String>,
    Option<String>,
    bool,
    bool,
    DbTime,
    Option<DbTime>,
    DbTime,
);

/// A page of an endpoint's deliveries, newest first, before delivery `before`.
pub fn list(
    conn: &mut DbConnection,
    endpoint: Uuid,
    state: DeliveryState,
    before: Option<i64>,
    limit: i64,
) -> Result<Vec<DeliveryRecord>, StorageError> {
    use event_deliveries::dsl as d;
    let mut query = d::event_deliveries
        .inner_join(report_events::table)
        .filter(d::endpoint_id.eq(DbUuid(endpoint)))
        .order(d::id.desc())
        .limit(limit)
        .select((
            d::id,
            report_events::id,
            report_events::event_type,
            d::report_id,
            report_events::occurred_at,
            d::status,
            d::attempts,
            d::last_error,
            d::last_error_class,
            d::replay,
            d::contact_included,
            d::created_at,
            d::delivered_at,
            d::next_attempt_at,
        ))
        .into_boxed();
    if let Some(before) = before {
        query = query.filter(d::id.lt(before));
    }
    query = match state {
        DeliveryState::All => query,
        DeliveryState::Delivered => query.filter(d::status.eq("delivered")),
        DeliveryState::Pending => query.filter(d::status.eq("pending")),
        DeliveryState::Failing => query.filter(d::status.eq("pending")).filter(d::attempts.gt(0)),
        DeliveryState::Dead => query.filter(d::status.eq("dead")),
    };
    let rows: Vec<RecordRow> = query.load(conn)?;
    let mut waiting: Vec<DbUuid> = rows.iter().filter(|r| r.5 == "pending").map(|r| r.3).collect();
    waiting.sort_unstable_by_key(|r| r.0);
    waiting.dedup();
    let heads: HashMap<Uuid, i64> = d::event_deliveries
        .filter(d::endpoint_id.eq(DbUuid(endpoint)))
        .filter(d::report_id.eq_any(waiting))
        .filter(d::status.eq_any(["pending", "dead"]))
        .group_by(d::report_id)
        .select((d::report_id, diesel::dsl::min(d::id)))
        .load::<(DbUuid, Option<i64>)>(conn)?
        .into_iter()
        .filter_map(|(report, head)| head.map(|h| (report.0, h)))
        .collect();
    let mut ids: Vec<DbUuid> = rows.iter().map(|r| r.3).collect();
    ids.sort_unstable_by_key(|r| r.0);
    ids.dedup();
    let references: HashMap<Uuid, String> = reports::table
        .filter(reports::id.eq_any(ids))
        .select((reports::id, reports::reference))
        .load::<(DbUuid, String)>(conn)?
        .into_iter()
        .map(|(id, reference)| (id.0, reference))
        .collect();
    Ok(rows
        .into_iter()
        .map(|row| {
            let (
                id,
                event,
                event_type,
                report,
                occurred,
                status,
                attempts,
                error,
                class,
                replay,
                contact,
                created,
                delivered,
                next,
            ) = row;
            let pending = status == "pending";
            DeliveryRecord {
                id,
                event_id: event.0,
                event_type,
                report_id: report.0,
                report_reference: references.get(&report.0).cloned(),
                occurred_at: occurred.0,
                held: pending && heads.get(&report.0).is_some_and(|head| *head < id),
                status,
                attempts,
                last_error: error,
                last_error_class: class,
                replay,
                contact_included: contact,
                created_at: created.0,
                delivered_at: delivered.map(|t| t.0),
                next_attempt_at: pending.then_some(next.0),
            }
        })
        .collect())
}

/// How many deliveries of an endpoint are in each state: `(pending, failing, delivered, dead)`.
pub fn counts(conn: &mut DbConnection, endpoint: Uuid) -> Result<(i64, i64, i64, i64), StorageError> {
    use event_deliveries::dsl as d;
    let rows: Vec<(String, i64)> = d::event_deliveries
        .filter(d::endpoint_id.eq(DbUuid(endpoint)))
        .group_by(d::status)
        .select((d::status, diesel::dsl::count_star()))
        .load(conn)?;
    let failing: i64 = d::event_deliveries
        .filter(d::endpoint_id.eq(DbUuid(endpoint)))
        .filter(d::status.eq("pending"))
        .filter(d::attempts.gt(0))
        .count()
        .get_result(conn)?;
    let of = |name: &str| rows.iter().find(|(status, _)| status == name).map_or(0, |(_, n)| *n);
    Ok((of("pending"), failing, of("delivered"), of("dead")))
}

/// Puts an endpoint's dead deliveries (or the one `delivery`) back in the queue: pending,
/// no attempts, due at `now`. Returns how many.
pub fn requeue(
    conn: &mut DbConnection,
    endpoint: Uuid,
    delivery: Option<i64>,
    now: DateTime<Utc>,
) -> Result<usize, StorageError> {
    use event_deliveries::dsl as d;
    let mut target = diesel::update(d::event_deliveries)
        .filter(d::endpoint_id.eq(DbUuid(endpoint)))
        .filter(d::status.eq("dead"))
        .into_boxed();
    if let Some(id) = delivery {
        target = target.filter(d::id.eq(id));
    }
    Ok(target
        .set((d::status.eq("pending"), d::attempts.eq(0), d::next_attempt_at.eq(DbTime::new(now))))
        .execute(conn)?)
}

/// Pending and dead deliveries of every endpoint, for the metrics: `(state, count)`.
pub fn backlog(conn: &mut DbConnection) -> Result<Vec<(String, i64)>, StorageError> {
    use event_deliveries::dsl as d;
    Ok(d::event_deliveries
        .filter(d::status.eq_any(["pending", "dead"]))
        .group_by(d::status)
        .select((d::status, diesel::dsl::count_star()))
        .load(conn)?)
}
