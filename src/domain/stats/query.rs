//! A statistics question, checked: which areas at which level, which reports, grouped how,
//! over which periods. Every problem is named by a JSON Pointer to its query parameter.

use serde::{Deserialize, Serialize};

use super::measures::Measure;
use super::period::Period;
use crate::domain::area::AreaLevel;
use crate::domain::validation::{FieldError, FieldErrors};

/// A dimension rows can be split by, besides area and period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Dimension {
    /// The main category (a subcategory counts with its parent).
    MainCategory,
    /// The subcategory (or the main category of a report filed on a main category).
    Subcategory,
    /// The department the report is with.
    Department,
    /// How the report came in: `api` (the app and web form), `open311`, `staff`, `import`.
    Source,
}

impl Dimension {
    /// Every dimension.
    pub const ALL: [Dimension; 4] =
        [Dimension::MainCategory, Dimension::Subcategory, Dimension::Department, Dimension::Source];

    /// The wire name (also the CSV column).
    pub fn as_str(self) -> &'static str {
        match self {
            Dimension::MainCategory => "main_category",
            Dimension::Subcategory => "subcategory",
            Dimension::Department => "department",
            Dimension::Source => "source",
        }
    }

    /// Parses a wire name (`main` and `sub` are accepted for the category ones).
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "main" | "category" => Some(Dimension::MainCategory),
            "sub" => Some(Dimension::Subcategory),
            _ => Dimension::ALL.into_iter().find(|d| d.as_str() == text),
        }
    }
}

/// The report sources statistics know.
pub const SOURCES: [&str; 4] = ["api", "open311", "staff", "import"];

/// The query string as sent: every value a text, checked by [`StatsRequest::check`].
#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct StatsRequest {
    /// Area level of the rows: `gemeente`, `wijk` or `buurt` (default `buurt`).
    pub level: Option<String>,
    /// CBS codes of any level, comma-separated; a wijk or gemeente code selects its buurten.
    /// Default: every municipality this deployment serves.
    pub area: Option<String>,
    /// Gemeente codes, comma-separated (joins `area`).
    pub gemeente: Option<String>,
    /// Wijk codes, comma-separated (joins `area`).
    pub wijk: Option<String>,
    /// Buurt codes, comma-separated (joins `area`).
    pub buurt: Option<String>,
    /// Period length: `day`, `week` (ISO), `month`, `quarter` or `year` (default `month`).
    pub period: Option<String>,
    /// First period, as its label (`2025-01`, `2025-W03`, `2025-Q1`, `2025`, `2025-01-15`) or
    /// any date in it. Default: the twelve periods up to `to` (ten years for `year`).
    pub from: Option<String>,
    /// Last period, as `from`. Default: the current period.
    pub to: Option<String>,
    /// Split rows by: `main_category` (or `main`), `subcategory` (or `sub`), `department`,
    /// `source`; comma-separated. Default: none (one row per area and period).
    pub group_by: Option<String>,
    /// Only these categories (slugs, comma-separated; a main category includes its subcategories).
    pub category: Option<String>,
    /// Only these departments (slugs, comma-separated).
    pub department: Option<String>,
    /// Only these sources: `api`, `open311`, `staff`, `import` (comma-separated).
    pub source: Option<String>,
    /// Only these measures (comma-separated). Default: all.
    pub measures: Option<String>,
    /// Boundary year to count in; reports are assigned to that year's areas by their
    /// location. Default: the newest loaded.
    pub boundary_year: Option<String>,
    /// `json` (default) or `csv`; `Accept: text/csv` also chooses CSV.
    pub format: Option<String>,
}

