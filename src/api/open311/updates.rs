//! `GET /open311/v2/servicerequestupdates.{format}` (FixMyStreet-style extension): the
//! public updates of requests in a time window, a page at a time, so integrations can
//! follow status changes and public notes, also after an outage.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, get, web};
use chrono::{Duration, Utc};

use super::dto::{UpdateDoc, UpdatesDoc};
use super::{ErrorEntry, Format, Open311Error, OrOpen311, PAGE_SIZE_MAX, Params, jurisdiction};
use crate::api::state::AppState;
use crate::domain::open311::{open311_status, page_of_updates, w3c};
use crate::storage::open311::UpdateFilter;

/// Public updates (creation, status changes with their message, public notes) recorded
/// between `start_date` and `end_date`, in the order they were recorded (`update_id`
/// ascending), a page of at most `page_size` at a time. The next page starts `after` the
/// last `update_id` of this one; a page shorter than `page_size` is the last for now.
#[utoipa::path(
    tag = "open311",
    params(
        ("format" = String, Path, description = "`json` or `xml`"),
        ("jurisdiction_id" = Option<String>, Query, description = "CBS gemeente code; required when the server serves several municipalities"),
        ("start_date" = Option<String>, Query, description = "Earliest update (W3C); default 24 hours before end_date, or no lower bound when `after` is sent"),
        ("end_date" = Option<String>, Query, description = "Latest update (W3C); default now"),
        ("after" = Option<i64>, Query, description = "Paging cursor: only updates recorded after the update with this `update_id` (the last one of the previous page). Updates are listed in the order they were recorded and new ones always come later, so pages neither skip nor repeat updates while new ones arrive (extension)"),
        ("page_size" = Option<i64>, Query, description = "Updates per page, 1-1000, default 1000; a shorter page is the last for now (extension)"),
    ),
    responses(
        (status = 200, description = "The updates, in the order they were recorded (`update_id` ascending)", content((UpdatesDoc = "application/json"), (UpdatesDoc = "text/xml"))),
        (status = 400, description = "A malformed date, cursor or page_size, `page` (use `after`), or a missing jurisdiction_id", content((Vec<ErrorEntry> = "application/json"), (Vec<ErrorEntry> = "text/xml"))),
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
    let (filter, after, size) = page_request(&params, gemeente, format)?;
    let page = state
        .db
        .run(move |conn| {
            page_of_updates(size, after, |after, limit| {
                let limit = i64::try_from(limit).unwrap_or(PAGE_SIZE_MAX);
                crate::storage::open311::updates_after(conn, &filter, after, limit)
            })
        })
        .await
        .or_open311(format)?;
    let updates = page
        .into_iter()
        .map(|(entry, update, report)| {
            let status = update.status.unwrap_or(report.status);
            UpdateDoc {
                update_id: entry.id.to_string(),
                service_request_id: report.reference,
                status: open311_status(status).into(),
                external_status_code: status.as_str().into(),
                updated_datetime: w3c(entry.at),
                description: update.text.unwrap_or_default(),
                media_url: None,
            }
        })
        .collect::<Vec<_>>();
    // JSON wraps the list in an object (as FixMyStreet does); XML has the list as its root.
    Ok(match format {
        Format::Json => format.render(StatusCode::OK, "", &UpdatesDoc { service_request_updates: updates }),
        Format::Xml => format.render(StatusCode::OK, "service_request_updates", &updates),
    })
}

/// The window, cursor and page size a request asks for.
fn page_request(
    params: &Params,
    gemeente: Option<String>,
    format: Format,
) -> Result<(UpdateFilter, Option<i64>, usize), Open311Error> {
    if params.get("page").is_some() {
        // Numbered pages shift when updates arrive inside the window; the cursor does not.
        return Err(Open311Error::bad_request(
            format,
            "page is not used here; ask for the next page with after=<the last update_id of this page>",
        ));
    }
    let after = params
        .get("after")
        .map(|text| {
            text.parse::<i64>().ok().filter(|id| *id >= 0).ok_or_else(|| {
                Open311Error::bad_request(
                    format,
                    format!("after '{text}' is not an update_id; send the last update_id of the previous page"),
                )
            })
        })
        .transpose()?;
    let to = params.date(format, "end_date")?.unwrap_or_else(Utc::now);
    // With a cursor the cursor is the lower bound: a client that polls after an outage
    // longer than the default window still gets every update since its last page.
    let from = match params.date(format, "start_date")? {
        Some(from) => Some(from),
        None if after.is_some() => None,
        None => Some(to - Duration::hours(24)),
    };
    if from.is_some_and(|from| from > to) {
        return Err(Open311Error::bad_request(format, "start_date is after end_date"));
    }
    let size = params.number(format, "page_size", PAGE_SIZE_MAX, PAGE_SIZE_MAX)?;
    let size = usize::try_from(size).unwrap_or(1);
    Ok((UpdateFilter { from, to: Some(to), gemeente }, after, size))
}
