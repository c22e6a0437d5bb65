//! Following a report with the private link from its emails, without an account.

use actix_web::{HttpRequest, HttpResponse, get, web};
use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::api::error::{ApiError, Problem};
use crate::api::responses::Unavailable;
use crate::api::state::AppState;
use crate::api::views::ReportView;
use crate::domain::privacy::Audience;
use crate::domain::report::{Language, ReportStatus};

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
            let Some(id) = crate::storage::followers::followed_report(conn, &token)? else {
                return Ok(None);
            };
            let report = crate::storage::reports::by_id(conn, id)?;
            let history = crate::storage::triage::history(conn, id)?;
            let language = crate::storage::followers::language_of(conn, id)?;
            Ok(report.map(|r| (r, history, language)))
        })
        .await?;
    let Some((report, history, language)) = found else {
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
    let report = super::reports::view(state, report, Audience::Public).await?;
    Ok(Some((FollowView { report, updates }, language)))
}
