//! The fixed grid of the public statistics for one municipality, boundary year and calendar
//! year: its areas (gemeente, wijken, buurten), public categories (all, main, and sub where
//! the setting allows) and ended periods (months, quarters, the year), with the counts of
//! each measure protected as a whole. Every public answer is a part of such a grid.

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::disclosure::{self, Hierarchy, Published, Shown};
use crate::domain::area::AreaLevel;
use crate::domain::stats::Period;

/// An area of the grid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AreaNode {
    /// Its CBS code.
    pub code: String,
    /// Its name.
    pub name: String,
    /// Its level.
    pub level: AreaLevel,
    /// Its parent in the grid (a buurt's wijk, a wijk's gemeente).
    pub parent: Option<usize>,
}

/// A category of the grid (`slug` `None`: every public category together).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CategoryNode {
    /// Its slug; `None` for all public categories.
    pub slug: Option<String>,
    /// Dutch name.
    pub name_nl: String,
    /// English name.
    pub name_en: String,
    /// Its parent in the grid (a subcategory's main category, a main category's "all").
    pub parent: Option<usize>,
}

impl CategoryNode {
    /// The slug as published (`all` for every public category).
    pub fn label(&self) -> &str {
        self.slug.as_deref().unwrap_or(ALL_CATEGORIES)
    }
}

/// How every public category together is named.
pub const ALL_CATEGORIES: &str = "all";

/// A period of the grid.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PeriodNode {
    /// Month, quarter or year.
    pub kind: Period,
    /// Its number (see [`Period::index_of`]).
    pub index: i64,
}

impl PeriodNode {
    /// Its label (`2025-03`, `2025-Q1`, `2025`).
    pub fn label(&self) -> String {
        self.kind.label(self.index)
    }
}

/// The periods of `year` that have ended, given how many of its months have (1 to 12): the
/// months, each quarter whose months all ended, and the year once it ended. Returns the
/// nodes and, per month of the year that ended, its node.
pub fn periods(year: i32, ended_months: u32) -> (Vec<PeriodNode>, Vec<Option<usize>>) {
    let first_month = i64::from(year) * 12;
    let ended = i64::from(ended_months.min(12));
    let mut nodes = Vec::new();
    for m in 0..ended {
        nodes.push(PeriodNode { kind: Period::Month, index: first_month + m });
    }
    for q in 0..ended / 3 {
        nodes.push(PeriodNode { kind: Period::Quarter, index: i64::from(year) * 4 + q });
    }
    if ended == 12 {
        nodes.push(PeriodNode { kind: Period::Year, index: i64::from(year) });
    }
    let months = (0..ended).map(|m| usize::try_from(m).ok()).collect();
    (nodes, months)
}

/// The parent of each period node: a month's quarter, a quarter's year (when published).
pub fn period_parents(nodes: &[PeriodNode]) -> Vec<Option<usize>> {
    let find = |kind: Period, index: i64| nodes.iter().position(|n| n.kind == kind && n.index == index);
    nodes
        .iter()
        .map(|node| match node.kind {
            Period::Month => find(Period::Quarter, node.index.div_euclid(3)),
            Period::Quarter => find(Period::Year, node.index.div_euclid(4)),
            _ => None,
        })
        .collect()
}

/// The measures the public statistics publish.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum OpenMeasure {
    /// Reports received in the period.
    Received,
    /// Reports resolved in the period.
    Resolved,
}

impl OpenMeasure {
    /// Both, in the order of the answer.
    pub const ALL: [OpenMeasure; 2] = [OpenMeasure::Received, OpenMeasure::Resolved];

    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            OpenMeasure::Received => "received",
            OpenMeasure::Resolved => "resolved",
        }
    }

    /// What it counts.
    pub fn definition(self) -> &'static str {
        match self {
            OpenMeasure::Received => {
                "Reports received in the period (Europe/Amsterdam), in public categories; a merged duplicate counts once, with its original"
            }
            OpenMeasure::Resolved => {
                "Reports marked resolved in the period, whenever they were received; a report resolved twice (after reopening) counts twice"
            }
        }
    }
}

/// A whole protected grid.
#[derive(Debug, Clone)]
pub struct OpenGrid {
    /// The municipality.
    pub gemeente: String,
    /// The boundary year of its areas.
    pub boundary_year: i32,
    /// The calendar year of its periods.
    pub year: i32,
    /// When its counts were read.
    pub computed_at: DateTime<Utc>,
    /// Areas.
    pub areas: Vec<AreaNode>,
    /// Categories.
    pub categories: Vec<CategoryNode>,
    /// Periods.
    pub periods: Vec<PeriodNode>,
    /// Per measure of [`OpenMeasure::ALL`], the counts as published.
    pub published: Vec<Published>,
    /// The cell layout (shared by every measure).
    layout: disclosure::Grid,
}

impl OpenGrid {
    /// Protects the counts of each measure (`counts[m]`, laid out as `layout`) by `rule`.
    #[allow(clippy::too_many_arguments, reason = "the parts of one grid, named")]
    pub fn protect(
        gemeente: String,
        boundary_year: i32,
        year: i32,
        computed_at: DateTime<Utc>,
        areas: Vec<AreaNode>,
        categories: Vec<CategoryNode>,
        periods: Vec<PeriodNode>,
        counts: &[disclosure::Grid],
        rule: disclosure::Rule,
    ) -> Self {
        let layout = Self::layout(&areas, &categories, &periods);
        let published = counts.iter().map(|grid| disclosure::protect(grid, rule)).collect();
        OpenGrid { gemeente, boundary_year, year, computed_at, areas, categories, periods, published, layout }
    }

