//! Disclosure control of the public statistics: primary suppression of small counts,
//! rounding of the others to a base, then secondary suppression over the three hierarchies
//! of the grid (area, category, period), checked by an attacker who works out bounds for
//! every hidden cell from everything published, until no small count can be pinned down.
//!
//! The grid is the product of three hierarchies. In each, a node's children add up to it,
//! up to a remainder (reports filed on a main category itself, or in a wijk but no buurt)
//! that the attacker is assumed to know: this is the cautious assumption, as it gives the
//! attacker every equation there is. Each published cell is a number or hidden ([`Rule`]):
//! a count below the threshold, zero too, is hidden as "fewer than N" (primary); a count of
//! N or more is rounded to the nearest multiple of the base (5, as CBS publishes person
//! counts; 1 publishes it exactly), and may be hidden to protect a small one (secondary).
//! What the attacker knows of every cell is exact: a primary one lies in `0..=N-1`, a
//! secondary one in `N..`, a rounded one within its rounding interval. Zeros are hidden
//! because an exact zero ties a parent to its one non-zero child: a quarter with one month
//! of reports equals that month, and such chains let small counts give each other away.
//!
//! The attacker takes every equation "parent = children + remainder" in which a cell it
//! does not know exactly occurs, and narrows the bounds of each such cell from the
//! others', over and over until nothing changes (interval constraint propagation). A
//! primary cell whose bounds close to one value is disclosed; then, in each equation that
//! gives it that bound, the cheapest count whose hiding loosens it is hidden ([`cover`];
//! failing that, the smallest count of N or more in an equation of it or of a neighbouring
//! hidden cell), and the attacker tries again. With
//! exact counts, equations with exactly one hidden cell are closed first, as that is the
//! common case and needs no propagation; with rounded counts such an equation leaves the
//! hidden cell a range as wide as the rounding, and only the rare edge cases the attacker
//! finds are closed. That is why rounding keeps most cells shown where exact counts make
//! suppression spread over sparse grids (docs/open-data.md).

use std::collections::VecDeque;

mod attack;
mod cover;
mod rule;
#[cfg(test)]
mod tests;

pub use attack::{Bounds, attack};
pub use rule::Rule;

/// One dimension's hierarchy: every node's parent (`None`: a root); a node may have any
/// number of children, in any order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hierarchy {
    parents: Vec<Option<usize>>,
}

impl Hierarchy {
    /// A hierarchy of `parents.len()` nodes. A parent index out of range makes that node a
    /// root, and a cycle is cut where it is found.
    pub fn new(parents: Vec<Option<usize>>) -> Self {
        let n = parents.len();
        let mut checked: Vec<Option<usize>> = parents.iter().map(|p| p.filter(|&p| p < n)).collect();
        for node in 0..n {
            let mut seen = 0;
            let mut at = checked.get(node).copied().flatten();
            while let Some(p) = at {
                if p == node || seen > n {
                    if let Some(slot) = checked.get_mut(node) {
                        *slot = None;
                    }
                    break;
                }
                seen += 1;
                at = checked.get(p).copied().flatten();
            }
        }
        Hierarchy { parents: checked }
    }

    /// How many nodes it has.
    pub fn len(&self) -> usize {
        self.parents.len()
    }

    /// Whether it has no nodes.
    pub fn is_empty(&self) -> bool {
        self.parents.is_empty()
    }

    /// The children of every node.
    fn children(&self) -> Vec<Vec<usize>> {
        let mut children = vec![Vec::new(); self.parents.len()];
        for (node, parent) in self.parents.iter().enumerate() {
            if let Some(list) = parent.and_then(|p| children.get_mut(p)) {
                list.push(node);
            }
        }
        children
    }
}

/// What is published of a cell.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shown {
    /// The count itself.
    Count(i64),
    /// Hidden because it is below the threshold: "fewer than N".
    Small,
    /// Hidden because it would reveal a small count elsewhere.
    Protecting,
}

/// A grid of counts over three hierarchies, cell `(a, c, t)` at `(a * C + c) * T + t`.
#[derive(Debug, Clone)]
pub struct Grid {
    dims: [Hierarchy; 3],
    values: Vec<i64>,
}

impl Grid {
    /// A grid of zeros.
    pub fn new(area: Hierarchy, category: Hierarchy, period: Hierarchy) -> Self {
        let size = area.len() * category.len() * period.len();
        Grid { dims: [area, category, period], values: vec![0; size] }
    }

    /// The cell index of `(area, category, period)`.
    pub fn index(&self, area: usize, category: usize, period: usize) -> usize {
        let [_, categories, periods] = &self.dims;
        (area * categories.len() + category) * periods.len() + period
    }

