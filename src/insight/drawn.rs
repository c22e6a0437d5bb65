//! Projects whose area is a drawn polygon rather than CBS codes. The project area is every
//! report whose stored location lies in the polygon, tested per report; the default
//! comparison is the rest of the served municipalities the polygon overlaps (their reports
//! outside it). No CBS figure covers a polygon, so there is no rate per 1,000 inhabitants.

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use geo::{BoundingRect, Intersects, MultiPolygon, Point, Rect};
use uuid::Uuid;

use super::projects::{ProjectResults, announcements, comparison_name, in_codes, measure_definitions};
use super::statistics::{self, Context, StatsError};
use super::windows::{Counts, UnitSpec};
use super::years::YearAreas;
use crate::domain::area::{AreaLevel, parse_geometry};
use crate::domain::category::Catalog;
use crate::domain::stats::grid::{Fact, Grid, Sums};
use crate::domain::stats::project::Project;
use crate::domain::stats::{Measure, Period, TIME_ZONE};
use crate::domain::validation::FieldError;
use crate::storage::DbConnection;
use crate::storage::stats::{ReportFact, Selection};

/// Why a drawn project area shows no reports per 1,000 inhabitants.
pub const NO_INHABITANTS: &str = "no received_per_1000_inhabitants: CBS counts inhabitants per buurt, and no CBS \
    figure covers a drawn polygon (a share of a buurt's inhabitants would be a guess)";

/// Why the comparison of a drawn project shows no reports per 1,000 inhabitants.
pub const NO_COMPARISON_INHABITANTS: &str = "no received_per_1000_inhabitants: the comparison leaves out the drawn \
    polygon, and no CBS figure covers what remains";

/// The served municipalities (codes of the areas' year) that `shape` overlaps; the reason
/// in words when it overlaps none, or no area of the year at all.
pub fn overlapping_gemeenten(
    areas: &YearAreas,
    shape: &MultiPolygon<f64>,
    served: &[String],
) -> Result<Vec<String>, String> {
    let mut found = BTreeSet::new();
    for level in [AreaLevel::Buurt, AreaLevel::Wijk, AreaLevel::Gemeente] {
        found.extend(areas.index.intersecting(level, shape).into_iter().map(|a| a.gemeente_code.clone()));
    }
    let served_list = served.join(", ");
    if found.is_empty() {
        return Err(format!(
            "the polygon lies outside every area of boundary year {}: draw it over a served municipality ({served_list})",
            areas.year
        ));
    }
    let inside: Vec<String> = found.iter().filter(|g| served.is_empty() || served.contains(g)).cloned().collect();
    if inside.is_empty() {
        let overlapped = found.into_iter().collect::<Vec<_>>().join(", ");
        return Err(format!(
            "the polygon lies outside every served municipality ({served_list}); it overlaps only {overlapped}"
        ));
    }
    Ok(inside)
}

fn invalid(pointer: &str, detail: String) -> StatsError {
    StatsError::Invalid(vec![FieldError { pointer: pointer.into(), detail }])
}

