//! Intake: the one pipeline behind every way of filing a report (the JSON API, Open311,
//! and later imports). It validates against the catalog, stamps the CBS areas (optionally
//! requiring a gemeente as Open311's `jurisdiction_id` does), routes, stages photos, and
//! hands the report to the group-commit [`writer`]. It knows no HTTP: callers convert
//! their requests into a [`IntakeInput`] and map an [`IntakeError`] to their own answers.

pub mod photos;
pub mod writer;

use bytes::Bytes;
use chrono::Utc;

use crate::domain::category::Catalog;
use crate::domain::photo::{PhotoError, StoredPhoto};
use crate::domain::placement::Placer;
use crate::domain::report::{IntakeInput, NewReport, Report, ReportSource, validate_intake};
use crate::domain::validation::FieldError;
use crate::storage::duplicates::Nearby;
use crate::storage::snapshot::{ConfigHandle, Snapshot};
use crate::storage::{Database, StorageError};
use photos::PhotoService;
use writer::{IdempotencyClaim, IntakeOutcome, IntakeWriter, SubmitError};

/// Everything intake needs, borrowed from the process's shared state.
pub struct Intake<'a> {
    /// The database pool (for reading a replayed report back).
    pub db: &'a Database,
    /// The group-commit writer.
    pub writer: &'a IntakeWriter,
    /// Departments, categories, routing rules and areas.
    pub config: &'a ConfigHandle,
    /// Municipalities served (CBS codes); empty: every known one.
    pub served: &'a [String],
    /// Photo store and limits.
    pub photos: &'a PhotoService,
}

/// A report that intake stored, or had stored earlier for the same idempotency key.
pub struct Filed {
    /// The report.
    pub report: Report,
    /// Whether this answers a retry (the report was stored earlier).
    pub replayed: bool,
    /// Its photos: those sent with it, or for a retry those the public may see.
    pub photos: Vec<StoredPhoto>,
    /// Open reports of its category nearby, nearest first (empty for a retry).
    pub nearby: Vec<Nearby>,
}

/// Why intake refused or failed to store a report. Nothing is stored in any of these cases.
#[derive(Debug, thiserror::Error)]
pub enum IntakeError {
    /// Fields have invalid values.
    #[error("{} field(s) are invalid", .0.len())]
    Invalid(Vec<FieldError>),
    /// The location is outside every municipality served (or outside the jurisdiction asked).
    #[error("{0}")]
    OutsideServiceArea(String),
    /// A photo sent with the report was refused (`index` counts from 0).
    #[error("photo {}: {error}", .index + 1)]
    Photo {
        /// Which photo.
        index: usize,
        /// Why.
        error: PhotoError,
    },
    /// The report would have more photos than allowed.
    #[error("a report can have at most {max} photos and this one has {existing}; send fewer")]
    TooManyPhotos {
        /// Photos the report has.
        existing: usize,
        /// The limit.
        max: usize,
    },
    /// The idempotency key was used before with a different request.
    #[error("idempotency key reused")]
    KeyReused,
    /// Too many reports are waiting to be stored.
    #[error("intake queue is full")]
    Overloaded,
    /// Storing failed.
    #[error(transparent)]
    Storage(#[from] StorageError),
}

impl From<SubmitError> for IntakeError {
    fn from(error: SubmitError) -> Self {
        match error {
            SubmitError::Overloaded => IntakeError::Overloaded,
            SubmitError::Storage(e) => IntakeError::Storage(e),
        }
    }
}

impl Intake<'_> {
    /// Files a report: validation, area stamping, routing, photos, and the durable write
    /// with its idempotency claim. `uploads` are photos sent with the report: checked
    /// before anything is stored, their files written before the report, their rows after it.
    pub async fn file(
        &self,
        input: IntakeInput,
        source: ReportSource,
        claim: Option<IdempotencyClaim>,
        jurisdiction: Option<&str>,
        uploads: Vec<Bytes>,
    ) -> Result<Filed, IntakeError> {
        let snapshot = self.config.snapshot();
        let report = self.prepare(&snapshot, input, source, jurisdiction)?;
        let processed = photos::process_all(uploads).await?;
        let staged = self.photos.stage(report.id, processed).await?;
        let outcome = match self.writer.submit(report, claim).await {
            Ok(outcome) => outcome,
            Err(error) => {
                self.photos.discard(staged).await;
                return Err(error.into());
            }
        };
        match outcome {
            IntakeOutcome::Created(report, nearby) => {
                let photos = self.photos.commit(self.db, staged).await;
                tracing::info!(report_id = %report.id, reference = %report.reference, source = source.as_str(), "report filed");
                Ok(Filed { report: *report, replayed: false, photos, nearby })
            }
            IntakeOutcome::Replayed(id) => {
                self.photos.discard(staged).await;
                let report = self.replayed(id).await?;
                let photos = photos::public_photos(self.db, &snapshot.catalog, &report).await?;
                Ok(Filed { report, replayed: true, photos, nearby: Vec::new() })
            }
            IntakeOutcome::KeyReused => {
                self.photos.discard(staged).await;
                Err(IntakeError::KeyReused)
            }
        }
    }

    /// The report as it will be stored: validated, stamped and routed.
    fn prepare(
        &self,
        snapshot: &Snapshot,
        input: IntakeInput,
        source: ReportSource,
        jurisdiction: Option<&str>,
    ) -> Result<NewReport, IntakeError> {
        let intake = validate_intake(&input, &snapshot.catalog).map_err(IntakeError::Invalid)?;
        let placer = placer(snapshot, self.served);
        let area = placer.stamp(intake.location).map_err(IntakeError::OutsideServiceArea)?;
        if let Some(code) = jurisdiction
            && area.as_ref().is_none_or(|stamp| !stamp.gemeente_code.eq_ignore_ascii_case(code))
        {
            return Err(IntakeError::OutsideServiceArea(format!(
                "the location is not in jurisdiction {code}; send a location inside that municipality"
            )));
        }
        let now = Utc::now();
        let placement = placer.route(&intake.category, area.as_ref(), intake.location, &intake.answers, now);
        Ok(NewReport::from_intake(intake, placement, source, now))
    }

    /// The report an earlier request with the same idempotency key stored.
    async fn replayed(&self, id: uuid::Uuid) -> Result<Report, IntakeError> {
        let found = self.db.run(move |conn| crate::storage::reports::by_id(conn, id)).await?;
        found.ok_or_else(|| IntakeError::Storage(StorageError::Corrupt(format!("replayed report {id} is missing"))))
    }
}

/// A placer (area stamping and routing) over a configuration snapshot.
pub fn placer<'a>(snapshot: &'a Snapshot, served: &'a [String]) -> Placer<'a> {
    Placer { catalog: &snapshot.catalog, rules: &snapshot.rules, areas: &snapshot.areas, served }
}

/// Whether the category's photos may be shown to the public.
pub fn photos_public(catalog: &Catalog, report: &Report) -> bool {
    catalog.category(report.category_id).is_some_and(crate::domain::photo::shown_publicly)
}
