//! Checking one historical row and turning it into an [`ImportedReport`]: the category
//! (slug, main category, or a name from the mapping file), the coordinates, the times
//! (RFC 3339, or local Amsterdam time), the final status, the department; then the areas of
//! the boundary year of its date and the routing intake would have done when it arrived.
//! Pure: every problem becomes a [`Refusal`] naming the row and the field.

use std::collections::BTreeMap;

use chrono::{DateTime, Datelike, NaiveDateTime, SubsecRound, TimeZone, Utc};
use chrono_tz::Europe::Amsterdam;
use uuid::Uuid;

use super::Refusal;
use super::formats::{FieldNames, RawRow, Vocabulary};
use super::mapping::CategoryMap;
use crate::domain::area::Area;
use crate::domain::category::{Catalog, Category};
use crate::domain::imported::ImportedReport;
use crate::domain::placement::Placer;
use crate::domain::report::{
    ADDRESS_MAX, DESCRIPTION_MAX, Language, Location, NewReport, ReportSource, ReportStatus, RoutingReason, ValidIntake,
};
use crate::domain::routing::Rule;
use crate::domain::spatial::AreaIndex;
use crate::domain::validation::bounded_text;
use crate::domain::workflow::{STATUS_TEXT_MAX, is_closed};

/// Longest `source_id`, in characters.
pub const SOURCE_ID_MAX: usize = 200;
/// How far in the future a time may lie (clocks differ a little).
const FUTURE_SLACK_MINUTES: i64 = 5;

/// One area index per boundary year loaded.
#[derive(Default)]
pub struct YearIndexes {
    by_year: BTreeMap<i32, AreaIndex>,
    none: AreaIndex,
}

impl YearIndexes {
    /// Indexes `areas` by their boundary year.
    pub fn new(areas: Vec<Area>) -> Self {
        let mut grouped: BTreeMap<i32, Vec<Area>> = BTreeMap::new();
        for area in areas {
            grouped.entry(area.year).or_default().push(area);
        }
        let by_year = grouped.into_iter().map(|(year, areas)| (year, AreaIndex::new(areas))).collect();
        YearIndexes { by_year, none: AreaIndex::default() }
    }

    /// The boundaries a report received `at` is stamped with: those of its own year (in
    /// Amsterdam) when loaded, else the newest loaded year before it, else (a report older
    /// than every loaded year) the oldest loaded year.
    pub fn for_date(&self, at: DateTime<Utc>) -> &AreaIndex {
        let year = at.with_timezone(&Amsterdam).year();
        self.by_year
            .range(..=year)
            .next_back()
            .or_else(|| self.by_year.iter().next())
            .map_or(&self.none, |(_, index)| index)
    }
}

/// What checking a row needs.
pub struct Context<'a> {
    /// Departments and categories.
    pub catalog: &'a Catalog,
    /// The routing rules in order.
    pub rules: &'a [Rule],
    /// The areas by boundary year.
    pub areas: &'a YearIndexes,
    /// Municipalities served (CBS codes); empty: every loaded one.
    pub served: &'a [String],
    /// Old category names.
    pub categories: &'a CategoryMap,
    /// Now, for times in the future.
    pub now: DateTime<Utc>,
}

/// The category a slug names: a subcategory (active or not: history may use old ones), or
/// for a main category its `overig…` subcategory. `Err` says what to use instead.
pub fn resolve_slug<'a>(catalog: &'a Catalog, slug: &str) -> Result<&'a Category, String> {
    if let Some(category) = catalog.subcategory(slug) {
        return Ok(category);
    }
    let Some(main) = catalog.main_category(slug) else {
        return Err(format!(
            "'{slug}' is not a category slug; use a main or subcategory slug (GET /api/v1/categories), \
             or map the name to one in the category mapping file"
        ));
    };
    catalog.subcategories_of(main.id).find(|c| c.slug.starts_with("overig")).ok_or_else(|| {
        format!(
            "main category '{slug}' has no 'overig' subcategory to file under; use one of its subcategories: {}",
            catalog.subcategories_of(main.id).map(|c| c.slug.as_str()).collect::<Vec<_>>().join(", ")
        )
    })
}

/// Reads a time: RFC 3339 (`2024-03-01T09:30:00+01:00`, `…Z`) or a local time in Amsterdam
/// (`2024-03-01 09:30:00`, also with `T` or fractions of a second), to the microsecond.
pub fn parse_time(text: &str) -> Result<DateTime<Utc>, String> {
    if let Ok(at) = DateTime::parse_from_rfc3339(text) {
        return Ok(at.with_timezone(&Utc).trunc_subsecs(6));
    }
    let local = ["%Y-%m-%d %H:%M:%S%.f", "%Y-%m-%dT%H:%M:%S%.f"]
        .iter()
        .find_map(|format| NaiveDateTime::parse_from_str(text, format).ok())
        .ok_or_else(|| {
            format!(
                "'{text}' is not a time; use RFC 3339 such as 2024-03-01T09:30:00+01:00, \
                 or 2024-03-01 09:30:00 for Amsterdam time"
            )
        })?;
    Amsterdam.from_local_datetime(&local).earliest().map(|at| at.with_timezone(&Utc).trunc_subsecs(6)).ok_or_else(
        || format!("{text} does not exist in Amsterdam (the clock skipped that hour); give the time with its offset"),
    )
}

