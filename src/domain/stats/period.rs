//! Periods of the statistics (day, ISO week, month, quarter, year) in Europe/Amsterdam:
//! a period starts at local midnight, so a report made at 00:30 on 1 February (local time)
//! counts in February whatever the offset from UTC.

use chrono::{DateTime, Datelike, Days, NaiveDate, TimeZone, Utc, Weekday};
use chrono_tz::Europe::Amsterdam;
use serde::{Deserialize, Serialize};

/// The time zone every period is in.
pub const TIME_ZONE: &str = "Europe/Amsterdam";

/// The length of a period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Period {
    /// A calendar day.
    Day,
    /// An ISO 8601 week (Monday to Sunday; week 1 holds the year's first Thursday).
    Week,
    /// A calendar month.
    Month,
    /// A calendar quarter.
    Quarter,
    /// A calendar year.
    Year,
}

impl Period {
    /// Every period, for messages.
    pub const ALL: [Period; 5] = [Period::Day, Period::Week, Period::Month, Period::Quarter, Period::Year];

    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Period::Day => "day",
            Period::Week => "week",
            Period::Month => "month",
            Period::Quarter => "quarter",
            Period::Year => "year",
        }
    }

    /// Parses a wire name.
    pub fn parse(text: &str) -> Option<Self> {
        Period::ALL.into_iter().find(|p| p.as_str() == text)
    }

    /// The most periods one answer may span (ten years; two years of days).
    pub fn max_span(self) -> i64 {
        match self {
            Period::Day => 731,
            Period::Week => 523,
            Period::Month => 120,
            Period::Quarter => 40,
            Period::Year => 10,
        }
    }

    /// How a label of this period looks, for messages.
    pub fn label_format(self) -> &'static str {
        match self {
            Period::Day => "YYYY-MM-DD",
            Period::Week => "YYYY-Www (ISO week, e.g. 2025-W07)",
            Period::Month => "YYYY-MM",
            Period::Quarter => "YYYY-Qn",
            Period::Year => "YYYY",
        }
    }

    /// The period's number holding a local date (consecutive periods have consecutive numbers).
    pub fn index_of(self, date: NaiveDate) -> i64 {
        match self {
            Period::Day => i64::from(date.num_days_from_ce()),
            Period::Week => (i64::from(monday(date).num_days_from_ce()) - 1).div_euclid(7),
            Period::Month => i64::from(date.year()) * 12 + i64::from(date.month0()),
            Period::Quarter => i64::from(date.year()) * 4 + i64::from(date.month0() / 3),
            Period::Year => i64::from(date.year()),
        }
    }

    /// The period's number holding an instant.
    pub fn index_at(self, epoch_seconds: i64) -> i64 {
        self.index_of(local_date(epoch_seconds))
    }

    /// The first local date of period `index`.
    pub fn first_day(self, index: i64) -> NaiveDate {
        let date = match self {
            Period::Day => i32::try_from(index).ok().and_then(NaiveDate::from_num_days_from_ce_opt),
            Period::Week => i32::try_from(index * 7 + 1).ok().and_then(NaiveDate::from_num_days_from_ce_opt),
            Period::Month => {
                let year = i32::try_from(index.div_euclid(12)).ok();
                year.and_then(|y| NaiveDate::from_ymd_opt(y, u32::try_from(index.rem_euclid(12)).unwrap_or(0) + 1, 1))
            }
            Period::Quarter => {
                let year = i32::try_from(index.div_euclid(4)).ok();
                year.and_then(|y| {
                    NaiveDate::from_ymd_opt(y, u32::try_from(index.rem_euclid(4)).unwrap_or(0) * 3 + 1, 1)
                })
            }
            Period::Year => i32::try_from(index).ok().and_then(|y| NaiveDate::from_ymd_opt(y, 1, 1)),
        };
        date.unwrap_or(NaiveDate::MIN)
    }

    /// The instant period `index` starts (local midnight of its first day).
    pub fn start(self, index: i64) -> DateTime<Utc> {
        local_midnight(self.first_day(index))
    }

    /// The instant period `index` ends (the start of the next one).
    pub fn end(self, index: i64) -> DateTime<Utc> {
        self.start(index + 1)
    }

    /// The label of period `index`: `2025-03-14`, `2025-W11`, `2025-03`, `2025-Q1`, `2025`.
    pub fn label(self, index: i64) -> String {
        let first = self.first_day(index);
        match self {
            Period::Day => first.format("%Y-%m-%d").to_string(),
            Period::Week => {
                let week = first.iso_week();
                format!("{}-W{:02}", week.year(), week.week())
            }
            Period::Month => first.format("%Y-%m").to_string(),
            Period::Quarter => format!("{}-Q{}", first.year(), first.month0() / 3 + 1),
            Period::Year => first.year().to_string(),
        }
    }

    /// Parses a label of this period, or any date `YYYY-MM-DD` (its period).
    pub fn parse_label(self, text: &str) -> Option<i64> {
        let text = text.trim();
        if let Ok(date) = NaiveDate::parse_from_str(text, "%Y-%m-%d") {
            return Some(self.index_of(date));
        }
        match self {
            Period::Day => None,
            Period::Week => {
                let (year, week) = text.split_once("-W")?;
                let date = NaiveDate::from_isoywd_opt(year.parse().ok()?, week.parse().ok()?, Weekday::Mon)?;
                Some(self.index_of(date))
            }
            Period::Month => {
                let (year, month) = text.split_once('-')?;
                (month.len() == 2).then_some(())?;
                Some(self.index_of(NaiveDate::from_ymd_opt(year.parse().ok()?, month.parse().ok()?, 1)?))
            }
            Period::Quarter => {
                let (year, quarter) = text.split_once("-Q")?;
                let quarter: u32 = quarter.parse().ok().filter(|q| (1..=4).contains(q))?;
                Some(self.index_of(NaiveDate::from_ymd_opt(year.parse().ok()?, quarter * 3 - 2, 1)?))
            }
            Period::Year => (text.len() == 4).then(|| text.parse::<i32>().ok().map(i64::from)).flatten(),
        }
    }
}

