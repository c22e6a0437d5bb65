//! Cross-site request forgery: every POST of the console must carry the form token of the
//! session it is sent with and come from this site.
//!
//! - The form token is `<issued>.<HMAC>` over the session's token id and the time, with
//!   the server's signing key (the key of the subscription links, kept in the database for
//!   every process), like the resident pages' `FormToken`. Another site cannot read it
//!   from our pages (no CORS, `frame-ancestors 'none'`), and a token of one session is
//!   worthless in another. It is valid as long as a session can be (`session_hours`).
//! - A browser's `Sec-Fetch-Site` must be `same-origin`, and an `Origin` header must name
//!   this site; requests without either header (older browsers, scripts) rely on the token.
//! - The session cookie is `SameSite=Lax`, so other sites' POSTs carry no session at all
//!   in current browsers.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};

use super::session::ConsoleUser;
use super::{ConsoleError, console_lang, message as page_message};
use crate::api::pages::resident::{field, form_fields};
use crate::api::state::AppState;
use crate::domain::auth::StaffIdentity;

/// The form token of `identity`'s session, issued now.
pub fn issue(state: &AppState, identity: &StaffIdentity) -> String {
    let at = chrono::Utc::now().timestamp();
    format!("{at}.{}", state.links.sign(&message(identity, at)))
}

fn message(identity: &StaffIdentity, at: i64) -> String {
    format!("console-form:{}:{at}", identity.token_id)
}

/// Whether `given` is a form token of `identity`'s session, issued within a session's life.
pub fn holds(state: &AppState, identity: &StaffIdentity, given: Option<&str>) -> bool {
    let Some((at, mac)) = given.and_then(|g| g.split_once('.')) else { return false };
    let Ok(issued) = at.parse::<i64>() else { return false };
    let age = chrono::Utc::now().timestamp() - issued;
    let life = i64::try_from(state.session_hours.saturating_mul(3600)).unwrap_or(i64::MAX);
    (-60..life).contains(&age) && state.links.verify_signature(&message(identity, issued), mac)
}

/// Whether the request comes from this site, by the headers browsers send: a
/// `Sec-Fetch-Site` other than `same-origin`, or an `Origin` of another host, is refused.
pub fn same_origin(request: &HttpRequest, state: &AppState) -> bool {
    let header = |name: &str| request.headers().get(name).and_then(|v| v.to_str().ok()).map(str::to_owned);
    if let Some(site) = header("sec-fetch-site")
        && site != "same-origin"
    {
        return false;
    }
    let Some(origin) = header("origin") else { return true };
    let host = request.connection_info().host().to_owned();
    let authority = origin.split_once("://").map(|(_, rest)| rest.trim_end_matches('/')).unwrap_or("");
    let public = state.public_url.trim_end_matches('/');
    origin != "null" && (authority.eq_ignore_ascii_case(&host) || origin.eq_ignore_ascii_case(public))
}

/// Reads a POSTed console form of at most `max_bytes` and checks its token and origin: the
/// fields, or the 403 page that says the form was refused and nothing changed.
pub async fn checked_form(
    request: &HttpRequest,
    state: &AppState,
    user: &ConsoleUser,
    payload: web::Payload,
    max_bytes: usize,
) -> Result<Result<Vec<(String, String)>, HttpResponse>, ConsoleError> {
    let body = crate::api::body::read_limited(request, payload, max_bytes).await?;
    let fields = form_fields(&body);
    if !same_origin(request, state) || !holds(state, &user.identity, field(&fields, "csrf")) {
        return Ok(Err(refused(request, user)?));
    }
    Ok(Ok(fields))
}

/// The 403 page of a form without the session's token or from another site (for forms that
/// check their token themselves, such as a multipart upload).
pub fn refused(request: &HttpRequest, user: &ConsoleUser) -> Result<HttpResponse, ConsoleError> {
    tracing::info!(account_id = %user.identity.account_id, "console form refused: no valid form token or another site");
    let w = super::words::of(console_lang(request).0);
    Ok(page_message(request, StatusCode::FORBIDDEN, w.form_refused_title, w.form_refused_text, user.frame_user())?)
}
