//! The answer of a statistics question: one row per area, group and period, with the
//! measures asked, small counts of non-public categories hidden, and totals that add only
//! what is shown.

use serde::Serialize;

use super::grid::{Grid, Sums};
use super::measures::Measure;
use super::query::{Dimension, StatsQuery};

/// One area row of the answer.
#[derive(Debug, Clone, PartialEq)]
pub struct AreaRow {
    /// CBS code.
    pub code: String,
    /// Name in the boundary year.
    pub name: String,
}

/// One group of the answer: its value per dimension, and whether its counts follow the
/// small-count rule.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Group {
    /// `(dimension, value)` in the order of `group_by`.
    pub values: Vec<(Dimension, String)>,
    /// Whether the group holds a non-public or sensitive category.
    pub restricted: bool,
}

/// Inhabitants of an area: the CBS figure and its year.
pub type Inhabitants = Option<(i32, i64)>;

/// A measured cell.
#[derive(Debug, Clone, Default, PartialEq, Serialize, utoipa::ToSchema)]
pub struct StatsRow {
    /// CBS code of the area (of the boundary year of the answer).
    pub area_code: String,
    /// Its name.
    pub area_name: String,
    /// The period's label (`2025-03`, `2025-W11`, `2025-Q1`, `2025`, `2025-03-14`).
    pub period: String,
    /// Its first day (local date).
    pub period_start: String,
    /// The main category's slug, when grouped by it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub main_category: Option<String>,
    /// The subcategory's slug, when grouped by it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subcategory: Option<String>,
    /// The department's slug (`none` for reports without one), when grouped by it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub department: Option<String>,
    /// The source, when grouped by it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub received: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resolved: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cancelled: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub open_at_end: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub median_hours_to_resolution: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub p90_hours_to_resolution: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub on_time_share: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub late_share: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub late_factor_3_share: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reopened: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub me_too: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub received_per_1000_inhabitants: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub survey_answers: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub satisfied_share: Option<f64>,
    /// Inhabitants used for the rate (CBS).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub inhabitants: Option<i64>,
    /// The year of that figure.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub inhabitants_year: Option<i32>,
    /// Measures hidden by the small-count rule ("fewer than N"; non-public and sensitive
    /// categories only). A measure that is absent and not listed here was not asked or
    /// has nothing to measure (a median without resolutions).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub suppressed: Vec<Measure>,
}

impl StatsRow {
    /// The value of a measure as shown (None: absent).
    pub fn value(&self, measure: Measure) -> Option<f64> {
        #[allow(clippy::cast_precision_loss)]
        let count = |v: Option<i64>| v.map(|v| v as f64);
        match measure {
            Measure::Received => count(self.received),
            Measure::Resolved => count(self.resolved),
            Measure::Cancelled => count(self.cancelled),
            Measure::OpenAtEnd => count(self.open_at_end),
            Measure::MedianHoursToResolution => self.median_hours_to_resolution,
            Measure::P90HoursToResolution => self.p90_hours_to_resolution,
            Measure::OnTimeShare => self.on_time_share,
            Measure::LateShare => self.late_share,
            Measure::LateFactor3Share => self.late_factor_3_share,
            Measure::Reopened => count(self.reopened),
            Measure::MeToo => count(self.me_too),
            Measure::ReceivedPer1000Inhabitants => self.received_per_1000_inhabitants,
            Measure::SurveyAnswers => count(self.survey_answers),
            Measure::SatisfiedShare => self.satisfied_share,
        }
    }

    /// The group value of a dimension.
    pub fn dimension(&self, dimension: Dimension) -> Option<&str> {
        match dimension {
            Dimension::MainCategory => self.main_category.as_deref(),
            Dimension::Subcategory => self.subcategory.as_deref(),
            Dimension::Department => self.department.as_deref(),
            Dimension::Source => self.source.as_deref(),
        }
    }
}

