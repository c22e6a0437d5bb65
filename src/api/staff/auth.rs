//! Staff authentication: login and logout, and the [`Staff`] extractor that turns a bearer
//! token into an identity (401 otherwise) with [`Staff::require`] for roles (403).

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest, HttpResponse, post, web};
use chrono::{DateTime, Duration, Utc};
use futures_util::future::LocalBoxFuture;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::api::body::{parse, read_json};
use crate::api::error::{ApiError, Problem};
use crate::api::limits::ClientAddress;
use crate::api::responses::{JsonBodyErrors, TooManyRequests, Unavailable};
use crate::api::state::AppState;
use crate::domain::auth::{Role, StaffIdentity, TokenKind, new_token, token_hash, verify_password};

/// The one answer to every failed login, so it does not tell which emails have accounts.
const LOGIN_FAILED: &str = "the email address or the password is wrong (or the account is deactivated)";

/// An authenticated staff member (from `Authorization: Bearer <token>`).
#[derive(Debug, Clone)]
pub struct Staff(pub StaffIdentity);

impl Staff {
    /// Refuses with 403 unless the account has one of `roles`.
    pub fn require(&self, roles: &[Role]) -> Result<&StaffIdentity, ApiError> {
        if roles.contains(&self.0.role) {
            Ok(&self.0)
        } else {
            let names: Vec<&str> = roles.iter().map(|r| r.as_str()).collect();
            let needed = match names.as_slice() {
                [only] => format!("the role {only}"),
                _ => format!("one of the roles {}", names.join(", ")),
            };
            Err(ApiError::Forbidden(format!("this needs {needed}; your account has the role {}", self.0.role.as_str())))
        }
    }
}

/// The bearer token of a request, if it has one.
pub fn bearer_token(request: &HttpRequest) -> Option<String> {
    let value = request.headers().get(actix_web::http::header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.trim().split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim().to_owned()).filter(|t| !t.is_empty())
}

impl FromRequest for Staff {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(request: &HttpRequest, _: &mut Payload) -> Self::Future {
        let token = bearer_token(request);
        let state = request.app_data::<web::Data<AppState>>().cloned();
        Box::pin(async move {
            let state = state.ok_or_else(|| ApiError::Internal("application state missing".into()))?;
            let token = token.ok_or_else(|| {
                ApiError::Unauthorized(
                    "send Authorization: Bearer <token> with a token from POST /api/v1/auth/login".into(),
                )
            })?;
            // An access token of the identity provider (single sign-on), when one is set up.
            if let Some(provider) = state.sso.provider.clone()
                && crate::api::sso::bearer::looks_like_jwt(&token)
            {
                return crate::api::sso::bearer::staff_from_jwt(&state, &provider, &token).await.map(Staff);
            }
            let identity = identity_of_token(&state, &token).await?;
            identity
                .map(Staff)
                .ok_or_else(|| ApiError::Unauthorized("the token is unknown, expired or revoked; log in again".into()))
        })
    }
}

/// Login credentials.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    /// The account's email address.
    #[schema(example = "medewerker@heerlen.nl")]
    pub email: String,
    /// The account's password.
    pub password: String,
}

/// A fresh session.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct LoginResponse {
    /// Send as `Authorization: Bearer <token>`; shown only now.
    pub token: String,
    /// When the token stops working.
    pub expires_at: DateTime<Utc>,
    /// The account.
    pub account_id: Uuid,
    /// Its role.
    pub role: Role,
    /// Its departments (ids).
    pub departments: Vec<Uuid>,
}

/// Logs a staff member in: answers a bearer token that expires (see `session_hours`). A
/// wrong password and an unknown email get the same answer after the same work.
#[utoipa::path(
    tag = "auth",
    request_body(content = LoginRequest, content_type = "application/json"),
    responses(
        (status = 200, description = "Logged in", body = LoginResponse),
        (status = 401, description = "Wrong email or password, or a deactivated account", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Password login is turned off (`oidc.password_login = false`): use single sign-on", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A field is missing or of the wrong type", body = Problem, content_type = "application/problem+json"),
        Unavailable,
        JsonBodyErrors,
        TooManyRequests,
    )
)]
#[post("/api/v1/auth/login")]
pub async fn login(
    request: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
    client: ClientAddress,
) -> Result<HttpResponse, ApiError> {
    let body = read_json(&request, payload, state.max_body_bytes).await?;
    let input: LoginRequest = parse(body.value)?;
    let session = password_login(&state, &input.email, &input.password, client.0).await?;
    let (token, expires_at, identity) = (session.token, session.expires_at, session.identity);
    Ok(HttpResponse::Ok().json(LoginResponse {
        token,
        expires_at,
        account_id: identity.account_id,
        role: identity.role,
        departments: identity.departments,
    }))
}

/// A session opened by a password login: the token (shown once), when it expires, and who.
#[derive(Debug)]
pub struct PasswordSession {
    /// The session token (`TokenKind::Session`), revocable like every token.
    pub token: String,
    /// When it stops working (`session_hours` from now).
    pub expires_at: DateTime<Utc>,
    /// The account it belongs to.
    pub identity: StaffIdentity,
}

