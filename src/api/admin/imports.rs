//! Importing the history of an earlier system (admin): reports from the documented CSV or
//! an Open311 `requests.json`, through the same `crate::import` pipeline as
//! `meldpunt import reports`. See `docs/import.md`.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, post, web};
use chrono::Utc;
use serde::{Deserialize, Serialize};

use crate::api::access::AdminAccess;
use crate::api::body::read_limited;
use crate::api::error::{ApiError, Problem};
use crate::api::public::areas::query_map;
use crate::api::responses::AdminErrors;
use crate::api::state::AppState;
use crate::domain::validation::{FieldError, FieldErrors};
use crate::import::formats::Format;
use crate::import::{ImportError, ImportOptions, ImportSummary, Refusal};

/// A row the import refused.
#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct RefusedRow {
    /// CSV: the 1-based line of the file (1 is the header); Open311: the index in the array.
    pub line: usize,
    /// JSON Pointer to the field: `/rows/<line>/<column or key>`.
    #[schema(example = "/rows/7/category")]
    pub pointer: String,
    /// What is wrong and what to change.
    pub detail: String,
}

/// What an import did.
#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ReportImportResult {
    /// The format read: `csv` or `open311`.
    pub format: String,
    /// Rows in the file.
    pub rows: usize,
    /// Reports stored.
    pub imported: usize,
    /// Rows whose `source_id` was imported before (stored nothing; an import can be repeated).
    pub skipped_existing: usize,
    /// Rows refused (only with `skip_invalid=true`; otherwise any refusal is a 422):
    /// `rows` = `imported` + `skipped_existing` + `refused_rows`.
    pub refused_rows: usize,
    /// Every problem of the refused rows, by line (a row may have several).
    pub refused: Vec<RefusedRow>,
}

impl From<ImportSummary> for ReportImportResult {
    fn from(summary: ImportSummary) -> Self {
        ReportImportResult {
            format: summary.format.as_str().to_owned(),
            rows: summary.rows,
            imported: summary.imported,
            skipped_existing: summary.skipped_existing,
            refused_rows: summary.refused_rows(),
            refused: summary.refused.into_iter().map(refused_row).collect(),
        }
    }
}

fn refused_row(refusal: Refusal) -> RefusedRow {
    RefusedRow { line: refusal.line, pointer: refusal.pointer, detail: refusal.detail }
}

impl From<ImportError> for ApiError {
    fn from(error: ImportError) -> Self {
        match error {
            ImportError::Unreadable(reason) => ApiError::MalformedBody(reason),
            ImportError::Refused { refused, .. } => ApiError::Validation(
                refused.into_iter().map(|r| FieldError { pointer: r.pointer, detail: r.detail }).collect(),
            ),
            ImportError::Storage(e) => e.into(),
        }
    }
}

/// The multipart body of an import.
#[derive(utoipa::ToSchema)]
pub struct ReportImportUpload {
    /// The file: the documented CSV or an Open311 `requests.json` (format from `format`,
    /// else the part's Content-Type, file name extension or content).
    #[schema(value_type = String, format = Binary)]
    pub file: Vec<u8>,
    /// Optional category mapping: CSV lines `old_name,slug`.
    #[schema(value_type = Option<String>, format = Binary)]
    pub category_map: Option<Vec<u8>>,
}

