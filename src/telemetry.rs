//! Logging with `tracing`. Personal data is never logged: request spans carry method,
//! route template, status and a request id, but not the client's address, user agent, query
//! string or error details (a validation message can quote an email address); handlers log
//! ids and references, never contact details or descriptions. A failed request is logged
//! here, once, with the error's kind and the pointers of the fields at fault, never their
//! values (tracing-actix-web's own error event, which prints the error's `Debug` form, is
//! switched off: `default-features = false` in Cargo.toml).

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use tracing::Span;
use tracing_actix_web::RootSpanBuilder;
use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::MakeWriter;

use crate::api::error::ApiError;
use crate::api::open311::Open311Error;
use crate::config::LogFormat;

/// Installs the global subscriber, writing to stdout. Later calls (tests start many apps) do
/// nothing.
pub fn init(filter: &str, format: LogFormat) {
    let filter = EnvFilter::try_new(filter).unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_target(false);
    let _ = match format {
        LogFormat::Json => builder.json().try_init(),
        LogFormat::Text => builder.try_init(),
    };
}

/// Installs the global subscriber like [`init`], but writing to `writer` and without
/// terminal colours: for a harness that reads what the server logs (the API tests scan it
/// for personal data). Returns whether it was installed (false: a subscriber already was).
pub fn init_with_writer<W>(filter: &str, format: LogFormat, writer: W) -> bool
where
    W: for<'writer> MakeWriter<'writer> + Send + Sync + 'static,
{
    let filter = EnvFilter::try_new(filter).unwrap_or_else(|_| EnvFilter::new("info"));
    let builder =
        tracing_subscriber::fmt().with_env_filter(filter).with_target(false).with_ansi(false).with_writer(writer);
    match format {
        LogFormat::Json => builder.json().try_init(),
        LogFormat::Text => builder.try_init(),
    }
    .is_ok()
}

/// The request span: what is needed to follow a request, and nothing personal.
pub struct PrivateRootSpan;

impl RootSpanBuilder for PrivateRootSpan {
    fn on_request_start(request: &ServiceRequest) -> Span {
        use actix_web::HttpMessage;
        let route = request.match_pattern().unwrap_or_else(|| "unmatched".to_owned());
        // The id the request-id middleware took or made (it wraps this one).
        let request_id = request
            .extensions()
            .get::<crate::api::request_id::RequestId>()
            .map_or_else(|| uuid::Uuid::new_v4().to_string(), |id| id.0.clone());
        tracing::info_span!(
            "request",
            method = %request.method(),
            route = %route,
            request_id = %request_id,
            status = tracing::field::Empty,
        )
    }

    fn on_request_end<B: MessageBody>(span: Span, outcome: &Result<ServiceResponse<B>, actix_web::Error>) {
        let (status, error) = match outcome {
            Ok(response) => (response.status(), response.response().error()),
            Err(error) => (error.as_response_error().status_code(), Some(error)),
        };
        span.record("status", status.as_u16());
        let Some(error) = error else {
            tracing::debug!(parent: &span, status = status.as_u16(), "request finished");
            return;
        };
        let (error_type, fields) = summary(error);
        let fields = fields.join(",");
        if status.is_server_error() {
            // The cause was logged where it happened (ApiError::error_response).
            tracing::warn!(parent: &span, status = status.as_u16(), error_type, "request failed");
        } else if status.is_client_error() {
            tracing::warn!(parent: &span, status = status.as_u16(), error_type, fields = %fields, "request rejected");
        } else {
            tracing::debug!(parent: &span, status = status.as_u16(), error_type, "request finished");
        }
    }
}

/// The kind of a failed request's error and the fields at fault: for the API's own errors
/// their problem type and JSON Pointers, for Open311's the field names, for actix's
/// extractors which part of the request was wrong. Never a value from the request.
fn summary(error: &actix_web::Error) -> (&'static str, Vec<&str>) {
    use actix_web::error::{JsonPayloadError, PathError, PayloadError, QueryPayloadError, UrlencodedError};
    if let Some(api) = error.as_error::<ApiError>() {
        api.log_summary()
    } else if let Some(open311) = error.as_error::<Open311Error>() {
        ("open311", open311.fields())
    } else if error.as_error::<PathError>().is_some() {
        ("invalid-path", Vec::new())
    } else if error.as_error::<QueryPayloadError>().is_some() {
        ("invalid-query", Vec::new())
    } else if error.as_error::<JsonPayloadError>().is_some() || error.as_error::<UrlencodedError>().is_some() {
        ("invalid-body", Vec::new())
    } else if error.as_error::<PayloadError>().is_some() {
        ("payload", Vec::new())
    } else {
        ("other", Vec::new())
    }
}
