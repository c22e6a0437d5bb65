//! Following a report with the private link from its emails, without an account; the
//! reporter's request to reopen a resolved report from there.

use actix_web::{HttpRequest, HttpResponse, get, post, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::api::body::optional_json;
use crate::api::error::{ApiError, Problem};
use crate::api::responses::{JsonBodyErrors, TooManyRequests, Unavailable};
use crate::api::state::AppState;
use crate::api::views::ReportView;
use crate::domain::privacy::Audience;
use crate::domain::report::{Language, ReportStatus};
use crate::domain::survey::{ReopenRefusal, SURVEY_TEXT_MAX};
use crate::domain::validation::{FieldError, bounded_text};
use crate::storage::followers::Holder;
use crate::storage::surveys::ReopenRequest;

/// One public step in a report's handling.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct PublicUpdate {
    /// When.
    pub at: DateTime<Utc>,
    /// The status from then on (`null` for a note that did not change it).
    pub status: Option<ReportStatus>,
    /// The message for the resident, if any.
    pub text: Option<String>,
}

/// A followed report: its public view and its public status history.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct FollowView {
    /// The report as residents see it.
    pub report: ReportView,
    /// Public status changes and notes, oldest first (who made them is not shown).
    pub updates: Vec<PublicUpdate>,
    /// Whether this link may add a remark or photos now (`POST …/remarks`, `POST …/photos`):
    /// the reporter's own link, while the report is open.
    pub can_add: bool,
    /// Whether this link may ask to reopen the report now (`POST …/reopen`): the reporter's
    /// own link, to a resolved report, within `survey_days` of its resolution.
    pub can_reopen: bool,
    /// Whether this is the reporter's link (a supporter's may only stop its emails).
    #[serde(skip)]
    pub reporter: bool,
}

/// A report by its private follow link (from the confirmation or an update email).
#[utoipa::path(
    tag = "reports",
    params(
        ("token" = String, Path, description = "The token from the follow link"),
        ("lang" = Option<String>, Query, description = "The page's language, `nl` or `en` (the page only; default: the report's)"),
    ),
    responses(
        (status = 200, description = "The report and its public updates: JSON, or with an `Accept` that prefers `text/html` the page \"Your report\" (status in words, timeline, photos, a map of the buurt, and a form to stop the emails)", content(
            (FollowView = "application/json"),
            (String = "text/html"),
        )),
        (status = 404, description = "No report has this link (for browsers a page that says so, the same whether or not a report exists)", content(
            (Problem = "application/problem+json"),
            (String = "text/html"),
        )),
        Unavailable,
    )
)]
#[get("/api/v1/follow/{token}")]
pub async fn follow_report(
    request: HttpRequest,
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    if crate::api::pages::resident::wants_html(&request) {
        return crate::api::pages::resident::report::page(&request, &state, &path, None).await;
    }
    let (view, _) = followed(&state, path.into_inner())
        .await?
        .ok_or_else(|| ApiError::NotFound("this follow link is unknown; check that it was copied whole".into()))?;
    Ok(HttpResponse::Ok().json(view))
}

/// The report behind a follow link with its public updates, and the language of its
/// emails; `None` for an unknown link.
pub(crate) async fn followed(state: &AppState, token: String) -> Result<Option<(FollowView, Language)>, ApiError> {
    let found = state
        .db
        .run(move |conn| -> Result<_, crate::storage::StorageError> {
            let Some(link) = crate::storage::followers::follow_link(conn, &token)? else {
                return Ok(None);
            };
            let id = link.report_id;
            let report = crate::storage::reports::by_id(conn, id)?;
            let history = crate::storage::triage::history(conn, id)?;
            let language = crate::storage::followers::language_of(conn, id)?;
            let reporter = matches!(link.holder, Holder::Reporter(_));
            // When it was resolved matters only to the reporter of a resolved report.
            let resolved = report.as_ref().is_some_and(|r| r.status == ReportStatus::Resolved);
            let settled = if reporter && resolved { crate::storage::surveys::settled_at(conn, id)? } else { None };
            Ok(report.map(|r| (r, history, language, reporter, settled)))
        })
        .await?;
    let Some((report, history, language, reporter, settled)) = found else {
        return Ok(None);
    };
    let updates = history
        .into_iter()
        .filter(|entry| entry.is_public())
        .map(|entry| {
            let field = |key: &str| entry.details.get(key).and_then(|v| v.as_str()).map(str::to_owned);
            let status = match entry.action.as_str() {
                "created" => Some(ReportStatus::New),
                "status_changed" => field("to").as_deref().and_then(ReportStatus::parse),
                "merged_into" => Some(ReportStatus::Cancelled),
                _ => None,
            };
            PublicUpdate { at: entry.at, status, text: field("text") }
        })
        .collect();
    let can_add = reporter && !crate::domain::workflow::is_closed(report.status);
    let can_reopen = reporter
        && crate::domain::survey::may_request_reopen(report.status, settled, state.survey_days, chrono::Utc::now())
            .is_ok();
    let photos = super::photos::public_photos(state, &report).await?;
    let mut report = super::reports::view(state, report, Audience::Public).await?;
    report.photos = photos;
    Ok(Some((FollowView { report, updates, can_add, can_reopen, reporter }, language)))
}

