//! One-tap answers to a quick question from the link in an announcement email: a page
//! that asks to confirm (so link scanners in mail filters do not answer), and the answer.

use actix_web::{HttpResponse, get, post, web};

use crate::api::error::{ApiError, Problem};
use crate::api::pages::{confirm_page, page};
use crate::api::public::subscriptions::answers::record_answer;
use crate::api::responses::{TooManyRequests, Unavailable};
use crate::api::state::AppState;

/// The page behind a one-tap answer link: names the answer and has a button that records
/// it (a GET records nothing, so mail scanners that fetch links do not answer).
#[utoipa::path(
    tag = "announcements",
    params(("token" = String, Path, description = "The signed answer token from the email or push message")),
    responses(
        (status = 200, description = "A page with a button that records the answer", content_type = "text/html"),
        (status = 404, description = "Unknown or altered link", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/api/v1/answers/{token}")]
pub async fn answer_page(path: web::Path<String>, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let link = state
        .links
        .check_answer_token(&path.into_inner())
        .ok_or_else(|| ApiError::NotFound("this answer link is unknown or was altered".into()))?;
    let row = state.db.run(move |conn| crate::storage::announcements::get(conn, link.announcement_id)).await?;
    let row = row.ok_or_else(|| ApiError::NotFound("this announcement does not exist".into()))?;
    let option = row.options().get(link.option).cloned().unwrap_or_default();
    Ok(confirm_page(
        row.question.as_ref().map_or("Vraag / Question", |q| q.text.as_str()),
        &format!("Uw antwoord / Your answer: {option}"),
        "Antwoord versturen / Send answer",
    ))
}

/// Records the answer of a one-tap link (one per subscription; a later one replaces it
/// until the question closes).
#[utoipa::path(
    tag = "announcements",
    params(("token" = String, Path, description = "The signed answer token")),
    responses(
        (status = 200, description = "Recorded", content_type = "text/html"),
        (status = 404, description = "Unknown or altered link, or the subscription ended", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The question is closed", body = Problem, content_type = "application/problem+json"),
        Unavailable,
        TooManyRequests,
    )
)]
#[post("/api/v1/answers/{token}")]
pub async fn answer_by_link(path: web::Path<String>, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let link = state
        .links
        .check_answer_token(&path.into_inner())
        .ok_or_else(|| ApiError::NotFound("this answer link is unknown or was altered".into()))?;
    record_answer(&state, link.announcement_id, link.subscription_id, link.option).await?;
    Ok(page(
        actix_web::http::StatusCode::OK,
        "Bedankt / Thank you",
        "<p>Uw antwoord is ontvangen. / Your answer was recorded.</p>",
    ))
}
