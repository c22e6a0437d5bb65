//! The triage API for one report: detail with the full history (and, audited, the
//! reporter's contact), status transitions, notes and assignment.
//!
//! Access: admins and coordinators handle every report, department staff the reports of
//! their own departments, analysts none (`403`). A report of another department answers
//! `404` exactly like a missing one, so department staff cannot probe which reports exist.

use actix_web::{HttpRequest, HttpResponse, get, post, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::api::access::HANDLERS;
use crate::api::body::{parse, read_json};
use crate::api::error::{ApiError, Problem};
use crate::api::responses::{HandlerErrors, JsonBodyErrors, Unavailable};
use crate::api::staff::auth::Staff;
use crate::api::staff::handling;
use crate::api::staff::moderation::PublicTextView;
use crate::api::state::AppState;
use crate::api::views::ReportView;
use crate::domain::auth::StaffIdentity;
use crate::domain::privacy::Audience;
use crate::domain::report::{Report, ReportStatus};
use crate::domain::workflow::{HistoryEntry, NoteVisibility, effective_deadline, is_overdue};
use crate::storage::triage::{self, Contact};

/// One history entry as staff see it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct HistoryView {
    /// When.
    pub at: DateTime<Utc>,
    /// Who: `reporter`, `system`, `admin`, `open311`, `import` or `staff:<account id>`.
    pub actor: String,
    /// What: `created`, `status_changed`, `note`, `assigned`, `merged_into`, …
    pub action: String,
    /// Details of the action.
    #[schema(value_type = Object)]
    pub details: serde_json::Value,
}

impl From<HistoryEntry> for HistoryView {
    fn from(entry: HistoryEntry) -> Self {
        HistoryView { at: entry.at, actor: entry.actor, action: entry.action, details: entry.details }
    }
}

/// The reporter's contact details (each view is written to the audit log).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ContactView {
    pub email: Option<String>,
    pub phone: Option<String>,
    pub name: Option<String>,
    /// Whether staff may contact the reporter with questions.
    pub consent_to_contact: bool,
}

impl From<Contact> for ContactView {
    fn from(c: Contact) -> Self {
        ContactView { email: c.email, phone: c.phone, name: c.name, consent_to_contact: c.consent_to_contact }
    }
}

/// A report as staff see it: everything, with its history.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct StaffReportView {
    /// The report (nothing withheld).
    #[serde(flatten)]
    pub report: ReportView,
    /// Priority: `low`, `normal` or `high`.
    pub priority: String,
    /// The account handling it.
    pub assignee_id: Option<Uuid>,
    /// Whether its deadline has passed while it is still open.
    pub overdue: bool,
    /// Who reported it (`null` when anonymous). Viewing it is audited.
    pub reporter: Option<ContactView>,
    /// Its text as the public sees it (masked, moderated), next to the original above.
    pub public_text: PublicTextView,
    /// Every change, oldest first.
    pub history: Vec<HistoryView>,
    /// The satisfaction surveys sent with its resolutions, newest first (the resident's
    /// words are in the history, as internal notes).
    pub surveys: Vec<SurveyView>,
}

/// A satisfaction survey of a report as staff see it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SurveyView {
    /// Emailed with the resolution.
    pub sent_at: DateTime<Utc>,
    /// Answers are accepted until then.
    pub expires_at: DateTime<Utc>,
    /// When it was answered (`null`: not yet).
    pub answered_at: Option<DateTime<Utc>>,
    /// Whether the problem was solved, by the resident's answer.
    pub satisfied: Option<bool>,
    /// The standard answer chosen.
    pub answer_id: Option<Uuid>,
    /// Its Dutch text.
    pub answer: Option<String>,
    /// Whether the answer asked to reopen the report.
    pub reopen_requested: bool,
}

/// A status change.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TransitionRequest {
    /// The new status.
    pub to: ReportStatus,
    /// Message for the resident; required for `resolved`, `cancelled` and `reopened`.
    /// `reopen_requested` is the resident's to ask for, never a staff transition; from it
    /// staff move to `reopened` or back to `resolved`.
    #[serde(default)]
    pub text: Option<String>,
}