    /// Adds `count` to a cell (only to that cell: parents are filled by the caller, who
    /// knows the remainders).
    pub fn add(&mut self, area: usize, category: usize, period: usize, count: i64) {
        let at = self.index(area, category, period);
        if let Some(value) = self.values.get_mut(at) {
            *value += count;
        }
    }

    /// A cell's count.
    pub fn get(&self, area: usize, category: usize, period: usize) -> i64 {
        self.values.get(self.index(area, category, period)).copied().unwrap_or(0)
    }

    /// Every additive equation of the grid: (parent cell, child cells).
    pub fn equations(&self) -> Vec<(usize, Vec<usize>)> {
        let [area, category, period] = &self.dims;
        let (na, nc, nt) = (area.len(), category.len(), period.len());
        let mut equations = Vec::new();
        for (node, kids) in area.children().iter().enumerate().filter(|(_, k)| !k.is_empty()) {
            for c in 0..nc {
                for t in 0..nt {
                    let at = |a: usize| self.index(a, c, t);
                    equations.push((at(node), kids.iter().map(|&k| at(k)).collect()));
                }
            }
        }
        for (node, kids) in category.children().iter().enumerate().filter(|(_, k)| !k.is_empty()) {
            for a in 0..na {
                for t in 0..nt {
                    let at = |c: usize| self.index(a, c, t);
                    equations.push((at(node), kids.iter().map(|&k| at(k)).collect()));
                }
            }
        }
        for (node, kids) in period.children().iter().enumerate().filter(|(_, k)| !k.is_empty()) {
            for a in 0..na {
                for c in 0..nc {
                    let at = |t: usize| self.index(a, c, t);
                    equations.push((at(node), kids.iter().map(|&k| at(k)).collect()));
                }
            }
        }
        equations
    }
}

/// The grid as published, with the rule it was published by.
#[derive(Debug, Clone)]
pub struct Published {
    /// Per cell, what is shown.
    pub cells: Vec<Shown>,
    /// The threshold and rounding.
    pub rule: Rule,
    /// How many cells were hidden to protect others.
    pub protecting: usize,
}

/// Publishes `grid` by `rule`: hides small counts, rounds the others, then hides as few
/// others as this heuristic finds so that no small count can be worked out from the rest.
pub fn protect(grid: &Grid, rule: Rule) -> Published {
    let min_count = rule.min_count;
    let equations = grid.equations();
    let mut of_cell: Vec<Vec<usize>> = vec![Vec::new(); grid.values.len()];
    for (e, (parent, children)) in equations.iter().enumerate() {
        for member in std::iter::once(parent).chain(children.iter()) {
            if let Some(list) = of_cell.get_mut(*member) {
                list.push(e);
            }
        }
    }
    let mut cells: Vec<Shown> = grid.values.iter().map(|&v| rule.publish(v)).collect();
    let mut protecting = 0usize;
    let mut seen = Visited::new(cells.len());
    loop {
        if rule.base == 1 {
            protecting += close_single(&grid.values, &equations, &mut cells, min_count);
        }
        let bounds = attack(&grid.values, &equations, &cells, rule);
        let disclosed: Vec<usize> = (0..cells.len())
            .filter(|&cell| {
                matches!(shown_at(&cells, cell), Shown::Small) && bounds.get(cell).is_some_and(|b| b.pinned())
            })
            .collect();
        if disclosed.is_empty() {
            break;
        }
        // One cover often protects several disclosed cells (small counts pinned together in
        // one equation): a cell in an equation that just got a cover waits for the next round,
        // whose attack tells whether it still needs one of its own.
        //
        // A cell pinned only through other hidden cells has no cover of its own in its
        // equations; it is usually free once those get theirs. Only when no disclosed cell
        // got a cover in its own equations is a cover searched further away.
        let mut added = 0;
        let mut waiting = Visited::new(cells.len());
        waiting.start();
        let mut stuck = Vec::new();
        for cell in disclosed {
            if !waiting.insert(cell) {
                continue;
            }
            let covers = cover::targeted(&grid.values, &equations, &of_cell, &cells, &bounds, cell, rule);
            if covers.is_empty() {
                stuck.push(cell);
            }
            for cover in covers {
                hide(&mut cells, cover);
                added += 1;
                wait_near(&mut waiting, &equations, &of_cell, cover);
            }
        }
        if added == 0 {
            // The searches reach far, so one per neighbourhood of the grid and round.
            waiting.start();
            for cell in stuck {
                if !waiting.insert(cell) {
                    continue;
                }
                if let Some(cover) =
                    nearest_cover(&grid.values, &equations, &of_cell, &cells, &mut seen, cell, min_count)
                {
                    hide(&mut cells, cover);
                    added += 1;
                    wait_near(&mut waiting, &equations, &of_cell, cover);
                    wait_near(&mut waiting, &equations, &of_cell, cell);
                }
            }
        }
        if added == 0 {
            // Nothing left to hide (every count near it is hidden): what remains pinned is
            // pinned by small counts alone, which hiding cannot change.
            break;
        }
        protecting += added;
    }
    Published { cells, rule, protecting }
}

