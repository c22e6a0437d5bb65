//! The open-data API: public statistics with disclosure control, downloads, catalogue.

mod catalog;
mod logs;
mod records;
mod stats;
