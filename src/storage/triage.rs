//! Staff changes to reports: status transitions, notes and assignment, each with its
//! history entry in the same transaction. Access (which staff may touch which report) is
//! decided here from the domain rule, so a hidden report behaves exactly like a missing one.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use uuid::Uuid;

use super::connection::{DbTime, DbUuid};
use super::rows::{HistoryRow, NewHistoryRow};
use super::schema::{accounts, report_history, reports};
use super::{DbConnection, StorageError};
use crate::domain::auth::{Role, StaffIdentity};
use crate::domain::privacy::audit::AuditAction;
use crate::domain::report::{Report, ReportStatus};
use crate::domain::report_event::body::{EventData, NoteAddedData, StatusChangedData};
use crate::domain::workflow::{HistoryEntry, NoteVisibility, TransitionError, check_transition};

/// The result of a staff change.
#[derive(Debug)]
pub enum Change<T> {
    /// No such report, or not one this staff member may see.
    Hidden,
    /// Refused by the workflow.
    Refused(TransitionError),
    /// A referenced account does not exist or cannot be assigned.
    BadAssignee,
    Done(T),
}

/// Appends one history entry.
pub fn append(
    conn: &mut DbConnection,
    report_id: Uuid,
    actor: &str,
    action: &str,
    details: serde_json::Value,
) -> Result<(), StorageError> {
    diesel::insert_into(report_history::table)
        .values(NewHistoryRow {
            report_id: DbUuid(report_id),
            at: DbTime::new(Utc::now()),
            actor: actor.to_owned(),
            action: action.to_owned(),
            details: details.to_string(),
        })
        .execute(conn)?;
    Ok(())
}

/// The whole history of a report, oldest first.
pub fn history(conn: &mut DbConnection, report_id: Uuid) -> Result<Vec<HistoryEntry>, StorageError> {
    report_history::table
        .filter(report_history::report_id.eq(DbUuid(report_id)))
        .order(report_history::id)
        .select(HistoryRow::as_select())
        .load(conn)?
        .into_iter()
        .map(HistoryEntry::try_from)
        .collect()
}

/// The report if `staff` may handle it.
pub fn visible(conn: &mut DbConnection, staff: &StaffIdentity, id: Uuid) -> Result<Option<Report>, StorageError> {
    Ok(super::reports::by_id(conn, id)?.filter(|report| staff.handles(report.department_id)))
}

/// Moves a report to `to` with a public `text` (inside the caller's write transaction),
/// without a satisfaction survey.
pub fn transition(
    conn: &mut DbConnection,
    staff: &StaffIdentity,
    id: Uuid,
    to: ReportStatus,
    text: Option<&str>,
) -> Result<Change<Report>, StorageError> {
    transition_with_survey(conn, staff, id, to, text, None)
}

/// Moves a report to `to` with a public `text` (inside the caller's write transaction).
/// The update is conditional on the status read, so two racing transitions cannot both
/// apply to the same starting status. With `survey_days`, a resolution (not a decision
/// on a request to reopen) opens a satisfaction survey for a reporter with an email
/// address, whose links ride in the reporter's email.
///
/// Deciding on a request to reopen clears its term; sending it back to `resolved` records
/// no new resolution for the statistics (they never saw the report open again).
pub fn transition_with_survey(
    conn: &mut DbConnection,
    staff: &StaffIdentity,
    id: Uuid,
    to: ReportStatus,
    text: Option<&str>,
    survey_days: Option<i64>,
) -> Result<Change<Report>, StorageError> {
    let Some(report) = visible(conn, staff, id)? else {
        return Ok(Change::Hidden);
    };
    let checked = match check_transition(report.status, to, text) {
        Ok(checked) => checked,
        Err(refused) => return Ok(Change::Refused(refused)),
    };
    let at = Utc::now();
    let now = DbTime::new(at);
    let counted = super::rollup::view(conn, id)?;
    let changed = diesel::update(reports::table.find(DbUuid(id)).filter(reports::status.eq(report.status.as_str())))
        .set((reports::status.eq(to.as_str()), reports::updated_at.eq(now), reports::reopen_due_at.eq(None::<DbTime>)))
        .execute(conn)?;
    let decided = report.status == ReportStatus::ReopenRequested;
    if changed > 0 && !(decided && to == ReportStatus::Resolved) {
        record_lifecycle(conn, id, to, at)?;
        super::rollup::refresh(conn, id, counted)?;
    }
    if changed == 0 {
        // Changed by someone else since it was read: answer with the fresh state.
        let current = super::reports::by_id(conn, id)?.map_or(report.status, |r| r.status);
        return Ok(Change::Refused(check_transition(current, to, text).err().unwrap_or(TransitionError::NotAllowed {
            from: current,
            allowed: crate::domain::workflow::allowed_transitions(current),
        })));
    }
    let change = EventData::StatusChanged(StatusChangedData {
        from: checked.from,
        to: checked.to,
        text: checked.text.clone(),
        via: None,
    });
    append(conn, id, &staff.actor(), "status_changed", change.to_value())?;
    super::report_events::record(conn, id, &change)?;
    let report =
        super::reports::by_id(conn, id)?.ok_or_else(|| StorageError::Corrupt(format!("report {id} vanished")))?;
    // The residents' emails are queued in the same transaction as the change.
    let survey = match survey_days {
        Some(days) if to == ReportStatus::Resolved && !decided => {
            super::surveys::open_for_resolution(conn, id, at, days)?
        }
        _ => None,
    };
    super::outbox::on_public_update_with_survey(
        conn,
        id,
        &report.reference,
        to.as_str(),
        checked.text.as_deref(),
        survey,
    )?;
    Ok(Change::Done(report))
}

