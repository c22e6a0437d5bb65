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

use std::collections::HashMap;
use std::fmt::Write as _;
use std::io::Write as _;
use std::sync::{Arc, Mutex};

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, get, web};
use bytes::Bytes;
use chrono::{DateTime, Utc};
use serde::Deserialize;
use sha2::{Digest, Sha256};
use tokio::sync::OnceCell;
use uuid::Uuid;

use crate::api::error::{ApiError, Problem};
use crate::api::state::AppState;
use crate::domain::category::Catalog;
use crate::domain::photo::shown_publicly;
use crate::domain::privacy::coarsen;
use crate::domain::report::{Location, ReportStatus};
use crate::domain::validation::FieldError;
use crate::storage::map::{CategoryFilter, MapPage, MapQuery};

/// Largest accepted box side, in degrees (about 70 km north-south).
pub const MAX_BOX_DEGREES: f64 = 0.6;

/// The version of how answers are made, part of every ETag: a release that changes them
/// (as the grid of coarsened points did, version 2) makes clients fetch anew instead of
/// keeping an answer of the old one.
const ANSWER_FORMAT: u32 = 2;

/// The media type of map answers.
pub const GEO_JSON: &str = "application/geo+json";

/// Most bytes of answers the cache keeps; beyond, it starts afresh.
const CACHE_MAX_BYTES: usize = 64 * 1024 * 1024;

/// Recent map answers of this process, by ETag (which names the generations they were
/// made at, so an entry is never stale: a change makes new ETags). Concurrent requests for
/// an answer not yet made wait for the one request that makes it (no stampede of identical
/// queries when a popular box changes).
///
/// It also coalesces reads of the map generation: a request needs a value read after it
/// arrived; while one read is in flight, the requests arriving meanwhile wait for the next
/// read and share it, so a process sends at most one such read at a time however many
/// clients poll, and every answer still reflects every change committed before its request.
#[derive(Default)]
pub struct MapCache {
    inner: Mutex<CacheInner>,
    capacity: usize,
    generation_gate: tokio::sync::Mutex<()>,
    last_generation: Mutex<Option<(std::time::Instant, i64)>>,
}

#[derive(Default)]
struct CacheInner {
    cells: HashMap<String, Arc<OnceCell<Bytes>>>,
    bytes: usize,
}

impl MapCache {
    /// A cache of at most `capacity` answers (0: none kept, but concurrent identical
    /// requests still share one query).
    pub fn new(capacity: usize) -> Self {
        MapCache { capacity, ..MapCache::default() }
    }

    /// The map generation as read after `arrival` (see the type's documentation).
    async fn generation(&self, db: &crate::storage::Database, arrival: std::time::Instant) -> Result<i64, ApiError> {
        let _turn = self.generation_gate.lock().await;
        if let Ok(last) = self.last_generation.lock()
            && let Some((started, value)) = *last
            && started >= arrival
        {
            return Ok(value);
        }
        let started = std::time::Instant::now();
        let db = db.clone();
        let value = web::block(move || crate::storage::map::generation(&mut *db.conn()?)).await??;
        if let Ok(mut last) = self.last_generation.lock() {
            *last = Some((started, value));
        }
        Ok(value)
    }

    /// The cell for an answer: filled, being filled, or new.
    fn cell(&self, etag: &str) -> Arc<OnceCell<Bytes>> {
        let Ok(mut inner) = self.inner.lock() else { return Arc::new(OnceCell::new()) };
        if let Some(cell) = inner.cells.get(etag) {
            return Arc::clone(cell);
        }
        if inner.cells.len() >= self.capacity.max(1) || inner.bytes >= CACHE_MAX_BYTES {
            // Entries of old generations are useless anyway; start afresh.
            inner.cells.clear();
            inner.bytes = 0;
        }
        let cell = Arc::new(OnceCell::new());
        inner.cells.insert(etag.to_owned(), Arc::clone(&cell));
        cell
    }

