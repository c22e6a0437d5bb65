//! Announcements: staff write, schedule, publish and withdraw them (admins and
//! coordinators) and see delivery counts; residents read the current ones for a place, as
//! JSON, Atom (RFC 4287) or iCalendar (RFC 5545), answer quick questions with one-tap links,
//! and see results per area with small counts hidden.

use std::collections::BTreeMap;

use actix_web::{HttpRequest, HttpResponse, get, patch, post, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::api::access::AnnouncementEditor;
use crate::api::body::{parse, read_json};
use crate::api::error::{ApiError, Problem};
use crate::api::public::subscriptions::{check_targets, confirm_page, html_escape, page, record_answer};
use crate::api::state::AppState;
use crate::domain::announcement::{Announcement, AnnouncementStatus};
use crate::domain::subscription::{self, Targets};
use crate::domain::validation::{FieldErrors, bounded_text};
use crate::storage::announcements::{AnnouncementContent, Published, StateError};

/// Counts below this are shown as "fewer than 5".
pub const SMALL_COUNT: i64 = 5;

/// A quick question.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct QuestionInput {
    /// The question (1-300 characters).
    pub text: String,
    /// 2 to 6 answer options (1-100 characters each).
    pub options: Vec<String>,
}

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
    /// Id.
    pub id: Uuid,
    /// `draft`, `scheduled`, `published` or `withdrawn`.
    pub status: String,
    /// Title.
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
    /// Tags.
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

/// An announcement as the public sees it (no author).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct PublicAnnouncement {
    /// Id.
    pub id: Uuid,
    /// Title.
    pub title: String,
    /// Text.
    pub body: String,
    /// Area codes as given.
    pub areas: Vec<String>,
    /// Tags.
    pub tags: Vec<String>,
    /// Validity start.
    pub valid_from: Option<DateTime<Utc>>,
    /// Validity end.
    pub valid_until: Option<DateTime<Utc>>,
    /// Published.
    pub published_at: Option<DateTime<Utc>>,
    /// The quick question, if any.
    pub question: Option<QuestionInput>,
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

/// One option's count in one area.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct OptionCount {
    /// Option number (0-based).
    pub option: usize,
    /// Option text.
    pub text: String,
    /// The count, absent when fewer than 5.
    pub count: Option<i64>,
    /// The count as text: the number, or "fewer than 5".
    pub display: String,
}

/// Results of one area.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct AreaResult {
    /// The area (buurt code where known; else wijk or gemeente).
    pub area: String,
    /// Per option.
    pub options: Vec<OptionCount>,
}

/// Results of a quick question. Counts below 5 are never shown; totals add up only the
/// shown counts, so a hidden count cannot be derived from them.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct QuestionResults {
    /// The question.
    pub question: String,
    /// Whether answers are still taken.
    pub open: bool,
    /// Per area: every area the announcement covers, and any other area answers came from.
    pub areas: Vec<AreaResult>,
    /// Per option: the sum of the shown (not hidden) area counts.
    pub totals_of_shown_counts: Vec<OptionCount>,
}

fn state_error(error: StateError) -> ApiError {
    match error {
        StateError::NotFound => ApiError::NotFound("no announcement has this id".into()),
        StateError::WrongState(status) => {
            ApiError::Conflict(format!("the announcement is {status}; this is not possible in that state"))
        }
        StateError::Storage(error) => error.into(),
    }
}

