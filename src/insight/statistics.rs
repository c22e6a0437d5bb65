//! Answers a statistics question: checks the areas, categories and departments it names
//! against the data, reads the reports, places each in the boundary year asked (by its
//! stamp when it was stamped in that year, else by its stored location), and sums them.

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

use chrono::Utc;
use serde::Serialize;

use super::scope::{GroupIndex, Scope};
use super::years::{YearAreas, Years};
use crate::domain::area::AreaLevel;
use crate::domain::category::Catalog;
use crate::domain::stats::grid::{Fact, Grid};
use crate::domain::stats::query::{Dimension, StatsQuery};
use crate::domain::stats::table::{self, AreaRow, Group, Inhabitants, StatsRow, StatsTotal};
use crate::domain::stats::{Measure, Period, TIME_ZONE};
use crate::domain::validation::FieldError;
use crate::storage::rollup::CellSelection;
use crate::storage::stats::{ReportFact, Selection, Within};
use crate::storage::{DbConnection, StorageError};

/// Where the measures are explained at length.
pub const DEFINITIONS_DOC: &str = "docs/statistics.md";

/// A measure's definition, carried by every answer.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct MeasureDefinition {
    /// The measure.
    pub name: Measure,
    /// Its unit.
    pub unit: &'static str,
    /// What it means.
    pub definition: &'static str,
}

/// A statistics answer.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct StatsAnswer {
    /// The boundary year every area of the answer is of; reports stamped in another year
    /// are placed in it by their location.
    pub boundary_year: i32,
    /// Every loaded boundary year.
    pub boundary_years_loaded: Vec<i32>,
    /// The time zone periods are in.
    pub time_zone: &'static str,
    /// Area level of the rows.
    pub level: &'static str,
    /// Period length.
    pub period: Period,
    /// First period.
    pub from: String,
    /// Last period.
    pub to: String,
    /// The area codes asked for (or the served municipalities).
    pub areas: Vec<String>,
    /// Row split.
    pub group_by: Vec<Dimension>,
    /// Category slugs filtered on (empty: all).
    pub categories: Vec<String>,
    /// Department slugs filtered on (empty: all).
    pub departments: Vec<String>,
    /// Sources filtered on (empty: all).
    pub sources: Vec<String>,
    /// Counts of non-public and sensitive categories below this are hidden.
    pub min_count: i64,
    /// The measures, with their definitions.
    pub measures: Vec<MeasureDefinition>,
    /// Where the definitions and the method are explained.
    pub definitions: &'static str,
    /// Attribution of the boundaries (and, with inhabitants, of the key figures).
    pub attribution: String,
    /// One row per area, group and period.
    pub rows: Vec<StatsRow>,
    /// Per group and period, the sums of the counts shown in the rows.
    pub totals: Vec<StatsTotal>,
}

/// Why a question cannot be answered.
#[derive(Debug, thiserror::Error)]
pub enum StatsError {
    /// Named parameters do not fit the data.
    #[error("{} parameter(s) do not fit the data", .0.len())]
    Invalid(Vec<FieldError>),
    /// The database failed.
    #[error(transparent)]
    Storage(#[from] StorageError),
}

/// What the question needs besides itself.
pub struct Context<'a> {
    /// The boundary-year cache.
    pub years: &'a Years,
    /// Categories and departments.
    pub catalog: &'a Catalog,
    /// The areas generation (for the cache).
    pub areas_generation: i64,
    /// The municipalities served (the default area).
    pub served: &'a [String],
    /// The small-count threshold.
    pub min_count: i64,
}

fn invalid(pointer: &str, detail: String) -> StatsError {
    StatsError::Invalid(vec![FieldError { pointer: pointer.into(), detail }])
}

/// The boundary year to use: the one asked (if loaded) or the newest.
pub fn boundary_year(asked: Option<i32>, loaded: &[i32]) -> Result<i32, StatsError> {
    let listed = || loaded.iter().map(i32::to_string).collect::<Vec<_>>().join(", ");
    match (asked, loaded.last()) {
        (_, None) => Err(invalid("/boundary_year", "no CBS boundaries are loaded; an admin loads them first".into())),
        (Some(year), _) if !loaded.contains(&year) => {
            Err(invalid("/boundary_year", format!("boundary year {year} is not loaded; loaded: {}", listed())))
        }
        (Some(year), _) => Ok(year),
        (None, Some(newest)) => Ok(*newest),
    }
}

