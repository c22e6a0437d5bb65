//! Admin API for the standard answers of the satisfaction survey: list, create, change,
//! deactivate. Each answer belongs to a side ("yes, solved" or "no") and may be marked
//! `reopens` (choosing it asks staff to reopen the report). Answers are never deleted, so
//! that recorded answers keep their text. Read from the database with every survey, so a
//! change reaches every process at once.

use actix_web::{HttpRequest, HttpResponse, delete, get, post, put, web};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::api::access::AdminAccess;
use crate::api::body::{parse, read_json};
use crate::api::error::{ApiError, Problem};
use crate::api::responses::{AdminErrors, JsonBodyErrors};
use crate::api::state::AppState;
use crate::domain::survey::{STANDARD_ANSWER_MAX, StandardAnswer};
use crate::domain::validation::{FieldErrors, bounded_text};

/// A standard answer as the admin API shows it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct StandardAnswerView {
    pub id: Uuid,
    /// The side: `true` for "yes, the problem is solved", `false` for "no".
    pub satisfied: bool,
    /// Dutch text.
    #[schema(example = "Er is niets gedaan")]
    pub text_nl: String,
    /// English text.
    #[schema(example = "Nothing was done")]
    pub text_en: String,
    /// Whether choosing it asks staff to reopen the report.
    pub reopens: bool,
    /// Order within its side.
    pub position: i32,
    /// Whether residents are offered it.
    pub active: bool,
}

impl From<StandardAnswer> for StandardAnswerView {
    fn from(a: StandardAnswer) -> Self {
        StandardAnswerView {
            id: a.id,
            satisfied: a.satisfied,
            text_nl: a.text_nl,
            text_en: a.text_en,
            reopens: a.reopens,
            position: a.position,
            active: a.active,
        }
    }
}

/// A standard answer to create or change.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StandardAnswerInput {
    /// The side: `true` ("yes, solved") or `false` ("no").
    pub satisfied: bool,
    /// Dutch text, 1-200 characters.
    pub text_nl: String,
    /// English text, 1-200 characters.
    pub text_en: String,
    /// Whether choosing it asks staff to reopen the report (default: `true` on the "no"
    /// side, `false` on the "yes" side).
    #[serde(default)]
    pub reopens: Option<bool>,
    /// Order within its side (default 0).
    #[serde(default)]
    pub position: i32,
    /// Whether residents are offered it (default true).
    #[serde(default = "yes")]
    pub active: bool,
}

fn yes() -> bool {
    true
}

impl StandardAnswerInput {
    fn validate(self, id: Uuid) -> Result<StandardAnswer, ApiError> {
        let mut errors = FieldErrors::default();
        let text_nl = errors.check("/text_nl", bounded_text(&self.text_nl, "the Dutch text", STANDARD_ANSWER_MAX));
        let text_en = errors.check("/text_en", bounded_text(&self.text_en, "the English text", STANDARD_ANSWER_MAX));
        errors
            .finish(|| {
                Some(StandardAnswer {
                    id,
                    satisfied: self.satisfied,
                    text_nl: text_nl?,
                    text_en: text_en?,
                    reopens: self.reopens.unwrap_or(!self.satisfied),
                    position: self.position,
                    active: self.active,
                })
            })
            .map_err(ApiError::Validation)
    }
}

fn missing(id: Uuid) -> ApiError {
    ApiError::NotFound(format!("there is no standard answer with id {id}"))
}

/// Lists every standard answer, active or not: the "yes" side first, each by position.
#[utoipa::path(
    tag = "admin",
    security(("bearer" = []), ("admin_token" = [])),
    responses((status = 200, description = "Every standard answer", body = Vec<StandardAnswerView>), AdminErrors)
)]
#[get("/api/v1/admin/survey-answers")]
pub async fn list_survey_answers(_admin: AdminAccess, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let answers = state.db.run(crate::storage::surveys::list_answers).await?;
    Ok(HttpResponse::Ok().json(answers.into_iter().map(StandardAnswerView::from).collect::<Vec<_>>()))
}

/// Creates a standard answer.
#[utoipa::path(
    tag = "admin",
    security(("bearer" = []), ("admin_token" = [])),
    request_body(content = StandardAnswerInput, content_type = "application/json"),
    responses(
        (status = 201, description = "Created", body = StandardAnswerView),
        (status = 422, description = "Invalid fields", body = Problem, content_type = "application/problem+json"),
        JsonBodyErrors,
        AdminErrors,
    )
)]
#[post("/api/v1/admin/survey-answers")]
pub async fn create_survey_answer(
    _admin: AdminAccess,
    request: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let body = read_json(&request, payload, state.max_body_bytes).await?;
    let answer = parse::<StandardAnswerInput>(body.value)?.validate(Uuid::now_v7())?;
    let saved = state.db.run(move |conn| crate::storage::surveys::save_answer(conn, &answer)).await?;
    Ok(HttpResponse::Created().json(StandardAnswerView::from(saved)))
}

/// Changes a standard answer (its side, texts, `reopens`, position or active flag).
#[utoipa::path(
    tag = "admin",
    security(("bearer" = []), ("admin_token" = [])),
    params(("id" = Uuid, Path, description = "Standard answer id")),
    request_body(content = StandardAnswerInput, content_type = "application/json"),
    responses(
        (status = 200, description = "Changed", body = StandardAnswerView),
        (status = 404, description = "No such standard answer", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields", body = Problem, content_type = "application/problem+json"),
        JsonBodyErrors,
        AdminErrors,
    )
)]
#[put("/api/v1/admin/survey-answers/{id}")]
pub async fn update_survey_answer(
    _admin: AdminAccess,
    path: web::Path<Uuid>,
    request: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    let body = read_json(&request, payload, state.max_body_bytes).await?;
    let answer = parse::<StandardAnswerInput>(body.value)?.validate(id)?;
    let saved = state
        .db
        .run(move |conn| -> Result<_, crate::storage::StorageError> {
            if crate::storage::surveys::get_answer(conn, id)?.is_none() {
                return Ok(None);
            }
            crate::storage::surveys::save_answer(conn, &answer).map(Some)
        })
        .await?
        .ok_or_else(|| missing(id))?;
    Ok(HttpResponse::Ok().json(StandardAnswerView::from(saved)))
}

/// Deactivates a standard answer: residents are no longer offered it; answers recorded
/// with it keep it.
#[utoipa::path(
    tag = "admin",
    security(("bearer" = []), ("admin_token" = [])),
    params(("id" = Uuid, Path, description = "Standard answer id")),
    responses(
        (status = 200, description = "Deactivated", body = StandardAnswerView),
        (status = 404, description = "No such standard answer", body = Problem, content_type = "application/problem+json"),
        AdminErrors,
    )
)]
#[delete("/api/v1/admin/survey-answers/{id}")]
pub async fn deactivate_survey_answer(
    _admin: AdminAccess,
    path: web::Path<Uuid>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    let saved = state
        .db
        .run(move |conn| -> Result<_, crate::storage::StorageError> {
            let Some(mut answer) = crate::storage::surveys::get_answer(conn, id)? else { return Ok(None) };
            answer.active = false;
            crate::storage::surveys::save_answer(conn, &answer).map(Some)
        })
        .await?
        .ok_or_else(|| missing(id))?;
    Ok(HttpResponse::Ok().json(StandardAnswerView::from(saved)))
}
