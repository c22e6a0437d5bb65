//! Deleting reports for good when their term has passed: resolved ones after
//! `retention_resolved_days`, cancelled ones after `retention_cancelled_days`. The
//! duplicates merged into a report go with it. Photos go first (files, then rows), so a
//! batch stopped between the two leaves no file without its report's knowledge; then, in
//! one transaction, each report leaves its anonymous statistical record (`records`) and is
//! deleted with its history, contact, follow links and supporters (`ON DELETE CASCADE`).
//! The statistics roll-up is not touched: the record keeps counting what the report counted.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use uuid::Uuid;

use super::super::connection::{DbTime, DbUuid};
use super::super::photos::{PhotoStore, delete_report_photos};
use super::super::schema::{report_photos, reports};
use super::super::{Database, DbConnection, StorageError};
use super::{Batch, Cursor, records};
use crate::domain::retention::Cutoffs;

/// Which reports a deletion step deletes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeletionKind {
    /// Resolved before `Cutoffs::resolved`.
    Resolved,
    /// Cancelled before `Cutoffs::cancelled`.
    Cancelled,
}

impl DeletionKind {
    fn status(self) -> &'static str {
        match self {
            DeletionKind::Resolved => "resolved",
            DeletionKind::Cancelled => "cancelled",
        }
    }

    fn cutoff(self, cutoffs: &Cutoffs) -> DateTime<Utc> {
        match self {
            DeletionKind::Resolved => cutoffs.resolved,
            DeletionKind::Cancelled => cutoffs.cancelled,
        }
    }
}

/// How many reports would be deleted now.
pub(super) fn count_due(conn: &mut DbConnection, kind: DeletionKind, cutoffs: &Cutoffs) -> Result<i64, StorageError> {
    Ok(reports::table
        .filter(reports::status.eq(kind.status()))
        .filter(reports::settled_at.lt(DbTime::new(kind.cutoff(cutoffs))))
        .count()
        .get_result(conn)?)
}

/// The due reports among `ids` (or, with `after`, the next `limit` due reports).
fn due_ids(
    conn: &mut DbConnection,
    kind: DeletionKind,
    cutoffs: &Cutoffs,
    after: Cursor,
    among: Option<&[Uuid]>,
    limit: i64,
) -> Result<Vec<Uuid>, StorageError> {
    let mut query = reports::table
        .filter(reports::status.eq(kind.status()))
        .filter(reports::settled_at.lt(DbTime::new(kind.cutoff(cutoffs))))
        .into_boxed();
    if let Some(last) = after {
        query = query.filter(reports::id.gt(DbUuid(last)));
    }
    if let Some(ids) = among {
        query = query.filter(reports::id.eq_any(ids.iter().copied().map(DbUuid).collect::<Vec<_>>()));
    }
    let ids: Vec<DbUuid> = query.order(reports::id.asc()).limit(limit).select(reports::id).load(conn)?;
    Ok(ids.into_iter().map(|id| id.0).collect())
}

/// `ids` and every report merged into one of them (and into those), duplicates first.
pub(super) fn with_duplicates(conn: &mut DbConnection, ids: &[Uuid]) -> Result<Vec<Uuid>, StorageError> {
    let mut family: Vec<Uuid> = Vec::new();
    let mut layer: Vec<Uuid> = ids.to_vec();
    while !layer.is_empty() && family.len() < 100_000 {
        let below: Vec<DbUuid> = reports::table
            .filter(reports::merged_into_id.eq_any(layer.iter().copied().map(|id| Some(DbUuid(id)))))
            .select(reports::id)
            .load(conn)?;
        family.splice(0..0, layer);
        layer = below.into_iter().map(|id| id.0).filter(|id| !family.contains(id)).collect();
    }
    Ok(family)
}

