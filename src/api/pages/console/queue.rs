//! The queue page (`GET /console`): the staff queue with its filters as a GET form,
//! sortable columns, paging, the count, and a map of the page's reports. It asks
//! `crate::api::staff::queue::queue_page`, the function behind `GET /api/v1/staff/reports`,
//! so the filters, the search and the department scoping are the API's.

use std::collections::HashMap;

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, get, web};
use askama::Template;

use super::map::{Dot, queue_map};
use super::reasons::Reasons;
use super::session::ConsoleUser;
use super::words::Words;
use super::{ConsoleError, Frame, Lang, console_lang, message, render, see_other};
use crate::api::access::HANDLERS;
use crate::api::error::ApiError;
use crate::api::responses::Unavailable;
use crate::api::staff::queue::{QueueQuery, QueueSort, encode_cursor, queue_page};
use crate::api::state::AppState;
use crate::domain::area::AreaLevel;
use crate::domain::report::ReportStatus;

/// Reports on one page of the console's queue.
const PAGE_SIZE: i64 = 50;

/// Every status, in workflow order, for the filter.
const STATUSES: [ReportStatus; 9] = [
    ReportStatus::New,
    ReportStatus::Accepted,
    ReportStatus::InProgress,
    ReportStatus::OnHold,
    ReportStatus::Scheduled,
    ReportStatus::ReopenRequested,
    ReportStatus::Reopened,
    ReportStatus::Resolved,
    ReportStatus::Cancelled,
];

/// An option of a select: value, label, selected.
pub struct Choice {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

/// A report in the table.
pub struct Row {
    pub href: String,
    pub reference: String,
    pub status: &'static str,
    pub category: String,
    pub department: String,
    pub place: String,
    pub received: String,
    pub received_iso: String,
    pub deadline: String,
    pub overdue: bool,
    pub priority: &'static str,
}

/// A status with its count, linking to the queue filtered by it.
pub struct StatusCount {
    pub label: &'static str,
    pub count: i64,
    pub href: String,
    pub current: bool,
}

/// A sortable column header: its link and its `aria-sort`.
pub struct SortLink {
    pub href: String,
    pub aria: &'static str,
}

/// The queue page.
#[derive(Template)]
#[template(path = "console/queue.html")]
pub struct QueuePageView<'a> {
    pub frame: &'a Frame,
    pub w: &'static Words,
    pub statuses: Vec<Choice>,
    pub categories: Vec<Choice>,
    pub departments: Vec<Choice>,
    pub buurten: Vec<Choice>,
    pub priorities: Vec<Choice>,
    pub overdue: Vec<Choice>,
    pub sorts: Vec<Choice>,
    pub mine: bool,
    pub q: String,
    /// Why the filters were refused (the API's reasons, for the form as a whole).
    pub errors: Reasons,
    pub rows: Vec<Row>,
    pub total: i64,
    pub status_counts: Vec<StatusCount>,
    pub first: i64,
    pub last: i64,
    pub previous: Option<String>,
    pub next: Option<String>,
    pub sort_received: SortLink,
    pub sort_deadline: SortLink,
    pub sort_priority: SortLink,
    pub map: Option<String>,
}

fn choices(items: impl Iterator<Item = (String, String)>, chosen: &str) -> Vec<Choice> {
    items.map(|(value, label)| Choice { selected: value == chosen, value, label }).collect()
}

