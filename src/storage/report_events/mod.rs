//! Report events (`report_events`), written in the transaction of their cause, and their
//! fan-out: one `event_deliveries` row per matching active endpoint, in the same
//! transaction and in event order, so a delivery exists exactly when its event does and the
//! rows of one endpoint and report are numbered in the order the events happened (on
//! PostgreSQL too: every cause changes the report's row first, so two transactions about
//! one report draw their numbers one after the other).
//!
//! An event stores what happened (the type and its own data: from and to status, the public
//! text, the changes); the report itself is read when the event is delivered
//! (`jobs::report_events`), so no contact or description is copied into the event.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use serde_json::Value;
use uuid::Uuid;

use super::connection::{DbTime, DbUuid};
use super::event_endpoints::{self, Endpoint};
use super::schema::{categories, event_deliveries, report_events, reports};
use super::{DbConnection, StorageError};
use crate::domain::report_event::body::EventData;
use crate::domain::report_event::{EventFacts, EventType};

mod pg;

/// An event to record.
#[derive(Debug, Clone)]
pub struct NewEvent {
    pub report_id: Uuid,
    pub event_type: EventType,
    /// The event's own data (see docs/api-guide.md#report-events).
    pub data: Value,
}

impl NewEvent {
    pub fn new(report_id: Uuid, data: &EventData) -> Self {
        NewEvent { report_id, event_type: data.event_type(), data: data.to_value() }
    }
}

/// Records one event and queues it for every matching active endpoint (inside the caller's
/// transaction, after the cause changed the report's row).
pub fn record(conn: &mut DbConnection, report_id: Uuid, data: &EventData) -> Result<(), StorageError> {
    record_many(conn, &[NewEvent::new(report_id, data)])
}

type FactsRow = (DbUuid, Option<DbUuid>, DbUuid, Option<String>, Option<String>, Option<String>);

/// What the endpoints' filters look at, per report.
struct Facts {
    department_id: Option<Uuid>,
    category_id: Uuid,
    main_category_id: Option<Uuid>,
    codes: [Option<String>; 3],
}

fn facts_of(conn: &mut DbConnection, ids: &[Uuid]) -> Result<HashMap<Uuid, Facts>, StorageError> {
    let mut facts = HashMap::with_capacity(ids.len());
    for chunk in ids.chunks(500) {
        let rows: Vec<FactsRow> = reports::table
            .filter(reports::id.eq_any(chunk.iter().copied().map(DbUuid)))
            .select((
                reports::id,
                reports::department_id,
                reports::category_id,
                reports::gemeente_code,
                reports::wijk_code,
                reports::buurt_code,
            ))
            .load(conn)?;
        for (id, department, category, gemeente, wijk, buurt) in rows {
            facts.insert(
                id.0,
                Facts {
                    department_id: department.map(|d| d.0),
                    category_id: category.0,
                    main_category_id: None,
                    codes: [gemeente, wijk, buurt],
                },
            );
        }
    }
    let mut wanted: Vec<DbUuid> = facts.values().map(|f| DbUuid(f.category_id)).collect();
    wanted.sort_unstable_by_key(|c| c.0);
    wanted.dedup();
    let parents: HashMap<Uuid, Option<Uuid>> = categories::table
        .filter(categories::id.eq_any(wanted))
        .select((categories::id, categories::parent_id))
        .load::<(DbUuid, Option<DbUuid>)>(conn)?
        .into_iter()
        .map(|(id, parent)| (id.0, parent.map(|p| p.0)))
        .collect();
    for fact in facts.values_mut() {
        fact.main_category_id = parents.get(&fact.category_id).copied().flatten();
    }
    Ok(facts)
}

/// Records events (one statement for the lot) and their deliveries to the matching active
/// endpoints (inside the caller's transaction). The deliveries are written in the order of
/// `events`.
pub fn record_many(conn: &mut DbConnection, events: &[NewEvent]) -> Result<(), StorageError> {
    if events.is_empty() {
        return Ok(());
    }
    let now = DbTime::new(Utc::now());
    let ids: Vec<Uuid> = events.iter().map(|_| Uuid::now_v7()).collect();
    if !insert_events(conn, events, &ids, now)? {
        return Ok(());
    }
    let endpoints = event_endpoints::active(conn)?;
    if endpoints.is_empty() {
        return Ok(());
    }
    let mut report_ids: Vec<Uuid> = events.iter().map(|e| e.report_id).collect();
    report_ids.sort_unstable();
    report_ids.dedup();
    let facts = facts_of(conn, &report_ids)?;
    let mut deliveries = Vec::new();
    for (event, id) in events.iter().zip(&ids) {
        let Some(fact) = facts.get(&event.report_id) else { continue };
        for endpoint in matching(&endpoints, event.event_type, fact) {
            deliveries.push(delivery_row(endpoint.id, *id, event.report_id, false, now));
        }
    }
    super::insert_rows!(conn, event_deliveries::table, &deliveries)?;
    Ok(())
}

