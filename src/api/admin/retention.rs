//! The log of retention runs (admins only): when each ran, how it ended, and what it did,
//! as counts (docs/privacy.md). Never anything personal.

use actix_web::{HttpResponse, get, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::api::access::AdminAccess;
use crate::api::error::{ApiError, Problem};
use crate::api::responses::{AdminErrors, Unavailable};
use crate::api::state::AppState;
use crate::storage::retention::runs::{self, RunLog};

/// One retention run.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct RetentionRunView {
    /// Sequence number.
    pub id: i64,
    /// When it started.
    pub started_at: DateTime<Utc>,
    /// When it ended (absent while it runs, or when its process died).
    pub finished_at: Option<DateTime<Utc>>,
    /// `schedule` (the daily run) or `command` (`meldpunt retention run`).
    pub trigger: String,
    /// `running`, `finished`, `stopped` (asked to stop; the next run goes on), `failed`
    /// or `interrupted` (its process died; the next run goes on).
    pub outcome: String,
    /// Reports whose reporter contact, follow links, supporters' addresses and queued
    /// emails were erased.
    pub anonymised_reports: i64,
    /// Photos deleted (with their reports, or earlier by `retention_photo_days`).
    pub deleted_photos: i64,
    /// Resolved reports deleted (each leaves an anonymous statistical record).
    pub deleted_resolved_reports: i64,
    /// Cancelled reports deleted (with the duplicates merged into them).
    pub deleted_cancelled_reports: i64,
    /// Outbox messages whose recipient and body were erased.
    pub erased_outbox_messages: i64,
    /// Unconfirmed subscriptions purged.
    pub purged_subscriptions: i64,
    /// Unconfirmed "me too" addresses erased (the supports still count).
    pub purged_supporter_addresses: i64,
    /// Entries of the audit of views of personal data removed.
    pub purged_audit_entries: i64,
    /// Sessions, API tokens and access links past their expiry removed.
    pub removed_tokens: i64,
}

impl From<RunLog> for RetentionRunView {
    fn from(run: RunLog) -> Self {
        let c = run.counts;
        RetentionRunView {
            id: run.id,
            started_at: run.started_at,
            finished_at: run.finished_at,
            trigger: run.trigger,
            outcome: run.outcome,
            anonymised_reports: c.anonymised_reports,
            deleted_photos: c.deleted_photos,
            deleted_resolved_reports: c.deleted_resolved_reports,
            deleted_cancelled_reports: c.deleted_cancelled_reports,
            erased_outbox_messages: c.erased_outbox_messages,
            purged_subscriptions: c.purged_subscriptions,
            purged_supporter_addresses: c.purged_supporter_addresses,
            purged_audit_entries: c.purged_audit_entries,
            removed_tokens: c.removed_tokens,
        }
    }
}

/// Which runs to list.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct RetentionRunsQuery {
    /// At most this many (1-1000, default 100), newest first.
    pub limit: Option<i64>,
}

/// The retention runs, newest first (admins, or the configured admin token).
#[utoipa::path(
    tag = "admin",
    security(("bearer" = []), ("admin_token" = [])),
    params(RetentionRunsQuery),
    responses(
        (status = 200, description = "Retention runs, newest first", body = Vec<RetentionRunView>),
        (status = 400, description = "Invalid query", body = Problem, content_type = "application/problem+json"),
        Unavailable,
        AdminErrors,
    )
)]
#[get("/api/v1/admin/retention/runs")]
pub async fn retention_runs(
    _admin: AdminAccess,
    query: web::Query<RetentionRunsQuery>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let limit = query.into_inner().limit.unwrap_or(100).clamp(1, 1000);
    let runs = state.db.run(move |conn| runs::latest(conn, limit)).await?;
    Ok(HttpResponse::Ok().json(runs.into_iter().map(RetentionRunView::from).collect::<Vec<_>>()))
}
