//! Photos: the bytes in a [`PhotoStore`] (local folder or S3-compatible object storage),
//! their descriptions in the `report_photos` table.
//!
//! Consistency between the two: an upload writes the files first and the row after, in a
//! transaction; when the row cannot be written the files are deleted again, so a failed
//! upload leaves nothing behind. Deleting deletes the files first and the rows after, so a
//! row never points at a deleted file for longer than the deletion takes, and a deletion
//! that fails half-way can simply be run again.

pub mod local;
pub mod s3;

use std::collections::HashMap;

use bytes::Bytes;
use diesel::prelude::*;
use diesel::result::{DatabaseErrorKind, Error as DieselError};
use futures_util::future::BoxFuture;
use uuid::Uuid;

use super::connection::{DbTime, DbUuid};
use super::schema::{photo_upload_secret, report_photos};
use super::{Database, DbConnection, StorageError};
use crate::domain::photo::{StoredFormat, StoredPhoto};

pub use local::LocalPhotoStore;
pub use s3::{S3PhotoStore, S3Settings};

/// A failure of the photo store.
#[derive(Debug, thiserror::Error)]
#[error("photo store: {0}")]
pub struct PhotoStoreError(pub String);

/// The answer of a photo store operation.
pub type StoreFuture<'a, T> = BoxFuture<'a, Result<T, PhotoStoreError>>;

/// Where photo bytes are kept. Keys are `/`-separated and made only of ids (see
/// [`photo_key`]), so every implementation can use them as paths.
pub trait PhotoStore: Send + Sync {
    /// Stores `bytes` under `key`, replacing what was there; when it returns, it is durable.
    fn put<'a>(&'a self, key: &'a str, bytes: Bytes) -> StoreFuture<'a, ()>;
    /// The bytes under `key`, or `None` when there are none.
    fn get<'a>(&'a self, key: &'a str) -> StoreFuture<'a, Option<Bytes>>;
    /// Deletes `key` (nothing there is fine).
    fn delete<'a>(&'a self, key: &'a str) -> StoreFuture<'a, ()>;
    /// Deletes every key under `prefix` (a folder, ending in `/`); returns how many.
    fn delete_prefix<'a>(&'a self, prefix: &'a str) -> StoreFuture<'a, u64>;
}

/// The folder of a report's photos in the store.
pub fn report_prefix(report_id: Uuid) -> String {
    format!("reports/{report_id}/")
}

/// The key of a photo (`thumbnail`: of its thumbnail).
pub fn photo_key(report_id: Uuid, photo_id: Uuid, format: StoredFormat, thumbnail: bool) -> String {
    let extension = match format {
        StoredFormat::Jpeg => "jpg",
        StoredFormat::Png => "png",
    };
    let suffix = if thumbnail { ".thumb" } else { "" };
    format!("{}{photo_id}{suffix}.{extension}", report_prefix(report_id))
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = report_photos)]
struct PhotoRow {
    id: DbUuid,
    report_id: DbUuid,
    position: i32,
    media_type: String,
    width: i32,
    height: i32,
    bytes: i64,
    thumbnail_bytes: i64,
    sha256: String,
    thumbnail_sha256: String,
    created_at: DbTime,
}

impl TryFrom<PhotoRow> for StoredPhoto {
    type Error = StorageError;

    fn try_from(row: PhotoRow) -> Result<Self, StorageError> {
        let corrupt = |what: &str| StorageError::Corrupt(format!("photo {}: {what}", row.id.0));
        Ok(StoredPhoto {
            id: row.id.0,
            report_id: row.report_id.0,
            position: row.position,
            format: StoredFormat::from_media_type(&row.media_type).ok_or_else(|| corrupt("unknown media type"))?,
            width: u32::try_from(row.width).map_err(|_| corrupt("negative width"))?,
            height: u32::try_from(row.height).map_err(|_| corrupt("negative height"))?,
            sha256: row.sha256,
            thumbnail_sha256: row.thumbnail_sha256,
            created_at: row.created_at.0,
        })
    }
}

/// A photo to record, after its files were stored.
#[derive(Debug, Clone)]
pub struct NewPhoto {
    /// The description (its `position` is chosen when recording).
    pub photo: StoredPhoto,
    /// Size of the photo in bytes.
    pub bytes: u64,
    /// Size of the thumbnail in bytes.
    pub thumbnail_bytes: u64,
}

