//! The open-data API: public statistics with disclosure control, report-level records, the
//! catalogue, and the public dashboard.
mod catalog;
mod dashboard;
mod logs;
mod records;
mod stats;
