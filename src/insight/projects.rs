//! A project's results: per buurt of the project, for the project area as a whole and for
//! the comparison areas, the baseline and every follow-up period with the measures of the
//! statistics, the monthly rate with its 95% interval, the change against the baseline, and
//! the difference in differences; plus the announcements sent to the project's areas.

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::statistics::{self, Context, MeasureDefinition, StatsError};
use crate::domain::area::AreaLevel;
use crate::domain::small_counts;
use crate::domain::stats::grid::Sums;
use crate::domain::stats::project::{self, Project, Rate, Ratio};
use crate::domain::stats::query::StatsQuery;
use crate::domain::stats::table::{Inhabitants, StatsRow, measure_row};
use crate::domain::stats::{Measure, Period, TIME_ZONE};
use crate::storage::DbConnection;

/// How the results are made, in plain words (and where the full method is).
pub const METHOD: &str = "Counts per window are summed from the statistics (docs/statistics.md). A rate is reports \
    received per month with an exact 95% Poisson interval. 'change' is the rate ratio of a follow-up window against \
    the baseline; 'difference_in_differences' divides the project area's ratio by the comparison areas' ratio, so a \
    trend in the whole municipality is not taken for the project's effect (1 = changed as the comparison did). With \
    fewer than 10 reports in a window, or an interval that includes no change, 'verdict' says so: the data support a \
    decision, they do not make it. See docs/statistics.md#projects.";

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
    /// `buurt`, `project` (all its buurten) or `comparison`.
    pub unit: &'static str,
    /// The buurt's code (for `buurt`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub area_code: Option<String>,
    /// A name for the unit.
    pub name: String,
    /// The buurten the unit sums.
    pub buurten: Vec<String>,
    /// The baseline.
    pub baseline: Window,
    /// Every follow-up period so far.
    pub follow_up: Vec<Window>,
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