    fn account(&self, bytes: usize) {
        if let Ok(mut inner) = self.inner.lock() {
            inner.bytes += bytes;
        }
    }
}

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
        (status = 200, description = "A GeoJSON FeatureCollection", content_type = "application/geo+json", body = Object,
            headers(("ETag" = String, description = "Changes whenever the answer would"))),
        (status = 304, description = "Unchanged since the ETag sent"),
        (status = 422, description = "Invalid or missing bbox, or an invalid filter, limit or cursor (listed in `errors`)", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is unreachable", body = Problem, content_type = "application/problem+json"),
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
    let (query, key) = parse(&params, &snapshot.catalog, state.map_max_features)?;
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
    let body = cell
        .get_or_try_init(|| async {
            let db = state.db.clone();
            let page = query.clone();
            let page = web::block(move || crate::storage::map::reports_in_box(&mut *db.conn()?, &page)).await??;
            let body = Bytes::from(feature_collection(&page, &snapshot.catalog, &params));
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

fn if_none_match(request: &HttpRequest, etag: &str) -> bool {
    request
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|tag| tag.trim().trim_start_matches("W/") == etag))
}

/// Checks the parameters; returns the query and its normalised form (the cache key).
fn parse(params: &MapParams, catalog: &Catalog, max_features: usize) -> Result<(MapQuery, String), ApiError> {
    let mut errors = Vec::new();
    let mut problem = |pointer: &str, detail: String| errors.push(FieldError { pointer: pointer.into(), detail });
    let bbox = match params.bbox.as_deref() {
        None => {
            problem("bbox", "bbox is required: minLon,minLat,maxLon,maxLat in WGS84 degrees".into());
            None
        }
        Some(text) => match parse_bbox(text) {
            Ok(bbox) => Some(bbox),
            Err(detail) => {
                problem("bbox", detail);
                None
            }
        },
    };
    let statuses = match params.status.as_deref() {
        None => None,
        Some(text) => {
            let mut statuses = Vec::new();
            let mut invalid = false;
            for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
                invalid |= ReportStatus::parse(part).is_none();
                match ReportStatus::parse(part) {
                    Some(status) => statuses.push(status.as_str().to_owned()),
                    None => problem(
                        "status",
                        format!(
                            "'{part}' is not a status; use new, accepted, in_progress, on_hold, scheduled, resolved, cancelled or reopened"
                        ),
                    ),
                }
            }
            statuses.sort();
            statuses.dedup();
            if statuses.is_empty() && !invalid {
                problem("status", "status must name at least one status".into());
            }
            Some(statuses)
        }
    };
    let public: Vec<Uuid> =
        catalog.categories().iter().filter(|c| c.is_public && c.parent_id.is_some()).map(|c| c.id).collect();
    let categories = match params.category.as_deref().map(str::trim) {
        None | Some("") => {
            CategoryFilter::AllBut(catalog.categories().iter().filter(|c| !c.is_public).map(|c| c.id).collect())
        }
        Some(slug) => {
            let chosen: Vec<Uuid> = if let Some(main) = catalog.main_category(slug) {
                catalog.subcategories_of(main.id).map(|c| c.id).collect()
            } else if let Some(sub) = catalog.subcategory(slug) {
                vec![sub.id]
            } else {
                problem("category", format!("there is no category '{slug}'; see GET /api/v1/categories"));
                Vec::new()
            };
            CategoryFilter::Only(chosen.into_iter().filter(|id| public.contains(id)).collect())
        }
    };
    let since = match params.since.as_deref() {
        None => None,
        Some(text) => match DateTime::parse_from_rfc3339(text.trim()) {
            Ok(at) => Some(at.with_timezone(&Utc)),
            Err(_) => {
                problem("since", format!("'{text}' is not an RFC 3339 instant such as 2026-11-01T00:00:00Z"));
                None
            }
        },
    };
    let limit = match params.limit.as_deref() {
        None => max_features,
        Some(text) => match text.trim().parse::<usize>() {
            Ok(n) if (1..=max_features).contains(&n) => n,
            _ => {
                problem("limit", format!("limit must be a whole number from 1 to {max_features}"));
                max_features
            }
        },
    };
    let after = match params.cursor.as_deref() {
        None => None,
        Some(text) => match decode_cursor(text) {
            Some(after) => Some(after),
            None => {
                problem(
                    "cursor",
                    "the cursor is not one this server handed out; follow the `next` link as given".into(),
                );
                None
            }
        },
    };
    let Some((min_lon, min_lat, max_lon, max_lat)) = bbox.filter(|_| errors.is_empty()) else {
        return Err(ApiError::Validation(errors));
    };
    // Shown coarsened: whether such a report is in the box is decided by its shown centre.
    let sensitive = catalog
        .categories()
        .iter()
        .filter(|c| c.is_public && c.is_sensitive)
        .map(|c| c.id)
        .filter(|id| match &categories {
            CategoryFilter::Only(ids) => ids.contains(id),
            CategoryFilter::AllBut(ids) => !ids.contains(id),
        })
        .collect();
    let query = MapQuery {
        min_lon,
        min_lat,
        max_lon,
        max_lat,
        statuses,
        categories,
        sensitive,
        since,
        after,
        limit: i64::try_from(limit).unwrap_or(500),
    };
    let key = format!(
        "{:?}|{:?}|{:?}|{:?}|{:?}|{:?}",
        (min_lon, min_lat, max_lon, max_lat),
        query.statuses,
        params.category.as_deref().map(str::trim),
        since.map(|s| s.timestamp_micros()),
        after.map(|(at, id)| (at.timestamp_micros(), id)),
        limit
    );
    Ok((query, key))
}

