//! The status workflow: which status may follow which, and when the resident must be told
//! why. Modelled on Signalen's matrix, simplified:
//!
//! | from | to |
//! | --- | --- |
//! | new, reopened | accepted, in_progress, on_hold, scheduled, resolved, cancelled |
//! | accepted | in_progress, on_hold, scheduled, resolved, cancelled |
//! | in_progress | on_hold, scheduled, resolved, cancelled |
//! | on_hold | accepted, in_progress, scheduled, resolved, cancelled |
//! | scheduled | in_progress, on_hold, resolved, cancelled |
//! | resolved, cancelled | reopened |
//! | reopen_requested | reopened, resolved |
//!
//! A report never goes back to `new`; a closed report (resolved or cancelled) only opens
//! again through `reopened`. Resolving, cancelling and reopening need a text for the
//! resident.
//!
//! `reopen_requested` is reached from `resolved` by the resident only (a "no" in the
//! satisfaction survey, or a request from the follow link: `crate::domain::survey`), never
//! by staff; staff then decide, with a text: `reopened`, or back to `resolved`. It counts
//! as open, with a short handling term of its own ([`REOPEN_REQUEST_HOURS`]).

use chrono::{DateTime, Utc};

use super::report::ReportStatus;
use super::validation::bounded_text;

/// Longest public status text, in characters.
pub const STATUS_TEXT_MAX: usize = 3000;

/// The statuses that may follow `from`, in workflow order.
pub fn allowed_transitions(from: ReportStatus) -> &'static [ReportStatus] {
    use ReportStatus::*;
    match from {
        New | Reopened => &[Accepted, InProgress, OnHold, Scheduled, Resolved, Cancelled],
        Accepted => &[InProgress, OnHold, Scheduled, Resolved, Cancelled],
        InProgress => &[OnHold, Scheduled, Resolved, Cancelled],
        OnHold => &[Accepted, InProgress, Scheduled, Resolved, Cancelled],
        Scheduled => &[InProgress, OnHold, Resolved, Cancelled],
        Resolved | Cancelled => &[Reopened],
        ReopenRequested => &[Reopened, Resolved],
    }
}

/// Hours staff have to decide on a resident's request to reopen (three days): the
/// deadline of a report in `reopen_requested` for the queue's overdue rule.
pub const REOPEN_REQUEST_HOURS: i64 = 72;

/// The deadline the overdue rule reads: the request's own term while a request to reopen
/// waits, else the report's handling deadline.
pub fn effective_deadline(
    status: ReportStatus,
    deadline_at: Option<DateTime<Utc>>,
    reopen_due_at: Option<DateTime<Utc>>,
) -> Option<DateTime<Utc>> {
    if status == ReportStatus::ReopenRequested { reopen_due_at.or(deadline_at) } else { deadline_at }
}

/// Whether moving to `to` must come with a text for the resident.
pub fn requires_text(to: ReportStatus) -> bool {
    matches!(to, ReportStatus::Resolved | ReportStatus::Cancelled | ReportStatus::Reopened)
}

/// Whether the report is closed (no longer counts as open or overdue).
pub fn is_closed(status: ReportStatus) -> bool {
    matches!(status, ReportStatus::Resolved | ReportStatus::Cancelled)
}

/// Whether a report with this status and deadline is overdue at `now`.
pub fn is_overdue(status: ReportStatus, deadline_at: Option<DateTime<Utc>>, now: DateTime<Utc>) -> bool {
    !is_closed(status) && deadline_at.is_some_and(|deadline| deadline < now)
}

/// Why a transition is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TransitionError {
    /// `to` may not follow the current status; these may.
    NotAllowed {
        /// The current status.
        from: ReportStatus,
        /// The statuses that may follow it.
        allowed: &'static [ReportStatus],
    },
    /// The text is missing or invalid (the message says why).
    Text(String),
}

/// A checked transition with its cleaned public text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transition {
    /// The status before.
    pub from: ReportStatus,
    /// The status after.
    pub to: ReportStatus,
    /// The message for the resident, if any.
    pub text: Option<String>,
}

/// Checks a transition from `from` to `to` with an optional public `text`.
pub fn check_transition(
    from: ReportStatus,
    to: ReportStatus,
    text: Option<&str>,
) -> Result<Transition, TransitionError> {
    let allowed = allowed_transitions(from);
    if !allowed.contains(&to) {
        return Err(TransitionError::NotAllowed { from, allowed });
    }
    let text = match text.map(str::trim).filter(|t| !t.is_empty()) {
        Some(text) => {
            Some(bounded_text(text, "text", STATUS_TEXT_MAX).map_err(|e| TransitionError::Text(e.to_string()))?)
        }
        None if requires_text(to) => {
            return Err(TransitionError::Text(format!(
                "moving a report to {} needs a text for the resident that says why",
                to.as_str()
            )));
        }
        None => None,
    };
    Ok(Transition { from, to, text })
}