/// Imports historical reports, so that a baseline can start in the past.
///
/// The body is the file itself (`text/csv` for the documented CSV, `application/json` for an Open311 GeoReport v2
/// `requests.json`), or `multipart/form-data` with a part `file` and an optional part
/// `category_map` (CSV `old_name,slug`). Each report is stamped with the CBS areas of its
/// own date's boundary year (else the nearest loaded year), routed as intake routes
/// (unless the row names a department), stored with `source = import`, its `source_id` and
/// a history at the historical times. No email is sent and nobody is alerted. Rows whose
/// `source_id` was imported before are skipped, so repeating an import adds nothing. All
/// or nothing: a refused row (unknown category, bad coordinate or time, a location outside
/// the areas served, a `source_id` twice in the file, …) is a 422 naming
/// `/rows/<line>/<field>`, and nothing is stored, unless `skip_invalid=true`: then the valid
/// rows are stored and the answer lists the refused ones. See docs/import.md.
#[utoipa::path(
    tag = "admin",
    security(("bearer" = []), ("admin_token" = [])),
    params(
        ("format" = Option<String>, Query, description = "`csv` or `open311`; default from the Content-Type, file name or content"),
        ("skip_invalid" = Option<bool>, Query, description = "`true`: store the valid rows and list the refused ones; default `false` (all or nothing)"),
    ),
    request_body(content(
        (String = "text/csv"),
        (Vec<Object> = "application/json"),
        (ReportImportUpload = "multipart/form-data"),
    )),
    responses(
        (status = 200, description = "Imported (counts, and the refused rows with skip_invalid)", body = ReportImportResult),
        (status = 400, description = "The file is not UTF-8 CSV or JSON, or the multipart body has an unknown part", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "The body is larger than max_import_bytes", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "The body is not CSV, JSON or multipart/form-data", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Bad query parameters, a bad header or mapping line, or refused rows (each at `/rows/<line>/<field>`); nothing was stored", body = Problem, content_type = "application/problem+json"),
        AdminErrors,
    )
)]
#[post("/api/v1/admin/imports/reports")]
pub async fn import_reports(
    _admin: AdminAccess,
    request: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let query = query_map(&request)?;
    let mut errors = FieldErrors::default();
    let format = match query.get("format") {
        None => Some(None),
        Some(text) => errors.check("/format", Format::parse(text).map(Some).ok_or("send csv or open311")),
    };
    let skip_invalid = match query.get("skip_invalid").map(|v| v.trim().to_ascii_lowercase()) {
        None => Some(false),
        Some(text) => errors.check("/skip_invalid", text.parse::<bool>().map_err(|_| "send true or false")),
    };
    let (format, skip_invalid) = errors.finish(|| format.zip(skip_invalid)).map_err(ApiError::Validation)?;
    let upload = read_upload(&request, payload, state.max_import_bytes).await?;
    let options = ImportOptions {
        format: format.or(upload.format),
        file_name: upload.file_name,
        category_map: upload.category_map,
        skip_invalid,
    };
    let served = state.served.clone();
    let file = upload.file;
    let summary =
        state.db.run(move |conn| crate::import::import_reports(conn, &served, &file, &options, Utc::now())).await?;
    Ok(HttpResponse::Ok().json(ReportImportResult::from(summary)))
}

/// The file (and mapping) of an import request.
struct Upload {
    file: Vec<u8>,
    file_name: Option<String>,
    /// The format its media type says.
    format: Option<Format>,
    category_map: Option<Vec<u8>>,
}

/// The format a media type names; `Err` for one an import does not take.
fn format_of(content_type: Option<&str>) -> Result<Option<Format>, ApiError> {
    let essence = content_type.unwrap_or_default().split(';').next().unwrap_or_default().trim().to_ascii_lowercase();
    match essence.as_str() {
        "text/csv" => Ok(Some(Format::Csv)),
        "application/json" => Ok(Some(Format::Open311)),
        "" | "text/plain" | "application/octet-stream" => Ok(None),
        other if other.starts_with("application/") && other.ends_with("+json") => Ok(Some(Format::Open311)),
        other => Err(ApiError::UnsupportedMediaType(format!(
            "'{other}' is not an import format; send text/csv, application/json (Open311 requests.json) or \
             multipart/form-data with a part 'file'"
        ))),
    }
}

async fn read_upload(request: &HttpRequest, payload: web::Payload, limit: usize) -> Result<Upload, ApiError> {
    let content_type = request.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok());
    if !crate::api::public::photos::is_multipart(request) {
        let format = format_of(content_type)?;
        let file = read_limited(request, payload, limit).await?.to_vec();
        return Ok(Upload { file, file_name: None, format, category_map: None });
    }
    let mut multipart = crate::api::multipart::Parts::new(request, payload);
    let (mut file, mut file_name, mut format, mut category_map, mut total) = (None, None, None, None, 0usize);
    while let Some(mut field) = multipart.next().await? {
        let name = field.name().unwrap_or_default().to_owned();
        match name.as_str() {
            "file" if file.is_none() => {
                file_name = field.content_disposition().and_then(|d| d.get_filename()).map(str::to_owned);
                format = format_of(field.content_type().map(|m| m.essence_str()))?;
            }
            "category_map" if category_map.is_none() => {}
            _ => {
                return Err(ApiError::MalformedBody(format!(
                    "unexpected part '{name}'; send one part 'file' and optionally one part 'category_map'"
                )));
            }
        }
        let mut bytes = Vec::new();
        while let Some(chunk) = multipart.chunk(&mut field).await? {
            total += chunk.len();
            if total > limit {
                return Err(ApiError::PayloadTooLarge(limit));
            }
            bytes.extend_from_slice(&chunk);
        }
        if name == "file" {
            file = Some(bytes);
        } else {
            category_map = Some(bytes);
        }
    }
    let file = file.ok_or_else(|| ApiError::MalformedBody("the multipart body has no part named 'file'".into()))?;
    Ok(Upload { file, file_name, format, category_map })
}
