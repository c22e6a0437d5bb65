//! `GET /api/v1/open/stats` and the aggregate downloads (`aggregates.csv`,
//! `aggregates.geojson`): parts of one protected grid per municipality, boundary year and
//! calendar year, as JSON, CSV or GeoJSON with the area polygons.

use std::sync::Arc;

use actix_web::{HttpRequest, HttpResponse, get, web};
use chrono::SecondsFormat;
use serde::Serialize;

use super::conditional;
use crate::api::error::ApiError;
use crate::api::responses::Unavailable;
use crate::api::state::AppState;
use crate::domain::open_data::grid::{OpenGrid, OpenMeasure, OpenRow};
use crate::domain::open_data::query::{OpenQuery, OpenStatsRequest};
use crate::domain::open_data::{self, aggregates};
use crate::domain::stats::{Period, TIME_ZONE};
use crate::insight::open::{self as open_insight, OpenContext};

/// A measure and what it counts.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct OpenMeasureDefinition {
    /// The measure.
    pub name: OpenMeasure,
    /// What it counts.
    pub definition: &'static str,
}

/// An answer of the public statistics.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct OpenStatsAnswer {
    /// The municipality (CBS code).
    pub gemeente: String,
    /// Its name.
    pub gemeente_name: String,
    /// The boundary year of every area in the answer.
    pub boundary_year: i32,
    /// The calendar year.
    pub year: i32,
    /// Area level of the rows.
    pub level: &'static str,
    /// Period of the rows.
    pub period: &'static str,
    /// The category (`all`: every public category).
    pub category: String,
    /// The time zone periods are in.
    pub time_zone: &'static str,
    /// Counts below this are published as "fewer than N".
    pub min_count: i64,
    /// Other counts are rounded to the nearest multiple of this (1: exact).
    pub rounding_base: i64,
    /// The disclosure control applied.
    pub method: &'static str,
    /// Where the method is explained.
    pub method_documentation: &'static str,
    /// The measures, with what they count.
    pub measures: Vec<OpenMeasureDefinition>,
    /// The data's licence (SPDX identifier).
    pub licence: String,
    /// Attribution of the boundaries.
    pub attribution: String,
    /// When the counts were read (they are read again at most once a minute).
    pub figures_as_of: String,
    /// One row per area and period.
    pub rows: Vec<OpenRow>,
}

/// Runs the grid of `query` off the executor.
pub(crate) async fn grid_of(state: &web::Data<AppState>, query: OpenQuery) -> Result<Arc<OpenGrid>, ApiError> {
    let shared = state.clone();
    crate::api::analyst::with_insight(state, move |conn, ctx| {
        let open = OpenContext {
            stats: ctx,
            rule: shared.open.rule(),
            subcategories: shared.open.subcategories,
            grids: &shared.open_grids,
            keep_for: shared.open.keep_for,
        };
        open_insight::grid(conn, &open, &query)
    })
    .await
}

fn check(request: &OpenStatsRequest) -> Result<OpenQuery, ApiError> {
    let today = crate::domain::stats::period::local_date(chrono::Utc::now().timestamp());
    request.check(today).map_err(ApiError::Validation)
}

fn category_nodes(grid: &OpenGrid, asked: Option<&str>) -> Result<Vec<usize>, ApiError> {
    match asked {
        Some(slug) => Ok(vec![open_insight::category_node(grid, Some(slug))?]),
        None => Ok((0..grid.categories.len()).collect()),
    }
}

