//! A project's results: per buurt of the project, for the project area as a whole and for
//! the comparison areas, the baseline and every follow-up period with the measures of the
//! statistics, the monthly rate with its 95% interval, the change against the baseline, and
//! the difference in differences; plus the announcements sent to the project's areas.

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::statistics::{self, Context, MeasureDefinition, StatsError};
use super::windows::{Counts, UnitSpec};
use crate::domain::area::AreaLevel;
use crate::domain::small_counts;
use crate::domain::stats::grid::Sums;
use crate::domain::stats::project::{self, Project, Rate, Ratio};
use crate::domain::stats::query::StatsQuery;
use crate::domain::stats::table::{Inhabitants, StatsRow};
use crate::domain::stats::{Measure, Period, TIME_ZONE};
use crate::storage::DbConnection;

/// How the results are made, in plain words (and where the full method is).
pub const METHOD: &str = "Counts per window are summed from the statistics (docs/statistics.md). A rate is reports \
    received per month with an exact 95% Poisson interval. 'change' is the rate ratio of a follow-up window against \
    the baseline; 'difference_in_differences' divides the project area's ratio by the comparison areas' ratio, so a \
    trend in the whole municipality is not taken for the project's effect (1 = changed as the comparison did). A \
    project area drawn as a polygon counts every report whose location lies in it, against the rest of the \
    municipalities it overlaps. With fewer than 10 reports in a window, or an interval that includes no change, \
    'verdict' says so: the data support a decision, they do not make it. See docs/statistics.md#projects.";

/// One window (the baseline, or a follow-up period) of one unit.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Window {
    /// `baseline`, or the follow-up period's label.
    pub label: String,
    /// First month.
    pub from: String,
    /// Last month (the current one for an unfinished period).
    pub to: String,
    /// Months counted.
    pub months: i64,
    /// The measures of the statistics over the window.
    pub figures: StatsRow,
    /// Reports received per month, with its 95% interval (absent when the count is hidden).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rate: Option<Rate>,
    /// Rate ratio against the baseline (follow-up windows).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub change: Option<Ratio>,
    /// Why the data do not allow a conclusion, when they do not.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub verdict: Option<String>,
}

/// The results of one unit: a buurt of the project, the project area, or the comparison.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct UnitResults {
    /// `buurt`, `project` (all its buurten, or every report inside its drawn polygon) or
    /// `comparison`.
    pub unit: &'static str,
    /// The buurt's code (for `buurt`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub area_code: Option<String>,
    /// A name for the unit.
    pub name: String,
    /// The buurten the unit sums (for a drawn project: the buurten its polygon overlaps).
    pub buurten: Vec<String>,
    /// The baseline.
    pub baseline: Window,
    /// Every follow-up period so far.
    pub follow_up: Vec<Window>,
    /// Why a figure is missing throughout (a drawn project area has no inhabitants).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// The difference in differences of one follow-up period.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct DidWindow {
    /// The follow-up period.
    pub label: String,
    /// (project after / before) / (comparison after / before), with its 95% interval.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ratio: Option<Ratio>,
    /// Why the data do not allow a conclusion, when they do not.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub verdict: Option<String>,
}

/// An announcement sent to the project's areas during the project, with its answers per
/// buurt of the project (counts below 5 hidden, as everywhere).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ProjectAnnouncement {
    pub id: uuid::Uuid,
    pub title: String,
    pub published_at: Option<DateTime<Utc>>,
    /// The quick question, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub question: Option<String>,
    /// Its options.
    pub options: Vec<String>,
    /// Per buurt of the project: the count per option (`null` when fewer than 5).
    pub answers: Vec<AreaAnswers>,
    /// Per option, the sum of the shown counts.
    pub totals_of_shown: Vec<i64>,
}

/// Answers of one area.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct AreaAnswers {
    pub area_code: String,
    /// Per option, the count, `null` when fewer than 5.
    pub counts: Vec<Option<i64>>,
}

/// A project's results.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ProjectResults {
    /// The project, as defined.
    pub project: Project,
    /// The boundary year every area is of.
    pub boundary_year: i32,
    /// The time zone months are in.
    pub time_zone: &'static str,
    /// Counts of non-public and sensitive categories below this are hidden.
    pub min_count: i64,
    /// How the results are made.
    pub method: &'static str,
    /// The measures, with their definitions.
    pub measures: Vec<MeasureDefinition>,
    /// Per buurt, for the project area, and for the comparison.
    pub units: Vec<UnitResults>,
    /// Per follow-up period, the project against the comparison.
    pub difference_in_differences: Vec<DidWindow>,
    /// Announcements and quick questions sent to the project's areas since the baseline.
    pub announcements: Vec<ProjectAnnouncement>,
    /// Attribution of the boundaries.
    pub attribution: String,
}

pub(super) fn in_codes(buurt: &str, codes: &[String]) -> bool {
    let wijk = buurt.get(2..8).map(|c| format!("WK{c}"));
    let gemeente = buurt.get(2..6).map(|c| format!("GM{c}"));
    codes.iter().any(|c| c == buurt || Some(c) == wijk.as_ref() || Some(c) == gemeente.as_ref())
}

