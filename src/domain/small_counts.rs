//! Small counts: the disclosure rule that keeps a count of few people from pointing at
//! someone. A count below the threshold is shown as "fewer than N" without the number, and
//! a total adds only the counts that are shown, so no hidden count can be worked out by
//! subtracting the shown ones from it.

use std::collections::BTreeMap;

/// Counts below this are shown as "fewer than 5".
pub const SMALL_COUNT: i64 = 5;

/// The count as it may be shown: `None` when it is below [`SMALL_COUNT`].
pub fn shown(count: i64) -> Option<i64> {
    (count >= SMALL_COUNT).then_some(count)
}

/// How a count reads: the number, or "fewer than 5".
pub fn display(count: i64) -> String {
    match shown(count) {
        Some(count) => count.to_string(),
        None => format!("fewer than {SMALL_COUNT}"),
    }
}

/// Answer counts of a quick question tallied per area, with the totals of shown counts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tally {
    /// Every covered area (and any other area answers came from), in code order, with the
    /// raw count per option. Areas without answers are listed too, so that being listed
    /// reveals nothing.
    pub areas: Vec<(String, Vec<i64>)>,
    /// Per option, the sum of the counts that are shown.
    pub totals_of_shown: Vec<i64>,
}

/// Tallies `(area, option, count)` rows for a question with `options` answer options
/// over the `covered` areas. Rows for an option that does not exist are ignored.
pub fn tally(options: usize, covered: &[String], counts: &[(String, i32, i64)]) -> Tally {
    let mut per_area: BTreeMap<String, Vec<i64>> =
        covered.iter().map(|area| (area.clone(), vec![0; options])).collect();
    for (area, option, count) in counts {
        let row = per_area.entry(area.clone()).or_insert_with(|| vec![0; options]);
        if let Some(slot) = usize::try_from(*option).ok().and_then(|o| row.get_mut(o)) {
            *slot += count;
        }
    }
    let mut totals_of_shown = vec![0i64; options];
    for row in per_area.values() {
        for (total, count) in totals_of_shown.iter_mut().zip(row) {
            *total += shown(*count).unwrap_or(0);
        }
    }
    Tally { areas: per_area.into_iter().collect(), totals_of_shown }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_below_five_are_hidden_and_totals_add_only_shown_counts() {
        let counts = vec![("BU1".to_owned(), 0, 7), ("BU1".to_owned(), 1, 2), ("BU2".to_owned(), 0, 3)];
        let tally = tally(2, &["BU1".into(), "BU2".into(), "BU3".into()], &counts);
        assert_eq!(tally.areas.len(), 3);
        assert_eq!(tally.totals_of_shown, vec![7, 0]);
        assert_eq!((shown(4), shown(5)), (None, Some(5)));
        assert_eq!(display(2), "fewer than 5");
    }

    #[test]
    fn an_answer_for_an_option_that_does_not_exist_is_ignored() {
        let tally = tally(2, &[], &[("BU1".to_owned(), 5, 9), ("BU1".to_owned(), -1, 9)]);
        assert_eq!(tally.areas, vec![("BU1".to_owned(), vec![0, 0])]);
    }
}
