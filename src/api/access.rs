//! Who may call the admin API and change reports: staff accounts by role (a bearer token
//! from `POST /api/v1/auth/login` or an API token), and the optional configured
//! `admin_token` as a break-glass credential for operators and automation (it acts as
//! `admin` in the history). Without credentials: 401; with a role that may not: 403.

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest, web};
use futures_util::future::LocalBoxFuture;
use sha2::{Digest, Sha256};

use crate::api::error::ApiError;
use crate::api::staff::auth::{Staff, bearer_token};
use crate::api::state::AppState;
use crate::domain::auth::{Role, StaffIdentity};

/// Proof that the caller may use the admin API: the configured admin token, or the token of
/// a staff account with the `admin` role.
#[derive(Debug, Clone)]
pub struct AdminAccess {
    actor: String,
    account: Option<uuid::Uuid>,
}

/// The history actor of changes made with the configured admin token.
pub const ADMIN_ACTOR: &str = "admin";

impl AdminAccess {
    /// Who acts, for history entries: `admin` (the configured token) or `staff:<account>`.
    pub fn actor(&self) -> &str {
        &self.actor
    }

    /// The staff account that acts (`None`: the configured admin token), for the audit log.
    pub fn account(&self) -> Option<uuid::Uuid> {
        self.account
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

/// Who calls: the configured admin token, or a signed-in staff member (looked up by the
/// [`Staff`] extractor). Without a bearer token: 401; with one that is neither: 401.
async fn caller(request: HttpRequest) -> Result<Option<Staff>, ApiError> {
    let token = bearer_token(&request).ok_or_else(|| {
        ApiError::Unauthorized(
            "this endpoint needs Authorization: Bearer <token>, with a token from POST /api/v1/auth/login (or the configured admin_token)"
                .into(),
        )
    })?;
    if is_admin_token(&request, &token) {
        return Ok(None);
    }
    match Staff::from_request(&request, &mut Payload::None).await {
        Ok(staff) => Ok(Some(staff)),
        // An identity provider's token: its refusal says why (expired, wrong audience, …).
        Err(ApiError::Unauthorized(why)) if crate::api::sso::bearer::looks_like_jwt(&token) => {
            Err(ApiError::Unauthorized(why))
        }
        Err(ApiError::Unauthorized(_)) => Err(ApiError::Unauthorized(
            "the bearer token is not the admin token nor a valid staff token; log in again or check the token".into(),
        )),
        Err(other) => Err(other),
    }
}

/// The history actor of a caller who must be the admin token or staff with one of `roles`.
async fn actor_among(request: HttpRequest, roles: &'static [Role]) -> Result<String, ApiError> {
    Ok(match caller(request).await? {
        None => ADMIN_ACTOR.to_owned(),
        Some(staff) => staff.require(roles)?.actor(),
    })
}

impl FromRequest for AdminAccess {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(request: &HttpRequest, _: &mut Payload) -> Self::Future {
        let request = request.clone();
        Box::pin(async move {
            Ok(match caller(request).await? {
                None => AdminAccess { actor: ADMIN_ACTOR.to_owned(), account: None },
                Some(staff) => {
                    let identity = staff.require(&[Role::Admin])?;
                    AdminAccess { actor: identity.actor(), account: Some(identity.account_id) }
                }
            })
        })
    }
}

impl FromRequest for ReportHandler {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(request: &HttpRequest, _: &mut Payload) -> Self::Future {
        let request = request.clone();
        Box::pin(async move {
            Ok(match caller(request).await? {
                None => ReportHandler::AdminToken,
                Some(staff) => ReportHandler::Staff(staff.require(HANDLERS)?.clone()),
            })
        })
    }
}

/// Who may write and publish announcements: the configured admin token, or staff with the
/// `admin` or `coordinator` role.
#[derive(Debug, Clone)]
pub struct AnnouncementEditor {
    actor: String,
}

/// The roles that handle reports.
pub const HANDLERS: &[Role] = &[Role::Admin, Role::Coordinator, Role::DepartmentStaff];

/// The roles that write and publish announcements.
pub const ANNOUNCERS: &[Role] = &[Role::Admin, Role::Coordinator];

impl AnnouncementEditor {
    /// Who acts (`admin` or `staff:<account>`), stored as the announcement's author for
    /// staff; never shown to the public.
    pub fn actor(&self) -> &str {
        &self.actor
    }
}

impl FromRequest for AnnouncementEditor {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(request: &HttpRequest, _: &mut Payload) -> Self::Future {
        let request = request.clone();
        Box::pin(async move { Ok(AnnouncementEditor { actor: actor_among(request, ANNOUNCERS).await? }) })
    }
}

/// Who may read statistics and run projects: the configured admin token, or staff with
/// the `analyst`, `admin` or `coordinator` role (department staff may not).
#[derive(Debug, Clone)]
pub struct AnalystAccess {
    actor: String,
}

/// The roles that read statistics.
pub const ANALYSTS: &[Role] = &[Role::Analyst, Role::Admin, Role::Coordinator];

impl AnalystAccess {
    /// Who acts (`admin` or `staff:<account>`), for the change log of projects.
    pub fn actor(&self) -> &str {
        &self.actor
    }
}

impl FromRequest for AnalystAccess {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(request: &HttpRequest, _: &mut Payload) -> Self::Future {
        let request = request.clone();
        Box::pin(async move { Ok(AnalystAccess { actor: actor_among(request, ANALYSTS).await? }) })
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
