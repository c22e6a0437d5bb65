//! `GET /open311/v2/servicerequestupdates.{format}` (FixMyStreet-style extension): the
//! public updates of requests in a time window, so integrations can follow status changes
//! and public notes.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, get, web};
use chrono::{Duration, Utc};

use super::dto::{UpdateDoc, UpdatesDoc};
use super::{ErrorEntry, Format, Open311Error, OrOpen311, PAGE_SIZE_MAX, Params, jurisdiction};
use crate::api::state::AppState;
use crate::domain::open311::{open311_status, parse_w3c, public_update, w3c};

/// Public updates (creation, status changes with their message, public notes) recorded
/// between `start_date` and `end_date`, oldest first, at most 1000.
#[utoipa::path(
    tag = "open311",
    params(
        ("format" = String, Path, description = "`json` or `xml`"),
        ("jurisdiction_id" = Option<String>, Query, description = "CBS gemeente code; required when the server serves several municipalities"),
        ("start_date" = Option<String>, Query, description = "Earliest update (W3C); default 24 hours before end_date"),
        ("end_date" = Option<String>, Query, description = "Latest update (W3C); default now"),
    ),
    responses(
        (status = 200, description = "The updates", content((UpdatesDoc = "application/json"), (UpdatesDoc = "text/xml"))),
        (status = 400, description = "A malformed date or a missing jurisdiction_id", content((Vec<ErrorEntry> = "application/json"), (Vec<ErrorEntry> = "text/xml"))),
        (status = 404, description = "Unknown format or jurisdiction", content((Vec<ErrorEntry> = "application/json"), (Vec<ErrorEntry> = "text/xml"))),
    )
)]
#[get("/open311/v2/servicerequestupdates.{format}")]
pub async fn list_updates(
    request: HttpRequest,
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, Open311Error> {
    let format = Format::parse(&path.into_inner())?;
    let params = Params::parse(format, request.query_string().as_bytes())?;
    let gemeente = jurisdiction(&state, &params, format)?;
    let date = |name: &str| -> Result<Option<chrono::DateTime<Utc>>, Open311Error> {
        params
            .get(name)
            .map(|text| {
                parse_w3c(text)
                    .ok_or_else(|| Open311Error::bad_request(format, format!("{name} '{text}' is not a W3C datetime")))
            })
            .transpose()
    };
    let to = date("end_date")?.unwrap_or_else(Utc::now);
    let from = date("start_date")?.unwrap_or(to - Duration::hours(24));
    if from > to {
        return Err(Open311Error::bad_request(format, "start_date is after end_date"));
    }
    let rows = state
        .db
        .run(move |conn| crate::storage::open311::updates_between(conn, from, to, gemeente.as_deref(), PAGE_SIZE_MAX))
        .await
        .or_open311(format)?;
    let updates = rows
        .into_iter()
        .filter_map(|(entry, report)| {
            let update = public_update(&entry)?;
            let status = update.status.unwrap_or(report.status);
            Some(UpdateDoc {
                update_id: entry.id.to_string(),
                service_request_id: report.reference,
                status: open311_status(status).into(),
                external_status_code: status.as_str().into(),
                updated_datetime: w3c(entry.at),
                description: update.text.unwrap_or_default(),
                media_url: None,
            })
        })
        .collect::<Vec<_>>();
    // JSON wraps the list in an object (as FixMyStreet does); XML has the list as its root.
    Ok(match format {
        Format::Json => format.render(StatusCode::OK, "", &UpdatesDoc { service_request_updates: updates }),
        Format::Xml => format.render(StatusCode::OK, "service_request_updates", &updates),
    })
}
