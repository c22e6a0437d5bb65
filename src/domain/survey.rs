//! The satisfaction survey after a report is resolved: the reporter is asked "Is het
//! probleem opgelost?" with one-tap links for yes and no, may pick one of the configured
//! standard answers of that side and add a short text, once, within `survey_days`. An
//! answer that reopens (a "no" without a standard answer, or a standard answer marked
//! `reopens`) turns the report into `reopen_requested` for staff to decide on.
//!
//! Pure: the rules of an answer and the texts the history records. The links are signed
//! by `crate::domain::subscription::LinkSigner::survey_token`.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::report::{Language, ReportStatus};
use super::validation::{FieldError, FieldErrors, bounded_text};

/// Longest free text with an answer, in characters.
pub const SURVEY_TEXT_MAX: usize = 1000;

/// Longest text of a standard answer, in characters.
pub const STANDARD_ANSWER_MAX: usize = 200;

/// The question, in Dutch and English.
pub fn question(language: Language) -> &'static str {
    match language {
        Language::Nl => "Is het probleem opgelost?",
        Language::En => "Has the problem been solved?",
    }
}

/// A standard answer residents choose from (configured by admins).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StandardAnswer {
    pub id: Uuid,
    /// The side it belongs to: `true` for "yes, solved", `false` for "no".
    pub satisfied: bool,
    /// Dutch text.
    pub text_nl: String,
    /// English text.
    pub text_en: String,
    /// Whether choosing it asks staff to reopen the report.
    pub reopens: bool,
    /// Order within its side.
    pub position: i32,
    /// Whether residents are offered it (answers are deactivated, never deleted).
    pub active: bool,
}

impl StandardAnswer {
    /// Its text in `language`.
    pub fn text(&self, language: Language) -> &str {
        match language {
            Language::Nl => &self.text_nl,
            Language::En => &self.text_en,
        }
    }
}

/// The standard answers of the demo configuration, after Signalen's KTO (satisfied,
/// Dutch, English, reopens).
pub const DEMO_ANSWERS: [(bool, &str, &str, bool); 7] = [
    (true, "Snel opgelost", "Solved quickly", false),
    (true, "Goed geholpen", "Well helped", false),
    (true, "Anders, namelijk…", "Other, namely…", false),
    (false, "Het probleem is niet opgelost", "The problem has not been solved", true),
    (false, "Er is niets gedaan", "Nothing was done", true),
    (false, "Ik voelde me niet serieus genomen", "I did not feel taken seriously", false),
    (false, "Anders, namelijk…", "Other, namely…", true),
];

/// A resident's answer as it arrives: the side, a standard answer, a text (each optional).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AnswerInput<'a> {
    /// Yes (`true`) or no (`false`); may be left out when a standard answer is chosen.
    pub satisfied: Option<bool>,
    /// The id of a standard answer.
    pub answer_id: Option<Uuid>,
    /// Free text.
    pub text: Option<&'a str>,
}

/// A checked answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckedAnswer {
    pub satisfied: bool,
    /// The standard answer chosen, if any.
    pub answer: Option<StandardAnswer>,
    /// The free text, trimmed (`None` when empty).
    pub text: Option<String>,
}

impl CheckedAnswer {
    /// Whether the answer asks staff to reopen the report: the chosen standard answer says
    /// so; without one, a "no" does.
    pub fn reopens(&self) -> bool {
        self.answer.as_ref().map_or(!self.satisfied, |answer| answer.reopens)
    }

    /// The internal note the report's history records (staff only): the side, the
    /// standard answer and the resident's text, in Dutch.
    pub fn note(&self) -> String {
        let mut note = format!(
            "Tevredenheidsonderzoek: {}.",
            if self.satisfied { "ja, het probleem is opgelost" } else { "nee, het probleem is niet opgelost" }
        );
        if let Some(answer) = &self.answer {
            note.push_str(&format!(" Antwoord: {}.", answer.text_nl));
        }
        if let Some(text) = &self.text {
            note.push_str(&format!(" Toelichting van de melder: {text}"));
        }
        note
    }
}

/// Checks an answer against the active standard answers. Field errors point into the body
/// (`/satisfied`, `/answer_id`, `/text`).
pub fn check_answer(input: &AnswerInput<'_>, answers: &[StandardAnswer]) -> Result<CheckedAnswer, Vec<FieldError>> {
    let mut errors = FieldErrors::default();
    let answer = match input.answer_id {
        Some(id) => match answers.iter().find(|a| a.id == id && a.active) {
            Some(found) => Some(found.clone()),
            None => {
                errors.add(
                    "/answer_id",
                    format!(
                        "{id} is not one of the standard answers offered; leave it out or pick one from the survey"
                    ),
                );
                None
            }
        },
        None => None,
    };
    let satisfied = match (input.satisfied, &answer) {
        (Some(side), Some(chosen)) if side != chosen.satisfied => {
            errors.add(
                "/answer_id",
                format!(
                    "this standard answer belongs to the {} side; pick one of the other side or change `satisfied`",
                    if chosen.satisfied { "yes" } else { "no" }
                ),
            );
            None
        }
        (Some(side), _) => Some(side),
        (None, Some(chosen)) => Some(chosen.satisfied),
        (None, None) if input.answer_id.is_none() => {
            errors.add("/satisfied", "say whether the problem was solved: `satisfied` true (yes) or false (no)");
            None
        }
        (None, None) => None,
    };
    let text = match input.text.map(str::trim).filter(|t| !t.is_empty()) {
        Some(text) => errors.check("/text", bounded_text(text, "the text", SURVEY_TEXT_MAX)).map(Some),
        None => Some(None),
    };
    errors.finish(|| Some(CheckedAnswer { satisfied: satisfied?, answer, text: text? }))
}

