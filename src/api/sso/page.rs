//! The page a failed console login answers: what went wrong, what to do, and a link to try
//! again (askama template `templates/sso/failure.html`; no script, no style from elsewhere).

use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use askama::Template;

/// The failure page.
#[derive(Template)]
#[template(path = "sso/failure.html")]
struct FailurePage<'a> {
    what: &'a str,
    todo: &'a str,
}

/// A failed login: `status`, what happened and what to do.
pub fn failure(status: StatusCode, what: &str, todo: &str) -> HttpResponse {
    let html = FailurePage { what, todo }.render().unwrap_or_else(|_| what.to_owned());
    let mut response = HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .insert_header(("Cache-Control", "no-store"))
        .insert_header(("Referrer-Policy", "no-referrer"))
        .insert_header(("X-Content-Type-Options", "nosniff"))
        .insert_header((
            "Content-Security-Policy",
            "default-src 'none'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
        ))
        .body(html);
    if let Ok(value) = actix_web::http::header::HeaderValue::from_str(&super::cookies::clear_login_cookie()) {
        response.headers_mut().append(actix_web::http::header::SET_COOKIE, value);
    }
    response
}
