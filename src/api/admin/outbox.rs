//! Dead letters (admins only): outbox messages and announcement deliveries that were given
//! up or keep failing, listed without addresses (channel, template, attempts, the class of
//! the last failure, age, the report or announcement), and putting dead ones back in the
//! queue, one or all. The error text itself is not shown: an SMTP server's answer may hold
//! the recipient's address.

use actix_web::{HttpResponse, get, post, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::api::access::AdminAccess;
use crate::api::error::{ApiError, Problem};
use crate::api::responses::{AdminErrors, Unavailable};
use crate::api::state::AppState;
use crate::domain::validation::FieldError;
use crate::storage::dead_letters::{self, DeliveryKey, DeliveryLetter, MessageLetter, Which};

/// An outbox message that was given up or keeps failing, without its recipient or body.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct MessageLetterView {
    /// The message.
    pub id: Uuid,
    /// `email`, `webhook` or `push`.
    pub channel: String,
    /// What it is: `confirmation`, `status_changed`, `subscription_confirm`, …
    pub template: String,
    /// `dead` (given up) or `pending` (failing, will be retried).
    pub status: String,
    /// Failed attempts.
    pub attempts: i32,
    /// The kind of the last failure, a fixed word: `mail_refused`, `mail_unreachable`,
    /// `mail_tls`, `mail_recipient`, `mail_setup`, `webhook_status`, `webhook_unreachable`,
    /// `webhook_challenge`, `push_failed`, `push_gone`, `push_endpoint`,
    /// `push_not_configured`, `template`, `unreadable`, `internal`, `no_subscription`, or
    /// `unknown` (failed before classes were recorded).
    #[schema(example = "mail_refused")]
    pub last_error_class: String,
    /// When it was queued.
    pub created_at: DateTime<Utc>,
    /// Seconds since it was queued.
    pub age_seconds: i64,
    /// The next attempt of a failing message (absent when dead).
    pub next_attempt_at: Option<DateTime<Utc>>,
    /// The report it is about (emails to reporters).
    pub report_id: Option<Uuid>,
}

impl MessageLetterView {
    fn new(letter: MessageLetter, now: DateTime<Utc>) -> Self {
        MessageLetterView {
            id: letter.id,
            channel: letter.channel,
            template: letter.template,
            status: letter.status,
            attempts: letter.attempts,
            last_error_class: letter.error_class.unwrap_or_else(|| "unknown".into()),
            age_seconds: (now - letter.created_at).num_seconds().max(0),
            created_at: letter.created_at,
            next_attempt_at: letter.next_attempt_at,
            report_id: letter.report_id,
        }
    }
}

/// An announcement delivery that was given up or keeps failing, without its subscriber.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct DeliveryLetterView {
    /// The delivery, for requeueing: `{announcement number}-{subscription number}`.
    #[schema(example = "12-3456")]
    pub id: String,
    /// The announcement (absent if it is gone).
    pub announcement_id: Option<Uuid>,
    /// `email`, `webhook` or `push`.
    pub channel: String,
    /// `dead` or `pending` (failing).
    pub status: String,
    /// Failed attempts.
    pub attempts: i32,
    /// The kind of the last failure (see the outbox messages).
    pub last_error_class: String,
    /// Seconds since the announcement was published (absent when unknown).
    pub age_seconds: Option<i64>,
    /// The next attempt of a failing delivery.
    pub next_attempt_at: Option<DateTime<Utc>>,
}

impl DeliveryLetterView {
    fn new(letter: DeliveryLetter, now: DateTime<Utc>) -> Self {
        DeliveryLetterView {
            id: delivery_id(letter.key),
            announcement_id: letter.announcement_id,
            channel: letter.channel,
            status: letter.status,
            attempts: letter.attempts,
            last_error_class: letter.error_class.unwrap_or_else(|| "unknown".into()),
            age_seconds: letter.published_at.map(|at| (now - at).num_seconds().max(0)),
            next_attempt_at: letter.next_attempt_at,
        }
    }
}

