//! The console's session: the cookie `meldpunt_session` holds a session token issued like
//! `POST /api/v1/auth/login`'s (`TokenKind::Session`, `session_hours`), so the console's
//! session is revocable like every API token: logging out revokes it, an admin revoking the
//! account's tokens ends it. The OIDC login sets the same cookie.
//!
//! Cookie: `meldpunt_session=<token>; Path=/; Max-Age=<session_hours × 3600>; HttpOnly;
//! SameSite=Lax; Secure`. `Secure` is left out only when the `console_secure_cookies`
//! setting is false (see docs/console.md).

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest, web};
use futures_util::future::LocalBoxFuture;

use super::ConsoleError;
use crate::api::error::ApiError;
use crate::api::staff::auth::identity_of_token;
use crate::api::state::AppState;
use crate::domain::auth::StaffIdentity;

/// The session cookie's name: a contract shared with the OIDC login's callback.
pub const SESSION_COOKIE: &str = "meldpunt_session";

/// The value of cookie `name` in the request's `Cookie` header(s).
pub fn cookie(request: &HttpRequest, name: &str) -> Option<String> {
    request
        .headers()
        .get_all(actix_web::http::header::COOKIE)
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value.trim_matches('"').to_owned())
        .filter(|value| !value.is_empty())
}

/// The `Set-Cookie` value that starts a session with `token` for `hours`.
pub fn session_cookie(token: &str, hours: u64, secure: bool) -> String {
    let seconds = hours.saturating_mul(3600);
    let secure = if secure { "; Secure" } else { "" };
    format!("{SESSION_COOKIE}={token}; Path=/; Max-Age={seconds}; HttpOnly; SameSite=Lax{secure}")
}

/// The `Set-Cookie` value that removes the session cookie.
pub fn cleared_session_cookie(secure: bool) -> String {
    let secure = if secure { "; Secure" } else { "" };
    format!("{SESSION_COOKIE}=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax{secure}")
}

/// `next` when it is a console address of this site (a relative path under `/console`,
/// not `//host` nor `/\host`, no control characters), else `None`: the login page never
/// sends anyone to another site.
pub fn safe_next(next: &str) -> Option<&str> {
    let under_console = next == "/console" || next.starts_with("/console/") || next.starts_with("/console?");
    let plain = !next.contains("//") && !next.contains('\\') && !next.chars().any(char::is_control);
    (under_console && plain && next.len() <= 2000).then_some(next)
}

/// The login page's address, with `next` when it is safe.
pub fn login_address(next: &str) -> String {
    match safe_next(next) {
        Some(next) if next != "/console" => {
            format!("/console/login?next={}", url::form_urlencoded::byte_serialize(next.as_bytes()).collect::<String>())
        }
        _ => "/console/login".to_owned(),
    }
}

/// A signed-in member of staff, from the session cookie; without a valid session the
/// request is answered with a 303 to the login page that comes back here.
#[derive(Debug, Clone)]
pub struct ConsoleUser {
    /// Who, with role and departments, exactly as the bearer path resolves a token.
    pub identity: StaffIdentity,
    /// The form token of this session (see [`super::csrf`]).
    pub form_token: String,
}

impl ConsoleUser {
    /// The frame's view of the user: identity and logout token.
    pub fn frame_user(&self) -> Option<(&StaffIdentity, String)> {
        Some((&self.identity, self.form_token.clone()))
    }
}

impl FromRequest for ConsoleUser {
    type Error = ConsoleError;
    type Future = LocalBoxFuture<'static, Result<Self, ConsoleError>>;

    fn from_request(request: &HttpRequest, _: &mut Payload) -> Self::Future {
        let token = cookie(request, SESSION_COOKIE);
        let state = request.app_data::<web::Data<AppState>>().cloned();
        // A POST comes back to the page it was sent from, not to the form's address.
        let here = if request.method() == actix_web::http::Method::GET {
            match request.query_string() {
                "" => request.path().to_owned(),
                query => format!("{}?{query}", request.path()),
            }
        } else {
            request.path().to_owned()
        };
        Box::pin(async move {
            let state = state.ok_or_else(|| ApiError::Internal("application state missing".into()))?;
            let Some(token) = token else { return Err(ConsoleError::SignIn(here)) };
            let Some(identity) = identity_of_token(&state, &token).await? else {
                return Err(ConsoleError::SignIn(here));
            };
            let form_token = super::csrf::issue(&state, &identity);
            Ok(ConsoleUser { identity, form_token })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_console_paths_of_this_site_are_safe_to_return_to() {
        assert_eq!(safe_next("/console/reports/1?lang=en"), Some("/console/reports/1?lang=en"));
        assert_eq!(safe_next("/console?status=new"), Some("/console?status=new"));
        for bad in [
            "https://evil.example/console",
            "//evil.example/console",
            "/console/..//evil",
            "/\\evil",
            "/api/v1",
            "/consoles",
        ] {
            assert_eq!(safe_next(bad), None, "{bad}");
        }
        assert_eq!(login_address("//evil.example"), "/console/login");
        assert_eq!(login_address("/console/reports/x"), "/console/login?next=%2Fconsole%2Freports%2Fx");
    }

    #[test]
    fn the_session_cookie_is_http_only_lax_and_secure() {
        assert_eq!(
            session_cookie("t", 12, true),
            "meldpunt_session=t; Path=/; Max-Age=43200; HttpOnly; SameSite=Lax; Secure"
        );
        assert!(cleared_session_cookie(true).contains("Max-Age=0"));
    }
}
