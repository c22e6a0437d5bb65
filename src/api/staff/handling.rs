//! What can be done to one report, shared by the staff API (`triage`) and the console's
//! forms: read it as one who handles it, move its status, add a note, assign it, merge it
//! into another, reveal the reporter's contact (audited). Each function calls storage and
//! turns its outcome into the API's errors, so a rule has one implementation whichever
//! door it is reached through.

use uuid::Uuid;

use crate::api::error::ApiError;
use crate::api::state::AppState;
use crate::domain::auth::StaffIdentity;
use crate::domain::report::{Report, ReportStatus};
use crate::domain::validation::{FieldError, bounded_text};
use crate::domain::workflow::{NoteVisibility, STATUS_TEXT_MAX, TransitionError};
use crate::storage::triage::{self, Change, Contact};

/// The 404 of a report that does not exist or is not in the caller's departments: the same
/// answer for both, so department staff cannot probe which reports exist.
pub fn hidden(id: Uuid) -> ApiError {
    ApiError::NotFound(format!("there is no report {id} in your departments"))
}

fn invalid(pointer: &str, detail: impl Into<String>) -> ApiError {
    ApiError::Validation(vec![FieldError { pointer: pointer.into(), detail: detail.into() }])
}

/// The report `id`, when `staff` handles it (else [`hidden`]).
pub async fn visible(state: &AppState, staff: &StaffIdentity, id: Uuid) -> Result<Report, ApiError> {
    let who = staff.clone();
    state.db.run(move |conn| triage::visible(conn, &who, id)).await?.ok_or_else(|| hidden(id))
}

/// Moves a report to `to`. Illegal transitions are a `Conflict` that lists the allowed
/// ones; a missing or bad text for the resident a `Validation` error at `/text`.
pub async fn transition(
    state: &AppState,
    staff: &StaffIdentity,
    id: Uuid,
    to: ReportStatus,
    text: Option<&str>,
) -> Result<Report, ApiError> {
    let who = staff.clone();
    let survey_days = state.survey_days;
    let text = text.map(str::to_owned);
    let change = state
        .db
        .run(move |conn| {
            conn.write_transaction(|c| {
                triage::transition_with_survey(c, &who, id, to, text.as_deref(), Some(survey_days))
            })
        })
        .await?;
    let report = match change {
        Change::Done(report) => report,
        Change::Hidden => return Err(hidden(id)),
        Change::Refused(TransitionError::NotAllowed { from, allowed }) => {
            let names: Vec<&str> = allowed.iter().map(|s| s.as_str()).collect();
            return Err(ApiError::Conflict(format!(
                "a report that is {} cannot move to {}; allowed: {}",
                from.as_str(),
                to.as_str(),
                names.join(", ")
            )));
        }
        Change::Refused(TransitionError::Text(why)) => return Err(invalid("/text", why)),
        Change::BadAssignee => return Err(ApiError::Internal("unexpected assignee outcome".into())),
    };
    tracing::info!(report_id = %id, to = to.as_str(), "report status changed");
    Ok(report)
}

/// Adds a note (`internal` or `public`); answers the stored text.
pub async fn add_note(
    state: &AppState,
    staff: &StaffIdentity,
    id: Uuid,
    visibility: NoteVisibility,
    text: &str,
) -> Result<String, ApiError> {
    let text = bounded_text(text, "text", STATUS_TEXT_MAX).map_err(|detail| invalid("/text", detail.to_string()))?;
    let who = staff.clone();
    let note = text.clone();
    let change =
        state.db.run(move |conn| conn.write_transaction(|c| triage::add_note(c, &who, id, visibility, &note))).await?;
    match change {
        Change::Done(()) => Ok(text),
        _ => Err(hidden(id)),
    }
}

