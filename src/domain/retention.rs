//! The retention policy (AVG and Archiefwet, see `docs/privacy.md`): how long each kind of
//! personal data is kept, the floors below which a policy is refused, when the daily run
//! is due, and the counts a run reports. Pure: the storage layer does the work, the jobs
//! layer runs it.

use chrono::{DateTime, Duration, NaiveTime, TimeZone, Utc};

use chrono_tz::Europe::Amsterdam;

/// How long things are kept, in days.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetentionPolicy {
    /// Reporter contact (and follow links, supporters' addresses, queued emails to them)
    /// erased this long after a report is resolved or cancelled.
    pub anonymise_days: u32,
    /// Resolved reports deleted (leaving an anonymous record) this long after resolution.
    pub resolved_days: u32,
    /// Cancelled reports deleted this long after cancellation.
    pub cancelled_days: u32,
    /// Photos of a closed report deleted this long after closing; 0: with the report.
    pub photo_days: u32,
    /// Recipient and body of a sent or dead outbox message erased this long after.
    pub outbox_days: u32,
    /// Unconfirmed email subscriptions purged this long after they were made.
    pub unconfirmed_days: u32,
    /// Entries of the audit of views of personal data kept this long.
    pub audit_days: u32,
}

/// One setting's floor: the smallest accepted value, and why.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Floor {
    /// The setting's name.
    pub setting: &'static str,
    /// The smallest accepted value (days).
    pub days: u32,
    /// Why nothing shorter is accepted.
    pub reason: &'static str,
}

/// The floors, one per setting, as `docs/privacy.md` explains them.
pub const FLOORS: [Floor; 7] = [
    Floor {
        setting: "retention_anonymise_days",
        days: 30,
        reason: "a resident may still object, ask a question or have the report reopened",
    },
    Floor {
        setting: "retention_resolved_days",
        days: 365,
        reason: "reports are archive documents and must outlive a year of objections and reopenings",
    },
    Floor {
        setting: "retention_cancelled_days",
        days: 365,
        reason: "reports are archive documents and must outlive a year of objections and reopenings",
    },
    Floor { setting: "retention_photo_days", days: 30, reason: "staff need the photos while a report may be reopened" },
    Floor { setting: "retention_outbox_days", days: 7, reason: "delivery problems must be traceable for a week" },
    Floor {
        setting: "retention_unconfirmed_days",
        days: 1,
        reason: "a resident needs time to open the confirmation email",
    },
    Floor {
        setting: "retention_audit_days",
        days: 365,
        reason: "the privacy officer must be able to answer a resident's question about who saw their data",
    },
];

impl Default for RetentionPolicy {
    /// Signalen's terms (anonymise after a year, delete resolved reports after five years
    /// and cancelled ones after one), a week for unconfirmed subscriptions.
    fn default() -> Self {
        RetentionPolicy {
            anonymise_days: 365,
            resolved_days: 1825,
            cancelled_days: 365,
            photo_days: 0,
            outbox_days: 30,
            unconfirmed_days: 7,
            audit_days: 730,
        }
    }
}

impl RetentionPolicy {
    /// The values in the order of [`FLOORS`].
    fn values(&self) -> [u32; 7] {
        [
            self.anonymise_days,
            self.resolved_days,
            self.cancelled_days,
            self.photo_days,
            self.outbox_days,
            self.unconfirmed_days,
            self.audit_days,
        ]
    }

    /// Refuses a policy with a term below its floor, naming the setting (a photo term of 0
    /// means "with the report" and is accepted).
    pub fn check(&self) -> Result<(), String> {
        for (floor, value) in FLOORS.iter().zip(self.values()) {
            if floor.setting == "retention_photo_days" && value == 0 {
                continue;
            }
            if value < floor.days {
                return Err(format!(
                    "{} must be at least {} days, not {value}: {}",
                    floor.setting, floor.days, floor.reason
                ));
            }
        }
        Ok(())
    }