/// A note on a report.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NoteRequest {
    /// The note, 1 to 3000 characters.
    pub text: String,
    /// `internal` (staff only, the default) or `public` (shown to and emailed to the resident).
    #[serde(default = "internal")]
    pub visibility: NoteVisibility,
}

fn internal() -> NoteVisibility {
    NoteVisibility::Internal
}

/// A change of assignee.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AssignRequest {
    /// The account to handle it; `null` unassigns.
    pub account_id: Option<Uuid>,
}

/// Builds the staff view. With `with_contact` it reads the reporter's contact, audited, as
/// the API always does; the console asks for it only on an explicit "Show contact".
pub async fn staff_view(
    state: &AppState,
    staff: StaffIdentity,
    report: Report,
    with_contact: bool,
) -> Result<StaffReportView, ApiError> {
    let id = report.id;
    let (history, assignee, contact, surveys) = state
        .db
        .run(move |conn| -> Result<_, ApiError> {
            let history = triage::history(conn, id)?;
            let assignee = triage::assignee(conn, id)?;
            let contact =
                if with_contact { conn.write_transaction(|c| triage::contact_audited(c, &staff, id))? } else { None };
            let answers = crate::storage::surveys::list_answers(conn)?;
            let surveys = crate::storage::surveys::of_report(conn, id)?
                .into_iter()
                .map(|s| SurveyView {
                    sent_at: s.sent_at,
                    expires_at: s.expires_at,
                    answered_at: s.answered_at,
                    satisfied: s.satisfied,
                    answer_id: s.answer_id,
                    answer: s.answer_id.and_then(|a| answers.iter().find(|x| x.id == a)).map(|a| a.text_nl.clone()),
                    reopen_requested: s.reopen_requested,
                })
                .collect::<Vec<_>>();
            Ok((history, assignee, contact, surveys))
        })
        .await?;
    let priority = report.priority.clone();
    let deadline = effective_deadline(report.status, report.deadline_at, report.reopen_due_at);
    let overdue = is_overdue(report.status, deadline, Utc::now());
    let snapshot = state.config.snapshot();
    let routed = report.clone();
    let public_text = PublicTextView::of(&report);
    let view =
        crate::api::public::reports::view(state, report, Audience::Submitter).await?.with_routing(&routed, &snapshot);
    Ok(StaffReportView {
        report: view,
        priority,
        assignee_id: assignee,
        overdue,
        reporter: contact.map(ContactView::from),
        public_text,
        history: history.into_iter().map(HistoryView::from).collect(),
        surveys,
    })
}

/// A report with everything staff need: full text and location, routing, assignee,
/// `overdue`, the reporter's contact (each view is audited) and the full history.
#[utoipa::path(
    tag = "triage",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Report id")),
    responses(
        (status = 200, description = "The report", body = StaffReportView),
        (status = 404, description = "No such report in your departments", body = Problem, content_type = "application/problem+json"),
        Unavailable,
        HandlerErrors,
    )
)]
#[get("/api/v1/staff/reports/{id}")]
pub async fn get_staff_report(
    staff: Staff,
    path: web::Path<Uuid>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let identity = staff.require(HANDLERS)?.clone();
    let id = path.into_inner();
    let report = handling::visible(&state, &identity, id).await?;
    Ok(HttpResponse::Ok().json(staff_view(&state, identity, report, true).await?))
}

/// Moves a report to another status. Illegal transitions are a `409` that lists the
/// allowed ones; `resolved`, `cancelled` and `reopened` need a `text` for the resident.
#[utoipa::path(
    tag = "triage",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Report id")),
    request_body(content = TransitionRequest, content_type = "application/json"),
    responses(
        (status = 200, description = "Moved; the report as staff see it", body = StaffReportView),
        (status = 404, description = "No such report in your departments", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The workflow does not allow this transition; `detail` lists the allowed ones", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Unknown status, or a missing or invalid text", body = Problem, content_type = "application/problem+json"),
        Unavailable,
        JsonBodyErrors,
        HandlerErrors,
    )
)]
#[post("/api/v1/staff/reports/{id}/transitions")]
pub async fn transition_report(
    staff: Staff,
    path: web::Path<Uuid>,
    request: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let identity = staff.require(HANDLERS)?.clone();
    let id = path.into_inner();
    let body = read_json(&request, payload, state.max_body_bytes).await?;
    let input: TransitionRequest = parse(body.value)?;
    let report = handling::transition(&state, &identity, id, input.to, input.text.as_deref()).await?;
    Ok(HttpResponse::Ok().json(staff_view(&state, identity, report, true).await?))
}

