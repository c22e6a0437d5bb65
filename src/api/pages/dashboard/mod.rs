//! `GET /open/dashboard`: the public dashboard, rendered on the server from the same
//! protected grid as the public statistics (`GET /api/v1/open/stats`), so it works without
//! scripts: a GET form, a choropleth of the areas, the time series of one area, and a table
//! for each picture. Its style and small script are in the binary (`assets`).

pub mod assets;
pub mod svg;
pub mod text;
pub mod view;

use std::collections::HashMap;

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, get, web};
use serde::{Deserialize, Serialize};

use crate::api::error::ApiError;
use crate::api::responses::Unavailable;
use crate::api::state::AppState;
use crate::domain::area::{Area, AreaLevel};
use crate::domain::open_data;
use crate::domain::open_data::disclosure::Rule;
use crate::domain::open_data::grid::{OpenGrid, OpenMeasure};
use crate::domain::open_data::query::{FIRST_YEAR, OpenStatsRequest};
use crate::domain::stats::Period;
use crate::domain::validation::FieldError;
use crate::insight::open as open_insight;
use text::Lang;
use view::{AreaFigures, Choice, Dashboard, SeriesRow};

/// The dashboard's query string: the form's fields, the area of the time series and the
/// language. Every field is optional.
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DashboardRequest {
    /// `nl` (default) or `en`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lang: Option<String>,
    /// Calendar year. Default: the year of the last ended month.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub year: Option<String>,
    /// A public main category's slug, or `all` (default).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub category: Option<String>,
    /// `month`, `quarter` or `year` (default: `year` once the year ended, else `month`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub period: Option<String>,
    /// The period on the map (`2025-03`, `2025-Q1`, `2025`). Default: the last of its kind.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub at: Option<String>,
    /// Area level of the map: `buurt` (default), `wijk` or `gemeente`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub level: Option<String>,
    /// CBS code of the area of the time series. Default: the municipality.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub area: Option<String>,
}

impl DashboardRequest {
    fn href(&self, change: impl FnOnce(&mut DashboardRequest)) -> String {
        let mut next = self.clone();
        change(&mut next);
        format!("/open/dashboard?{}", serde_urlencoded::to_string(&next).unwrap_or_default())
    }
}

fn error_page(lang: Lang, status: StatusCode, details: &[String]) -> HttpResponse {
    page(status, view::error_page(lang, details))
}

fn page(status: StatusCode, body: String) -> HttpResponse {
    HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .insert_header(("Cache-Control", "no-cache"))
        .insert_header(("Referrer-Policy", "no-referrer"))
        .insert_header((
            "Content-Security-Policy",
            "default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self' data:; form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
        ))
        .body(body)
}

fn details(errors: &[FieldError]) -> Vec<String> {
    errors.iter().map(|e| format!("{}: {}", e.pointer.trim_start_matches('/'), e.detail)).collect()
}