/// Marks every cell that shares an equation with `cell`.
fn wait_near(waiting: &mut Visited, equations: &[(usize, Vec<usize>)], of_cell: &[Vec<usize>], cell: usize) {
    for (parent, children) in of_cell.get(cell).into_iter().flatten().filter_map(|&e| equations.get(e)) {
        for member in std::iter::once(parent).chain(children.iter()) {
            waiting.insert(*member);
        }
    }
}

fn hidden(shown: Shown) -> bool {
    !matches!(shown, Shown::Count(_))
}

/// What is shown of `cell` (cells are indexes the grid made, so always present).
fn shown_at(cells: &[Shown], cell: usize) -> Shown {
    cells.get(cell).copied().unwrap_or(Shown::Count(0))
}

fn value(values: &[i64], cell: usize) -> i64 {
    values.get(cell).copied().unwrap_or(0)
}

fn hide(cells: &mut [Shown], cell: usize) {
    if let Some(slot) = cells.get_mut(cell) {
        *slot = Shown::Protecting;
    }
}

/// Hides, in every equation with exactly one hidden cell, the smallest shown count of at
/// least `min_count`, until no such equation is left; the number hidden.
fn close_single(values: &[i64], equations: &[(usize, Vec<usize>)], cells: &mut [Shown], min_count: i64) -> usize {
    let mut added = 0;
    loop {
        let mut changed = false;
        for (parent, children) in equations {
            let members = std::iter::once(parent).chain(children.iter());
            let count = members.clone().filter(|&&c| hidden(shown_at(cells, c))).count();
            if count != 1 {
                continue;
            }
            if let Some(cover) = smallest_cover(values, cells, members.copied(), min_count) {
                hide(cells, cover);
                added += 1;
                changed = true;
            }
        }
        if !changed {
            return added;
        }
    }
}

fn smallest_cover(
    values: &[i64],
    cells: &[Shown],
    members: impl Iterator<Item = usize>,
    min_count: i64,
) -> Option<usize> {
    members
        .filter(|&c| matches!(shown_at(cells, c), Shown::Count(_)) && value(values, c) >= min_count)
        .min_by_key(|&c| (value(values, c), c))
}

/// A cell to hide for disclosed `cell`: the smallest count of at least the threshold in
/// one of its equations, or failing that in an equation of a hidden cell it shares one with,
/// nearest first and parents (larger sums, with larger siblings) before children.
fn nearest_cover(
    values: &[i64],
    equations: &[(usize, Vec<usize>)],
    of_cell: &[Vec<usize>],
    cells: &[Shown],
    seen: &mut Visited,
    cell: usize,
    min_count: i64,
) -> Option<usize> {
    seen.start();
    seen.insert(cell);
    let mut queue = VecDeque::from([cell]);
    while let Some(at) = queue.pop_front() {
        let mut best: Option<usize> = None;
        for (parent, children) in of_cell.get(at).into_iter().flatten().filter_map(|&e| equations.get(e)) {
            let members = std::iter::once(*parent).chain(children.iter().copied());
            if let Some(cover) = smallest_cover(values, cells, members.clone(), min_count)
                && best.is_none_or(|b| (value(values, cover), cover) < (value(values, b), b))
            {
                best = Some(cover);
            }
            if *parent != at && hidden(shown_at(cells, *parent)) && seen.insert(*parent) {
                queue.push_front(*parent);
            }
            for &member in children {
                if hidden(shown_at(cells, member)) && seen.insert(member) {
                    queue.push_back(member);
                }
            }
        }
        if best.is_some() {
            return best;
        }
    }
    None
}

/// Which cells one search has visited, cleared in constant time between searches.
struct Visited {
    stamp: Vec<u32>,
    now: u32,
}

impl Visited {
    fn new(cells: usize) -> Self {
        Visited { stamp: vec![0; cells], now: 0 }
    }

    fn start(&mut self) {
        self.now = self.now.wrapping_add(1);
        if self.now == 0 {
            self.stamp.fill(0);
            self.now = 1;
        }
    }

    /// Marks `cell`; whether it was not marked yet.
    fn insert(&mut self, cell: usize) -> bool {
        match self.stamp.get_mut(cell) {
            Some(mark) if *mark != self.now => {
                *mark = self.now;
                true
            }
            _ => false,
        }
    }
}