/// The sums of a question before they are shown: the grid per area row and group.
pub struct Collected {
    /// The boundary year used.
    pub year: i32,
    /// Every loaded boundary year.
    pub loaded: Vec<i32>,
    /// The area filter used.
    pub filter: Vec<String>,
    /// The rows' areas, in grid order.
    pub rows: Vec<AreaRow>,
    /// The groups, in grid order.
    pub groups: Vec<Group>,
    /// The sums.
    pub grid: Grid,
}

/// Answers `query` (blocking: reads the database).
pub fn answer(conn: &mut DbConnection, ctx: &Context<'_>, query: &StatsQuery) -> Result<StatsAnswer, StatsError> {
    let Collected { year, loaded, filter, rows, groups, grid } = collect(conn, ctx, query)?;
    let period = query.period;
    let codes: Vec<String> = rows.iter().map(|r| r.code.clone()).collect();
    let population = if query.measures.contains(&Measure::ReceivedPer1000Inhabitants) {
        crate::storage::figures::population(conn, &codes)?
    } else {
        HashMap::new()
    };
    let inhabitants = |code: &str, year: i32| -> Inhabitants {
        population.get(code).and_then(|years| crate::domain::figures::figure_for_year(years, year))
    };
    let rows = table::rows(query, &grid, &rows, &groups, ctx.min_count, &inhabitants);
    let totals = table::totals(&rows, &query.measures);
    Ok(StatsAnswer {
        boundary_year: year,
        boundary_years_loaded: loaded,
        time_zone: TIME_ZONE,
        level: query.level.as_str(),
        period,
        from: period.label(query.first),
        to: period.label(query.last),
        areas: filter,
        group_by: query.group_by.clone(),
        categories: query.categories.clone(),
        departments: query.departments.clone(),
        sources: query.sources.clone(),
        min_count: ctx.min_count,
        measures: query
            .measures
            .iter()
            .map(|&m| MeasureDefinition { name: m, unit: m.unit(), definition: m.definition() })
            .collect(),
        definitions: DEFINITIONS_DOC,
        attribution: if population.is_empty() {
            format!("Kadaster / Centraal Bureau voor de Statistiek, {year}")
        } else {
            format!(
                "Kadaster / Centraal Bureau voor de Statistiek, {year}; inhabitants: Bron: CBS (Kerncijfers wijken en buurten)"
            )
        },
        rows,
        totals,
    })
}

