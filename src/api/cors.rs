//! CORS for browsers on other origins (`cors_allowed_origins`): exact origins, or `*` for
//! any. Credentials (cookies, HTTP authentication) are never allowed: the API
//! authenticates with bearer tokens a script sends itself, so nothing needs them, and `*`
//! with credentials cannot happen. Without origins there is no CORS middleware at all.

use actix_cors::Cors;
use actix_web::http::{Method, header};

/// The CORS middleware for these origins (not empty).
pub fn cors(origins: &[String]) -> Cors {
    let mut cors = Cors::default()
        .allowed_methods([Method::GET, Method::POST, Method::PUT, Method::PATCH, Method::DELETE])
        .allowed_headers([
            header::ACCEPT,
            header::ACCEPT_LANGUAGE,
            header::AUTHORIZATION,
            header::CONTENT_TYPE,
            header::IF_NONE_MATCH,
            header::HeaderName::from_static("idempotency-key"),
            header::HeaderName::from_static(crate::api::request_id::HEADER),
        ])
        .expose_headers([
            header::ETAG,
            header::LOCATION,
            header::LINK,
            header::RETRY_AFTER,
            header::HeaderName::from_static(crate::api::request_id::HEADER),
        ])
        .max_age(3600);
    if origins.iter().any(|o| o == "*") {
        cors = cors.allow_any_origin().send_wildcard();
    } else {
        for origin in origins {
            cors = cors.allowed_origin(origin);
        }
    }
    cors
}