fn question_of(row: &Announcement) -> Option<QuestionInput> {
    row.question.as_ref().map(|q| QuestionInput { text: q.text.clone(), options: q.options.clone() })
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

fn public_view(row: &Announcement) -> PublicAnnouncement {
    PublicAnnouncement {
        id: row.id,
        title: row.title.clone(),
        body: row.body.clone(),
        areas: row.areas.clone(),
        tags: row.tags.clone(),
        valid_from: row.valid_from,
        valid_until: row.valid_until,
        published_at: row.published_at,
        question: question_of(row),
    }
}

/// Validates a complete announcement (a new one, or an old one with a patch applied).
fn content(state: &AppState, input: &AnnouncementRequest) -> Result<AnnouncementContent, ApiError> {
    let snapshot = state.config.snapshot();
    let mut errors = FieldErrors::default();
    let title = match &input.title {
        Some(title) => errors.check("/title", bounded_text(title, "the title", 200)),
        None => {
            errors.add("/title", "a title is required (1-200 characters)");
            None
        }
    };
    let body = match &input.body {
        Some(body) => errors.check("/body", bounded_text(body, "the text", 5000)),
        None => {
            errors.add("/body", "a body text is required (1-5000 characters)");
            None
        }
    };
    let areas = input.areas.clone().unwrap_or_default();
    let targets = check_targets(&snapshot.areas, &areas, None, input.polygon.as_ref(), &mut errors);
    let tags = errors.check("/tags", subscription::check_tags(input.tags.as_deref().unwrap_or_default()));
    if let (Some(from), Some(until)) = (input.valid_from, input.valid_until)
        && until <= from
    {
        errors.add("/valid_until", "valid_until must lie after valid_from");
    }
    let question = match &input.question {
        None => Some(None),
        Some(q) => {
            let text = errors.check("/question/text", bounded_text(&q.text, "the question", 300));
            if !(2..=6).contains(&q.options.len()) {
                errors.add("/question/options", "give 2 to 6 answer options");
            }
            let options: Vec<Option<String>> = q
                .options
                .iter()
                .enumerate()
                .map(|(i, o)| errors.check(&format!("/question/options/{i}"), bounded_text(o, "an option", 100)))
                .collect();
            text.zip(options.into_iter().collect::<Option<Vec<String>>>()).map(Some)
        }
    };
    let (Some(title), Some(body), Some((targets, _)), Some(tags), Some(question), true) =
        (title, body, targets, tags, question, errors.is_empty())
    else {
        return Err(ApiError::Validation(errors.finish(|| None::<()>).err().unwrap_or_default()));
    };
    let cells = subscription::cells(&snapshot.areas, &targets);
    Ok(AnnouncementContent {
        title,
        body,
        areas: targets.areas,
        polygon: input.polygon.clone(),
        tags,
        valid_from: input.valid_from,
        valid_until: input.valid_until,
        question,
        cells,
    })
}

async fn load_staff_view(state: &AppState, id: Uuid) -> Result<StaffAnnouncementView, ApiError> {
    let db = state.db.clone();
    let (row, cells) = web::block(move || -> Result<_, crate::storage::StorageError> {
        let mut conn = db.conn()?;
        Ok((crate::storage::announcements::get(&mut conn, id)?, crate::storage::announcements::cells(&mut conn, id)?))
    })
    .await??;
    let row = row.ok_or_else(|| ApiError::NotFound("no announcement has this id".into()))?;
    Ok(staff_view(row, cells))
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
        (status = 503, description = "The database is unreachable", body = Problem, content_type = "application/problem+json"),
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
    let content = content(&state, &input)?;
    let id = Uuid::now_v7();
    let db = state.db.clone();
    let actor = editor.actor().to_owned();
    web::block(move || crate::storage::announcements::create(&mut *db.conn()?, id, &content, &actor)).await??;
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
        (status = 503, description = "The database is unreachable", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/api/v1/staff/announcements")]
pub async fn list_announcements(
    _editor: AnnouncementEditor,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let db = state.db.clone();
    let rows = web::block(move || crate::storage::announcements::list(&mut *db.conn()?, 500)).await??;
    Ok(HttpResponse::Ok().json(rows.into_iter().map(|r| staff_view(r, Vec::new())).collect::<Vec<_>>()))
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
        (status = 503, description = "The database is unreachable", body = Problem, content_type = "application/problem+json"),
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
        (status = 503, description = "The database is unreachable", body = Problem, content_type = "application/problem+json"),
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
    let current = load_staff_view(&state, id).await?;
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
    let content = content(&state, &merged)?;
    let db = state.db.clone();
    web::block(move || -> Result<(), StateError> {
        let mut conn = db.conn().map_err(StateError::Storage)?;
        crate::storage::announcements::update(&mut conn, id, &content)
    })
    .await?
    .map_err(state_error)?;
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
        (status = 503, description = "The database is unreachable", body = Problem, content_type = "application/problem+json"),
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
    let db = state.db.clone();
    let published = web::block(move || -> Result<Published, StateError> {
        let mut conn = db.conn().map_err(StateError::Storage)?;
        crate::storage::announcements::publish(&mut conn, id, input.at, Utc::now())
    })
    .await?
    .map_err(state_error)?;
    let change = match published {
        Published::Now(deliveries) => {
            tracing::info!(announcement_id = %id, deliveries, actor = editor.actor(), "announcement published");
            StateChange { status: "published".into(), deliveries }
        }
        Published::Scheduled => StateChange { status: "scheduled".into(), deliveries: 0 },
    };
    Ok(HttpResponse::Ok().json(change))
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
        (status = 503, description = "The database is unreachable", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/api/v1/staff/announcements/{id}/withdraw")]
pub async fn withdraw_announcement(
    _editor: AnnouncementEditor,
    path: web::Path<Uuid>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    let db = state.db.clone();
    let cancelled = web::block(move || -> Result<usize, StateError> {
        let mut conn = db.conn().map_err(StateError::Storage)?;
        crate::storage::announcements::withdraw(&mut conn, id)
    })
    .await?
    .map_err(state_error)?;
    Ok(HttpResponse::Ok().json(StateChange { status: "withdrawn".into(), deliveries: cancelled }))
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
        (status = 503, description = "The database is unreachable", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/api/v1/staff/announcements/{id}/close-question")]
pub async fn close_question(
    _editor: AnnouncementEditor,
    path: web::Path<Uuid>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    let db = state.db.clone();
    web::block(move || -> Result<(), StateError> {
        let mut conn = db.conn().map_err(StateError::Storage)?;
        crate::storage::announcements::close_question(&mut conn, id)
    })
    .await?
    .map_err(state_error)?;
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
        (status = 503, description = "The database is unreachable", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/api/v1/staff/announcements/{id}/deliveries")]
pub async fn announcement_deliveries(
    _editor: AnnouncementEditor,
    path: web::Path<Uuid>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    let db = state.db.clone();
    let (exists, counts) = web::block(move || -> Result<_, crate::storage::StorageError> {
        let mut conn = db.conn()?;
        Ok((
            crate::storage::announcements::get(&mut conn, id)?.is_some(),
            crate::storage::announcements::delivery_counts(&mut conn, id)?,
        ))
    })
    .await??;
    if !exists {
        return Err(ApiError::NotFound("no announcement has this id".into()));
    }
    let counts: Vec<DeliveryCount> =
        counts.into_iter().map(|(channel, state, count)| DeliveryCount { channel, state, count }).collect();
    Ok(HttpResponse::Ok().json(counts))
}

/// Turns raw answer counts into results with small counts hidden.
pub fn results(
    question: &str,
    open: bool,
    options: &[String],
    covered: &[String],
    counts: &[(String, i32, i64)],
) -> QuestionResults {
    let mut per_area: BTreeMap<String, Vec<i64>> =
        covered.iter().map(|area| (area.clone(), vec![0; options.len()])).collect();
    for (area, option, count) in counts {
        let row = per_area.entry(area.clone()).or_insert_with(|| vec![0; options.len()]);
        if let Some(slot) = usize::try_from(*option).ok().and_then(|o| row.get_mut(o)) {
            *slot += count;
        }
    }
    let shown = |option: usize, count: i64| OptionCount {
        option,
        text: options.get(option).cloned().unwrap_or_default(),
        count: (count >= SMALL_COUNT).then_some(count),
        display: if count >= SMALL_COUNT { count.to_string() } else { format!("fewer than {SMALL_COUNT}") },
    };
    let mut totals = vec![0i64; options.len()];
    let areas = per_area
        .into_iter()
        .map(|(area, row)| {
            for (total, count) in totals.iter_mut().zip(&row) {
                if *count >= SMALL_COUNT {
                    *total += count;
                }
            }
            AreaResult { area, options: row.into_iter().enumerate().map(|(o, c)| shown(o, c)).collect() }
        })
        .collect();
    QuestionResults {
        question: question.to_owned(),
        open,
        areas,
        totals_of_shown_counts: totals
            .into_iter()
            .enumerate()
            .map(|(option, count)| OptionCount {
                option,
                text: options.get(option).cloned().unwrap_or_default(),
                count: Some(count),
                display: count.to_string(),
            })
            .collect(),
    }
}

async fn load_results(state: &AppState, id: Uuid, public: bool) -> Result<QuestionResults, ApiError> {
    let db = state.db.clone();
    let (row, cells, counts) = web::block(move || -> Result<_, crate::storage::StorageError> {
        let mut conn = db.conn()?;
        Ok((
            crate::storage::announcements::get(&mut conn, id)?,
            crate::storage::announcements::cells(&mut conn, id)?,
            crate::storage::announcements::answer_counts(&mut conn, id)?,
        ))
    })
    .await??;
    let row = row
        .filter(|r| r.question.is_some() && (!public || r.status == AnnouncementStatus::Published))
        .ok_or_else(|| ApiError::NotFound("no published announcement with a question has this id".into()))?;
    Ok(results(
        row.question.as_ref().map(|q| q.text.as_str()).unwrap_or_default(),
        row.question_open(Utc::now()),
        row.options(),
        &cells,
        &counts,
    ))
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
        (status = 503, description = "The database is unreachable", body = Problem, content_type = "application/problem+json"),
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

/// Public results of a published announcement's quick question: per area, counts below 5
/// shown as "fewer than 5".
#[utoipa::path(
    tag = "announcements",
    params(("id" = Uuid, Path, description = "Announcement id")),
    responses(
        (status = 200, description = "Results per area", body = QuestionResults),
        (status = 404, description = "No published announcement with a question", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is unreachable", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/api/v1/announcements/{id}/results")]
pub async fn public_results(path: web::Path<Uuid>, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(load_results(&state, path.into_inner(), true).await?))
}

/// Where to read announcements.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PlaceQuery {
    /// Latitude (with `lon`).
    pub lat: Option<f64>,
    /// Longitude (with `lat`).
    pub lon: Option<f64>,
    /// A buurt, wijk or gemeente code instead of a point.
    pub area: Option<String>,
}

fn place_cells(state: &AppState, query: &PlaceQuery) -> Result<(String, Vec<String>), ApiError> {
    let snapshot = state.config.snapshot();
    let invalid = |pointer: &str, detail: String| {
        ApiError::Validation(vec![crate::domain::validation::FieldError { pointer: pointer.into(), detail }])
    };
    match (query.lat, query.lon, query.area.as_deref()) {
        (None, None, Some(area)) => {
            let codes =
                subscription::check_area_codes(&snapshot.areas, &[area.to_owned()]).map_err(|e| invalid("/area", e))?;
            let label = codes.first().cloned().unwrap_or_default();
            let targets = Targets { areas: codes, ..Targets::default() };
            Ok((label, subscription::cells(&snapshot.areas, &targets).into_iter().collect()))
        }
        (Some(lat), Some(lon), None) => {
            let cell = subscription::cell_of_point(&snapshot.areas, lon, lat)
                .ok_or_else(|| invalid("/lat", "the point is in no known municipality".into()))?;
            Ok((cell.clone(), vec![cell]))
        }
        _ => Err(invalid("/area", "give either lat and lon, or area (a buurt, wijk or gemeente code)".into())),
    }
}

async fn current(state: &AppState, cells: Vec<String>, upcoming: bool) -> Result<Vec<Announcement>, ApiError> {
    let db = state.db.clone();
    Ok(web::block(move || {
        crate::storage::announcements::current_for(&mut *db.conn()?, &cells, Utc::now(), 200, upcoming)
    })
    .await??)
}

/// Current announcements for a place: published, within their validity, for the point's
/// buurt (or wijk, gemeente) or the given area (a wijk includes its buurten).
#[utoipa::path(
    tag = "announcements",
    params(PlaceQuery),
    responses(
        (status = 200, description = "Announcements, newest first", body = Vec<PublicAnnouncement>),
        (status = 422, description = "No place, an unknown area, or a point outside every municipality", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is unreachable", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/api/v1/announcements")]
pub async fn list_public(query: web::Query<PlaceQuery>, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let (_, cells) = place_cells(&state, &query)?;
    let rows = current(&state, cells, false).await?;
    Ok(HttpResponse::Ok().json(rows.iter().map(public_view).collect::<Vec<_>>()))
}

/// An area's feed query.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FeedQuery {
    /// A buurt or wijk (or gemeente) code.
    pub area: String,
}

/// The Atom feed (RFC 4287) of a buurt or wijk: published announcements that have not
/// expired (also those that start later).
#[utoipa::path(
    tag = "announcements",
    params(FeedQuery),
    responses(
        (status = 200, description = "Atom feed", content_type = "application/atom+xml"),
        (status = 422, description = "Unknown area", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is unreachable", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/api/v1/announcements/feed.atom")]
pub async fn atom_feed(query: web::Query<FeedQuery>, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let place = PlaceQuery { lat: None, lon: None, area: Some(query.area.clone()) };
    let (area, cells) = place_cells(&state, &place)?;
    let rows = current(&state, cells, true).await?;
    let updated = rows.iter().filter_map(|r| r.published_at).max().unwrap_or(DateTime::UNIX_EPOCH);
    let mut xml = format!(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<feed xmlns=\"http://www.w3.org/2005/Atom\">\n\
         <id>urn:meldpunt:announcements:{area}</id>\n<title>Berichten voor {area}</title>\n\
         <updated>{}</updated>\n<author><name>Gemeente</name></author>\n\
         <link rel=\"self\" href=\"{}/api/v1/announcements/feed.atom?area={area}\"/>\n",
        updated.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        html_escape(&state.public_url)
    );
    for row in &rows {
        let published = row.published_at.unwrap_or(updated).to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        xml.push_str(&format!(
            "<entry>\n<id>urn:uuid:{}</id>\n<title>{}</title>\n<updated>{published}</updated>\n<published>{published}</published>\n\
             <content type=\"text\">{}</content>\n",
            row.id,
            html_escape(&row.title),
            html_escape(&row.body)
        ));
        for tag in &row.tags {
            xml.push_str(&format!("<category term=\"{}\"/>\n", html_escape(tag)));
        }
        xml.push_str("</entry>\n");
    }
    xml.push_str("</feed>\n");
    Ok(HttpResponse::Ok().content_type("application/atom+xml; charset=utf-8").body(xml))
}

/// Escapes a TEXT value for iCalendar (RFC 5545 3.3.11).
pub fn ical_escape(text: &str) -> String {
    text.replace('\\', "\\\\")
        .replace(';', "\\;")
        .replace(',', "\\,")
        .replace("\r\n", "\\n")
        .replace(['\n', '\r'], "\\n")
}

/// Folds a content line at 75 octets (RFC 5545 3.1), never inside a UTF-8 character, and
/// ends it with CRLF.
pub fn ical_fold(line: &str) -> String {
    let mut out = String::new();
    let mut width = 0;
    for c in line.chars() {
        let size = c.len_utf8();
        if width + size > 75 {
            out.push_str("\r\n ");
            width = 1;
        }
        out.push(c);
        width += size;
    }
    out.push_str("\r\n");
    out
}

fn ical_time(at: DateTime<Utc>) -> String {
    at.format("%Y%m%dT%H%M%SZ").to_string()
}

/// The iCalendar feed (RFC 5545) of a buurt or wijk: one event per announcement, from its
/// validity start (or publication) to its end.
#[utoipa::path(
    tag = "announcements",
    params(FeedQuery),
    responses(
        (status = 200, description = "iCalendar feed", content_type = "text/calendar"),
        (status = 422, description = "Unknown area", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is unreachable", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/api/v1/announcements/feed.ics")]
pub async fn ical_feed(query: web::Query<FeedQuery>, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let place = PlaceQuery { lat: None, lon: None, area: Some(query.area.clone()) };
    let (area, cells) = place_cells(&state, &place)?;
    let rows = current(&state, cells, true).await?;
    let now = Utc::now();
    let mut ics = String::new();
    for line in [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//meldpunt//announcements//NL",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
    ] {
        ics.push_str(&ical_fold(line));
    }
    ics.push_str(&ical_fold(&format!("X-WR-CALNAME:{}", ical_escape(&format!("Berichten voor {area}")))));
    for row in &rows {
        let start = row.valid_from.or(row.published_at).unwrap_or(now);
        ics.push_str(&ical_fold("BEGIN:VEVENT"));
        ics.push_str(&ical_fold(&format!("UID:{}@meldpunt", row.id)));
        ics.push_str(&ical_fold(&format!("DTSTAMP:{}", ical_time(row.published_at.unwrap_or(now)))));
        ics.push_str(&ical_fold(&format!("DTSTART:{}", ical_time(start))));
        if let Some(until) = row.valid_until.filter(|u| *u > start) {
            ics.push_str(&ical_fold(&format!("DTEND:{}", ical_time(until))));
        }
        ics.push_str(&ical_fold(&format!("SUMMARY:{}", ical_escape(&row.title))));
        ics.push_str(&ical_fold(&format!("DESCRIPTION:{}", ical_escape(&row.body))));
        let tags = &row.tags;
        if !tags.is_empty() {
            let escaped: Vec<String> = tags.iter().map(|t| ical_escape(t)).collect();
            ics.push_str(&ical_fold(&format!("CATEGORIES:{}", escaped.join(","))));
        }
        ics.push_str(&ical_fold("END:VEVENT"));
    }
    ics.push_str(&ical_fold("END:VCALENDAR"));
    Ok(HttpResponse::Ok().content_type("text/calendar; charset=utf-8").body(ics))
}

/// The page behind a one-tap answer link: names the answer and has a button that records
/// it (a GET records nothing, so mail scanners that fetch links do not answer).
#[utoipa::path(
    tag = "announcements",
    params(("token" = String, Path, description = "The signed answer token from the email or push message")),
    responses(
        (status = 200, description = "A page with a button that records the answer", content_type = "text/html"),
        (status = 404, description = "Unknown or altered link", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/api/v1/answers/{token}")]
pub async fn answer_page(path: web::Path<String>, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let link = state
        .links
        .check_answer_token(&path.into_inner())
        .ok_or_else(|| ApiError::NotFound("this answer link is unknown or was altered".into()))?;
    let db = state.db.clone();
    let row = web::block(move || crate::storage::announcements::get(&mut *db.conn()?, link.announcement_id)).await??;
    let row = row.ok_or_else(|| ApiError::NotFound("this announcement does not exist".into()))?;
    let option = row.options().get(link.option).cloned().unwrap_or_default();
    Ok(confirm_page(
        row.question.as_ref().map_or("Vraag / Question", |q| q.text.as_str()),
        &format!("Uw antwoord / Your answer: {option}"),
        "Antwoord versturen / Send answer",
    ))
}

/// Records the answer of a one-tap link (one per subscription; a later one replaces it
/// until the question closes).
#[utoipa::path(
    tag = "announcements",
    params(("token" = String, Path, description = "The signed answer token")),
    responses(
        (status = 200, description = "Recorded", content_type = "text/html"),
        (status = 404, description = "Unknown or altered link, or the subscription ended", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The question is closed", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is unreachable", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/api/v1/answers/{token}")]
pub async fn answer_by_link(path: web::Path<String>, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let link = state
        .links
        .check_answer_token(&path.into_inner())
        .ok_or_else(|| ApiError::NotFound("this answer link is unknown or was altered".into()))?;
    record_answer(&state, link.announcement_id, link.subscription_id, link.option).await?;
    Ok(page(
        actix_web::http::StatusCode::OK,
        "Bedankt / Thank you",
        "<p>Uw antwoord is ontvangen. / Your answer was recorded.</p>",
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_counts_are_hidden_and_totals_add_only_shown_counts() {
        let options = vec!["ja".to_owned(), "nee".to_owned()];
        let counts = vec![("BU1".to_owned(), 0, 7), ("BU1".to_owned(), 1, 2), ("BU2".to_owned(), 0, 3)];
        let results = results("?", true, &options, &["BU1".into(), "BU2".into(), "BU3".into()], &counts);
        let bu1 = &results.areas[0];
        assert_eq!((bu1.options[0].count, bu1.options[1].count), (Some(7), None));
        assert_eq!(bu1.options[1].display, "fewer than 5");
        assert_eq!(results.areas.len(), 3, "areas without answers are listed too, so presence reveals nothing");
        assert_eq!(results.totals_of_shown_counts[0].count, Some(7));
        assert_eq!(results.totals_of_shown_counts[1].count, Some(0));
        assert!(!serde_json::to_string(&results).unwrap_or_default().contains("\"count\":3"));
    }

    #[test]
    fn ical_lines_are_escaped_and_folded_at_75_octets_without_splitting_characters() {
        assert_eq!(ical_escape("a,b;c\\d\ne"), "a\\,b\\;c\\\\d\\ne");
        let long = format!("DESCRIPTION:{}", "é".repeat(60));
        let folded = ical_fold(&long);
        for line in folded.split("\r\n") {
            assert!(line.len() <= 75, "{line}");
        }
        assert_eq!(folded.replace("\r\n ", "").trim_end(), long);
    }
}