/// Writes the events (one statement for the lot) and answers whether they may need a
/// fan-out: on PostgreSQL one prepared statement writes them and says whether any endpoint
/// is active (`pg.rs`); on SQLite, where a statement costs no round trip, the fan-out reads
/// the active endpoints itself.
fn insert_events(
    conn: &mut DbConnection,
    events: &[NewEvent],
    ids: &[Uuid],
    now: DbTime,
) -> Result<bool, StorageError> {
    if let DbConnection::Postgresql(pg) = conn {
        let mut any_active = false;
        for (chunk, chunk_ids) in events.chunks(super::ROWS_PER_STATEMENT).zip(ids.chunks(super::ROWS_PER_STATEMENT)) {
            any_active = pg::InsertEvents::new(chunk, chunk_ids, now.0).get_result::<bool>(pg)?;
        }
        return Ok(any_active);
    }
    let rows: Vec<_> = events
        .iter()
        .zip(ids)
        .map(|(event, id)| {
            (
                report_events::id.eq(DbUuid(*id)),
                report_events::report_id.eq(DbUuid(event.report_id)),
                report_events::event_type.eq(event.event_type.as_str()),
                report_events::data.eq(event.data.to_string()),
                report_events::occurred_at.eq(now),
            )
        })
        .collect();
    super::insert_rows!(conn, report_events::table, &rows)?;
    Ok(true)
}

fn matching<'a>(endpoints: &'a [Endpoint], event_type: EventType, fact: &Facts) -> impl Iterator<Item = &'a Endpoint> {
    let facts = EventFacts {
        event_type,
        department_id: fact.department_id,
        category_id: fact.category_id,
        main_category_id: fact.main_category_id,
        area_codes: [fact.codes[0].as_deref(), fact.codes[1].as_deref(), fact.codes[2].as_deref()],
    };
    endpoints.iter().filter(move |endpoint| endpoint.filter.matches(&facts))
}

type DeliveryRow = (
    diesel::dsl::Eq<event_deliveries::endpoint_id, DbUuid>,
    diesel::dsl::Eq<event_deliveries::event_id, DbUuid>,
    diesel::dsl::Eq<event_deliveries::report_id, DbUuid>,
    diesel::dsl::Eq<event_deliveries::status, &'static str>,
    diesel::dsl::Eq<event_deliveries::attempts, i32>,
    diesel::dsl::Eq<event_deliveries::next_attempt_at, DbTime>,
    diesel::dsl::Eq<event_deliveries::replay, bool>,
    diesel::dsl::Eq<event_deliveries::created_at, DbTime>,
);

fn delivery_row(endpoint: Uuid, event: Uuid, report: Uuid, replay: bool, now: DbTime) -> DeliveryRow {
    (
        event_deliveries::endpoint_id.eq(DbUuid(endpoint)),
        event_deliveries::event_id.eq(DbUuid(event)),
        event_deliveries::report_id.eq(DbUuid(report)),
        event_deliveries::status.eq("pending"),
        event_deliveries::attempts.eq(0),
        event_deliveries::next_attempt_at.eq(now),
        event_deliveries::replay.eq(replay),
        event_deliveries::created_at.eq(now),
    )
}

/// Queues again, for `endpoint`, every event since `since` that its filter lets through
/// (as it is now), oldest first, marked as replays; they are delivered after whatever of the
/// same report is already queued. Returns how many (inside the caller's transaction).
pub fn replay(conn: &mut DbConnection, endpoint: &Endpoint, since: DateTime<Utc>) -> Result<usize, StorageError> {
    let events: Vec<(DbUuid, DbUuid, String)> = report_events::table
        .filter(report_events::occurred_at.ge(DbTime::new(since)))
        .order((report_events::occurred_at, report_events::id))
        .select((report_events::id, report_events::report_id, report_events::event_type))
        .load(conn)?;
    let mut report_ids: Vec<Uuid> = events.iter().map(|e| e.1.0).collect();
    report_ids.sort_unstable();
    report_ids.dedup();
    let facts = facts_of(conn, &report_ids)?;
    let now = DbTime::new(Utc::now());
    let one = std::slice::from_ref(endpoint);
    let mut deliveries = Vec::new();
    for (id, report_id, name) in events {
        let event_type = EventType::parse(&name)
            .ok_or_else(|| StorageError::corrupt("report_events", "event_type", format!("row {}: '{name}'", id.0)))?;
        let Some(fact) = facts.get(&report_id.0) else { continue };
        if matching(one, event_type, fact).next().is_some() {
            deliveries.push(delivery_row(endpoint.id, id.0, report_id.0, true, now));
        }
    }
    Ok(super::insert_rows!(conn, event_deliveries::table, &deliveries)?)
}