/// What recording a photo did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RecordOutcome {
    /// Recorded at this position.
    Recorded(i32),
    /// The report already has `max` photos.
    Full,
}

/// Records a photo whose files are stored, unless the report already has `max` photos.
pub fn record(conn: &mut DbConnection, new: &NewPhoto, max: usize) -> Result<RecordOutcome, StorageError> {
    let max = i64::try_from(max).unwrap_or(i64::MAX);
    let mut attempt = 0;
    loop {
        attempt += 1;
        let result = conn.write_transaction(|c| {
            let report_id = DbUuid(new.photo.report_id);
            let (count, last): (i64, Option<i32>) = report_photos::table
                .filter(report_photos::report_id.eq(report_id))
                .select((diesel::dsl::count_star(), diesel::dsl::max(report_photos::position)))
                .first(c)?;
            if count >= max {
                return Ok(RecordOutcome::Full);
            }
            let position = last.map_or(0, |p| p + 1);
            let photo = &new.photo;
            diesel::insert_into(report_photos::table)
                .values(PhotoRow {
                    id: DbUuid(photo.id),
                    report_id,
                    position,
                    media_type: photo.format.media_type().to_owned(),
                    width: i32::try_from(photo.width).unwrap_or(i32::MAX),
                    height: i32::try_from(photo.height).unwrap_or(i32::MAX),
                    bytes: i64::try_from(new.bytes).unwrap_or(i64::MAX),
                    thumbnail_bytes: i64::try_from(new.thumbnail_bytes).unwrap_or(i64::MAX),
                    sha256: photo.sha256.clone(),
                    thumbnail_sha256: photo.thumbnail_sha256.clone(),
                    created_at: DbTime::new(photo.created_at),
                })
                .execute(c)?;
            Ok::<_, StorageError>(RecordOutcome::Recorded(position))
        });
        match result {
            // Two uploads to one report raced for the same position: count again.
            Err(StorageError::Query(DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, _)))
                if attempt < 5 => {}
            other => return other,
        }
    }
}

/// The photos of a report, first first.
pub fn photos_of(conn: &mut DbConnection, report_id: Uuid) -> Result<Vec<StoredPhoto>, StorageError> {
    report_photos::table
        .filter(report_photos::report_id.eq(DbUuid(report_id)))
        .order(report_photos::position.asc())
        .select(PhotoRow::as_select())
        .load(conn)?
        .into_iter()
        .map(StoredPhoto::try_from)
        .collect()
}

/// One photo of a report.
pub fn photo(conn: &mut DbConnection, report_id: Uuid, photo_id: Uuid) -> Result<Option<StoredPhoto>, StorageError> {
    report_photos::table
        .find(DbUuid(photo_id))
        .filter(report_photos::report_id.eq(DbUuid(report_id)))
        .select(PhotoRow::as_select())
        .first(conn)
        .optional()?
        .map(StoredPhoto::try_from)
        .transpose()
}

/// The first photo of each of `report_ids` that has any (report id → photo id).
pub fn first_photos(conn: &mut DbConnection, report_ids: &[Uuid]) -> Result<HashMap<Uuid, Uuid>, StorageError> {
    let mut first = HashMap::new();
    for chunk in report_ids.chunks(500) {
        let ids: Vec<DbUuid> = chunk.iter().copied().map(DbUuid).collect();
        let rows: Vec<(DbUuid, DbUuid, i32)> = report_photos::table
            .filter(report_photos::report_id.eq_any(ids))
            .select((report_photos::report_id, report_photos::id, report_photos::position))
            .load(conn)?;
        let mut best: HashMap<Uuid, (i32, Uuid)> = HashMap::new();
        for (report, photo, position) in rows {
            let entry = best.entry(report.0).or_insert((position, photo.0));
            if position < entry.0 {
                *entry = (position, photo.0);
            }
        }
        first.extend(best.into_iter().map(|(report, (_, photo))| (report, photo)));
    }
    Ok(first)
}

/// The deployment's secret for photo upload tokens.
pub fn upload_secret(conn: &mut DbConnection) -> Result<String, StorageError> {
    Ok(photo_upload_secret::table.find(1).select(photo_upload_secret::secret).first(conn)?)
}

