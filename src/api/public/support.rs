//! Duplicates for residents: the open reports near a new one (listed in the intake
//! answer) and "me too" support.

use actix_web::{HttpRequest, HttpResponse, post, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::api::body::{parse, read_json};
use crate::api::error::{ApiError, Problem};
use crate::api::responses::{JsonBodyErrors, Unavailable};
use crate::api::state::AppState;
use crate::domain::report::Language;
use crate::domain::validation::{FieldError, email_address};
use crate::storage::duplicates::Nearby;

/// An open report of the same category near a new one: perhaps the same problem.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct NearbyView {
    /// Id (support it with `POST /api/v1/reports/{id}/support`).
    pub id: Uuid,
    pub reference: String,
    pub status: String,
    /// Distance from the new report, in metres.
    pub distance_m: f64,
    /// Received.
    pub created_at: DateTime<Utc>,
    /// How many residents support it.
    pub interest_count: i64,
}

impl From<Nearby> for NearbyView {
    fn from(n: Nearby) -> Self {
        NearbyView {
            id: n.id,
            reference: n.reference,
            status: n.status,
            distance_m: (n.distance_m * 10.0).round() / 10.0,
            created_at: n.created_at,
            interest_count: n.interest_count,
        }
    }
}

/// "Me too": optionally with an email address to hear about the report's progress.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SupportRequest {
    /// Email address for updates; stored apart from the report, never shown.
    #[serde(default)]
    pub email: Option<String>,
    /// Language of those emails: `nl` (default) or `en`.
    #[serde(default)]
    pub language: Option<Language>,
}

/// The interest in a report.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SupportView {
    /// The report.
    pub report_id: Uuid,
    /// How many residents support it.
    pub interest_count: i64,
}

/// Supports a report ("me too"). The body may be empty.
#[utoipa::path(
    tag = "reports",
    params(("id" = Uuid, Path, description = "Report id")),
    request_body(content = Option<SupportRequest>, content_type = "application/json"),
    responses(
        (status = 201, description = "Counted", body = SupportView),
        (status = 404, description = "No such report", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid email or language", body = Problem, content_type = "application/problem+json"),
        Unavailable,
        JsonBodyErrors,
    )
)]
#[post("/api/v1/reports/{id}/support")]
pub async fn support_report(
    path: web::Path<Uuid>,
    request: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    let empty = request.headers().get(actix_web::http::header::CONTENT_LENGTH).is_some_and(|v| v == "0")
        && request.headers().get(actix_web::http::header::CONTENT_TYPE).is_none();
    let input: SupportRequest = if empty {
        SupportRequest::default()
    } else {
        parse(read_json(&request, payload, state.max_body_bytes).await?.value)?
    };
    let email = match input.email.as_deref().map(str::trim).filter(|e| !e.is_empty()) {
        Some(email) => Some(email_address(email).map_err(|detail| {
            ApiError::Validation(vec![FieldError { pointer: "/email".into(), detail: detail.to_string() }])
        })?),
        None => None,
    };
    let language = input.language.unwrap_or_default();
    let count = state
        .db
        .run(move |conn| {
            conn.write_transaction(|c| crate::storage::duplicates::support(c, id, email.as_deref(), language))
        })
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("there is no report {id}")))?;
    Ok(HttpResponse::Created().json(SupportView { report_id: id, interest_count: count }))
}
