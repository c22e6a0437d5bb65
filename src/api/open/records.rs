//! The report-level records of a year as CSV or GeoJSON, streamed page by page, and their
//! data dictionary (a Frictionless Table Schema).
//!
//! A download reads the year's reports in keyset pages on the blocking pool, each page a
//! short read of its own, and sends each page as soon as it is written: memory stays at
//! one page whatever the year holds, and a client that reads slowly only slows its own
//! download (the next page is read when the last one was taken). The ETag names the map
//! generation (bumped by database triggers on every change to reports), the configuration
//! generation (which categories are public or sensitive), the year and the format, so a
//! conditional GET costs one primary-key read.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, get, web};
use bytes::Bytes;
use chrono::{DateTime, Utc};
use serde::Deserialize;
use uuid::Uuid;

use crate::api::error::{ApiError, Problem};
use crate::api::public::map::if_none_match;
use crate::api::responses::Unavailable;
use crate::api::state::{AppState, Snapshot};
use crate::domain::open_data::record_files::{self, GEOJSON_END, GEOJSON_START};
use crate::domain::open_data::records::{Record, check_year, local_year, year_span};
use crate::storage::Database;
use crate::storage::open_records::{self, RecordsQuery};

/// Reports read per page.
const PAGE: i64 = 2_000;

/// The version of how the files are made, part of every ETag.
const FILE_FORMAT: u32 = 1;

/// How long a client or cache may keep a download before revalidating it.
const CACHE_CONTROL: &str = "public, max-age=300, must-revalidate";

/// The query of a records download.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RecordsParams {
    /// The year of receipt (Europe/Amsterdam), from 2000 to the current year. Required.
    #[param(required = true, value_type = i32, minimum = 2000, example = 2025)]
    pub year: Option<String>,
}

/// A download format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    Csv,
    GeoJson,
}

impl Format {
    fn extension(self) -> &'static str {
        match self {
            Format::Csv => "csv",
            Format::GeoJson => "geojson",
        }
    }

    fn content_type(self) -> &'static str {
        match self {
            Format::Csv => "text/csv; charset=utf-8; header=present",
            Format::GeoJson => "application/geo+json",
        }
    }
}

/// The records of a year as CSV: one line per report in a public category, the columns of
/// `/api/v1/open/schema/records.json` in its order. Never text, address, photos, contact
/// details or answers; reports in sensitive categories at the centre of their ~280 m grid
/// cell (`location_precision` `cell_280m`); non-public categories and merged duplicates
/// left out. Streamed; send the ETag back as `If-None-Match` to get 304 while unchanged.
#[utoipa::path(
    tag = "open data",
    params(RecordsParams, ("If-None-Match" = Option<String>, Header, description = "ETag of an earlier download; unchanged: 304")),
    responses(
        crate::api::responses::QueryErrors,
        (status = 200, description = "The records as CSV (RFC 4180, UTF-8, header line)", content_type = "text/csv", body = String,
            headers(
                ("ETag" = String, description = "Changes whenever the file would"),
                ("Cache-Control" = String, description = "public, max-age=300, must-revalidate"),
                ("Content-Disposition" = String, description = "attachment; filename=\"meldpunt-records-<year>.csv\""),
            )),
        (status = 304, description = "Unchanged since the ETag sent"),
        (status = 422, description = "The year is missing, not a number or out of range (`/year` in `errors` says what to send)", body = Problem, content_type = "application/problem+json"),
        Unavailable,
    )
)]
#[get("/api/v1/open/records.csv")]
pub async fn records_csv(
    request: HttpRequest,
    params: web::Query<RecordsParams>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    download(&request, &params, &state, Format::Csv).await
}

/// The records of a year as a GeoJSON FeatureCollection (RFC 7946) of Point features, each
/// with the same properties as the CSV's columns (typed: numbers, integers, dates as
/// `YYYY-MM-DD`, empty values as null). Same selection, privacy rules, ETag and caching as
/// the CSV.
#[utoipa::path(
    tag = "open data",
    params(RecordsParams, ("If-None-Match" = Option<String>, Header, description = "ETag of an earlier download; unchanged: 304")),
    responses(
        crate::api::responses::QueryErrors,
        (status = 200, description = "The records as a GeoJSON FeatureCollection", content_type = "application/geo+json", body = Object,
            headers(
                ("ETag" = String, description = "Changes whenever the file would"),
                ("Cache-Control" = String, description = "public, max-age=300, must-revalidate"),
                ("Content-Disposition" = String, description = "attachment; filename=\"meldpunt-records-<year>.geojson\""),
            )),
        (status = 304, description = "Unchanged since the ETag sent"),
        (status = 422, description = "The year is missing, not a number or out of range (`/year` in `errors` says what to send)", body = Problem, content_type = "application/problem+json"),
        Unavailable,
    )
)]
#[get("/api/v1/open/records.geojson")]
pub async fn records_geojson(
    request: HttpRequest,
    params: web::Query<RecordsParams>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    download(&request, &params, &state, Format::GeoJson).await
}