    /// The moments before which each kind of data is due, as of `now`.
    pub fn cutoffs(&self, now: DateTime<Utc>) -> Cutoffs {
        let before = |days: u32| now - Duration::days(i64::from(days));
        Cutoffs {
            anonymise: before(self.anonymise_days),
            resolved: before(self.resolved_days),
            cancelled: before(self.cancelled_days),
            photos: (self.photo_days > 0).then(|| before(self.photo_days)),
            outbox: before(self.outbox_days),
            unconfirmed: before(self.unconfirmed_days),
            audit: before(self.audit_days),
            now,
        }
    }
}

/// What is due: everything settled, sent or made before these moments.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cutoffs {
    /// Reports closed before this are anonymised.
    pub anonymise: DateTime<Utc>,
    /// Reports resolved before this are deleted.
    pub resolved: DateTime<Utc>,
    /// Reports cancelled before this are deleted.
    pub cancelled: DateTime<Utc>,
    /// Photos of reports closed before this are deleted (`None`: with the report).
    pub photos: Option<DateTime<Utc>>,
    /// Outbox messages sent or given up before this are erased.
    pub outbox: DateTime<Utc>,
    /// Subscriptions made and still unconfirmed before this are purged.
    pub unconfirmed: DateTime<Utc>,
    /// Audit entries before this are removed.
    pub audit: DateTime<Utc>,
    /// Sessions and tokens that expired before this are removed.
    pub now: DateTime<Utc>,
}

/// The steps of a run, in the order they run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    AnonymiseReporters,
    DeletePhotos,
    DeleteResolvedReports,
    DeleteCancelledReports,
    EraseOutbox,
    PurgeSubscriptions,
    PurgeSupporters,
    PurgeAudit,
    RemoveTokens,
}

impl Step {
    /// Every step, in order.
    pub const ALL: [Step; 9] = [
        Step::AnonymiseReporters,
        Step::DeletePhotos,
        Step::DeleteResolvedReports,
        Step::DeleteCancelledReports,
        Step::EraseOutbox,
        Step::PurgeSubscriptions,
        Step::PurgeSupporters,
        Step::PurgeAudit,
        Step::RemoveTokens,
    ];

    /// The name of the step's count (in the runs log, the API and the command's output).
    pub fn as_str(self) -> &'static str {
        match self {
            Step::AnonymiseReporters => "anonymised_reports",
            Step::DeletePhotos => "deleted_photos",
            Step::DeleteResolvedReports => "deleted_resolved_reports",
            Step::DeleteCancelledReports => "deleted_cancelled_reports",
            Step::EraseOutbox => "erased_outbox_messages",
            Step::PurgeSubscriptions => "purged_subscriptions",
            Step::PurgeSupporters => "purged_supporter_addresses",
            Step::PurgeAudit => "purged_audit_entries",
            Step::RemoveTokens => "removed_tokens",
        }
    }
}

/// What a run did (or, dry, would do): one count per step, never anything personal.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RunCounts {
    pub anonymised_reports: i64,
    pub deleted_photos: i64,
    pub deleted_resolved_reports: i64,
    pub deleted_cancelled_reports: i64,
    pub erased_outbox_messages: i64,
    pub purged_subscriptions: i64,
    pub purged_supporter_addresses: i64,
    pub purged_audit_entries: i64,
    pub removed_tokens: i64,
}

impl RunCounts {
    /// The count of `step`.
    pub fn get(&self, step: Step) -> i64 {
        match step {
            Step::AnonymiseReporters => self.anonymised_reports,
            Step::DeletePhotos => self.deleted_photos,
            Step::DeleteResolvedReports => self.deleted_resolved_reports,
            Step::DeleteCancelledReports => self.deleted_cancelled_reports,
            Step::EraseOutbox => self.erased_outbox_messages,
            Step::PurgeSubscriptions => self.purged_subscriptions,
            Step::PurgeSupporters => self.purged_supporter_addresses,
            Step::PurgeAudit => self.purged_audit_entries,
            Step::RemoveTokens => self.removed_tokens,
        }
    }