/// Adds a note: `internal` for staff only, `public` for the resident too.
#[utoipa::path(
    tag = "triage",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Report id")),
    request_body(content = NoteRequest, content_type = "application/json"),
    responses(
        (status = 201, description = "Added; the history entry", body = HistoryView),
        (status = 404, description = "No such report in your departments", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Missing or invalid text or visibility", body = Problem, content_type = "application/problem+json"),
        Unavailable,
        JsonBodyErrors,
        HandlerErrors,
    )
)]
#[post("/api/v1/staff/reports/{id}/notes")]
pub async fn add_note(
    staff: Staff,
    path: web::Path<Uuid>,
    request: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let identity = staff.require(HANDLERS)?.clone();
    let id = path.into_inner();
    let body = read_json(&request, payload, state.max_body_bytes).await?;
    let input: NoteRequest = parse(body.value)?;
    let text = handling::add_note(&state, &identity, id, input.visibility, &input.text).await?;
    Ok(HttpResponse::Created().json(HistoryView {
        at: Utc::now(),
        actor: identity.actor(),
        action: "note".into(),
        details: serde_json::json!({"visibility": input.visibility.as_str(), "text": text}),
    }))
}

/// Assigns the report to a staff account that may handle it (`null` unassigns).
#[utoipa::path(
    tag = "triage",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Report id")),
    request_body(content = AssignRequest, content_type = "application/json"),
    responses(
        (status = 200, description = "Assigned; the report as staff see it", body = StaffReportView),
        (status = 404, description = "No such report in your departments", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The account does not exist, is inactive, or may not handle this report", body = Problem, content_type = "application/problem+json"),
        Unavailable,
        JsonBodyErrors,
        HandlerErrors,
    )
)]
#[post("/api/v1/staff/reports/{id}/assign")]
pub async fn assign_report(
    staff: Staff,
    path: web::Path<Uuid>,
    request: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let identity = staff.require(HANDLERS)?.clone();
    let id = path.into_inner();
    let body = read_json(&request, payload, state.max_body_bytes).await?;
    let input: AssignRequest = parse(body.value)?;
    let report = handling::assign(&state, &identity, id, input.account_id).await?;
    Ok(HttpResponse::Ok().json(staff_view(&state, identity, report, true).await?))
}

/// A merge of a duplicate into the original report.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MergeRequest {
    /// The original report's id.
    pub into: Uuid,
}

/// Merges this report (a duplicate) into another: it is cancelled with a text naming the
/// original's reference, and its reporter and supporters get the original's updates.
#[utoipa::path(
    tag = "triage",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The duplicate's id")),
    request_body(content = MergeRequest, content_type = "application/json"),
    responses(
        (status = 200, description = "Merged; the duplicate as staff see it", body = StaffReportView),
        (status = 404, description = "No such report in your departments", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "One of the reports is closed already", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`into` is missing, this report itself, or not a report you can see", body = Problem, content_type = "application/problem+json"),
        Unavailable,
        JsonBodyErrors,
        HandlerErrors,
    )
)]
#[post("/api/v1/staff/reports/{id}/merge")]
pub async fn merge_report(
    staff: Staff,
    path: web::Path<Uuid>,
    request: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let identity = staff.require(HANDLERS)?.clone();
    let id = path.into_inner();
    let body = read_json(&request, payload, state.max_body_bytes).await?;
    let input: MergeRequest = parse(body.value)?;
    let report = handling::merge(&state, &identity, id, input.into).await?;
    Ok(HttpResponse::Ok().json(staff_view(&state, identity, report, true).await?))
}
