//! Open311 GeoReport v2 under `/open311/v2/`: discovery, services and their definitions,
//! service requests (list, read, file), tokens and the FixMyStreet-style
//! `servicerequestupdates` extension, each as `.json` and `.xml`.
//!
//! Responses and errors follow the GeoReport v2 formats, not problem+json: errors are a
//! JSON array of `{code, description}` or `<errors><error>...</error></errors>`.

pub mod discovery;
pub mod dto;
pub mod filing;
pub mod requests;
pub mod services;
pub mod tokens;
pub mod updates;
pub mod xml;

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;

use crate::api::error::ApiError;
use crate::api::state::AppState;
use crate::domain::open311::{field_name, parse_w3c};

/// Registers the Open311 routes.
pub fn routes(config: &mut utoipa_actix_web::service_config::ServiceConfig) {
    config
        .service(discovery::discovery)
        .service(services::list_services)
        .service(services::service_definition)
        .service(requests::list_requests)
        .service(filing::create_request)
        .service(requests::get_request)
        .service(tokens::token)
        .service(updates::list_updates);
}

/// Most requests one `GET requests` (or updates one `GET servicerequestupdates`) returns:
/// the spec's default and maximum.
pub const PAGE_SIZE_MAX: i64 = 1000;

/// The response format a path asks for with its extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// `.json`
    Json,
    /// `.xml`
    Xml,
}

impl Format {
    /// Parses the path extension; anything but `json` or `xml` is a 404 (answered in JSON).
    pub fn parse(extension: &str) -> Result<Self, Open311Error> {
        match extension {
            "json" => Ok(Format::Json),
            "xml" => Ok(Format::Xml),
            other => Err(Open311Error::new(
                Format::Json,
                StatusCode::NOT_FOUND,
                format!("unknown format '.{other}'; use .json or .xml"),
            )),
        }
    }

    /// Renders `value` in this format; for XML under the root element `root`.
    pub fn render(self, status: StatusCode, root: &str, value: &impl Serialize) -> HttpResponse {
        match serde_json::to_value(value) {
            Ok(document) => match self {
                Format::Json => {
                    HttpResponse::build(status).content_type("application/json; charset=utf-8").json(document)
                }
                Format::Xml => HttpResponse::build(status)
                    .content_type("text/xml; charset=utf-8")
                    .body(xml::document(root, &document)),
            },
            Err(error) => {
                Open311Error::from_api(self, ApiError::Internal(format!("open311 rendering: {error}"))).error_response()
            }
        }
    }
}

/// One entry of an Open311 error document.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ErrorEntry {
    /// The HTTP status code of the error.
    #[schema(example = 400)]
    pub code: u16,
    /// What is wrong and what to send instead.
    #[schema(example = "attribute[probleem]: 'probleem' is required: What is wrong?")]
    pub description: String,
}

/// An Open311 error: an HTTP status and one or more descriptions, rendered in the format
/// the request asked for.
#[derive(Debug)]
pub struct Open311Error {
    format: Format,
    status: StatusCode,
    descriptions: Vec<String>,
}

impl std::fmt::Display for Open311Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.status, self.descriptions.join("; "))
    }
}

impl Open311Error {
    /// An error with one description.
    pub fn new(format: Format, status: StatusCode, description: impl Into<String>) -> Self {
        Open311Error { format, status, descriptions: vec![description.into()] }
    }

    /// A 400 with one description.
    pub fn bad_request(format: Format, description: impl Into<String>) -> Self {
        Self::new(format, StatusCode::BAD_REQUEST, description)
    }

    /// An error with several descriptions (one per field problem).
    pub fn many(format: Format, status: StatusCode, descriptions: Vec<String>) -> Self {
        Open311Error { format, status, descriptions }
    }

    /// A 404 with one description.
    pub fn not_found(format: Format, description: impl Into<String>) -> Self {
        Self::new(format, StatusCode::NOT_FOUND, description)
    }

