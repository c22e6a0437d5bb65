//! Announcements for staff (admins and coordinators): write, schedule, publish, withdraw,
//! close the quick question, and see delivery counts and results.

use actix_web::{HttpRequest, HttpResponse, get, patch, post, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::api::access::AnnouncementEditor;
use crate::api::body::{parse, read_json};
use crate::api::error::{ApiError, Problem};
use crate::api::public::subscriptions::check_targets;
use crate::api::responses::Unavailable;
use crate::api::state::AppState;
use crate::domain::announcement::{Announcement, TextDraft, check_text};
use crate::domain::subscription::{self};
use crate::domain::validation::FieldErrors;
use crate::storage::announcements::{AnnouncementContent, Published};

use crate::api::public::announcements::{QuestionInput, QuestionResults, load_results, question_of};

/// A new announcement (a draft), or for PATCH the fields to change.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AnnouncementRequest {
    /// Title (1-200 characters).
    pub title: Option<String>,
    /// Text (1-5000 characters).
    pub body: Option<String>,
    /// Buurt, wijk or gemeente codes.
    #[schema(example = json!(["WK091710"]))]
    pub areas: Option<Vec<String>>,
    /// A GeoJSON Polygon or MultiPolygon.
    #[schema(value_type = Option<Object>)]
    pub polygon: Option<serde_json::Value>,
    /// Tags, e.g. `roadworks`, `event`, `safety`.
    pub tags: Option<Vec<String>>,
    /// Start of validity (RFC 3339).
    pub valid_from: Option<DateTime<Utc>>,
    /// End of validity (RFC 3339); also closes the question.
    pub valid_until: Option<DateTime<Utc>>,
    /// An optional quick question.
    pub question: Option<QuestionInput>,
}

/// Publish now or at a time.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PublishRequest {
    /// When to publish (RFC 3339); absent or past: now.
    pub at: Option<DateTime<Utc>>,
}

/// An announcement as staff see it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct StaffAnnouncementView {
    pub id: Uuid,
    /// `draft`, `scheduled`, `published` or `withdrawn`.
    pub status: String,
    pub title: String,
    /// Text.
    pub body: String,
    /// Area codes as given.
    pub areas: Vec<String>,
    /// The polygon as given.
    #[schema(value_type = Option<Object>)]
    pub polygon: Option<serde_json::Value>,
    /// The finest area codes covered.
    pub covered_areas: Vec<String>,
    pub tags: Vec<String>,
    /// Validity start.
    pub valid_from: Option<DateTime<Utc>>,
    /// Validity end.
    pub valid_until: Option<DateTime<Utc>>,
    /// The quick question.
    pub question: Option<QuestionInput>,
    /// When the question was closed by staff.
    pub question_closed_at: Option<DateTime<Utc>>,
    /// Scheduled publication.
    pub publish_at: Option<DateTime<Utc>>,
    /// Published.
    pub published_at: Option<DateTime<Utc>>,
    /// Withdrawn.
    pub withdrawn_at: Option<DateTime<Utc>>,
    /// Who wrote it (`staff:<account id>` or `admin`).
    pub created_by: String,
    /// Created.
    pub created_at: DateTime<Utc>,
}

/// Deliveries of one channel in one state.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct DeliveryCount {
    /// `email`, `webhook` or `push`.
    pub channel: String,
    /// `pending`, `sent`, `dead` or `cancelled`.
    pub state: String,
    /// How many.
    pub count: i64,
}

/// What publishing or withdrawing did.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct StateChange {
    /// The new status.
    pub status: String,
    /// Deliveries queued (publish) or cancelled (withdraw).
    pub deliveries: usize,
}

fn staff_view(row: Announcement, cells: Vec<String>) -> StaffAnnouncementView {
    StaffAnnouncementView {
        id: row.id,
        question: question_of(&row),
        tags: row.tags,
        areas: row.areas,
        polygon: row.polygon,
        covered_areas: cells,
        status: row.status.as_str().to_owned(),
        title: row.title,
        body: row.body,
        valid_from: row.valid_from,
        valid_until: row.valid_until,
        question_closed_at: row.question_closed_at,
        publish_at: row.publish_at,
        published_at: row.published_at,
        withdrawn_at: row.withdrawn_at,
        created_by: row.created_by,
        created_at: row.created_at,
    }
}

