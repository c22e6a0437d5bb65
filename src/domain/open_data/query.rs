//! A question to the public statistics, as sent and as checked. What needs the data (the
//! municipality, the category, the boundary year) is checked against it by the caller.

use chrono::{Datelike, NaiveDate};
use serde::Deserialize;

use crate::domain::area::AreaLevel;
use crate::domain::stats::Period;
use crate::domain::validation::{FieldError, FieldErrors};

/// The query string of the public statistics and the aggregate downloads, as sent.
#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct OpenStatsRequest {
    /// CBS code of the municipality (`GM0917`). Default: the first this deployment serves.
    pub gemeente: Option<String>,
    /// Calendar year (Europe/Amsterdam). Default: the year of the last ended month.
    pub year: Option<String>,
    /// Boundary year of the areas. Default: the newest loaded.
    pub boundary_year: Option<String>,
    /// Area level of the rows: `buurt` (default), `wijk` or `gemeente`.
    pub level: Option<String>,
    /// Period of the rows: `month` (default), `quarter` or `year`; only ended periods are
    /// published.
    pub period: Option<String>,
    /// A public main category's slug (or a subcategory's, where the deployment publishes
    /// them). Default: every public category together (`all`).
    pub category: Option<String>,
    /// `json` (default) or `csv` (`Accept: text/csv` also chooses CSV).
    pub format: Option<String>,
}

/// A checked question.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenQuery {
    /// Municipality code, if one was named.
    pub gemeente: Option<String>,
    /// Calendar year.
    pub year: i32,
    /// How many of its months have ended (1 to 12).
    pub ended_months: u32,
    /// Boundary year, if one was named.
    pub boundary_year: Option<i32>,
    /// Level of the rows.
    pub level: AreaLevel,
    /// Period of the rows (`None`: not named; the statistics then answer months, the
    /// downloads every period).
    pub period: Option<Period>,
    /// Category slug, or `all` (`None`: not named; the statistics then answer `all`, the
    /// downloads every category).
    pub category: Option<String>,
    /// CSV rather than JSON.
    pub csv: bool,
}

/// The first calendar year the public statistics answer for.
pub const FIRST_YEAR: i32 = 2000;

/// How many months of `year` have ended on `today` (Europe/Amsterdam): 0 to 12.
pub fn ended_months(year: i32, today: NaiveDate) -> u32 {
    match year.cmp(&today.year()) {
        std::cmp::Ordering::Less => 12,
        std::cmp::Ordering::Equal => today.month0(),
        std::cmp::Ordering::Greater => 0,
    }
}

impl OpenStatsRequest {
    /// Checks what can be checked without the data; `today` is the local date.
    pub fn check(&self, today: NaiveDate) -> Result<OpenQuery, Vec<FieldError>> {
        let mut errors = FieldErrors::default();
        let last_year = if today.month0() == 0 { today.year() - 1 } else { today.year() };
        let year = match self.year.as_deref() {
            None => Some(last_year),
            Some(text) => errors.check(
                "/year",
                text.trim()
                    .parse::<i32>()
                    .ok()
                    .filter(|y| (FIRST_YEAR..=last_year).contains(y))
                    .ok_or_else(|| {
                        format!(
                            "year {text:?} has no ended month to publish: use a year from {FIRST_YEAR} to {last_year} (only ended months, quarters and years are published)"
                        )
                    }),
            ),
        };
        let boundary_year = match self.boundary_year.as_deref() {
            None => None,
            Some(text) => errors.check(
                "/boundary_year",
                text.trim().parse::<i32>().map(Some).map_err(|_| {
                    format!("boundary_year {text:?} is not a year: send a loaded boundary year such as 2025")
                }),
            ),
        }
        .flatten();
        let level = match self.level.as_deref() {
            None => Some(AreaLevel::Buurt),
            Some(text) => errors.check(
                "/level",
                AreaLevel::parse(text)
                    .ok_or_else(|| format!("there is no area level {text:?}: use buurt, wijk or gemeente")),
            ),
        };
        let period = match self.period.as_deref() {
            None => Some(None),
            Some(text) => errors.check(
                "/period",
                Period::parse(text)
                    .filter(|p| matches!(p, Period::Month | Period::Quarter | Period::Year))
                    .map(Some)
                    .ok_or_else(|| {
                        format!("the public statistics have no period {text:?}: use month, quarter or year")
                    }),
            ),
        };
        let csv = match self.format.as_deref() {
            None | Some("json") => false,
            Some("csv") => true,
            Some(other) => {
                errors.add("/format", format!("unknown format {other:?}: use json or csv"));
                false
            }
        };
        let gemeente = self.gemeente.as_deref().map(str::trim).filter(|g| !g.is_empty()).map(str::to_owned);
        let category = self.category.as_deref().map(str::trim).filter(|c| !c.is_empty());
        errors.finish(|| {
            Some(OpenQuery {
                gemeente,
                year: year?,
                ended_months: ended_months(year?, today),
                boundary_year,
                level: level?,
                period: period?,
                category: category.map(str::to_owned),
                csv,
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap_or_default()
    }

    #[test]
    fn the_default_year_is_the_year_of_the_last_ended_month() {
        let query = OpenStatsRequest::default().check(day(2026, 1, 15)).unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!((query.year, query.ended_months), (2025, 12));
        let query = OpenStatsRequest::default().check(day(2026, 5, 2)).unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!((query.year, query.ended_months), (2026, 4));
    }

    #[test]
    fn a_week_a_district_level_and_a_future_year_are_refused_with_what_is_available() {
        let request = OpenStatsRequest {
            period: Some("week".into()),
            level: Some("provincie".into()),
            year: Some("2030".into()),
            ..OpenStatsRequest::default()
        };
        let errors = request.check(day(2026, 5, 2)).err().unwrap_or_default();
        let text = format!("{errors:?}");
        assert!(text.contains("month, quarter or year"), "{text}");
        assert!(text.contains("buurt, wijk or gemeente"), "{text}");
        assert!(text.contains("2000 to 2026"), "{text}");
    }
}
