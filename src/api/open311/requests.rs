//! `GET requests.{format}` (a list with filters) and `requests/{id}.{format}`; filing a
//! request (`POST requests.{format}`) is in [`super::filing`].

use std::collections::HashMap;

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, get, web};
use chrono::{Duration, Utc};

use super::dto::RequestDoc;
use super::{ErrorEntry, Format, Open311Error, OrOpen311, PAGE_SIZE_MAX, Params, jurisdiction};
use crate::api::error::ApiError;
use crate::api::state::AppState;
use crate::domain::open311::{status_notes, statuses_for};
use crate::domain::reference::normalise_reference;
use crate::domain::report::Report;
use crate::storage::open311::RequestFilter;

/// The longest span `start_date`..`end_date` may cover (the spec's 90 days).
const WINDOW_DAYS: i64 = 90;

/// Lists service requests, newest first. `service_request_id` overrides every other filter.
#[utoipa::path(
    tag = "open311",
    params(
        ("format" = String, Path, description = "`json` or `xml`"),
        ("jurisdiction_id" = Option<String>, Query, description = "CBS gemeente code; required when the server serves several municipalities"),
        ("service_request_id" = Option<String>, Query, description = "Comma-separated request ids; overrides the other filters"),
        ("service_code" = Option<String>, Query, description = "Comma-separated service codes"),
        ("start_date" = Option<String>, Query, description = "Earliest requested_datetime (W3C); default 90 days before end_date"),
        ("end_date" = Option<String>, Query, description = "Latest requested_datetime (W3C); default now. The window spans at most 90 days"),
        ("status" = Option<String>, Query, description = "Comma-separated: open, closed"),
        ("page" = Option<i64>, Query, description = "Page, from 1 (extension)"),
        ("page_size" = Option<i64>, Query, description = "Requests per page, 1-1000, default 1000 (extension)"),
    ),
    responses(
        (status = 200, description = "The requests", content((Vec<RequestDoc> = "application/json"), (Vec<RequestDoc> = "text/xml"))),
        (status = 400, description = "A malformed filter or a missing jurisdiction_id", content((Vec<ErrorEntry> = "application/json"), (Vec<ErrorEntry> = "text/xml"))),
        (status = 404, description = "Unknown format or jurisdiction", content((Vec<ErrorEntry> = "application/json"), (Vec<ErrorEntry> = "text/xml"))),
    )
)]
#[get("/open311/v2/requests.{format}")]
pub async fn list_requests(
    request: HttpRequest,
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, Open311Error> {
    let format = Format::parse(&path.into_inner())?;
    let params = Params::parse(format, request.query_string().as_bytes())?;
    let gemeente = jurisdiction(&state, &params, format)?;
    let reports = if let Some(ids) = params.list("service_request_id") {
        let ids: Vec<String> = ids.into_iter().take(PAGE_SIZE_MAX as usize).collect();
        state
            .db
            .run(move |conn| -> Result<Vec<Report>, ApiError> {
                let mut found = Vec::new();
                for id in ids {
                    if let Some(report) = lookup(conn, &id)? {
                        found.push(report);
                    }
                }
                Ok(found)
            })
            .await
            .or_open311(format)?
            .into_iter()
            .filter(|report| in_jurisdiction(report, gemeente.as_deref()))
            .collect()
    } else {
        let filter = filter(&state, &params, gemeente, format)?;
        state.db.run(move |conn| crate::storage::open311::list(conn, &filter)).await.or_open311(format)?
    };
    let documents = documents(&state, reports).await.or_open311(format)?;
    Ok(format.render(StatusCode::OK, "service_requests", &documents))
}

/// One service request, by id (its reference) or by a token an earlier POST answered (the
/// report's UUID).
#[utoipa::path(
    tag = "open311",
    params(
        ("id" = String, Path, description = "The service_request_id (reference such as K7QM-3XRD)"),
        ("format" = String, Path, description = "`json` or `xml`"),
        ("jurisdiction_id" = Option<String>, Query, description = "CBS gemeente code; required when the server serves several municipalities"),
    ),
    responses(
        (status = 200, description = "A list with the one request", content((Vec<RequestDoc> = "application/json"), (Vec<RequestDoc> = "text/xml"))),
        (status = 400, description = "jurisdiction_id missing or malformed", content((Vec<ErrorEntry> = "application/json"), (Vec<ErrorEntry> = "text/xml"))),
        (status = 404, description = "Unknown request, format or jurisdiction", content((Vec<ErrorEntry> = "application/json"), (Vec<ErrorEntry> = "text/xml"))),
    )
)]
#[get("/open311/v2/requests/{id}.{format}")]
pub async fn get_request(
    request: HttpRequest,
    path: web::Path<(String, String)>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, Open311Error> {
    let (id, extension) = path.into_inner();
    let format = Format::parse(&extension)?;
    let params = Params::parse(format, request.query_string().as_bytes())?;
    let gemeente = jurisdiction(&state, &params, format)?;
    let wanted = id.clone();
    let report = state
        .db
        .run(move |conn| -> Result<Option<Report>, ApiError> { lookup(conn, &wanted) })
        .await
        .or_open311(format)?
        .filter(|report| in_jurisdiction(report, gemeente.as_deref()))
        .ok_or_else(|| Open311Error::not_found(format, format!("there is no service request '{id}'")))?;
    let documents = documents(&state, vec![report]).await.or_open311(format)?;
    Ok(format.render(StatusCode::OK, "service_requests", &documents))
}

/// Whether a report lies in the gemeente asked for (`None`: no filter).
fn in_jurisdiction(report: &Report, gemeente: Option<&str>) -> bool {
    gemeente.is_none_or(|code| report.area.as_ref().is_some_and(|area| area.gemeente_code == code))
}

/// A report by reference (any case, dash optional) or id.
fn lookup(conn: &mut crate::storage::DbConnection, id: &str) -> Result<Option<Report>, ApiError> {
    if let Ok(uuid) = uuid::Uuid::parse_str(id) {
        return Ok(crate::storage::reports::by_id(conn, uuid)?);
    }
    match normalise_reference(id) {
        Some(reference) => Ok(crate::storage::reports::by_reference(conn, &reference)?),
        None => Ok(None),
    }
}

/// The documents of `reports`, with their latest public status notes.
async fn documents(state: &web::Data<AppState>, reports: Vec<Report>) -> Result<Vec<RequestDoc>, ApiError> {
    let ids: Vec<uuid::Uuid> = reports.iter().map(|r| r.id).collect();
    let (history, photos) = state
        .db
        .run(move |conn| -> Result<_, crate::storage::StorageError> {
            Ok((
                crate::storage::open311::public_history(conn, &ids)?,
                crate::storage::photos::first_photos(conn, &ids)?,
            ))
        })
        .await?;
    let mut by_report: HashMap<uuid::Uuid, Vec<_>> = HashMap::new();
    for entry in history {
        by_report.entry(entry.report_id).or_default().push(entry);
    }
    let mut snapshot = state.config.snapshot();
    if reports.iter().any(|r| snapshot.catalog.category(r.category_id).is_none()) {
        snapshot = state.config.refreshed().await?;
    }
    Ok(reports
        .iter()
        .filter_map(|report| {
            let notes = by_report.get(&report.id).and_then(|entries| status_notes(entries));
            let mut document = RequestDoc::build(report, &snapshot.catalog, notes)?;
            // A photo filed with the report is its media: the served copy, without metadata,
            // when the public may see the category's photos.
            let shown = snapshot.catalog.category(report.category_id).is_some_and(crate::domain::photo::shown_publicly);
            if let Some(photo) = photos.get(&report.id).filter(|_| shown) {
                document.media_url =
                    Some(format!("{}{}", state.public_url, crate::api::public::photos::photo_url(report.id, *photo)));
            }
            Some(document)
        })
        .collect())
}

/// The list filter of a `GET requests`.
fn filter(
    state: &AppState,
    params: &Params,
    gemeente: Option<String>,
    format: Format,
) -> Result<RequestFilter, Open311Error> {
    let start = params.date(format, "start_date")?;
    let end = params.date(format, "end_date")?;
    let to = end.unwrap_or_else(Utc::now);
    let from = start.unwrap_or(to - Duration::days(WINDOW_DAYS));
    if from > to {
        return Err(Open311Error::bad_request(format, "start_date is after end_date"));
    }
    if to - from > Duration::days(WINDOW_DAYS) {
        return Err(Open311Error::bad_request(
            format,
            format!("start_date to end_date spans more than {WINDOW_DAYS} days; ask for a shorter window"),
        ));
    }
    let statuses = match params.list("status") {
        None => None,
        Some(names) => {
            let mut statuses = Vec::new();
            for name in names {
                let found = statuses_for(&name).ok_or_else(|| {
                    Open311Error::bad_request(format, format!("status '{name}' is not open or closed"))
                })?;
                statuses.extend(found.into_iter().map(|s| s.as_str().to_owned()));
            }
            Some(statuses)
        }
    };
    let snapshot = state.config.snapshot();
    let category_ids = params.list("service_code").map(|codes| {
        codes.iter().filter_map(|code| snapshot.catalog.subcategory(code)).map(|c| c.id).collect::<Vec<_>>()
    });
    let page_size = params.number(format, "page_size", PAGE_SIZE_MAX, PAGE_SIZE_MAX)?;
    let page = params.number(format, "page", 1, 1_000_000)?;
    Ok(RequestFilter {
        category_ids,
        statuses,
        from: Some(from),
        to: Some(to),
        gemeente,
        limit: page_size,
        offset: (page - 1) * page_size,
    })
}