fn parse_bbox(text: &str) -> Result<(f64, f64, f64, f64), String> {
    const SHAPE: &str = "bbox must be minLon,minLat,maxLon,maxLat: four numbers in WGS84 degrees";
    let numbers: Vec<f64> =
        text.split(',').map(|p| p.trim().parse::<f64>()).collect::<Result<_, _>>().map_err(|_| SHAPE.to_owned())?;
    let [min_lon, min_lat, max_lon, max_lat] = numbers.as_slice() else {
        return Err(SHAPE.into());
    };
    let (min_lon, min_lat, max_lon, max_lat) = (*min_lon, *min_lat, *max_lon, *max_lat);
    if ![min_lon, min_lat, max_lon, max_lat].iter().all(|v| v.is_finite()) {
        return Err(format!("{SHAPE}; NaN and infinity are not numbers here"));
    }
    if !(-180.0..=180.0).contains(&min_lon) || !(-180.0..=180.0).contains(&max_lon) {
        return Err("bbox longitudes must be between -180 and 180".into());
    }
    if !(-90.0..=90.0).contains(&min_lat) || !(-90.0..=90.0).contains(&max_lat) {
        return Err("bbox latitudes must be between -90 and 90".into());
    }
    if min_lon >= max_lon || min_lat >= max_lat {
        return Err("bbox must be minLon,minLat,maxLon,maxLat with min < max (west, south, east, north)".into());
    }
    if max_lon - min_lon > MAX_BOX_DEGREES || max_lat - min_lat > MAX_BOX_DEGREES {
        return Err(format!("bbox may be at most {MAX_BOX_DEGREES} degrees wide and tall; zoom in"));
    }
    Ok((min_lon, min_lat, max_lon, max_lat))
}

fn encode_cursor(at: DateTime<Utc>, id: Uuid) -> String {
    hex::encode(format!("{}.{id}", at.timestamp_micros()))
}

fn decode_cursor(text: &str) -> Option<(DateTime<Utc>, Uuid)> {
    let raw = String::from_utf8(hex::decode(text.trim()).ok()?).ok()?;
    let (micros, id) = raw.split_once('.')?;
    Some((DateTime::from_timestamp_micros(micros.parse().ok()?)?, Uuid::parse_str(id).ok()?))
}

