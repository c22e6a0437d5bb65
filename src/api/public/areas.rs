//! CBS areas for everyone: where a point lies, and the areas of a municipality as GeoJSON.

use actix_web::{HttpRequest, HttpResponse, get, web};
use serde::Serialize;
use serde_json::{Value, json};

use crate::api::error::{ApiError, Problem};
use crate::api::state::AppState;
use crate::api::views::AreaName;
use crate::domain::area::{AreaLevel, geometry_json};
use crate::domain::validation::FieldErrors;

/// The media type of GeoJSON (RFC 7946).
pub const GEO_JSON: &str = "application/geo+json";

/// Where a point lies.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct LookupView {
    /// Boundary year of the codes.
    #[schema(example = 2025)]
    pub year: i32,
    /// Municipality.
    pub gemeente: AreaName,
    /// District (`null` when not in the registry for this municipality).
    pub wijk: Option<AreaName>,
    /// Neighbourhood (`null` when not in the registry for this municipality).
    pub buurt: Option<AreaName>,
    /// Whether this deployment takes reports there.
    pub served: bool,
}

/// Reads query parameters into a map of text values; malformed encoding is a 400.
pub(crate) fn query_map(request: &HttpRequest) -> Result<std::collections::HashMap<String, String>, ApiError> {
    web::Query::<std::collections::HashMap<String, String>>::from_query(request.query_string())
        .map(web::Query::into_inner)
        .map_err(|e| ApiError::MalformedBody(format!("the query string cannot be read: {e}")))
}

pub(crate) fn number(
    query: &std::collections::HashMap<String, String>,
    name: &str,
    range: std::ops::RangeInclusive<f64>,
    errors: &mut FieldErrors,
) -> Option<f64> {
    match query.get(name).map(|v| v.trim().parse::<f64>()) {
        None => errors.add(format!("/{name}"), format!("the query parameter '{name}' is required")),
        Some(Ok(value)) if value.is_finite() && range.contains(&value) => return Some(value),
        Some(_) => errors.add(
            format!("/{name}"),
            format!("'{name}' must be a number from {} to {} (WGS84 degrees)", range.start(), range.end()),
        ),
    }
    None
}

pub(crate) fn level(query: &std::collections::HashMap<String, String>, errors: &mut FieldErrors) -> Option<AreaLevel> {
    match query.get("level").map(String::as_str) {
        None => errors.add("/level", "the query parameter 'level' is required: gemeente, wijk or buurt"),
        Some(text) => match AreaLevel::parse(text) {
            Some(level) => return Some(level),
            None => errors.add("/level", format!("'{text}' is not a level; send gemeente, wijk or buurt")),
        },
    }
    None
}

pub(crate) fn year(
    query: &std::collections::HashMap<String, String>,
    errors: &mut FieldErrors,
    required: bool,
) -> Option<i32> {
    match query.get("year").map(|y| y.trim().parse::<i32>()) {
        None if required => errors.add("/year", "the query parameter 'year' is required, e.g. 2025"),
        None => {}
        Some(Ok(year)) if (1900..=2200).contains(&year) => return Some(year),
        Some(_) => errors.add("/year", "'year' must be a boundary year such as 2025"),
    }
    None
}

/// Tells the CBS gemeente, wijk and buurt of a point, and whether reports are taken there.
#[utoipa::path(
    tag = "areas",
    params(
        ("lat" = f64, Query, description = "Latitude (WGS84), -90 to 90", example = 50.8882),
        ("lon" = f64, Query, description = "Longitude (WGS84), -180 to 180", example = 5.9795),
    ),
    responses(
        (status = 200, description = "The areas the point lies in", body = LookupView),
        (status = 400, description = "The query string cannot be read", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "lat or lon missing or out of range, or the point lies in no known municipality", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/api/v1/areas/lookup")]
pub async fn lookup(request: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let query = query_map(&request)?;
    let mut errors = FieldErrors::default();
    let lat = number(&query, "lat", -90.0..=90.0, &mut errors);
    let lon = number(&query, "lon", -180.0..=180.0, &mut errors);
    let (lat, lon) = errors.finish(|| lat.zip(lon)).map_err(ApiError::Validation)?;
    let snapshot = state.config.snapshot();
    let areas = &snapshot.areas;
    let Some(located) = areas.locate(lon, lat) else {
        return Err(ApiError::OutsideServiceArea(format!(
            "the point ({lat}, {lon}) lies in no municipality in the area registry; check that lat and lon are not swapped"
        )));
    };
    let name = |code: &str| AreaName { code: code.to_owned(), name: areas.area(code).map(|a| a.name.clone()) };
    let served = state.served.is_empty() || state.served.iter().any(|c| c == located.gemeente_code);
    Ok(HttpResponse::Ok().json(LookupView {
        year: located.year,
        gemeente: name(located.gemeente_code),
        wijk: located.wijk.map(|w| name(&w.code)),
        buurt: located.buurt.map(|b| name(&b.code)),
        served,
    }))
}

/// Lists the areas of one level (optionally of one municipality) as a GeoJSON
/// FeatureCollection. Each feature's properties: `code`, `name`, `level`, `year`,
/// `gemeente_code`, `wijk_code`.
#[utoipa::path(
    tag = "areas",
    params(
        ("level" = String, Query, description = "gemeente, wijk or buurt", example = "buurt"),
        ("gemeente" = Option<String>, Query, description = "Only areas in this municipality (CBS code)", example = "GM0917"),
        ("year" = Option<i32>, Query, description = "Boundary year; default the newest of the level", example = 2025),
    ),
    responses(
        (status = 200, description = "A GeoJSON FeatureCollection (empty when nothing matches)", content_type = "application/geo+json", body = Object),
        (status = 400, description = "The query string cannot be read", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A missing or invalid query parameter", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/api/v1/areas")]
pub async fn list_areas(request: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let query = query_map(&request)?;
    let mut errors = FieldErrors::default();
    let level = level(&query, &mut errors);
    let year = year(&query, &mut errors, false);
    let gemeente = query.get("gemeente").map(|g| g.trim().to_ascii_uppercase());
    if let Some(code) = &gemeente
        && AreaLevel::of_code(code) != Some(AreaLevel::Gemeente)
    {
        errors.add("/gemeente", format!("'{code}' is not a CBS gemeente code such as GM0917"));
    }
    let level = errors.finish(|| level).map_err(ApiError::Validation)?;
    let areas = state
        .db
        .run(move |conn| {
            let year = match year {
                Some(year) => Some(year),
                None => crate::storage::areas::newest_year(conn, level)?,
            };
            match year {
                Some(year) => crate::storage::areas::list(conn, level, year, gemeente.as_deref()),
                None => Ok(Vec::new()),
            }
        })
        .await?;
    let features: Vec<Value> = areas
        .iter()
        .map(|area| {
            json!({
                "type": "Feature",
                "id": area.code,
                "properties": {
                    "code": area.code, "name": area.name, "level": area.level, "year": area.year,
                    "gemeente_code": area.gemeente_code, "wijk_code": area.wijk_code,
                },
                "geometry": geometry_json(&area.geometry),
            })
        })
        .collect();
    let body = json!({"type": "FeatureCollection", "features": features});
    Ok(HttpResponse::Ok().content_type(GEO_JSON).body(body.to_string()))
}
