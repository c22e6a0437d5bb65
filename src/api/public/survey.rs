//! The satisfaction survey after resolution: the one-tap links in the resolution email
//! (`/api/v1/survey/{token}?satisfied=yes|no`). A GET answers a page with the question,
//! the standard answers and a button (mail scanners fetch links, so a GET records
//! nothing); the POST records the answer, once, within `survey_days`. JSON with
//! `Accept: application/json`, a small HTML page otherwise; errors likewise
//! (`application/problem+json` or a page), with the same words whether or not a report
//! exists behind the link.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, ResponseError, get, post, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::api::body::{parse, read_json, read_limited};
use crate::api::error::{ApiError, Problem};
use crate::api::pages::resident::lang_of;
use crate::api::pages::resident::survey::{self as survey_page, Refusal, SurveyForm};
use crate::api::responses::{TooManyRequests, Unavailable};
use crate::api::state::AppState;
use crate::domain::report::Language;
use crate::domain::survey::{AnswerInput, SURVEY_TEXT_MAX, StandardAnswer, SurveyState, check_answer, question};
use crate::domain::validation::FieldError;
use crate::storage::surveys::{Answered, Survey};

/// What the one-tap link chose.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Side {
    /// The problem is solved.
    Yes,
    /// It is not.
    No,
}

/// The survey link's query.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SurveyQuery {
    /// The answer the tapped link chose (`yes` or `no`); the page preselects it.
    pub satisfied: Option<Side>,
}

/// A standard answer residents may choose.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct OfferedAnswer {
    pub id: Uuid,
    /// The side it belongs to (`true`: solved).
    pub satisfied: bool,
    pub text_nl: String,
    pub text_en: String,
}

/// A survey waiting for its answer.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SurveyView {
    /// The report's public reference.
    pub reference: String,
    /// "Is het probleem opgelost?"
    pub question_nl: String,
    /// "Has the problem been solved?"
    pub question_en: String,
    /// Answers are accepted until then.
    pub expires_at: DateTime<Utc>,
    /// The side the tapped link chose, if any.
    pub satisfied: Option<bool>,
    /// The standard answers to choose from (of the chosen side, else of both).
    pub answers: Vec<OfferedAnswer>,
    /// Longest free text, in characters.
    pub text_max: usize,
}

/// An answer (JSON). A form post (`application/x-www-form-urlencoded`) has the same fields,
/// with `satisfied` as `yes` or `no`.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SurveyAnswerRequest {
    /// Whether the problem was solved; may be left out when `answer_id` is given (its side
    /// counts), or when the link's `?satisfied=` says it.
    #[serde(default)]
    pub satisfied: Option<bool>,
    /// One of the standard answers of that side (optional).
    #[serde(default)]
    pub answer_id: Option<Uuid>,
    /// Free text, at most 1,000 characters (optional); staff read it as an internal note.
    #[serde(default)]
    pub text: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
struct FormAnswer {
    #[serde(default)]
    satisfied: Option<String>,
    #[serde(default)]
    answer_id: Option<String>,
    #[serde(default)]
    text: Option<String>,
}

/// What an answer did.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SurveyAnswered {
    /// The side recorded.
    pub satisfied: bool,
    /// Whether the report now waits for staff to decide on reopening it.
    pub reopen_requested: bool,
}

/// Whether the client asked for JSON by its `Accept` header.
pub fn wants_json(request: &HttpRequest) -> bool {
    request.headers().get(header::ACCEPT).and_then(|v| v.to_str().ok()).is_some_and(|accept| {
        accept.split(',').any(|part| {
            let essence = part.split(';').next().unwrap_or_default().trim();
            essence == "application/json" || (essence.starts_with("application/") && essence.ends_with("+json"))
        })
    })
}

/// Why a survey link takes no answer.
#[derive(Debug, Clone, Copy)]
enum Closed {
    Unknown,
    State(SurveyState),
}

impl Closed {
    /// The problem for apps.
    fn error(self, days: i64) -> ApiError {
        match self {
            Closed::Unknown => unknown(),
            Closed::State(SurveyState::Answered) => ApiError::Gone(
                "this survey has been answered already: each survey takes one answer. To ask again for the report to be \
                 reopened, use the follow link in the email"
                    .into(),
            ),
            Closed::State(_) => ApiError::Gone(format!(
                "this survey link has expired: answers are accepted for {days} days after the report was resolved"
            )),
        }
    }

    /// The page's reason for residents.
    fn refusal(self) -> Refusal {
        match self {
            Closed::Unknown => Refusal::Unknown,
            Closed::State(SurveyState::Answered) => Refusal::Answered,
            Closed::State(_) => Refusal::Expired,
        }
    }
}

fn unknown() -> ApiError {
    ApiError::NotFound(
        "this survey link is unknown or was altered; check that it was copied whole from the email".into(),
    )
}