fn delivery_id((announcement, subscription): DeliveryKey) -> String {
    format!("{announcement}-{subscription}")
}

fn parse_delivery_id(text: &str) -> Option<DeliveryKey> {
    let (announcement, subscription) = text.split_once('-')?;
    Some((announcement.parse().ok()?, subscription.parse().ok()?))
}

/// A page of outbox messages.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct MessageLetterPage {
    /// The messages, in the order they were queued.
    pub items: Vec<MessageLetterView>,
    /// Pass as `after` for the next page; absent on the last page.
    pub next_after: Option<String>,
}

/// A page of announcement deliveries.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct DeliveryLetterPage {
    /// The deliveries, by announcement and subscription.
    pub items: Vec<DeliveryLetterView>,
    /// Pass as `after` for the next page; absent on the last page.
    pub next_after: Option<String>,
}

/// Which letters, and which page.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct LetterQuery {
    /// `dead` (given up; the default) or `failing` (pending after at least one failure).
    pub state: Option<String>,
    /// At most this many (1-500, default 100).
    pub limit: Option<i64>,
    /// Start after this one: the `next_after` of the previous page.
    pub after: Option<String>,
}

fn which(state: Option<&str>) -> Result<Which, ApiError> {
    match state.unwrap_or("dead") {
        "dead" => Ok(Which::Dead),
        "failing" => Ok(Which::Failing),
        _ => Err(field("/state", "state must be dead or failing")),
    }
}

fn field(pointer: &str, detail: &str) -> ApiError {
    ApiError::Validation(vec![FieldError { pointer: pointer.into(), detail: detail.into() }])
}

/// Lists outbox messages (reporter emails and subscriber messages) that were given up or
/// keep failing, without addresses (admins, or the configured admin token).
#[utoipa::path(
    tag = "admin",
    security(("bearer" = []), ("admin_token" = [])),
    params(LetterQuery),
    responses(
        (status = 200, description = "A page of messages", body = MessageLetterPage),
        (status = 422, description = "A bad state, limit or after, named by JSON Pointer", body = Problem, content_type = "application/problem+json"),
        Unavailable,
        crate::api::responses::QueryErrors,
        AdminErrors,
    )
)]
#[get("/api/v1/admin/outbox/messages")]
pub async fn list_messages(
    _admin: AdminAccess,
    query: web::Query<LetterQuery>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let query = query.into_inner();
    let which = which(query.state.as_deref())?;
    let limit = query.limit.unwrap_or(100).clamp(1, 500);
    let after = match query.after.as_deref() {
        Some(text) => Some(Uuid::parse_str(text).map_err(|_| field("/after", "after must be a message id"))?),
        None => None,
    };
    let letters = state.db.run(move |conn| dead_letters::list_messages(conn, which, after, limit)).await?;
    let now = Utc::now();
    let next_after =
        (i64::try_from(letters.len()).ok() == Some(limit)).then(|| letters.last().map(|l| l.id.to_string())).flatten();
    let items = letters.into_iter().map(|l| MessageLetterView::new(l, now)).collect();
    Ok(HttpResponse::Ok().json(MessageLetterPage { items, next_after }))
}

/// Lists announcement deliveries that were given up or keep failing, without subscribers
/// (admins, or the configured admin token).
#[utoipa::path(
    tag = "admin",
    security(("bearer" = []), ("admin_token" = [])),
    params(LetterQuery),
    responses(
        (status = 200, description = "A page of deliveries", body = DeliveryLetterPage),
        (status = 422, description = "A bad state, limit or after, named by JSON Pointer", body = Problem, content_type = "application/problem+json"),
        Unavailable,
        crate::api::responses::QueryErrors,
        AdminErrors,
    )
)]
#[get("/api/v1/admin/outbox/deliveries")]
pub async fn list_deliveries(
    _admin: AdminAccess,
    query: web::Query<LetterQuery>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let query = query.into_inner();
    let which = which(query.state.as_deref())?;
    let limit = query.limit.unwrap_or(100).clamp(1, 500);
    let after = match query.after.as_deref() {
        Some(text) => Some(parse_delivery_id(text).ok_or_else(|| field("/after", "after must be a delivery id"))?),
        None => None,
    };
    let letters = state.db.run(move |conn| dead_letters::list_deliveries(conn, which, after, limit)).await?;
    let now = Utc::now();
    let next_after = (i64::try_from(letters.len()).ok() == Some(limit))
        .then(|| letters.last().map(|l| delivery_id(l.key)))
        .flatten();
    let items = letters.into_iter().map(|l| DeliveryLetterView::new(l, now)).collect();
    Ok(HttpResponse::Ok().json(DeliveryLetterPage { items, next_after }))
}

