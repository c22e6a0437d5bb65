//! A report's life as the statistics read it: when it was received, and every closing
//! (resolved or cancelled) and reopening since, stored on the report row as a short text
//! (`R1735689600 O1735776000 C1735862400`: a letter and epoch seconds per event, oldest
//! first) so that statistics never have to read the history table.

use chrono::{DateTime, Utc};

use crate::domain::report::ReportStatus;

/// What happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LifeEventKind {
    /// Moved to `resolved`.
    Resolved,
    /// Moved to `cancelled`.
    Cancelled,
    /// Moved to `reopened`.
    Reopened,
}

/// One closing or reopening.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LifeEvent {
    /// What happened.
    pub kind: LifeEventKind,
    /// When, in seconds since the Unix epoch.
    pub at: i64,
}

impl LifeEvent {
    /// The event a move to `status` records, if it is a closing or a reopening.
    pub fn of_status(status: ReportStatus, at: DateTime<Utc>) -> Option<Self> {
        let kind = match status {
            ReportStatus::Resolved => LifeEventKind::Resolved,
            ReportStatus::Cancelled => LifeEventKind::Cancelled,
            ReportStatus::Reopened => LifeEventKind::Reopened,
            _ => return None,
        };
        Some(LifeEvent { kind, at: at.timestamp() })
    }

    /// The stored form: a letter and the epoch seconds.
    pub fn encode(self) -> String {
        let letter = match self.kind {
            LifeEventKind::Resolved => 'R',
            LifeEventKind::Cancelled => 'C',
            LifeEventKind::Reopened => 'O',
        };
        format!("{letter}{}", self.at)
    }

    /// Whether the report is closed after this event.
    pub fn closes(self) -> bool {
        self.kind != LifeEventKind::Reopened
    }
}

/// Encodes events as stored (space-separated, oldest first).
pub fn encode(events: &[LifeEvent]) -> String {
    events.iter().map(|e| e.encode()).collect::<Vec<_>>().join(" ")
}

/// Parses the stored text; an unreadable event is an error naming it.
pub fn parse(text: &str) -> Result<Vec<LifeEvent>, String> {
    text.split_whitespace()
        .map(|token| {
            let mut chars = token.chars();
            let kind = match chars.next() {
                Some('R') => LifeEventKind::Resolved,
                Some('C') => LifeEventKind::Cancelled,
                Some('O') => LifeEventKind::Reopened,
                _ => return Err(format!("unknown lifecycle event {token:?}")),
            };
            let at = chars.as_str().parse::<i64>().map_err(|_| format!("unreadable lifecycle event {token:?}"))?;
            Ok(LifeEvent { kind, at })
        })
        .collect()
}

/// The intervals (start inclusive, end exclusive; `None` = still open) in which a report
/// received at `created` was open.
pub fn open_intervals(created: i64, events: &[LifeEvent]) -> Vec<(i64, Option<i64>)> {
    let mut intervals = Vec::with_capacity(1);
    let mut open_since = Some(created);
    for event in events {
        match (event.closes(), open_since) {
            (true, Some(start)) => {
                intervals.push((start, Some(event.at.max(start))));
                open_since = None;
            }
            (false, None) => open_since = Some(event.at),
            _ => {}
        }
    }
    if let Some(start) = open_since {
        intervals.push((start, None));
    }
    intervals
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_survive_encoding_and_parsing() {
        let events = vec![
            LifeEvent { kind: LifeEventKind::Resolved, at: 100 },
            LifeEvent { kind: LifeEventKind::Reopened, at: 200 },
            LifeEvent { kind: LifeEventKind::Cancelled, at: 300 },
        ];
        assert_eq!(parse(&encode(&events)).as_deref(), Ok(&events[..]));
        assert_eq!(parse(" R5 ").map(|e| e.len()), Ok(1));
        assert!(parse("X5").is_err());
        assert!(parse("R").is_err());
    }

    #[test]
    fn a_reopened_report_is_open_again_until_it_closes() {
        let events = parse("R100 O200 C300 O400").unwrap_or_default();
        assert_eq!(open_intervals(50, &events), vec![(50, Some(100)), (200, Some(300)), (400, None)]);
        assert_eq!(open_intervals(50, &[]), vec![(50, None)]);
    }
}
