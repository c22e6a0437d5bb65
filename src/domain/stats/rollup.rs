//! The monthly roll-up: what each report adds to the month cells of its stamped area,
//! category, department and source, so that monthly, quarterly and yearly statistics read
//! sums instead of reports.
//!
//! A report adds, in the local month (Europe/Amsterdam) of each event: one "received" and
//! its "me too" count in the month of receipt; one resolved, cancelled or reopened in the
//! month of each closing or reopening, with the seconds from receipt to a resolution and
//! its deadline outcome; +1 "open change" in the month an open interval starts and -1 in
//! the month it ends; and +1 to the cell's "open now" row ([`OPEN_NOW`]) while it is open.
//! The backlog at the end of a month is then "open now" minus the open changes of the
//! months after it. A report that is merged into another, or has no stamped area, adds
//! nothing. Any change to a report is applied as the difference between what it added
//! before and what it adds after ([`difference`]), so re-routing, re-categorising, moving
//! and merging move its whole history from one cell to another.

use std::collections::BTreeMap;

use uuid::Uuid;

use super::lifecycle::{LifeEvent, LifeEventKind, open_intervals};
use super::period::Period;

/// The month number of a cell's "open now" row.
pub const OPEN_NOW: i32 = i32::MAX;

/// What the roll-up needs of one report.
#[derive(Debug, Clone, PartialEq)]
pub struct StatsView {
    /// The boundary year of its stamp.
    pub area_year: Option<i32>,
    /// Stamped codes.
    pub gemeente: Option<String>,
    pub wijk: Option<String>,
    pub buurt: Option<String>,
    /// Category.
    pub category: Uuid,
    /// Department.
    pub department: Option<Uuid>,
    /// Source channel.
    pub source: String,
    /// Receipt, epoch seconds.
    pub created: i64,
    /// Deadline, epoch seconds.
    pub deadline: Option<i64>,
    /// Closings and reopenings, oldest first.
    pub events: Vec<LifeEvent>,
    /// "Me too" count.
    pub me_too: i64,
    /// Merged into another report (then it counts as that one).
    pub merged: bool,
}

/// One cell: a stamped area, category, department, source and month.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CellKey {
    /// Municipality code (the cells are read by it first).
    pub gemeente: String,
    /// Boundary year of the codes.
    pub area_year: i32,
    /// Month number ([`Period::Month`]), or [`OPEN_NOW`].
    pub month: i32,
    /// Wijk code, empty when none.
    pub wijk: String,
    /// Buurt code, empty when none.
    pub buurt: String,
    /// Category.
    pub category: Uuid,
    /// Department, the nil UUID when none.
    pub department: Uuid,
    /// Source channel.
    pub source: String,
}

/// The sums of a cell (or what a change adds to them; counts may then be negative).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CellSums {
    pub received: i64,
    pub me_too: i64,
    pub resolved: i64,
    pub cancelled: i64,
    pub reopened: i64,
    /// Resolutions of reports with a deadline.
    pub with_deadline: i64,
    /// ... by the deadline.
    pub on_time: i64,
    /// ... later than three times the handling time.
    pub late_factor_3: i64,
    /// Open intervals started minus ended in the month (in the [`OPEN_NOW`] row: open now).
    pub open_change: i64,
    /// Seconds from receipt to each resolution in the month.
    pub resolution_seconds: Vec<i64>,
}

impl CellSums {
    fn is_zero(&self) -> bool {
        *self == CellSums::default()
    }
}

/// What a change does to one cell.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CellDelta {
    /// Added to the counts (`resolution_seconds` unused).
    pub counts: CellSums,
    /// Resolution seconds to add.
    pub add_seconds: Vec<i64>,
    /// Resolution seconds to take away (one occurrence each).
    pub remove_seconds: Vec<i64>,
}

impl CellDelta {
    /// Whether only counts change (an upsert can then add them without reading the row).
    pub fn counts_only(&self) -> bool {
        self.add_seconds.is_empty() && self.remove_seconds.is_empty()
    }

    /// Applies the delta to stored sums.
    pub fn apply_to(&self, sums: &mut CellSums) {
        let c = &self.counts;
        sums.received += c.received;
        sums.me_too += c.me_too;
        sums.resolved += c.resolved;
        sums.cancelled += c.cancelled;
        sums.reopened += c.reopened;
        sums.with_deadline += c.with_deadline;
        sums.on_time += c.on_time;
        sums.late_factor_3 += c.late_factor_3;
        sums.open_change += c.open_change;
        for gone in &self.remove_seconds {
            if let Some(at) = sums.resolution_seconds.iter().position(|s| s == gone) {
                sums.resolution_seconds.swap_remove(at);
            }
        }
        sums.resolution_seconds.extend_from_slice(&self.add_seconds);
        sums.resolution_seconds.sort_unstable();
    }
}

