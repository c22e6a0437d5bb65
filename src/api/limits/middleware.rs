//! The middleware that finds the client's address (for every request, for handlers to
//! read) and counts the limited operations per address before their handler runs.

use std::net::IpAddr;

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::{Method, header};
use actix_web::middleware::Next;
use actix_web::{FromRequest, HttpMessage, HttpRequest, web};

use super::Action;
use crate::api::open311::{Format, Open311Error};
use crate::api::state::AppState;

/// The client's address as [`super::ClientAddressing`] found it (`None` without a peer, as
/// in unit tests).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientAddress(pub Option<IpAddr>);

impl FromRequest for ClientAddress {
    type Error = actix_web::Error;
    type Future = std::future::Ready<Result<Self, Self::Error>>;

    fn from_request(request: &HttpRequest, _: &mut actix_web::dev::Payload) -> Self::Future {
        let found = request.extensions().get::<ClientAddress>().copied();
        std::future::ready(Ok(found.unwrap_or_else(|| {
            let addressing = request.app_data::<web::Data<AppState>>().map(|s| s.limits.addressing().clone());
            ClientAddress(addressing.unwrap_or_default().client(request.peer_addr().map(|p| p.ip()), request.headers()))
        })))
    }
}

/// The limited operations: method and route template.
fn action(method: &Method, route: &str) -> Option<Action> {
    if method != Method::POST {
        return None;
    }
    match route {
        // Photos added through a follow link cost what a report's photos cost.
        "/api/v1/reports" | "/open311/v2/requests.{format}" | "/api/v1/follow/{token}/photos" => Some(Action::Report),
        "/api/v1/reports/{id}/support" => Some(Action::Support),
        "/api/v1/subscriptions" => Some(Action::Subscribe),
        "/api/v1/privacy/access-requests" => Some(Action::AccessRequest),
        "/api/v1/answers/{token}"
        | "/api/v1/subscriptions/manage/{token}/answers"
        | "/api/v1/survey/{token}"
        | "/api/v1/follow/{token}"
        | "/api/v1/follow/{token}/reopen"
        | "/api/v1/follow/{token}/remarks" => Some(Action::Answer),
        _ => None,
    }
}

/// Finds the client's address and answers `429` to a limited operation over its limit.
pub async fn limit_by_address(
    request: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let Some(state) = request.app_data::<web::Data<AppState>>().cloned() else {
        return Ok(next.call(request).await?.map_into_boxed_body());
    };
    let address = state.limits.addressing().client(request.peer_addr().map(|p| p.ip()), request.headers());
    request.extensions_mut().insert(ClientAddress(address));
    let limited = request.match_pattern().and_then(|route| action(request.method(), &route));
    if let (Some(action), Some(address)) = (limited, address)
        && let Err(error) = state.limits.check(action, address)
    {
        if !request.path().starts_with("/open311/") {
            return Ok(request.error_response(error).map_into_boxed_body());
        }
        // Open311 clients read GeoReport errors, in the format they asked for.
        let format = request.path().rsplit('.').next().and_then(|e| Format::parse(e).ok()).unwrap_or(Format::Json);
        let wait = error.retry_after_seconds().unwrap_or(1);
        let mut response = request.error_response(Open311Error::from_api(format, error));
        response.headers_mut().insert(header::RETRY_AFTER, header::HeaderValue::from(wait));
        return Ok(response.map_into_boxed_body());
    }
    Ok(next.call(request).await?.map_into_boxed_body())
}