/// A reporter's request to reopen their resolved report.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReopenRequestBody {
    /// Why it is not solved, at most 1,000 characters (optional); staff read it as an
    /// internal note.
    #[serde(default)]
    pub text: Option<String>,
}

/// What a request to reopen did.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ReopenRequested {
    /// The report's status from now on: `reopen_requested`, until staff decide.
    pub status: ReportStatus,
}

/// The reporter asks to reopen their resolved report from the follow link, within
/// `survey_days` of the resolution. The report moves to `reopen_requested` (staff decide:
/// `reopened`, or back to `resolved` with a text); the text is kept as an internal note.
/// The body may be empty.
#[utoipa::path(
    tag = "reports",
    params(("token" = String, Path, description = "The token from the follow link")),
    request_body(content = Option<ReopenRequestBody>, content_type = "application/json"),
    responses(
        (status = 200, description = "Requested", body = ReopenRequested),
        (status = 403, description = "A supporter's follow link: only the reporter may ask", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No report has this link", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The report is not resolved (it is open, cancelled, or a request waits already)", body = Problem, content_type = "application/problem+json"),
        (status = 410, description = "The period for asking (`survey_days` after the resolution) is over", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The text is too long or not plain text", body = Problem, content_type = "application/problem+json"),
        Unavailable,
        JsonBodyErrors,
        TooManyRequests,
    )
)]
#[post("/api/v1/follow/{token}/reopen")]
pub async fn request_reopen(
    path: web::Path<String>,
    request: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let token = path.into_inner();
    let input: ReopenRequestBody = optional_json(&request, payload, state.max_body_bytes).await?;
    reopen(&state, token, input.text.as_deref()).await?;
    Ok(HttpResponse::Ok().json(ReopenRequested { status: ReportStatus::ReopenRequested }))
}

/// The reporter's request to reopen through the follow link `token`, with an optional
/// text (the JSON API's and the report page's); errors say why it cannot be asked.
pub(crate) async fn reopen(state: &AppState, token: String, text: Option<&str>) -> Result<(), ApiError> {
    let text =
        match text.map(str::trim).filter(|t| !t.is_empty()) {
            Some(text) => Some(bounded_text(text, "the text", SURVEY_TEXT_MAX).map_err(|e| {
                ApiError::Validation(vec![FieldError { pointer: "/text".into(), detail: e.to_string() }])
            })?),
            None => None,
        };
    let days = state.survey_days;
    let outcome = state
        .db
        .run(move |conn| -> Result<_, crate::storage::StorageError> {
            let Some(link) = crate::storage::followers::follow_link(conn, &token)? else { return Ok(None) };
            if link.holder != Holder::Reporter(link.report_id) {
                return Ok(Some(None));
            }
            crate::storage::surveys::request_reopen(conn, link.report_id, text.as_deref(), days).map(|o| Some(Some(o)))
        })
        .await?;
    let outcome = outcome
        .ok_or_else(|| ApiError::NotFound("this follow link is unknown; check that it was copied whole".into()))?
        .ok_or_else(|| ApiError::Forbidden("only the reporter's own follow link can ask to reopen a report".into()))?;
    match outcome {
        ReopenRequest::Requested => {
            tracing::info!("reporter asked to reopen a report");
            Ok(())
        }
        ReopenRequest::Unknown => {
            Err(ApiError::NotFound("this follow link is unknown; check that it was copied whole".into()))
        }
        ReopenRequest::Refused(ReopenRefusal::NotResolved(status)) => Err(ApiError::Conflict(format!(
            "the report is {}; only a resolved report can be asked to reopen",
            status.as_str()
        ))),
        ReopenRequest::Refused(ReopenRefusal::TooLate) => Err(ApiError::Gone(format!(
            "a report can be asked to reopen for {days} days after it was resolved; that period is over. File a new report instead"
        ))),
    }
}