/// Checks a complete announcement (a new one, or an old one with a patch applied): its
/// text by the domain's rules, its targets as subscriptions' are.
pub fn content(state: &AppState, input: &AnnouncementRequest) -> Result<AnnouncementContent, ApiError> {
    let snapshot = state.config.snapshot();
    let mut errors = FieldErrors::default();
    let draft = TextDraft {
        title: input.title.as_deref(),
        body: input.body.as_deref(),
        tags: input.tags.as_deref().unwrap_or_default(),
        valid_from: input.valid_from,
        valid_until: input.valid_until,
        question: input.question.as_ref().map(|q| (q.text.as_str(), q.options.as_slice())),
    };
    let areas = input.areas.clone().unwrap_or_default();
    let checked = check_text(&draft, &mut errors, |errors| {
        check_targets(&snapshot.areas, &areas, None, input.polygon.as_ref(), errors)
    });
    let (Some((text, (targets, _))), true) = (checked, errors.is_empty()) else {
        return Err(ApiError::Validation(errors.finish(|| None::<()>).err().unwrap_or_default()));
    };
    let cells = subscription::cells(&snapshot.areas, &targets);
    Ok(AnnouncementContent {
        title: text.title,
        body: text.body,
        areas: targets.areas,
        polygon: input.polygon.clone(),
        tags: text.tags,
        valid_from: input.valid_from,
        valid_until: input.valid_until,
        question: text.question,
        cells,
    })
}

/// One announcement as staff see it, or 404.
pub async fn load_staff_view(state: &AppState, id: Uuid) -> Result<StaffAnnouncementView, ApiError> {
    let (row, cells) = state
        .db
        .run(move |conn| -> Result<_, crate::storage::StorageError> {
            Ok((crate::storage::announcements::get(conn, id)?, crate::storage::announcements::cells(conn, id)?))
        })
        .await?;
    let row = row.ok_or_else(|| ApiError::NotFound("no announcement has this id".into()))?;
    Ok(staff_view(row, cells))
}

/// Checks and stores a new draft written by `actor`; answers its id.
pub async fn create(state: &AppState, input: &AnnouncementRequest, actor: &str) -> Result<Uuid, ApiError> {
    let content = content(state, input)?;
    let id = Uuid::now_v7();
    let actor = actor.to_owned();
    state.db.run(move |conn| crate::storage::announcements::create(conn, id, &content, &actor)).await?;
    Ok(id)
}

/// Changes a draft or scheduled announcement: fields absent from `patch` stay as they are.
pub async fn update(state: &AppState, id: Uuid, patch: AnnouncementRequest) -> Result<(), ApiError> {
    let current = load_staff_view(state, id).await?;
    let merged = AnnouncementRequest {
        title: patch.title.or(Some(current.title)),
        body: patch.body.or(Some(current.body)),
        areas: patch.areas.or(Some(current.areas)),
        polygon: patch.polygon.or(current.polygon),
        tags: patch.tags.or(Some(current.tags)),
        valid_from: patch.valid_from.or(current.valid_from),
        valid_until: patch.valid_until.or(current.valid_until),
        question: patch.question.or(current.question),
    };
    let content = content(state, &merged)?;
    state.db.run(move |conn| crate::storage::announcements::update(conn, id, &content)).await?;
    Ok(())
}

/// Publishes announcement `id` now (fan-out in the same transaction) or schedules it for
/// `at` when that lies in the future; `actor` goes to the log.
pub async fn publish(
    state: &AppState,
    id: Uuid,
    at: Option<DateTime<Utc>>,
    actor: &str,
) -> Result<StateChange, ApiError> {
    let published = state.db.run(move |conn| crate::storage::announcements::publish(conn, id, at, Utc::now())).await?;
    Ok(match published {
        Published::Now(deliveries) => {
            tracing::info!(announcement_id = %id, deliveries, actor, "announcement published");
            StateChange { status: "published".into(), deliveries }
        }
        Published::Scheduled => StateChange { status: "scheduled".into(), deliveries: 0 },
    })
}