/// Fills a row's measures from sums, hiding what the small-count rule hides.
pub fn measure_row(
    row: &mut StatsRow,
    sums: &Sums,
    measures: &[Measure],
    restricted: bool,
    min_count: i64,
    inhabitants: Inhabitants,
) {
    let mut hidden = Vec::new();
    let mut count = |measure: Measure, value: i64| -> Option<i64> {
        if !measures.contains(&measure) {
            return None;
        }
        if restricted && value > 0 && value < min_count {
            hidden.push(measure);
            return None;
        }
        Some(value)
    };
    row.received = count(Measure::Received, sums.received);
    row.resolved = count(Measure::Resolved, sums.resolved);
    row.cancelled = count(Measure::Cancelled, sums.cancelled);
    row.open_at_end = count(Measure::OpenAtEnd, sums.open_at_end);
    row.reopened = count(Measure::Reopened, sums.reopened);
    row.me_too = count(Measure::MeToo, sums.me_too);
    row.survey_answers = count(Measure::SurveyAnswers, sums.survey_answers);
    // Figures derived from few resolutions, or from a hidden receipt count, would tell
    // what the hidden count hides.
    let few_resolutions = restricted && sums.resolved < min_count;
    let few_received = restricted && sums.received > 0 && sums.received < min_count;
    let mut derived = |measure: Measure, value: Option<f64>, few: bool| -> Option<f64> {
        if !measures.contains(&measure) {
            return None;
        }
        if few && value.is_some() {
            hidden.push(measure);
            return None;
        }
        value
    };
    row.median_hours_to_resolution = derived(Measure::MedianHoursToResolution, sums.median_hours(), few_resolutions);
    row.p90_hours_to_resolution = derived(Measure::P90HoursToResolution, sums.p90_hours(), few_resolutions);
    row.on_time_share = derived(Measure::OnTimeShare, sums.on_time_share(), few_resolutions);
    row.late_share = derived(Measure::LateShare, sums.late_share(), few_resolutions);
    row.late_factor_3_share = derived(Measure::LateFactor3Share, sums.late_factor_3_share(), few_resolutions);
    #[allow(clippy::cast_precision_loss)]
    let rate = inhabitants
        .filter(|(_, people)| *people > 0)
        .map(|(_, people)| (sums.received as f64 * 1000.0 / people as f64 * 100.0).round() / 100.0);
    row.received_per_1000_inhabitants = derived(Measure::ReceivedPer1000Inhabitants, rate, few_received);
    // A satisfaction share of few answers tells what identifiable reporters answered: it
    // is hidden below the threshold in every category, not only the restricted ones.
    let few_answers = sums.survey_answers > 0 && sums.survey_answers < min_count;
    row.satisfied_share = derived(Measure::SatisfiedShare, sums.satisfied_share(), few_answers);
    if measures.contains(&Measure::ReceivedPer1000Inhabitants) {
        row.inhabitants = inhabitants.map(|(_, people)| people);
        row.inhabitants_year = inhabitants.map(|(year, _)| year);
    }
    hidden.sort();
    row.suppressed = hidden;
}

/// Builds every row: each area x each group x each period, zeros included (being listed
/// reveals nothing), in area, group, period order.
pub fn rows(
    query: &StatsQuery,
    grid: &Grid,
    areas: &[AreaRow],
    groups: &[Group],
    min_count: i64,
    inhabitants: &dyn Fn(&str, i32) -> Inhabitants,
) -> Vec<StatsRow> {
    let period = grid.period();
    let mut out = Vec::new();
    let mut group_ids: Vec<u32> = if query.group_by.is_empty() { vec![0] } else { grid.groups() };
    // Groups in the order of their values, whatever order the reports were read in.
    let values =
        |id: &u32| groups.get(*id as usize).map(|g| g.values.iter().map(|(_, v)| v.clone()).collect::<Vec<_>>());
    group_ids.sort_by_cached_key(values);
    for (area_index, area) in (0u32..).zip(areas) {
        for &group_id in &group_ids {
            let Some(group) = groups.get(group_id as usize) else { continue };
            for (index, sums) in grid.periods().zip(grid.series(area_index, group_id)) {
                let first_day = period.first_day(index);
                let mut row = StatsRow {
                    area_code: area.code.clone(),
                    area_name: area.name.clone(),
                    period: period.label(index),
                    period_start: first_day.format("%Y-%m-%d").to_string(),
                    ..StatsRow::default()
                };
                for (dimension, value) in &group.values {
                    let slot = match dimension {
                        Dimension::MainCategory => &mut row.main_category,
                        Dimension::Subcategory => &mut row.subcategory,
                        Dimension::Department => &mut row.department,
                        Dimension::Source => &mut row.source,
                    };
                    *slot = Some(value.clone());
                }
                let people = inhabitants(&area.code, chrono::Datelike::year(&first_day));
                measure_row(&mut row, &sums, &query.measures, group.restricted, min_count, people);
                out.push(row);
            }
        }
    }
    out
}