    /// Adds `n` to the count of `step`.
    pub fn add(&mut self, step: Step, n: i64) {
        let count = match step {
            Step::AnonymiseReporters => &mut self.anonymised_reports,
            Step::DeletePhotos => &mut self.deleted_photos,
            Step::DeleteResolvedReports => &mut self.deleted_resolved_reports,
            Step::DeleteCancelledReports => &mut self.deleted_cancelled_reports,
            Step::EraseOutbox => &mut self.erased_outbox_messages,
            Step::PurgeSubscriptions => &mut self.purged_subscriptions,
            Step::PurgeSupporters => &mut self.purged_supporter_addresses,
            Step::PurgeAudit => &mut self.purged_audit_entries,
            Step::RemoveTokens => &mut self.removed_tokens,
        };
        *count += n;
    }
}

/// Parses the daily time of the run, `HH:MM` in Europe/Amsterdam; `off` (or empty) turns
/// the daily run off (`None`).
pub fn parse_daily_time(text: &str) -> Result<Option<NaiveTime>, String> {
    let text = text.trim();
    if text.is_empty() || text.eq_ignore_ascii_case("off") {
        return Ok(None);
    }
    NaiveTime::parse_from_str(text, "%H:%M")
        .map(Some)
        .map_err(|_| format!("retention_at must be a time of day as HH:MM (Europe/Amsterdam) or off, not '{text}'"))
}

/// The most recent moment the daily run was due at or before `now`: today's `at` in
/// Europe/Amsterdam if it has passed, else yesterday's.
pub fn last_due(at: NaiveTime, now: DateTime<Utc>) -> DateTime<Utc> {
    let local = now.with_timezone(&Amsterdam);
    let mut day = local.date_naive();
    for _ in 0..3 {
        // A time that does not exist on a day (the spring change) runs an hour later.
        let due = Amsterdam
            .from_local_datetime(&day.and_time(at))
            .earliest()
            .or_else(|| Amsterdam.from_local_datetime(&(day.and_time(at) + Duration::hours(1))).earliest())
            .map(|d| d.with_timezone(&Utc));
        if let Some(due) = due
            && due <= now
        {
            return due;
        }
        day = day.pred_opt().unwrap_or(day);
    }
    now
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text).map(|d| d.with_timezone(&Utc)).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn the_defaults_are_signalens_terms_and_pass_their_floors() {
        let policy = RetentionPolicy::default();
        assert_eq!((policy.anonymise_days, policy.resolved_days, policy.cancelled_days), (365, 1825, 365));
        assert!(policy.check().is_ok());
    }

    #[test]
    fn a_term_below_its_floor_is_refused_naming_the_setting() {
        let policy = RetentionPolicy { anonymise_days: 29, ..RetentionPolicy::default() };
        let error = policy.check().err().unwrap_or_default();
        assert!(error.starts_with("retention_anonymise_days must be at least 30"), "{error}");
        let policy = RetentionPolicy { resolved_days: 100, ..RetentionPolicy::default() };
        assert!(policy.check().err().unwrap_or_default().contains("retention_resolved_days"));
        let policy = RetentionPolicy { photo_days: 0, ..RetentionPolicy::default() };
        assert!(policy.check().is_ok(), "0 keeps photos as long as the report");
        let policy = RetentionPolicy { photo_days: 3, ..RetentionPolicy::default() };
        assert!(policy.check().err().unwrap_or_default().contains("retention_photo_days"));
    }

    #[test]
    fn the_daily_run_is_due_at_its_local_time_in_winter_and_summer() {
        let half_past_three = NaiveTime::from_hms_opt(3, 30, 0).unwrap_or_default();
        // Winter: 03:30 in Amsterdam is 02:30 UTC.
        assert_eq!(last_due(half_past_three, at("2026-12-05T02:31:00Z")), at("2026-12-05T02:30:00Z"));
        assert_eq!(last_due(half_past_three, at("2026-12-05T02:29:00Z")), at("2026-12-04T02:30:00Z"));
        // Summer: 01:30 UTC.
        assert_eq!(last_due(half_past_three, at("2026-07-01T12:00:00Z")), at("2026-07-01T01:30:00Z"));
    }

    #[test]
    fn the_daily_time_is_hours_and_minutes_or_off() {
        assert_eq!(parse_daily_time("off"), Ok(None));
        assert!(parse_daily_time("03:30").is_ok_and(|t| t.is_some()));
        assert!(parse_daily_time("3.30 am").err().unwrap_or_default().contains("retention_at"));
    }
}