    /// The Open311 form of an API error: field problems become one 400 entry each, named
    /// by their Open311 field.
    pub fn from_api(format: Format, error: ApiError) -> Self {
        let status = match &error {
            ApiError::Validation(_)
            | ApiError::OutsideServiceArea(_)
            | ApiError::MalformedBody(_)
            | ApiError::InvalidHeader(_)
            | ApiError::UnsupportedMediaType(_) => StatusCode::BAD_REQUEST,
            other => other.status_code(),
        };
        let descriptions = match error {
            ApiError::Validation(errors) => {
                errors.into_iter().map(|e| format!("{}: {}", field_name(&e.pointer), e.detail)).collect()
            }
            ApiError::OutsideServiceArea(detail) => vec![format!("lat/long: {detail}")],
            ApiError::IdempotencyKeyReused => vec![
                "this Idempotency-Key was already used with a different request; retry with exactly the same \
                 fields, or use a new key for a new request"
                    .to_owned(),
            ],
            ApiError::Overloaded => vec!["too many requests are waiting to be stored; retry in a few seconds".into()],
            error @ ApiError::TooManyRequests { .. } => vec![error.problem().detail],
            ApiError::Unavailable(cause) | ApiError::Internal(cause) => {
                tracing::error!(cause = %cause, "open311 request failed");
                vec!["something went wrong on our side; retry later".into()]
            }
            other => vec![other.to_string()],
        };
        Open311Error { format, status, descriptions }
    }

    /// The Open311 fields at fault, for the log: what precedes `: ` in each description when
    /// it is a field name (`email`, `attribute[probleem]`, `lat/long`). Never the values.
    pub fn fields(&self) -> Vec<&str> {
        self.descriptions
            .iter()
            .filter_map(|d| d.split_once(": ").map(|(field, _)| field))
            .filter(|field| {
                !field.is_empty() && field.chars().all(|c| c.is_ascii_alphanumeric() || "_[]/-".contains(c))
            })
            .collect()
    }

    /// The error document.
    pub fn entries(&self) -> Vec<ErrorEntry> {
        self.descriptions
            .iter()
            .map(|description| ErrorEntry { code: self.status.as_u16(), description: description.clone() })
            .collect()
    }
}

impl ResponseError for Open311Error {
    fn status_code(&self) -> StatusCode {
        self.status
    }

    fn error_response(&self) -> HttpResponse {
        let entries = self.entries();
        match serde_json::to_value(&entries) {
            Ok(document) => match self.format {
                Format::Json => {
                    HttpResponse::build(self.status).content_type("application/json; charset=utf-8").json(document)
                }
                Format::Xml => HttpResponse::build(self.status)
                    .content_type("text/xml; charset=utf-8")
                    .body(xml::document("errors", &document)),
            },
            Err(_) => HttpResponse::build(self.status).finish(),
        }
    }
}

/// Maps an API error into the Open311 error of a format.
pub trait OrOpen311<T> {
    /// The result with an Open311 error.
    fn or_open311(self, format: Format) -> Result<T, Open311Error>;
}

impl<T, E: Into<ApiError>> OrOpen311<T> for Result<T, E> {
    fn or_open311(self, format: Format) -> Result<T, Open311Error> {
        self.map_err(|e| Open311Error::from_api(format, e.into()))
    }
}

/// Query or form parameters in their order, with repeats.
#[derive(Debug, Default)]
pub struct Params(pub Vec<(String, String)>);

impl Params {
    /// Parses an `application/x-www-form-urlencoded` string (a query string or a body).
    pub fn parse(format: Format, text: &[u8]) -> Result<Self, Open311Error> {
        serde_urlencoded::from_bytes::<Vec<(String, String)>>(text)
            .map(Params)
            .map_err(|e| Open311Error::bad_request(format, format!("the parameters cannot be read: {e}")))
    }

