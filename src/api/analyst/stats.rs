//! `GET /api/v1/stats/reports`: a table of measures per area, group and period, as JSON or
//! CSV.

use actix_web::{HttpRequest, HttpResponse, get, http::header, web};

use crate::api::access::AnalystAccess;
use crate::api::error::ApiError;
use crate::api::responses::{AnalystErrors, Unavailable};
use crate::api::state::AppState;
use crate::domain::stats::Measure;
use crate::domain::stats::query::{Dimension, StatsRequest};
use crate::domain::stats::table::StatsRow;
use crate::insight::statistics::{self, StatsAnswer};

/// Whether the client asked for CSV by its Accept header.
pub fn wants_csv(request: &HttpRequest) -> bool {
    request
        .headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|accept| accept.split(',').any(|part| part.trim().starts_with("text/csv")))
}

/// Statistics of reports per area, group and period.
///
/// Measures per cell: received, resolved, cancelled, open at the end of the period (from
/// the status history), median and 90th-percentile hours to resolution, shares resolved on
/// time, late and later than three times the handling time, reopened, "me too",
/// reports per 1,000 inhabitants where CBS key figures are loaded, and the answers to the
/// satisfaction survey with the share satisfied (hidden below `stats_min_count` answers).
/// Every answer names its boundary year and time zone and carries the definition of each
/// measure. Counts of
/// non-public and sensitive categories below `stats_min_count` are hidden and listed in
/// `suppressed`; totals add only shown counts. No report text, contact or location is
/// ever part of an answer.
#[utoipa::path(
    tag = "analyst",
    security(("bearer" = []), ("admin_token" = [])),
    params(StatsRequest),
    responses(
        crate::api::responses::QueryErrors,
        (status = 200, description = "The table (JSON; CSV with `Accept: text/csv` or `format=csv`, one line per row, hidden counts as \"fewer than N\")", content(
            (StatsAnswer = "application/json"),
            (String = "text/csv"),
        )),
        (status = 422, description = "A parameter is invalid or does not fit the data (unknown level, period, measure, area, category or department; from after to; a range too long for its period; a boundary year not loaded); each named by JSON Pointer", body = crate::api::error::Problem, content_type = "application/problem+json"),
        AnalystErrors,
        Unavailable,
    )
)]
#[get("/api/v1/stats/reports")]
pub async fn report_statistics(
    _analyst: AnalystAccess,
    state: web::Data<AppState>,
    request: HttpRequest,
    query: web::Query<StatsRequest>,
) -> Result<HttpResponse, ApiError> {
    let query = query.into_inner().check(statistics::now_epoch()).map_err(ApiError::Validation)?;
    let csv = query.csv || wants_csv(&request);
    let answer = super::with_insight(&state, move |conn, ctx| statistics::answer(conn, ctx, &query)).await?;
    if csv {
        Ok(HttpResponse::Ok().content_type("text/csv; charset=utf-8").body(to_csv(&answer)?))
    } else {
        Ok(HttpResponse::Ok().json(answer))
    }
}

/// The rows as CSV: area, period, the group's dimensions, then the measures asked (hidden
/// counts as "fewer than N", nothing to measure as an empty cell), then the boundary year.
pub fn to_csv(answer: &StatsAnswer) -> Result<String, ApiError> {
    let measures: Vec<Measure> = answer.measures.iter().map(|m| m.name).collect();
    let inhabitants = measures.contains(&Measure::ReceivedPer1000Inhabitants);
    let mut writer = csv::Writer::from_writer(Vec::new());
    let mut header: Vec<&str> = vec!["area_code", "area_name", "period", "period_start"];
    header.extend(answer.group_by.iter().map(|d| d.as_str()));
    header.extend(measures.iter().map(|m| m.as_str()));
    if inhabitants {
        header.extend(["inhabitants", "inhabitants_year"]);
    }
    header.push("boundary_year");
    let failed = |e: csv::Error| ApiError::Internal(format!("cannot write CSV: {e}"));
    writer.write_record(&header).map_err(failed)?;
    let hidden = format!("fewer than {}", answer.min_count);
    for row in &answer.rows {
        let mut record: Vec<String> =
            vec![row.area_code.clone(), row.area_name.clone(), row.period.clone(), row.period_start.clone()];
        record.extend(answer.group_by.iter().map(|d: &Dimension| row.dimension(*d).unwrap_or_default().to_owned()));
        for measure in &measures {
            record.push(cell(row, *measure, &hidden));
        }
        if inhabitants {
            record.push(row.inhabitants.map(|v| v.to_string()).unwrap_or_default());
            record.push(row.inhabitants_year.map(|v| v.to_string()).unwrap_or_default());
        }
        record.push(answer.boundary_year.to_string());
        writer.write_record(&record).map_err(failed)?;
    }
    let bytes = writer.into_inner().map_err(|e| ApiError::Internal(format!("cannot write CSV: {e}")))?;
    String::from_utf8(bytes).map_err(|e| ApiError::Internal(format!("cannot write CSV: {e}")))
}

fn cell(row: &StatsRow, measure: Measure, hidden: &str) -> String {
    if row.suppressed.contains(&measure) {
        return hidden.to_owned();
    }
    match row.value(measure) {
        None => String::new(),
        Some(value) if measure.is_count() => format!("{value:.0}"),
        Some(value) => value.to_string(),
    }
}
