//! The audit log of views of personal data (admins only).

use actix_web::{HttpResponse, get, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::api::error::{ApiError, Problem};
use crate::api::responses::{AdminErrors, Unavailable};
use crate::api::staff::auth::Staff;
use crate::api::state::AppState;
use crate::domain::auth::Role;
use crate::storage::triage;

/// An audit log entry: who looked at whose personal data, when.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct AuditView {
    /// Sequence number.
    pub id: i64,
    /// When.
    pub at: DateTime<Utc>,
    /// The staff account.
    pub account_id: Uuid,
    /// What: `viewed_reporter_contact`, or `anonymised_reporter` (on request).
    pub action: String,
    /// The report.
    pub report_id: Option<Uuid>,
}

/// Filter of the audit log.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct AuditQuery {
    /// Only entries about this report.
    pub report_id: Option<Uuid>,
    /// At most this many (1-1000, default 100), newest first.
    pub limit: Option<i64>,
}

/// The audit log of views of personal data (admins only), newest first.
#[utoipa::path(
    tag = "accounts",
    security(("bearer" = [])),
    params(AuditQuery),
    responses(
        (status = 200, description = "Audit entries", body = Vec<AuditView>),
        (status = 400, description = "Invalid query", body = Problem, content_type = "application/problem+json"),
        Unavailable,
        AdminErrors,
    )
)]
#[get("/api/v1/admin/audit")]
pub async fn audit_log(
    staff: Staff,
    query: web::Query<AuditQuery>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    staff.require(&[Role::Admin])?;
    let query = query.into_inner();
    let limit = query.limit.unwrap_or(100).clamp(1, 1000);
    let entries = state.db.run(move |conn| triage::audit(conn, query.report_id, limit)).await?;
    let views: Vec<AuditView> = entries
        .into_iter()
        .map(|e| AuditView { id: e.id, at: e.at, account_id: e.account_id, action: e.action, report_id: e.report_id })
        .collect();
    Ok(HttpResponse::Ok().json(views))
}
