//! The console login with the identity provider: `GET /console/login/oidc` sends the browser
//! to the provider with a fresh `state`, `nonce` and PKCE challenge (kept in the signed login
//! cookie), and `GET /console/login/oidc/callback` checks the `state`, exchanges the code
//! with the verifier, validates the ID token (signature, `iss`, `aud` = client id, `exp`,
//! `nonce`), matches its email claim to an active staff account with a role, starts a
//! console session (cookie `meldpunt_session`, an ordinary session token) and records the
//! login in the audit log. Every failure answers a page that says what to do.

use actix_web::http::StatusCode;
use actix_web::http::header::{COOKIE, LOCATION, SET_COOKIE};
use actix_web::{HttpRequest, HttpResponse, get, web};
use chrono::{Duration, Utc};
use serde::Deserialize;

use super::cookies::{self, LOGIN_COOKIE};
use super::page::failure;
use crate::api::error::{ApiError, Problem};
use crate::api::state::AppState;
use crate::domain::auth::{TokenKind, new_token, token_hash};
use crate::oidc::flow::LoginSecrets;
use crate::oidc::{OidcError, tokens};
use crate::storage::sso::{self, SsoAccount};

/// Where a console session starts.
const CONSOLE: &str = "/console";

/// Starts a console login at the identity provider (authorization code flow with PKCE).
#[utoipa::path(
    tag = "auth",
    responses(
        (status = 303, description = "To the identity provider's login page, with `state`, `nonce` and a PKCE S256 `code_challenge`; sets the signed login cookie `meldpunt_sso` (10 minutes, HttpOnly, Secure, SameSite=Lax)",
            headers(("Location" = String, description = "The provider's authorization endpoint with the request"), ("Set-Cookie" = String, description = "`meldpunt_sso`: this login's signed state"))),
        (status = 404, description = "Single sign-on is not configured (`oidc.issuer` is empty)", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "The identity provider cannot be reached (its discovery document)", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/console/login/oidc")]
pub async fn start_sso_login(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let provider = state.sso.provider.clone().ok_or_else(|| {
        ApiError::NotFound("single sign-on is not configured here; log in with email and password".into())
    })?;
    let secrets = LoginSecrets::fresh();
    let url = provider.authorization_url(&secrets, &state.sso.redirect_uri).await.map_err(super::api_error)?;
    let sealed = cookies::seal(&state.sso.cookies, &secrets, Utc::now() + Duration::seconds(cookies::LOGIN_SECONDS));
    Ok(HttpResponse::SeeOther()
        .insert_header((LOCATION, url))
        .insert_header((SET_COOKIE, cookies::login_cookie(&sealed)))
        .insert_header(("Cache-Control", "no-store"))
        .finish())
}

/// What the provider sends back to the callback.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CallbackQuery {
    /// The authorization code (on success).
    pub code: Option<String>,
    /// The `state` of the login, as sent.
    pub state: Option<String>,
    /// The provider's error code (on failure), e.g. `access_denied`.
    pub error: Option<String>,
    /// The provider's explanation of the error.
    pub error_description: Option<String>,
    /// The provider's issuer (RFC 9207); checked against the configured provider.
    pub iss: Option<String>,
}

/// The identity provider's redirect back after a console login: starts a console session.
#[utoipa::path(
    tag = "auth",
    params(CallbackQuery),
    responses(
        (status = 303, description = "Logged in: to `/console`, with the console session in cookie `meldpunt_session` (a session token, HttpOnly, Secure, SameSite=Lax, Path=/, Max-Age = session_hours); the login cookie is removed; the ID token is kept for the logout at the provider in cookie `meldpunt_sso_hint` (HttpOnly, Secure, SameSite=Lax, Path=/console/logout)",
            headers(("Location" = String, description = "`/console`"), ("Set-Cookie" = String, description = "`meldpunt_session`, and `meldpunt_sso` removed"))),
        (status = 400, description = "A page: the login cookie is missing or expired, the `state` does not match it, the `iss` names another provider (RFC 9207), or the provider sent an error (`error`)", content_type = "text/html"),
        (status = 401, description = "A page: the provider refused the code (e.g. a wrong PKCE verifier) or the ID token is not valid (signature, issuer, audience, expiry, nonce)", content_type = "text/html"),
        (status = 403, description = "A page: no staff account has the email address, or it is deactivated, or it has no role yet", content_type = "text/html"),
        (status = 404, description = "Single sign-on is not configured", body = Problem, content_type = "application/problem+json"),
        (status = 502, description = "A page: the identity provider cannot be reached", content_type = "text/html"),
    )
)]
#[get("/console/login/oidc/callback")]
pub async fn sso_login_callback(
    request: HttpRequest,
    query: web::Query<CallbackQuery>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let provider = state.sso.provider.clone().ok_or_else(|| {
        ApiError::NotFound("single sign-on is not configured here; log in with email and password".into())
    })?;
    let again = "Start the login again from the console's login page.";
    let cookie = request
        .headers()
        .get(COOKIE)
        .and_then(|h| h.to_str().ok())
        .and_then(|h| cookies::cookie_value(h, LOGIN_COOKIE))
        .and_then(|value| cookies::open(&state.sso.cookies, value, Utc::now()));
    let Some(secrets) = cookie else {
        return Ok(failure(
            StatusCode::BAD_REQUEST,
            "This login is unknown or took longer than 10 minutes (or the browser blocks cookies).",
            again,
        ));
    };
    let query = query.into_inner();
    if !query.state.as_deref().is_some_and(|given| tokens::same(given, &secrets.state)) {
        tracing::warn!("single sign-on callback with a state that does not match the login cookie");
        return Ok(failure(
            StatusCode::BAD_REQUEST,
            "The answer of the identity provider does not belong to the login this browser started (state).",
            again,
        ));
    }
    match provider.check_response_issuer(query.iss.as_deref()).await {
        Ok(()) => {}
        Err(OidcError::Provider(why)) => {
            tracing::warn!(cause = %why, "the identity provider is not usable for a console login");
            return Ok(failure(StatusCode::BAD_GATEWAY, "The identity provider cannot be reached right now.", again));
        }
        Err(error) => {
            tracing::warn!(%error, "single sign-on callback from another issuer");
            return Ok(failure(
                StatusCode::BAD_REQUEST,
                &format!("The answer does not come from this municipality's identity provider: {error}."),
                again,
            ));
        }
    }
    if let Some(error) = query.error {
        let description: String = query.error_description.unwrap_or_default().chars().take(300).collect();
        tracing::info!(error = %error.chars().take(60).collect::<String>(), "the identity provider refused a login");
        return Ok(failure(
            StatusCode::BAD_REQUEST,
            &format!("The identity provider did not log you in: {error} {description}"),
            "If you cancelled, try again; otherwise ask the identity provider's administrator whether you may use meldpunt.",
        ));
    }
    let Some(code) = query.code else {
        return Ok(failure(StatusCode::BAD_REQUEST, "The identity provider sent no authorization code.", again));
    };
    let redirect_uri = state.sso.redirect_uri.clone();
    let validated = match provider.exchange_code(&code, &secrets.verifier, &redirect_uri).await {
        Ok(tokens) => match tokens.id_token {
            Some(id_token) => {
                provider.validate_id_token(&id_token, &secrets.nonce).await.map(|claims| (claims, id_token))
            }
            None => Err(OidcError::Exchange("the token endpoint sent no id_token (is the scope openid asked?)".into())),
        },
        Err(error) => Err(error),
    };
    let (claims, id_token) = match validated {
        Ok(validated) => validated,
        Err(OidcError::Provider(why)) => {
            tracing::warn!(cause = %why, "the identity provider is not usable for a console login");
            return Ok(failure(StatusCode::BAD_GATEWAY, "The identity provider cannot be reached right now.", again));
        }
        Err(error) => {
            tracing::info!(%error, "a console login with single sign-on was refused");
            return Ok(failure(StatusCode::UNAUTHORIZED, &format!("The login is not valid: {error}."), again));
        }
    };
    let claim = provider.config().email_claim.clone();
    let email = match tokens::email(&claims, &claim) {
        Ok(email) => email,
        Err(rejection) => {
            return Ok(failure(
                StatusCode::FORBIDDEN,
                &format!("The identity provider did not send your email address: {rejection}."),
                "Ask the administrator to release the email claim to meldpunt (or set oidc.email_claim).",
            ));
        }
    };
    session(&state, email, tokens::display_name(&claims), &id_token).await
}

