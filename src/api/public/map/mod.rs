//! The public map: reports in a bounding box as a GeoJSON FeatureCollection (RFC 7946).
//!
//! Large boxes are paged, not clustered: at most `map_max_features` (default 500)
//! features per answer, newest first, with a `next` link carrying an opaque cursor. Boxes
//! wider or taller than [`MAX_BOX_DEGREES`] are refused, so one request never scans a
//! country.
//!
//! Re-polling is cheap: the ETag is made of the map generation (a counter database
//! triggers bump on every change to reports or photos, in the writing transaction, so it
//! is right across any number of processes), the configuration generation and the
//! normalised query. A request costs one primary-key read of the generation; an unchanged
//! map answers `304` to `If-None-Match`, or from this process's cache of recent answers.

mod cache;
mod geojson;
mod params;

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, get, web};
use bytes::Bytes;
use serde::Deserialize;
use sha2::{Digest, Sha256};

use crate::api::error::{ApiError, Problem};
use crate::api::responses::Unavailable;
use crate::api::state::AppState;
pub use cache::MapCache;

/// Largest accepted box side, in degrees (about 70 km north-south).
pub const MAX_BOX_DEGREES: f64 = 0.6;

/// The version of how answers are made, part of every ETag: a release that changes them
/// (as the grid of coarsened points did, version 2) makes clients fetch anew instead of
/// keeping an answer of the old one.
const ANSWER_FORMAT: u32 = 2;

/// The media type of map answers.
pub const GEO_JSON: &str = "application/geo+json";

/// Query parameters of the map.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct MapParams {
    /// `minLon,minLat,maxLon,maxLat` in WGS84 degrees; at most 0.6° a side.
    #[param(example = "5.95,50.87,6.00,50.90")]
    pub bbox: Option<String>,
    /// Comma-separated statuses, e.g. `new,accepted,in_progress`.
    pub status: Option<String>,
    /// A category slug; a main category covers its subcategories.
    pub category: Option<String>,
    /// Only reports received at or after this instant (RFC 3339).
    pub since: Option<String>,
    /// Most features, 1 to `map_max_features` (default: that maximum, 500).
    pub limit: Option<String>,
    /// The opaque cursor of a `next` link.
    pub cursor: Option<String>,
}

/// Reads a query string as the map does (actix's query extractor, then the checks) and
/// returns the normalised query (the cache key). For the fuzz targets in `fuzz/` only
/// (feature `fuzzing`).
#[cfg(feature = "fuzzing")]
#[doc(hidden)]
pub fn read_query(
    query: &str,
    catalog: &crate::domain::category::Catalog,
    max_features: usize,
) -> Result<String, ApiError> {
    let params =
        web::Query::<MapParams>::from_query(query).map_err(|e| ApiError::MalformedQuery(e.to_string()))?.into_inner();
    params::parse(&params, catalog, max_features).map(|(_, key)| key)
}

/// Public reports in a bounding box as a GeoJSON FeatureCollection (`application/geo+json`,
/// RFC 7946), newest first. Each feature's properties: `reference`, `category`,
/// `main_category`, `status`, `created_at`, `thumbnail_url` (or null), `url`, `coarsened`.
/// Never personal data or descriptions; reports in non-public categories are left out, and
/// those in sensitive categories are placed at the centre of a ~280 m grid cell
/// (`coarsened: true`) without a thumbnail; such a report is in a box when that centre is,
/// wherever the report itself lies. At most `limit` features per answer; when there
/// are more, `links` has a `next` link (and `next_cursor` the cursor). Send the ETag back as
/// `If-None-Match` when polling: an unchanged map answers 304.
#[utoipa::path(
    tag = "reports",
    params(MapParams, ("If-None-Match" = Option<String>, Header, description = "ETag of the previous answer; unchanged: 304")),
    responses(
        crate::api::responses::QueryErrors,
        (status = 200, description = "A GeoJSON FeatureCollection", content_type = "application/geo+json", body = Object,
            headers(("ETag" = String, description = "Changes whenever the answer would"))),
        (status = 304, description = "Unchanged since the ETag sent"),
        (status = 422, description = "Invalid or missing bbox, or an invalid filter, limit or cursor (listed in `errors`)", body = Problem, content_type = "application/problem+json"),
        Unavailable,
    )
)]
#[get("/api/v1/reports")]
pub async fn map_reports(
    request: HttpRequest,
    params: web::Query<MapParams>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let arrival = std::time::Instant::now();
    let snapshot = state.config.snapshot();
    let (query, key) = params::parse(&params, &snapshot.catalog, state.map_max_features)?;
    let generation = state.map_cache.generation(&state.db, arrival).await?;
    let mut hasher = Sha256::new();
    hasher.update(ANSWER_FORMAT.to_be_bytes());
    hasher.update(key.as_bytes());
    let digest = hasher.finalize();
    let etag = format!(
        "\"m{generation}.{}.{}\"",
        snapshot.generation.settings,
        hex::encode(digest.get(..12).unwrap_or_default())
    );
    if if_none_match(&request, &etag) {
        return Ok(HttpResponse::NotModified().insert_header((header::ETAG, etag)).finish());
    }
    let cell = state.map_cache.cell(&etag);
    let result = if cell.initialized() { "hit" } else { "miss" };
    metrics::counter!("meldpunt_map_cache_requests_total", "result" => result).increment(1);
    let body = cell
        .get_or_try_init(|| async {
            let page = query.clone();
            let page = state.db.run(move |conn| crate::storage::map::reports_in_box(conn, &page)).await?;
            let body = Bytes::from(geojson::feature_collection(&page, &snapshot.catalog, &params));
            state.map_cache.account(body.len());
            Ok::<_, ApiError>(body)
        })
        .await?
        .clone();
    Ok(HttpResponse::Ok()
        .content_type(GEO_JSON)
        .insert_header((header::ETAG, etag))
        .insert_header((header::CACHE_CONTROL, "public, max-age=0, must-revalidate"))
        .body(body))
}

/// Whether the request's `If-None-Match` names `etag` (weak or strong).
pub(crate) fn if_none_match(request: &HttpRequest, etag: &str) -> bool {
    request
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|tag| tag.trim().trim_start_matches("W/") == etag))
}
