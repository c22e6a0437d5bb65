//! Anonymising a report's reporter at once on their request (AVG art. 17), made by staff
//! for a resident who asks by email, phone or at the desk (admins, or the admin token).
//! The same anonymisation as the retention job, with the actor and the reason in the
//! history and, for a staff account, an `anonymised_reporter` entry in the audit log.

use actix_web::{HttpRequest, HttpResponse, post, web};
use serde::Deserialize;
use uuid::Uuid;

use crate::api::access::AdminAccess;
use crate::api::body::{parse, read_json};
use crate::api::error::{ApiError, Problem};
use crate::api::public::erasure::ErasureView;
use crate::api::responses::{AdminErrors, JsonBodyErrors, Unavailable};
use crate::api::state::AppState;
use crate::domain::validation::FieldError;
use crate::storage::retention::{StaffRequest, anonymise_on_request};

/// The longest reason, in characters.
const MAX_REASON: usize = 500;

/// Why the reporter is anonymised now.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AnonymiseRequest {
    /// Why, for the history (1 to 500 characters; never public), e.g. how the resident asked.
    #[schema(example = "Verzoek van de melder per telefoon, 5 december")]
    pub reason: String,
}

/// The reason, trimmed, or the field error that says what is wrong with it.
fn checked_reason(reason: &str) -> Result<String, ApiError> {
    let reason = reason.trim();
    let problem = if reason.is_empty() {
        "'reason' must not be empty: say why the reporter is anonymised now"
    } else if reason.chars().count() > MAX_REASON {
        "'reason' is longer than 500 characters"
    } else {
        return Ok(reason.to_owned());
    };
    Err(ApiError::Validation(vec![FieldError { pointer: "/reason".into(), detail: problem.into() }]))
}

/// Anonymises a report's reporter at once: their contact, the follow links, the
/// supporters' addresses and the emails about the report (queued ones are cancelled). The
/// report stays; its history gets a `reporter_anonymised` entry with the actor and reason.
#[utoipa::path(
    tag = "admin",
    security(("bearer" = []), ("admin_token" = [])),
    params(("id" = Uuid, Path, description = "Report id")),
    request_body(content = AnonymiseRequest, content_type = "application/json"),
    responses(
        (status = 200, description = "Anonymised", body = ErasureView),
        (status = 404, description = "No such report", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The reason is missing, empty or too long (named in `errors`)", body = Problem, content_type = "application/problem+json"),
        JsonBodyErrors,
        Unavailable,
        AdminErrors,
    )
)]
#[post("/api/v1/admin/reports/{id}/anonymise")]
pub async fn anonymise_reporter(
    admin: AdminAccess,
    path: web::Path<Uuid>,
    request: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    let body = read_json(&request, payload, state.max_body_bytes).await?;
    let input: AnonymiseRequest = parse(body.value)?;
    let staff = StaffRequest {
        actor: admin.actor().to_owned(),
        account: admin.account(),
        reason: checked_reason(&input.reason)?,
    };
    let found = state.db.run(move |conn| anonymise_on_request(conn, id, &staff)).await?;
    if !found {
        return Err(ApiError::NotFound(format!("there is no report with id {id}")));
    }
    tracing::info!(report_id = %id, actor = admin.actor(), "reporter anonymised on request");
    Ok(HttpResponse::Ok().json(ErasureView::new(
        "The reporter's contact details were erased; the report's history records who did it and why.",
    )))
}
