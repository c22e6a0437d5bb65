//! The forms of the report page (`POST /console/reports/{id}`, one `action` each). Every
//! action calls the function the staff API's handler calls (`crate::api::staff::handling`,
//! `crate::api::staff::changes::change_report`) and answers a 303 back to a report page
//! with a message, or the page again with the reasons next to the form.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, post, web};
use uuid::Uuid;

use super::reasons::{Reason, Reasons, refusal_by};
use super::report::{Extras, handler_of, page};
use super::session::ConsoleUser;
use super::{ConsoleError, Lang, console_lang, csrf, message, see_other};
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

/// The reasons the forms give before the API is asked (a field left empty or unreadable).
struct ActionWords {
    lang: Lang,
    choose_status: &'static str,
    account_id: &'static str,
    decimal_degrees: &'static str,
    both_or_neither: &'static str,
    choose_merge: &'static str,
    unknown_action: &'static str,
}

const NL: ActionWords = ActionWords {
    lang: Lang::Nl,
    choose_status: "kies de nieuwe status",
    account_id: "vul het id van een medewerkersaccount in (of laat het leeg)",
    decimal_degrees: "vul breedte- en lengtegraad in als decimale graden, bijvoorbeeld 50,8882 en 5,9795",
    both_or_neither: "vul zowel breedte- als lengtegraad in, of geen van beide",
    choose_merge: "kies de melding om mee samen te voegen",
    unknown_action: "dit formulier heeft geen bekende actie; laad de pagina opnieuw",
};

const EN: ActionWords = ActionWords {
    lang: Lang::En,
    choose_status: "choose the new status",
    account_id: "enter the id of a staff account (or leave it empty)",
    decimal_degrees: "enter latitude and longitude as decimal degrees, e.g. 50.8882 and 5.9795",
    both_or_neither: "enter both latitude and longitude, or neither",
    choose_merge: "choose the report to merge into",
    unknown_action: "this form has no known action; reload the page",
};

/// What an action did: where to go, or why its form (the reasons' field) failed, with the
/// status.
enum Outcome {
    Done(String),
    Failed(StatusCode, Reasons),
}

/// The API's refusal of form `form`: its reasons, all at the form.
fn failed(form: &'static str, error: ApiError) -> Result<Outcome, ApiError> {
    refusal_by(error, |_| form.to_owned(), form).map(|(status, reasons)| Outcome::Failed(status, reasons))
}

/// The form's own refusal of form `form`.
fn bad(form: &'static str, why: &str, w: &ActionWords) -> Result<Outcome, ApiError> {
    Ok(Outcome::Failed(StatusCode::UNPROCESSABLE_ENTITY, Reason::ours(form, why, w.lang).into()))
}

/// Runs one action on report `id`.
async fn act(
    state: &AppState,
    identity: &StaffIdentity,
    id: Uuid,
    action: &str,
    fields: &[(String, String)],
    lang: Lang,
) -> Result<Outcome, ApiError> {
    let w = match lang {
        Lang::Nl => &NL,
        Lang::En => &EN,
    };
    let value = |name: &str| field(fields, name).map(str::trim).filter(|v| !v.is_empty());
    let back = |done: &str| format!("/console/reports/{id}?done={done}");
    match action {
        "transition" => {
            let Some(to) = value("to").and_then(ReportStatus::parse) else {
                return bad("status", w.choose_status, w);
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
                    Err(_) => return bad("assign", w.account_id, w),
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
                    _ => return bad("change", w.decimal_degrees, w),
                },
                _ => return bad("change", w.both_or_neither, w),
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
                return bad("merge", w.choose_merge, w);
            };
            match handling::merge(state, identity, id, into).await {
                Ok(_) => Ok(Outcome::Done(format!("/console/reports/{into}?done=merge"))),
                Err(error) => failed("merge", error),
            }
        }
        _ => bad("", w.unknown_action, w),
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
    match act(&state, &identity, id, action, &fields, console_lang(&request).0).await {
        Ok(Outcome::Done(location)) => Ok(see_other(&location)),
        Ok(Outcome::Failed(status, errors)) => {
            let text = field(&fields, "text").unwrap_or_default().to_owned();
            let extras = Extras { errors, text, ..Extras::default() };
            page(&request, &state, &user, &identity, id, status, extras).await
        }
        Err(ApiError::NotFound(_)) => {
            Ok(message(&request, StatusCode::NOT_FOUND, w.not_found_title, w.not_found_text, user.frame_user())?)
        }
        Err(other) => Err(other.into()),
    }
}
