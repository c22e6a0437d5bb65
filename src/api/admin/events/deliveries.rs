//! Per endpoint: what was delivered, what is failing and why, replaying the events since a
//! point in time, and putting dead deliveries back in the queue.

use actix_web::{HttpRequest, HttpResponse, get, post, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::api::access::AdminAccess;
use crate::api::body::{parse, read_json};
use crate::api::error::{ApiError, Problem};
use crate::api::responses::{AdminErrors, JsonBodyErrors, QueryErrors, Unavailable};
use crate::api::state::AppState;
use crate::domain::validation::FieldError;
use crate::storage::event_delivery_log::{self, DeliveryRecord, DeliveryState};

/// One delivery of an event to the endpoint.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct DeliveryView {
    /// The delivery (the order of an endpoint's deliveries of one report).
    pub id: i64,
    /// The event (`id` in the body the endpoint receives).
    pub event_id: Uuid,
    #[schema(example = "report.status_changed")]
    pub event_type: String,
    pub report_id: Uuid,
    /// The report's public reference, e.g. `K7QM-3XRD`.
    pub report_reference: Option<String>,
    /// When the event happened.
    pub occurred_at: DateTime<Utc>,
    /// `pending`, `delivered` or `dead`.
    pub status: String,
    /// Pending behind an earlier delivery of the same report to this endpoint that is
    /// pending or dead: it is sent after that one.
    pub held: bool,
    /// Failed attempts.
    pub attempts: i32,
    /// The kind of the last failure: `webhook_status` (the endpoint answered other than
    /// 2xx), `webhook_unreachable` (no answer: refused, timeout, name not resolved, address
    /// not allowed), `internal`, `no_subscription` (the report is gone).
    pub last_error_class: Option<String>,
    /// What the last failure was, e.g. `the webhook answered HTTP 503` (never the URL).
    pub last_error: Option<String>,
    /// Queued by a replay.
    pub replay: bool,
    /// Whether the delivered body carried the reporter's contact (audited).
    pub contact_included: bool,
    /// When it was queued.
    pub created_at: DateTime<Utc>,
    pub delivered_at: Option<DateTime<Utc>>,
    /// When a pending delivery is tried next (held ones: once the earlier one is delivered).
    pub next_attempt_at: Option<DateTime<Utc>>,
}

impl From<DeliveryRecord> for DeliveryView {
    fn from(r: DeliveryRecord) -> Self {
        DeliveryView {
            id: r.id,
            event_id: r.event_id,
            event_type: r.event_type,
            report_id: r.report_id,
            report_reference: r.report_reference,
            occurred_at: r.occurred_at,
            status: r.status,
            held: r.held,
            attempts: r.attempts,
            last_error_class: r.last_error_class,
            last_error: r.last_error,
            replay: r.replay,
            contact_included: r.contact_included,
            created_at: r.created_at,
            delivered_at: r.delivered_at,
            next_attempt_at: r.next_attempt_at,
        }
    }
}

/// A page of deliveries, newest first.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct DeliveryPage {
    pub items: Vec<DeliveryView>,
    /// Pass as `before` for the next (older) page; absent on the last page.
    pub next_before: Option<i64>,
}

/// Which deliveries.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct DeliveryQuery {
    /// `all` (the default), `delivered`, `pending`, `failing` (pending after a failure) or `dead`.
    pub state: Option<String>,
    /// At most this many (1-500, default 100).
    pub limit: Option<i64>,
    /// Older than this delivery: the `next_before` of the previous page.
    pub before: Option<i64>,
}

fn field(pointer: &str, detail: &str) -> ApiError {
    ApiError::Validation(vec![FieldError { pointer: pointer.into(), detail: detail.into() }])
}

fn not_found(id: Uuid) -> ApiError {
    ApiError::NotFound(format!("there is no event endpoint with id {id}"))
}

async fn exists(state: &AppState, id: Uuid) -> Result<(), ApiError> {
    let found = state.db.run(move |conn| crate::storage::event_endpoints::get(conn, id)).await?;
    found.map(|_| ()).ok_or_else(|| not_found(id))
}

/// Lists an endpoint's deliveries, newest first: what was delivered, what is pending or
/// held back, what is failing and why, what is dead.
#[utoipa::path(
    operation_id = "list_event_deliveries",
    tag = "admin",
    security(("bearer" = []), ("admin_token" = [])),
    params(("id" = Uuid, Path, description = "Endpoint id"), DeliveryQuery),
    responses(
        (status = 200, description = "A page of deliveries", body = DeliveryPage),
        (status = 404, description = "No such endpoint", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A bad state or limit, named by JSON Pointer", body = Problem, content_type = "application/problem+json"),
        QueryErrors,
        Unavailable,
        AdminErrors,
    )
)]
#[get("/api/v1/admin/event-endpoints/{id}/deliveries")]
pub async fn list_deliveries(
    _admin: AdminAccess,
    path: web::Path<Uuid>,
    query: web::Query<DeliveryQuery>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(delivery_page(&state, path.into_inner(), query.into_inner()).await?))
}