/// One entry of a report's append-only history.
#[derive(Debug, Clone, PartialEq)]
pub struct HistoryEntry {
    /// Entry id (increasing in the order entries were written).
    pub id: i64,
    pub report_id: uuid::Uuid,
    pub at: DateTime<Utc>,
    /// Who: `reporter`, `system`, `admin`, `open311`, `import` or `staff:<account id>`.
    pub actor: String,
    /// What (`created`, `status_changed`, `note`, …).
    pub action: String,
    /// The action's details (see the history contract in the README).
    pub details: serde_json::Value,
}

/// Whether a note is for staff only or also shown to the resident.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum NoteVisibility {
    /// Staff only.
    Internal,
    /// Also shown to the resident (and emailed to them).
    Public,
}

impl NoteVisibility {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Internal => "internal",
            Self::Public => "public",
        }
    }
}

impl HistoryEntry {
    /// Whether residents may see this entry (the public status history): status changes
    /// and public notes, without who made them.
    pub fn is_public(&self) -> bool {
        match self.action.as_str() {
            "created" | "status_changed" | "merged_into" => true,
            "note" => self.details.get("visibility").and_then(|v| v.as_str()) == Some("public"),
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ReportStatus::*;

    const EVERY: [ReportStatus; 9] =
        [New, Accepted, InProgress, OnHold, Scheduled, Resolved, Cancelled, Reopened, ReopenRequested];

    #[test]
    fn no_status_leads_back_to_new_or_to_itself() {
        for from in EVERY {
            assert!(!allowed_transitions(from).contains(&New));
            assert!(!allowed_transitions(from).contains(&from), "{from:?}");
        }
    }

    #[test]
    fn a_closed_report_can_only_be_reopened() {
        for closed in [Resolved, Cancelled] {
            assert_eq!(allowed_transitions(closed), &[Reopened]);
        }
        for open in EVERY.into_iter().filter(|s| !is_closed(*s) && *s != ReopenRequested) {
            assert!(allowed_transitions(open).contains(&Resolved) && allowed_transitions(open).contains(&Cancelled));
            assert!(!allowed_transitions(open).contains(&Reopened));
        }
    }

    #[test]
    fn closing_and_reopening_need_a_text_and_others_do_not() {
        assert!(matches!(check_transition(New, Resolved, None), Err(TransitionError::Text(_))));
        assert!(matches!(check_transition(New, Cancelled, Some("  ")), Err(TransitionError::Text(_))));
        assert!(matches!(check_transition(Resolved, Reopened, None), Err(TransitionError::Text(_))));
        assert_eq!(check_transition(New, Accepted, None), Ok(Transition { from: New, to: Accepted, text: None }));
        assert_eq!(
            check_transition(New, Resolved, Some(" Gerepareerd. ")).map(|t| t.text),
            Ok(Some("Gerepareerd.".into()))
        );
        assert!(matches!(
            check_transition(Resolved, InProgress, Some("x")),
            Err(TransitionError::NotAllowed { allowed: [Reopened], .. })
        ));
    }

    #[test]
    fn staff_decide_a_request_to_reopen_with_a_text_and_never_make_one() {
        assert_eq!(allowed_transitions(ReopenRequested), &[Reopened, Resolved]);
        assert!(EVERY.iter().all(|from| !allowed_transitions(*from).contains(&ReopenRequested)));
        assert!(matches!(check_transition(ReopenRequested, Resolved, None), Err(TransitionError::Text(_))));
        assert!(check_transition(ReopenRequested, Reopened, Some("We komen terug.")).is_ok());
        assert!(!is_closed(ReopenRequested));
        let now = Utc::now();
        let (old, due) = (Some(now - chrono::Duration::days(30)), Some(now + chrono::Duration::hours(72)));
        assert_eq!(effective_deadline(ReopenRequested, old, due), due);
        assert_eq!(effective_deadline(Resolved, old, due), old);
        assert!(!is_overdue(ReopenRequested, effective_deadline(ReopenRequested, old, due), now));
    }

    #[test]
    fn only_open_reports_past_their_deadline_are_overdue() {
        let now = Utc::now();
        let past = Some(now - chrono::Duration::hours(1));
        assert!(is_overdue(InProgress, past, now));
        assert!(!is_overdue(Resolved, past, now));
        assert!(!is_overdue(New, Some(now + chrono::Duration::hours(1)), now));
        assert!(!is_overdue(New, None, now));
    }
}
