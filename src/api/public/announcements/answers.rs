//! One-tap answers to a quick question from the link in an announcement email: a page
//! that asks to confirm (so link scanners in mail filters do not answer), and the answer.
//! The pages are in the subscription's language (`?lang=` switches).

use actix_web::{HttpRequest, HttpResponse, get, post, web};

use crate::api::error::{ApiError, Problem};
use crate::api::pages::resident::links::{OneClick, ask, done, question_closed, used};
use crate::api::pages::resident::{Lang, lang_of, wants_html};
use crate::api::public::subscriptions::answers::record_answer;
use crate::api::responses::{TooManyRequests, Unavailable};
use crate::api::state::AppState;
use crate::domain::report::Language;

fn answer_path(token: &str) -> String {
    format!("/api/v1/answers/{token}")
}

/// The question and the option of an answer link, and the subscription's language.
async fn question_of(
    state: &AppState,
    announcement_id: uuid::Uuid,
    subscription_id: uuid::Uuid,
    option: usize,
) -> Result<Option<(String, String, Language, bool)>, ApiError> {
    let found = state
        .db
        .run(move |conn| -> Result<_, crate::storage::StorageError> {
            let Some(row) = crate::storage::announcements::get(conn, announcement_id)? else { return Ok(None) };
            let language = crate::storage::link_languages::of_subscription(conn, subscription_id)?;
            Ok(Some((row, language.unwrap_or_default())))
        })
        .await?;
    Ok(found.map(|(row, language)| {
        let question = row.question.as_ref().map(|q| q.text.clone()).unwrap_or_default();
        let open = row.question_open(chrono::Utc::now());
        (question, row.options().get(option).cloned().unwrap_or_default(), language, open)
    }))
}

/// The page behind a one-tap answer link: names the question and the answer and has a
/// button that records it (a GET records nothing, so mail scanners that fetch links do
/// not answer).
#[utoipa::path(
    tag = "announcements",
    params(
        ("token" = String, Path, description = "The signed answer token from the email or push message"),
        ("lang" = Option<String>, Query, description = "The page's language, `nl` or `en` (default: the subscription's)"),
    ),
    responses(
        (status = 200, description = "A page with a button that records the answer", content_type = "text/html"),
        (status = 404, description = "Unknown or altered link: a page for browsers, a problem otherwise", content(
            (Problem = "application/problem+json"),
            (String = "text/html"),
        )),
        (status = 410, description = "The question is closed (or its announcement withdrawn or past): a page for browsers, a problem otherwise", content(
            (Problem = "application/problem+json"),
            (String = "text/html"),
        )),
        Unavailable,
    )
)]
#[get("/api/v1/answers/{token}")]
pub async fn answer_page(
    request: HttpRequest,
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let token = path.into_inner();
    let found = match state.links.check_answer_token(&token) {
        Some(link) => question_of(&state, link.announcement_id, link.subscription_id, link.option).await?,
        None => None,
    };
    match found {
        Some((question, option, language, true)) => {
            ask(&request, &state, &answer_path(&token), lang_of(language), &OneClick::Answer { question, option })
        }
        Some((_, _, language, false)) if wants_html(&request) => {
            question_closed(&request, &state, &answer_path(&token), lang_of(language))
        }
        Some(_) => Err(closed()),
        None if wants_html(&request) => used(&request, &state, &answer_path(&token), Lang::Nl),
        None => Err(ApiError::NotFound("this answer link is unknown or was altered".into())),
    }
}

/// Records the answer of a one-tap link (one per subscription; a later one replaces it
/// until the question closes).
#[utoipa::path(
    tag = "announcements",
    params(
        ("token" = String, Path, description = "The signed answer token"),
        ("lang" = Option<String>, Query, description = "The answering page's language, `nl` or `en` (default: the subscription's)"),
    ),
    responses(
        (status = 200, description = "Recorded: a page says so", content_type = "text/html"),
        (status = 404, description = "Unknown or altered link, or the subscription ended: a page for browsers, a problem otherwise", content(
            (Problem = "application/problem+json"),
            (String = "text/html"),
        )),
        (status = 410, description = "The question is closed (or its announcement withdrawn or past): a page for browsers, a problem otherwise", content(
            (Problem = "application/problem+json"),
            (String = "text/html"),
        )),
        Unavailable,
        TooManyRequests,
    )
)]
#[post("/api/v1/answers/{token}")]
pub async fn answer_by_link(
    request: HttpRequest,
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let token = path.into_inner();
    let here = answer_path(&token);
    let html = wants_html(&request);
    let Some(link) = state.links.check_answer_token(&token) else {
        if html {
            return used(&request, &state, &here, Lang::Nl);
        }
        return Err(ApiError::NotFound("this answer link is unknown or was altered".into()));
    };
    let subscription = link.subscription_id;
    let language =
        state.db.run(move |conn| crate::storage::link_languages::of_subscription(conn, subscription)).await?;
    let own = lang_of(language.unwrap_or_default());
    match record_answer(&state, link.announcement_id, link.subscription_id, link.option).await {
        Ok(()) => {
            done(&request, &state, &here, own, &OneClick::Answer { question: String::new(), option: String::new() })
        }
        Err(ApiError::NotFound(_)) if html => used(&request, &state, &here, own),
        // A link that no longer works is gone (410), as the other one-click links say.
        Err(ApiError::Conflict(_)) if html => question_closed(&request, &state, &here, own),
        Err(ApiError::Conflict(_)) => Err(closed()),
        Err(error) => Err(error),
    }
}

/// The problem of an answer link whose question no longer takes answers.
fn closed() -> ApiError {
    ApiError::Gone("the question is closed; this link no longer takes answers".into())
}
