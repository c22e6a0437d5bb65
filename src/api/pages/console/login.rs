//! Logging in to the console with a password (the same login as `POST /api/v1/auth/login`,
//! through `crate::api::staff::auth::password_login`) and logging out (revoking the
//! session's token, as `POST /api/v1/auth/logout` does; a session started with single
//! sign-on is then ended at the provider too, where it offers that).

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use askama::Template;

use super::session::{ConsoleUser, SESSION_COOKIE, cleared_session_cookie, cookie, safe_next, session_cookie};
use super::{ConsoleError, Frame, csrf, message, query_value, render, see_other};
use crate::api::error::ApiError;
use crate::api::limits::ClientAddress;
use crate::api::pages::resident::{field, form_fields};
use crate::api::responses::Unavailable;
use crate::api::sso;
use crate::api::staff::auth::{identity_of_token, password_login, revoke_session};
use crate::api::state::AppState;

/// Largest login or logout form, in bytes.
const FORM_MAX_BYTES: usize = 8 * 1024;

/// The login page.
#[derive(Template)]
#[template(path = "console/login.html")]
pub struct LoginPage<'a> {
    pub frame: &'a Frame,
    /// Where to go after logging in (a console path).
    pub next: String,
    /// The email typed before.
    pub email: String,
    /// Why the last attempt failed.
    pub error: Option<&'static str>,
    /// Shown after logging out.
    pub notice: Option<&'static str>,
    /// Single sign-on: the address and the provider's name for a "Log in with …" button
    /// (`None`: not configured). Filled in by the OIDC login.
    pub sso: Option<(String, String)>,
    /// Whether no active admin exists yet: the page links to the first-run setup.
    pub setup: bool,
}

fn login_form(
    request: &HttpRequest,
    status: StatusCode,
    next: &str,
    email: &str,
    error: Option<&'static str>,
    notice: Option<&'static str>,
    setup: bool,
) -> Result<HttpResponse, ApiError> {
    let here = match next {
        "" | "/console" => "/console/login".to_owned(),
        next => {
            format!("/console/login?next={}", url::form_urlencoded::byte_serialize(next.as_bytes()).collect::<String>())
        }
    };
    let frame = Frame::new(request, &here, "", None);
    let frame = Frame { title: frame.words.login_title.to_owned(), ..frame };
    let sso = request
        .app_data::<actix_web::web::Data<crate::api::state::AppState>>()
        .filter(|state| state.sso.provider.is_some())
        .map(|_| ("/console/login/oidc".to_owned(), frame.words.sso_login.to_owned()));
    let page = LoginPage { frame: &frame, next: next.to_owned(), email: email.to_owned(), error, notice, sso, setup };
    render(status, &frame, &page)
}

/// The login page: email and password (and single sign-on when configured). A member who
/// is signed in already goes on to `next` (or the queue).
#[utoipa::path(
    operation_id = "console_login_page",
    tag = "console",
    params(
        ("next" = Option<String>, Query, description = "The console page to go to after logging in"),
        ("lang" = Option<String>, Query, description = "`nl` (default) or `en`; remembered in a cookie"),
    ),
    responses(
        (status = 200, description = "The login page", content_type = "text/html"),
        (status = 303, description = "Signed in already: on to `next` or the queue"),
        Unavailable,
    )
)]
#[get("/console/login")]
pub async fn login_page(request: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let next = query_value(&request, "next").and_then(|n| safe_next(&n).map(str::to_owned)).unwrap_or_default();
    if let Some(token) = cookie(&request, SESSION_COOKIE)
        && identity_of_token(&state, &token).await?.is_some()
    {
        return Ok(see_other(if next.is_empty() { "/console" } else { &next }));
    }
    let notice = query_value(&request, "bye").map(|_| super::words::of(super::console_lang(&request).0).logged_out);
    let setup = state.db.run(crate::storage::accounts::without_admin).await?.is_some();
    login_form(&request, StatusCode::OK, &next, "", None, notice, setup)
}