/// The public dashboard: a map of the buurten (or wijken) coloured by the reports received
/// in a period, the monthly time series of one area, and a table for each, in Dutch or
/// English. Small counts are marked as hidden, exactly as the public statistics hide them.
#[utoipa::path(
    tag = "open data",
    params(DashboardRequest),
    responses(
        (status = 200, description = "The dashboard (HTML)", content_type = "text/html"),
        (status = 400, description = "The query string cannot be read (a parameter repeated): an HTML page that says so", content_type = "text/html"),
        (status = 422, description = "A parameter is outside the published figures: an HTML page that says what to change", content_type = "text/html"),
        Unavailable,
    )
)]
#[get("/open/dashboard")]
pub async fn dashboard(state: web::Data<AppState>, http: HttpRequest) -> Result<HttpResponse, ApiError> {
    // Read here rather than by the `web::Query` extractor, so that a query string that cannot
    // be read gets a page for people too, not a problem document.
    let request = match web::Query::<DashboardRequest>::from_query(http.query_string()) {
        Ok(query) => query.into_inner(),
        Err(error) => {
            return Ok(error_page(
                Lang::Nl,
                StatusCode::BAD_REQUEST,
                &[format!("the query string cannot be read: {error}")],
            ));
        }
    };
    let Some(lang) = Lang::parse(request.lang.as_deref()) else {
        return Ok(error_page(
            Lang::Nl,
            StatusCode::UNPROCESSABLE_ENTITY,
            &[format!("lang: there is no language {:?}: use nl or en", request.lang.as_deref().unwrap_or_default())],
        ));
    };
    let stats_request = OpenStatsRequest {
        year: request.year.clone(),
        level: request.level.clone(),
        period: request.period.clone(),
        category: request.category.clone(),
        ..OpenStatsRequest::default()
    };
    let today = crate::domain::stats::period::local_date(chrono::Utc::now().timestamp());
    let open_query = match stats_request.check(today) {
        Ok(q) => q,
        Err(errors) => return Ok(error_page(lang, StatusCode::UNPROCESSABLE_ENTITY, &details(&errors))),
    };
    let level = open_query.level;
    let kind = open_query.period.unwrap_or(if open_query.ended_months == 12 { Period::Year } else { Period::Month });
    let asked = open_query.category.clone();
    let grid = match crate::api::open::stats::grid_of(&state, open_query).await {
        Ok(grid) => grid,
        Err(ApiError::Validation(errors)) => {
            return Ok(error_page(lang, StatusCode::UNPROCESSABLE_ENTITY, &details(&errors)));
        }
        Err(other) => return Err(other),
    };
    let category = match open_insight::category_node(&grid, asked.as_deref()) {
        Ok(c) => c,
        Err(crate::insight::statistics::StatsError::Invalid(errors)) => {
            return Ok(error_page(lang, StatusCode::UNPROCESSABLE_ENTITY, &details(&errors)));
        }
        Err(other) => return Err(other.into()),
    };
    let selected = match request.area.as_deref() {
        None | Some("") => grid.areas.iter().position(|a| a.level == AreaLevel::Gemeente),
        Some(code) => {
            let found = grid.areas.iter().position(|a| a.code == code);
            if found.is_none() {
                return Ok(error_page(
                    lang,
                    StatusCode::UNPROCESSABLE_ENTITY,
                    &[format!(
                        "area: {code:?} is not an area of {} in boundary year {}: choose an area on the map, or leave area out for the whole municipality",
                        grid.gemeente, grid.boundary_year
                    )],
                ));
            }
            found
        }
    };
    let boundary_year = grid.boundary_year;
    let areas = {
        let shared = state.clone();
        state
            .db
            .run(move |conn| shared.boundary_years.get(conn, boundary_year, shared.config.snapshot().generation.areas))
            .await?
    };
    let shapes: HashMap<(AreaLevel, &str), &Area> =
        areas.index.areas().iter().map(|a| ((a.level, a.code.as_str()), a)).collect();
    let dashboard = gather(&request, lang, &grid, category, kind, level, selected, &shapes, state.open.rule(), today);
    Ok(page(StatusCode::OK, view::render(&dashboard)))
}

