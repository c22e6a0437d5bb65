//! Answering an announcement's quick question through the API, with the subscription's
//! management token; [`record_answer`] is shared with the one-tap answer links.

use actix_web::{HttpRequest, HttpResponse, post, web};
use chrono::Utc;
use serde::Deserialize;
use uuid::Uuid;

use super::subscription_of;
use crate::api::body::{parse, read_json};
use crate::api::error::{ApiError, Problem};
use crate::api::responses::{TooManyRequests, Unavailable};
use crate::api::state::AppState;

/// An answer to a quick question.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AnswerRequest {
    /// The announcement.
    pub announcement_id: Uuid,
    /// The option, 0-based.
    pub option: usize,
}

/// Answers (or changes the answer to) an announcement's quick question, with the management
/// token. One answer per subscription; changeable until the question closes.
#[utoipa::path(
    tag = "subscriptions",
    params(("token" = String, Path, description = "The management token")),
    request_body(content = AnswerRequest, content_type = "application/json"),
    responses(
        crate::api::responses::JsonBodyErrors,
        (status = 204, description = "Recorded"),
        (status = 404, description = "Unknown link, announcement or question, or not sent to this subscription", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The question is closed", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "No such option", body = Problem, content_type = "application/problem+json"),
        Unavailable,
        TooManyRequests,
    )
)]
#[post("/api/v1/subscriptions/manage/{token}/answers")]
pub async fn answer_question(
    request: HttpRequest,
    payload: web::Payload,
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let id = subscription_of(&state, &path.into_inner())?;
    let body = read_json(&request, payload, state.max_body_bytes).await?;
    let input: AnswerRequest = parse(body.value)?;
    record_answer(&state, input.announcement_id, id, input.option).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Records an answer, mapping refusals to API errors.
pub async fn record_answer(
    state: &AppState,
    announcement: Uuid,
    subscription: Uuid,
    option: usize,
) -> Result<(), ApiError> {
    use crate::storage::announcements::AnswerError;
    let result = state
        .db
        .run(move |conn| crate::storage::announcements::answer(conn, announcement, subscription, option, Utc::now()))
        .await;
    match result {
        Ok(()) => Ok(()),
        Err(AnswerError::NotFound(detail)) => Err(ApiError::NotFound(detail)),
        Err(AnswerError::Closed) => {
            Err(ApiError::Conflict("the question is closed; answers can no longer be given or changed".into()))
        }
        Err(AnswerError::NoSuchOption(option)) => {
            Err(ApiError::Validation(vec![crate::domain::validation::FieldError {
                pointer: "/option".into(),
                detail: format!("option {option} does not exist; options are numbered from 0"),
            }]))
        }
        Err(AnswerError::Storage(error)) => Err(error.into()),
    }
}