/// A checked statistics question (area codes and slugs are checked against the data by
/// the caller).
#[derive(Debug, Clone, PartialEq)]
pub struct StatsQuery {
    /// Level of the rows.
    pub level: AreaLevel,
    /// Area codes asked for (empty: the served municipalities).
    pub areas: Vec<String>,
    /// Period length.
    pub period: Period,
    /// First period's number.
    pub first: i64,
    /// Last period's number.
    pub last: i64,
    /// Row split.
    pub group_by: Vec<Dimension>,
    /// Category slugs.
    pub categories: Vec<String>,
    /// Department slugs.
    pub departments: Vec<String>,
    /// Sources.
    pub sources: Vec<String>,
    /// Measures, in answer order.
    pub measures: Vec<Measure>,
    /// Boundary year asked for.
    pub boundary_year: Option<i32>,
    /// CSV rather than JSON.
    pub csv: bool,
}

fn list(text: Option<&str>) -> Vec<String> {
    text.map(|t| t.split(',').map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned).collect()).unwrap_or_default()
}

impl StatsRequest {
    /// Checks the request; `current` is the period number holding today (for defaults),
    /// computed by the caller from the clock.
    pub fn check(&self, now_epoch: i64) -> Result<StatsQuery, Vec<FieldError>> {
        let mut errors = FieldErrors::default();
        let level = match self.level.as_deref() {
            None => Some(AreaLevel::Buurt),
            Some(text) => errors.check(
                "/level",
                AreaLevel::parse(text).ok_or_else(|| format!("unknown level {text:?}: use gemeente, wijk or buurt")),
            ),
        };
        let mut areas = Vec::new();
        for (name, value) in
            [("area", &self.area), ("gemeente", &self.gemeente), ("wijk", &self.wijk), ("buurt", &self.buurt)]
        {
            for code in list(value.as_deref()) {
                let code = code.to_ascii_uppercase();
                match AreaLevel::of_code(&code) {
                    Some(found) if name == "area" || found.as_str() == name => areas.push(code),
                    _ => errors.add(
                        format!("/{name}"),
                        format!(
                            "{code:?} is not a CBS {} code (GM0917, WK091710, BU09171001)",
                            if name == "area" { "area" } else { name }
                        ),
                    ),
                }
            }
        }
        areas.sort();
        areas.dedup();
        let period = match self.period.as_deref() {
            None => Some(Period::Month),
            Some(text) => errors.check(
                "/period",
                Period::parse(text)
                    .ok_or_else(|| format!("unknown period {text:?}: use day, week, month, quarter or year")),
            ),
        };
        let mut range = None;
        if let Some(period) = period {
            let parse = |errors: &mut FieldErrors, pointer: &str, text: &Option<String>| match text.as_deref() {
                None => Some(None),
                Some(text) => errors
                    .check(
                        pointer,
                        period.parse_label(text).ok_or_else(|| {
                            format!(
                                "{text:?} is not a {} ({} or a date YYYY-MM-DD)",
                                period.as_str(),
                                period.label_format()
                            )
                        }),
                    )
                    .map(Some),
            };
            let from = parse(&mut errors, "/from", &self.from);
            let to = parse(&mut errors, "/to", &self.to);
            if let (Some(from), Some(to)) = (from, to) {
                let last = to.unwrap_or_else(|| period.index_at(now_epoch));
                let first = from.unwrap_or(last - (period.max_span().min(12) - 1));
                if first > last {
                    errors.add("/from", format!("from ({}) is after to ({})", period.label(first), period.label(last)));
                } else if last - first + 1 > period.max_span() {
                    errors.add(
                        "/to",
                        format!(
                            "{} periods of a {} are too many in one answer: ask at most {} (or a longer period)",
                            last - first + 1,
                            period.as_str(),
                            period.max_span()
                        ),
                    );
                } else {
                    range = Some((first, last));
                }
            }
        }
        let mut group_by = Vec::new();
        for name in list(self.group_by.as_deref()) {
            match Dimension::parse(&name) {
                Some(d) if !group_by.contains(&d) => group_by.push(d),
                Some(_) => {}
                None => errors.add(
                    "/group_by",
                    format!("unknown dimension {name:?}: use main_category, subcategory, department or source"),
                ),
            }
        }
        if group_by.contains(&Dimension::MainCategory) && group_by.contains(&Dimension::Subcategory) {
            errors.add("/group_by", "choose main_category or subcategory, not both");
        }
        let sources = list(self.source.as_deref());
        for source in &sources {
            if !SOURCES.contains(&source.as_str()) {
                errors.add("/source", format!("unknown source {source:?}: use {}", SOURCES.join(", ")));
            }
        }
        let mut measures = Vec::new();
        for name in list(self.measures.as_deref()) {
            match Measure::parse(&name) {
                Some(m) => measures.push(m),
                None => errors.add(
                    "/measures",
                    format!(
                        "unknown measure {name:?}: use {}",
                        Measure::ALL.iter().map(|m| m.as_str()).collect::<Vec<_>>().join(", ")
                    ),
                ),
            }
        }
        measures = if measures.is_empty() { Measure::ALL.to_vec() } else { measures };
        measures.sort();
        measures.dedup();
        let boundary_year = match self.boundary_year.as_deref() {
            None => Some(None),
            Some(text) => errors
                .check("/boundary_year", text.trim().parse::<i32>().map_err(|_| format!("{text:?} is not a year")))
                .map(Some),
        };
        let csv = match self.format.as_deref() {
            None | Some("json") => Some(false),
            Some("csv") => Some(true),
            Some(other) => {
                errors.add("/format", format!("unknown format {other:?}: use json or csv"));
                None
            }
        };
        errors.finish(|| {
            let (first, last) = range?;
            Some(StatsQuery {
                level: level?,
                areas,
                period: period?,
                first,
                last,
                group_by,
                categories: list(self.category.as_deref()),
                departments: list(self.department.as_deref()),
                sources,
                measures,
                boundary_year: boundary_year?,
                csv: csv?,
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> i64 {
        chrono::DateTime::parse_from_rfc3339("2025-06-15T12:00:00Z").map(|t| t.timestamp()).unwrap_or_default()
    }

    #[test]
    fn the_example_of_the_issue_is_understood() {
        let request = StatsRequest {
            level: Some("buurt".into()),
            gemeente: Some("GM0917".into()),
            period: Some("month".into()),
            from: Some("2025-01".into()),
            to: Some("2025-12".into()),
            category: Some("afval".into()),
            group_by: Some("main".into()),
            ..StatsRequest::default()
        };
        let query = request.check(now()).map_err(|e| format!("{e:?}"));
        let query = query.as_ref().map(|q| (q.level, q.areas.clone(), q.last - q.first + 1, q.group_by.clone()));
        assert_eq!(query, Ok((AreaLevel::Buurt, vec!["GM0917".to_owned()], 12, vec![Dimension::MainCategory])));
    }

    #[test]
    fn every_problem_is_named_by_its_parameter() {
        let request = StatsRequest {
            level: Some("street".into()),
            wijk: Some("BU09171001".into()),
            period: Some("month".into()),
            from: Some("2025-12".into()),
            to: Some("2025-01".into()),
            measures: Some("received,happiness".into()),
            group_by: Some("colour".into()),
            boundary_year: Some("last".into()),
            ..StatsRequest::default()
        };
        let pointers: Vec<String> =
            request.check(now()).err().unwrap_or_default().into_iter().map(|e| e.pointer).collect();
        assert_eq!(pointers, ["/level", "/wijk", "/from", "/group_by", "/measures", "/boundary_year"]);
    }

    #[test]
    fn a_range_too_long_for_its_period_is_refused() {
        let monthly =
            StatsRequest { from: Some("2010-01".into()), to: Some("2025-12".into()), ..StatsRequest::default() };
        assert!(monthly.check(now()).is_err());
        let daily = StatsRequest {
            period: Some("day".into()),
            from: Some("2022-01-01".into()),
            to: Some("2025-01-01".into()),
            ..StatsRequest::default()
        };
        assert_eq!(daily.check(now()).err().map(|e| e.len()), Some(1));
        let yearly = StatsRequest { period: Some("year".into()), ..StatsRequest::default() };
        assert_eq!(yearly.check(now()).map(|q| q.last - q.first + 1).ok(), Some(10), "ten years by default");
    }
}