/// The queue of the signed-in member, filtered by the GET form.
#[utoipa::path(
    operation_id = "console_queue",
    tag = "console",
    params(
        ("status" = Option<String>, Query, description = "A status"),
        ("category" = Option<String>, Query, description = "A main or sub category slug"),
        ("department" = Option<String>, Query, description = "A department slug"),
        ("buurt" = Option<String>, Query, description = "A CBS buurt code"),
        ("priority" = Option<String>, Query, description = "`low`, `normal` or `high`"),
        ("overdue" = Option<String>, Query, description = "`true` or `false`"),
        ("mine" = Option<String>, Query, description = "`1`: only reports assigned to me"),
        ("q" = Option<String>, Query, description = "A reference or words; a reference that matches one report opens it"),
        ("sort" = Option<String>, Query, description = "`-created_at`, `created_at`, `deadline_at` or `priority`"),
        ("page" = Option<String>, Query, description = "Page number, from 1"),
        ("lang" = Option<String>, Query, description = "`nl` (default) or `en`"),
    ),
    responses(
        (status = 200, description = "The queue page", content_type = "text/html"),
        (status = 303, description = "Not signed in: to the login page; a reference found: to its report; an analyst: to the analysis page"),
        (status = 403, description = "The role does not handle reports: a page says so", content_type = "text/html"),
        (status = 422, description = "A filter names an unknown status, category, department or priority: the page with the reasons", content_type = "text/html"),
        Unavailable,
    )
)]
#[get("/console")]
pub async fn queue(
    request: HttpRequest,
    user: ConsoleUser,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ConsoleError> {
    let words = super::words::of(console_lang(&request).0);
    let Ok(identity) = crate::api::staff::auth::Staff(user.identity.clone()).require(HANDLERS).cloned() else {
        // Analysts handle no reports: their part of the console is the analysis page.
        if user.identity.role == crate::domain::auth::Role::Analyst {
            return Ok(super::see_other(super::analysis::PAGE));
        }
        return Ok(message(
            &request,
            StatusCode::FORBIDDEN,
            words.forbidden_title,
            words.forbidden_text,
            user.frame_user(),
        )?);
    };
    let asked: HashMap<String, String> = url::form_urlencoded::parse(request.query_string().as_bytes())
        .map(|(key, value)| (key.into_owned(), value.trim().to_owned()))
        .collect();
    let get = |name: &str| asked.get(name).map(String::as_str).unwrap_or_default();
    let page = get("page").parse::<i64>().ok().filter(|p| (1..=100_000).contains(p)).unwrap_or(1);
    let (sort, sort_name) = match get("sort") {
        "created_at" => (QueueSort::OldestFirst, "created_at"),
        "deadline_at" => (QueueSort::DeadlineFirst, "deadline_at"),
        "priority" => (QueueSort::PriorityFirst, "priority"),
        _ => (QueueSort::NewestFirst, "-created_at"),
    };
    let some = |name: &str| Some(get(name).to_owned()).filter(|v| !v.is_empty());
    let query = QueueQuery {
        status: some("status"),
        category: some("category"),
        department: some("department"),
        buurt: some("buurt"),
        priority: some("priority"),
        overdue: match get("overdue") {
            "true" => Some(true),
            "false" => Some(false),
            _ => None,
        },
        assigned_to_me: Some(get("mine") == "1"),
        q: some("q"),
        sort: Some(sort),
        limit: Some(PAGE_SIZE),
        cursor: (page > 1).then(|| encode_cursor((page - 1) * PAGE_SIZE)),
        ..QueueQuery::default()
    };
    let (answer, errors) = match queue_page(&state, &identity, &query, Some(&STATUSES)).await {
        Ok(answer) => (Some(answer), Reasons::default()),
        Err(ApiError::Validation(errors)) => (None, Reasons::from_api(errors, |_| String::new())),
        Err(other) => return Err(other.into()),
    };
    let items = answer.as_ref().map(|a| a.page.items.as_slice()).unwrap_or_default();
    if let Some(q) = query.q.as_deref()
        && let [only] = items
        && only.reference.eq_ignore_ascii_case(q)
    {
        return Ok(see_other(&format!("/console/reports/{}", only.id)));
    }
    let snapshot = state.config.snapshot();
    let catalog = &snapshot.catalog;
    let english = console_lang(&request).0 == Lang::En;
    let name = |nl: &str, en: &str| if english { en.to_owned() } else { nl.to_owned() };
    let rows: Vec<Row> = items
        .iter()
        .map(|item| {
            let amsterdam = |at: chrono::DateTime<chrono::Utc>| at.with_timezone(&chrono_tz::Europe::Amsterdam);
            Row {
                href: format!("/console/reports/{}", item.id),
                reference: item.reference.clone(),
                status: words.status(item.status),
                category: item
                    .category
                    .as_deref()
                    .and_then(|slug| catalog.subcategory(slug))
                    .map(|c| name(&c.name_nl, &c.name_en))
                    .unwrap_or_default(),
                department: item
                    .department
                    .as_deref()
                    .and_then(|slug| catalog.department_by_slug(slug))
                    .map(|d| name(&d.name_nl, &d.name_en))
                    .unwrap_or_else(|| words.none.to_owned()),
                place: item
                    .address
                    .clone()
                    .or_else(|| item.buurt_code.as_deref().and_then(|c| snapshot.areas.area(c)).map(|a| a.name.clone()))
                    .unwrap_or_default(),
                received: amsterdam(item.created_at).format("%d-%m-%Y %H:%M").to_string(),
                received_iso: item.created_at.to_rfc3339(),
                deadline: item
                    .deadline_at
                    .map(|d| amsterdam(d).format("%d-%m-%Y").to_string())
                    .unwrap_or_else(|| "–".to_owned()),
                overdue: item.overdue,
                priority: words.priority_name(&item.priority),
            }
        })
        .collect();
    let dots: Vec<Dot<'_>> = items
        .iter()
        .zip(&rows)
        .map(|(item, row)| Dot { href: &row.href, label: &row.reference, at: item.location })
        .collect();
    let map = queue_map(&state, words.map_label, &dots);
    let total = answer.as_ref().and_then(|a| a.total).unwrap_or(0);
    let offset = answer.as_ref().map_or(0, |a| a.offset);
    let more = answer.as_ref().is_some_and(|a| a.page.next_cursor.is_some());
    // Links keep every filter and change one parameter.
    let link = |changes: &[(&str, String)]| {
        let mut pairs: Vec<(String, String)> = asked
            .iter()
            .filter(|(k, v)| !v.is_empty() && k.as_str() != "lang")
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        for (key, value) in changes {
            pairs.retain(|(k, _)| k != key);
            if !value.is_empty() {
                pairs.push(((*key).to_owned(), value.clone()));
            }
        }
        pairs.sort();
        let query: String = url::form_urlencoded::Serializer::new(String::new()).extend_pairs(pairs).finish();
        if query.is_empty() { "/console".to_owned() } else { format!("/console?{query}") }
    };
    let sort_link = |ascending: &'static str, descending: Option<&'static str>| {
        let (href, aria) = match (sort_name, descending) {
            (s, Some(d)) if s == d => (link(&[("sort", ascending.to_owned()), ("page", String::new())]), "descending"),
            (s, _) if s == ascending => {
                (link(&[("sort", descending.unwrap_or(ascending).to_owned()), ("page", String::new())]), "ascending")
            }
            _ => (link(&[("sort", ascending.to_owned()), ("page", String::new())]), "none"),
        };
        SortLink { href, aria }
    };
    let frame = Frame::new(&request, &link(&[]), words.queue, user.frame_user()).with_tiles(&state);
    let view = QueuePageView {
        frame: &frame,
        w: words,
        statuses: choices(STATUSES.iter().map(|s| (s.as_str().to_owned(), words.status(*s).to_owned())), get("status")),
        categories: choices(
            catalog.main_categories().flat_map(|main| {
                std::iter::once((main.slug.clone(), name(&main.name_nl, &main.name_en))).chain(
                    catalog
                        .subcategories_of(main.id)
                        .map(|sub| (sub.slug.clone(), format!("– {}", name(&sub.name_nl, &sub.name_en)))),
                )
            }),
            get("category"),
        ),
        departments: choices(
            catalog
                .departments()
                .into_iter()
                .filter(|d| identity.handles(Some(d.id)))
                .map(|d| (d.slug.clone(), name(&d.name_nl, &d.name_en))),
            get("department"),
        ),
        buurten: {
            let mut buurten: Vec<(String, String)> = snapshot
                .areas
                .areas()
                .iter()
                .filter(|a| {
                    a.level == AreaLevel::Buurt && (state.served.is_empty() || state.served.contains(&a.gemeente_code))
                })
                .map(|a| (a.code.clone(), a.name.clone()))
                .collect();
            buurten.sort_by(|a, b| a.1.cmp(&b.1));
            choices(buurten.into_iter(), get("buurt"))
        },
        priorities: choices(
            ["high", "normal", "low"].into_iter().map(|p| (p.to_owned(), words.priority_name(p).to_owned())),
            get("priority"),
        ),
        overdue: choices(
            [("true", words.overdue_only), ("false", words.not_overdue)]
                .into_iter()
                .map(|(v, l)| (v.to_owned(), l.to_owned())),
            get("overdue"),
        ),
        sorts: choices(
            [
                ("-created_at", words.newest_first),
                ("created_at", words.oldest_first),
                ("deadline_at", words.deadline_first),
                ("priority", words.priority_first),
            ]
            .into_iter()
            .map(|(v, l)| (v.to_owned(), l.to_owned())),
            sort_name,
        ),
        mine: get("mine") == "1",
        q: get("q").to_owned(),
        rows,
        total,
        status_counts: answer
            .as_ref()
            .map(|a| a.by_status.as_slice())
            .unwrap_or_default()
            .iter()
            .filter(|(_, count)| *count > 0)
            .map(|(status, count)| StatusCount {
                label: words.status(*status),
                count: *count,
                href: link(&[("status", status.as_str().to_owned()), ("page", String::new())]),
                current: get("status") == status.as_str(),
            })
            .collect(),
        first: if total == 0 { 0 } else { offset + 1 },
        last: offset + i64::try_from(items.len()).unwrap_or(0),
        previous: (page > 1).then(|| link(&[("page", if page == 2 { String::new() } else { (page - 1).to_string() })])),
        next: more.then(|| link(&[("page", (page + 1).to_string())])),
        sort_received: sort_link("created_at", Some("-created_at")),
        sort_deadline: sort_link("deadline_at", None),
        sort_priority: sort_link("priority", None),
        map,
        errors,
    };
    let status = if view.errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    Ok(render(status, &frame, &view)?)
}