/// Public statistics of reports per area, category and period, protected so that they
/// identify nobody.
///
/// Counts of received and resolved reports in public categories, per buurt, wijk or
/// gemeente, per ended month, quarter or year. Counts below `open_min_count` read "fewer
/// than N"; a few others are hidden so that no small count can be worked out from the rest
/// (by subtracting buurten from their wijk, subcategories from their main category, months
/// from their quarter, or one answer from another: every answer is a part of one protected
/// grid). No text, contact or location of any report is ever part of an answer.
#[utoipa::path(
    tag = "open data",
    params(OpenStatsRequest),
    responses(
        crate::api::responses::QueryErrors,
        (status = 200, description = "The rows (JSON; CSV with `Accept: text/csv` or `format=csv`)", content(
            (OpenStatsAnswer = "application/json"),
            (String = "text/csv"),
        ),
            headers(("ETag" = String, description = "Changes when the answer changes"), ("Cache-Control" = String, description = "How long caches may keep it"))),
        (status = 304, description = "The client's copy is current (`If-None-Match`)"),
        (status = 422, description = "A parameter is outside the published grid (a period that is not month, quarter or year, an area level that does not exist, a category that is not published, a year without an ended month, a boundary year not loaded, a municipality not published); each named by JSON Pointer, saying what is available", body = crate::api::error::Problem, content_type = "application/problem+json"),
        Unavailable,
    )
)]
#[get("/api/v1/open/stats")]
pub async fn open_statistics(
    state: web::Data<AppState>,
    request: HttpRequest,
    query: web::Query<OpenStatsRequest>,
) -> Result<HttpResponse, ApiError> {
    let query = check(&query)?;
    let csv = query.csv || crate::api::analyst::stats::wants_csv(&request);
    let period = query.period.unwrap_or(Period::Month);
    let level = query.level;
    let asked = query.category.clone();
    let grid = grid_of(&state, query).await?;
    let category = open_insight::category_node(&grid, asked.as_deref())?;
    let rows = grid.rows(level, Some(period), &[category]);
    if csv {
        let body = aggregates::csv(&grid, &rows).map_err(|e| ApiError::Internal(format!("cannot write CSV: {e}")))?;
        return Ok(conditional::answer(&request, "text/csv; charset=utf-8", body.into_bytes(), None));
    }
    let answer = OpenStatsAnswer {
        gemeente: grid.gemeente.clone(),
        gemeente_name: grid.areas.first().map(|a| a.name.clone()).unwrap_or_default(),
        boundary_year: grid.boundary_year,
        year: grid.year,
        level: level.as_str(),
        period: period.as_str(),
        category: grid.categories.get(category).map(|c| c.label().to_owned()).unwrap_or_default(),
        time_zone: TIME_ZONE,
        min_count: state.open.min_count,
        rounding_base: state.open.rounding_base,
        method: aggregates::METHOD,
        method_documentation: aggregates::METHOD_DOC,
        measures: OpenMeasure::ALL
            .iter()
            .map(|&m| OpenMeasureDefinition { name: m, definition: m.definition() })
            .collect(),
        licence: state.open.licence.clone(),
        attribution: open_data::boundary_attribution(grid.boundary_year),
        figures_as_of: grid.computed_at.to_rfc3339_opts(SecondsFormat::Secs, true),
        rows,
    };
    let body = serde_json::to_vec(&answer).map_err(|e| ApiError::Internal(e.to_string()))?;
    Ok(conditional::answer(&request, "application/json", body, None))
}

