//! The report page (`GET /console/reports/{id}`): everything staff may see of one report,
//! built from the staff API's own view (`crate::api::staff::triage::staff_view`), with the
//! forms of [`super::actions`]. The reporter's contact is read only after the explicit
//! "Show contact" POST, audited as the API audits it.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, get, web};
use askama::Template;
use uuid::Uuid;

use super::reasons::Reasons;
use super::session::ConsoleUser;
use super::words::Words;
use super::{ConsoleError, Frame, Lang, console_lang, message, render};
use crate::api::access::HANDLERS;
use crate::api::error::ApiError;
use crate::api::responses::Unavailable;
use crate::api::staff::handling;
use crate::api::staff::triage::{ContactView, staff_view};
use crate::api::state::AppState;
use crate::domain::auth::StaffIdentity;
use crate::domain::report::{ReportStatus, RoutingReason};
use crate::domain::workflow::allowed_transitions;
use crate::storage::triage::Contact;

/// What a POST asks the page to show besides the report: the contact, a form's errors, the
/// values typed.
#[derive(Default)]
pub struct Extras {
    /// `Some` after "Show contact": the contact (`None` inside: reported anonymously).
    pub contact: Option<Option<Contact>>,
    /// Why a form failed: each reason's field is the form (`status`, `note`, `assign`,
    /// `change`, `merge`; `""`: none of them).
    pub errors: Reasons,
    /// The text typed in the failed form.
    pub text: String,
}

/// One line of the history.
pub struct Step {
    pub when: String,
    pub iso: String,
    pub who: String,
    pub what: String,
    pub details: Vec<(String, String)>,
}

/// A merge candidate.
pub struct Candidate {
    pub id: Uuid,
    pub reference: String,
    pub status: &'static str,
    pub distance: String,
}

/// An option of a select.
pub struct Choice {
    pub value: String,
    pub label: String,
}

/// An account the report may be assigned to.
pub struct Assignee {
    pub id: Uuid,
    pub label: String,
    pub selected: bool,
}

/// The report page.
#[derive(Template)]
#[template(path = "console/report.html")]
pub struct ReportPage<'a> {
    pub frame: &'a Frame,
    pub w: &'static Words,
    pub id: Uuid,
    pub csrf: String,
    pub notice: Option<String>,
    pub reference: String,
    pub status: &'static str,
    pub category: String,
    pub department: String,
    pub routing: String,
    pub locked: bool,
    pub priority: &'static str,
    pub assignee: String,
    pub received: String,
    pub deadline: String,
    pub overdue: bool,
    pub place: String,
    pub coordinates: String,
    pub source: String,
    pub description: String,
    pub public_description: Option<String>,
    pub contact_shown: bool,
    pub contact: Option<ContactView>,
    pub photos: Vec<(String, String, u32, u32)>,
    pub map: Option<String>,
    pub history: Vec<Step>,
    pub candidates: Vec<Candidate>,
    pub transitions: Vec<Choice>,
    pub assignees: Vec<Assignee>,
    pub categories: Vec<Choice>,
    pub departments: Vec<Choice>,
    pub priorities: Vec<Choice>,
    /// The reasons, at the form they belong to (see [`Extras::errors`]).
    pub errors: Reasons,
    /// Where the summary's reasons link to: the failed form.
    pub error_target: String,
    pub text: String,
}

