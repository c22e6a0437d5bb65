//! The open-data API: public statistics with disclosure control, downloads, catalogue; the
//! public dashboard.
mod dashboard;
mod logs;
mod stats;