/// The public statistics of a year as one CSV file: every area of a level, every published
/// category and every ended month, quarter and year (columns: `schema/aggregates.json`).
#[utoipa::path(
    tag = "open data",
    params(OpenStatsRequest),
    responses(
        crate::api::responses::QueryErrors,
        (status = 200, description = "The aggregates as CSV (`period` and `category` narrow it; without them every period and category)", content_type = "text/csv",
            headers(("ETag" = String, description = "Changes when the file changes"), ("Content-Disposition" = String, description = "The file name"))),
        (status = 304, description = "The client's copy is current (`If-None-Match`)"),
        (status = 422, description = "A parameter is outside the published grid, saying what is available", body = crate::api::error::Problem, content_type = "application/problem+json"),
        Unavailable,
    )
)]
#[get("/api/v1/open/aggregates.csv")]
pub async fn aggregates_csv(
    state: web::Data<AppState>,
    request: HttpRequest,
    query: web::Query<OpenStatsRequest>,
) -> Result<HttpResponse, ApiError> {
    let query = check(&query)?;
    let (level, period, asked) = (query.level, query.period, query.category.clone());
    let grid = grid_of(&state, query).await?;
    let categories = category_nodes(&grid, asked.as_deref())?;
    let rows = grid.rows(level, period, &categories);
    let body = aggregates::csv(&grid, &rows).map_err(|e| ApiError::Internal(format!("cannot write CSV: {e}")))?;
    let name = format!("meldpunt-aggregates-{}-{}-{}.csv", grid.gemeente, level.as_str(), grid.year);
    Ok(conditional::answer(&request, "text/csv; charset=utf-8", body.into_bytes(), Some(&name)))
}

/// The public statistics of a year per area as GeoJSON with the CBS polygons, for a
/// choropleth in any GIS: one feature per area of the level, with per period of the kind
/// asked (default: the year once ended, else months) the properties `received_<period>`,
/// `received_<period>_suppressed`, `resolved_<period>`, `resolved_<period>_suppressed`.
#[utoipa::path(
    tag = "open data",
    params(OpenStatsRequest),
    responses(
        crate::api::responses::QueryErrors,
        (status = 200, description = "A FeatureCollection of the areas with their counts", content_type = "application/geo+json",
            headers(("ETag" = String, description = "Changes when the file changes"), ("Content-Disposition" = String, description = "The file name"))),
        (status = 304, description = "The client's copy is current (`If-None-Match`)"),
        (status = 422, description = "A parameter is outside the published grid, saying what is available", body = crate::api::error::Problem, content_type = "application/problem+json"),
        Unavailable,
    )
)]
#[get("/api/v1/open/aggregates.geojson")]
pub async fn aggregates_geojson(
    state: web::Data<AppState>,
    request: HttpRequest,
    query: web::Query<OpenStatsRequest>,
) -> Result<HttpResponse, ApiError> {
    let query = check(&query)?;
    let (level, asked) = (query.level, query.category.clone());
    let period = query.period.unwrap_or(if query.ended_months == 12 { Period::Year } else { Period::Month });
    let boundary_year = query.boundary_year;
    let grid = grid_of(&state, query).await?;
    let category = open_insight::category_node(&grid, asked.as_deref())?;
    let rows = grid.rows(level, Some(period), &[category]);
    let year = grid.boundary_year;
    let shapes = {
        let shared = state.clone();
        state
            .db
            .run(move |conn| {
                let areas = shared.boundary_years.get(
                    conn,
                    boundary_year.unwrap_or(year),
                    shared.config.snapshot().generation.areas,
                )?;
                Ok::<_, crate::storage::StorageError>(areas)
            })
            .await?
    };
    let body = aggregates::geojson(&grid, level, &rows, &shapes.index, state.open.rule())
        .map_err(|e| ApiError::Internal(format!("cannot write GeoJSON: {e}")))?;
    let name = format!("meldpunt-aggregates-{}-{}-{}.geojson", grid.gemeente, level.as_str(), grid.year);
    Ok(conditional::answer(&request, "application/geo+json", body, Some(&name)))
}

/// The Frictionless Table Schema of the aggregates CSV (and of the rows of the public
/// statistics): every column with its type and meaning.
#[utoipa::path(
    tag = "open data",
    responses((status = 200, description = "A Table Schema (JSON)", content_type = "application/json"))
)]
#[get("/api/v1/open/schema/aggregates.json")]
pub async fn aggregates_schema(request: HttpRequest) -> HttpResponse {
    let body = serde_json::to_vec_pretty(&aggregates::table_schema()).unwrap_or_default();
    conditional::answer(&request, "application/json", body, None)
}
