//! Liveness and readiness probes.

use actix_web::{HttpResponse, get, web};
use serde::Serialize;

use crate::api::error::{ApiError, Problem};
use crate::api::state::AppState;

/// The answer of a probe.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct HealthStatus {
    /// `ok` when healthy.
    #[schema(example = "ok")]
    pub status: String,
}

/// Liveness: the process is up and serving HTTP. Does not touch the database.
#[utoipa::path(tag = "health", responses((status = 200, description = "The process is alive", body = HealthStatus)))]
#[get("/healthz")]
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(HealthStatus { status: "ok".into() })
}

/// Readiness: the database answers. Load balancers should send traffic only when this is
/// 200.
#[utoipa::path(
    tag = "health",
    responses(
        (status = 200, description = "Ready to serve", body = HealthStatus),
        (status = 503, description = "The database does not answer", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/readyz")]
pub async fn readyz(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let db = state.db.clone();
    web::block(move || db.ping())
        .await?
        .map_err(|e| ApiError::Unavailable(format!("the database does not answer: {e}")))?;
    Ok(HttpResponse::Ok().json(HealthStatus { status: "ok".into() }))
}