/// The one password login, shared by `POST /api/v1/auth/login` and the console's login
/// form: waits out earlier failures of this account or address (the login rate limit),
/// verifies the password with argon2 (the same work for an unknown email), and issues a
/// session token that expires after `session_hours`. Every failure is the same 401; with
/// `oidc.password_login = false` it is a 403 that says to use single sign-on.
pub async fn password_login(
    state: &AppState,
    email: &str,
    password: &str,
    client: Option<std::net::IpAddr>,
) -> Result<PasswordSession, ApiError> {
    if !state.sso.password_login {
        return Err(ApiError::Forbidden(
            "password login is turned off here: sign in with single sign-on (GET /console/login/oidc in a browser), \
             or send an access token of the identity provider as Authorization: Bearer <token>"
                .into(),
        ));
    }
    let email = email.trim().to_ascii_lowercase();
    // After a few failures the account (or address) must wait before the password is even
    // checked, so guessing is slow; the wait grows per failure, up to a few minutes.
    state.limits.login.check(&email, client)?;
    let account = email.clone();
    let password = password.to_owned();
    let hours = i64::try_from(state.session_hours).unwrap_or(12);
    let outcome = state
        .db
        .run(move |conn| -> Result<Option<PasswordSession>, ApiError> {
            use crate::storage::accounts;
            let credentials = accounts::credentials(conn, &email)?;
            let stored = credentials.as_ref().and_then(|c| c.password_hash.as_deref());
            let matches = verify_password(&password, stored);
            let Some(credentials) = credentials.filter(|c| matches && c.active) else {
                return Ok(None);
            };
            let token = new_token();
            let expires_at = Utc::now() + Duration::hours(hours);
            let hash = token_hash(&token);
            conn.write_transaction(|c| {
                accounts::issue_token(c, credentials.account_id, &hash, TokenKind::Session, None, Some(expires_at))
            })?;
            let identity = accounts::identity(conn, &hash, Utc::now())?
                .ok_or_else(|| ApiError::Internal("a fresh session is not valid".into()))?;
            Ok(Some(PasswordSession { token, expires_at, identity }))
        })
        .await?;
    let Some(session) = outcome else {
        state.limits.login.failed(&account, client);
        return Err(ApiError::Unauthorized(LOGIN_FAILED.into()));
    };
    state.limits.login.succeeded(&account);
    tracing::info!(account_id = %session.identity.account_id, "staff login");
    Ok(session)
}

/// The identity behind a session or API token, if it is known, unexpired and unrevoked:
/// the one lookup of the bearer path, shared with the console's session cookie.
pub async fn identity_of_token(state: &AppState, token: &str) -> Result<Option<StaffIdentity>, ApiError> {
    let hash = token_hash(token);
    Ok(state.db.run(move |conn| crate::storage::accounts::identity(conn, &hash, Utc::now())).await?)
}

/// A new session token for `identity`, a member signed in already, valid for `minutes`
/// (the console hands one to the analyst page's script, which reads the API with bearer
/// tokens). Labelled `label`; revocable like every token.
pub async fn short_session(
    state: &AppState,
    identity: &StaffIdentity,
    minutes: i64,
    label: &'static str,
) -> Result<(String, DateTime<Utc>), ApiError> {
    let token = new_token();
    let hash = token_hash(&token);
    let expires_at = Utc::now() + Duration::minutes(minutes);
    let account = identity.account_id;
    state
        .db
        .run(move |conn| {
            conn.write_transaction(|c| {
                crate::storage::accounts::issue_token(
                    c,
                    account,
                    &hash,
                    TokenKind::Session,
                    Some(label),
                    Some(expires_at),
                )
            })
        })
        .await?;
    Ok((token, expires_at))
}

/// Revokes the token of a session (logging out): it stops working at once.
pub async fn revoke_session(state: &AppState, token_id: Uuid) -> Result<(), ApiError> {
    state.db.run(move |conn| conn.write_transaction(|c| crate::storage::accounts::revoke_token(c, token_id))).await?;
    Ok(())
}

/// Ends the session: the token of this request stops working. An access token of the
/// identity provider stops working for meldpunt (until it expires it is kept as revoked);
/// at the provider itself it lives on until its own expiry.
#[utoipa::path(
    tag = "auth",
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Logged out"),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        Unavailable,
    )
)]
#[post("/api/v1/auth/logout")]
pub async fn logout(request: HttpRequest, staff: Staff, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    if let Some(provider) = state.sso.provider.clone()
        && let Some(token) = bearer_token(&request).filter(|t| crate::api::sso::bearer::looks_like_jwt(t))
    {
        crate::api::sso::bearer::end_access_token(&state, &provider, &token, &staff.0).await?;
        return Ok(HttpResponse::NoContent().finish());
    }
    revoke_session(&state, staff.0.token_id).await?;
    Ok(HttpResponse::NoContent().finish())
}