/// Renders the page of report `id` for `identity`, with `extras`, answering `status`.
pub async fn page(
    request: &HttpRequest,
    state: &AppState,
    user: &ConsoleUser,
    identity: &StaffIdentity,
    id: Uuid,
    status: StatusCode,
    extras: Extras,
) -> Result<HttpResponse, ConsoleError> {
    let (lang, _) = console_lang(request);
    let w = super::words::of(lang);
    let report = match handling::visible(state, identity, id).await {
        Ok(report) => report,
        Err(ApiError::NotFound(_)) => {
            return Ok(message(
                request,
                StatusCode::NOT_FOUND,
                w.not_found_title,
                w.not_found_text,
                user.frame_user(),
            )?);
        }
        Err(other) => return Err(other.into()),
    };
    let candidates = handling::merge_candidates(state, identity, &report).await?;
    let accounts = handling::assignable(state, &report).await?;
    let current = report.status;
    let location = report.location;
    let view = staff_view(state, identity.clone(), report, false).await?;
    let snapshot = state.config.snapshot();
    let english = lang == Lang::En;
    let name = |nl: &str, en: &str| if english { en.to_owned() } else { nl.to_owned() };
    let amsterdam = |at: chrono::DateTime<chrono::Utc>| at.with_timezone(&chrono_tz::Europe::Amsterdam);
    let r = &view.report;
    let buurt = r.area.as_ref().and_then(|a| a.buurt.as_ref());
    let place = [r.address.clone(), buurt.map(|b| b.name.clone().unwrap_or_else(|| b.code.clone()))]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(", ");
    let routing = match &r.routing {
        Some(routing) => match routing.reason {
            RoutingReason::Rule => {
                format!("{}: {}", w.routing_rule, routing.rule_name.clone().unwrap_or_else(|| "–".to_owned()))
            }
            RoutingReason::CategoryDefault => w.routing_default.to_owned(),
            RoutingReason::Manual => w.routing_manual.to_owned(),
        },
        None => String::new(),
    };
    let who = |actor: &str| match actor.strip_prefix("staff:") {
        Some(account) if account == identity.account_id.to_string() => {
            if english {
                "you".to_owned()
            } else {
                "u".to_owned()
            }
        }
        Some(_) => {
            if english {
                "staff".to_owned()
            } else {
                "medewerker".to_owned()
            }
        }
        None => actor.to_owned(),
    };
    // Ids of categories and departments read as their names, statuses as words.
    let readable = |value: &serde_json::Value| -> String {
        let Some(text) = value.as_str() else { return value.to_string() };
        if let Ok(id) = Uuid::parse_str(text) {
            if let Some(category) = snapshot.catalog.category(id) {
                return name(&category.name_nl, &category.name_en);
            }
            if let Some(department) = snapshot.catalog.department(id) {
                return name(&department.name_nl, &department.name_en);
            }
        }
        ReportStatus::parse(text).map_or_else(|| text.to_owned(), |status| w.status(status).to_owned())
    };
    let history = view
        .history
        .iter()
        .rev()
        .map(|entry| Step {
            when: amsterdam(entry.at).format("%d-%m-%Y %H:%M").to_string(),
            iso: entry.at.to_rfc3339(),
            who: who(&entry.actor),
            what: w.action(&entry.action),
            details: entry
                .details
                .as_object()
                .map(|fields| {
                    fields
                        .iter()
                        .filter(|(_, v)| !v.is_null())
                        .map(|(k, v)| (super::history::detail_name(lang, k), readable(v)))
                        .collect()
                })
                .unwrap_or_default(),
        })
        .collect();
    let error_target = extras.errors.all().first().map(|r| format!("form-{}", r.field)).unwrap_or_default();
    let notice = notice(request, w);
    let frame = Frame::new(
        request,
        &format!("/console/reports/{id}"),
        format!("{} {}", w.report_title, r.reference),
        user.frame_user(),
    )
    .with_tiles(state);
    let page = ReportPage {
        frame: &frame,
        w,
        id,
        csrf: user.form_token.clone(),
        notice,
        reference: r.reference.clone(),
        status: w.status(current),
        category: name(&r.category.name_nl, &r.category.name_en),
        department: r.department.as_ref().map(|d| name(&d.name_nl, &d.name_en)).unwrap_or_else(|| w.none.to_owned()),
        routing,
        locked: r.routing.as_ref().is_some_and(|routing| routing.department_locked),
        priority: w.priority_name(&view.priority),
        assignee: match view.assignee_id {
            Some(a) if a == identity.account_id => who(&identity.actor()),
            Some(a) => accounts.iter().find(|x| x.id == a).map_or_else(|| a.to_string(), |x| x.name.clone()),
            None => w.unassigned.to_owned(),
        },
        assignees: accounts
            .iter()
            .map(|a| Assignee {
                id: a.id,
                label: a.role.map_or_else(|| a.name.clone(), |role| format!("{} ({})", a.name, w.role(role))),
                selected: view.assignee_id == Some(a.id),
            })
            .collect(),
        received: amsterdam(r.created_at).format("%d-%m-%Y %H:%M").to_string(),
        deadline: r
            .deadline_at
            .map(|d| amsterdam(d).format("%d-%m-%Y %H:%M").to_string())
            .unwrap_or_else(|| "–".into()),
        overdue: view.overdue,
        place,
        coordinates: format!("{:.6}, {:.6}", location.lat, location.lon),
        source: r.source.clone(),
        description: r.description.clone().unwrap_or_default(),
        public_description: view.public_text.description.clone().filter(|p| Some(p) != r.description.as_ref()),
        contact_shown: extras.contact.is_some(),
        contact: extras.contact.flatten().map(ContactView::from),
        photos: r.photos.iter().map(|p| (p.url.clone(), p.thumbnail_url.clone(), p.width, p.height)).collect(),
        map: buurt.and_then(|b| {
            let label = format!("{} {}", w.map_heading, b.name.as_deref().unwrap_or(&b.code));
            let svg = crate::api::pages::resident::report::buurt_map(state, &b.code, &label, Some(location))?;
            let snapshot = state.config.snapshot();
            let projection = crate::api::pages::dashboard::svg::Projection::fit(std::iter::once(
                &snapshot.areas.area(&b.code)?.geometry,
            ))?;
            Some(super::map::background(state, svg, &projection))
        }),
        history,
        candidates: candidates
            .into_iter()
            .map(|c| Candidate {
                id: c.id,
                reference: c.reference,
                status: ReportStatus::parse(&c.status).map(|s| w.status(s)).unwrap_or("?"),
                distance: format!("{:.0} m", c.distance_m),
            })
            .collect(),
        transitions: allowed_transitions(current)
            .iter()
            .map(|s| Choice { value: s.as_str().to_owned(), label: w.status(*s).to_owned() })
            .collect(),
        categories: snapshot
            .catalog
            .main_categories()
            .flat_map(|main| {
                snapshot.catalog.subcategories_of(main.id).filter(|sub| sub.active).map(move |sub| (main, sub))
            })
            .map(|(main, sub)| Choice {
                value: sub.slug.clone(),
                label: format!("{} – {}", name(&main.name_nl, &main.name_en), name(&sub.name_nl, &sub.name_en)),
            })
            .collect(),
        departments: snapshot
            .catalog
            .departments()
            .into_iter()
            .filter(|d| d.active)
            .map(|d| Choice { value: d.slug.clone(), label: name(&d.name_nl, &d.name_en) })
            .collect(),
        priorities: ["high", "normal", "low"]
            .into_iter()
            .map(|p| Choice { value: p.to_owned(), label: w.priority_name(p).to_owned() })
            .collect(),
        errors: extras.errors,
        error_target,
        text: extras.text,
    };
    Ok(render(status, &frame, &page)?)
}

