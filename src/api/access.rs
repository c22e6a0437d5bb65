//! Who may call the admin API and change reports: staff accounts by role (a bearer token
//! from `POST /api/v1/auth/login` or an API token), and the optional configured
//! `admin_token` as a break-glass credential for operators and automation (it acts as
//! `admin` in the history). Without credentials: 401; with a role that may not: 403.

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest, web};
use chrono::Utc;
use futures_util::future::LocalBoxFuture;
use sha2::{Digest, Sha256};

use super::auth::bearer_token;
use crate::domain::auth::{Role, StaffIdentity, token_hash};
use crate::error::ApiError;
use crate::state::AppState;

/// Proof that the caller may use the admin API: the configured admin token, or the token of
/// a staff account with the `admin` role.
#[derive(Debug, Clone)]
pub struct AdminAccess {
    actor: String,
}

/// The history actor of changes made with the configured admin token.
pub const ADMIN_ACTOR: &str = "admin";

impl AdminAccess {
    /// Who acts, for history entries: `admin` (the configured token) or `staff:<account>`.
    pub fn actor(&self) -> &str {
        &self.actor
    }
}

/// Who handles a report: the configured admin token, or a staff account whose role handles
/// reports (admin, coordinator, department staff; analysts do not).
#[derive(Debug, Clone)]
pub enum ReportHandler {
    /// The configured admin token: every report.
    AdminToken,
    /// A signed-in staff member: reports of their departments (all for admin and coordinator).
    Staff(StaffIdentity),
}

impl ReportHandler {
    /// Whether this caller may see and change a report routed to `department`.
    pub fn handles(&self, department: Option<uuid::Uuid>) -> bool {
        match self {
            Self::AdminToken => true,
            Self::Staff(identity) => identity.handles(department),
        }
    }

    /// Who acts, for history entries.
    pub fn actor(&self) -> String {
        match self {
            Self::AdminToken => ADMIN_ACTOR.to_owned(),
            Self::Staff(identity) => identity.actor(),
        }
    }
}

/// The configured admin token matches `token` (compared in constant time).
fn is_admin_token(request: &HttpRequest, token: &str) -> bool {
    request
        .app_data::<web::Data<AppState>>()
        .and_then(|state| state.admin_token.as_deref())
        .is_some_and(|expected| same_secret(token, expected))
}

/// Looks the bearer token up as a staff session or API token.
async fn staff_identity(request: &HttpRequest, token: String) -> Result<Option<StaffIdentity>, ApiError> {
    let state = request
        .app_data::<web::Data<AppState>>()
        .cloned()
        .ok_or_else(|| ApiError::Internal("application state missing".into()))?;
    let hash = token_hash(&token);
    let db = state.db.clone();
    Ok(web::block(move || crate::storage::accounts::identity(&mut *db.conn()?, &hash, Utc::now())).await??)
}

fn missing_token() -> ApiError {
    ApiError::Unauthorized(
        "this endpoint needs Authorization: Bearer <token>, with a token from POST /api/v1/auth/login (or the configured admin_token)"
            .into(),
    )
}

fn unknown_token() -> ApiError {
    ApiError::Unauthorized(
        "the bearer token is not the admin token nor a valid staff token; log in again or check the token".into(),
    )
}

impl FromRequest for AdminAccess {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(request: &HttpRequest, _: &mut Payload) -> Self::Future {
        let request = request.clone();
        Box::pin(async move {
            let token = bearer_token(&request).ok_or_else(missing_token)?;
            if is_admin_token(&request, &token) {
                return Ok(AdminAccess { actor: ADMIN_ACTOR.to_owned() });
            }
            match staff_identity(&request, token).await? {
                Some(identity) if identity.role == Role::Admin => Ok(AdminAccess { actor: identity.actor() }),
                Some(identity) => Err(ApiError::Forbidden(format!(
                    "this needs the role admin; your account has the role {}",
                    identity.role.as_str()
                ))),
                None => Err(unknown_token()),
            }
        })
    }
}

impl FromRequest for ReportHandler {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(request: &HttpRequest, _: &mut Payload) -> Self::Future {
        let request = request.clone();
        Box::pin(async move {
            let token = bearer_token(&request).ok_or_else(missing_token)?;
            if is_admin_token(&request, &token) {
                return Ok(ReportHandler::AdminToken);
            }
            match staff_identity(&request, token).await? {
                Some(identity) if identity.role == Role::Analyst => Err(ApiError::Forbidden(
                    "analysts do not handle reports; this needs the role admin, coordinator or department_staff".into(),
                )),
                Some(identity) => Ok(ReportHandler::Staff(identity)),
                None => Err(unknown_token()),
            }
        })
    }
}

fn same_secret(given: &str, expected: &str) -> bool {
    let a = Sha256::digest(given.as_bytes());
    let b = Sha256::digest(expected.as_bytes());
    a.iter().zip(b.iter()).fold(0u8, |difference, (x, y)| difference | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_compare_equal_only_when_identical() {
        assert!(same_secret("abcdefghijklmnop", "abcdefghijklmnop"));
        assert!(!same_secret("abcdefghijklmnoq", "abcdefghijklmnop"));
        assert!(!same_secret("abc", "abcdefghijklmnop"));
        assert!(!same_secret("", "abcdefghijklmnop"));
    }
}