/// Logs in with email and password: the same rate limit, argon2 check and session token as
/// `POST /api/v1/auth/login`; the token goes into the `meldpunt_session` cookie.
#[utoipa::path(
    operation_id = "console_login",
    tag = "console",
    request_body(content = String, content_type = "application/x-www-form-urlencoded", description = "`email`, `password`, and optionally `next` (a console path)"),
    responses(
        (status = 303, description = "Logged in: the session cookie is set; on to `next` or the queue"),
        (status = 401, description = "Wrong email or password, or a deactivated account: the form again with the reason", content_type = "text/html"),
        (status = 403, description = "The form was sent from another site: a page says so", content_type = "text/html"),
        (status = 413, description = "The form is too large", body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Email or password missing: the form again with the reason", content_type = "text/html"),
        (status = 429, description = "Too many failed logins: the form again, asking to wait", content_type = "text/html"),
        Unavailable,
    )
)]
#[post("/console/login")]
pub async fn login_submit(
    request: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
    client: ClientAddress,
) -> Result<HttpResponse, ApiError> {
    let words = super::words::of(super::console_lang(&request).0);
    if !csrf::same_origin(&request, &state) {
        return message(&request, StatusCode::FORBIDDEN, words.form_refused_title, words.form_refused_text, None);
    }
    let body = crate::api::body::read_limited(&request, payload, FORM_MAX_BYTES).await?;
    let fields = form_fields(&body);
    let next = field(&fields, "next").and_then(safe_next).unwrap_or("/console").to_owned();
    let email = field(&fields, "email").unwrap_or_default().trim().to_owned();
    let password = field(&fields, "password").unwrap_or_default();
    if email.is_empty() || password.is_empty() {
        return login_form(
            &request,
            StatusCode::UNPROCESSABLE_ENTITY,
            &next,
            &email,
            Some(words.login_missing),
            None,
            false,
        );
    }
    match password_login(&state, &email, password, client.0).await {
        Ok(session) => {
            // A session this browser held before ends: one browser, one live session token.
            if let Some(old) = cookie(&request, SESSION_COOKIE)
                && let Some(identity) = identity_of_token(&state, &old).await?
            {
                revoke_session(&state, identity.token_id).await?;
            }
            Ok(HttpResponse::SeeOther()
                .insert_header(("Location", next))
                .insert_header(("Cache-Control", "no-store"))
                .insert_header((
                    "Set-Cookie",
                    session_cookie(&session.token, state.session_hours, state.console_secure_cookies),
                ))
                .finish())
        }
        Err(ApiError::Unauthorized(_)) => {
            login_form(&request, StatusCode::UNAUTHORIZED, &next, &email, Some(words.login_failed), None, false)
        }
        Err(ApiError::TooManyRequests { .. }) => {
            login_form(&request, StatusCode::TOO_MANY_REQUESTS, &next, &email, Some(words.login_wait), None, false)
        }
        Err(ApiError::Forbidden(_)) => {
            login_form(&request, StatusCode::FORBIDDEN, &next, &email, Some(words.password_login_off), None, false)
        }
        Err(other) => Err(other),
    }
}

/// Logs out: the session's token is revoked (it stops working everywhere at once) and the
/// cookie removed.
#[utoipa::path(
    operation_id = "console_logout",
    tag = "console",
    request_body(content = String, content_type = "application/x-www-form-urlencoded", description = "`csrf`: the session's form token"),
    responses(
        (status = 303, description = "Logged out, or not signed in: on to the login page; a session started with single sign-on goes on to the provider's `end_session_endpoint` (OpenID Connect RP-Initiated Logout: `client_id`, `post_logout_redirect_uri` = `{public_url}/console/login`, and `id_token_hint` from cookie `meldpunt_sso_hint`) when the provider names one", headers(("Location" = String, description = "`/console/login?bye=1`, or the provider's end session endpoint"), ("Set-Cookie" = String, description = "`meldpunt_session` and `meldpunt_sso_hint` removed"))),
        (status = 403, description = "The form token is missing or wrong, or the form came from another site: a page says so", content_type = "text/html"),
        (status = 413, description = "The form is too large", body = crate::api::error::Problem, content_type = "application/problem+json"),
        Unavailable,
    )
)]
#[post("/console/logout")]
pub async fn logout(
    request: HttpRequest,
    user: ConsoleUser,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ConsoleError> {
    if let Err(refused) = csrf::checked_form(&request, &state, &user, payload, FORM_MAX_BYTES).await? {
        return Ok(refused);
    }
    revoke_session(&state, user.identity.token_id).await?;
    // The tokens this console handed to the analyst page end with it.
    let (account, session) = (user.identity.account_id, user.identity.token_id);
    let label = state
        .db
        .run(move |conn| {
            conn.write_transaction(|c| {
                crate::storage::accounts::revoke_labelled_sessions(c, account, super::analysis::TOKEN_LABEL)?;
                crate::storage::accounts::token_label(c, session)
            })
        })
        .await
        .map_err(ApiError::from)?;
    tracing::info!(account_id = %user.identity.account_id, "console logout");
    let location = if label.as_deref() == Some(sso::login::SESSION_LABEL) {
        logout_at_provider(&request, &state).await
    } else {
        None
    };
    Ok(HttpResponse::SeeOther()
        .insert_header(("Location", location.unwrap_or_else(|| "/console/login?bye=1".to_owned())))
        .insert_header(("Cache-Control", "no-store"))
        .insert_header(("Set-Cookie", cleared_session_cookie(state.console_secure_cookies)))
        .append_header(("Set-Cookie", sso::cookies::clear_hint_cookie()))
        .finish())
}

/// Where to send the browser to end a single sign-on session at the provider too (OpenID
/// Connect RP-Initiated Logout, with the login's ID token as hint when the browser kept it);
/// `None` when the provider offers no logout or cannot be reached (meldpunt's session has
/// ended either way).
async fn logout_at_provider(request: &HttpRequest, state: &AppState) -> Option<String> {
    let provider = state.sso.provider.clone()?;
    let hint = cookie(request, sso::cookies::HINT_COOKIE).filter(|hint| !hint.is_empty());
    match provider.logout_url(hint.as_deref(), &state.sso.post_logout_redirect_uri).await {
        Ok(url) => url,
        Err(error) => {
            tracing::warn!(%error, "cannot send the browser to log out at the identity provider; logged out of meldpunt only");
            None
        }
    }
}
