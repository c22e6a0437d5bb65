//! A report's status: the names of the workflow's steps, stored and on the wire. Which
//! status may follow which is [`super::workflow`]; `super::report` re-exports the type.

use serde::{Deserialize, Serialize};

/// Where a report is in its handling (the workflow of ../DESIGN: new → accepted →
/// in_progress → resolved, plus on_hold, scheduled, cancelled, reopened and
/// reopen_requested, which only the resident reaches from resolved).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ReportStatus {
    /// Received, not yet looked at.
    New,
    /// Accepted by the department.
    Accepted,
    /// Work has started.
    InProgress,
    /// Waiting for something outside the department.
    OnHold,
    /// Work is planned for a date.
    Scheduled,
    /// Done.
    Resolved,
    /// Will not be handled.
    Cancelled,
    /// Opened again after it was resolved or cancelled.
    Reopened,
    /// The resident asked to reopen it after its resolution (survey or follow link); staff
    /// decide: `reopened` or back to `resolved`.
    ReopenRequested,
}

impl ReportStatus {
    /// The stored and wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::New => "new",
            Self::Accepted => "accepted",
            Self::InProgress => "in_progress",
            Self::OnHold => "on_hold",
            Self::Scheduled => "scheduled",
            Self::Resolved => "resolved",
            Self::Cancelled => "cancelled",
            Self::Reopened => "reopened",
            Self::ReopenRequested => "reopen_requested",
        }
    }

    /// Parses the stored name.
    pub fn parse(text: &str) -> Option<Self> {
        [
            Self::New,
            Self::Accepted,
            Self::InProgress,
            Self::OnHold,
            Self::Scheduled,
            Self::Resolved,
            Self::Cancelled,
            Self::Reopened,
            Self::ReopenRequested,
        ]
        .into_iter()
        .find(|status| status.as_str() == text)
    }
}