    /// The first non-empty value of `name`, trimmed.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.iter().filter(|(k, _)| k == name).map(|(_, v)| v.trim()).find(|v| !v.is_empty())
    }

    /// The W3C datetime in `name`, if sent; a 400 saying what to send when it is not one.
    pub fn date(&self, format: Format, name: &str) -> Result<Option<chrono::DateTime<chrono::Utc>>, Open311Error> {
        self.get(name)
            .map(|text| {
                parse_w3c(text).ok_or_else(|| {
                    Open311Error::bad_request(
                        format,
                        format!("{name} '{text}' is not a W3C datetime such as 2026-11-25T00:00:00+01:00"),
                    )
                })
            })
            .transpose()
    }

    /// The whole number in `name` from 1 to `max`, or `default` when not sent; a 400 saying
    /// the range otherwise.
    pub fn number(&self, format: Format, name: &str, default: i64, max: i64) -> Result<i64, Open311Error> {
        match self.get(name) {
            None => Ok(default),
            Some(text) => text.parse::<i64>().ok().filter(|n| (1..=max).contains(n)).ok_or_else(|| {
                Open311Error::bad_request(format, format!("{name} '{text}' must be a whole number from 1 to {max}"))
            }),
        }
    }

    /// The comma-separated values of `name`.
    pub fn list(&self, name: &str) -> Option<Vec<String>> {
        self.get(name).map(|v| v.split(',').map(str::trim).filter(|p| !p.is_empty()).map(str::to_owned).collect())
    }
}

/// The gemeente a request is about: `jurisdiction_id` must be a served municipality, and is
/// required when the deployment serves several. `None`: the only one (no filter needed).
pub fn jurisdiction(state: &AppState, params: &Params, format: Format) -> Result<Option<String>, Open311Error> {
    let served = &state.served;
    match params.get("jurisdiction_id").map(str::to_ascii_uppercase) {
        Some(code) if served.is_empty() || served.contains(&code) => {
            if crate::domain::area::AreaLevel::of_code(&code) == Some(crate::domain::area::AreaLevel::Gemeente) {
                Ok(Some(code))
            } else {
                Err(Open311Error::bad_request(
                    format,
                    format!("jurisdiction_id '{code}' is not a CBS gemeente code such as GM0917"),
                ))
            }
        }
        Some(code) => Err(Open311Error::not_found(
            format,
            format!("jurisdiction_id '{code}' is not served here; use one of: {}", served.join(", ")),
        )),
        None if served.len() == 1 => Ok(None),
        None => Err(Open311Error::bad_request(
            format,
            "jurisdiction_id is required: this server serves several municipalities; send the CBS gemeente code \
             such as GM0917",
        )),
    }
}

/// Answers a request under `/open311/` that no route took, as an Open311 error document
/// in the format of its extension: 405 when the path exists with another method, else 404.
pub fn fallback(path: &str, route_templates: &[String]) -> HttpResponse {
    let format = if path.ends_with(".xml") { Format::Xml } else { Format::Json };
    let exists = route_templates.iter().filter(|t| t.starts_with("/open311/")).any(|t| template_matches(t, path));
    let error = if exists {
        Open311Error::new(format, StatusCode::METHOD_NOT_ALLOWED, "this address does not accept this HTTP method")
    } else {
        Open311Error::not_found(format, format!("nothing is at {path}; discovery.json lists the Open311 endpoints"))
    };
    error.error_response()
}

/// Whether `path` fits a template whose placeholders (`{name}`) may sit inside a segment,
/// as in `/open311/v2/services/{service_code}.{format}`; a placeholder matches one or more
/// characters other than `/`.
fn template_matches(template: &str, path: &str) -> bool {
    match template.find('{') {
        None => template == path,
        Some(start) => {
            let (literal, rest) = template.split_at(start);
            let Some(path_rest) = path.strip_prefix(literal) else { return false };
            let after = rest.find('}').map_or("", |end| rest.get(end + 1..).unwrap_or(""));
            let segment_end = path_rest.find('/').unwrap_or(path_rest.len());
            (1..=segment_end).any(|taken| path_rest.get(taken..).is_some_and(|tail| template_matches(after, tail)))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_with_placeholders_inside_segments_match_paths() {
        let template = "/open311/v2/services/{service_code}.{format}";
        assert!(template_matches(template, "/open311/v2/services/boom.json"));
        assert!(!template_matches(template, "/open311/v2/services/boom"));
        assert!(!template_matches(template, "/open311/v2/services/a/b.json"));
        assert!(template_matches("/open311/v2/requests.{format}", "/open311/v2/requests.xml"));
        assert!(!template_matches("/open311/v2/requests.{format}", "/open311/v2/requests/x.xml"));
    }
}