/// A page of the deliveries of endpoint `id` that `query` selects, newest first; 422 for a
/// bad state or limit, 404 when there is no such endpoint.
pub async fn delivery_page(state: &AppState, id: Uuid, query: DeliveryQuery) -> Result<DeliveryPage, ApiError> {
    let which = DeliveryState::parse(query.state.as_deref().unwrap_or("all"))
        .ok_or_else(|| field("/state", "state must be all, delivered, pending, failing or dead"))?;
    let limit = query.limit.unwrap_or(100);
    if !(1..=500).contains(&limit) {
        return Err(field("/limit", "limit must be between 1 and 500"));
    }
    exists(state, id).await?;
    let before = query.before;
    let records = state.db.run(move |conn| event_delivery_log::list(conn, id, which, before, limit)).await?;
    let next_before =
        (i64::try_from(records.len()).ok() == Some(limit)).then(|| records.last().map(|r| r.id)).flatten();
    let items = records.into_iter().map(DeliveryView::from).collect();
    Ok(DeliveryPage { items, next_before })
}

/// From when to replay.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReplayRequest {
    /// Every event that happened at or after this moment (RFC 3339) and that the
    /// endpoint's filter lets through is queued again.
    #[schema(example = "2026-12-05T08:00:00Z")]
    pub since: String,
}

/// How many deliveries were queued or requeued.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Queued {
    pub queued: usize,
}

/// Queues again, for the endpoint `id`, every event since `since` that its filter lets
/// through (logged as done by `actor`); answers how many. 422 when `since` lies in the
/// future (at `/since`), 404 when there is no such endpoint.
pub async fn replay_since(state: &AppState, id: Uuid, since: DateTime<Utc>, actor: &str) -> Result<usize, ApiError> {
    if since > Utc::now() {
        return Err(field("/since", "since lies in the future"));
    }
    let queued = state
        .db
        .run(move |conn| {
            conn.write_transaction(|c| -> Result<Option<usize>, crate::storage::StorageError> {
                let Some(endpoint) = crate::storage::event_endpoints::get(c, id)? else { return Ok(None) };
                crate::storage::report_events::replay(c, &endpoint, since).map(Some)
            })
        })
        .await?
        .ok_or_else(|| not_found(id))?;
    tracing::info!(endpoint_id = %id, actor, queued, "report events replayed");
    Ok(queued)
}

/// Queues again every event since a point in time for the endpoint, oldest first, marked
/// `replay: true`; per report they come after what is already queued.
#[utoipa::path(
    tag = "admin",
    security(("bearer" = []), ("admin_token" = [])),
    params(("id" = Uuid, Path, description = "Endpoint id")),
    request_body(content = ReplayRequest, content_type = "application/json"),
    responses(
        (status = 202, description = "Queued", body = Queued),
        (status = 404, description = "No such endpoint", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`since` is not an RFC 3339 time, or lies in the future", body = Problem, content_type = "application/problem+json"),
        JsonBodyErrors,
        Unavailable,
        AdminErrors,
    )
)]
#[post("/api/v1/admin/event-endpoints/{id}/replay")]
pub async fn replay(
    admin: AdminAccess,
    path: web::Path<Uuid>,
    request: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    let body = read_json(&request, payload, state.max_body_bytes).await?;
    let input: ReplayRequest = parse(body.value)?;
    let since = DateTime::parse_from_rfc3339(input.since.trim())
        .map_err(|_| field("/since", "since must be an RFC 3339 time, e.g. 2026-12-05T08:00:00Z"))?
        .with_timezone(&Utc);
    let queued = replay_since(&state, id, since, admin.actor()).await?;
    Ok(HttpResponse::Accepted().json(Queued { queued }))
}

/// Puts the dead deliveries of endpoint `id` back in the queue; answers how many. 404 when
/// there is no such endpoint.
pub async fn requeue_dead(state: &AppState, id: Uuid) -> Result<usize, ApiError> {
    exists(state, id).await?;
    Ok(state.db.run(move |conn| event_delivery_log::requeue(conn, id, None, Utc::now())).await?)
}

/// Puts the endpoint's dead deliveries back in the queue: pending, no attempts, due now
/// (the later events of their reports follow them in order).
#[utoipa::path(
    tag = "admin",
    security(("bearer" = []), ("admin_token" = [])),
    params(("id" = Uuid, Path, description = "Endpoint id")),
    responses(
        (status = 200, description = "Requeued", body = Queued),
        (status = 404, description = "No such endpoint", body = Problem, content_type = "application/problem+json"),
        Unavailable,
        AdminErrors,
    )
)]
#[post("/api/v1/admin/event-endpoints/{id}/requeue")]
pub async fn requeue(
    _admin: AdminAccess,
    path: web::Path<Uuid>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(Queued { queued: requeue_dead(&state, path.into_inner()).await? }))
}
