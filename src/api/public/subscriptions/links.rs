//! The one-click links in subscription emails: confirming a subscription and
//! unsubscribing. A GET answers a page with a button and changes nothing (mail filters
//! fetch links to scan them); the button's POST does the change.

use actix_web::{HttpResponse, get, post, web};

use crate::api::error::{ApiError, Problem};
use crate::api::pages::{confirm_page, page};
use crate::api::responses::Unavailable;
use crate::api::state::AppState;

use super::{end, subscription_of};

/// The page behind the confirmation link: a button that confirms (a GET changes nothing).
#[utoipa::path(
    tag = "subscriptions",
    params(("token" = String, Path, description = "The token from the confirmation email")),
    responses((status = 200, description = "A page with a button that confirms", content_type = "text/html")),
)]
#[get("/api/v1/subscriptions/confirm/{token}")]
pub async fn confirm_subscription_page(_path: web::Path<String>) -> HttpResponse {
    confirm_page(
        "Aanmelding bevestigen / Confirm subscription",
        "Bevestig dat u buurtberichten wilt ontvangen. / Confirm that you want neighbourhood announcements.",
        "Bevestigen / Confirm",
    )
}

/// Confirms an email subscription (double opt-in): from now on it receives announcements.
#[utoipa::path(
    tag = "subscriptions",
    params(("token" = String, Path, description = "The token from the confirmation email")),
    responses(
        (status = 200, description = "Confirmed", content_type = "text/html"),
        (status = 404, description = "The link is unknown or already used", body = Problem, content_type = "application/problem+json"),
        Unavailable,
    )
)]
#[post("/api/v1/subscriptions/confirm/{token}")]
pub async fn confirm_subscription(
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let token = path.into_inner();
    let confirmed = state.db.run(move |conn| crate::storage::subscriptions::confirm(conn, &token)).await?;
    let id =
        confirmed.ok_or_else(|| ApiError::NotFound("this confirmation link is unknown or was already used".into()))?;
    tracing::info!(subscription_id = %id, "subscription confirmed");
    Ok(page(
        actix_web::http::StatusCode::OK,
        "Bevestigd / Confirmed",
        "<p>U ontvangt voortaan buurtberichten. / You will now receive neighbourhood announcements.</p>",
    ))
}

/// The page behind the unsubscribe link in emails: a button that unsubscribes.
#[utoipa::path(
    tag = "subscriptions",
    params(("token" = String, Path, description = "The management token")),
    responses((status = 200, description = "A page with a button that unsubscribes", content_type = "text/html")),
)]
#[get("/api/v1/subscriptions/unsubscribe/{token}")]
pub async fn unsubscribe_page(_path: web::Path<String>) -> HttpResponse {
    confirm_page(
        "Afmelden / Unsubscribe",
        "Wilt u geen buurtberichten meer ontvangen? / Stop neighbourhood announcements?",
        "Afmelden / Unsubscribe",
    )
}

/// One-click unsubscribe (RFC 8058): the target of `List-Unsubscribe`; mail clients POST
/// `List-Unsubscribe=One-Click`. Any body is accepted.
#[utoipa::path(
    tag = "subscriptions",
    params(("token" = String, Path, description = "The management token")),
    responses(
        (status = 200, description = "Unsubscribed (also when it had ended before)", content_type = "text/html"),
        (status = 404, description = "Unknown link", body = Problem, content_type = "application/problem+json"),
        Unavailable,
    )
)]
#[post("/api/v1/subscriptions/unsubscribe/{token}")]
pub async fn unsubscribe(path: web::Path<String>, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let id = subscription_of(&state, &path.into_inner())?;
    end(&state, id).await?;
    Ok(page(
        actix_web::http::StatusCode::OK,
        "Afgemeld / Unsubscribed",
        "<p>U ontvangt geen buurtberichten meer. / You will receive no more announcements.</p>",
    ))
}