/// The local (Europe/Amsterdam) date of an instant.
pub fn local_date(epoch_seconds: i64) -> NaiveDate {
    DateTime::from_timestamp(epoch_seconds, 0).map_or(NaiveDate::MIN, |utc| utc.with_timezone(&Amsterdam).date_naive())
}

/// The instant of local midnight at the start of `date` (Amsterdam has no DST change at
/// midnight; the earliest reading is taken if it ever had one).
pub fn local_midnight(date: NaiveDate) -> DateTime<Utc> {
    let naive = date.and_hms_opt(0, 0, 0).unwrap_or_default();
    Amsterdam
        .from_local_datetime(&naive)
        .earliest()
        .map_or_else(|| Utc.from_utc_datetime(&naive), |local| local.with_timezone(&Utc))
}

fn monday(date: NaiveDate) -> NaiveDate {
    date.checked_sub_days(Days::new(u64::from(date.weekday().num_days_from_monday()))).unwrap_or(date)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> i64 {
        DateTime::parse_from_rfc3339(text).map(|t| t.timestamp()).unwrap_or_default()
    }

    #[test]
    fn a_report_just_after_local_midnight_counts_in_the_new_month() {
        // 23:30 UTC on 31 January is 00:30 on 1 February in Amsterdam (UTC+1).
        let index = Period::Month.index_at(at("2025-01-31T23:30:00Z"));
        assert_eq!(Period::Month.label(index), "2025-02");
        assert_eq!(Period::Month.start(index).to_rfc3339(), "2025-01-31T23:00:00+00:00");
        // Summer time: local midnight of 1 July is 22:00 UTC.
        let july = Period::Month.parse_label("2025-07");
        assert_eq!(july.map(|i| Period::Month.start(i).to_rfc3339()).as_deref(), Some("2025-06-30T22:00:00+00:00"));
    }

    #[test]
    fn labels_and_indexes_agree_for_every_period() {
        for period in Period::ALL {
            let index = period.index_at(at("2025-12-30T12:00:00Z"));
            let label = period.label(index);
            assert_eq!(period.parse_label(&label), Some(index), "{period:?} {label}");
            assert_eq!(period.index_of(period.first_day(index + 1)), index + 1);
        }
        // 30 December 2025 is in ISO week 1 of 2026.
        assert_eq!(Period::Week.label(Period::Week.index_at(at("2025-12-30T12:00:00Z"))), "2026-W01");
        assert_eq!(Period::Quarter.label(Period::Quarter.index_at(at("2025-05-01T12:00:00Z"))), "2025-Q2");
    }

    #[test]
    fn malformed_labels_are_refused() {
        assert_eq!(Period::Month.parse_label("2025-1"), None);
        assert_eq!(Period::Quarter.parse_label("2025-Q5"), None);
        assert_eq!(Period::Week.parse_label("2025-W54"), None);
        assert_eq!(Period::Year.parse_label("25"), None);
        assert_eq!(Period::Day.parse_label("2025-02-30"), None);
        assert_eq!(Period::Year.parse_label("2025-06-01"), Some(2025));
    }
}
