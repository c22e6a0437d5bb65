//! Moderating the public text of a report, as FixMyStreet's moderators can: hide the
//! description from the public, publish a rewritten text instead, or restore the
//! resident's own (masked as always). Open to whoever handles the report (admin,
//! coordinator, department staff of its department, the configured admin token); every
//! change is a `description_moderated` history entry with who, what and why. Staff keep
//! seeing the original description.

use actix_web::{HttpRequest, HttpResponse, post, web};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::api::access::ReportHandler;
use crate::api::body::{parse, read_json};
use crate::api::error::{ApiError, Problem};
use crate::api::responses::JsonBodyErrors;
use crate::api::state::AppState;
use crate::domain::privacy::moderation::{ModerationAction, ModerationKind, check_change, public_text};
use crate::domain::report::Report;

/// A moderator's decision about the public description.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ModerationRequest {
    /// `hide`, `rewrite` (with `text`) or `restore` (the resident's own text, masked).
    pub action: ModerationAction,
    /// For `rewrite`: what the public sees instead, 1 to 5000 characters (masked too).
    #[serde(default)]
    #[schema(example = "Een auto staat al weken op de stoep voor nummer 12.")]
    pub text: Option<String>,
    /// Why, for the history (at most 500 characters; never public).
    #[serde(default)]
    #[schema(example = "naam en telefoonnummer van een buurman")]
    pub reason: Option<String>,
}

/// The text of a report as the public sees it now.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct PublicTextView {
    /// The description the public sees (`null` when hidden, or withheld for the category).
    pub description: Option<String>,
    /// The address the public sees (masked like the description).
    pub address: Option<String>,
    /// Whether personal data was replaced by markers in description or address.
    pub text_masked: bool,
    /// `hidden`, `rewritten`, or `null` when the resident's text is shown.
    pub description_moderation: Option<ModerationKind>,
}

impl PublicTextView {
    /// What the public sees of `report`'s text (before the category's own withholding).
    pub fn of(report: &Report) -> Self {
        let shown = public_text(&report.description, report.address.as_deref(), report.moderation.as_ref());
        PublicTextView {
            description: shown.description,
            address: shown.address,
            text_masked: shown.masked,
            description_moderation: shown.moderation,
        }
    }
}

/// Hides, rewrites or restores the public description of a report. The resident's original
/// stays for staff; the public view says `description_moderation: hidden` or `rewritten`.
/// Recorded in the history as `description_moderated` with the actor, the new public text
/// and the reason.
#[utoipa::path(
    tag = "staff",
    security(("bearer" = []), ("admin_token" = [])),
    params(("id" = Uuid, Path, description = "Report id")),
    request_body(content = ModerationRequest, content_type = "application/json"),
    responses(
        (status = 200, description = "Moderated; the text as the public sees it now", body = PublicTextView),
        (status = 401, description = "No valid staff token or admin token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The role does not handle reports (analyst)", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such report in your departments", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Unknown action, a rewrite without text, a text with hide or restore, or a text or reason too long (listed in `errors`)", body = Problem, content_type = "application/problem+json"),
        JsonBodyErrors,
    )
)]
#[post("/api/v1/staff/reports/{id}/moderation")]
pub async fn moderate_report(
    handler: ReportHandler,
    path: web::Path<Uuid>,
    request: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    crate::api::staff::changes::ensure_handles(&state, &handler, id).await?;
    let body = read_json(&request, payload, state.max_body_bytes).await?;
    let input: ModerationRequest = parse(body.value)?;
    let change =
        check_change(input.action, input.text.as_deref(), input.reason.as_deref()).map_err(ApiError::Validation)?;
    let actor = handler.actor();
    let report = state
        .db
        .run(move |conn| crate::storage::moderation::moderate(conn, id, &actor, &change))
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("there is no report with id {id}")))?;
    tracing::info!(report_id = %id, action = ?input.action, "report description moderated");
    Ok(HttpResponse::Ok().json(PublicTextView::of(&report)))
}
