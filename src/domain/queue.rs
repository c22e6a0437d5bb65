//! The staff queue's filter: which reports a member of staff asks to see, parsed from what
//! they typed (comma-separated statuses, category and department slugs, area codes,
//! priorities, search words) against the catalog, and limited to their departments when
//! their role says so. Storage turns a [`QueueFilter`] into SQL.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::domain::auth::{Role, StaffIdentity};
use crate::domain::category::Catalog;
use crate::domain::report::ReportStatus;
use crate::domain::validation::{FieldError, FieldErrors};

/// How the queue is ordered (ties broken by id).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QueueOrder {
    NewestFirst,
    OldestFirst,
    /// Earliest deadline first; reports without a deadline last.
    DeadlineFirst,
    /// High priority first, then newest.
    PriorityFirst,
}

/// What to list. Empty lists mean "any".
#[derive(Debug, Clone)]
pub struct QueueFilter {
    /// Only these departments (`None`: every department; used for department staff).
    pub departments_allowed: Option<Vec<Uuid>>,
    pub statuses: Vec<ReportStatus>,
    /// Category ids.
    pub categories: Vec<Uuid>,
    /// Department ids.
    pub departments: Vec<Uuid>,
    /// Gemeente codes.
    pub gemeenten: Vec<String>,
    /// Wijk codes.
    pub wijken: Vec<String>,
    /// Buurt codes.
    pub buurten: Vec<String>,
    pub priorities: Vec<String>,
    /// Only reports assigned to this account ("assigned to me").
    pub assignee: Option<Uuid>,
    /// Received at or after.
    pub created_from: Option<DateTime<Utc>>,
    /// Received before.
    pub created_to: Option<DateTime<Utc>>,
    /// Only overdue (`Some(true)`) or only not overdue (`Some(false)`) at `now`.
    pub overdue: Option<bool>,
    /// The instant `overdue` is judged at.
    pub now: DateTime<Utc>,
    /// Words that must all occur in reference, description or address.
    pub words: Vec<String>,
    pub order: QueueOrder,
    /// Rows to skip.
    pub offset: i64,
    /// Rows to return.
    pub limit: i64,
}

/// Most items on one page.
pub const PAGE_MAX: i64 = 200;

/// Most search words used; further words are ignored.
pub const SEARCH_WORDS_MAX: usize = 10;

/// The queue request as sent: each list is comma-separated text, as in a query string.
#[derive(Debug, Clone)]
pub struct QueueRequest<'a> {
    pub status: Option<&'a str>,
    /// Category slugs; a main category stands for its subcategories.
    pub category: Option<&'a str>,
    /// Department slugs.
    pub department: Option<&'a str>,
    pub gemeente: Option<&'a str>,
    pub wijk: Option<&'a str>,
    pub buurt: Option<&'a str>,
    /// `low`, `normal`, `high`.
    pub priority: Option<&'a str>,
    /// Received at or after.
    pub created_from: Option<DateTime<Utc>>,
    /// Received before.
    pub created_to: Option<DateTime<Utc>>,
    pub overdue: Option<bool>,
    /// Only the reports assigned to the asking account.
    pub assigned_to_me: bool,
    /// Free text; its words must all occur.
    pub q: Option<&'a str>,
    pub order: QueueOrder,
    /// Rows to skip (from the paging cursor).
    pub offset: i64,
    /// Rows asked for (default 50, at most [`PAGE_MAX`]).
    pub limit: Option<i64>,
}

/// Splits a comma-separated list, dropping empty parts.
fn list(text: Option<&str>) -> Vec<String> {
    text.map(|t| t.split(',').map(|p| p.trim().to_owned()).filter(|p| !p.is_empty()).collect()).unwrap_or_default()
}

impl QueueFilter {
    /// Parses a queue request for `who` at `now`. The filter's `limit` is one more than
    /// asked, which tells whether there is a next page. Every problem is named by the
    /// JSON Pointer of its query parameter (`/status`, `/category`, …).
    pub fn parse(
        request: &QueueRequest<'_>,
        catalog: &Catalog,
        who: &StaffIdentity,
        now: DateTime<Utc>,
    ) -> Result<QueueFilter, Vec<FieldError>> {
        let mut errors = FieldErrors::default();
        let mut statuses = Vec::new();
        for name in list(request.status) {
            match ReportStatus::parse(&name) {
                Some(status) => statuses.push(status),
                None => errors.add("/status", format!("'{name}' is not a status")),
            }
        }
        let mut categories = Vec::new();
        for slug in list(request.category) {
            if let Some(main) = catalog.main_category(&slug) {
                categories.extend(catalog.subcategories_of(main.id).map(|c| c.id));
            } else if let Some(sub) = catalog.subcategory(&slug) {
                categories.push(sub.id);
            } else {
                errors.add("/category", format!("there is no category '{slug}'"));
            }
        }
        let mut departments = Vec::new();
        for slug in list(request.department) {
            match catalog.department_by_slug(&slug) {
                Some(department) => departments.push(department.id),
                None => errors.add("/department", format!("there is no department '{slug}'")),
            }
        }
        let priorities = list(request.priority);
        for priority in &priorities {
            if !["low", "normal", "high"].contains(&priority.as_str()) {
                errors.add("/priority", format!("'{priority}' is not a priority; send low, normal or high"));
            }
        }
        let limit = request.limit.unwrap_or(50);
        if !(1..=PAGE_MAX).contains(&limit) {
            errors.add("/limit", format!("send a limit from 1 to {PAGE_MAX}"));
        }
        let words: Vec<String> = request
            .q
            .unwrap_or_default()
            .split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty())
            .take(SEARCH_WORDS_MAX)
            .map(str::to_lowercase)
            .collect();
        if !errors.is_empty() {
            return Err(errors
                .finish(|| None::<()>)
                .err()
                .unwrap_or_else(|| vec![FieldError { pointer: "/".into(), detail: "invalid query".into() }]));
        }
        let codes = |text: Option<&str>| list(text).into_iter().map(|c| c.to_ascii_uppercase()).collect();
        Ok(QueueFilter {
            departments_allowed: (who.role == Role::DepartmentStaff).then(|| who.departments.clone()),
            statuses,
            categories,
            departments,
            gemeenten: codes(request.gemeente),
            wijken: codes(request.wijk),
            buurten: codes(request.buurt),
            priorities,
            assignee: request.assigned_to_me.then_some(who.account_id),
            created_from: request.created_from,
            created_to: request.created_to,
            overdue: request.overdue,
            now,
            words,
            order: request.order,
            offset: request.offset,
            limit: limit + 1,
        })
    }
}
