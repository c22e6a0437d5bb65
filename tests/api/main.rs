//! Integration tests through the public HTTP API, each on SQLite and on PostgreSQL.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    reason = "a panic in a test is a failed test; serde_json indexing reads best in assertions"
)]

mod helpers;

mod bad_input;
mod basics;
mod idempotency;
mod intake;
mod map;
mod openapi;
mod photo_store;
mod photos;
mod privacy;
mod process;
mod robustness;