fn parse_status(text: &str, vocabulary: Vocabulary) -> Result<ReportStatus, String> {
    let word = text.trim().to_ascii_lowercase();
    match vocabulary {
        Vocabulary::Open311 => match word.as_str() {
            "open" => Ok(ReportStatus::New),
            "closed" => Ok(ReportStatus::Resolved),
            _ => Err(format!("status '{text}' is not an Open311 status; use open or closed")),
        },
        Vocabulary::Meldpunt => ReportStatus::parse(&word).ok_or_else(|| {
            format!(
                "'{text}' is not a report status; use one of new, accepted, in_progress, on_hold, scheduled, \
                 resolved, cancelled, reopened"
            )
        }),
    }
}

fn coordinate(text: &str, what: &str, limit: f64, example: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(value) if value.is_finite() && (-limit..=limit).contains(&value) => Ok(value),
        _ => {
            Err(format!("{what} '{text}' is not a number within -{limit}..{limit}; send WGS84 degrees, e.g. {example}"))
        }
    }
}

/// Collects the refusals of one row.
struct Problems {
    line: usize,
    refused: Vec<Refusal>,
}

impl Problems {
    fn check<T>(&mut self, field: &str, result: Result<T, String>) -> Option<T> {
        result.map_err(|detail| self.refused.push(Refusal::at(self.line, field, detail))).ok()
    }

    fn required<'v>(&mut self, field: &str, value: &'v Option<String>) -> Option<&'v str> {
        let found = value.as_deref();
        if found.is_none() {
            self.refused.push(Refusal::at(self.line, field, format!("{field} is empty; every row needs one")));
        }
        found
    }

    fn text(&mut self, field: &str, value: &Option<String>, max: usize) -> Option<Option<String>> {
        match value {
            None => Some(None),
            Some(text) => self.check(field, bounded_text(text, field, max).map_err(|e| e.to_string())).map(Some),
        }
    }
}

