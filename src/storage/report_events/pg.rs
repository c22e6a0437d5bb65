//! Recording report events on PostgreSQL as one fixed statement: the events travel as one
//! array per column and are unnested by the server, and the same statement says whether
//! any endpoint is active. Its text never changes with the number of events, so the
//! connection prepares it once and then only executes it: intake's batch costs one round
//! trip for its events, where a `VALUES` list of the batch's length (which diesel cannot
//! keep prepared) plus the query for active endpoints cost a prepare, a plan and two round
//! trips (see docs/benchmarks.md, "Intake and report events").

use chrono::{DateTime, Utc};
use diesel::pg::Pg;
use diesel::prelude::*;
use diesel::query_builder::{AstPass, Query, QueryFragment, QueryId};
use diesel::sql_types::{Array, Bool, Text, Timestamptz, Uuid as SqlUuid};
use uuid::Uuid;

use super::NewEvent;

/// `WITH written AS (INSERT INTO report_events … SELECT FROM unnest(…)) SELECT EXISTS
/// (an active endpoint)`: the events are stored, and the answer says whether they need a
/// fan-out.
pub(super) struct InsertEvents {
    ids: Vec<Uuid>,
    report_ids: Vec<Uuid>,
    event_types: Vec<&'static str>,
    data: Vec<String>,
    occurred_at: DateTime<Utc>,
}

impl InsertEvents {
    pub(super) fn new(events: &[NewEvent], ids: &[Uuid], occurred_at: DateTime<Utc>) -> Self {
        InsertEvents {
            ids: ids.to_vec(),
            report_ids: events.iter().map(|event| event.report_id).collect(),
            event_types: events.iter().map(|event| event.event_type.as_str()).collect(),
            data: events.iter().map(|event| event.data.to_string()).collect(),
            occurred_at,
        }
    }
}

impl QueryId for InsertEvents {
    type QueryId = InsertEvents;
    const HAS_STATIC_QUERY_ID: bool = true;
}

impl Query for InsertEvents {
    type SqlType = Bool;
}

impl QueryFragment<Pg> for InsertEvents {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        out.push_sql(
            "WITH written AS (INSERT INTO report_events (id, report_id, event_type, data, occurred_at) \
             SELECT event.id, event.report_id, event.event_type, event.data, ",
        );
        out.push_bind_param::<Timestamptz, _>(&self.occurred_at)?;
        out.push_sql(" FROM unnest(");
        out.push_bind_param::<Array<SqlUuid>, _>(&self.ids)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<SqlUuid>, _>(&self.report_ids)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<Text>, _>(&self.event_types)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<Text>, _>(&self.data)?;
        // unnest keeps the arrays' order, so the events are written in the order given.
        out.push_sql(
            ") AS event (id, report_id, event_type, data)) \
             SELECT EXISTS (SELECT 1 FROM event_endpoints WHERE active)",
        );
        Ok(())
    }
}

impl RunQueryDsl<PgConnection> for InsertEvents {}
