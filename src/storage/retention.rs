//! Deleting reports for good (retention): the report's photos first (files, then rows),
//! then the report itself, whose history, contact details and idempotency keys go with it
//! (`ON DELETE CASCADE`). There is no HTTP endpoint for this yet; a scheduled retention
//! job or an admin command calls [`delete_report`].

use diesel::prelude::*;
use uuid::Uuid;

use super::connection::DbUuid;
use super::photos::{PhotoStore, delete_report_photos};
use super::schema::reports;
use super::{Database, StorageError};

/// Deletes a report and everything of it, photos included. Returns whether the report
/// existed. Safe to run again when it failed half-way (the photos go first).
pub async fn delete_report(db: &Database, store: &dyn PhotoStore, report_id: Uuid) -> Result<bool, StorageError> {
    delete_report_photos(db, store, report_id).await?;
    let db = db.clone();
    tokio::task::spawn_blocking(move || {
        let mut conn = db.conn()?;
        conn.write_transaction(|c| {
            let counted = super::rollup::view(c, report_id)?;
            let deleted = diesel::delete(reports::table.find(DbUuid(report_id))).execute(c)?;
            super::rollup::refresh(c, report_id, counted)?;
            Ok::<_, StorageError>(deleted > 0)
        })
    })
    .await
    .map_err(|e| StorageError::Setup(format!("report deletion stopped: {e}")))?
}
