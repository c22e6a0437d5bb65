//! The audit of staff access to reporters' personal data as the privacy officer reads it:
//! what an entry records ([`AuditAction`]) and the checked filter of one page of the
//! export ([`AuditFilter`]): a half-open period, an account, a report, an action, and a
//! keyset cursor so that paging through any number of entries loses or repeats none.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::super::reference::normalise_reference;
use super::super::stats::period::local_midnight;
use super::super::validation::{FieldError, FieldErrors};

/// The most entries on one page.
pub const MAX_PAGE: i64 = 1000;
/// Entries on a page when the request does not say.
pub const DEFAULT_PAGE: i64 = 100;

/// What a staff member did with a reporter's personal data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AuditAction {
    /// Opened a report with its reporter's contact details (email, phone, name).
    ViewedReporterContact,
    /// Erased the reporter's contact details on their request.
    AnonymisedReporter,
    /// Allowed a webhook endpoint the reporter's contact, and one delivery (attempt) of a
    /// report event carried it: one entry per attempt, in the name of the admin account
    /// that allowed it.
    SentReporterContact,
    /// Signed in to the console with single sign-on (no report: the entry names only the
    /// account), so logins through the identity provider can be traced.
    SignedInWithSso,
}

impl AuditAction {
    /// Every action, for messages.
    pub const ALL: [AuditAction; 4] = [
        AuditAction::ViewedReporterContact,
        AuditAction::AnonymisedReporter,
        AuditAction::SentReporterContact,
        AuditAction::SignedInWithSso,
    ];

    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ViewedReporterContact => "viewed_reporter_contact",
            Self::AnonymisedReporter => "anonymised_reporter",
            Self::SentReporterContact => "sent_reporter_contact",
            Self::SignedInWithSso => "signed_in_with_sso",
        }
    }

    /// The action of a stored name.
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|action| action.as_str() == text)
    }
}

/// The query of an export page as it arrives (every value still text).
#[derive(Debug, Default, Clone, Copy)]
pub struct AuditRequest<'a> {
    pub from: Option<&'a str>,
    pub to: Option<&'a str>,
    pub account_id: Option<&'a str>,
    pub report_id: Option<&'a str>,
    pub reference: Option<&'a str>,
    pub action: Option<&'a str>,
    pub format: Option<&'a str>,
    pub limit: Option<&'a str>,
    pub cursor: Option<&'a str>,
}

/// A checked export page: which entries, how many, and in which format.
#[derive(Debug, Clone, PartialEq)]
pub struct AuditFilter {
    /// Entries at or after this instant.
    pub from: Option<DateTime<Utc>>,
    /// Entries before this instant.
    pub to: Option<DateTime<Utc>>,
    /// Entries of this staff account.
    pub account_id: Option<Uuid>,
    /// Entries about this report.
    pub report_id: Option<Uuid>,
    /// Entries about the report with this public reference (normalised).
    pub reference: Option<String>,
    /// Entries of this action.
    pub action: Option<AuditAction>,
    /// Entries with a smaller sequence number (the page goes on after this one).
    pub before_id: Option<i64>,
    /// At most this many entries.
    pub limit: i64,
    /// CSV rather than JSON.
    pub csv: bool,
}

impl AuditRequest<'_> {
    /// The filter, or every problem with the request, each named by the JSON Pointer of its
    /// query parameter.
    pub fn check(&self) -> Result<AuditFilter, Vec<FieldError>> {
        let mut errors = FieldErrors::default();
        let from = self.from.and_then(|text| errors.check("/from", parse_instant(text, "from")));
        let to = self.to.and_then(|text| errors.check("/to", parse_instant(text, "to")));
        if let (Some(from), Some(to)) = (from, to)
            && from > to
        {
            errors.add(
                "/from",
                format!(
                    "from ({}) is after to ({}); the period is [from, to), so from must come first",
                    iso(from),
                    iso(to)
                ),
            );
        }
        let account_id = self.account_id.and_then(|text| errors.check("/account_id", parse_uuid(text, "account_id")));
        let report_id = self.report_id.and_then(|text| errors.check("/report_id", parse_uuid(text, "report_id")));
        let reference = self.reference.and_then(|text| {
            let normalised = normalise_reference(text)
                .ok_or_else(|| format!("reference {text:?} is not a report reference such as K7QM-3XRD"));
            errors.check("/reference", normalised)
        });
        let action = self.action.and_then(|text| {
            let known = AuditAction::parse(text.trim()).ok_or_else(|| {
                let names: Vec<&str> = AuditAction::ALL.iter().map(|a| a.as_str()).collect();
                format!("unknown action {text:?}: use {}", names.join(" or "))
            });
            errors.check("/action", known)
        });
        let csv = match self.format.map(str::trim) {
            None | Some("json") => false,
            Some("csv") => true,
            Some(other) => {
                errors.add("/format", format!("unknown format {other:?}: use json or csv"));
                false
            }
        };
        let limit = match self.limit {
            None => DEFAULT_PAGE,
            Some(text) => {
                let parsed = text.trim().parse::<i64>().ok().filter(|n| (1..=MAX_PAGE).contains(n));
                errors
                    .check("/limit", parsed.ok_or_else(|| format!("limit must be a whole number from 1 to {MAX_PAGE}")))
                    .unwrap_or(DEFAULT_PAGE)
            }
        };
        let before_id = self.cursor.and_then(|text| {
            let decoded = decode_cursor(text)
                .ok_or("the cursor is not one this server handed out; follow the `next` link exactly as given");
            errors.check("/cursor", decoded)
        });
        errors
            .finish(|| Some(AuditFilter { from, to, account_id, report_id, reference, action, before_id, limit, csv }))
    }
}

