//! The attacker of the disclosure control: from every published cell, the rule it was
//! published by and every equation of the grid, the bounds it can work out for each cell
//! not published exactly (interval
//! constraint propagation until nothing changes, or its step budget is spent).

use std::collections::VecDeque;

use super::{Rule, Shown, value};

/// Bounds the attacker has on a value; `None`: unbounded that way.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Bounds {
    /// Lowest possible value.
    pub low: Option<i64>,
    /// Highest possible value.
    pub high: Option<i64>,
}

impl Bounds {
    /// Whether only one value is possible.
    pub fn pinned(self) -> bool {
        matches!((self.low, self.high), (Some(l), Some(h)) if l == h)
    }
}

/// How many bound updates the attacker makes at most in one run. Each narrows a bound,
/// so a run ends long before this on any real grid; the cap only bounds the time.
const MAX_UPDATES: usize = 5_000_000;

/// What an attacker who knows every published cell, the rule and every remainder can
/// work out about each cell.
pub fn attack(values: &[i64], equations: &[(usize, Vec<usize>)], cells: &[Shown], rule: Rule) -> Vec<Bounds> {
    // The attacker is also told that no cell exceeds the largest count of the grid (the
    // municipality's year total, which is published or nearly so): more knowledge makes a
    // stronger attacker, and it keeps cycles of hidden cells from narrowing their bounds
    // one step at a time from very far away.
    let ceiling = values.iter().copied().max().unwrap_or(0);
    let mut bounds: Vec<Bounds> = cells
        .iter()
        .map(|shown| {
            let b = rule.bounds(*shown);
            Bounds { low: b.low, high: b.high.or(Some(ceiling)) }
        })
        .collect();
    // The cells not known exactly, the equations with one, and per such cell the equations
    // it is in.
    let unknown: Vec<bool> = bounds.iter().map(|b| !b.pinned()).collect();
    let open = |c: usize| unknown.get(c).copied().unwrap_or(false);
    let relevant: Vec<usize> = (0..equations.len())
        .filter(|&e| {
            equations.get(e).is_some_and(|(parent, children)| open(*parent) || children.iter().any(|&c| open(c)))
        })
        .collect();
    let mut of_cell: std::collections::HashMap<usize, Vec<usize>> = std::collections::HashMap::new();
    for &e in &relevant {
        let Some((parent, children)) = equations.get(e) else { continue };
        for member in std::iter::once(parent).chain(children.iter()) {
            if open(*member) {
                of_cell.entry(*member).or_default().push(e);
            }
        }
    }
    let mut queued = vec![false; equations.len()];
    let mut queue: VecDeque<usize> = relevant.iter().copied().collect();
    for &e in &relevant {
        set(&mut queued, e, true);
    }
    // Bounds move in steps; where unknown cells form cycles a step can be small, so the
    // attacker stops after a number of steps in proportion to the unknown cells.
    let limit = MAX_UPDATES.min(64 * of_cell.len() + 10_000);
    let mut updates = 0usize;
    let mut members: Vec<(usize, i64)> = Vec::new();
    while let Some(e) = queue.pop_front() {
        set(&mut queued, e, false);
        let Some((parent, children)) = equations.get(e) else { continue };
        // Σ children − parent = remainder-free sum; over the unknown members only:
        // Σ sign·x = K, with K from the true values (the attacker knows it).
        members.clear();
        members
            .extend(std::iter::once((*parent, -1)).chain(children.iter().map(|&c| (c, 1))).filter(|(c, _)| open(*c)));
        let k: i64 = members.iter().map(|(c, sign)| sign * value(values, *c)).sum();
        // The sums of every member's lowest and highest signed term, with how many are
        // unbounded, so each member's own term is taken out in constant time.
        let mut sum = Sum::default();
        for &(cell, sign) in &members {
            sum.add(term(bounds.get(cell).copied(), sign));
        }
        for &(cell, sign) in &members {
            let others = sum.without(term(bounds.get(cell).copied(), sign));
            // sign·x_cell = K − Σ_{others} sign·x
            let (low, high) = (sub(Some(k), others.1), sub(Some(k), others.0));
            let (low, high) = if sign > 0 { (low, high) } else { (neg(high), neg(low)) };
            let Some(current) = bounds.get_mut(cell) else { continue };
            let narrowed = Bounds { low: max_low(current.low, low), high: min_high(current.high, high) };
            if narrowed != *current {
                *current = narrowed;
                updates += 1;
                for &next in of_cell.get(&cell).map(Vec::as_slice).unwrap_or(&[]) {
                    if next != e && !queued.get(next).copied().unwrap_or(true) {
                        set(&mut queued, next, true);
                        queue.push_back(next);
                    }
                }
            }
        }
        if updates > limit {
            break;
        }
    }
    bounds
}

