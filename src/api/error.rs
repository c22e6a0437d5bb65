//! One error type for the HTTP API, shaped once into an RFC 9457 `application/problem+json`
//! body. 5xx bodies say nothing internal; the cause goes to the log.

use actix_web::http::{StatusCode, header};
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;

use crate::domain::photo::PhotoError;
use crate::domain::validation::FieldError;
use crate::intake::IntakeError;
use crate::storage::ChangeError;
use crate::storage::StorageError;
use crate::storage::announcements::StateError;

/// The media type of every error body.
pub const PROBLEM_JSON: &str = "application/problem+json";

/// An RFC 9457 problem details body.
#[derive(Debug, Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct Problem {
    /// A URI that identifies the kind of problem; stable, safe to branch on.
    #[serde(rename = "type")]
    #[schema(example = "urn:meldpunt:problem:validation-failed")]
    pub problem_type: String,
    /// A short summary of the kind of problem.
    #[schema(example = "The request has invalid fields")]
    pub title: String,
    /// The HTTP status code.
    #[schema(example = 422)]
    pub status: u16,
    /// What went wrong in this request and what to change.
    pub detail: String,
    /// For validation problems: every invalid field.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
    /// The id of the request (its `X-Request-Id`): quote it when asking about the problem.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(example = "0b9e5c2a-5d1e-4c1b-9f0e-3f0a8a6c2d11")]
    pub request_id: Option<String>,
}

/// Every way an API request can fail.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// The body is not JSON, or not of the expected shape.
    #[error("{0}")]
    MalformedBody(String),
    /// The query string cannot be read into the operation's parameters (a value of the
    /// wrong type, a parameter repeated or missing).
    #[error("{0}")]
    MalformedQuery(String),
    /// The body's media type is not accepted.
    #[error("{0}")]
    UnsupportedMediaType(String),
    /// The body is larger than the limit (bytes).
    #[error("the request body is larger than {0} bytes")]
    PayloadTooLarge(usize),
    /// Fields have invalid values.
    #[error("{} field(s) are invalid", .0.len())]
    Validation(Vec<FieldError>),
    /// The location is outside every municipality this deployment serves.
    #[error("{0}")]
    OutsideServiceArea(String),
    /// The request is not authorised (missing or wrong credentials).
    #[error("{0}")]
    Unauthorized(String),
    /// The caller may not do this.
    #[error("{0}")]
    Forbidden(String),
    /// The change conflicts with the current state.
    #[error("{0}")]
    Conflict(String),
    /// A header has an invalid value.
    #[error("{0}")]
    InvalidHeader(String),
    /// The idempotency key was already used with a different request.
    #[error("idempotency key reused")]
    IdempotencyKeyReused,
    /// Nothing is at this address.
    #[error("{0}")]
    NotFound(String),
    /// Something was at this address, and is no more (an expired or used link).
    #[error("{0}")]
    Gone(String),
    /// The method is not allowed at this address.
    #[error("method not allowed")]
    MethodNotAllowed,
    /// Too many requests of one kind from one client address (or failed logins of one
    /// account); retry after `retry_after`. `detail` says which limit, `detail()` adds when.
    #[error("{detail}")]
    TooManyRequests {
        /// How long until the next request may pass.
        retry_after: std::time::Duration,
        /// Which limit was reached.
        detail: String,
    },
    /// The client took too long to send its request body.
    #[error("{0}")]
    RequestTimeout(String),
    /// The server is overloaded; retry later.
    #[error("overloaded")]
    Overloaded,
    /// A dependency (the database) is not available.
    #[error("{0}")]
    Unavailable(String),
    /// The identity provider (single sign-on) cannot be reached or answers nonsense; the
    /// text says what failed (no secrets in it).
    #[error("{0}")]
    IdentityProviderUnavailable(String),
    /// A bug or an unexpected failure; details only in the log.
    #[error("internal error: {0}")]
    Internal(String),
}

