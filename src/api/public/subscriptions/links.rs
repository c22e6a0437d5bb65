//! The one-click links in subscription emails: confirming a subscription and
//! unsubscribing. A GET answers a page with a button and changes nothing (mail filters
//! fetch links to scan them); the button's POST does the change. The pages are in the
//! subscription's language (`?lang=` switches); see `crate::api::pages::resident::links`.

use actix_web::{HttpRequest, HttpResponse, get, post, web};

use crate::api::error::{ApiError, Problem};
use crate::api::pages::resident::links::{OneClick, ask, done, used};
use crate::api::pages::resident::{Lang, lang_of, wants_html};
use crate::api::responses::Unavailable;
use crate::api::state::AppState;
use crate::storage::link_languages;

use super::{end, subscription_of};

fn confirm_path(token: &str) -> String {
    format!("/api/v1/subscriptions/confirm/{token}")
}

fn unsubscribe_path(token: &str) -> String {
    format!("/api/v1/subscriptions/unsubscribe/{token}")
}

/// The page behind the confirmation link: a button that confirms (a GET changes nothing).
#[utoipa::path(
    tag = "subscriptions",
    params(
        ("token" = String, Path, description = "The token from the confirmation email"),
        ("lang" = Option<String>, Query, description = "The page's language, `nl` or `en` (default: the subscription's)"),
    ),
    responses(
        (status = 200, description = "A page with a button that confirms", content_type = "text/html"),
        (status = 404, description = "The link is unknown or already used: a page for browsers, a problem otherwise", content(
            (Problem = "application/problem+json"),
            (String = "text/html"),
        )),
        Unavailable,
    ),
)]
#[get("/api/v1/subscriptions/confirm/{token}")]
pub async fn confirm_subscription_page(
    request: HttpRequest,
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let token = path.into_inner();
    let looked_up = token.clone();
    let language = state.db.run(move |conn| link_languages::of_subscription_confirmation(conn, &looked_up)).await?;
    match language {
        Some(language) => {
            ask(&request, &state, &confirm_path(&token), lang_of(language), &OneClick::ConfirmSubscription)
        }
        None if wants_html(&request) => used(&request, &state, &confirm_path(&token), Lang::Nl),
        None => Err(ApiError::NotFound("this confirmation link is unknown or was already used".into())),
    }
}

/// Confirms an email subscription (double opt-in): from now on it receives announcements.
#[utoipa::path(
    tag = "subscriptions",
    params(
        ("token" = String, Path, description = "The token from the confirmation email"),
        ("lang" = Option<String>, Query, description = "The answering page's language, `nl` or `en` (default: the subscription's)"),
    ),
    responses(
        (status = 200, description = "Confirmed: a page says so", content_type = "text/html"),
        (status = 404, description = "The link is unknown or already used: a page for browsers, a problem otherwise", content(
            (Problem = "application/problem+json"),
            (String = "text/html"),
        )),
        Unavailable,
    )
)]
#[post("/api/v1/subscriptions/confirm/{token}")]
pub async fn confirm_subscription(
    request: HttpRequest,
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let token = path.into_inner();
    let confirming = token.clone();
    let confirmed = state
        .db
        .run(move |conn| -> Result<_, crate::storage::StorageError> {
            let Some(id) = crate::storage::subscriptions::confirm(conn, &confirming)? else { return Ok(None) };
            Ok(Some((id, link_languages::of_subscription(conn, id)?.unwrap_or_default())))
        })
        .await?;
    let Some((id, language)) = confirmed else {
        if wants_html(&request) {
            return used(&request, &state, &confirm_path(&token), Lang::Nl);
        }
        return Err(ApiError::NotFound("this confirmation link is unknown or was already used".into()));
    };
    tracing::info!(subscription_id = %id, "subscription confirmed");
    done(&request, &state, &confirm_path(&token), lang_of(language), &OneClick::ConfirmSubscription)
}

/// The page behind the unsubscribe link in emails: a button that unsubscribes.
#[utoipa::path(
    tag = "subscriptions",
    params(
        ("token" = String, Path, description = "The management token"),
        ("lang" = Option<String>, Query, description = "The page's language, `nl` or `en` (default: the subscription's)"),
    ),
    responses(
        (status = 200, description = "A page with a button that unsubscribes", content_type = "text/html"),
        (status = 404, description = "The link is unknown: a page for browsers, a problem otherwise", content(
            (Problem = "application/problem+json"),
            (String = "text/html"),
        )),
        Unavailable,
    ),
)]
#[get("/api/v1/subscriptions/unsubscribe/{token}")]
pub async fn unsubscribe_page(
    request: HttpRequest,
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let token = path.into_inner();
    let id = match subscription_of(&state, &token) {
        Ok(id) => id,
        Err(_) if wants_html(&request) => return used(&request, &state, &unsubscribe_path(&token), Lang::Nl),
        Err(error) => return Err(error),
    };
    let language = state.db.run(move |conn| link_languages::of_subscription(conn, id)).await?;
    ask(&request, &state, &unsubscribe_path(&token), lang_of(language.unwrap_or_default()), &OneClick::Unsubscribe)
}

/// One-click unsubscribe (RFC 8058): the target of `List-Unsubscribe`; mail clients POST
/// `List-Unsubscribe=One-Click`. Any body is accepted.
#[utoipa::path(
    tag = "subscriptions",
    params(
        ("token" = String, Path, description = "The management token"),
        ("lang" = Option<String>, Query, description = "The answering page's language, `nl` or `en` (default: the subscription's)"),
    ),
    responses(
        (status = 200, description = "Unsubscribed (also when it had ended before): a page says so", content_type = "text/html"),
        (status = 404, description = "Unknown link: a page for browsers, a problem otherwise", content(
            (Problem = "application/problem+json"),
            (String = "text/html"),
        )),
        Unavailable,
    )
)]
#[post("/api/v1/subscriptions/unsubscribe/{token}")]
pub async fn unsubscribe(
    request: HttpRequest,
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let token = path.into_inner();
    let id = match subscription_of(&state, &token) {
        Ok(id) => id,
        Err(_) if wants_html(&request) => return used(&request, &state, &unsubscribe_path(&token), Lang::Nl),
        Err(error) => return Err(error),
    };
    let language = state.db.run(move |conn| link_languages::of_subscription(conn, id)).await?;
    end(&state, id).await?;
    done(&request, &state, &unsubscribe_path(&token), lang_of(language.unwrap_or_default()), &OneClick::Unsubscribe)
}