/// The bounds one equation alone gives `target` (one of its members) from the bounds of
/// the others, with one member's bounds taken as `instead` where given: what the attacker
/// would know of `target` from it if that member were published so.
pub(super) fn implied(
    values: &[i64],
    (parent, children): &(usize, Vec<usize>),
    bounds: &[Bounds],
    target: usize,
    instead: Option<(usize, Bounds)>,
) -> Bounds {
    let members = std::iter::once((*parent, -1)).chain(children.iter().map(|&c| (c, 1)));
    let k: i64 = members.clone().map(|(c, sign)| sign * value(values, c)).sum();
    let mut others = Sum::default();
    let mut target_sign = 0;
    for (cell, sign) in members {
        if cell == target {
            target_sign = sign;
            continue;
        }
        let b = match instead {
            Some((swapped, b)) if swapped == cell => Some(b),
            _ => bounds.get(cell).copied(),
        };
        others.add(term(b, sign));
    }
    let (low, high) = others.total();
    // sign·target = K − Σ others
    let (low, high) = (sub(Some(k), high), sub(Some(k), low));
    if target_sign > 0 { Bounds { low, high } } else { Bounds { low: neg(high), high: neg(low) } }
}

/// The lowest and highest value of `sign·x` for bounds of `x` (`None`: unbounded).
fn term(bounds: Option<Bounds>, sign: i64) -> (Option<i64>, Option<i64>) {
    let b = bounds.unwrap_or(Bounds { low: None, high: None });
    if sign > 0 { (b.low, b.high) } else { (neg(b.high), neg(b.low)) }
}

/// A sum of terms' lowest and highest values: the finite parts, and how many are unbounded.
#[derive(Default)]
struct Sum {
    low: i64,
    low_unbounded: usize,
    high: i64,
    high_unbounded: usize,
}

impl Sum {
    fn add(&mut self, (low, high): (Option<i64>, Option<i64>)) {
        match low {
            Some(v) => self.low = self.low.saturating_add(v),
            None => self.low_unbounded += 1,
        }
        match high {
            Some(v) => self.high = self.high.saturating_add(v),
            None => self.high_unbounded += 1,
        }
    }

    /// The (lowest, highest) of the whole sum.
    fn total(&self) -> (Option<i64>, Option<i64>) {
        ((self.low_unbounded == 0).then_some(self.low), (self.high_unbounded == 0).then_some(self.high))
    }

    /// The (lowest, highest) of the sum without one of its terms.
    fn without(&self, (low, high): (Option<i64>, Option<i64>)) -> (Option<i64>, Option<i64>) {
        let low = match low {
            Some(v) => (self.low_unbounded == 0).then(|| self.low.saturating_sub(v)),
            None => (self.low_unbounded == 1).then_some(self.low),
        };
        let high = match high {
            Some(v) => (self.high_unbounded == 0).then(|| self.high.saturating_sub(v)),
            None => (self.high_unbounded == 1).then_some(self.high),
        };
        (low, high)
    }
}

fn set(flags: &mut [bool], index: usize, to: bool) {
    if let Some(flag) = flags.get_mut(index) {
        *flag = to;
    }
}

fn neg(value: Option<i64>) -> Option<i64> {
    value.map(|v| -v)
}

fn sub(a: Option<i64>, b: Option<i64>) -> Option<i64> {
    Some(a?.saturating_sub(b?))
}

fn max_low(a: Option<i64>, b: Option<i64>) -> Option<i64> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.max(b)),
        (a, None) => a,
        (None, b) => b,
    }
}

fn min_high(a: Option<i64>, b: Option<i64>) -> Option<i64> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, None) => a,
        (None, b) => b,
    }
}
