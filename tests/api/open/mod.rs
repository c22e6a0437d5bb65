//! The open-data API: public statistics with disclosure control, downloads, catalogue.
mod logs;
mod stats;