/// Keeps the statistics' view of a report's life (its `lifecycle` events and `settled_at`)
/// in step with a status change, in the same transaction.
fn record_lifecycle(
    conn: &mut DbConnection,
    id: Uuid,
    to: ReportStatus,
    at: DateTime<Utc>,
) -> Result<(), StorageError> {
    let Some(event) = crate::domain::stats::LifeEvent::of_status(to, at) else {
        return Ok(());
    };
    let settled = crate::domain::workflow::is_closed(to).then_some(DbTime::new(at));
    diesel::update(reports::table.find(DbUuid(id)))
        .set((
            reports::lifecycle.eq(reports::lifecycle.concat(format!(" {}", event.encode()))),
            reports::settled_at.eq(settled),
        ))
        .execute(conn)?;
    Ok(())
}

/// Adds a note (inside the caller's write transaction).
pub fn add_note(
    conn: &mut DbConnection,
    staff: &StaffIdentity,
    id: Uuid,
    visibility: NoteVisibility,
    text: &str,
) -> Result<Change<()>, StorageError> {
    let Some(report) = visible(conn, staff, id)? else {
        return Ok(Change::Hidden);
    };
    append(conn, id, &staff.actor(), "note", serde_json::json!({"visibility": visibility.as_str(), "text": text}))?;
    if visibility == NoteVisibility::Public {
        super::outbox::on_public_update(conn, id, &report.reference, report.status.as_str(), Some(text))?;
    }
    diesel::update(reports::table.find(DbUuid(id)))
        .set(reports::updated_at.eq(DbTime::new(Utc::now())))
        .execute(conn)?;
    if visibility == NoteVisibility::Public {
        // After the report's row changed: events of one report are numbered in order.
        super::report_events::record(conn, id, &EventData::NoteAdded(NoteAddedData { text: text.to_owned() }))?;
    }
    Ok(Change::Done(()))
}

/// The assignee of a report.
pub fn assignee(conn: &mut DbConnection, id: Uuid) -> Result<Option<Uuid>, StorageError> {
    Ok(reports::table
        .find(DbUuid(id))
        .select(reports::assignee_id)
        .first::<Option<DbUuid>>(conn)
        .optional()?
        .flatten()
        .map(|a| a.0))
}

/// Assigns a report to an active staff account that may handle it, or unassigns it
/// (inside the caller's write transaction).
pub fn assign(
    conn: &mut DbConnection,
    staff: &StaffIdentity,
    id: Uuid,
    to: Option<Uuid>,
) -> Result<Change<Option<Uuid>>, StorageError> {
    let Some(report) = visible(conn, staff, id)? else {
        return Ok(Change::Hidden);
    };
    if let Some(account) = to {
        let target = accounts::table
            .find(DbUuid(account))
            .filter(accounts::active.eq(true))
            .select(accounts::role)
            .first::<Option<String>>(conn)
            .optional()?
            .flatten();
        let departments = super::accounts::get(conn, account)?.map(|a| a.departments).unwrap_or_default();
        let may = target
            .as_deref()
            .and_then(Role::parse)
            .is_some_and(|role| crate::domain::auth::handles(role, &departments, report.department_id));
        if !may {
            return Ok(Change::BadAssignee);
        }
    }
    let from = assignee(conn, id)?;
    diesel::update(reports::table.find(DbUuid(id)))
        .set((reports::assignee_id.eq(to.map(DbUuid)), reports::updated_at.eq(DbTime::new(Utc::now()))))
        .execute(conn)?;
    append(conn, id, &staff.actor(), "assigned", serde_json::json!({"from": from, "to": to}))?;
    Ok(Change::Done(to))
}

/// A reporter's contact details as staff may see them.
#[derive(Debug, Clone)]
pub struct Contact {
    pub email: Option<String>,
    pub phone: Option<String>,
    pub name: Option<String>,
    /// Whether staff may contact them with questions.
    pub consent_to_contact: bool,
}

/// The reporter's contact of a report, recording the look in the audit log in the same
/// transaction (inside the caller's write transaction). `None` when the report has none
/// (nothing is audited then: no personal data was seen).
pub fn contact_audited(
    conn: &mut DbConnection,
    staff: &StaffIdentity,
    report_id: Uuid,
) -> Result<Option<Contact>, StorageError> {
    use super::rows::ContactRow;
    use super::schema::reporter_contacts;
    let Some(row) =
        reporter_contacts::table.find(DbUuid(report_id)).select(ContactRow::as_select()).first(conn).optional()?
    else {
        return Ok(None);
    };
    super::audit::record(conn, staff.account_id, AuditAction::ViewedReporterContact, report_id)?;
    Ok(Some(Contact { email: row.email, phone: row.phone, name: row.name, consent_to_contact: row.consent_to_contact }))
}
