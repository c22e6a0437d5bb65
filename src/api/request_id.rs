//! Request ids: a well-formed incoming `X-Request-Id` (1-64 characters of `A-Z a-z 0-9 . _ -`)
//! is kept, any other is replaced by a fresh UUID. The id is in the request's log span, in
//! the `X-Request-Id` header of every response (errors and 404s too) and, as `request_id`,
//! in every problem body, so a resident can quote it and an operator find the log lines.

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{HttpMessage, HttpResponse};

use crate::api::error::PROBLEM_JSON;

/// The header, in both directions.
pub const HEADER: &str = "x-request-id";

/// The id of the request in hand (in the request's extensions).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestId(pub String);

/// Whether a client's id may be kept: 1-64 characters of `A-Z a-z 0-9 . _ -`.
pub fn well_formed(id: &str) -> bool {
    (1..=64).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
}

/// Takes or makes the id, and puts it on the response.
pub async fn request_id(
    request: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let id = request
        .headers()
        .get(HEADER)
        .and_then(|v| v.to_str().ok())
        .filter(|v| well_formed(v))
        .map_or_else(|| uuid::Uuid::new_v4().to_string(), str::to_owned);
    request.extensions_mut().insert(RequestId(id.clone()));
    // (The request cannot be cloned here to answer an error with: routing needs it unshared.
    // Errors reach this point as responses; only a failing middleware could return one.)
    let response = next.call(request).await?.map_into_boxed_body();
    let mut response = with_id_in_problem(response, &id).await;
    if let Ok(value) = HeaderValue::from_str(&id) {
        response.headers_mut().insert(HeaderName::from_static(HEADER), value);
    }
    Ok(response)
}

/// A problem body with `request_id` added; any other response as it is.
async fn with_id_in_problem(response: ServiceResponse<BoxBody>, id: &str) -> ServiceResponse<BoxBody> {
    let is_problem = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with(PROBLEM_JSON));
    if !is_problem {
        return response;
    }
    let (request, response) = response.into_parts();
    let (head, body) = response.into_parts();
    let Ok(bytes) = actix_web::body::to_bytes(body).await else {
        return ServiceResponse::new(request, head.set_body(BoxBody::new(())));
    };
    let bytes = match serde_json::from_slice::<serde_json::Value>(&bytes) {
        Ok(serde_json::Value::Object(mut problem)) => {
            problem.insert("request_id".into(), serde_json::Value::String(id.to_owned()));
            serde_json::to_vec(&problem).map(actix_web::web::Bytes::from).unwrap_or(bytes)
        }
        _ => bytes,
    };
    let response: HttpResponse<BoxBody> = head.set_body(BoxBody::new(bytes));
    ServiceResponse::new(request, response)
}

#[cfg(test)]
mod tests {
    use super::well_formed;

    #[test]
    fn only_short_ids_of_safe_characters_are_kept() {
        assert!(well_formed("abc-123_X.y"));
        assert!(well_formed(&"a".repeat(64)));
        assert!(!well_formed(""));
        assert!(!well_formed(&"a".repeat(65)));
        assert!(!well_formed("a b"));
        assert!(!well_formed("a\"b"));
        assert!(!well_formed("ä"));
    }
}