/// An RFC 3339 instant, or a date read as local midnight (Europe/Amsterdam) at its start.
fn parse_instant(text: &str, name: &str) -> Result<DateTime<Utc>, String> {
    let text = text.trim();
    if let Ok(at) = DateTime::parse_from_rfc3339(text) {
        return Ok(at.with_timezone(&Utc));
    }
    if let Ok(date) = NaiveDate::parse_from_str(text, "%Y-%m-%d") {
        return Ok(local_midnight(date));
    }
    let hint = if text.contains(' ') { " (write a + in an offset as %2B in the URL)" } else { "" };
    Err(format!(
        "{name} {text:?} is not an RFC 3339 instant such as 2026-12-01T00:00:00Z nor a date such as 2026-12-01{hint}"
    ))
}

fn parse_uuid(text: &str, name: &str) -> Result<Uuid, String> {
    Uuid::parse_str(text.trim())
        .map_err(|_| format!("{name} {text:?} is not a UUID such as 0190b5a0-0000-7000-8000-000000000000"))
}

fn iso(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)
}

/// The opaque cursor of the page after the entry with sequence number `id`.
pub fn encode_cursor(id: i64) -> String {
    hex::encode(format!("a:{id}"))
}

fn decode_cursor(text: &str) -> Option<i64> {
    let raw = String::from_utf8(hex::decode(text.trim()).ok()?).ok()?;
    raw.strip_prefix("a:")?.parse().ok().filter(|id: &i64| *id > 0)
}

/// A text cell as a spreadsheet will not run it: a value that starts with `=`, `+`, `-`,
/// `@`, a tab or a carriage return gets a leading `'` (OWASP's advice against CSV
/// injection). Account names are free text typed by admins.
pub fn spreadsheet_safe(text: &str) -> std::borrow::Cow<'_, str> {
    if text.starts_with(['=', '+', '-', '@', '\t', '\r']) { format!("'{text}").into() } else { text.into() }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pointers(result: Result<AuditFilter, Vec<FieldError>>) -> Vec<String> {
        result.err().unwrap_or_default().into_iter().map(|e| e.pointer).collect()
    }

    #[test]
    fn an_empty_request_is_the_first_page_of_everything_as_json() {
        let filter = AuditRequest::default().check().unwrap();
        assert_eq!(filter.limit, DEFAULT_PAGE);
        assert!(!filter.csv && filter.from.is_none() && filter.before_id.is_none());
    }

    #[test]
    fn dates_start_at_local_midnight_and_instants_keep_their_offset() {
        let request =
            AuditRequest { from: Some("2026-12-01"), to: Some("2026-12-02T00:00:00+01:00"), ..Default::default() };
        let filter = request.check().unwrap();
        assert_eq!(filter.from.unwrap().to_rfc3339(), "2026-11-30T23:00:00+00:00");
        assert_eq!(filter.to.unwrap().to_rfc3339(), "2026-12-01T23:00:00+00:00");
    }

    #[test]
    fn every_bad_parameter_is_named() {
        let request = AuditRequest {
            from: Some("gisteren"),
            to: Some("2026-13-01"),
            account_id: Some("42"),
            report_id: Some("x"),
            reference: Some("K7QM"),
            action: Some("looked"),
            format: Some("xlsx"),
            limit: Some("0"),
            cursor: Some("zz"),
        };
        assert_eq!(
            pointers(request.check()),
            ["/from", "/to", "/account_id", "/report_id", "/reference", "/action", "/format", "/limit", "/cursor"]
        );
    }

    #[test]
    fn from_after_to_is_refused_but_an_empty_period_is_not() {
        let late = AuditRequest { from: Some("2026-12-02"), to: Some("2026-12-01"), ..Default::default() };
        assert_eq!(pointers(late.check()), ["/from"]);
        let same = AuditRequest { from: Some("2026-12-01"), to: Some("2026-12-01"), ..Default::default() };
        assert!(same.check().is_ok());
    }

    #[test]
    fn a_cursor_survives_the_round_trip_and_only_then() {
        let cursor = encode_cursor(41);
        let request = AuditRequest { cursor: Some(&cursor), ..Default::default() };
        assert_eq!(request.check().unwrap().before_id, Some(41));
        assert_eq!(decode_cursor(&hex::encode("a:-1")), None);
        assert_eq!(decode_cursor(&hex::encode("o:5")), None);
    }

    #[test]
    fn cells_that_a_spreadsheet_would_run_are_quoted() {
        assert_eq!(spreadsheet_safe("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        assert_eq!(spreadsheet_safe("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(spreadsheet_safe("Marieke Peters"), "Marieke Peters");
    }
}
