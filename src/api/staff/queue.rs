//! The staff queue: `GET /api/v1/staff/reports` with filters, full-text search, sorting
//! and cursor pagination. Department staff see only their departments' reports.

use actix_web::{HttpResponse, get, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::api::access::HANDLERS;
use crate::api::error::{ApiError, Problem};
use crate::api::responses::{HandlerErrors, Unavailable};
use crate::api::staff::auth::Staff;
use crate::api::state::AppState;
use crate::domain::auth::StaffIdentity;
use crate::domain::queue::{QueueFilter, QueueOrder, QueueRequest};
use crate::domain::report::ReportStatus;
use crate::domain::validation::FieldError;
use crate::domain::workflow::{effective_deadline, is_overdue};
use crate::storage::queue;

/// How to order the queue.
#[derive(Debug, Clone, Copy, Default, Deserialize, utoipa::ToSchema)]
pub enum QueueSort {
    /// Newest first (the default).
    #[default]
    #[serde(rename = "-created_at")]
    NewestFirst,
    #[serde(rename = "created_at")]
    OldestFirst,
    /// Earliest deadline first, reports without one last.
    #[serde(rename = "deadline_at")]
    DeadlineFirst,
    /// High priority first, then newest.
    #[serde(rename = "priority")]
    PriorityFirst,
}

/// Filters of the queue. Lists are comma-separated; every filter narrows the result.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct QueueQuery {
    /// Statuses, e.g. `new,accepted`.
    pub status: Option<String>,
    /// Category slugs (a main category includes its subcategories).
    pub category: Option<String>,
    /// Department slugs.
    pub department: Option<String>,
    /// CBS gemeente codes (`GM0917`).
    pub gemeente: Option<String>,
    /// CBS wijk codes.
    pub wijk: Option<String>,
    /// CBS buurt codes.
    pub buurt: Option<String>,
    /// Priorities: `low`, `normal`, `high`.
    pub priority: Option<String>,
    /// Received at or after (RFC 3339).
    pub created_from: Option<DateTime<Utc>>,
    /// Received before (RFC 3339).
    pub created_to: Option<DateTime<Utc>>,
    /// `true`: only overdue reports; `false`: only those that are not.
    pub overdue: Option<bool>,
    /// `true`: only the reports assigned to the calling account.
    pub assigned_to_me: Option<bool>,
    /// Words that must all occur in the reference, description or address.
    pub q: Option<String>,
    /// `-created_at` (default), `created_at`, `deadline_at` or `priority`.
    #[param(value_type = Option<QueueSort>)]
    pub sort: Option<QueueSort>,
    /// Page size, 1-200 (default 50).
    pub limit: Option<i64>,
    /// `next_cursor` of the previous page, with the same filters and sort.
    pub cursor: Option<String>,
}

/// A report in the queue.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct QueueItemView {
    pub id: Uuid,
    pub reference: String,
    pub status: ReportStatus,
    pub priority: String,
    /// Category slug.
    pub category: Option<String>,
    /// Department slug.
    pub department: Option<String>,
    pub description: String,
    /// Address text.
    pub address: Option<String>,
    /// CBS buurt code.
    pub buurt_code: Option<String>,
    /// Where.
    pub location: crate::domain::report::Location,
    /// Assignee.
    pub assignee_id: Option<Uuid>,
    /// Due (while a request to reopen waits: the request's own term of three days).
    pub deadline_at: Option<DateTime<Utc>>,
    /// Whether the deadline passed while it is open.
    pub overdue: bool,
    /// Received.
    pub created_at: DateTime<Utc>,
}

/// One page of the queue.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct QueuePage {
    /// The reports on this page.
    pub items: Vec<QueueItemView>,
    /// Pass as `cursor` for the next page; `null` on the last page.
    pub next_cursor: Option<String>,
}

/// The cursor of the page that starts after `offset` reports.
pub fn encode_cursor(offset: i64) -> String {
    hex::encode(format!("o:{offset}"))
}

fn decode_cursor(cursor: &str) -> Option<i64> {
    let text = String::from_utf8(hex::decode(cursor).ok()?).ok()?;
    text.strip_prefix("o:")?.parse().ok().filter(|n: &i64| *n >= 0)
}

/// The queue of reports this account may handle, filtered, searched, sorted and paged.
#[utoipa::path(
    tag = "triage",
    security(("bearer" = [])),
    params(QueueQuery),
    responses(
        (status = 200, description = "One page of reports", body = QueuePage),
        (status = 400, description = "A query parameter has the wrong type", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Unknown status, category, department or priority, or a bad cursor or limit", body = Problem, content_type = "application/problem+json"),
        Unavailable,
        HandlerErrors,
    )
)]
#[get("/api/v1/staff/reports")]
pub async fn list_staff_reports(
    staff: Staff,
    query: web::Query<QueueQuery>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let identity = staff.require(HANDLERS)?.clone();
    let answer = queue_page(&state, &identity, &query.into_inner(), None).await?;
    Ok(HttpResponse::Ok().json(answer.page))
}

