//! Following a report with the private link from its emails, without an account.

use actix_web::{HttpResponse, get, web};
use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::api::error::{ApiError, Problem};
use crate::api::responses::Unavailable;
use crate::api::state::AppState;
use crate::api::views::ReportView;
use crate::domain::privacy::Audience;
use crate::domain::report::ReportStatus;

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
    params(("token" = String, Path, description = "The token from the follow link")),
    responses(
        (status = 200, description = "The report and its public updates", body = FollowView),
        (status = 404, description = "No report has this link", body = Problem, content_type = "application/problem+json"),
        Unavailable,
    )
)]
#[get("/api/v1/follow/{token}")]
pub async fn follow_report(path: web::Path<String>, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let token = path.into_inner();
    let found = state
        .db
        .run(move |conn| -> Result<_, crate::storage::StorageError> {
            let Some(id) = crate::storage::followers::followed_report(conn, &token)? else {
                return Ok(None);
            };
            let report = crate::storage::reports::by_id(conn, id)?;
            let history = crate::storage::triage::history(conn, id)?;
            Ok(report.map(|r| (r, history)))
        })
        .await?;
    let (report, history) = found
        .ok_or_else(|| ApiError::NotFound("this follow link is unknown; check that it was copied whole".into()))?;
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
    let view = super::reports::view(&state, report, Audience::Public).await?;
    Ok(HttpResponse::Ok().json(FollowView { report: view, updates }))
}