/// Deletes the next `limit` due reports after `after` (and their duplicates), keeping
/// their anonymous records. The photos of each go first.
pub async fn delete_batch(
    db: &Database,
    store: &dyn PhotoStore,
    kind: DeletionKind,
    cutoffs: Cutoffs,
    limit: i64,
    after: Cursor,
) -> Result<Batch, StorageError> {
    let (ids, family) = db
        .run(move |conn| {
            let ids = due_ids(conn, kind, &cutoffs, after, None, limit)?;
            let family = with_duplicates(conn, &ids)?;
            Ok::<_, StorageError>((ids, family))
        })
        .await?;
    let Some(last) = ids.last().copied() else {
        return Ok(Batch { done: 0, photos: 0, next: None });
    };
    let photos = delete_photos_of(db, store, &family).await?;
    let read = i64::try_from(ids.len()).unwrap_or(i64::MAX);
    let done = db
        .run(move |conn| {
            conn.write_transaction(|c| {
                // Still due (a report reopened meanwhile is not), with its duplicates now.
                let ids = due_ids(c, kind, &cutoffs, None, Some(&ids), limit)?;
                let family = with_duplicates(c, &ids)?;
                delete_keeping_records(c, &family, cutoffs.now)
            })
        })
        .await?;
    Ok(Batch { done, photos, next: (read >= limit).then_some(Some(last)) })
}

/// Deletes the photos of `ids` (files, then rows); the number of photos.
async fn delete_photos_of(db: &Database, store: &dyn PhotoStore, ids: &[Uuid]) -> Result<i64, StorageError> {
    let keys: Vec<DbUuid> = ids.iter().copied().map(DbUuid).collect();
    let with_photos: Vec<DbUuid> = db
        .run(move |conn| {
            Ok::<_, StorageError>(
                report_photos::table
                    .filter(report_photos::report_id.eq_any(keys))
                    .select(report_photos::report_id)
                    .load(conn)?,
            )
        })
        .await?;
    let count = i64::try_from(with_photos.len()).unwrap_or(i64::MAX);
    let mut reports: Vec<Uuid> = with_photos.into_iter().map(|id| id.0).collect();
    reports.sort_unstable();
    reports.dedup();
    for report in reports {
        delete_report_photos(db, store, report).await?;
    }
    Ok(count)
}

/// Writes the anonymous record of each of `family` that statistics count, erases what is
/// queued for their reporters, and deletes them (duplicates first; inside the caller's
/// transaction). The number of reports deleted.
pub(super) fn delete_keeping_records(
    conn: &mut DbConnection,
    family: &[Uuid],
    now: DateTime<Utc>,
) -> Result<i64, StorageError> {
    records::keep(conn, family, now)?;
    super::cancel_queued_messages(conn, family)?;
    let mut deleted = 0;
    for id in family {
        deleted += diesel::delete(reports::table.find(DbUuid(*id))).execute(conn)?;
    }
    Ok(i64::try_from(deleted).unwrap_or(i64::MAX))
}

/// Reports closed before the photo term whose photos are still there (at most `limit`).
fn photo_candidates(conn: &mut DbConnection, cutoffs: &Cutoffs, limit: i64) -> Result<Vec<Uuid>, StorageError> {
    let Some(before) = cutoffs.photos else { return Ok(Vec::new()) };
    let settled = reports::table.filter(reports::settled_at.lt(DbTime::new(before))).select(reports::id);
    let ids: Vec<DbUuid> = report_photos::table
        .filter(report_photos::report_id.eq_any(settled))
        .select(report_photos::report_id)
        .distinct()
        .limit(limit)
        .load(conn)?;
    Ok(ids.into_iter().map(|id| id.0).collect())
}

/// How many photos would be deleted now by their own term.
pub(super) fn count_photos_due(conn: &mut DbConnection, cutoffs: &Cutoffs) -> Result<i64, StorageError> {
    let Some(before) = cutoffs.photos else { return Ok(0) };
    let settled = reports::table.filter(reports::settled_at.lt(DbTime::new(before))).select(reports::id);
    Ok(report_photos::table.filter(report_photos::report_id.eq_any(settled)).count().get_result(conn)?)
}

/// Deletes the photos of up to `limit` reports closed before the photo term.
pub async fn delete_photos_batch(
    db: &Database,
    store: &dyn PhotoStore,
    cutoffs: Cutoffs,
    limit: i64,
) -> Result<Batch, StorageError> {
    let ids = db.run(move |conn| photo_candidates(conn, &cutoffs, limit)).await?;
    let photos = delete_photos_of(db, store, &ids).await?;
    let full = i64::try_from(ids.len()).unwrap_or(i64::MAX) >= limit;
    Ok(Batch { done: photos, photos, next: full.then_some(None) })
}