impl ApiError {
    fn kind(&self) -> (&'static str, &'static str) {
        match self {
            Self::MalformedBody(_) => ("malformed-body", "The request body cannot be read"),
            Self::MalformedQuery(_) => ("malformed-query", "The query string cannot be read"),
            Self::UnsupportedMediaType(_) => ("unsupported-media-type", "The request body has the wrong media type"),
            Self::PayloadTooLarge(_) => ("payload-too-large", "The request body is too large"),
            Self::Validation(_) => ("validation-failed", "The request has invalid fields"),
            Self::InvalidHeader(_) => ("invalid-header", "A request header is invalid"),
            Self::OutsideServiceArea(_) => {
                ("outside-service-area", "The location is outside the area this service covers")
            }
            Self::Unauthorized(_) => ("unauthorized", "Authentication required"),
            Self::Forbidden(_) => ("forbidden", "Not allowed"),
            Self::Conflict(_) => ("conflict", "The change conflicts with the current state"),
            Self::IdempotencyKeyReused => {
                ("idempotency-key-reused", "The idempotency key was used for another request")
            }
            Self::NotFound(_) => ("not-found", "Not found"),
            Self::Gone(_) => ("gone", "No longer available"),
            Self::MethodNotAllowed => ("method-not-allowed", "Method not allowed"),
            Self::TooManyRequests { .. } => ("too-many-requests", "Too many requests"),
            Self::RequestTimeout(_) => ("request-timeout", "The request took too long to arrive"),
            Self::Overloaded => ("overloaded", "The server is busy"),
            Self::Unavailable(_) => ("unavailable", "The service is unavailable"),
            Self::IdentityProviderUnavailable(_) => {
                ("identity-provider-unavailable", "The identity provider cannot be reached")
            }
            Self::Internal(_) => ("internal-error", "Internal server error"),
        }
    }

    fn detail(&self) -> String {
        match self {
            Self::Validation(errors) => {
                let fields: Vec<&str> = errors.iter().map(|e| e.pointer.as_str()).collect();
                format!("Correct these fields and send the request again: {}", fields.join(", "))
            }
            Self::IdempotencyKeyReused => "This Idempotency-Key was already used with a different request body. \
                Send a retry with exactly the same body, or use a new key for a new report."
                .into(),
            Self::TooManyRequests { retry_after, detail } => {
                let seconds = retry_seconds(*retry_after);
                let wait = i64::try_from(seconds).ok().and_then(chrono::TimeDelta::try_seconds).unwrap_or_default();
                let at = chrono::Utc::now() + wait;
                format!("{detail}Retry after {seconds} seconds (at {} UTC).", at.format("%H:%M:%S"))
            }
            Self::MethodNotAllowed => "This address does not accept this HTTP method; see /api/v1/openapi.json.".into(),
            Self::Overloaded => {
                "Too many reports are waiting to be stored. Retry after a few seconds with the same Idempotency-Key."
                    .into()
            }
            Self::Unavailable(_) => "The database is not reachable right now. Retry in a few seconds.".into(),
            Self::Internal(_) => {
                "Something went wrong on our side. Retry later; if it persists, contact the municipality.".into()
            }
            other => other.to_string(),
        }
    }

    /// What a log line may say about this error: its kind (the problem type's slug) and the
    /// JSON Pointers of the fields at fault. Never the values: a detail can quote what the
    /// resident typed (`'bad@@example.nl' is not a valid email address`).
    pub fn log_summary(&self) -> (&'static str, Vec<&str>) {
        let fields = match self {
            Self::Validation(errors) => errors.iter().map(|e| e.pointer.as_str()).collect(),
            Self::OutsideServiceArea(_) => vec!["/location"],
            _ => Vec::new(),
        };
        (self.kind().0, fields)
    }

    /// The problem body of this error.
    pub fn problem(&self) -> Problem {
        let (slug, title) = self.kind();
        Problem {
            problem_type: format!("urn:meldpunt:problem:{slug}"),
            title: title.into(),
            status: self.status_code().as_u16(),
            detail: self.detail(),
            errors: match self {
                Self::Validation(errors) => errors.clone(),
                Self::OutsideServiceArea(detail) => {
                    vec![FieldError { pointer: "/location".into(), detail: detail.clone() }]
                }
                _ => Vec::new(),
            },
            request_id: None,
        }
    }
}

impl ApiError {
    /// The `Retry-After` of a `429`, in whole seconds.
    pub fn retry_after_seconds(&self) -> Option<u64> {
        match self {
            Self::TooManyRequests { retry_after, .. } => Some(retry_seconds(*retry_after)),
            _ => None,
        }
    }
}

