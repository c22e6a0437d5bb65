//! Photos on their way in: sniffed, decoded, turned upright and re-encoded without
//! metadata (off the async executor), then written to the photo store. For a report filed
//! with photos the files are staged before the report is stored and their rows recorded
//! after it; photos added later are stored all or nothing.

use bytes::Bytes;
use chrono::Utc;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::IntakeError;
use crate::domain::category::Catalog;
use crate::domain::photo::{self, ProcessedPhoto, StoredPhoto};
use crate::domain::report::Report;
use crate::storage::photos::{NewPhoto, PhotoStore, RecordOutcome};
use crate::storage::{Database, StorageError};

/// The photo store, the secret that signs upload tokens, and the limits.
pub struct PhotoService {
    /// Where the files go.
    pub store: std::sync::Arc<dyn PhotoStore>,
    /// Secret that signs upload tokens (the same in every process: it is in the database).
    pub secret: Vec<u8>,
    /// Most photos per report.
    pub max_count: usize,
    /// Largest accepted photo file, in bytes.
    pub max_bytes: usize,
}

/// Photos whose files are written but whose rows are not (yet): for intake, where the
/// files go before the report and the rows after it.
pub struct Staged {
    photos: Vec<NewPhoto>,
}

/// Sniffs, decodes and re-encodes every upload (off the async executor); the first one
/// refused refuses them all.
pub async fn process_all(uploads: Vec<Bytes>) -> Result<Vec<ProcessedPhoto>, IntakeError> {
    let mut processed = Vec::with_capacity(uploads.len());
    for (index, upload) in uploads.into_iter().enumerate() {
        let result = tokio::task::spawn_blocking(move || photo::process(&upload))
            .await
            .map_err(|e| IntakeError::Storage(StorageError::TaskStopped(e.to_string())))?;
        processed.push(result.map_err(|error| IntakeError::Photo { index, error })?);
    }
    Ok(processed)
}

/// The photos of `report` the public may see (none for non-public or sensitive categories).
pub async fn public_photos(
    db: &Database,
    catalog: &Catalog,
    report: &Report,
) -> Result<Vec<StoredPhoto>, StorageError> {
    if !super::photos_public(catalog, report) {
        return Ok(Vec::new());
    }
    let id = report.id;
    db.run(move |conn| crate::storage::photos::photos_of(conn, id)).await
}

impl PhotoService {
    /// Writes the files of processed photos of the report `report_id`; when one fails, none stays.
    pub async fn stage(&self, report_id: Uuid, processed: Vec<ProcessedPhoto>) -> Result<Staged, IntakeError> {
        let mut staged = Staged { photos: Vec::with_capacity(processed.len()) };
        for picture in processed {
            let (new, image, thumbnail) = describe(report_id, picture);
            if let Err(error) =
                crate::storage::photos::put_files(self.store.as_ref(), &new.photo, image, thumbnail).await
            {
                self.discard(staged).await;
                return Err(error.into());
            }
            staged.photos.push(new);
        }
        Ok(staged)
    }

    /// Deletes the files of staged photos (their report was not stored).
    pub async fn discard(&self, staged: Staged) {
        for new in &staged.photos {
            crate::storage::photos::delete_files(self.store.as_ref(), &new.photo).await;
        }
    }

    /// Records the rows of staged photos now that their report is stored. A photo whose row
    /// cannot be written loses its files; the report stands (the reporter can add the photo
    /// again with the upload token). Returns the photos recorded.
    pub async fn commit(&self, db: &Database, staged: Staged) -> Vec<StoredPhoto> {
        let mut recorded = Vec::with_capacity(staged.photos.len());
        for new in staged.photos {
            let stored = new.photo.clone();
            match crate::storage::photos::record_or_undo(db, self.store.as_ref(), new, self.max_count).await {
                Ok(RecordOutcome::Recorded(position)) => recorded.push(StoredPhoto { position, ..stored }),
                Ok(RecordOutcome::Full) => {}
                Err(error) => {
                    tracing::error!(%error, report_id = %stored.report_id, "a photo sent with a report was not stored")
                }
            }
        }
        recorded
    }

    /// Adds photos to a stored report, all or nothing: when one is refused or the report
    /// would have more than `max_count`, none stays.
    pub async fn add(
        &self,
        db: &Database,
        report_id: Uuid,
        uploads: Vec<Bytes>,
    ) -> Result<Vec<StoredPhoto>, IntakeError> {
        let existing = db.run(move |conn| crate::storage::photos::photos_of(conn, report_id)).await?.len();
        let too_many = || IntakeError::TooManyPhotos { existing, max: self.max_count };
        if existing + uploads.len() > self.max_count {
            return Err(too_many());
        }
        let processed = process_all(uploads).await?;
        let mut added: Vec<StoredPhoto> = Vec::new();
        for picture in processed {
            let failure = match self.store_one(db, report_id, picture).await {
                Ok(Some(stored)) => {
                    added.push(stored);
                    continue;
                }
                Ok(None) => too_many(),
                Err(error) => error.into(),
            };
            // All or nothing: undo this request's earlier photos.
            for stored in &added {
                let _ = crate::storage::photos::remove(db, self.store.as_ref(), stored).await;
            }
            return Err(failure);
        }
        Ok(added)
    }

    async fn store_one(
        &self,
        db: &Database,
        report_id: Uuid,
        picture: ProcessedPhoto,
    ) -> Result<Option<StoredPhoto>, StorageError> {
        let (new, image, thumbnail) = describe(report_id, picture);
        let stored = new.photo.clone();
        let outcome =
            crate::storage::photos::store(db, self.store.as_ref(), new, image, thumbnail, self.max_count).await?;
        Ok(match outcome {
            RecordOutcome::Recorded(position) => Some(StoredPhoto { position, ..stored }),
            RecordOutcome::Full => None,
        })
    }
}

/// The description of a processed photo of `report_id`, with its bytes.
fn describe(report_id: Uuid, picture: ProcessedPhoto) -> (NewPhoto, Bytes, Bytes) {
    let photo = StoredPhoto {
        id: Uuid::now_v7(),
        report_id,
        position: 0,
        format: picture.format,
        width: picture.width,
        height: picture.height,
        sha256: hex::encode(Sha256::digest(&picture.image)),
        thumbnail_sha256: hex::encode(Sha256::digest(&picture.thumbnail)),
        created_at: Utc::now(),
    };
    let new = NewPhoto { photo, bytes: picture.image.len() as u64, thumbnail_bytes: picture.thumbnail.len() as u64 };
    (new, Bytes::from(picture.image), Bytes::from(picture.thumbnail))
}