/// Where a survey stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SurveyState {
    /// It may be answered.
    Open,
    /// It was answered (one answer per survey).
    Answered,
    /// Its period (`survey_days`) is over.
    Expired,
}

/// The state of a survey at `now`.
pub fn survey_state(answered_at: Option<DateTime<Utc>>, expires_at: DateTime<Utc>, now: DateTime<Utc>) -> SurveyState {
    if answered_at.is_some() {
        SurveyState::Answered
    } else if now >= expires_at {
        SurveyState::Expired
    } else {
        SurveyState::Open
    }
}

/// Why a resident cannot ask to reopen a report now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReopenRefusal {
    /// The report is not resolved (open, cancelled, or already waiting for staff).
    NotResolved(ReportStatus),
    /// The survey period after the resolution is over.
    TooLate,
}

/// Whether a resident may ask to reopen a report with `status`, resolved at `settled_at`,
/// at `now` within `survey_days`.
pub fn may_request_reopen(
    status: ReportStatus,
    settled_at: Option<DateTime<Utc>>,
    survey_days: i64,
    now: DateTime<Utc>,
) -> Result<(), ReopenRefusal> {
    if status != ReportStatus::Resolved {
        return Err(ReopenRefusal::NotResolved(status));
    }
    match settled_at {
        Some(at) if now < at + chrono::Duration::days(survey_days) => Ok(()),
        _ => Err(ReopenRefusal::TooLate),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answers() -> Vec<StandardAnswer> {
        (0..)
            .zip(DEMO_ANSWERS)
            .map(|(position, (satisfied, nl, en, reopens))| StandardAnswer {
                id: Uuid::from_u128(position as u128 + 1),
                satisfied,
                text_nl: nl.into(),
                text_en: en.into(),
                reopens,
                position,
                active: true,
            })
            .collect()
    }

    #[test]
    fn a_no_reopens_unless_its_standard_answer_says_otherwise() {
        let all = answers();
        let no = check_answer(&AnswerInput { satisfied: Some(false), ..Default::default() }, &all).unwrap();
        assert!(no.reopens());
        let yes = check_answer(&AnswerInput { satisfied: Some(true), ..Default::default() }, &all).unwrap();
        assert!(!yes.reopens());
        let not_serious = all.iter().find(|a| a.text_nl.contains("serieus")).unwrap();
        let chosen =
            check_answer(&AnswerInput { answer_id: Some(not_serious.id), ..Default::default() }, &all).unwrap();
        assert!(!chosen.satisfied && !chosen.reopens());
    }

    #[test]
    fn an_answer_needs_a_side_a_matching_standard_answer_and_a_bounded_text() {
        let all = answers();
        assert!(check_answer(&AnswerInput::default(), &all).is_err());
        let yes_answer = all.iter().find(|a| a.satisfied).unwrap().id;
        let mismatch = AnswerInput { satisfied: Some(false), answer_id: Some(yes_answer), text: None };
        assert!(check_answer(&mismatch, &all).is_err());
        let long = "x".repeat(SURVEY_TEXT_MAX + 1);
        assert!(
            check_answer(&AnswerInput { satisfied: Some(true), text: Some(&long), ..Default::default() }, &all)
                .is_err()
        );
        let unknown = AnswerInput { answer_id: Some(Uuid::nil()), ..Default::default() };
        assert!(check_answer(&unknown, &all).is_err());
        let fine =
            check_answer(&AnswerInput { satisfied: Some(true), text: Some("  Dank!  "), ..Default::default() }, &all)
                .unwrap();
        assert_eq!(fine.text.as_deref(), Some("Dank!"));
        assert!(fine.note().contains("Dank!"));
    }

    #[test]
    fn a_survey_is_open_until_it_is_answered_or_expires() {
        let now = Utc::now();
        let later = now + chrono::Duration::days(1);
        assert_eq!(survey_state(None, later, now), SurveyState::Open);
        assert_eq!(survey_state(Some(now), later, now), SurveyState::Answered);
        assert_eq!(survey_state(None, now, later), SurveyState::Expired);
    }

    #[test]
    fn only_a_recently_resolved_report_may_be_asked_to_reopen() {
        let now = Utc::now();
        let recent = Some(now - chrono::Duration::days(2));
        assert_eq!(may_request_reopen(ReportStatus::Resolved, recent, 14, now), Ok(()));
        assert_eq!(
            may_request_reopen(ReportStatus::Resolved, Some(now - chrono::Duration::days(15)), 14, now),
            Err(ReopenRefusal::TooLate)
        );
        assert_eq!(
            may_request_reopen(ReportStatus::InProgress, recent, 14, now),
            Err(ReopenRefusal::NotResolved(ReportStatus::InProgress))
        );
    }
}