/// Reads and sums the reports of `query` (blocking: reads the database).
pub fn collect(conn: &mut DbConnection, ctx: &Context<'_>, query: &StatsQuery) -> Result<Collected, StatsError> {
    let loaded = crate::storage::areas::years(conn)?;
    let year = boundary_year(query.boundary_year, &loaded)?;
    let areas = ctx.years.get(conn, year, ctx.areas_generation)?;
    let filter = area_filter(query, ctx.served, &areas)?;
    let rows = row_areas(&areas, query.level, &filter);
    let scope = Scope::new(ctx.catalog, query)?;

    // Municipalities to read, per stamped year: this year's, and for every other loaded
    // year those whose areas overlap the asked areas (their reports are placed by location).
    let gemeenten: BTreeSet<String> = areas
        .index
        .areas()
        .iter()
        .filter(|a| YearAreas::in_filter(a, &filter))
        .map(|a| a.gemeente_code.clone())
        .collect();
    let bbox = bounding_box(areas.index.areas().iter().filter(|a| YearAreas::in_filter(a, &filter)));
    let mut stamped = vec![(year, gemeenten.into_iter().collect::<Vec<_>>())];
    let mut others: HashMap<i32, Arc<YearAreas>> = HashMap::new();
    for other in loaded.iter().copied().filter(|y| *y != year) {
        let other_areas = ctx.years.get(conn, other, ctx.areas_generation)?;
        let overlapping: BTreeSet<String> = other_areas
            .index
            .areas()
            .iter()
            .filter(|a| bbox.is_some_and(|b| overlaps(b, bounding_box(std::iter::once(*a)))))
            .map(|a| a.gemeente_code.clone())
            .collect();
        stamped.push((other, overlapping.into_iter().collect()));
        others.insert(other, other_areas);
    }
    let every_stamped = stamped.clone();
    let period = query.period;
    let row_index: HashMap<&str, u32> = rows.iter().zip(0u32..).map(|(r, i)| (r.code.as_str(), i)).collect();
    let mut groups = GroupIndex::default();
    let mut grid = Grid::new(period, query.first, query.last);
    let (start, end) = (period.start(query.first), period.end(query.last));
    if matches!(period, Period::Month | Period::Quarter | Period::Year) {
        // Months, quarters and years are sums of months: the reports stamped in the
        // answer's boundary year are read from the monthly roll-up.
        let own = stamped.remove(0);
        let month = |at: i64| i32::try_from(Period::Month.index_at(at)).unwrap_or(0);
        let cells = crate::storage::rollup::cells(
            conn,
            &CellSelection {
                year: own.0,
                gemeenten: own.1,
                within: within(&areas, &filter),
                first_month: month(start.timestamp()),
                last_month: month(end.timestamp() - 1),
                categories: scope.category_ids.clone(),
                departments: scope.department_ids.clone(),
                sources: query.sources.clone(),
                by_category: query
                    .group_by
                    .iter()
                    .any(|d| matches!(d, Dimension::Subcategory | Dimension::MainCategory)),
                by_department: query.group_by.contains(&Dimension::Department),
                by_source: query.group_by.contains(&Dimension::Source),
            },
        )?;
        for (key, sums) in &cells {
            fn present(code: &str) -> Option<&str> {
                (!code.is_empty()).then_some(code)
            }
            let codes = [Some(key.gemeente.as_str()), present(&key.wijk), present(&key.buurt)];
            if !codes.iter().flatten().any(|code| filter.iter().any(|f| f == code)) {
                continue;
            }
            let level_code = match query.level {
                AreaLevel::Gemeente => codes[0],
                AreaLevel::Wijk => codes[1],
                AreaLevel::Buurt => codes[2],
            };
            let Some(&area) = level_code.and_then(|code| row_index.get(code)) else { continue };
            let department = (!key.department.is_nil()).then_some(key.department);
            let group = groups.of(key.category, department, &key.source, query, &scope, ctx.catalog);
            grid.add_cell(area, group, key.month, sums);
        }
    }
    let selection = Selection {
        stamped,
        start,
        end,
        categories: scope.category_ids.clone(),
        departments: scope.department_ids.clone(),
        sources: query.sources.clone(),
        within: within(&areas, &filter),
    };
    let reports = crate::storage::stats::facts(conn, &selection)?;
    for report in &reports {
        let Some((gemeente, wijk, buurt)) = place(report, &areas) else { continue };
        let codes = [Some(gemeente.as_str()), wijk.as_deref(), buurt.as_deref()];
        if !codes.iter().flatten().any(|code| filter.iter().any(|f| f == code)) {
            continue;
        }
        let level_code = match query.level {
            AreaLevel::Gemeente => Some(gemeente.as_str()),
            AreaLevel::Wijk => wijk.as_deref(),
            AreaLevel::Buurt => buurt.as_deref(),
        };
        let Some(&area) = level_code.and_then(|code| row_index.get(code)) else { continue };
        let group = groups.of(report.category_id, report.department_id, &report.source, query, &scope, ctx.catalog);
        grid.add(&Fact {
            area,
            group,
            created: report.created_at.timestamp(),
            deadline: report.deadline_at.map(|d| d.timestamp()),
            events: report.events.clone(),
            me_too: report.me_too,
        });
    }
    if query.measures.iter().any(|m| matches!(m, Measure::SurveyAnswers | Measure::SatisfiedShare)) {
        let selection = Selection { stamped: every_stamped, ..selection };
        for answer in crate::storage::surveys::facts::answer_facts(conn, &selection, year)? {
            let placed = if answer.area_year == year {
                Some((answer.gemeente_code.clone(), answer.wijk_code.clone(), answer.buurt_code.clone()))
            } else {
                answer.location.and_then(|(lat, lon)| areas.place(lon, lat))
            };
            let Some((gemeente, wijk, buurt)) = placed else { continue };
            let codes = [Some(gemeente.as_str()), wijk.as_deref(), buurt.as_deref()];
            if !codes.iter().flatten().any(|code| filter.iter().any(|f| f == code)) {
                continue;
            }
            let level_code = match query.level {
                AreaLevel::Gemeente => Some(gemeente.as_str()),
                AreaLevel::Wijk => wijk.as_deref(),
                AreaLevel::Buurt => buurt.as_deref(),
            };
            let Some(&area) = level_code.and_then(|code| row_index.get(code)) else { continue };
            let group = groups.of(answer.category_id, answer.department_id, &answer.source, query, &scope, ctx.catalog);
            grid.add_answer(area, group, answer.answered_at.timestamp(), answer.satisfied);
        }
    }
    grid.prune();
    if query.group_by.is_empty() {
        groups.ensure_single(scope.restricted_any);
    }
    Ok(Collected { year, loaded, filter, rows, groups: groups.list, grid })
}