/// Whole seconds to wait, rounded up, at least 1 (the unit of `Retry-After`).
fn retry_seconds(wait: std::time::Duration) -> u64 {
    (wait.as_secs() + u64::from(wait.subsec_nanos() > 0)).max(1)
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            Self::MalformedBody(_) | Self::MalformedQuery(_) | Self::InvalidHeader(_) => StatusCode::BAD_REQUEST,
            Self::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            Self::Validation(_) | Self::IdempotencyKeyReused | Self::OutsideServiceArea(_) => {
                StatusCode::UNPROCESSABLE_ENTITY
            }
            Self::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            Self::Forbidden(_) => StatusCode::FORBIDDEN,
            Self::Conflict(_) => StatusCode::CONFLICT,
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::Gone(_) => StatusCode::GONE,
            Self::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            Self::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            Self::RequestTimeout(_) => StatusCode::REQUEST_TIMEOUT,
            Self::Overloaded | Self::Unavailable(_) | Self::IdentityProviderUnavailable(_) => {
                StatusCode::SERVICE_UNAVAILABLE
            }
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        if let Self::Internal(cause) | Self::Unavailable(cause) = self {
            tracing::error!(cause = %cause, "request failed");
        }
        if let Self::IdentityProviderUnavailable(cause) = self {
            tracing::warn!(cause = %cause, "the identity provider is not usable");
        }
        let mut response = HttpResponse::build(self.status_code());
        response.insert_header((header::CONTENT_TYPE, PROBLEM_JSON));
        if matches!(self, Self::Overloaded | Self::Unavailable(_) | Self::IdentityProviderUnavailable(_)) {
            response.insert_header((header::RETRY_AFTER, "2"));
        }
        if let Self::TooManyRequests { retry_after, .. } = self {
            response.insert_header((header::RETRY_AFTER, retry_seconds(*retry_after).to_string()));
        }
        if matches!(self, Self::RequestTimeout(_)) {
            response.insert_header((header::CONNECTION, "close"));
        }
        if matches!(self, Self::Unauthorized(_)) {
            response.insert_header((header::WWW_AUTHENTICATE, "Bearer realm=\"meldpunt\""));
        }
        response.json(self.problem())
    }
}

impl From<StorageError> for ApiError {
    fn from(error: StorageError) -> Self {
        match error {
            StorageError::Pool(e) => ApiError::Unavailable(format!("database connection: {e}")),
            other => ApiError::Internal(other.to_string()),
        }
    }
}

impl From<ChangeError> for ApiError {
    fn from(error: ChangeError) -> Self {
        match error {
            ChangeError::NotFound(detail) => ApiError::NotFound(detail),
            ChangeError::Conflict(detail) => ApiError::Conflict(detail),
            ChangeError::Storage(e) => e.into(),
        }
    }
}

impl From<StateError> for ApiError {
    fn from(error: StateError) -> Self {
        match error {
            StateError::NotFound => ApiError::NotFound("no announcement has this id".into()),
            StateError::WrongState(status) => {
                ApiError::Conflict(format!("the announcement is {status}; this is not possible in that state"))
            }
            StateError::Storage(error) => error.into(),
        }
    }
}

impl From<IntakeError> for ApiError {
    fn from(error: IntakeError) -> Self {
        match error {
            IntakeError::Invalid(fields) => ApiError::Validation(fields),
            IntakeError::OutsideServiceArea(detail) => ApiError::OutsideServiceArea(detail),
            IntakeError::Photo { index, error } => match error {
                PhotoError::UnsupportedType(detail) => {
                    ApiError::UnsupportedMediaType(format!("photo {}: {detail}", index + 1))
                }
                PhotoError::Undecodable(detail) => {
                    ApiError::Validation(vec![FieldError { pointer: format!("/photo/{index}"), detail }])
                }
                PhotoError::Encoding(detail) => ApiError::Internal(detail),
            },
            error @ IntakeError::TooManyPhotos { .. } => ApiError::Conflict(error.to_string()),
            IntakeError::KeyReused => ApiError::IdempotencyKeyReused,
            IntakeError::Overloaded => ApiError::Overloaded,
            IntakeError::Storage(e) => e.into(),
        }
    }
}

impl From<actix_web::error::BlockingError> for ApiError {
    fn from(error: actix_web::error::BlockingError) -> Self {
        ApiError::Internal(error.to_string())
    }
}
