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
use crate::domain::auth::Role;
use crate::domain::report::ReportStatus;
use crate::domain::validation::{FieldError, FieldErrors};
use crate::domain::workflow::is_overdue;
use crate::storage::queue::{self, QueueFilter, QueueOrder};

/// Most items on one page.
const PAGE_MAX: i64 = 200;

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
#[derive(Debug, Deserialize, utoipa::IntoParams)]
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
    /// Assignee.
    pub assignee_id: Option<Uuid>,
    /// Due.
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

fn list(text: &Option<String>) -> Vec<String> {
    text.as_deref()
        .map(|t| t.split(',').map(|p| p.trim().to_owned()).filter(|p| !p.is_empty()).collect())
        .unwrap_or_default()
}

fn encode_cursor(offset: i64) -> String {
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
    let query = query.into_inner();
    let snapshot = state.config.snapshot();
    let catalog = &snapshot.catalog;
    let mut errors = FieldErrors::default();
    let mut statuses = Vec::new();
    for name in list(&query.status) {
        match ReportStatus::parse(&name) {
            Some(status) => statuses.push(status),
            None => errors.add("/status", format!("'{name}' is not a status")),
        }
    }
    let mut categories = Vec::new();
    for slug in list(&query.category) {
        if let Some(main) = catalog.main_category(&slug) {
            categories.extend(catalog.subcategories_of(main.id).map(|c| c.id));
        } else if let Some(sub) = catalog.subcategory(&slug) {
            categories.push(sub.id);
        } else {
            errors.add("/category", format!("there is no category '{slug}'"));
        }
    }
    let mut departments = Vec::new();
    for slug in list(&query.department) {
        match catalog.department_by_slug(&slug) {
            Some(department) => departments.push(department.id),
            None => errors.add("/department", format!("there is no department '{slug}'")),
        }
    }
    let priorities = list(&query.priority);
    for priority in &priorities {
        if !["low", "normal", "high"].contains(&priority.as_str()) {
            errors.add("/priority", format!("'{priority}' is not a priority; send low, normal or high"));
        }
    }
    let limit = query.limit.unwrap_or(50);
    if !(1..=PAGE_MAX).contains(&limit) {
        errors.add("/limit", format!("send a limit from 1 to {PAGE_MAX}"));
    }
    let offset = match query.cursor.as_deref() {
        Some(cursor) => decode_cursor(cursor).unwrap_or_else(|| {
            errors.add("/cursor", "send a next_cursor exactly as a previous page gave it");
            0
        }),
        None => 0,
    };
    let words: Vec<String> = query
        .q
        .as_deref()
        .unwrap_or_default()
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .take(10)
        .map(str::to_lowercase)
        .collect();
    if !errors.is_empty() {
        return Err(ApiError::Validation(
            errors
                .finish(|| None::<()>)
                .err()
                .unwrap_or_else(|| vec![FieldError { pointer: "/".into(), detail: "invalid query".into() }]),
        ));
    }
    let filter = QueueFilter {
        departments_allowed: (identity.role == Role::DepartmentStaff).then(|| identity.departments.clone()),
        statuses,
        categories,
        departments,
        gemeenten: list(&query.gemeente).into_iter().map(|c| c.to_ascii_uppercase()).collect(),
        wijken: list(&query.wijk).into_iter().map(|c| c.to_ascii_uppercase()).collect(),
        buurten: list(&query.buurt).into_iter().map(|c| c.to_ascii_uppercase()).collect(),
        priorities,
        created_from: query.created_from,
        created_to: query.created_to,
        overdue: query.overdue,
        now: Utc::now(),
        words,
        order: match query.sort.unwrap_or_default() {
            QueueSort::NewestFirst => QueueOrder::NewestFirst,
            QueueSort::OldestFirst => QueueOrder::OldestFirst,
            QueueSort::DeadlineFirst => QueueOrder::DeadlineFirst,
            QueueSort::PriorityFirst => QueueOrder::PriorityFirst,
        },
        offset,
        // One more than asked tells whether there is a next page.
        limit: limit + 1,
    };
    let now = filter.now;
    let mut items = state.db.run(move |conn| queue::list(conn, &filter)).await?;
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
                assignee_id: item.assignee_id,
                deadline_at: report.deadline_at,
                overdue: is_overdue(report.status, report.deadline_at, now),
                created_at: report.created_at,
            }
        })
        .collect();
    let next_cursor = more.then(|| encode_cursor(offset + limit));
    Ok(HttpResponse::Ok().json(QueuePage { items: views, next_cursor }))
}
