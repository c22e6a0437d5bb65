//! Importing CBS boundary files (admin) and reading the import log.

use std::collections::HashMap;
use std::sync::Arc;

use actix_web::{HttpRequest, HttpResponse, get, post, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::api::access::AdminAccess;
use crate::api::body::read_json;
use crate::api::error::{ApiError, Problem};
use crate::api::public::areas::{level, query_map, year};
use crate::api::responses::AdminErrors;
use crate::api::state::AppState;
use crate::domain::area::{AreaFileError, AreaLevel, parse_area_file};
use crate::domain::validation::{FieldError, FieldErrors};
use crate::storage::areas::ImportError;

/// What an import did.
#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ImportResult {
    /// Level imported.
    pub level: AreaLevel,
    /// Boundary year.
    pub year: i32,
    /// Areas stored.
    pub imported: usize,
    /// Areas of the same level and year that were replaced.
    pub replaced: usize,
}

/// Turns a refused area file into a validation problem that points at the feature.
pub fn file_problem(error: AreaFileError) -> ApiError {
    let message = error.0;
    let pointer = message
        .strip_prefix("feature ")
        .and_then(|rest| rest.split_once(':'))
        .and_then(|(index, _)| index.parse::<usize>().ok())
        .map_or_else(String::new, |index| format!("/features/{index}"));
    ApiError::Validation(vec![FieldError { pointer, detail: message }])
}

/// Imports a CBS boundary file (GeoJSON FeatureCollection of Polygons/MultiPolygons) for one
/// level and year, replacing that level and year. All or nothing: a file with any problem
/// (not GeoJSON, an open ring, a missing or malformed code, a buurt whose wijk is not in the
/// registry for that year) changes nothing. The area index is rebuilt at once; other
/// processes pick the change up within `config_poll_ms`.
#[utoipa::path(
    tag = "admin",
    security(("bearer" = []), ("admin_token" = [])),
    params(
        ("level" = String, Query, description = "gemeente, wijk or buurt", example = "buurt"),
        ("year" = i32, Query, description = "Boundary year of the file", example = 2025),
    ),
    request_body(content = Object, content_type = "application/geo+json", description = "A GeoJSON FeatureCollection; each feature has a code (`code`, `statcode`, `buurtcode`, …) and optionally a name (`name`, `statnaam`)"),
    responses(
        (status = 201, description = "Imported", body = ImportResult),
        (status = 400, description = "The body is not JSON", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The areas do not fit the registry (e.g. a buurt whose wijk is unknown)", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "The file is larger than max_import_bytes", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "The body is not JSON", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Bad query parameters, or the file is not a valid area file (the reason names the feature)", body = Problem, content_type = "application/problem+json"),
        AdminErrors,
    )
)]
#[post("/api/v1/admin/areas/import")]
pub async fn import_areas(
    admin: AdminAccess,
    request: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let (level, year) = import_target(&query_map(&request)?)?;
    let body = read_json(&request, payload, state.max_import_bytes).await?;
    let origin = ImportOrigin { source: "api".to_owned(), by: admin.actor().to_owned() };
    let result = import_area_file(state.into_inner(), level, year, body.value, origin).await?;
    Ok(HttpResponse::Created().json(result))
}

/// The level and year an import is for, from the query (API) or the form (console):
/// `level` (gemeente, wijk or buurt) and `year` (a boundary year), both required.
pub fn import_target(fields: &HashMap<String, String>) -> Result<(AreaLevel, i32), ApiError> {
    let mut errors = FieldErrors::default();
    let level = level(fields, &mut errors);
    let year = year(fields, &mut errors, true);
    errors.finish(|| level.zip(year)).map_err(ApiError::Validation)
}

/// Imports an area file (a parsed GeoJSON document) for `level` and `year`, all or nothing,
/// and logs it with `source` (where it came from); the area index is rebuilt at once. A
/// file that is not a valid area file is a `422` ([`file_problem`]), areas that do not fit
/// the registry a `409`. For the API's import and the console's upload.
pub async fn import_area_file(
    state: Arc<AppState>,
    level: AreaLevel,
    year: i32,
    file: serde_json::Value,
    origin: ImportOrigin,
) -> Result<ImportResult, ApiError> {
    let summary = web::block(move || -> Result<_, ApiError> {
        let areas = parse_area_file(&file, level, year).map_err(file_problem)?;
        let (source, by) = (origin.source.as_str(), origin.by.as_str());
        let summary = crate::storage::areas::import(&mut *state.db.conn()?, level, year, &areas, source, by).map_err(
            |e| match e {
                ImportError::Refused(reason) => ApiError::Conflict(reason),
                ImportError::Storage(e) => e.into(),
            },
        )?;
        // This process sees its own import at once; others within config_poll_ms.
        state.config.refresh()?;
        Ok(summary)
    })
    .await??;
    tracing::info!(level = level.as_str(), year, imported = summary.imported, "areas imported");
    Ok(ImportResult { level, year, imported: summary.imported, replaced: summary.replaced })
}

/// Where an import came from and who made it (see [`ImportLogEntry`]).
#[derive(Debug, Clone)]
pub struct ImportOrigin {
    pub source: String,
    pub by: String,
}

/// One past import.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ImportLogEntry {
    pub level: String,
    /// Boundary year.
    pub year: i32,
    /// Areas in the file.
    pub features: i32,
    /// Where it came from: a file name (CLI, seed) or `api`.
    pub source: String,
    /// When (RFC 3339, UTC).
    pub imported_at: DateTime<Utc>,
    /// Who: `staff:<account id>` (the admin API with an account's token, or the console),
    /// `admin` (the configured admin token), `cli` (`meldpunt areas import`), `seed` (the
    /// demo configuration); empty for imports made before this was recorded.
    pub imported_by: String,
}

/// The area import log, newest first.
#[utoipa::path(
    tag = "admin",
    security(("bearer" = []), ("admin_token" = [])),
    responses(
        (status = 200, description = "Every import, newest first", body = Vec<ImportLogEntry>),
        AdminErrors,
    )
)]
#[get("/api/v1/admin/areas/imports")]
pub async fn list_imports(_admin: AdminAccess, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(import_log(&state).await?))
}

/// The area import log, newest first (the API's list and the console's page).
pub async fn import_log(state: &AppState) -> Result<Vec<ImportLogEntry>, ApiError> {
    let records = state.db.run(crate::storage::areas::imports).await?;
    Ok(records
        .into_iter()
        .map(|r| ImportLogEntry {
            level: r.level,
            year: r.year,
            features: r.features,
            source: r.source,
            imported_at: r.imported_at,
            imported_by: r.imported_by,
        })
        .collect())
}