/// Assigns the report to an account that may handle it (`None` unassigns).
pub async fn assign(
    state: &AppState,
    staff: &StaffIdentity,
    id: Uuid,
    account: Option<Uuid>,
) -> Result<Report, ApiError> {
    let who = staff.clone();
    let change = state
        .db
        .run(move |conn| {
            conn.write_transaction(|c| -> Result<_, crate::storage::StorageError> {
                match triage::assign(c, &who, id, account)? {
                    Change::Done(_) => Ok(Change::Done(triage::visible(c, &who, id)?)),
                    Change::Hidden => Ok(Change::Hidden),
                    Change::BadAssignee => Ok(Change::BadAssignee),
                    Change::Refused(r) => Ok(Change::Refused(r)),
                }
            })
        })
        .await?;
    match change {
        Change::Done(Some(report)) => Ok(report),
        Change::BadAssignee => Err(invalid(
            "/account_id",
            "send the id of an active admin, coordinator, or staff member of the report's department",
        )),
        _ => Err(hidden(id)),
    }
}

/// Merges report `id` (a duplicate) into `into`: it is cancelled with a text naming the
/// original's reference, and its reporter and supporters follow the original.
pub async fn merge(state: &AppState, staff: &StaffIdentity, id: Uuid, into: Uuid) -> Result<Report, ApiError> {
    use crate::storage::duplicates::{MergeRefused, merge};
    let who = staff.clone();
    let change = state.db.run(move |conn| conn.write_transaction(|c| merge(c, &who, id, into))).await?;
    match change {
        Change::Done(Ok(report)) => Ok(report),
        Change::Done(Err(MergeRefused::Itself)) => Err(invalid("/into", "a report cannot be merged into itself")),
        Change::Done(Err(MergeRefused::NoOriginal)) => {
            Err(invalid("/into", "send the id of an open report you can see as the original"))
        }
        Change::Done(Err(MergeRefused::Closed(_))) => {
            Err(ApiError::Conflict("only open reports can be merged: reopen the closed one first, or leave it".into()))
        }
        _ => Err(hidden(id)),
    }
}

/// The reporter's contact details of a report `staff` handles (`None`: reported
/// anonymously); every look is written to the audit log (`viewed_reporter_contact`) by
/// `storage::triage::contact_audited`, exactly as the API's staff view does.
pub async fn reveal_contact(state: &AppState, staff: &StaffIdentity, id: Uuid) -> Result<Option<Contact>, ApiError> {
    let who = staff.clone();
    let contact = state
        .db
        .run(move |conn| {
            conn.write_transaction(|c| -> Result<_, crate::storage::StorageError> {
                if triage::visible(c, &who, id)?.is_none() {
                    return Ok(None);
                }
                Ok(Some(triage::contact_audited(c, &who, id)?))
            })
        })
        .await?;
    contact.ok_or_else(|| hidden(id))
}

/// Open reports of the same category near `report` that `staff` handles, nearest first:
/// the candidates to merge. The radius and time window are the category's duplicate
/// settings, through the same `storage::duplicates::nearby` that offers "me too" at intake.
pub async fn merge_candidates(
    state: &AppState,
    staff: &StaffIdentity,
    report: &Report,
) -> Result<Vec<crate::storage::duplicates::Nearby>, ApiError> {
    use crate::storage::duplicates::{duplicate_window, nearby};
    let (who, id, category, location) = (staff.clone(), report.id, report.category_id, report.location);
    Ok(state
        .db
        .run(move |conn| -> Result<_, crate::storage::StorageError> {
            let window = duplicate_window(conn, category)?;
            let mut found = Vec::new();
            for candidate in nearby(conn, id, category, location, window, chrono::Utc::now())? {
                if triage::visible(conn, &who, candidate.id)?.is_some() {
                    found.push(candidate);
                }
            }
            Ok(found)
        })
        .await?)
}

/// The active accounts report `report` may be assigned to (the rule of
/// `storage::triage::assign`: `crate::domain::auth::handles`), by name.
pub async fn assignable(state: &AppState, report: &Report) -> Result<Vec<crate::domain::auth::Account>, ApiError> {
    let department = report.department_id;
    let mut accounts = state.db.run(crate::storage::accounts::list).await?;
    accounts.retain(|a| {
        a.active && a.role.is_some_and(|role| crate::domain::auth::handles(role, &a.departments, department))
    });
    accounts.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(accounts)
}
