//! Integration tests through the public HTTP API and the `meldpunt` binary, each on SQLite
//! and on PostgreSQL. The folders follow the product; `support` holds what they share.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    reason = "a panic in a test is a failed test; serde_json indexing reads best in assertions"
)]

mod support;

mod admin;
mod analyst;
mod announcements;
mod console;
mod events;
mod open;
mod open311;
mod platform;
mod privacy;
mod reports;
mod residents;
mod sso;
mod staff;
mod subscriptions;
mod survey;
