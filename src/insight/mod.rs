//! The analyst's side of meldpunt: statistics per CBS area, category and period in any
//! loaded boundary year, and baseline-and-monitoring projects. Uses domain and storage;
//! knows no HTTP.

pub mod drawn;
pub mod open;
pub mod projects;
pub mod scope;
pub mod statistics;
pub mod windows;
pub mod years;
