//! The HTTP API: shared plumbing at this level (errors, state, body reading, access,
//! views, the OpenAPI document), and one folder per audience, each with its own
//! `routes`: [`public`] (residents and apps), [`staff`] (triage and announcements),
//! [`admin`] (configuration and accounts) and [`open311`] (GeoReport v2). Handlers are
//! registered through utoipa-actix-web, so every route is in the OpenAPI document.

pub mod access;
pub mod admin;
pub mod analyst;
pub mod body;
pub mod body_deadline;
pub mod cors;
pub mod error;
pub mod limits;
pub mod metrics;
pub mod multipart;
pub mod open;
pub mod open311;
pub mod openapi;
pub mod pages;
pub mod public;
pub mod request_id;
pub mod responses;
pub mod sso;
pub mod staff;
pub mod state;
pub mod views;

use actix_web::{HttpRequest, HttpResponse, web};
use utoipa_actix_web::service_config::ServiceConfig;

pub use openapi::{openapi, openapi_yaml};

use crate::api::error::ApiError;
use crate::api::state::AppState;

/// Registers every route.
pub fn routes(config: &mut ServiceConfig) {
    config
        .configure(public::routes)
        .configure(staff::routes)
        .configure(admin::routes)
        .configure(analyst::routes)
        .configure(open::routes)
        .configure(pages::routes)
        .configure(sso::routes)
        .configure(open311::routes);
}

/// Answers requests no route took: 405 when the path exists with another method, else 404.
pub async fn fallback(request: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let path = request.path();
    if path.starts_with("/open311/") {
        return Ok(open311::fallback(path, &state.route_templates));
    }
    if state.route_templates.iter().any(|template| path_matches(template, path)) {
        Err(ApiError::MethodNotAllowed)
    } else {
        Err(ApiError::NotFound(format!("nothing is at {path}; see /api/v1/openapi.json for the API")))
    }
}

/// Whether `path` fits an OpenAPI path template such as `/api/v1/reports/{id}`.
pub fn path_matches(template: &str, path: &str) -> bool {
    let mut wanted = template.split('/');
    let mut given = path.split('/');
    loop {
        match (wanted.next(), given.next()) {
            (None, None) => return true,
            (Some(w), Some(g)) if w.starts_with('{') && w.ends_with('}') && !g.is_empty() => {}
            (Some(w), Some(g)) if w == g => {}
            _ => return false,
        }
    }
}

/// Turns actix's own extractor errors (bad path or query) into problem documents.
pub fn path_error(error: actix_web::error::PathError, _: &HttpRequest) -> actix_web::Error {
    ApiError::NotFound(format!("invalid path parameter: {error}")).into()
}

/// Turns actix's query-string errors into problem documents (400).
pub fn query_error(error: actix_web::error::QueryPayloadError, _: &HttpRequest) -> actix_web::Error {
    ApiError::MalformedQuery(format!("invalid query string: {error}")).into()
}