/// The open survey a token stands for with its report's language, or why there is none
/// (with the language when the survey is known).
async fn open_survey(
    state: &AppState,
    token: &str,
) -> Result<Result<(Survey, Language), (Closed, Language)>, ApiError> {
    let Some(id) = state.links.check_survey_token(token) else { return Ok(Err((Closed::Unknown, Language::Nl))) };
    let found = state
        .db
        .run(move |conn| -> Result<_, crate::storage::StorageError> {
            let Some(survey) = crate::storage::surveys::get(conn, id)? else { return Ok(None) };
            let language = crate::storage::followers::language_of(conn, survey.report_id)?;
            Ok(Some((survey, language)))
        })
        .await?;
    let Some((survey, language)) = found else { return Ok(Err((Closed::Unknown, Language::Nl))) };
    Ok(match survey.state(Utc::now()) {
        SurveyState::Open => Ok((survey, language)),
        other => Err((Closed::State(other), language)),
    })
}

/// A refusal as the client wants it: problem+json, or a page that says it in words.
fn refuse(
    request: &HttpRequest,
    state: &AppState,
    token: &str,
    json: bool,
    language: Language,
    error: ApiError,
    why: Refusal,
) -> Result<HttpResponse, ApiError> {
    if json || !matches!(error.status_code().as_u16(), 404 | 410 | 422) {
        return Err(error);
    }
    survey_page::refused(request, state, token, lang_of(language), why)
}

fn offered(answers: &[StandardAnswer], side: Option<bool>) -> Vec<OfferedAnswer> {
    answers
        .iter()
        .filter(|a| a.active && side.is_none_or(|s| s == a.satisfied))
        .map(|a| OfferedAnswer {
            id: a.id,
            satisfied: a.satisfied,
            text_nl: a.text_nl.clone(),
            text_en: a.text_en.clone(),
        })
        .collect()
}

/// The page behind a survey link: the question with the tapped answer preselected, the
/// standard answers and a free-text field, and a button that records the answer. A GET
/// records nothing (mail scanners fetch links).
#[utoipa::path(
    tag = "reports",
    params(("token" = String, Path, description = "The signed survey token from the resolution email"), SurveyQuery),
    responses(
        (status = 200, description = "The survey: a page with a form (HTML), or its data with `Accept: application/json`", content(
            (SurveyView = "application/json"),
            (String = "text/html"),
        )),
        (status = 400, description = "`satisfied` is neither `yes` nor `no`", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "Unknown or altered link (the same whether or not a report exists)", content(
            (Problem = "application/problem+json"),
            (String = "text/html"),
        )),
        (status = 410, description = "The survey was answered already, or its period is over", content(
            (Problem = "application/problem+json"),
            (String = "text/html"),
        )),
        Unavailable,
    )
)]
#[get("/api/v1/survey/{token}")]
pub async fn survey_page_or_view(
    request: HttpRequest,
    path: web::Path<String>,
    query: web::Query<SurveyQuery>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let json = wants_json(&request);
    let token = path.into_inner();
    let days = state.survey_days;
    let (survey, language) = match open_survey(&state, &token).await? {
        Ok(found) => found,
        Err((closed, language)) => {
            return refuse(&request, &state, &token, json, language, closed.error(days), closed.refusal());
        }
    };
    let side = query.satisfied.map(|s| s == Side::Yes);
    let answers = state.db.run(crate::storage::surveys::list_answers).await?;
    let view = SurveyView {
        reference: survey.reference,
        question_nl: question(Language::Nl).into(),
        question_en: question(Language::En).into(),
        expires_at: survey.expires_at,
        satisfied: side,
        answers: offered(&answers, side),
        text_max: SURVEY_TEXT_MAX,
    };
    if json {
        return Ok(HttpResponse::Ok().insert_header(("Cache-Control", "no-store")).json(view));
    }
    let answers = view.answers.into_iter().map(|a| (a.id.to_string(), a.text_nl, a.text_en, a.satisfied)).collect();
    let form = SurveyForm { reference: view.reference, satisfied: view.satisfied, answers, text_max: view.text_max };
    survey_page::page(&request, &state, &token, lang_of(language), form)
}

