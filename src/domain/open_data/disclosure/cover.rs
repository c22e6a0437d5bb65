//! Which cells to hide for a small count the attacker pinned: in each equation that gives
//! it its bound (from below or from above), the cheapest shown count whose hiding loosens
//! that bound, on the side that costs less. Hiding cells elsewhere would leave the count
//! pinned and make suppression spread.

use super::attack::implied;
use super::{Bounds, Rule, Shown, shown_at, value};

/// The cells to hide so that no equation with a shown count pins `cell` any more (empty
/// when no side can be loosened by hiding shown counts; the caller then looks further
/// away).
pub(super) fn targeted(
    values: &[i64],
    equations: &[(usize, Vec<usize>)],
    of_cell: &[Vec<usize>],
    cells: &[Shown],
    bounds: &[Bounds],
    cell: usize,
    rule: Rule,
) -> Vec<usize> {
    let Some(pinned) = bounds.get(cell).and_then(|b| b.low) else { return Vec::new() };
    let hidden = rule.bounds(Shown::Protecting);
    let small = rule.bounds(Shown::Small);
    let mut best: Option<(i64, Vec<usize>)> = None;
    for from_below in [true, false] {
        // "Fewer than N" itself bounds a count of 0 from below and of N − 1 from above:
        // hiding cannot loosen that side.
        if (from_below && small.low.is_some_and(|l| pinned <= l))
            || (!from_below && small.high.is_some_and(|h| pinned >= h))
        {
            continue;
        }
        let tight = |b: Bounds| {
            if from_below { b.low.is_some_and(|l| l >= pinned) } else { b.high.is_some_and(|h| h <= pinned) }
        };
        let mut plan: Vec<usize> = Vec::new();
        let mut cost = 0;
        for equation in of_cell.get(cell).into_iter().flatten().filter_map(|&e| equations.get(e)) {
            if !tight(implied(values, equation, bounds, cell, None)) {
                continue;
            }
            let (parent, children) = equation;
            let cover = std::iter::once(*parent)
                .chain(children.iter().copied())
                .filter(|&m| m != cell && matches!(shown_at(cells, m), Shown::Count(_)))
                .filter(|&m| value(values, m) >= rule.min_count)
                .filter(|&m| plan.contains(&m) || !tight(implied(values, equation, bounds, cell, Some((m, hidden)))))
                .min_by_key(|&m| (!plan.contains(&m), value(values, m), m));
            match cover {
                Some(m) if plan.contains(&m) => {}
                Some(m) => {
                    cost += value(values, m);
                    plan.push(m);
                }
                // Only hidden cells bound it here: they are pinned too, and their own covers
                // loosen this equation.
                None => {}
            }
        }
        if !plan.is_empty() && best.as_ref().is_none_or(|(c, _)| cost < *c) {
            best = Some((cost, plan));
        }
    }
    best.map(|(_, plan)| plan).unwrap_or_default()
}
