//! Aggregation: reports (as [`Fact`]s) summed into cells of area x group x period, and the
//! figures a cell may show.

use std::collections::HashMap;

use super::lifecycle::{LifeEvent, LifeEventKind, open_intervals};
use super::period::Period;
use super::rollup::{CellSums, OPEN_NOW};

/// What the statistics need of one report, with its area and group already resolved to
/// positions in the answer's lists.
#[derive(Debug, Clone, PartialEq)]
pub struct Fact {
    /// Position of the report's area in the answer.
    pub area: u32,
    /// Position of the report's group (category / department / source combination).
    pub group: u32,
    /// Receipt, epoch seconds.
    pub created: i64,
    /// Deadline, epoch seconds.
    pub deadline: Option<i64>,
    /// Closings and reopenings, oldest first.
    pub events: Vec<LifeEvent>,
    /// "Me too" count.
    pub me_too: i64,
}

/// Sums of one cell in one period.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Sums {
    /// Reports received.
    pub received: i64,
    /// Resolutions.
    pub resolved: i64,
    /// Cancellations.
    pub cancelled: i64,
    /// Open at the end of the period.
    pub open_at_end: i64,
    /// Reopenings.
    pub reopened: i64,
    /// "Me too" on the reports received.
    pub me_too: i64,
    /// Hours from receipt to each resolution.
    pub hours_to_resolution: Vec<f64>,
    /// Resolutions of reports with a deadline.
    pub with_deadline: i64,
    /// ... of which by the deadline.
    pub on_time: i64,
    /// ... of which more than three times the handling time.
    pub late_factor_3: i64,
    /// Answers to the satisfaction survey.
    pub survey_answers: i64,
    /// ... of which "yes, solved".
    pub satisfied: i64,
}

impl Sums {
    /// Adds the sums of a later period (the backlog is the later one's).
    pub fn add_later(&mut self, later: &Sums) {
        self.received += later.received;
        self.resolved += later.resolved;
        self.cancelled += later.cancelled;
        self.open_at_end = later.open_at_end;
        self.reopened += later.reopened;
        self.me_too += later.me_too;
        self.hours_to_resolution.extend_from_slice(&later.hours_to_resolution);
        self.with_deadline += later.with_deadline;
        self.on_time += later.on_time;
        self.late_factor_3 += later.late_factor_3;
        self.survey_answers += later.survey_answers;
        self.satisfied += later.satisfied;
    }

    /// Adds the sums of another area in the same period.
    pub fn add_beside(&mut self, other: &Sums) {
        let open = self.open_at_end + other.open_at_end;
        self.add_later(other);
        self.open_at_end = open;
    }

    /// Median hours to resolution.
    pub fn median_hours(&self) -> Option<f64> {
        percentile(&self.hours_to_resolution, 0.5)
    }

    /// 90th percentile hours to resolution (nearest rank).
    pub fn p90_hours(&self) -> Option<f64> {
        percentile(&self.hours_to_resolution, 0.9)
    }

    /// Share of deadline resolutions on time.
    pub fn on_time_share(&self) -> Option<f64> {
        share(self.on_time, self.with_deadline)
    }

    /// Share of deadline resolutions late.
    pub fn late_share(&self) -> Option<f64> {
        share(self.with_deadline - self.on_time, self.with_deadline)
    }

    /// Share of survey answers that said the problem was solved.
    pub fn satisfied_share(&self) -> Option<f64> {
        share(self.satisfied, self.survey_answers)
    }

    /// Share of deadline resolutions later than three times the handling time.
    pub fn late_factor_3_share(&self) -> Option<f64> {
        share(self.late_factor_3, self.with_deadline)
    }
}

/// Median (0.5) or another quantile by nearest rank; `None` without values.
pub fn percentile(values: &[f64], quantile: f64) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    if (quantile - 0.5).abs() < f64::EPSILON && sorted.len().is_multiple_of(2) {
        let upper = sorted.len() / 2;
        let (a, b) = (sorted.get(upper - 1)?, sorted.get(upper)?);
        return Some(round2((a + b) / 2.0));
    }
    #[allow(clippy::cast_precision_loss, clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let rank = ((quantile * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    sorted.get(rank - 1).copied().map(round2)
}

