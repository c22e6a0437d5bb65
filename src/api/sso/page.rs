//! The page a failed console login answers: what went wrong, what to do, and a link to try
//! again. Plain HTML from the shared page kit (`crate::api::pages::page`), so it needs no
//! script and works before the console exists.

use actix_web::HttpResponse;
use actix_web::http::StatusCode;

use crate::api::pages::{html_escape, page};

/// A failed login: `status`, what happened and what to do.
pub fn failure(status: StatusCode, what: &str, todo: &str) -> HttpResponse {
    let mut response = page(
        status,
        "Inloggen mislukt / Sign-in failed",
        &format!(
            "<p>{}</p><p>{}</p><p><a href=\"/console/login/oidc\">Opnieuw inloggen / Sign in again</a></p>",
            html_escape(what),
            html_escape(todo)
        ),
    );
    if let Ok(value) = actix_web::http::header::HeaderValue::from_str(&super::cookies::clear_login_cookie()) {
        response.headers_mut().append(actix_web::http::header::SET_COOKIE, value);
    }
    response
}