/// Checks one row and builds its report, or lists every problem of the row.
pub fn check_row(context: &Context<'_>, names: &FieldNames, row: &RawRow) -> Result<ImportedReport, Vec<Refusal>> {
    let mut p = Problems { line: row.line, refused: Vec::new() };
    let n = names;
    let source_id = p.required(n.source_id, &row.source_id).and_then(|id| {
        let ok = id.chars().count() <= SOURCE_ID_MAX;
        p.check(
            n.source_id,
            if ok { Ok(id.to_owned()) } else { Err(format!("send at most {SOURCE_ID_MAX} characters")) },
        )
    });
    let category = p.required(n.category, &row.category).and_then(|name| {
        let slug = context.categories.get(name).unwrap_or(name);
        p.check(n.category, resolve_slug(context.catalog, slug))
    });
    let description = p.text(n.description, &row.description, DESCRIPTION_MAX);
    let address = p.text(n.address, &row.address, ADDRESS_MAX);
    let status_text = p.text(n.status_text, &row.status_text, STATUS_TEXT_MAX);
    let lat = p.required(n.lat, &row.lat).and_then(|t| p.check(n.lat, coordinate(t, "latitude", 90.0, "50.8882")));
    let lon = p.required(n.lon, &row.lon).and_then(|t| p.check(n.lon, coordinate(t, "longitude", 180.0, "5.9795")));
    let latest = context.now + chrono::Duration::minutes(FUTURE_SLACK_MINUTES);
    let not_future = |at: DateTime<Utc>| {
        if at > latest {
            Err(format!("{} lies in the future; an import holds history only", at.to_rfc3339()))
        } else {
            Ok(at)
        }
    };
    let created_at = p
        .required(n.created_at, &row.created_at)
        .and_then(|t| p.check(n.created_at, parse_time(t).and_then(not_future)));
    let closed_at = match &row.closed_at {
        None => Some(None),
        Some(t) => p.check(n.closed_at, parse_time(t).and_then(not_future)).map(Some),
    };
    let status = p.required(n.status, &row.status).and_then(|t| p.check(n.status, parse_status(t, n.vocabulary)));
    let department = match &row.department {
        None => Some(None),
        Some(slug) => p
            .check(
                n.department,
                context.catalog.department_by_slug(slug).map(|d| d.id).ok_or_else(|| {
                    let known: Vec<&str> = context.catalog.departments().iter().map(|d| d.slug.as_str()).collect();
                    format!("'{slug}' is not a department slug; use one of {}", known.join(", "))
                }),
            )
            .map(Some),
    };
    if let (Some(status), Some(closed_at)) = (status, &closed_at) {
        match (is_closed(status), closed_at) {
            (true, None) => p.refused.push(Refusal::at(
                row.line,
                n.closed_at,
                format!("a {} report needs {}: when it was closed", status.as_str(), n.closed_at),
            )),
            (false, Some(_)) => p.refused.push(Refusal::at(
                row.line,
                n.closed_at,
                format!(
                    "{} is given but {} is {}, an open status; leave it empty or give resolved or cancelled",
                    n.closed_at,
                    n.status,
                    status.as_str()
                ),
            )),
            _ => {}
        }
    }
    if let (Some(created), Some(Some(closed))) = (created_at, closed_at)
        && closed < created
    {
        p.refused.push(Refusal::at(
            row.line,
            n.closed_at,
            format!(
                "{} {} is before {} {}; a report closes after it is received",
                n.closed_at,
                closed.to_rfc3339(),
                n.created_at,
                created.to_rfc3339()
            ),
        ));
    }
    // Where it lies is checked whenever the location and the date are readable, so that a
    // row's problems are all named at once.
    let placed = match (lat, lon, created_at) {
        (Some(lat), Some(lon), Some(created_at)) => {
            let location = Location { lat, lon };
            let placer = Placer {
                catalog: context.catalog,
                rules: context.rules,
                areas: context.areas.for_date(created_at),
                served: context.served,
            };
            p.check(n.lat, placer.stamp(location)).map(|area| (placer, location, area))
        }
        _ => None,
    };
    let (
        Some(source_id),
        Some(category),
        Some(description),
        Some(address),
        Some(status_text),
        Some((placer, location, area)),
        Some(created_at),
        Some(closed_at),
        Some(status),
        Some(department),
    ) = (source_id, category, description, address, status_text, placed, created_at, closed_at, status, department)
    else {
        return Err(p.refused);
    };
    if !p.refused.is_empty() {
        return Err(p.refused);
    }
    let answers = serde_json::Map::new();
    let mut placement = placer.route(category, area.as_ref(), location, &answers, created_at);
    if let Some(id) = department {
        placement.department_id = Some(id);
        placement.routing_rule_id = None;
        placement.routing_reason = RoutingReason::Manual;
    }
    let intake = ValidIntake {
        category: category.clone(),
        description: description.unwrap_or_default(),
        location,
        address,
        reporter: None,
        answers,
        media_url: None,
        language: Language::Nl,
    };
    let mut report = NewReport::from_intake(intake, placement, ReportSource::Import, created_at);
    // Ids are UUIDv7 of when the report was received, as intake's are.
    let seconds = u64::try_from(report.created_at.timestamp()).unwrap_or_default();
    report.id =
        Uuid::new_v7(uuid::Timestamp::from_unix(uuid::NoContext, seconds, report.created_at.timestamp_subsec_nanos()));
    Ok(ImportedReport { report, source_id, status, closed_at, status_text, department_locked: department.is_some() })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_times_are_read_in_amsterdam_and_rfc_3339_as_given() {
        let winter = parse_time("2024-01-15 10:00:00").unwrap();
        assert_eq!(winter.to_rfc3339(), "2024-01-15T09:00:00+00:00");
        let summer = parse_time("2024-07-15T10:00:00").unwrap();
        assert_eq!(summer.to_rfc3339(), "2024-07-15T08:00:00+00:00");
        assert_eq!(parse_time("2024-07-15T10:00:00Z").unwrap().to_rfc3339(), "2024-07-15T10:00:00+00:00");
        assert!(parse_time("2024-03-31 02:30:00").unwrap_err().contains("does not exist"));
        assert!(parse_time("15-07-2024").unwrap_err().contains("RFC 3339"));
    }

    #[test]
    fn statuses_are_read_in_the_format_s_own_words() {
        assert_eq!(parse_status("Closed", Vocabulary::Open311), Ok(ReportStatus::Resolved));
        assert_eq!(parse_status("open", Vocabulary::Open311), Ok(ReportStatus::New));
        assert!(parse_status("resolved", Vocabulary::Open311).is_err());
        assert_eq!(parse_status("in_progress", Vocabulary::Meldpunt), Ok(ReportStatus::InProgress));
        assert!(parse_status("done", Vocabulary::Meldpunt).unwrap_err().contains("resolved"));
    }

    #[test]
    fn a_report_takes_its_own_year_s_boundaries_else_the_latest_before_else_the_oldest() {
        let area = |year| Area {
            level: crate::domain::area::AreaLevel::Gemeente,
            code: format!("GM{year}"),
            name: String::new(),
            year,
            gemeente_code: format!("GM{year}"),
            wijk_code: None,
            geometry: geo::MultiPolygon(vec![]),
        };
        let indexes = YearIndexes::new(vec![area(2020), area(2023)]);
        let code = |date: &str| {
            let index = indexes.for_date(parse_time(date).unwrap());
            index.areas().first().map(|a| a.code.clone()).unwrap_or_default()
        };
        assert_eq!(code("2018-05-01 12:00:00"), "GM2020");
        assert_eq!(code("2021-05-01 12:00:00"), "GM2020");
        assert_eq!(code("2023-01-01 00:30:00"), "GM2023");
        assert_eq!(code("2026-05-01 12:00:00"), "GM2023");
        assert!(YearIndexes::default().for_date(Utc::now()).is_empty());
    }
}