fn share(part: i64, whole: i64) -> Option<f64> {
    #[allow(clippy::cast_precision_loss)]
    (whole > 0).then(|| (part as f64 / whole as f64 * 10_000.0).round() / 10_000.0)
}

fn round2(value: f64) -> f64 {
    (value * 100.0).round() / 100.0
}

/// The sums of every cell over a run of consecutive periods.
pub struct Grid {
    period: Period,
    first: i64,
    len: usize,
    starts: Vec<i64>,
    cells: HashMap<(u32, u32), Series>,
}

struct Series {
    sums: Vec<Sums>,
    /// Difference array of "open at end": +1 where an open interval starts covering period
    /// ends, -1 where it stops.
    open_diff: Vec<i64>,
}

impl Grid {
    /// An empty grid of the periods `first..=last`.
    pub fn new(period: Period, first: i64, last: i64) -> Self {
        let len = usize::try_from(last - first + 1).unwrap_or(0);
        // starts[i] is the start of period first+i; starts[len] the end of the last one.
        let starts = (0..=len).map(|i| period.start(first + i64::try_from(i).unwrap_or(0)).timestamp()).collect();
        Grid { period, first, len, starts, cells: HashMap::new() }
    }

    /// The period length.
    pub fn period(&self) -> Period {
        self.period
    }

