//! Moderation of a report's public description: the change and its history entry
//! (`description_moderated`, with who, what and why) in one transaction. The resident's
//! original description is never touched.

use chrono::Utc;
use diesel::prelude::*;
use uuid::Uuid;

use super::connection::{DbTime, DbUuid};
use super::schema::reports;
use super::{DbConnection, StorageError};
use crate::domain::privacy::moderation::ModerationChange;
use crate::domain::report::Report;

/// The history action of a moderation.
pub const MODERATED: &str = "description_moderated";

/// Applies `change` to report `id` as `actor`; `None` when there is no such report. Bumps
/// `updated_at`, so Open311 clients that ask for changed requests fetch the new text.
pub fn moderate(
    conn: &mut DbConnection,
    id: Uuid,
    actor: &str,
    change: &ModerationChange,
) -> Result<Option<Report>, StorageError> {
    conn.write_transaction(|conn| {
        let kind = change.moderation.as_ref().map(|m| m.kind().as_str());
        let text = change.moderation.as_ref().and_then(|m| m.text());
        let updated = diesel::update(reports::table.find(DbUuid(id)))
            .set((
                reports::description_moderation.eq(kind),
                reports::public_description.eq(text),
                reports::updated_at.eq(DbTime::new(Utc::now())),
            ))
            .execute(conn)?;
        if updated == 0 {
            return Ok(None);
        }
        // The details say what the public sees from now on; the original is in the report.
        let details = serde_json::json!({
            "moderation": kind.unwrap_or("none"),
            "public_text": text,
            "reason": change.reason,
        });
        super::triage::append(conn, id, actor, MODERATED, details)?;
        super::reports::by_id(conn, id)
    })
}