/// Computes the results of a project drawn as a polygon up to `now` (or its closing).
pub fn results(
    conn: &mut DbConnection,
    ctx: &Context<'_>,
    project: Project,
    now: DateTime<Utc>,
) -> Result<ProjectResults, StatsError> {
    let def = &project.definition;
    let (baseline_from, baseline_to) = def.check("").map_err(StatsError::Invalid)?;
    let shape = def.shape().ok_or_else(|| invalid("/definition/polygon", "the project has no valid polygon".into()))?;
    let start = Period::Month.index_of(def.intervention_start);
    let end_instant = project.closed_at.unwrap_or(now);
    let last = Period::Month.index_at(end_instant.timestamp()).max(start);
    let loaded = crate::storage::areas::years(conn)?;
    let year = statistics::boundary_year(def.boundary_year, &loaded)?;
    let areas = ctx.years.get(conn, year, ctx.areas_generation)?;
    let overlapping =
        overlapping_gemeenten(&areas, &shape, ctx.served).map_err(|detail| invalid("/definition/polygon", detail))?;
    let default_comparison = def.comparison_areas.is_empty();
    let comparison_codes = if default_comparison { overlapping.clone() } else { def.comparison_areas.clone() };

    let (categories, restricted) = category_scope(ctx.catalog, &def.categories)?;
    let selection = Selection {
        stamped: stamped(conn, ctx, &areas, &shape, &overlapping, &comparison_codes, &loaded)?,
        start: Period::Month.start(baseline_from),
        end: Period::Month.end(last),
        categories,
        departments: Vec::new(),
        sources: Vec::new(),
        within: None,
    };
    let reports = crate::storage::stats::facts(conn, &selection)?;
    let mut grid = Grid::new(Period::Month, baseline_from, last);
    let bounds = shape.bounding_rect();
    for report in &reports {
        let area = if lies_in(&shape, bounds, report) {
            PROJECT
        } else if comparison_holds(report, &areas, &comparison_codes) {
            COMPARISON
        } else {
            continue;
        };
        grid.add(&Fact {
            area,
            group: 0,
            created: report.created_at.timestamp(),
            deadline: report.deadline_at.map(|d| d.timestamp()),
            events: report.events.clone(),
            me_too: report.me_too,
        });
    }
    let series: Vec<Vec<Sums>> = vec![grid.series(PROJECT, 0), grid.series(COMPARISON, 0)];
    // A drawn area is read from the reports alone: the survey answers, placed by their
    // stamped areas, are not part of it.
    let measures: Vec<Measure> =
        Measure::ALL.into_iter().filter(|m| !matches!(m, Measure::SurveyAnswers | Measure::SatisfiedShare)).collect();
    let counts = Counts {
        baseline_from,
        baseline_to,
        start,
        last,
        follow_up: def.follow_up,
        series: &series,
        restricted,
        min_count: ctx.min_count,
        measures: &measures,
    };
    let project_buurten: Vec<String> =
        areas.index.intersecting(AreaLevel::Buurt, &shape).into_iter().map(|a| a.code.clone()).collect();
    let comparison_buurten: Vec<String> = areas
        .index
        .areas()
        .iter()
        .filter(|a| a.level == AreaLevel::Buurt && YearAreas::in_filter(a, &comparison_codes))
        .map(|a| a.code.clone())
        .collect();
    let no_figure = |_: &[usize], _: i32| None;
    let units = vec![
        counts.unit(
            UnitSpec {
                unit: "project",
                area_code: None,
                name: project.name.clone(),
                rows: &[0],
                buurten: project_buurten.clone(),
                note: Some(NO_INHABITANTS),
            },
            &no_figure,
        ),
        counts.unit(
            UnitSpec {
                unit: "comparison",
                area_code: None,
                name: comparison_name(default_comparison, &comparison_codes),
                rows: &[1],
                buurten: comparison_buurten,
                note: Some(NO_COMPARISON_INHABITANTS),
            },
            &no_figure,
        ),
    ];
    let difference_in_differences = counts.difference_in_differences(&[0], &[1]);

    // Announcements sent to a buurt the polygon overlaps, kept when what they target
    // (their areas or their own polygon) overlaps the project's polygon.
    let mut sent_to: Vec<String> = project_buurten.clone();
    for buurt in &project_buurten {
        sent_to.extend(crate::domain::area::wijk_of(buurt));
        sent_to.extend(crate::domain::area::gemeente_of(buurt));
    }
    let keep = |announcement: &crate::domain::announcement::Announcement| {
        let by_areas = project_buurten.iter().any(|b| in_codes(b, &announcement.areas));
        let by_polygon = announcement
            .polygon
            .as_ref()
            .and_then(|p| parse_geometry(p).ok())
            .is_some_and(|theirs| theirs.intersects(&shape));
        by_areas || by_polygon
    };
    let from = Period::Month.start(baseline_from);
    let announcements = announcements(conn, &sent_to, &project_buurten, from, end_instant, &keep)?;
    Ok(ProjectResults {
        boundary_year: year,
        time_zone: TIME_ZONE,
        min_count: ctx.min_count,
        method: super::projects::METHOD,
        measures: measure_definitions(&measures),
        units,
        difference_in_differences,
        announcements,
        attribution: format!("Kadaster / Centraal Bureau voor de Statistiek, {year}"),
        project,
    })
}