fn month_of(epoch_seconds: i64) -> i32 {
    i32::try_from(Period::Month.index_at(epoch_seconds)).unwrap_or(0)
}

/// What `view` adds to the roll-up, per cell.
pub fn contributions(view: &StatsView) -> BTreeMap<CellKey, CellSums> {
    let mut out: BTreeMap<CellKey, CellSums> = BTreeMap::new();
    let (Some(year), Some(gemeente), false) = (view.area_year, view.gemeente.as_ref(), view.merged) else {
        return out;
    };
    let key = |month: i32| CellKey {
        gemeente: gemeente.clone(),
        area_year: year,
        month,
        wijk: view.wijk.clone().unwrap_or_default(),
        buurt: view.buurt.clone().unwrap_or_default(),
        category: view.category,
        department: view.department.unwrap_or(Uuid::nil()),
        source: view.source.clone(),
    };
    let received = out.entry(key(month_of(view.created))).or_default();
    received.received += 1;
    received.me_too += view.me_too;
    for event in &view.events {
        let sums = out.entry(key(month_of(event.at))).or_default();
        match event.kind {
            LifeEventKind::Resolved => {
                sums.resolved += 1;
                sums.resolution_seconds.push((event.at - view.created).max(0));
                if let Some(deadline) = view.deadline {
                    sums.with_deadline += 1;
                    if event.at <= deadline {
                        sums.on_time += 1;
                    }
                    if event.at - view.created > 3 * (deadline - view.created).max(0) {
                        sums.late_factor_3 += 1;
                    }
                }
            }
            LifeEventKind::Cancelled => sums.cancelled += 1,
            LifeEventKind::Reopened => sums.reopened += 1,
        }
    }
    for (from, to) in open_intervals(view.created, &view.events) {
        out.entry(key(month_of(from))).or_default().open_change += 1;
        match to {
            Some(to) => out.entry(key(month_of(to))).or_default().open_change -= 1,
            None => out.entry(key(OPEN_NOW)).or_default().open_change += 1,
        }
    }
    for sums in out.values_mut() {
        sums.resolution_seconds.sort_unstable();
    }
    out.retain(|_, sums| !sums.is_zero());
    out
}

/// What changing a report from `before` to `after` does to the roll-up (`None`: the report
/// did not exist, or no longer does). Cells that do not change are left out.
pub fn difference(before: Option<&StatsView>, after: Option<&StatsView>) -> BTreeMap<CellKey, CellDelta> {
    let old = before.map(contributions).unwrap_or_default();
    let new = after.map(contributions).unwrap_or_default();
    let mut out: BTreeMap<CellKey, CellDelta> = BTreeMap::new();
    for (key, sums) in &new {
        let delta = out.entry(key.clone()).or_default();
        add_counts(&mut delta.counts, sums, 1);
        delta.add_seconds.extend_from_slice(&sums.resolution_seconds);
    }
    for (key, sums) in &old {
        let delta = out.entry(key.clone()).or_default();
        add_counts(&mut delta.counts, sums, -1);
        delta.remove_seconds.extend_from_slice(&sums.resolution_seconds);
    }
    for delta in out.values_mut() {
        // Seconds both taken away and added cancel out.
        let mut kept_removals = Vec::new();
        for gone in delta.remove_seconds.drain(..) {
            match delta.add_seconds.iter().position(|s| *s == gone) {
                Some(at) => {
                    delta.add_seconds.swap_remove(at);
                }
                None => kept_removals.push(gone),
            }
        }
        delta.remove_seconds = kept_removals;
    }
    out.retain(|_, delta| !(delta.counts.is_zero() && delta.counts_only()));
    out
}

/// Adds the counts of many deltas per cell (a batch of new reports).
pub fn merge_into(total: &mut BTreeMap<CellKey, CellDelta>, more: BTreeMap<CellKey, CellDelta>) {
    for (key, delta) in more {
        let slot = total.entry(key).or_default();
        add_counts(&mut slot.counts, &delta.counts, 1);
        slot.add_seconds.extend(delta.add_seconds);
        slot.remove_seconds.extend(delta.remove_seconds);
    }
}

/// Adds one report's sums of a cell to a total (a rebuild).
pub fn merge_sums(into: &mut CellSums, more: CellSums) {
    add_counts(into, &more, 1);
    into.resolution_seconds.extend(more.resolution_seconds);
}