fn in_codes(buurt: &str, codes: &[String]) -> bool {
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
    let series: Vec<(String, String, Vec<Sums>)> = collected
        .rows
        .iter()
        .zip(0u32..)
        .map(|(row, i)| (row.code.clone(), row.name.clone(), collected.grid.series(i, 0)))
        .collect();
    let project_rows: Vec<usize> =
        series.iter().enumerate().filter(|(_, (code, _, _))| in_codes(code, &def.areas)).map(|(i, _)| i).collect();
    let comparison_rows: Vec<usize> = series
        .iter()
        .enumerate()
        .filter(|(i, (code, _, _))| !project_rows.contains(i) && in_codes(code, &comparison_codes))
        .map(|(i, _)| i)
        .collect();

    // Month positions in the grid: baseline, then each follow-up period's months.
    let position = |month: i64| usize::try_from(month - baseline_from).unwrap_or(0);
    let follow_up = def.follow_up;
    let mut windows: Vec<(String, i64, i64)> = Vec::new();
    let mut month = start;
    while month <= last {
        let period = follow_up.index_of(Period::Month.first_day(month));
        let period_last = Period::Month.index_of(follow_up.first_day(period + 1)) - 1;
        let to = period_last.min(last);
        windows.push((follow_up.label(period), month, to));
        month = to + 1;
    }
    let sum = |rows: &[usize], from: i64, to: i64| -> Sums {
        let mut total = Sums::default();
        for m in from..=to {
            let mut beside = Sums::default();
            for &row in rows {
                if let Some(sums) = series.get(row).and_then(|(_, _, s)| s.get(position(m))) {
                    beside.add_beside(sums);
                }
            }
            total.add_later(&beside);
        }
        total
    };
    // Inhabitants of a set of buurten in a year: the sum of each one's CBS figure nearest
    // that year (the newest year used is named).
    let codes: Vec<String> = series.iter().map(|(code, _, _)| code.clone()).collect();
    let population = crate::storage::figures::population(conn, &codes)?;
    let inhabitants = |rows: &[usize], year: i32| -> Inhabitants {
        let found: Vec<(i32, i64)> = rows
            .iter()
            .filter_map(|&r| series.get(r))
            .filter_map(|(code, _, _)| {
                population.get(code).and_then(|y| crate::domain::figures::figure_for_year(y, year))
            })
            .collect();
        (found.len() == rows.len() && !rows.is_empty())
            .then(|| (found.iter().map(|(y, _)| *y).max().unwrap_or(year), found.iter().map(|(_, v)| v).sum()))
    };
    let window =
        |label: &str, from: i64, to: i64, sums: &Sums, baseline: Option<(i64, i64)>, people: Inhabitants| -> Window {
            let mut figures = StatsRow { period: label.to_owned(), ..StatsRow::default() };
            measure_row(&mut figures, sums, &query.measures, restricted, ctx.min_count, people);
            let months = to - from + 1;
            let shown = figures.received.is_some() || sums.received == 0;
            let rate = shown.then(|| project::rate(sums.received, months));
            let change = baseline
                .filter(|_| shown)
                .and_then(|(count, base_months)| project::rate_ratio(sums.received, months, count, base_months));
            let verdict = baseline.and_then(|(count, _)| project::verdict(&[sums.received, count], change));
            Window {
                label: label.to_owned(),
                from: Period::Month.label(from),
                to: Period::Month.label(to),
                months,
                figures,
                rate,
                change,
                verdict,
            }
        };
    let base_months = baseline_to - baseline_from + 1;
    let unit = |unit: &'static str, code: Option<String>, name: String, rows: &[usize]| -> UnitResults {
        let base = sum(rows, baseline_from, baseline_to);
        let year_of = |month: i64| chrono::Datelike::year(&Period::Month.first_day(month));
        let baseline =
            window("baseline", baseline_from, baseline_to, &base, None, inhabitants(rows, year_of(baseline_from)));
        let follow_up = windows
            .iter()
            .map(|(label, from, to)| {
                let sums = sum(rows, *from, *to);
                window(label, *from, *to, &sums, Some((base.received, base_months)), inhabitants(rows, year_of(*from)))
            })
            .collect();
        let buurten = rows.iter().filter_map(|&r| series.get(r).map(|(c, _, _)| c.clone())).collect();
        UnitResults { unit, area_code: code, name, buurten, baseline, follow_up }
    };
    let mut units: Vec<UnitResults> = project_rows
        .iter()
        .filter_map(|&r| series.get(r).map(|(code, name, _)| unit("buurt", Some(code.clone()), name.clone(), &[r])))
        .collect();
    units.push(unit("project", None, project.name.clone(), &project_rows));
    units.push(unit(
        "comparison",
        None,
        comparison_name(def.comparison_areas.is_empty(), &comparison_codes),
        &comparison_rows,
    ));

    let base_p = sum(&project_rows, baseline_from, baseline_to).received;
    let base_c = sum(&comparison_rows, baseline_from, baseline_to).received;
    let hide = |count: i64| restricted && count > 0 && count < ctx.min_count;
    let difference_in_differences = windows
        .iter()
        .map(|(label, from, to)| {
            let months = to - from + 1;
            let (after_p, after_c) =
                (sum(&project_rows, *from, *to).received, sum(&comparison_rows, *from, *to).received);
            if [after_p, after_c, base_p, base_c].into_iter().any(hide) {
                return DidWindow {
                    label: label.clone(),
                    ratio: None,
                    verdict: Some("fewer than the shown minimum in a window".into()),
                };
            }
            let ratio = project::difference_in_differences(
                (after_p, months, base_p, base_months),
                (after_c, months, base_c, base_months),
            );
            DidWindow {
                label: label.clone(),
                ratio,
                verdict: project::verdict(&[after_p, after_c, base_p, base_c], ratio),
            }
        })
        .collect();

    let project_buurten: Vec<String> =
        project_rows.iter().filter_map(|&r| series.get(r).map(|(c, _, _)| c.clone())).collect();
    let announcements = announcements(conn, def, &project_buurten, Period::Month.start(baseline_from), end_instant)?;
    Ok(ProjectResults {
        boundary_year: collected.year,
        time_zone: TIME_ZONE,
        min_count: ctx.min_count,
        method: METHOD,
        measures: query
            .measures
            .iter()
            .map(|&m| MeasureDefinition { name: m, unit: m.unit(), definition: m.definition() })
            .collect(),
        units,
        difference_in_differences,
        announcements,
        attribution: format!("Kadaster / Centraal Bureau voor de Statistiek, {}", collected.year),
        project,
    })
}

fn comparison_name(default: bool, codes: &[String]) -> String {
    if default { format!("rest of {}", codes.join(", ")) } else { codes.join(", ") }
}

fn announcements(
    conn: &mut DbConnection,
    def: &project::ProjectDefinition,
    buurten: &[String],
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Vec<ProjectAnnouncement>, StatsError> {
    let mut codes: Vec<String> = def.areas.clone();
    for buurt in buurten {
        codes.push(buurt.clone());
        if let Some(c) = buurt.get(2..8) {
            codes.push(format!("WK{c}"));
        }
        if let Some(c) = buurt.get(2..6) {
            codes.push(format!("GM{c}"));
        }
    }
    codes.sort();
    codes.dedup();
    let mut out = Vec::new();
    for announcement in crate::storage::announcements::published_to(conn, &codes, from, to)? {
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
