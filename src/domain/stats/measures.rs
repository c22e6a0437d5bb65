//! The measures of a statistics cell, with the definition every answer carries.

use serde::{Deserialize, Serialize};

/// One measure of a cell.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Measure {
    /// Reports received in the period.
    Received,
    /// Resolutions in the period.
    Resolved,
    /// Cancellations in the period.
    Cancelled,
    /// Reports open at the end of the period.
    OpenAtEnd,
    /// Median hours from receipt to resolution.
    MedianHoursToResolution,
    /// 90th percentile of hours from receipt to resolution.
    P90HoursToResolution,
    /// Share of resolutions by the deadline.
    OnTimeShare,
    /// Share of resolutions after the deadline.
    LateShare,
    /// Share of resolutions later than three times the handling time.
    #[serde(rename = "late_factor_3_share")]
    LateFactor3Share,
    /// Reopenings in the period.
    Reopened,
    /// "Me too" on the reports received in the period.
    MeToo,
    /// Reports received per 1,000 inhabitants.
    #[serde(rename = "received_per_1000_inhabitants")]
    ReceivedPer1000Inhabitants,
    /// Answers to the satisfaction survey in the period.
    SurveyAnswers,
    /// Share of those answers that said the problem was solved.
    SatisfiedShare,
}

impl Measure {
    /// Every measure, in answer order.
    pub const ALL: [Measure; 14] = [
        Measure::Received,
        Measure::Resolved,
        Measure::Cancelled,
        Measure::OpenAtEnd,
        Measure::MedianHoursToResolution,
        Measure::P90HoursToResolution,
        Measure::OnTimeShare,
        Measure::LateShare,
        Measure::LateFactor3Share,
        Measure::Reopened,
        Measure::MeToo,
        Measure::ReceivedPer1000Inhabitants,
        Measure::SurveyAnswers,
        Measure::SatisfiedShare,
    ];

    /// The wire name (also the CSV column).
    pub fn as_str(self) -> &'static str {
        match self {
            Measure::Received => "received",
            Measure::Resolved => "resolved",
            Measure::Cancelled => "cancelled",
            Measure::OpenAtEnd => "open_at_end",
            Measure::MedianHoursToResolution => "median_hours_to_resolution",
            Measure::P90HoursToResolution => "p90_hours_to_resolution",
            Measure::OnTimeShare => "on_time_share",
            Measure::LateShare => "late_share",
            Measure::LateFactor3Share => "late_factor_3_share",
            Measure::Reopened => "reopened",
            Measure::MeToo => "me_too",
            Measure::ReceivedPer1000Inhabitants => "received_per_1000_inhabitants",
            Measure::SurveyAnswers => "survey_answers",
            Measure::SatisfiedShare => "satisfied_share",
        }
    }

    /// Parses a wire name.
    pub fn parse(text: &str) -> Option<Self> {
        Measure::ALL.into_iter().find(|m| m.as_str() == text)
    }

    /// Whether the measure is a count of reports or events (small counts of non-public
    /// categories are hidden).
    pub fn is_count(self) -> bool {
        matches!(
            self,
            Measure::Received
                | Measure::Resolved
                | Measure::Cancelled
                | Measure::OpenAtEnd
                | Measure::Reopened
                | Measure::MeToo
                | Measure::SurveyAnswers
        )
    }

    /// The unit of the figure.
    pub fn unit(self) -> &'static str {
        match self {
            Measure::MedianHoursToResolution | Measure::P90HoursToResolution => "hours",
            Measure::OnTimeShare | Measure::LateShare | Measure::LateFactor3Share | Measure::SatisfiedShare => {
                "share (0 to 1)"
            }
            Measure::SurveyAnswers => "answers",
            Measure::ReceivedPer1000Inhabitants => "reports per 1,000 inhabitants",
            Measure::MeToo => "residents",
            Measure::Received | Measure::OpenAtEnd => "reports",
            Measure::Resolved | Measure::Cancelled | Measure::Reopened => "events",
        }
    }

    /// What the figure means, in words fit to quote.
    pub fn definition(self) -> &'static str {
        match self {
            Measure::Received => {
                "Reports received in the period (by their receipt time in Europe/Amsterdam). A report merged \
                 into another as a duplicate is not counted: it counts once, as the report it was merged into."
            }
            Measure::Resolved => {
                "Times a report was set to resolved in the period. A report resolved, reopened and resolved \
                 again counts in each period it was resolved in."
            }
            Measure::Cancelled => {
                "Times a report was set to cancelled in the period (merges into another report excluded)."
            }
            Measure::OpenAtEnd => {
                "Reports open at the end of the period (received before the end and, by the status history, not \
                 resolved or cancelled at that moment): the backlog, not today's status."
            }
            Measure::MedianHoursToResolution => {
                "Median of the hours from receipt to resolution, over the resolutions in the period."
            }
            Measure::P90HoursToResolution => {
                "90th percentile (nearest rank) of the hours from receipt to resolution, over the resolutions in the period."
            }
            Measure::OnTimeShare => {
                "Of the resolutions in the period of reports with a deadline, the share resolved at or before the deadline."
            }
            Measure::LateShare => {
                "Of the resolutions in the period of reports with a deadline, the share resolved after the deadline."
            }
            Measure::LateFactor3Share => {
                "Of the resolutions in the period of reports with a deadline, the share that took more than three \
                 times the handling time (receipt to deadline), as Signalen's late_factor_3."
            }
            Measure::Reopened => "Times a report was reopened in the period.",
            Measure::MeToo => {
                "Residents who said \"me too\" on the reports received in the period, counted with the report, plus \
                 one for each duplicate merged into them (and the duplicate's own \"me too\")."
            }
            Measure::ReceivedPer1000Inhabitants => {
                "Reports received per 1,000 inhabitants of the area, with the CBS figure of the period's year or \
                 the nearest earlier year loaded (else the nearest later one); the year used is given."
            }
            Measure::SurveyAnswers => {
                "Answers to the satisfaction survey (\"Is het probleem opgelost?\", emailed to the reporter with each \
                 resolution) received in the period, counted with the report's department, category and area when \
                 the answer arrived."
            }
            Measure::SatisfiedShare => {
                "Of the survey answers received in the period, the share that said the problem was solved. Hidden \
                 (\"fewer than N\") when fewer than the small-count threshold answered, in every category: a share \
                 of few answers would tell what identifiable reporters answered."
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_measure_has_a_name_that_parses_back_and_a_definition() {
        for measure in Measure::ALL {
            assert_eq!(Measure::parse(measure.as_str()), Some(measure));
            assert_eq!(serde_json::to_value(measure).ok(), Some(serde_json::Value::from(measure.as_str())));
            assert!(measure.definition().len() > 20);
        }
        assert_eq!(Measure::parse("everything"), None);
    }
}