fn add_counts(into: &mut CellSums, from: &CellSums, sign: i64) {
    into.received += sign * from.received;
    into.me_too += sign * from.me_too;
    into.resolved += sign * from.resolved;
    into.cancelled += sign * from.cancelled;
    into.reopened += sign * from.reopened;
    into.with_deadline += sign * from.with_deadline;
    into.on_time += sign * from.on_time;
    into.late_factor_3 += sign * from.late_factor_3;
    into.open_change += sign * from.open_change;
}

/// The stored form of resolution seconds: space-separated, ascending.
pub fn encode_seconds(seconds: &[i64]) -> String {
    seconds.iter().map(i64::to_string).collect::<Vec<_>>().join(" ")
}

/// Parses the stored form; an unreadable value is an error naming it.
pub fn parse_seconds(text: &str) -> Result<Vec<i64>, String> {
    text.split_ascii_whitespace()
        .map(|t| t.parse::<i64>().map_err(|_| format!("unreadable resolution seconds {t:?}")))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::super::lifecycle::parse;
    use super::*;

    fn at(text: &str) -> i64 {
        chrono::DateTime::parse_from_rfc3339(text).map(|t| t.timestamp()).unwrap_or_default()
    }

    fn view(created: &str, lifecycle: &str) -> StatsView {
        StatsView {
            area_year: Some(2025),
            gemeente: Some("GM0917".into()),
            wijk: Some("WK091710".into()),
            buurt: Some("BU09171000".into()),
            category: Uuid::from_u128(1),
            department: None,
            source: "api".into(),
            created: at(created),
            deadline: Some(at(created) + 86_400),
            events: parse(lifecycle).unwrap_or_default(),
            me_too: 2,
            merged: false,
        }
    }

    fn month(label: &str) -> i32 {
        i32::try_from(Period::Month.parse_label(label).unwrap_or_default()).unwrap_or_default()
    }

    #[test]
    fn a_report_adds_its_receipt_its_closings_and_its_open_intervals_to_its_months() {
        let events = format!("R{} O{}", at("2025-03-10T10:00:00Z"), at("2025-04-01T10:00:00Z"));
        let cells = contributions(&view("2025-02-28T23:30:00Z", &events));
        // Received at 00:30 local time on 1 March: a March report.
        let by_month: BTreeMap<i32, &CellSums> = cells.iter().map(|(k, s)| (k.month, s)).collect();
        let march = by_month.get(&month("2025-03")).copied().cloned().unwrap_or_default();
        assert_eq!((march.received, march.me_too, march.resolved, march.open_change), (1, 2, 1, 0));
        assert_eq!((march.with_deadline, march.on_time, march.late_factor_3), (1, 0, 1));
        assert_eq!(march.resolution_seconds, vec![at("2025-03-10T10:00:00Z") - at("2025-02-28T23:30:00Z")]);
        let april = by_month.get(&month("2025-04")).copied().cloned().unwrap_or_default();
        assert_eq!((april.reopened, april.open_change), (1, 1));
        assert_eq!(by_month.get(&OPEN_NOW).map(|s| s.open_change), Some(1));
    }

    #[test]
    fn a_change_moves_the_whole_history_and_unchanged_cells_are_left_out() {
        let before = view("2025-02-10T10:00:00Z", &format!("R{}", at("2025-03-10T10:00:00Z")));
        let after = StatsView { buurt: Some("BU09171001".into()), ..before.clone() };
        let delta = difference(Some(&before), Some(&after));
        assert_eq!(delta.len(), 4, "two months out of one buurt, two into the other: {delta:?}");
        let same = difference(Some(&before), Some(&before));
        assert!(same.is_empty());
        let merged = difference(Some(&before), Some(&StatsView { merged: true, ..before.clone() }));
        let received: i64 = merged.values().map(|d| d.counts.received).sum();
        assert_eq!(received, -1);
        assert!(merged.values().any(|d| d.remove_seconds.len() == 1));
    }

    #[test]
    fn applying_a_delta_adds_counts_and_replaces_seconds() {
        let mut sums = CellSums { resolved: 2, resolution_seconds: vec![5, 9], ..CellSums::default() };
        let delta = CellDelta {
            counts: CellSums { resolved: 0, ..CellSums::default() },
            add_seconds: vec![7],
            remove_seconds: vec![9],
        };
        delta.apply_to(&mut sums);
        assert_eq!(sums.resolution_seconds, vec![5, 7]);
        assert_eq!(parse_seconds(&encode_seconds(&[1, 22, 333])), Ok(vec![1, 22, 333]));
        assert!(parse_seconds("1 x").is_err());
    }
}