/// Withdraws announcement `id`: pending deliveries are cancelled.
pub async fn withdraw(state: &AppState, id: Uuid) -> Result<StateChange, ApiError> {
    let cancelled = state.db.run(move |conn| crate::storage::announcements::withdraw(conn, id)).await?;
    Ok(StateChange { status: "withdrawn".into(), deliveries: cancelled })
}

/// Delivery counts of announcement `id` per channel and state, or 404.
pub async fn delivery_counts(state: &AppState, id: Uuid) -> Result<Vec<DeliveryCount>, ApiError> {
    let (exists, counts) = state
        .db
        .run(move |conn| -> Result<_, crate::storage::StorageError> {
            Ok((
                crate::storage::announcements::get(conn, id)?.is_some(),
                crate::storage::announcements::delivery_counts(conn, id)?,
            ))
        })
        .await?;
    if !exists {
        return Err(ApiError::NotFound("no announcement has this id".into()));
    }
    Ok(counts.into_iter().map(|(channel, state, count)| DeliveryCount { channel, state, count }).collect())
}

/// Every announcement as staff see it, newest first (at most 500).
pub async fn list_views(state: &AppState) -> Result<Vec<StaffAnnouncementView>, ApiError> {
    let rows = state.db.run(move |conn| crate::storage::announcements::list(conn, 500)).await?;
    Ok(rows.into_iter().map(|r| staff_view(r, Vec::new())).collect())
}

/// Creates a draft announcement (admins and coordinators).
#[utoipa::path(
    tag = "announcements",
    security(("bearer" = [])),
    request_body(content = AnnouncementRequest, content_type = "application/json"),
    responses(
        (status = 201, description = "The draft", body = StaffAnnouncementView),
        (status = 400, description = "The body is not JSON", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The role may not write announcements", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "The body is not application/json", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields", body = Problem, content_type = "application/problem+json"),
        Unavailable,
    )
)]
#[post("/api/v1/staff/announcements")]
pub async fn create_announcement(
    editor: AnnouncementEditor,
    request: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let body = read_json(&request, payload, state.max_body_bytes).await?;
    let input: AnnouncementRequest = parse(body.value)?;
    let id = create(&state, &input, editor.actor()).await?;
    let view = load_staff_view(&state, id).await?;
    Ok(HttpResponse::Created().insert_header(("Location", format!("/api/v1/staff/announcements/{id}"))).json(view))
}

/// Every announcement, newest first (at most 500).
#[utoipa::path(
    tag = "announcements",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The announcements", body = Vec<StaffAnnouncementView>),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The role may not write announcements", body = Problem, content_type = "application/problem+json"),
        Unavailable,
    )
)]
#[get("/api/v1/staff/announcements")]
pub async fn list_announcements(
    _editor: AnnouncementEditor,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(list_views(&state).await?))
}

/// One announcement.
#[utoipa::path(
    tag = "announcements",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Announcement id")),
    responses(
        (status = 200, description = "The announcement", body = StaffAnnouncementView),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The role may not write announcements", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such announcement", body = Problem, content_type = "application/problem+json"),
        Unavailable,
    )
)]
#[get("/api/v1/staff/announcements/{id}")]
pub async fn get_announcement(
    _editor: AnnouncementEditor,
    path: web::Path<Uuid>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(load_staff_view(&state, path.into_inner()).await?))
}

/// Changes a draft or scheduled announcement; absent fields stay as they are.
#[utoipa::path(
    tag = "announcements",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Announcement id")),
    request_body(content = AnnouncementRequest, content_type = "application/json"),
    responses(
        (status = 200, description = "Changed", body = StaffAnnouncementView),
        (status = 400, description = "The body is not JSON", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The role may not write announcements", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such announcement", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Already published or withdrawn", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "The body is not application/json", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields", body = Problem, content_type = "application/problem+json"),
        Unavailable,
    )
)]
#[patch("/api/v1/staff/announcements/{id}")]
pub async fn update_announcement(
    _editor: AnnouncementEditor,
    request: HttpRequest,
    payload: web::Payload,
    path: web::Path<Uuid>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    let body = read_json(&request, payload, state.max_body_bytes).await?;
    let patch: AnnouncementRequest = parse(body.value)?;
    update(&state, id, patch).await?;
    Ok(HttpResponse::Ok().json(load_staff_view(&state, id).await?))
}

