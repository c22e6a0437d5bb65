//! A report imported from an earlier system's history (issue 14, the baseline): the report
//! as intake would have placed and routed it when it was received, its final status, when
//! it closed, and what the statistics and the history read from that. Built and checked in
//! `crate::import`; stored by `crate::storage::history_import`.

use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use super::report::{NewReport, ReportStatus};
use super::stats::lifecycle::{LifeEvent, encode};
use super::workflow::is_closed;

/// Who the history entries of an imported report name as their actor.
pub const IMPORT_ACTOR: &str = "import";

/// A checked historical report, ready to be stored.
#[derive(Debug, Clone)]
pub struct ImportedReport {
    /// The report as received: ids, reference, areas, department and deadline decided as
    /// intake decides them, at its historical `created_at`; `source` is `import`.
    pub report: NewReport,
    /// Its identifier in the system it came from (unique among imported reports).
    pub source_id: String,
    /// Its status at the end of the history.
    pub status: ReportStatus,
    /// When it reached that status, for a closed (resolved or cancelled) report.
    pub closed_at: Option<DateTime<Utc>>,
    /// The public text that came with the final status (Open311 `status_notes`).
    pub status_text: Option<String>,
    /// Whether the department came with the row (not from routing): routing then leaves it alone.
    pub department_locked: bool,
}

/// One history entry of an imported report.
#[derive(Debug, Clone, PartialEq)]
pub struct ImportedEntry {
    /// When, historically.
    pub at: DateTime<Utc>,
    /// `created` or `status_changed`.
    pub action: &'static str,
    /// As intake and triage write them.
    pub details: Value,
}

impl ImportedReport {
    /// The closing events the statistics read from the report row (`reports.lifecycle`):
    /// one `R…` or `C…` at `closed_at` for a closed report, else none.
    pub fn lifecycle(&self) -> String {
        let event = self.closed_at.and_then(|at| LifeEvent::of_status(self.status, at)).filter(|e| e.closes());
        encode(&event.into_iter().collect::<Vec<_>>())
    }

    /// When it was settled (`reports.settled_at`): `closed_at` while it is resolved or cancelled.
    pub fn settled_at(&self) -> Option<DateTime<Utc>> {
        self.closed_at.filter(|_| is_closed(self.status))
    }

    /// Its last change (`reports.updated_at`): when it closed, else when it was received.
    pub fn updated_at(&self) -> DateTime<Utc> {
        self.closed_at.unwrap_or(self.report.created_at)
    }

    /// Its history: `created` when it was received, and for any status but `new` a
    /// `status_changed` from `new` at `closed_at` (for an open status, whose moment is not
    /// known, at `created_at`).
    pub fn history(&self) -> Vec<ImportedEntry> {
        let report = &self.report;
        let mut entries = vec![ImportedEntry {
            at: report.created_at,
            action: "created",
            details: json!({
                "status": ReportStatus::New.as_str(),
                "source": report.source.as_str(),
                "source_id": self.source_id,
                "category_id": report.category_id,
                "department_id": report.department_id,
            }),
        }];
        if self.status != ReportStatus::New {
            entries.push(ImportedEntry {
                at: self.closed_at.unwrap_or(report.created_at),
                action: "status_changed",
                details: json!({
                    "from": ReportStatus::New.as_str(),
                    "to": self.status.as_str(),
                    "text": self.status_text,
                }),
            });
        }
        entries
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;
    use uuid::Uuid;

    use super::*;
    use crate::domain::report::{Language, Location, ReportSource, RoutingReason};

    fn imported(status: ReportStatus, closed_at: Option<DateTime<Utc>>) -> ImportedReport {
        let created_at = Utc.with_ymd_and_hms(2024, 3, 1, 9, 30, 0).single().unwrap_or_default();
        ImportedReport {
            report: NewReport {
                id: Uuid::nil(),
                reference: "K7QM-3XRD".into(),
                category_id: Uuid::nil(),
                description: String::new(),
                location: Location { lat: 50.89, lon: 5.98 },
                address: None,
                source: ReportSource::Import,
                answers: serde_json::Map::new(),
                department_id: None,
                deadline_at: None,
                created_at,
                reporter: None,
                area: None,
                routing_rule_id: None,
                routing_reason: RoutingReason::CategoryDefault,
                priority: "normal".into(),
                media_url: None,
                language: Language::Nl,
            },
            source_id: "A-1".into(),
            status,
            closed_at,
            status_text: Some("Opgehaald".into()),
            department_locked: false,
        }
    }

    #[test]
    fn a_resolved_report_carries_its_closing_in_lifecycle_settled_at_and_history() {
        let closed = Utc.with_ymd_and_hms(2024, 3, 4, 12, 0, 0).single().unwrap_or_default();
        let report = imported(ReportStatus::Resolved, Some(closed));
        assert_eq!(report.lifecycle(), format!("R{}", closed.timestamp()));
        assert_eq!(report.settled_at(), Some(closed));
        assert_eq!(report.updated_at(), closed);
        let history = report.history();
        assert_eq!(history.len(), 2);
        assert_eq!(history.first().map(|e| e.at), Some(report.report.created_at));
        assert_eq!(history.get(1).map(|e| (e.at, e.details["to"].clone())), Some((closed, json!("resolved"))));
    }

    #[test]
    fn an_open_report_has_no_closing_and_changed_last_when_it_was_received() {
        let report = imported(ReportStatus::InProgress, None);
        assert_eq!(report.lifecycle(), "");
        assert_eq!(report.settled_at(), None);
        assert_eq!(report.updated_at(), report.report.created_at);
        assert_eq!(report.history().len(), 2);
        assert_eq!(imported(ReportStatus::New, None).history().len(), 1);
    }
}