/// The report's (gemeente, wijk, buurt) in the answer's year: its stamp when stamped in
/// that year, else where its location lies in that year.
fn place(report: &ReportFact, areas: &YearAreas) -> Option<(String, Option<String>, Option<String>)> {
    if report.area_year == Some(areas.year) {
        return Some((report.gemeente_code.clone()?, report.wijk_code.clone(), report.buurt_code.clone()));
    }
    areas.place(report.lon, report.lat)
}

/// The asked area codes, each checked to exist in the boundary year.
fn area_filter(query: &StatsQuery, served: &[String], areas: &YearAreas) -> Result<Vec<String>, StatsError> {
    let asked = if query.areas.is_empty() { served.to_vec() } else { query.areas.clone() };
    if asked.is_empty() {
        return Err(invalid("/area", "name at least one area (gemeente, wijk or buurt code)".into()));
    }
    let unknown: Vec<&String> = asked
        .iter()
        .filter(|code| !areas.index.areas().iter().any(|a| YearAreas::in_filter(a, std::slice::from_ref(code))))
        .collect();
    if unknown.is_empty() {
        Ok(asked)
    } else {
        let codes = unknown.iter().map(|c| c.as_str()).collect::<Vec<_>>().join(", ");
        Err(invalid(
            "/area",
            format!("no area {codes} in boundary year {}: check the code, or ask another boundary_year", areas.year),
        ))
    }
}

/// When every asked area is a wijk or a buurt of the year, those codes: the reports
/// stamped in that year are then read by them rather than by their municipality (a report
/// counts when its stamp names an asked area, so nothing else can count).
fn within(areas: &YearAreas, filter: &[String]) -> Option<Within> {
    let mut within = Within { year: areas.year, ..Within::default() };
    for code in filter {
        match areas.index.area(code).map(|a| a.level) {
            Some(AreaLevel::Wijk) => within.wijken.push(code.clone()),
            Some(AreaLevel::Buurt) => within.buurten.push(code.clone()),
            _ => return None,
        }
    }
    Some(within)
}

/// The areas of the rows: every area of `level` in the filter, and the `level` areas that
/// hold a finer area named in it, ordered by code.
fn row_areas(areas: &YearAreas, level: AreaLevel, filter: &[String]) -> Vec<AreaRow> {
    let mut codes: BTreeSet<String> = BTreeSet::new();
    for area in areas.index.areas().iter().filter(|a| YearAreas::in_filter(a, filter)) {
        if let Some(code) = YearAreas::code_at(area, level) {
            codes.insert(code.to_owned());
        }
    }
    codes
        .into_iter()
        .map(|code| AreaRow { name: areas.index.area(&code).map_or_else(|| code.clone(), |a| a.name.clone()), code })
        .collect()
}

type Bbox = (f64, f64, f64, f64);

fn bounding_box<'a>(areas: impl Iterator<Item = &'a crate::domain::area::Area>) -> Option<Bbox> {
    use geo::BoundingRect;
    areas.filter_map(|a| a.geometry.bounding_rect()).fold(None, |acc, r| {
        let (x0, y0, x1, y1) = (r.min().x, r.min().y, r.max().x, r.max().y);
        Some(acc.map_or((x0, y0, x1, y1), |(a, b, c, d): Bbox| (a.min(x0), b.min(y0), c.max(x1), d.max(y1))))
    })
}

fn overlaps(a: Bbox, b: Option<Bbox>) -> bool {
    b.is_some_and(|b| a.0 <= b.2 && b.0 <= a.2 && a.1 <= b.3 && b.1 <= a.3)
}

/// The current instant in epoch seconds (for default periods).
pub fn now_epoch() -> i64 {
    Utc::now().timestamp()
}