/// Publishes an announcement now (fanning out to every matching confirmed subscription in
/// the same transaction, once per subscription), or schedules it for `at`.
#[utoipa::path(
    tag = "announcements",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Announcement id")),
    request_body(content = Option<PublishRequest>, content_type = "application/json", description = "Optional: {\"at\": time} to schedule"),
    responses(
        (status = 200, description = "Published (with the number of deliveries queued) or scheduled", body = StateChange),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The role may not publish announcements", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such announcement", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Already published or withdrawn", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields (`at`), or unknown ones", body = Problem, content_type = "application/problem+json"),
        crate::api::responses::JsonBodyErrors,
        Unavailable,
    )
)]
#[post("/api/v1/staff/announcements/{id}/publish")]
pub async fn publish_announcement(
    editor: AnnouncementEditor,
    request: HttpRequest,
    payload: web::Payload,
    path: web::Path<Uuid>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    let has_body = request.headers().get("content-length").and_then(|v| v.to_str().ok()).is_some_and(|v| v != "0");
    let input: PublishRequest = if has_body {
        parse(read_json(&request, payload, state.max_body_bytes).await?.value)?
    } else {
        PublishRequest::default()
    };
    Ok(HttpResponse::Ok().json(publish(&state, id, input.at, editor.actor()).await?))
}

/// Withdraws an announcement: it disappears from public reading and pending deliveries are
/// cancelled.
#[utoipa::path(
    tag = "announcements",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Announcement id")),
    responses(
        (status = 200, description = "Withdrawn, with the number of deliveries cancelled", body = StateChange),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The role may not withdraw announcements", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such announcement", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Already withdrawn", body = Problem, content_type = "application/problem+json"),
        Unavailable,
    )
)]
#[post("/api/v1/staff/announcements/{id}/withdraw")]
pub async fn withdraw_announcement(
    _editor: AnnouncementEditor,
    path: web::Path<Uuid>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(withdraw(&state, path.into_inner()).await?))
}

/// Closes the quick question: no more answers or changes.
#[utoipa::path(
    tag = "announcements",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Announcement id")),
    responses(
        (status = 204, description = "Closed"),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The role may not change announcements", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such announcement", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The announcement has no question", body = Problem, content_type = "application/problem+json"),
        Unavailable,
    )
)]
#[post("/api/v1/staff/announcements/{id}/close-question")]
pub async fn close_question(
    _editor: AnnouncementEditor,
    path: web::Path<Uuid>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    state.db.run(move |conn| crate::storage::announcements::close_question(conn, id)).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Delivery status of an announcement: counts per channel and state (no addresses).
#[utoipa::path(
    tag = "announcements",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Announcement id")),
    responses(
        (status = 200, description = "Counts per channel and state", body = Vec<DeliveryCount>),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The role may not see announcements", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such announcement", body = Problem, content_type = "application/problem+json"),
        Unavailable,
    )
)]
#[get("/api/v1/staff/announcements/{id}/deliveries")]
pub async fn announcement_deliveries(
    _editor: AnnouncementEditor,
    path: web::Path<Uuid>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(delivery_counts(&state, path.into_inner()).await?))
}

/// Results of an announcement's quick question for staff (same small-count rule).
#[utoipa::path(
    tag = "announcements",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Announcement id")),
    responses(
        (status = 200, description = "Results per area", body = QuestionResults),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The role may not see announcements", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No announcement with a question", body = Problem, content_type = "application/problem+json"),
        Unavailable,
    )
)]
#[get("/api/v1/staff/announcements/{id}/results")]
pub async fn staff_results(
    _editor: AnnouncementEditor,
    path: web::Path<Uuid>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(load_results(&state, path.into_inner(), false).await?))
}
