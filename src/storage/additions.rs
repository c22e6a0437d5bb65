//! What a reporter adds to their own open report through its follow link: remarks for
//! the staff (kept as internal notes, since a resident may write personal details in them)
//! and a history entry for the photos they add. Refused once the report is closed.

use diesel::prelude::*;
use uuid::Uuid;

use super::connection::DbUuid;
use super::schema::report_history;
use super::{DbConnection, StorageError};
use crate::domain::report::ReportStatus;
use crate::domain::workflow::is_closed;

/// The history actor of what a resident adds.
pub const ACTOR: &str = "reporter";

/// How many remarks a reporter may add to one report (so a link cannot flood the history).
pub const REMARKS_MAX: i64 = 20;

/// What became of an addition.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Addition {
    /// Stored, with its history entry.
    Added,
    /// The report is closed (resolved or cancelled): nothing stored.
    Closed(ReportStatus),
    /// The reporter has added [`REMARKS_MAX`] remarks already: nothing stored.
    TooMany,
    /// No such report.
    Unknown,
}

/// The status of `report_id`, `None` when there is no such report.
pub fn status_of(conn: &mut DbConnection, report_id: Uuid) -> Result<Option<ReportStatus>, StorageError> {
    Ok(super::reports::by_id(conn, report_id)?.map(|report| report.status))
}

/// Adds the reporter's remark to the open report `report_id` as an internal note.
pub fn remark(conn: &mut DbConnection, report_id: Uuid, text: &str) -> Result<Addition, StorageError> {
    conn.write_transaction(|c| -> Result<Addition, StorageError> {
        let Some(status) = status_of(c, report_id)? else { return Ok(Addition::Unknown) };
        if is_closed(status) {
            return Ok(Addition::Closed(status));
        }
        let earlier: i64 = report_history::table
            .filter(report_history::report_id.eq(DbUuid(report_id)))
            .filter(report_history::actor.eq(ACTOR))
            .filter(report_history::action.eq("note"))
            .filter(report_history::details.like("%\"via\":\"follow_link\"%"))
            .count()
            .get_result(c)?;
        if earlier >= REMARKS_MAX {
            return Ok(Addition::TooMany);
        }
        super::triage::append(
            c,
            report_id,
            ACTOR,
            "note",
            serde_json::json!({"visibility": "internal", "text": text, "via": "follow_link"}),
        )?;
        Ok(Addition::Added)
    })
}

/// Records in the history that the reporter added `count` photos to `report_id`.
pub fn photos_added(conn: &mut DbConnection, report_id: Uuid, count: usize) -> Result<(), StorageError> {
    conn.write_transaction(|c| {
        super::triage::append(c, report_id, ACTOR, "photos_added", serde_json::json!({"count": count}))
    })
}