/// The data dictionary of the records: a Frictionless Table Schema (fields with name, type,
/// format, description and constraints; `primaryKey` `reference`), made from the same
/// column list as the files.
#[utoipa::path(
    tag = "open data",
    responses(
        (status = 200, description = "The Table Schema", content_type = "application/json", body = Object),
    )
)]
#[get("/api/v1/open/schema/records.json")]
pub async fn records_schema() -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "public, max-age=86400"))
        .json(record_files::table_schema())
}

async fn download(
    request: &HttpRequest,
    params: &RecordsParams,
    state: &AppState,
    format: Format,
) -> Result<HttpResponse, ApiError> {
    let year = check_year(params.year.as_deref(), local_year(Utc::now())).map_err(|e| ApiError::Validation(vec![e]))?;
    let snapshot = state.config.snapshot();
    let generation = state.db.run(crate::storage::map::generation).await?;
    let extension = format.extension();
    let etag = format!("\"r{FILE_FORMAT}.{generation}.{}.{year}.{extension}\"", snapshot.generation.settings);
    if if_none_match(request, &etag) {
        return Ok(HttpResponse::NotModified()
            .insert_header((header::ETAG, etag))
            .insert_header((header::CACHE_CONTROL, CACHE_CONTROL))
            .finish());
    }
    let (start, end) = year_span(year);
    let query = RecordsQuery { start, end, after: None, limit: PAGE };
    let pages = Pages { db: state.db.clone(), snapshot, query, format, written: 0 };
    let body = futures_util::stream::unfold((pages, Stage::Head), |(mut pages, stage)| async move {
        let (chunk, next) = pages.step(stage).await?;
        Some((chunk, (pages, next)))
    });
    Ok(HttpResponse::Ok()
        .content_type(format.content_type())
        .insert_header((header::ETAG, etag))
        .insert_header((header::CACHE_CONTROL, CACHE_CONTROL))
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"meldpunt-records-{year}.{extension}\""),
        ))
        .streaming(body))
}

/// Where a download is.
enum Stage {
    /// Nothing sent yet.
    Head,
    /// Pages from this cursor (`None`: the first).
    Page(Option<(DateTime<Utc>, Uuid)>),
    /// The last page was sent.
    Tail,
    /// Everything was sent (or reading failed).
    Done,
}

/// A download in progress: what it reads and how much it wrote.
struct Pages {
    db: Database,
    snapshot: std::sync::Arc<Snapshot>,
    query: RecordsQuery,
    format: Format,
    /// Records written so far.
    written: usize,
}

impl Pages {
    /// The next chunk and stage, or `None` when the download is complete.
    async fn step(&mut self, stage: Stage) -> Option<(Result<Bytes, ApiError>, Stage)> {
        match stage {
            Stage::Head => {
                let head = match self.format {
                    Format::Csv => record_files::csv_header(),
                    Format::GeoJson => GEOJSON_START.to_owned(),
                };
                Some((Ok(Bytes::from(head)), Stage::Page(None)))
            }
            Stage::Page(after) => {
                let mut query = self.query.clone();
                query.after = after;
                let page = match self.db.run(move |conn| open_records::page(conn, &query)).await {
                    Ok(page) => page,
                    Err(error) => {
                        // The status line is sent: the client sees a cut-off download.
                        tracing::error!(cause = %error, "reading open records failed");
                        return Some((Err(ApiError::from(error)), Stage::Done));
                    }
                };
                let records: Vec<Record> =
                    page.records.iter().filter_map(|stored| Record::publish(stored, &self.snapshot.catalog)).collect();
                let mut out = Vec::with_capacity(160 * records.len());
                match self.format {
                    Format::Csv => record_files::write_csv(&mut out, &records),
                    Format::GeoJson => record_files::write_features(&mut out, &records, self.written == 0),
                }
                self.written += records.len();
                let next = page.next.map_or(Stage::Tail, |cursor| Stage::Page(Some(cursor)));
                Some((Ok(Bytes::from(out)), next))
            }
            Stage::Tail => match self.format {
                Format::Csv => None,
                Format::GeoJson => Some((Ok(Bytes::from_static(GEOJSON_END.as_bytes())), Stage::Done)),
            },
            Stage::Done => None,
        }
    }
}