/// The answer in the body: a form or JSON; an empty body takes the link's `?satisfied=`.
async fn read_answer(
    request: &HttpRequest,
    payload: web::Payload,
    limit: usize,
    link: Option<Side>,
) -> Result<(Option<bool>, Option<Uuid>, Option<String>), ApiError> {
    let media = request.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or_default();
    let from_link = link.map(|s| s == Side::Yes);
    if media.to_ascii_lowercase().starts_with("application/x-www-form-urlencoded") {
        let bytes = read_limited(request, payload, limit).await?;
        let form: FormAnswer = serde_urlencoded::from_bytes(&bytes)
            .map_err(|e| ApiError::MalformedBody(format!("the form cannot be read: {e}")))?;
        let mut errors = Vec::new();
        let satisfied = match form.satisfied.as_deref().map(str::trim) {
            None | Some("") => from_link,
            Some("yes" | "true" | "ja") => Some(true),
            Some("no" | "false" | "nee") => Some(false),
            Some(other) => {
                errors.push(FieldError {
                    pointer: "/satisfied".into(),
                    detail: format!("'{other}' is neither yes nor no"),
                });
                None
            }
        };
        let answer_id = match form.answer_id.as_deref().map(str::trim).filter(|a| !a.is_empty()) {
            None => None,
            Some(text) => match Uuid::try_parse(text) {
                Ok(id) => Some(id),
                Err(_) => {
                    errors.push(FieldError {
                        pointer: "/answer_id".into(),
                        detail: format!("'{text}' is not the id of a standard answer"),
                    });
                    None
                }
            },
        };
        if !errors.is_empty() {
            return Err(ApiError::Validation(errors));
        }
        return Ok((satisfied, answer_id, form.text));
    }
    if media.is_empty() && request.headers().get(header::CONTENT_LENGTH).is_none_or(|v| v == "0") {
        return Ok((from_link, None, None));
    }
    let input: SurveyAnswerRequest = parse(read_json(request, payload, limit).await?.value)?;
    Ok((input.satisfied.or(from_link), input.answer_id, input.text))
}

/// Records the answer to a survey: once per survey, within `survey_days` of the
/// resolution. An answer that reopens (a "no" without a standard answer, or a standard
/// answer marked `reopens`) moves a still resolved report to `reopen_requested`; the
/// resident's text is kept as an internal note for staff. Form posts (the page's button)
/// and JSON are accepted; a body-less POST records the link's `?satisfied=`.
#[utoipa::path(
    tag = "reports",
    params(("token" = String, Path, description = "The signed survey token"), SurveyQuery),
    request_body(content = SurveyAnswerRequest, description = "JSON, or the same fields as a form (`satisfied=yes|no`)", content_type = "application/json"),
    responses(
        (status = 200, description = "Recorded: a thank-you page, or with `Accept: application/json` what it did", content(
            (SurveyAnswered = "application/json"),
            (String = "text/html"),
        )),
        (status = 400, description = "The body cannot be read", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "Unknown or altered link (the same whether or not a report exists)", content(
            (Problem = "application/problem+json"),
            (String = "text/html"),
        )),
        (status = 410, description = "The survey was answered already (one answer per survey), or its period is over", content(
            (Problem = "application/problem+json"),
            (String = "text/html"),
        )),
        (status = 413, description = "The body is too large", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "Neither JSON nor a form", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "No side, a standard answer that is unknown or of the other side, or a text over 1,000 characters", content(
            (Problem = "application/problem+json"),
            (String = "text/html"),
        )),
        Unavailable,
        TooManyRequests,
    )
)]
#[post("/api/v1/survey/{token}")]
pub async fn answer_survey(
    request: HttpRequest,
    payload: web::Payload,
    path: web::Path<String>,
    query: web::Query<SurveyQuery>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let sent_json = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.to_ascii_lowercase().contains("json"));
    let json = wants_json(&request) || sent_json;
    let token = path.into_inner();
    let days = state.survey_days;
    let (survey, language) = match open_survey(&state, &token).await? {
        Ok(found) => found,
        Err((closed, language)) => {
            return refuse(&request, &state, &token, json, language, closed.error(days), closed.refusal());
        }
    };
    let (satisfied, answer_id, text) = match read_answer(&request, payload, state.max_body_bytes, query.satisfied).await
    {
        Ok(input) => input,
        Err(error) => return refuse(&request, &state, &token, json, language, error, Refusal::Invalid),
    };
    let answers = state.db.run(crate::storage::surveys::list_answers).await?;
    let input = AnswerInput { satisfied, answer_id, text: text.as_deref() };
    let checked = match check_answer(&input, &answers) {
        Ok(checked) => checked,
        Err(errors) => {
            return refuse(&request, &state, &token, json, language, ApiError::Validation(errors), Refusal::Invalid);
        }
    };
    let id = survey.id;
    let recorded = checked.clone();
    let outcome = state.db.run(move |conn| crate::storage::surveys::answer(conn, id, &recorded)).await?;
    let reopen_requested = match outcome {
        Answered::Recorded { reopen_requested } => reopen_requested,
        Answered::Unknown => {
            return refuse(&request, &state, &token, json, language, unknown(), Refusal::Unknown);
        }
        Answered::Closed(closed_state) => {
            let closed = Closed::State(closed_state);
            return refuse(&request, &state, &token, json, language, closed.error(days), closed.refusal());
        }
    };
    tracing::info!(survey_id = %id, satisfied = checked.satisfied, reopen_requested, "survey answered");
    if json {
        return Ok(HttpResponse::Ok().json(SurveyAnswered { satisfied: checked.satisfied, reopen_requested }));
    }
    survey_page::thanks(&request, &state, &token, lang_of(language), reopen_requested)
}