/// A total over the areas of the answer for one group and period: sums of the counts that
/// are shown.
#[derive(Debug, Clone, Default, PartialEq, Serialize, utoipa::ToSchema)]
pub struct StatsTotal {
    /// The period's label.
    pub period: String,
    /// The group's values, as in the rows.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub main_category: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subcategory: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub department: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// Per count measure asked, the sum of the shown values.
    pub sums_of_shown: std::collections::BTreeMap<String, i64>,
}

/// Totals per group and period over all areas: only shown counts are added.
pub fn totals(rows: &[StatsRow], measures: &[Measure]) -> Vec<StatsTotal> {
    let mut out: Vec<StatsTotal> = Vec::new();
    let mut index: std::collections::HashMap<(String, [Option<String>; 4]), usize> = std::collections::HashMap::new();
    for row in rows {
        let key = (
            row.period.clone(),
            [row.main_category.clone(), row.subcategory.clone(), row.department.clone(), row.source.clone()],
        );
        let slot = *index.entry(key).or_insert_with(|| {
            out.push(StatsTotal {
                period: row.period.clone(),
                main_category: row.main_category.clone(),
                subcategory: row.subcategory.clone(),
                department: row.department.clone(),
                source: row.source.clone(),
                sums_of_shown: measures.iter().filter(|m| m.is_count()).map(|m| (m.as_str().to_owned(), 0)).collect(),
            });
            out.len() - 1
        });
        if let Some(total) = out.get_mut(slot) {
            for measure in measures.iter().filter(|m| m.is_count()) {
                #[allow(clippy::cast_possible_truncation)]
                let shown = row.value(*measure).map_or(0, |v| v as i64);
                *total.sums_of_shown.entry(measure.as_str().to_owned()).or_default() += shown;
            }
        }
    }
    out.sort_by(|a, b| {
        (&a.main_category, &a.subcategory, &a.department, &a.source, &a.period).cmp(&(
            &b.main_category,
            &b.subcategory,
            &b.department,
            &b.source,
            &b.period,
        ))
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_counts_of_restricted_groups_are_hidden_and_left_out_of_totals() {
        let sums = Sums { received: 3, resolved: 2, hours_to_resolution: vec![1.0, 2.0], ..Sums::default() };
        let mut row = StatsRow::default();
        measure_row(&mut row, &sums, &Measure::ALL, true, 5, Some((2024, 1000)));
        assert_eq!(row.received, None);
        assert_eq!(row.median_hours_to_resolution, None);
        assert_eq!(row.received_per_1000_inhabitants, None);
        assert!(row.suppressed.contains(&Measure::Received));
        assert!(row.suppressed.contains(&Measure::MedianHoursToResolution));
        assert_eq!(row.cancelled, Some(0), "a zero hides nothing");
        let mut open = StatsRow::default();
        measure_row(&mut open, &sums, &Measure::ALL, false, 5, Some((2024, 1000)));
        assert_eq!(
            (open.received, open.received_per_1000_inhabitants, open.inhabitants_year),
            (Some(3), Some(3.0), Some(2024))
        );
        let shown = StatsRow { received: Some(7), ..StatsRow::default() };
        let totals = totals(&[row, shown], &[Measure::Received]);
        assert_eq!(totals.first().and_then(|t| t.sums_of_shown.get("received")).copied(), Some(7));
    }

    #[test]
    fn a_satisfaction_share_of_few_answers_is_hidden_in_every_category() {
        let few = Sums { survey_answers: 2, satisfied: 1, ..Sums::default() };
        let mut row = StatsRow::default();
        measure_row(&mut row, &few, &Measure::ALL, false, 5, None);
        assert_eq!((row.survey_answers, row.satisfied_share), (Some(2), None));
        assert_eq!(row.suppressed, vec![Measure::SatisfiedShare]);
        let enough = Sums { survey_answers: 8, satisfied: 6, ..Sums::default() };
        let mut row = StatsRow::default();
        measure_row(&mut row, &enough, &Measure::ALL, true, 5, None);
        assert_eq!((row.survey_answers, row.satisfied_share), (Some(8), Some(0.75)));
        let mut none = StatsRow::default();
        measure_row(&mut none, &Sums::default(), &Measure::ALL, false, 5, None);
        assert_eq!((none.survey_answers, none.satisfied_share, none.suppressed.len()), (Some(0), None, 0));
    }
}