/// One page of the queue as [`queue_page`] answers it.
#[derive(Debug)]
pub struct QueueAnswer {
    /// The page, as the API sends it.
    pub page: QueuePage,
    /// How many reports the filters select over every page (when asked for).
    pub total: Option<i64>,
    /// How many the filters select with each status of `statuses` instead of their own
    /// status filter (when asked for).
    pub by_status: Vec<(ReportStatus, i64)>,
    /// How many reports come before this page.
    pub offset: i64,
    /// The page size.
    pub limit: i64,
}

/// The queue of reports `identity` may handle, filtered, searched, sorted and paged: the
/// one implementation behind `GET /api/v1/staff/reports` and the console's queue page
/// (which also asks for the `total` and the counts of `statuses`). Department staff see
/// their departments only.
pub async fn queue_page(
    state: &AppState,
    identity: &StaffIdentity,
    query: &QueueQuery,
    counted: Option<&'static [ReportStatus]>,
) -> Result<QueueAnswer, ApiError> {
    let mut cursor_errors = Vec::new();
    let offset = match query.cursor.as_deref() {
        Some(cursor) => decode_cursor(cursor).unwrap_or_else(|| {
            cursor_errors.push(FieldError {
                pointer: "/cursor".into(),
                detail: "send a next_cursor exactly as a previous page gave it".into(),
            });
            0
        }),
        None => 0,
    };
    let request = QueueRequest {
        status: query.status.as_deref(),
        category: query.category.as_deref(),
        department: query.department.as_deref(),
        gemeente: query.gemeente.as_deref(),
        wijk: query.wijk.as_deref(),
        buurt: query.buurt.as_deref(),
        priority: query.priority.as_deref(),
        created_from: query.created_from,
        created_to: query.created_to,
        overdue: query.overdue,
        assigned_to_me: query.assigned_to_me.unwrap_or(false),
        q: query.q.as_deref(),
        order: match query.sort.unwrap_or_default() {
            QueueSort::NewestFirst => QueueOrder::NewestFirst,
            QueueSort::OldestFirst => QueueOrder::OldestFirst,
            QueueSort::DeadlineFirst => QueueOrder::DeadlineFirst,
            QueueSort::PriorityFirst => QueueOrder::PriorityFirst,
        },
        offset,
        limit: query.limit,
    };
    let snapshot = state.config.snapshot();
    let catalog = &snapshot.catalog;
    let parsed = QueueFilter::parse(&request, catalog, identity, Utc::now());
    let filter = match (parsed, cursor_errors.is_empty()) {
        (Ok(filter), true) => filter,
        (Ok(_), false) => return Err(ApiError::Validation(cursor_errors)),
        (Err(mut errors), _) => {
            errors.extend(cursor_errors);
            return Err(ApiError::Validation(errors));
        }
    };
    let limit = filter.limit - 1;
    let now = filter.now;
    let (mut items, total, by_status) = state
        .db
        .run(move |conn| -> Result<_, crate::storage::StorageError> {
            let (total, by_status) = match counted {
                Some(statuses) => {
                    (Some(queue::count(conn, &filter)?), queue::count_by_status(conn, &filter, statuses)?)
                }
                None => (None, Vec::new()),
            };
            Ok((queue::list(conn, &filter)?, total, by_status))
        })
        .await?;
    let more = items.len() as i64 > limit;
    items.truncate(usize::try_from(limit).unwrap_or(0));
    let views: Vec<QueueItemView> = items
        .into_iter()
        .map(|item| {
            let report = item.report;
            QueueItemView {
                id: report.id,
                reference: report.reference,
                status: report.status,
                priority: report.priority,
                category: catalog.category(report.category_id).map(|c| c.slug.clone()),
                department: report.department_id.and_then(|d| catalog.department(d)).map(|d| d.slug.clone()),
                description: report.description,
                address: report.address,
                buurt_code: report.area.and_then(|a| a.buurt_code),
                location: report.location,
                assignee_id: item.assignee_id,
                deadline_at: effective_deadline(report.status, report.deadline_at, report.reopen_due_at),
                overdue: is_overdue(
                    report.status,
                    effective_deadline(report.status, report.deadline_at, report.reopen_due_at),
                    now,
                ),
                created_at: report.created_at,
            }
        })
        .collect();
    let next_cursor = more.then(|| encode_cursor(offset + limit));
    Ok(QueueAnswer { page: QueuePage { items: views, next_cursor }, total, by_status, offset, limit })
}
