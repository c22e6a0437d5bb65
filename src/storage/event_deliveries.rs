//! Deliveries of report events to endpoints (`event_deliveries`): claiming by lease, in
//! order per endpoint and report, recording the outcome, and what admins see and do (the
//! deliveries of an endpoint by state, putting dead ones back in the queue).
//!
//! **Order.** A delivery is claimable only when no earlier delivery (lower id) of the same
//! endpoint and report is `pending` or `dead`, so only the head of each (endpoint, report)
//! queue is ever in flight, and a later event of a report never arrives before an earlier
//! one. A dead delivery therefore holds back the later ones of its report at that endpoint
//! (they stay `pending`, shown as `held`) until an admin requeues it; other reports flow on.
//! Claims lease the rows (`next_attempt_at` moved forward); on PostgreSQL they are locked
//! with `FOR UPDATE SKIP LOCKED`, so parallel workers never take the same delivery.

use chrono::{DateTime, Duration, Utc};
use diesel::prelude::*;
use diesel::sql_types::BigInt;
use uuid::Uuid;

use super::connection::{DbTime, DbUuid, PortableTimestamp};
use super::schema::{event_deliveries, report_events, reporter_contacts};
use super::{DbConnection, StorageError, json_column};
use crate::domain::privacy::audit::AuditAction;
use crate::domain::report_event::EventType;

/// A claimed delivery with its event.
#[derive(Debug, Clone)]
pub struct ClaimedEvent {
    pub delivery_id: i64,
    /// Failed attempts so far.
    pub attempts: i32,
    pub replay: bool,
    pub endpoint_id: Uuid,
    pub event_id: Uuid,
    pub event_type: EventType,
    pub report_id: Uuid,
    pub data: serde_json::Value,
    pub occurred_at: DateTime<Utc>,
}

#[derive(QueryableByName)]
struct Id {
    #[diesel(sql_type = BigInt)]
    id: i64,
}

const DUE: &str = "SELECT d.id FROM event_deliveries d \
    WHERE d.status = 'pending' AND d.next_attempt_at <= $1 \
      AND EXISTS (SELECT 1 FROM event_endpoints e WHERE e.id = d.endpoint_id AND e.active) \
      AND NOT EXISTS (SELECT 1 FROM event_deliveries p WHERE p.endpoint_id = d.endpoint_id \
                      AND p.report_id = d.report_id AND p.id < d.id AND p.status IN ('pending', 'dead')) \
    ORDER BY d.next_attempt_at, d.id LIMIT $2";

type ClaimRow = (i64, i32, bool, DbUuid, DbUuid, String, DbUuid, String, DbTime);

/// Claims up to `limit` due deliveries that no earlier one of the same endpoint and report
/// holds back, for `lease`.
pub fn claim(
    conn: &mut DbConnection,
    now: DateTime<Utc>,
    lease: Duration,
    limit: i64,
) -> Result<Vec<ClaimedEvent>, StorageError> {
    let due = DbTime::new(now);
    let until = DbTime::new(now + lease);
    let ids = conn.write_transaction(|c| -> Result<Vec<i64>, StorageError> {
        let ids: Vec<Id> = match c {
            DbConnection::Postgresql(pg) => diesel::sql_query(format!("{DUE} FOR UPDATE OF d SKIP LOCKED"))
                .bind::<PortableTimestamp, _>(due)
                .bind::<BigInt, _>(limit)
                .load(pg)?,
            DbConnection::Sqlite(lite) => diesel::sql_query(DUE.replace('$', "?"))
                .bind::<PortableTimestamp, _>(due)
                .bind::<BigInt, _>(limit)
                .load(lite)?,
        };
        let ids: Vec<i64> = ids.into_iter().map(|i| i.id).collect();
        diesel::update(event_deliveries::table.filter(event_deliveries::id.eq_any(&ids)))
            .set(event_deliveries::next_attempt_at.eq(until))
            .execute(c)?;
        Ok(ids)
    })?;
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let rows: Vec<ClaimRow> = event_deliveries::table
        .inner_join(report_events::table)
        .filter(event_deliveries::id.eq_any(&ids))
        .order(event_deliveries::id)
        .select((
            event_deliveries::id,
            event_deliveries::attempts,
            event_deliveries::replay,
            event_deliveries::endpoint_id,
            report_events::id,
            report_events::event_type,
            report_events::report_id,
            report_events::data,
            report_events::occurred_at,
        ))
        .load(conn)?;
    rows.into_iter()
        .map(|(delivery_id, attempts, replay, endpoint, event, name, report, data, at)| {
            Ok(ClaimedEvent {
                delivery_id,
                attempts,
                replay,
                endpoint_id: endpoint.0,
                event_id: event.0,
                event_type: EventType::parse(&name).ok_or_else(|| {
                    StorageError::corrupt("report_events", "event_type", format!("row {}: '{name}'", event.0))
                })?,
                report_id: report.0,
                data: json_column("report_events", "data", event.0, &data)?,
                occurred_at: at.0,
            })
        })
        .collect()
}

/// The reporter's contact for a delivery to an endpoint allowed it, recording the
/// disclosure in the audit log in the name of `allowed_by` (in one transaction). `None` when
/// the report has no contact (never had one, or it was erased): nothing is audited then.
pub fn contact_for_delivery(
    conn: &mut DbConnection,
    report_id: Uuid,
    allowed_by: Uuid,
) -> Result<Option<super::triage::Contact>, StorageError> {
    use super::rows::ContactRow;
    conn.write_transaction(|c| {
        let Some(row) =
            reporter_contacts::table.find(DbUuid(report_id)).select(ContactRow::as_select()).first(c).optional()?
        else {
            return Ok(None);
        };
        if row.email.is_none() && row.phone.is_none() && row.name.is_none() {
            return Ok(None);
        }
        super::audit::record(c, allowed_by, AuditAction::SentReporterContact, report_id)?;
        Ok(Some(super::triage::Contact {
            email: row.email,
            phone: row.phone,
            name: row.name,
            consent_to_contact: row.consent_to_contact,
        }))
    })
}

/// Records a delivered event.
pub fn mark_delivered(conn: &mut DbConnection, id: i64, contact_included: bool) -> Result<(), StorageError> {
    diesel::update(event_deliveries::table.find(id).filter(event_deliveries::status.eq("pending")))
        .set((
            event_deliveries::status.eq("delivered"),
            event_deliveries::delivered_at.eq(Some(DbTime::new(Utc::now()))),
            event_deliveries::contact_included.eq(contact_included),
        ))
        .execute(conn)?;
    Ok(())
}

/// Records a failed attempt: retried at `retry_at`, or dead when `None`. `error` never
/// holds the URL or personal data (it is shown to admins).
pub fn mark_failed(
    conn: &mut DbConnection,
    id: i64,
    error: &str,
    class: &str,
    retry_at: Option<DateTime<Utc>>,
) -> Result<(), StorageError> {
    let target = event_deliveries::table.find(id).filter(event_deliveries::status.eq("pending"));
    let failed = (
        event_deliveries::attempts.eq(event_deliveries::attempts + 1),
        event_deliveries::last_error.eq(Some(error)),
        event_deliveries::last_error_class.eq(Some(class)),
    );
    match retry_at {
        Some(at) => {
            diesel::update(target).set((failed, event_deliveries::next_attempt_at.eq(DbTime::new(at)))).execute(conn)?
        }
        None => diesel::update(target).set((failed, event_deliveries::status.eq("dead"))).execute(conn)?,
    };
    Ok(())
}