/// Reads what the page shows out of the grid.
#[expect(clippy::too_many_arguments, reason = "one call site; the parts of one question")]
fn gather<'a>(
    request: &DashboardRequest,
    lang: Lang,
    grid: &OpenGrid,
    category: usize,
    kind: Period,
    level: AreaLevel,
    selected: Option<usize>,
    shapes: &HashMap<(AreaLevel, &str), &'a Area>,
    rule: Rule,
    today: chrono::NaiveDate,
) -> Dashboard<'a> {
    let t = lang.texts();
    let of_kind: Vec<(usize, String)> =
        grid.periods.iter().enumerate().filter(|(_, p)| p.kind == kind).map(|(i, p)| (i, p.label())).collect();
    let at = request
        .at
        .as_deref()
        .and_then(|asked| of_kind.iter().find(|(_, label)| label == asked))
        .or(of_kind.last())
        .cloned();
    let cell = |measure, area, period: Option<usize>| match period {
        Some(t) => grid.cell(measure, area, category, t),
        None => crate::domain::open_data::disclosure::Shown::Count(0),
    };
    let areas = grid
        .areas
        .iter()
        .enumerate()
        .filter(|(_, a)| a.level == level)
        .map(|(i, a)| AreaFigures {
            code: a.code.clone(),
            name: a.name.clone(),
            shape: shapes.get(&(level, a.code.as_str())).map(|area| &area.geometry),
            received: cell(OpenMeasure::Received, i, at.as_ref().map(|(t, _)| *t)),
            resolved: cell(OpenMeasure::Resolved, i, at.as_ref().map(|(t, _)| *t)),
            href: format!("{}#series", request.href(|r| r.area = Some(a.code.clone()))),
        })
        .collect();
    let selected_area = selected.and_then(|s| grid.areas.get(s).map(|a| (s, a)));
    let series = selected_area
        .map(|(s, _)| {
            grid.periods
                .iter()
                .enumerate()
                .filter(|(_, p)| p.kind == Period::Month)
                .map(|(i, p)| SeriesRow {
                    label: p.label(),
                    received: cell(OpenMeasure::Received, s, Some(i)),
                    resolved: cell(OpenMeasure::Resolved, s, Some(i)),
                })
                .collect()
        })
        .unwrap_or_default();
    let last_year = if chrono::Datelike::month0(&today) == 0 {
        chrono::Datelike::year(&today) - 1
    } else {
        chrono::Datelike::year(&today)
    };
    let years = (FIRST_YEAR.max(last_year - 9)..=last_year)
        .rev()
        .chain((grid.year < last_year - 9).then_some(grid.year))
        .map(|y| Choice { value: y.to_string(), label: y.to_string(), selected: y == grid.year })
        .collect();
    let categories = grid
        .categories
        .iter()
        .enumerate()
        .map(|(i, c)| Choice {
            value: c.label().to_owned(),
            label: match lang {
                Lang::Nl => c.name_nl.clone(),
                Lang::En => c.name_en.clone(),
            },
            selected: i == category,
        })
        .collect::<Vec<_>>();
    let category_name = categories.get(category).map(|c: &Choice| c.label.clone()).unwrap_or_default();
    let kinds = [(Period::Month, t.month), (Period::Quarter, t.quarter), (Period::Year, t.whole_year)];
    let period_kinds = kinds
        .iter()
        .map(|(k, label)| Choice { value: k.as_str().into(), label: (*label).into(), selected: *k == kind })
        .collect();
    let periods = of_kind
        .iter()
        .map(|(i, label)| Choice {
            value: label.clone(),
            label: label.clone(),
            selected: at.as_ref().is_some_and(|(t, _)| t == i),
        })
        .collect();
    let levels = [(AreaLevel::Buurt, t.buurt), (AreaLevel::Wijk, t.wijk), (AreaLevel::Gemeente, t.gemeente)]
        .iter()
        .map(|(l, label)| Choice { value: l.as_str().into(), label: (*label).into(), selected: *l == level })
        .collect();
    let other = match lang {
        Lang::Nl => "en",
        Lang::En => "nl",
    };
    let data_query = format!(
        "year={}&level={}&period={}&category={}",
        grid.year,
        level.as_str(),
        kind.as_str(),
        grid.categories.get(category).map(|c| c.label()).unwrap_or("all")
    );
    Dashboard {
        lang,
        other_language_href: request.href(|r| r.lang = Some(other.into())),
        years,
        categories,
        period_kinds,
        periods,
        levels,
        category_name,
        period_label: at.map(|(_, label)| label).unwrap_or_default(),
        areas,
        selected: selected_area.map(|(_, a)| (a.code.clone(), a.name.clone())).unwrap_or_default(),
        series,
        min_count: rule.min_count,
        rounding_base: rule.base,
        attribution: open_data::boundary_attribution(grid.boundary_year),
        data_links: [
            (format!("/api/v1/open/stats?{data_query}"), "JSON"),
            (format!("/api/v1/open/aggregates.csv?{data_query}"), "CSV"),
            (format!("/api/v1/open/aggregates.geojson?{data_query}"), "GeoJSON"),
        ],
    }
}
