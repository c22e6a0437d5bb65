//! The forms of the report page (`POST /console/reports/{id}`, one `action` each). Every
//! action calls the function the staff API's handler calls (`crate::api::staff::handling`,
//! `crate::api::staff::changes::change_report`) and answers a 303 back to a report page
//! with a message, or the page again with the reasons next to the form.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, post, web};
use uuid::Uuid;

use super::report::{Extras, handler_of, page};
use super::session::ConsoleUser;
use super::{ConsoleError, console_lang, csrf, message, see_other};
use crate::api::error::ApiError;
use crate::api::pages::resident::field;
use crate::api::public::reports::LocationInput;
use crate::api::responses::Unavailable;
use crate::api::staff::changes::{ReportPatch, change_report};
use crate::api::staff::handling;
use crate::api::state::AppState;
use crate::domain::auth::StaffIdentity;
use crate::domain::report::ReportStatus;
use crate::domain::workflow::NoteVisibility;

/// Largest form, in bytes (a note or status text of 3000 characters, encoded).
const FORM_MAX_BYTES: usize = 64 * 1024;

/// What an action did: where to go, or which form failed and why (with the status).
enum Outcome {
    Done(String),
    Failed(&'static str, StatusCode, Vec<String>),
}

fn failed(form: &'static str, error: ApiError) -> Result<Outcome, ApiError> {
    match error {
        ApiError::Validation(errors) => {
            Ok(Outcome::Failed(form, StatusCode::UNPROCESSABLE_ENTITY, errors.into_iter().map(|e| e.detail).collect()))
        }
        ApiError::OutsideServiceArea(why) => Ok(Outcome::Failed(form, StatusCode::UNPROCESSABLE_ENTITY, vec![why])),
        ApiError::Conflict(why) => Ok(Outcome::Failed(form, StatusCode::CONFLICT, vec![why])),
        other => Err(other),
    }
}

fn bad(form: &'static str, why: &str) -> Result<Outcome, ApiError> {
    Ok(Outcome::Failed(form, StatusCode::UNPROCESSABLE_ENTITY, vec![why.to_owned()]))
}

/// Runs one action on report `id`.
async fn act(
    state: &AppState,
    identity: &StaffIdentity,
    id: Uuid,
    action: &str,
    fields: &[(String, String)],
) -> Result<Outcome, ApiError> {
    let value = |name: &str| field(fields, name).map(str::trim).filter(|v| !v.is_empty());
    let back = |done: &str| format!("/console/reports/{id}?done={done}");
    match action {
        "transition" => {
            let Some(to) = value("to").and_then(ReportStatus::parse) else {
                return bad("status", "choose the new status");
            };
            match handling::transition(state, identity, id, to, value("text")).await {
                Ok(_) => Ok(Outcome::Done(format!("{}&to={}", back("status"), to.as_str()))),
                Err(error) => failed("status", error),
            }
        }
        "note" => {
            let visibility = match value("visibility") {
                Some("public") => NoteVisibility::Public,
                _ => NoteVisibility::Internal,
            };
            match handling::add_note(state, identity, id, visibility, field(fields, "text").unwrap_or_default()).await {
                Ok(_) => Ok(Outcome::Done(back("note"))),
                Err(error) => failed("note", error),
            }
        }
        "assign" => {
            let account = match value("account_id") {
                None => None,
                Some("me") => Some(identity.account_id),
                Some(text) => match Uuid::parse_str(text) {
                    Ok(account) => Some(account),
                    Err(_) => return bad("assign", "enter the id of a staff account (or leave it empty)"),
                },
            };
            match handling::assign(state, identity, id, account).await {
                Ok(_) => Ok(Outcome::Done(back("assign"))),
                Err(error) => failed("assign", error),
            }
        }
        "change" => {
            let location = match (value("lat"), value("lon")) {
                (None, None) => None,
                (Some(lat), Some(lon)) => match (lat.replace(',', ".").parse(), lon.replace(',', ".").parse()) {
                    (Ok(lat), Ok(lon)) => Some(LocationInput { lat, lon }),
                    _ => {
                        return bad(
                            "change",
                            "enter latitude and longitude as decimal degrees, e.g. 50.8882 and 5.9795",
                        );
                    }
                },
                _ => return bad("change", "enter both latitude and longitude, or neither"),
            };
            let patch = ReportPatch {
                category: value("category").map(str::to_owned),
                location,
                department: value("department").map(str::to_owned),
                priority: value("priority").map(str::to_owned),
            };
            handling::visible(state, identity, id).await?;
            match change_report(state, &identity.actor(), id, &patch).await {
                Ok(_) => Ok(Outcome::Done(back("change"))),
                Err(error) => failed("change", error),
            }
        }
        "merge" => {
            let Some(into) = value("into").and_then(|v| Uuid::parse_str(v).ok()) else {
                return bad("merge", "choose the report to merge into");
            };
            match handling::merge(state, identity, id, into).await {
                Ok(_) => Ok(Outcome::Done(format!("/console/reports/{into}?done=merge"))),
                Err(error) => failed("merge", error),
            }
        }
        _ => bad("", "this form has no known action; reload the page"),
    }
}

/// The forms of the report page: `csrf` (the session's form token) and `action`:
/// `contact` (show the reporter's contact, audited), `transition` (`to`, `text`), `note`
/// (`text`, `visibility`), `assign` (`account_id`: an id, `me`, or empty), `change`
/// (`category`, `department`, `priority`, `lat` and `lon`) or `merge` (`into`).
#[utoipa::path(
    operation_id = "console_report_action",
    tag = "console",
    params(("id" = String, Path, description = "Report id")),
    request_body(content = String, content_type = "application/x-www-form-urlencoded", description = "`csrf`, `action` and the action's fields"),
    responses(
        (status = 200, description = "`contact`: the page with the reporter's contact", content_type = "text/html"),
        (status = 303, description = "Done: back to the report with a message; or not signed in: to the login page"),
        (status = 403, description = "The form token is missing or wrong, the form came from another site, or the role does not handle reports: a page says so", content_type = "text/html"),
        (status = 404, description = "No such report in your departments: a page says so", content_type = "text/html"),
        (status = 409, description = "The workflow does not allow this, or a merged report is closed: the page with the reason", content_type = "text/html"),
        (status = 413, description = "The form is too large", body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "A field is missing or invalid: the page with the reasons next to the form", content_type = "text/html"),
        Unavailable,
    )
)]
#[post("/console/reports/{id}")]
pub async fn report_action(
    request: HttpRequest,
    user: ConsoleUser,
    path: web::Path<String>,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ConsoleError> {
    let fields = match csrf::checked_form(&request, &state, &user, payload, FORM_MAX_BYTES).await? {
        Ok(fields) => fields,
        Err(refused) => return Ok(refused),
    };
    let w = super::words::of(console_lang(&request).0);
    let identity = match handler_of(&request, &user) {
        Ok(identity) => identity,
        Err(refused) => return Ok(*refused),
    };
    let Ok(id) = Uuid::parse_str(&path.into_inner()) else {
        return Ok(message(&request, StatusCode::NOT_FOUND, w.not_found_title, w.not_found_text, user.frame_user())?);
    };
    let action = field(&fields, "action").unwrap_or_default();
    if action == "contact" {
        let contact = match handling::reveal_contact(&state, &identity, id).await {
            Ok(contact) => contact,
            Err(ApiError::NotFound(_)) => {
                return Ok(message(
                    &request,
                    StatusCode::NOT_FOUND,
                    w.not_found_title,
                    w.not_found_text,
                    user.frame_user(),
                )?);
            }
            Err(error) => return Err(error.into()),
        };
        let extras = Extras { contact: Some(contact), ..Extras::default() };
        return page(&request, &state, &user, &identity, id, StatusCode::OK, extras).await;
    }
    match act(&state, &identity, id, action, &fields).await {
        Ok(Outcome::Done(location)) => Ok(see_other(&location)),
        Ok(Outcome::Failed(form, status, errors)) => {
            let text = field(&fields, "text").unwrap_or_default().to_owned();
            let extras = Extras { errors: Some((form, errors)), text, ..Extras::default() };
            page(&request, &state, &user, &identity, id, status, extras).await
        }
        Err(ApiError::NotFound(_)) => {
            Ok(message(&request, StatusCode::NOT_FOUND, w.not_found_title, w.not_found_text, user.frame_user())?)
        }
        Err(other) => Err(other.into()),
    }
}