/// Grid row of the reports inside the polygon.
const PROJECT: u32 = 0;
/// Grid row of the comparison's reports.
const COMPARISON: u32 = 1;

/// Whether the report's stored location lies in the polygon (a point on its edge does, as
/// in routing rules); the bounding box spares the exact test for most reports outside.
fn lies_in(shape: &MultiPolygon<f64>, bounds: Option<Rect<f64>>, report: &ReportFact) -> bool {
    let point = Point::new(report.lon, report.lat);
    bounds.is_some_and(|b| b.intersects(&point)) && shape.intersects(&point)
}

/// Whether a report (outside the polygon) lies in the comparison areas, placed in the
/// project's boundary year: by its stamp when stamped in that year, else by its location.
fn comparison_holds(report: &ReportFact, areas: &YearAreas, codes: &[String]) -> bool {
    let placed = if report.area_year == Some(areas.year) {
        report.gemeente_code.clone().map(|g| (g, report.wijk_code.clone(), report.buurt_code.clone()))
    } else {
        areas.place(report.lon, report.lat)
    };
    let Some((gemeente, wijk, buurt)) = placed else { return false };
    [Some(gemeente), wijk, buurt].into_iter().flatten().any(|code| codes.contains(&code))
}

/// The municipalities to read per stamped boundary year: in the project's year those the
/// polygon overlaps and those of the comparison areas; in every other loaded year those
/// whose areas' bounding boxes overlap theirs (their reports are placed by location).
fn stamped(
    conn: &mut DbConnection,
    ctx: &Context<'_>,
    areas: &YearAreas,
    shape: &MultiPolygon<f64>,
    overlapping: &[String],
    comparison: &[String],
    loaded: &[i32],
) -> Result<Vec<(i32, Vec<String>)>, StatsError> {
    let mut gemeenten: BTreeSet<String> = overlapping.iter().cloned().collect();
    gemeenten.extend(
        areas.index.areas().iter().filter(|a| YearAreas::in_filter(a, comparison)).map(|a| a.gemeente_code.clone()),
    );
    let mut bounds = shape.bounding_rect();
    for area in areas.index.areas().iter().filter(|a| gemeenten.contains(&a.gemeente_code)) {
        bounds = match (bounds, area.geometry.bounding_rect()) {
            (Some(a), Some(b)) => Some(Rect::new(
                geo::coord! { x: a.min().x.min(b.min().x), y: a.min().y.min(b.min().y) },
                geo::coord! { x: a.max().x.max(b.max().x), y: a.max().y.max(b.max().y) },
            )),
            (a, b) => a.or(b),
        };
    }
    let mut stamped = vec![(areas.year, gemeenten.into_iter().collect::<Vec<_>>())];
    for other in loaded.iter().copied().filter(|y| *y != areas.year) {
        let other_areas = ctx.years.get(conn, other, ctx.areas_generation)?;
        let found: BTreeSet<String> = other_areas
            .index
            .areas()
            .iter()
            .filter(|a| bounds.zip(a.geometry.bounding_rect()).is_some_and(|(b, r)| b.intersects(&r)))
            .map(|a| a.gemeente_code.clone())
            .collect();
        stamped.push((other, found.into_iter().collect()));
    }
    Ok(stamped)
}

/// The category ids a project's slugs cover (a main category with its subcategories), and
/// whether any category in scope follows the small-count rule (as the statistics decide).
fn category_scope(catalog: &Catalog, slugs: &[String]) -> Result<(Vec<Uuid>, bool), StatsError> {
    let (ids, unknown) = super::scope::expand_categories(catalog, slugs);
    if let Some(&i) = unknown.first() {
        let slug = slugs.get(i).map(String::as_str).unwrap_or_default();
        return Err(invalid(&format!("/definition/categories/{i}"), format!("no category {slug:?}")));
    }
    let restricted = super::scope::any_restricted(catalog, &ids);
    Ok((ids, restricted))
}
