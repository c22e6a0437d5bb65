//! Who may call the admin API. Until staff accounts exist, one bearer token from the
//! configuration (`admin_token`) opens it; without a configured token the admin API is
//! switched off and answers 403 (the address exists, but nobody may use it).
//!
//! [`AdminAccess`] is deliberately small: staff accounts with roles will replace its
//! internals without changing the handlers that take it.

use std::future::{Ready, ready};

use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest, web};
use sha2::{Digest, Sha256};

use crate::error::ApiError;
use crate::state::AppState;

/// Proof that the request carries the admin token. Take it as a handler argument.
#[derive(Debug, Clone, Copy)]
pub struct AdminAccess {
    _private: (),
}

/// The actor recorded in report history for changes made with [`AdminAccess`].
pub const ADMIN_ACTOR: &str = "admin";

impl AdminAccess {
    /// Checks the request's `Authorization: Bearer …` header against `configured`.
    pub fn check(request: &HttpRequest, configured: Option<&str>) -> Result<Self, ApiError> {
        let Some(expected) = configured else {
            return Err(ApiError::Forbidden(
                "the admin API is switched off on this server; set admin_token (MELDPUNT_ADMIN_TOKEN) to use it".into(),
            ));
        };
        let given =
            request.headers().get(header::AUTHORIZATION).and_then(|value| value.to_str().ok()).and_then(|value| {
                let (scheme, token) = value.trim().split_once(' ')?;
                scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
            });
        match given {
            None => Err(ApiError::Unauthorized(
                "this endpoint needs the admin token: send the header Authorization: Bearer <admin_token>".into(),
            )),
            Some(token) if same_secret(token, expected) => Ok(AdminAccess { _private: () }),
            Some(_) => Err(ApiError::Unauthorized(
                "the bearer token is not the admin token; check the token and send it again".into(),
            )),
        }
    }
}

/// Compares two secrets in time independent of where they differ (and of their lengths:
/// both are hashed first).
fn same_secret(given: &str, expected: &str) -> bool {
    let a = Sha256::digest(given.as_bytes());
    let b = Sha256::digest(expected.as_bytes());
    a.iter().zip(b.iter()).fold(0u8, |difference, (x, y)| difference | (x ^ y)) == 0
}

impl FromRequest for AdminAccess {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(request: &HttpRequest, _: &mut actix_web::dev::Payload) -> Self::Future {
        let configured = request.app_data::<web::Data<AppState>>().and_then(|state| state.admin_token.clone());
        ready(Self::check(request, configured.as_deref()))
    }
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