    /// The periods' numbers, in order.
    pub fn periods(&self) -> impl Iterator<Item = i64> + '_ {
        (0..self.len).map(|i| self.first + i64::try_from(i).unwrap_or(0))
    }

    /// The start of the first period and the end of the last, epoch seconds.
    pub fn span(&self) -> (i64, i64) {
        (self.starts.first().copied().unwrap_or(0), self.starts.last().copied().unwrap_or(0))
    }

    /// Position of the period holding `at`, if it is in the grid.
    fn slot(&self, at: i64) -> Option<usize> {
        let (start, end) = self.span();
        if at < start || at >= end {
            return None;
        }
        // The first start after `at`, minus one.
        Some(self.starts.partition_point(|&s| s <= at) - 1)
    }

    /// The periods whose end lies in `(from, to]`, as positions: a report received at the
    /// very instant a period ends is not open at that end, one closed at it still was.
    fn ends_within(&self, from: i64, to: Option<i64>) -> (usize, usize) {
        let ends = self.starts.get(1..).unwrap_or(&[]);
        let lo = ends.partition_point(|&e| e <= from);
        let hi = to.map_or(ends.len(), |to| ends.partition_point(|&e| e <= to));
        (lo, hi.max(lo))
    }

    /// Adds one cell of the monthly roll-up: the sums of `month` (a [`Period::Month`]
    /// number), or with [`OPEN_NOW`] the reports open now. The grid's periods must be
    /// months, quarters or years (unions of months). The backlog at the end of a period is
    /// the open now minus the open changes of the months after it.
    pub fn add_cell(&mut self, area: u32, group: u32, month: i32, sums: &CellSums) {
        let len = self.len;
        let series = self
            .cells
            .entry((area, group))
            .or_insert_with(|| Series { sums: vec![Sums::default(); len], open_diff: vec![0; len + 1] });
        let add_all = |diff: &mut Vec<i64>, from: usize, value: i64| {
            if let Some(d) = diff.first_mut() {
                *d += value;
            }
            if let Some(d) = diff.get_mut(from) {
                *d -= value;
            }
        };
        if month == OPEN_NOW {
            add_all(&mut series.open_diff, len, sums.open_change);
            return;
        }
        let start = Period::Month.start(i64::from(month)).timestamp();
        let (grid_start, grid_end) =
            (self.starts.first().copied().unwrap_or(0), self.starts.last().copied().unwrap_or(0));
        if start >= grid_end {
            // After the grid: its changes are after every period's end.
            add_all(&mut series.open_diff, len, -sums.open_change);
            return;
        }
        if start < grid_start {
            return;
        }
        let slot = self.starts.partition_point(|&s| s <= start) - 1;
        // Its changes are after the ends of the periods before its own.
        add_all(&mut series.open_diff, slot, -sums.open_change);
        let Some(cell) = series.sums.get_mut(slot) else { return };
        cell.received += sums.received;
        cell.me_too += sums.me_too;
        cell.resolved += sums.resolved;
        cell.cancelled += sums.cancelled;
        cell.reopened += sums.reopened;
        cell.with_deadline += sums.with_deadline;
        cell.on_time += sums.on_time;
        cell.late_factor_3 += sums.late_factor_3;
        #[allow(clippy::cast_precision_loss)]
        cell.hours_to_resolution.extend(sums.resolution_seconds.iter().map(|s| *s as f64 / 3600.0));
    }

    /// Drops the cells that add nothing to any period (the roll-up reads months after the
    /// periods, whose changes may cancel out).
    pub fn prune(&mut self) {
        self.cells.retain(|_, series| {
            let mut running = 0;
            series.sums.iter().zip(&series.open_diff).any(|(sums, diff)| {
                running += diff;
                running != 0 || *sums != Sums::default()
            })
        });
    }

    /// Adds one report.
    pub fn add(&mut self, fact: &Fact) {
        let len = self.len;
        let received = self.slot(fact.created);
        let mut slots: Vec<(usize, LifeEvent)> = Vec::with_capacity(fact.events.len());
        for event in &fact.events {
            if let Some(slot) = self.slot(event.at) {
                slots.push((slot, *event));
            }
        }
        let open: Vec<(usize, usize)> = open_intervals(fact.created, &fact.events)
            .into_iter()
            .map(|(from, to)| self.ends_within(from, to))
            .filter(|(lo, hi)| hi > lo)
            .collect();
        if received.is_none() && slots.is_empty() && open.is_empty() {
            return;
        }
        let series = self
            .cells
            .entry((fact.area, fact.group))
            .or_insert_with(|| Series { sums: vec![Sums::default(); len], open_diff: vec![0; len + 1] });
        if let Some(sums) = received.and_then(|slot| series.sums.get_mut(slot)) {
            sums.received += 1;
            sums.me_too += fact.me_too;
        }
        for (slot, event) in slots {
            let Some(sums) = series.sums.get_mut(slot) else { continue };
            match event.kind {
                LifeEventKind::Resolved => {
                    sums.resolved += 1;
                    #[allow(clippy::cast_precision_loss)]
                    sums.hours_to_resolution.push((event.at - fact.created).max(0) as f64 / 3600.0);
                    if let Some(deadline) = fact.deadline {
                        sums.with_deadline += 1;
                        if event.at <= deadline {
                            sums.on_time += 1;
                        }
                        if event.at - fact.created > 3 * (deadline - fact.created).max(0) {
                            sums.late_factor_3 += 1;
                        }
                    }
                }
                LifeEventKind::Cancelled => sums.cancelled += 1,
                LifeEventKind::Reopened => sums.reopened += 1,
            }
        }
        for (lo, hi) in open {
            if let Some(d) = series.open_diff.get_mut(lo) {
                *d += 1;
            }
            if let Some(d) = series.open_diff.get_mut(hi) {
                *d -= 1;
            }
        }
    }

    /// Adds one answer to the satisfaction survey, received at `at` (epoch seconds).
    pub fn add_answer(&mut self, area: u32, group: u32, at: i64, satisfied: bool) {
        let len = self.len;
        let Some(slot) = self.slot(at) else { return };
        let series = self
            .cells
            .entry((area, group))
            .or_insert_with(|| Series { sums: vec![Sums::default(); len], open_diff: vec![0; len + 1] });
        if let Some(sums) = series.sums.get_mut(slot) {
            sums.survey_answers += 1;
            sums.satisfied += i64::from(satisfied);
        }
    }

    /// The sums of a cell in every period (all zero for a cell without reports).
    pub fn series(&self, area: u32, group: u32) -> Vec<Sums> {
        let Some(series) = self.cells.get(&(area, group)) else {
            return vec![Sums::default(); self.len];
        };
        let mut running = 0;
        series
            .sums
            .iter()
            .zip(&series.open_diff)
            .map(|(sums, diff)| {
                running += diff;
                Sums { open_at_end: running, ..sums.clone() }
            })
            .collect()
    }

    /// The groups that have any report in the grid.
    pub fn groups(&self) -> Vec<u32> {
        let mut groups: Vec<u32> = self.cells.keys().map(|&(_, g)| g).collect();
        groups.sort_unstable();
        groups.dedup();
        groups
    }
}