/// The map answer as GeoJSON, written straight into one buffer: a FeatureCollection of
/// Point features with the properties listed on [`map_reports`], then `numberReturned`,
/// `links` and `next_cursor`. (Written by hand rather than through serde structs: this runs
/// for every new box, and building a value per feature, with its strings, costs several
/// times the writing.)
fn feature_collection(page: &MapPage, catalog: &Catalog, params: &MapParams) -> Vec<u8> {
    let points = &page.points;
    // About 400 bytes a feature: one allocation instead of a dozen doublings and copies.
    let mut body = Vec::with_capacity(512 + 448 * points.len());
    body.extend_from_slice(br#"{"type":"FeatureCollection","features":["#);
    let mut returned = 0usize;
    for point in points {
        // A category unknown to this snapshot (created a moment ago) cannot be judged: leave it out.
        let Some(category) = catalog.category(point.category_id) else { continue };
        if !category.is_public {
            continue;
        }
        if returned > 0 {
            body.push(b',');
        }
        returned += 1;
        let exact = Location { lat: point.lat, lon: point.lon };
        let location = if category.is_sensitive { coarsen(exact) } else { exact };
        let mut id = Uuid::encode_buffer();
        let id = point.id.hyphenated().encode_lower(&mut id).as_bytes();
        body.extend_from_slice(br#"{"type":"Feature","id":""#);
        body.extend_from_slice(id);
        body.extend_from_slice(br#"","geometry":{"type":"Point","coordinates":["#);
        push_number(&mut body, location.lon);
        body.push(b',');
        push_number(&mut body, location.lat);
        body.extend_from_slice(br#"]},"properties":{"reference":"#);
        push_string(&mut body, &point.reference);
        body.extend_from_slice(br#","category":"#);
        push_string(&mut body, &category.slug);
        body.extend_from_slice(br#","main_category":"#);
        match category.parent_id.and_then(|id| catalog.category(id)) {
            Some(main) => push_string(&mut body, &main.slug),
            None => body.extend_from_slice(b"null"),
        }
        body.extend_from_slice(br#","status":"#);
        push_string(&mut body, &point.status);
        body.extend_from_slice(br#","created_at":""#);
        push_instant(&mut body, point.created_at);
        body.extend_from_slice(br#"","thumbnail_url":"#);
        match point.first_photo_id.filter(|_| shown_publicly(category)) {
            Some(photo) => push_string(&mut body, &super::photos::thumbnail_url(point.id, photo)),
            None => body.extend_from_slice(b"null"),
        }
        body.extend_from_slice(br#","url":"/api/v1/reports/"#);
        body.extend_from_slice(id);
        body.extend_from_slice(br#"","coarsened":"#);
        body.extend_from_slice(if category.is_sensitive { b"true" } else { b"false" });
        body.extend_from_slice(b"}}");
    }
    let next = page.next.map(|(at, id)| encode_cursor(at, id));
    let _ = write!(body, r#"],"numberReturned":{returned},"links":["#);
    if let Some(cursor) = &next {
        let mut href = format!("/api/v1/reports?bbox={}", percent_encode(params.bbox.as_deref().unwrap_or_default()));
        for (name, value) in [
            ("status", &params.status),
            ("category", &params.category),
            ("since", &params.since),
            ("limit", &params.limit),
        ] {
            if let Some(value) = value {
                let _ = write!(href, "&{name}={}", percent_encode(value));
            }
        }
        let _ = write!(href, "&cursor={cursor}");
        body.extend_from_slice(br#"{"rel":"next","href":"#);
        push_string(&mut body, &href);
        body.extend_from_slice(br#","type":"#);
        push_string(&mut body, GEO_JSON);
        body.push(b'}');
    }
    body.extend_from_slice(br#"],"next_cursor":"#);
    match &next {
        Some(cursor) => push_string(&mut body, cursor),
        None => body.extend_from_slice(b"null"),
    }
    body.push(b'}');
    body
}

/// A JSON string. Text that needs no escaping (slugs, references, statuses: the usual
/// case) is copied as is; anything else goes through serde_json.
fn push_string(body: &mut Vec<u8>, text: &str) {
    if text.bytes().all(|b| (0x20..0x7F).contains(&b) && b != b'"' && b != b'\\') {
        body.push(b'"');
        body.extend_from_slice(text.as_bytes());
        body.push(b'"');
    } else if serde_json::to_writer(&mut *body, text).is_err() {
        body.extend_from_slice(b"null");
    }
}

/// A JSON number as serde_json writes it (shortest form that reads back the same).
fn push_number(body: &mut Vec<u8>, value: f64) {
    if serde_json::to_writer(&mut *body, &value).is_err() {
        body.extend_from_slice(b"null");
    }
}

/// An instant as `to_rfc3339_opts(SecondsFormat::Micros, true)` writes it
/// (`2026-11-25T18:04:50.123456Z`), without its formatting machinery.
fn push_instant(body: &mut Vec<u8>, at: DateTime<Utc>) {
    use chrono::{Datelike as _, Timelike as _};
    let (year, time) = (at.year(), at.time());
    // Years beyond four digits and leap seconds are left to chrono.
    if !(0..=9999).contains(&year) || time.nanosecond() >= 1_000_000_000 {
        body.extend_from_slice(at.to_rfc3339_opts(chrono::SecondsFormat::Micros, true).as_bytes());
        return;
    }
    push_digits(body, year.unsigned_abs(), 4);
    for (separator, value) in
        [(b'-', at.month()), (b'-', at.day()), (b'T', time.hour()), (b':', time.minute()), (b':', time.second())]
    {
        body.push(separator);
        push_digits(body, value, 2);
    }
    body.push(b'.');
    push_digits(body, time.nanosecond() / 1000, 6);
    body.push(b'Z');
}

/// `value` in decimal, zero-padded to `width` digits (its last `width` digits).
fn push_digits(body: &mut Vec<u8>, value: u32, width: u32) {
    for power in (0..width).rev() {
        let digit = (value / 10u32.pow(power)) % 10;
        body.push(b'0' + u8::try_from(digit).unwrap_or(0));
    }
}

fn percent_encode(value: &str) -> String {
    value
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.~,".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instants_are_written_as_chrono_writes_them_with_microseconds() {
        use chrono::TimeZone as _;
        let instants = [
            Utc.with_ymd_and_hms(2026, 11, 25, 18, 4, 50).unwrap() + chrono::Duration::microseconds(123_456),
            Utc.with_ymd_and_hms(2026, 1, 2, 3, 4, 5).unwrap(),
            Utc.with_ymd_and_hms(999, 12, 31, 23, 59, 59).unwrap() + chrono::Duration::nanoseconds(999_999_999),
            Utc.with_ymd_and_hms(12345, 6, 7, 8, 9, 10).unwrap(),
        ];
        for at in instants {
            let mut written = Vec::new();
            push_instant(&mut written, at);
            assert_eq!(
                String::from_utf8(written).unwrap(),
                at.to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
                "{at:?}"
            );
        }
    }

    #[test]
    fn bad_boxes_are_refused_with_a_reason() {
        assert!(parse_bbox("5.9,50.8,6.0,50.9").is_ok());
        for bad in [
            "",
            "5.9,50.8,6.0",
            "6.0,50.8,5.9,50.9",
            "5.9,50.9,6.0,50.8",
            "NaN,50.8,6.0,50.9",
            "5,50,6,51",
            "5.9,91,6.0,92",
            "x,1,2,3",
        ] {
            assert!(parse_bbox(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_cursor_survives_the_round_trip() {
        let at = DateTime::from_timestamp_micros(1_764_000_000_123_456).unwrap_or_default();
        let id = Uuid::now_v7();
        assert_eq!(decode_cursor(&encode_cursor(at, id)), Some((at, id)));
        assert_eq!(decode_cursor("zz"), None);
    }
}