/// The label of a console session started with single sign-on: its logout also ends the
/// session at the provider, where the provider offers that.
pub const SESSION_LABEL: &str = "console (single sign-on)";

/// Starts the console session of `email`, or answers why not. The session's token is
/// labelled [`SESSION_LABEL`], and the validated `id_token` is kept for the logout at the
/// provider ([`cookies::hint_cookie`]).
async fn session(
    state: &AppState,
    email: String,
    name: Option<String>,
    id_token: &str,
) -> Result<HttpResponse, ApiError> {
    let hours = state.session_hours;
    let create = state.sso.create_accounts;
    let token = new_token();
    let hash = token_hash(&token);
    let expires_at = Utc::now() + Duration::hours(i64::try_from(hours).unwrap_or(12));
    let found = state
        .db
        .run(move |conn| -> Result<SsoAccount, ApiError> {
            let nil = uuid::Uuid::nil();
            let mut found = sso::account_by_email(conn, &email, nil)?;
            if found == SsoAccount::Unknown && create {
                let name = name.unwrap_or_else(|| email.clone());
                conn.write_transaction(|c| sso::create_without_role(c, &email, &name))?;
                found = sso::account_by_email(conn, &email, nil)?;
            }
            if let SsoAccount::Staff(identity) = &found {
                let account = identity.account_id;
                conn.write_transaction(|c| -> Result<(), crate::storage::StorageError> {
                    crate::storage::accounts::issue_token(
                        c,
                        account,
                        &hash,
                        TokenKind::Session,
                        Some(SESSION_LABEL),
                        Some(expires_at),
                    )?;
                    sso::record_sign_in(c, account)
                })?;
            }
            Ok(found)
        })
        .await?;
    let todo = "Ask an admin of meldpunt for a staff account with your email address (or a role for it).";
    let refused = |what: &str| Ok(failure(StatusCode::FORBIDDEN, what, todo));
    match found {
        SsoAccount::Staff(identity) => {
            tracing::info!(account_id = %identity.account_id, "console login with single sign-on");
            let mut answer = HttpResponse::SeeOther();
            answer
                .insert_header((LOCATION, CONSOLE))
                .append_header((
                    SET_COOKIE,
                    crate::api::pages::console::session::session_cookie(&token, hours, state.console_secure_cookies),
                ))
                .append_header((SET_COOKIE, cookies::clear_login_cookie()))
                .insert_header(("Cache-Control", "no-store"));
            match cookies::hint_cookie(id_token, hours) {
                Some(hint) => answer.append_header((SET_COOKIE, hint)),
                None => answer.append_header((SET_COOKIE, cookies::clear_hint_cookie())),
            };
            Ok(answer.finish())
        }
        SsoAccount::Unknown => {
            refused("You are logged in at the identity provider, but no staff account has your email address.")
        }
        SsoAccount::Deactivated => refused("Your staff account is deactivated."),
        SsoAccount::NoRole(account) => {
            tracing::info!(account_id = %account, "single sign-on login of an account without a role");
            refused("Your staff account has no role yet, so it may do nothing.")
        }
    }
}
