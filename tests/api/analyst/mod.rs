//! The analyst's side: statistics per CBS area, category and period, and projects.

mod boundaries;
mod history;
mod projects;
mod rollup;
pub(crate) mod stats;