/// Writes the files of a photo (photo and thumbnail); when one fails, neither stays.
pub async fn put_files(
    store: &dyn PhotoStore,
    photo: &StoredPhoto,
    image: Bytes,
    thumbnail: Bytes,
) -> Result<(), StorageError> {
    let image_key = photo_key(photo.report_id, photo.id, photo.format, false);
    let thumbnail_key = photo_key(photo.report_id, photo.id, photo.format, true);
    let written = async {
        store.put(&image_key, image).await?;
        store.put(&thumbnail_key, thumbnail).await
    }
    .await;
    if let Err(error) = written {
        delete_files(store, photo).await;
        return Err(StorageError::Setup(error.to_string()));
    }
    Ok(())
}

/// Deletes the files of a photo whose upload is being undone (failures are logged).
pub async fn delete_files(store: &dyn PhotoStore, photo: &StoredPhoto) {
    for thumbnail in [false, true] {
        let key = photo_key(photo.report_id, photo.id, photo.format, thumbnail);
        if let Err(error) = store.delete(&key).await {
            tracing::error!(%error, key = %key, "could not remove the files of a failed upload");
        }
    }
}

/// Records the row of a photo whose files are written (see [`record`]); when that fails
/// or the report is full, deletes the files again.
pub async fn record_or_undo(
    db: &Database,
    store: &dyn PhotoStore,
    new: NewPhoto,
    max: usize,
) -> Result<RecordOutcome, StorageError> {
    let photo = new.photo.clone();
    let db = db.clone();
    let recorded = tokio::task::spawn_blocking(move || record(&mut *db.conn()?, &new, max))
        .await
        .map_err(|e| StorageError::Setup(format!("photo recording stopped: {e}")))
        .and_then(|r| r);
    if !matches!(recorded, Ok(RecordOutcome::Recorded(_))) {
        delete_files(store, &photo).await;
    }
    recorded
}

/// Stores a processed photo: files first, then the row; when the row cannot be written
/// (or the report is full) the files are removed again. Returns the outcome.
pub async fn store(
    db: &Database,
    store: &dyn PhotoStore,
    new: NewPhoto,
    image: Bytes,
    thumbnail: Bytes,
    max: usize,
) -> Result<RecordOutcome, StorageError> {
    put_files(store, &new.photo, image, thumbnail).await?;
    record_or_undo(db, store, new, max).await
}

/// Removes one photo: its files, then its row.
pub async fn remove(db: &Database, store: &dyn PhotoStore, photo: &StoredPhoto) -> Result<(), StorageError> {
    for thumbnail in [false, true] {
        let key = photo_key(photo.report_id, photo.id, photo.format, thumbnail);
        store.delete(&key).await.map_err(|e| StorageError::Setup(e.to_string()))?;
    }
    let db = db.clone();
    let id = photo.id;
    tokio::task::spawn_blocking(move || {
        diesel::delete(report_photos::table.find(DbUuid(id))).execute(&mut *db.conn()?)?;
        Ok::<_, StorageError>(())
    })
    .await
    .map_err(|e| StorageError::Setup(format!("photo removal stopped: {e}")))?
}

/// Deletes every photo of a report: the files (everything under the report's folder, so
/// also leftovers of interrupted uploads), then the rows. Safe to run again after a failure.
/// Returns how many files were removed.
pub async fn delete_report_photos(db: &Database, store: &dyn PhotoStore, report_id: Uuid) -> Result<u64, StorageError> {
    let removed =
        store.delete_prefix(&report_prefix(report_id)).await.map_err(|e| StorageError::Setup(e.to_string()))?;
    let db = db.clone();
    tokio::task::spawn_blocking(move || {
        let mut conn = db.conn()?;
        conn.write_transaction(|c| {
            diesel::delete(report_photos::table.filter(report_photos::report_id.eq(DbUuid(report_id)))).execute(c)?;
            Ok::<_, StorageError>(())
        })
    })
    .await
    .map_err(|e| StorageError::Setup(format!("photo deletion stopped: {e}")))??;
    Ok(removed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_grouped_per_report_and_told_apart_by_variant() {
        let report = Uuid::nil();
        let photo = Uuid::max();
        let key = photo_key(report, photo, StoredFormat::Jpeg, false);
        let thumb = photo_key(report, photo, StoredFormat::Jpeg, true);
        assert!(key.starts_with(&report_prefix(report)) && thumb.starts_with(&report_prefix(report)));
        assert_ne!(key, thumb);
        assert!(key.ends_with(".jpg"));
    }
}
