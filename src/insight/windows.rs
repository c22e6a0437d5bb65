//! The arithmetic of a project's results once its reports are summed per month: the
//! baseline and follow-up windows of each unit (a buurt, the project area, the comparison),
//! and the difference in differences. Shared by projects defined by CBS codes and projects
//! drawn as a polygon; only how the monthly sums are made differs.

use super::projects::{DidWindow, UnitResults, Window};
use crate::domain::stats::grid::Sums;
use crate::domain::stats::project;
use crate::domain::stats::table::{Inhabitants, StatsRow, measure_row};
use crate::domain::stats::{Measure, Period};

/// A project's monthly sums and what its windows are cut by.
pub struct Counts<'a> {
    /// First month of the baseline (a month number of [`Period::Month`]).
    pub baseline_from: i64,
    /// Last month of the baseline.
    pub baseline_to: i64,
    /// The month the intervention starts.
    pub start: i64,
    /// The last month counted (this month, or the one the project closed in).
    pub last: i64,
    /// Follow-up period length.
    pub follow_up: Period,
    /// Per row, the sums of each month from `baseline_from` to `last`.
    pub series: &'a [Vec<Sums>],
    /// Whether the small-count rule applies.
    pub restricted: bool,
    /// The small-count threshold.
    pub min_count: i64,
    /// The measures shown.
    pub measures: &'a [Measure],
}

/// One unit to show: which rows it sums and what it is called.
pub struct UnitSpec<'a> {
    /// `buurt`, `project` or `comparison`.
    pub unit: &'static str,
    /// The buurt's code (for `buurt`).
    pub area_code: Option<String>,
    /// A name for the unit.
    pub name: String,
    /// The rows it sums.
    pub rows: &'a [usize],
    /// The buurten it covers.
    pub buurten: Vec<String>,
    /// Why a figure is missing for this unit, when one always is.
    pub note: Option<&'static str>,
}

impl Counts<'_> {
    /// The follow-up windows: (label, first month, last month), the last one unfinished.
    pub fn windows(&self) -> Vec<(String, i64, i64)> {
        let mut windows = Vec::new();
        let mut month = self.start;
        while month <= self.last {
            let period = self.follow_up.index_of(Period::Month.first_day(month));
            let period_last = Period::Month.index_of(self.follow_up.first_day(period + 1)) - 1;
            let to = period_last.min(self.last);
            windows.push((self.follow_up.label(period), month, to));
            month = to + 1;
        }
        windows
    }

    /// The sums of `rows` over the months `from..=to`.
    pub fn sum(&self, rows: &[usize], from: i64, to: i64) -> Sums {
        let position = |month: i64| usize::try_from(month - self.baseline_from).unwrap_or(0);
        let mut total = Sums::default();
        for m in from..=to {
            let mut beside = Sums::default();
            for &row in rows {
                if let Some(sums) = self.series.get(row).and_then(|s| s.get(position(m))) {
                    beside.add_beside(sums);
                }
            }
            total.add_later(&beside);
        }
        total
    }

    fn base_months(&self) -> i64 {
        self.baseline_to - self.baseline_from + 1
    }

    fn window(
        &self,
        label: &str,
        from: i64,
        to: i64,
        sums: &Sums,
        baseline: Option<i64>,
        people: Inhabitants,
    ) -> Window {
        let mut figures = StatsRow { period: label.to_owned(), ..StatsRow::default() };
        measure_row(&mut figures, sums, self.measures, self.restricted, self.min_count, people);
        let months = to - from + 1;
        let shown = figures.received.is_some() || sums.received == 0;
        let rate = shown.then(|| project::rate(sums.received, months));
        let change = baseline
            .filter(|_| shown)
            .and_then(|count| project::rate_ratio(sums.received, months, count, self.base_months()));
        let verdict = baseline.and_then(|count| project::verdict(&[sums.received, count], change));
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
    }

    /// The baseline and every follow-up window of one unit; `inhabitants` gives the
    /// inhabitants of its rows in a year (`None`: no CBS figure covers them).
    pub fn unit(&self, spec: UnitSpec<'_>, inhabitants: &dyn Fn(&[usize], i32) -> Inhabitants) -> UnitResults {
        let rows = spec.rows;
        let base = self.sum(rows, self.baseline_from, self.baseline_to);
        let year_of = |month: i64| chrono::Datelike::year(&Period::Month.first_day(month));
        let baseline = self.window(
            "baseline",
            self.baseline_from,
            self.baseline_to,
            &base,
            None,
            inhabitants(rows, year_of(self.baseline_from)),
        );
        let follow_up = self
            .windows()
            .iter()
            .map(|(label, from, to)| {
                let sums = self.sum(rows, *from, *to);
                self.window(label, *from, *to, &sums, Some(base.received), inhabitants(rows, year_of(*from)))
            })
            .collect();
        UnitResults {
            unit: spec.unit,
            area_code: spec.area_code,
            name: spec.name,
            buurten: spec.buurten,
            baseline,
            follow_up,
            note: spec.note.map(str::to_owned),
        }
    }

    /// Per follow-up window, the project's change against the comparison's.
    pub fn difference_in_differences(&self, project_rows: &[usize], comparison_rows: &[usize]) -> Vec<DidWindow> {
        let base_months = self.base_months();
        let base_p = self.sum(project_rows, self.baseline_from, self.baseline_to).received;
        let base_c = self.sum(comparison_rows, self.baseline_from, self.baseline_to).received;
        let hide = |count: i64| self.restricted && count > 0 && count < self.min_count;
        self.windows()
            .iter()
            .map(|(label, from, to)| {
                let months = to - from + 1;
                let (after_p, after_c) =
                    (self.sum(project_rows, *from, *to).received, self.sum(comparison_rows, *from, *to).received);
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
            .collect()
    }
}