/// The flash message of a redirect after a form (`?done=`), in words.
fn notice(request: &HttpRequest, w: &Words) -> Option<String> {
    let query: Vec<(String, String)> =
        url::form_urlencoded::parse(request.query_string().as_bytes()).into_owned().collect();
    let value = |name: &str| query.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str());
    match value("done")? {
        "status" => {
            let to = value("to").and_then(ReportStatus::parse)?;
            Some(format!("{} {}.", w.done_status, w.status(to)))
        }
        "note" => Some(w.done_note.to_owned()),
        "assign" => Some(w.done_assign.to_owned()),
        "change" => Some(w.done_change.to_owned()),
        "merge" => Some(w.done_merge.to_owned()),
        _ => None,
    }
}

/// Requires a role that handles reports; else answers a page that says so.
pub fn handler_of(request: &HttpRequest, user: &ConsoleUser) -> Result<StaffIdentity, Box<HttpResponse>> {
    crate::api::staff::auth::Staff(user.identity.clone()).require(HANDLERS).cloned().map_err(|_| {
        let w = super::words::of(console_lang(request).0);
        Box::new(
            message(request, StatusCode::FORBIDDEN, w.forbidden_title, w.forbidden_text, user.frame_user())
                .unwrap_or_else(|e| actix_web::ResponseError::error_response(&e)),
        )
    })
}

/// One report, for a member of staff who handles it (department staff: their
/// departments'; another's answers the same 404 page as a missing one).
#[utoipa::path(
    operation_id = "console_report",
    tag = "console",
    params(
        ("id" = String, Path, description = "Report id"),
        ("done" = Option<String>, Query, description = "What the last form did, for the message at the top"),
        ("lang" = Option<String>, Query, description = "`nl` (default) or `en`"),
    ),
    responses(
        (status = 200, description = "The report page", content_type = "text/html"),
        (status = 303, description = "Not signed in: to the login page"),
        (status = 403, description = "The role does not handle reports: a page says so", content_type = "text/html"),
        (status = 404, description = "No such report in your departments: a page says so", content_type = "text/html"),
        Unavailable,
    )
)]
#[get("/console/reports/{id}")]
pub async fn report_page(
    request: HttpRequest,
    user: ConsoleUser,
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ConsoleError> {
    let identity = match handler_of(&request, &user) {
        Ok(identity) => identity,
        Err(refused) => return Ok(*refused),
    };
    let Ok(id) = Uuid::parse_str(&path.into_inner()) else {
        let w = super::words::of(console_lang(&request).0);
        return Ok(message(&request, StatusCode::NOT_FOUND, w.not_found_title, w.not_found_text, user.frame_user())?);
    };
    page(&request, &state, &user, &identity, id, StatusCode::OK, Extras::default()).await
}
