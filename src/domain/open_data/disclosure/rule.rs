//! What a published cell says: the rule that turns a count into what is shown (hidden
//! below the threshold, else rounded to a multiple of the base) and, the other way round,
//! what an attacker knows of a count from what is shown.

use super::{Bounds, Shown};

/// How counts are published.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rule {
    /// Counts below this, zero too, are hidden as "fewer than N".
    pub min_count: i64,
    /// Other counts are rounded to the nearest multiple of this (halves up), and never to
    /// zero; 1 publishes them exactly.
    pub base: i64,
}

impl Rule {
    /// A rule; a base below 1 is taken as 1, a threshold below 1 as 1.
    pub fn new(min_count: i64, base: i64) -> Self {
        Rule { min_count: min_count.max(1), base: base.max(1) }
    }

    /// What is published of `count` before any cell is hidden to protect another.
    pub fn publish(self, count: i64) -> Shown {
        if count < self.min_count { Shown::Small } else { Shown::Count(self.round(count)) }
    }

    /// `count` rounded to the nearest multiple of the base (halves up), at least the base.
    pub fn round(self, count: i64) -> i64 {
        let b = self.base;
        (b * ((count + b / 2) / b)).max(b)
    }

    /// Everything an attacker can tell of a count from what is shown of it.
    pub fn bounds(self, shown: Shown) -> Bounds {
        let n = self.min_count;
        match shown {
            Shown::Count(0) => Bounds { low: Some(0), high: Some(0) },
            Shown::Count(r) => {
                let b = self.base;
                let low = if r <= b { n } else { (r - b / 2).max(n) };
                Bounds { low: Some(low), high: Some(r + (b - 1 - b / 2)) }
            }
            Shown::Small => Bounds { low: Some(0), high: Some(n - 1) },
            Shown::Protecting => Bounds { low: Some(n), high: None },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_count_lies_within_the_bounds_of_what_is_shown_of_it_and_they_are_tight() {
        for (min_count, base) in [(5, 5), (3, 5), (5, 1), (3, 10), (10, 5), (5, 2)] {
            let rule = Rule::new(min_count, base);
            let mut distinct: Vec<Shown> = (0..200).map(|v| rule.publish(v)).collect();
            distinct.dedup();
            for shown_value in distinct {
                let within: Vec<i64> = (0..200).filter(|&v| rule.publish(v) == shown_value).collect();
                let b = rule.bounds(shown_value);
                assert_eq!(b.low, within.first().copied(), "{rule:?} {shown_value:?}");
                if within.last() != Some(&199) {
                    assert_eq!(b.high, within.last().copied(), "{rule:?} {shown_value:?}");
                }
            }
        }
    }

    #[test]
    fn counts_round_like_cbs_person_counts() {
        let rule = Rule::new(5, 5);
        let shown: Vec<Shown> = [0, 1, 4, 5, 7, 8, 12, 13, 102].into_iter().map(|v| rule.publish(v)).collect();
        use Shown::*;
        assert_eq!(shown, [Small, Small, Small, Count(5), Count(5), Count(10), Count(10), Count(15), Count(100)]);
        assert_eq!(Rule::new(3, 10).publish(3), Count(10), "never rounded to zero");
    }
}