/// Computes the results of `project` up to `now` (or its closing).
pub fn results(
    conn: &mut DbConnection,
    ctx: &Context<'_>,
    project: Project,
    now: DateTime<Utc>,
) -> Result<ProjectResults, StatsError> {
    if project.definition.polygon.is_some() {
        return super::drawn::results(conn, ctx, project, now);
    }
    let def = &project.definition;
    let (baseline_from, baseline_to) = def.check("").map_err(StatsError::Invalid)?;
    let start = Period::Month.index_of(def.intervention_start);
    let end_instant = project.closed_at.unwrap_or(now);
    let last = Period::Month.index_at(end_instant.timestamp()).max(start);
    let gemeenten: BTreeSet<String> = def.areas.iter().filter_map(|c| c.get(2..6).map(|g| format!("GM{g}"))).collect();
    let comparison_codes: Vec<String> = if def.comparison_areas.is_empty() {
        gemeenten.iter().cloned().collect()
    } else {
        def.comparison_areas.clone()
    };
    let mut areas: Vec<String> = def.areas.iter().chain(&comparison_codes).cloned().collect();
    areas.sort();
    areas.dedup();
    let query = StatsQuery {
        level: AreaLevel::Buurt,
        areas,
        period: Period::Month,
        first: baseline_from,
        last,
        group_by: Vec::new(),
        categories: def.categories.clone(),
        departments: Vec::new(),
        sources: Vec::new(),
        measures: Measure::ALL.to_vec(),
        boundary_year: def.boundary_year,
        csv: false,
    };
    let collected = statistics::collect(conn, ctx, &query)?;
    let restricted = collected.groups.first().is_some_and(|g| g.restricted);
    let codes: Vec<String> = collected.rows.iter().map(|row| row.code.clone()).collect();
    let series: Vec<Vec<Sums>> = (0u32..).take(codes.len()).map(|i| collected.grid.series(i, 0)).collect();
    let project_rows: Vec<usize> =
        codes.iter().enumerate().filter(|(_, code)| in_codes(code, &def.areas)).map(|(i, _)| i).collect();
    let comparison_rows: Vec<usize> = codes
        .iter()
        .enumerate()
        .filter(|(i, code)| !project_rows.contains(i) && in_codes(code, &comparison_codes))
        .map(|(i, _)| i)
        .collect();
    let counts = Counts {
        baseline_from,
        baseline_to,
        start,
        last,
        follow_up: def.follow_up,
        series: &series,
        restricted,
        min_count: ctx.min_count,
        measures: &query.measures,
    };
    // Inhabitants of a set of buurten in a year: the sum of each one's CBS figure nearest
    // that year (the newest year used is named).
    let population = crate::storage::figures::population(conn, &codes)?;
    let inhabitants = |rows: &[usize], year: i32| -> Inhabitants {
        let found: Vec<(i32, i64)> = rows
            .iter()
            .filter_map(|&r| codes.get(r))
            .filter_map(|code| population.get(code).and_then(|y| crate::domain::figures::figure_for_year(y, year)))
            .collect();
        (found.len() == rows.len() && !rows.is_empty())
            .then(|| (found.iter().map(|(y, _)| *y).max().unwrap_or(year), found.iter().map(|(_, v)| v).sum()))
    };
    let buurten_of = |rows: &[usize]| -> Vec<String> { rows.iter().filter_map(|&r| codes.get(r).cloned()).collect() };
    let mut units: Vec<UnitResults> = project_rows
        .iter()
        .filter_map(|&r| collected.rows.get(r).map(|row| (r, row)))
        .map(|(r, row)| {
            let spec = UnitSpec {
                unit: "buurt",
                area_code: Some(row.code.clone()),
                name: row.name.clone(),
                rows: std::slice::from_ref(&r),
                buurten: vec![row.code.clone()],
                note: None,
            };
            counts.unit(spec, &inhabitants)
        })
        .collect();
    let project_spec = UnitSpec {
        unit: "project",
        area_code: None,
        name: project.name.clone(),
        rows: &project_rows,
        buurten: buurten_of(&project_rows),
        note: None,
    };
    units.push(counts.unit(project_spec, &inhabitants));
    let comparison_spec = UnitSpec {
        unit: "comparison",
        area_code: None,
        name: comparison_name(def.comparison_areas.is_empty(), &comparison_codes),
        rows: &comparison_rows,
        buurten: buurten_of(&comparison_rows),
        note: None,
    };
    units.push(counts.unit(comparison_spec, &inhabitants));
    let difference_in_differences = counts.difference_in_differences(&project_rows, &comparison_rows);

    let project_buurten = buurten_of(&project_rows);
    let mut sent_to: Vec<String> = def.areas.clone();
    for buurt in &project_buurten {
        sent_to.push(buurt.clone());
        sent_to.extend(crate::domain::area::wijk_of(buurt));
        sent_to.extend(crate::domain::area::gemeente_of(buurt));
    }
    let from = Period::Month.start(baseline_from);
    let announcements = announcements(conn, &sent_to, &project_buurten, from, end_instant, &|_| true)?;
    Ok(ProjectResults {
        boundary_year: collected.year,
        time_zone: TIME_ZONE,
        min_count: ctx.min_count,
        method: METHOD,
        measures: measure_definitions(&query.measures),
        units,
        difference_in_differences,
        announcements,
        attribution: format!("Kadaster / Centraal Bureau voor de Statistiek, {}", collected.year),
        project,
    })
}