/// How many were put back in the queue.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Requeued {
    /// Messages or deliveries now pending again, due at once, with no attempts.
    pub requeued: usize,
}

/// Puts one dead outbox message back in the queue: pending, no attempts, due now.
#[utoipa::path(
    tag = "admin",
    security(("bearer" = []), ("admin_token" = [])),
    params(("id" = Uuid, Path, description = "The message")),
    responses(
        (status = 200, description = "Requeued", body = Requeued),
        (status = 404, description = "No dead message has this id (or its recipient was erased)", body = Problem, content_type = "application/problem+json"),
        Unavailable,
        AdminErrors,
    )
)]
#[post("/api/v1/admin/outbox/messages/{id}/requeue")]
pub async fn requeue_message(
    _admin: AdminAccess,
    id: web::Path<Uuid>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let requeued = state.db.run(move |conn| dead_letters::requeue_messages(conn, Some(id), Utc::now())).await?;
    if requeued == 0 {
        return Err(ApiError::NotFound("no dead message has this id (or its recipient was erased)".into()));
    }
    Ok(HttpResponse::Ok().json(Requeued { requeued }))
}

/// Puts every dead outbox message back in the queue (those whose recipient was erased stay).
#[utoipa::path(
    tag = "admin",
    security(("bearer" = []), ("admin_token" = [])),
    responses((status = 200, description = "Requeued", body = Requeued), Unavailable, AdminErrors)
)]
#[post("/api/v1/admin/outbox/messages/requeue")]
pub async fn requeue_messages(_admin: AdminAccess, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let requeued = state.db.run(|conn| dead_letters::requeue_messages(conn, None, Utc::now())).await?;
    Ok(HttpResponse::Ok().json(Requeued { requeued }))
}

/// Puts one dead announcement delivery back in the queue.
#[utoipa::path(
    tag = "admin",
    security(("bearer" = []), ("admin_token" = [])),
    params(("id" = String, Path, description = "The delivery, as listed: `{announcement number}-{subscription number}`")),
    responses(
        (status = 200, description = "Requeued", body = Requeued),
        (status = 404, description = "No dead delivery has this id", body = Problem, content_type = "application/problem+json"),
        Unavailable,
        AdminErrors,
    )
)]
#[post("/api/v1/admin/outbox/deliveries/{id}/requeue")]
pub async fn requeue_delivery(
    _admin: AdminAccess,
    id: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let not_found = || ApiError::NotFound("no dead delivery has this id".into());
    let key = parse_delivery_id(&id).ok_or_else(not_found)?;
    let requeued = state.db.run(move |conn| dead_letters::requeue_deliveries(conn, Some(key), Utc::now())).await?;
    if requeued == 0 {
        return Err(not_found());
    }
    Ok(HttpResponse::Ok().json(Requeued { requeued }))
}

/// Puts every dead announcement delivery back in the queue.
#[utoipa::path(
    tag = "admin",
    security(("bearer" = []), ("admin_token" = [])),
    responses((status = 200, description = "Requeued", body = Requeued), Unavailable, AdminErrors)
)]
#[post("/api/v1/admin/outbox/deliveries/requeue")]
pub async fn requeue_deliveries(_admin: AdminAccess, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let requeued = state.db.run(|conn| dead_letters::requeue_deliveries(conn, None, Utc::now())).await?;
    Ok(HttpResponse::Ok().json(Requeued { requeued }))
}
