//! Changing a registered endpoint: its URL, description, filter and contact allowance
//! (`PUT`), and rotating its signing secret with an overlap in which the old secret signs
//! beside the new one, so the receiver can switch without losing an event.

use actix_web::{HttpRequest, HttpResponse, post, put, web};
use chrono::{Duration, Utc};
use serde::Deserialize;
use uuid::Uuid;

use super::endpoints::{EndpointInput, EndpointView, not_found, with_counts};
use crate::api::access::AdminAccess;
use crate::api::body::{optional_json, parse, read_json};
use crate::api::error::{ApiError, Problem};
use crate::api::responses::{AdminErrors, JsonBodyErrors, Unavailable};
use crate::api::state::AppState;
use crate::domain::validation::FieldError;

/// The longest overlap of a rotation, in hours (a week).
const OVERLAP_MAX_HOURS: i64 = 168;

/// Replaces an endpoint's URL, description, filter and contact allowance, with the same
/// body and checks as its registration. Its secret, its state (on or off) and its
/// deliveries stay: queued deliveries go to the new URL, and the new filter decides for
/// events from now on.
#[utoipa::path(
    tag = "admin",
    security(("bearer" = []), ("admin_token" = [])),
    params(("id" = Uuid, Path, description = "Endpoint id")),
    request_body(content = EndpointInput, content_type = "application/json"),
    responses(
        (status = 200, description = "Changed", body = EndpointView),
        (status = 404, description = "No such endpoint", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A bad URL, an unknown event type, department, category or area, or the contact allowed by the admin token (named by JSON Pointer)", body = Problem, content_type = "application/problem+json"),
        JsonBodyErrors,
        Unavailable,
        AdminErrors,
    )
)]
#[put("/api/v1/admin/event-endpoints/{id}")]
pub async fn replace_endpoint(
    admin: AdminAccess,
    path: web::Path<Uuid>,
    request: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    let body = read_json(&request, payload, state.max_body_bytes).await?;
    let snapshot = state.config.snapshot();
    let settings =
        parse::<EndpointInput>(body.value)?.validate(&snapshot, state.webhook_allow_insecure, admin.account())?;
    if !state.db.run(move |conn| crate::storage::event_endpoints::update(conn, id, &settings)).await? {
        return Err(not_found(id));
    }
    let (endpoint, counts) = with_counts(&state, id).await?;
    tracing::info!(endpoint_id = %id, actor = admin.actor(), contact = endpoint.include_reporter_contact, "event endpoint changed");
    Ok(HttpResponse::Ok().json(EndpointView::new(endpoint, &snapshot, counts)))
}

/// How to rotate a secret.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RotationInput {
    /// How many hours the old secret keeps signing beside the new one (0 to 168, default
    /// 24): deliveries carry a `v1=` signature for each, so a receiver that still has the
    /// old secret keeps accepting them until it has the new one. 0 ends the old secret now.
    #[serde(default)]
    pub overlap_hours: Option<i64>,
}

/// Gives an endpoint a new signing secret, shown in this answer only. The old secret keeps
/// signing beside it for `overlap_hours` (see `previous_secret_until`).
#[utoipa::path(
    tag = "admin",
    security(("bearer" = []), ("admin_token" = [])),
    params(("id" = Uuid, Path, description = "Endpoint id")),
    request_body(content = RotationInput, content_type = "application/json", description = "Optional: an empty body keeps the old secret for 24 hours"),
    responses(
        (status = 200, description = "Rotated; with the new secret, shown this once", body = EndpointView),
        (status = 404, description = "No such endpoint", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`overlap_hours` is not a whole number from 0 to 168", body = Problem, content_type = "application/problem+json"),
        JsonBodyErrors,
        Unavailable,
        AdminErrors,
    )
)]
#[post("/api/v1/admin/event-endpoints/{id}/secret")]
pub async fn rotate_secret(
    admin: AdminAccess,
    path: web::Path<Uuid>,
    request: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    let input: RotationInput = optional_json(&request, payload, state.max_body_bytes).await?;
    let hours = input.overlap_hours.unwrap_or(24);
    if !(0..=OVERLAP_MAX_HOURS).contains(&hours) {
        return Err(ApiError::Validation(vec![FieldError {
            pointer: "/overlap_hours".into(),
            detail: format!("{hours} is outside 0 to {OVERLAP_MAX_HOURS} hours"),
        }]));
    }
    let secret = crate::domain::auth::new_token();
    let stored = secret.clone();
    let until = Utc::now() + Duration::hours(hours);
    if !state.db.run(move |conn| crate::storage::event_endpoints::rotate_secret(conn, id, &stored, until)).await? {
        return Err(not_found(id));
    }
    let (endpoint, counts) = with_counts(&state, id).await?;
    tracing::info!(endpoint_id = %id, actor = admin.actor(), overlap_hours = hours, "event endpoint secret rotated");
    let mut view = EndpointView::new(endpoint, &state.config.snapshot(), counts);
    view.secret = Some(secret);
    Ok(HttpResponse::Ok().json(view))
}