/// The measures with their definitions.
pub(super) fn measure_definitions(measures: &[Measure]) -> Vec<MeasureDefinition> {
    measures.iter().map(|&m| MeasureDefinition { name: m, unit: m.unit(), definition: m.definition() }).collect()
}

pub(super) fn comparison_name(default: bool, codes: &[String]) -> String {
    if default { format!("rest of {}", codes.join(", ")) } else { codes.join(", ") }
}

/// The announcements published to any of `codes` in `[from, to)` that `keep` keeps, with
/// their answers in `buurten`.
pub(super) fn announcements(
    conn: &mut DbConnection,
    codes: &[String],
    buurten: &[String],
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    keep: &dyn Fn(&crate::domain::announcement::Announcement) -> bool,
) -> Result<Vec<ProjectAnnouncement>, StatsError> {
    let mut codes = codes.to_vec();
    codes.sort();
    codes.dedup();
    let mut out = Vec::new();
    for announcement in crate::storage::announcements::published_to(conn, &codes, from, to)? {
        if !keep(&announcement) {
            continue;
        }
        let options: Vec<String> = announcement.options().to_vec();
        let counts = crate::storage::announcements::answer_counts(conn, announcement.id)?;
        let counts: Vec<(String, i32, i64)> =
            counts.into_iter().filter(|(area, _, _)| buurten.contains(area)).collect();
        let tally = small_counts::tally(options.len(), buurten, &counts);
        out.push(ProjectAnnouncement {
            id: announcement.id,
            title: announcement.title.clone(),
            published_at: announcement.published_at,
            question: announcement.question.as_ref().map(|q| q.text.clone()),
            answers: tally
                .areas
                .into_iter()
                .map(|(area_code, counts)| AreaAnswers {
                    area_code,
                    counts: counts.into_iter().map(small_counts::shown).collect(),
                })
                .collect(),
            totals_of_shown: tally.totals_of_shown,
            options,
        });
    }
    Ok(out)
}

/// Checks a definition against the data (areas of its boundary year, categories), fixing
/// its boundary year to the newest loaded when none is given; `prefix` points at the
/// definition in the request.
pub fn check_definition(
    conn: &mut DbConnection,
    ctx: &Context<'_>,
    definition: &mut project::ProjectDefinition,
    prefix: &str,
) -> Result<(), StatsError> {
    let mut errors = match definition.check(prefix) {
        Ok(_) => Vec::new(),
        Err(errors) => errors,
    };
    let loaded = crate::storage::areas::years(conn)?;
    let year = match statistics::boundary_year(definition.boundary_year, &loaded) {
        Ok(year) => year,
        Err(StatsError::Invalid(mut found)) => {
            for e in &mut found {
                e.pointer = format!("{prefix}{}", e.pointer);
            }
            errors.extend(found);
            return Err(StatsError::Invalid(errors));
        }
        Err(other) => return Err(other),
    };
    definition.boundary_year = Some(year);
    let areas = ctx.years.get(conn, year, ctx.areas_generation)?;
    for (field, codes) in [("areas", &definition.areas), ("comparison_areas", &definition.comparison_areas)] {
        for (i, code) in codes.iter().enumerate() {
            let known =
                areas.index.areas().iter().any(|a| super::years::YearAreas::in_filter(a, std::slice::from_ref(code)));
            if AreaLevel::of_code(code).is_some() && !known {
                errors.push(crate::domain::validation::FieldError {
                    pointer: format!("{prefix}/{field}/{i}"),
                    detail: format!("no area {code} in boundary year {year}"),
                });
            }
        }
    }
    // A drawn area must cover some of a served municipality, or it could never count a report.
    if let Some(shape) = definition.shape().filter(|_| definition.areas.is_empty())
        && let Err(detail) = super::drawn::overlapping_gemeenten(&areas, &shape, ctx.served)
    {
        errors.push(crate::domain::validation::FieldError { pointer: format!("{prefix}/polygon"), detail });
    }
    for (i, slug) in definition.categories.iter().enumerate() {
        if ctx.catalog.main_category(slug).is_none() && ctx.catalog.subcategory(slug).is_none() {
            errors.push(crate::domain::validation::FieldError {
                pointer: format!("{prefix}/categories/{i}"),
                detail: format!("no category {slug:?}"),
            });
        }
    }
    if errors.is_empty() { Ok(()) } else { Err(StatsError::Invalid(errors)) }
}