#[cfg(test)]
mod tests {
    use super::super::lifecycle::parse;
    use super::*;

    fn at(text: &str) -> i64 {
        chrono::DateTime::parse_from_rfc3339(text).map(|t| t.timestamp()).unwrap_or_default()
    }

    fn fact(created: &str, lifecycle: &str) -> Fact {
        Fact {
            area: 0,
            group: 0,
            created: at(created),
            deadline: None,
            events: parse(lifecycle).unwrap_or_default(),
            me_too: 0,
        }
    }

    fn grid_2025() -> Grid {
        let first = Period::Month.parse_label("2025-01").unwrap_or_default();
        Grid::new(Period::Month, first, first + 11)
    }

    #[test]
    fn the_backlog_follows_the_status_history_not_todays_status() {
        let mut grid = grid_2025();
        // Received in December 2024, resolved in March, reopened in May, cancelled in July.
        let events =
            format!("R{} O{} C{}", at("2025-03-10T10:00:00Z"), at("2025-05-10T10:00:00Z"), at("2025-07-10T10:00:00Z"));
        grid.add(&fact("2024-12-20T10:00:00Z", &events));
        let open: Vec<i64> = grid.series(0, 0).iter().map(|s| s.open_at_end).collect();
        assert_eq!(open, vec![1, 1, 0, 0, 1, 1, 0, 0, 0, 0, 0, 0]);
        let sums = grid.series(0, 0);
        assert_eq!(sums.iter().map(|s| s.received).sum::<i64>(), 0);
        assert_eq!(sums.get(2).map(|s| s.resolved), Some(1));
        assert_eq!(sums.get(4).map(|s| s.reopened), Some(1));
        assert_eq!(sums.get(6).map(|s| s.cancelled), Some(1));
    }

    #[test]
    fn resolution_times_and_deadline_shares_are_per_resolution() {
        let mut grid = grid_2025();
        for (hours, deadline_hours) in [(10, 24), (30, 24), (100, 24), (5, 48)] {
            let created = at("2025-02-01T10:00:00Z");
            grid.add(&Fact {
                area: 0,
                group: 0,
                created,
                deadline: Some(created + deadline_hours * 3600),
                events: parse(&format!("R{}", created + hours * 3600)).unwrap_or_default(),
                me_too: 1,
            });
        }
        let feb = grid.series(0, 0).into_iter().nth(1).unwrap_or_default();
        assert_eq!((feb.received, feb.resolved, feb.me_too), (4, 4, 4));
        assert_eq!(feb.median_hours(), Some(20.0));
        assert_eq!(feb.p90_hours(), Some(100.0));
        assert_eq!(feb.on_time_share(), Some(0.5));
        assert_eq!(feb.late_share(), Some(0.5));
        assert_eq!(feb.late_factor_3_share(), Some(0.25));
    }

    #[test]
    fn a_report_outside_the_periods_and_closed_before_them_adds_nothing() {
        let mut grid = grid_2025();
        grid.add(&fact("2023-01-01T10:00:00Z", &format!("R{}", at("2023-02-01T10:00:00Z"))));
        assert!(grid.groups().is_empty());
        assert_eq!(percentile(&[], 0.5), None);
        assert_eq!(percentile(&[3.0, 1.0, 2.0], 0.5), Some(2.0));
    }
}