    /// An empty grid (all zeros) over these nodes, to be filled and protected.
    pub fn layout(areas: &[AreaNode], categories: &[CategoryNode], periods: &[PeriodNode]) -> disclosure::Grid {
        disclosure::Grid::new(
            Hierarchy::new(areas.iter().map(|a| a.parent).collect()),
            Hierarchy::new(categories.iter().map(|c| c.parent).collect()),
            Hierarchy::new(period_parents(periods)),
        )
    }

    /// What is published of `measure` in a cell.
    pub fn cell(&self, measure: OpenMeasure, area: usize, category: usize, period: usize) -> Shown {
        let at = self.layout.index(area, category, period);
        let m = OpenMeasure::ALL.iter().position(|x| *x == measure).unwrap_or(0);
        self.published.get(m).and_then(|p| p.cells.get(at)).copied().unwrap_or(Shown::Count(0))
    }

    /// How many cells of any measure are hidden to protect small ones.
    pub fn protecting(&self) -> usize {
        self.published.iter().map(|p| p.protecting).sum()
    }
}

/// One published row: an area, a period and a category, with each measure.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct OpenRow {
    /// CBS code of the area.
    pub area_code: String,
    /// Its name.
    pub area_name: String,
    /// Its level: `gemeente`, `wijk` or `buurt`.
    pub level: &'static str,
    /// The period (`2025-03`, `2025-Q1`, `2025`).
    pub period: String,
    /// `month`, `quarter` or `year`.
    pub period_type: &'static str,
    /// The category's slug, or `all`.
    pub category: String,
    /// Reports received; absent when hidden.
    pub received: Option<i64>,
    /// Why `received` is hidden: "fewer than N" or "hidden to protect a small count".
    pub received_suppressed: Option<String>,
    /// Reports resolved; absent when hidden.
    pub resolved: Option<i64>,
    /// Why `resolved` is hidden.
    pub resolved_suppressed: Option<String>,
}

impl OpenGrid {
    /// The rows of areas at `level`, periods of kind `period` (all kinds: `None`) and the
    /// categories `categories` (grid nodes), area by area, then category, then period.
    pub fn rows(&self, level: AreaLevel, period: Option<Period>, categories: &[usize]) -> Vec<OpenRow> {
        let min = self.published.first().map_or(5, |p| p.rule.min_count);
        let mut rows = Vec::new();
        for (a, area) in self.areas.iter().enumerate().filter(|(_, a)| a.level == level) {
            for &c in categories {
                let Some(category) = self.categories.get(c) else { continue };
                for (t, node) in self.periods.iter().enumerate().filter(|(_, p)| period.is_none_or(|k| p.kind == k)) {
                    let received = self.cell(OpenMeasure::Received, a, c, t);
                    let resolved = self.cell(OpenMeasure::Resolved, a, c, t);
                    rows.push(OpenRow {
                        area_code: area.code.clone(),
                        area_name: area.name.clone(),
                        level: area.level.as_str(),
                        period: node.label(),
                        period_type: node.kind.as_str(),
                        category: category.label().to_owned(),
                        received: number(received),
                        received_suppressed: note(received, min),
                        resolved: number(resolved),
                        resolved_suppressed: note(resolved, min),
                    });
                }
            }
        }
        rows
    }
}

/// A published count as text: the number, "fewer than N", or the protection note.
pub fn note(shown: Shown, min_count: i64) -> Option<String> {
    match shown {
        Shown::Count(_) => None,
        Shown::Small => Some(format!("fewer than {min_count}")),
        Shown::Protecting => Some(PROTECTING_NOTE.to_owned()),
    }
}

/// How a count hidden to protect a small one reads.
pub const PROTECTING_NOTE: &str = "hidden to protect a small count";

/// The published number, if any.
pub fn number(shown: Shown) -> Option<i64> {
    match shown {
        Shown::Count(v) => Some(v),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_ended_year_has_twelve_months_four_quarters_and_itself() {
        let (nodes, months) = periods(2025, 12);
        assert_eq!(nodes.len(), 17);
        assert_eq!(months.len(), 12);
        let parents = period_parents(&nodes);
        let labels: Vec<String> = nodes.iter().map(PeriodNode::label).collect();
        assert_eq!(labels.first().map(String::as_str), Some("2025-01"));
        assert_eq!(labels.last().map(String::as_str), Some("2025"));
        // March is in the first quarter, the first quarter in the year.
        let march = parents.get(2).copied().flatten();
        assert_eq!(march.and_then(|q| nodes.get(q)).map(PeriodNode::label), Some("2025-Q1".to_owned()));
    }

    #[test]
    fn a_running_year_has_only_its_ended_months_and_quarters() {
        let (nodes, _) = periods(2026, 4);
        let labels: Vec<String> = nodes.iter().map(PeriodNode::label).collect();
        assert_eq!(labels, ["2026-01", "2026-02", "2026-03", "2026-04", "2026-Q1"]);
        let parents = period_parents(&nodes);
        assert_eq!(parents, [Some(4), Some(4), Some(4), None, None]);
    }
}
