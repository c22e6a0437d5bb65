//! Integration tests through the public HTTP API, each on SQLite and on PostgreSQL.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    reason = "a panic in a test is a failed test; serde_json indexing reads best in assertions"
)]

mod helpers;

mod areas;
mod bad_input;
mod basics;
mod idempotency;
mod intake;
mod map;
mod open311;
mod open311_client;
mod openapi;
mod photo_store;
mod photos;
mod privacy;
mod process;
mod push_helpers;
mod robustness;
mod routing;
mod staff;
mod staff_accounts;
mod staff_duplicates;
mod staff_helpers;
mod staff_mail;
mod staff_matrix;
mod staff_process;
mod staff_queue;
mod staff_triage;
mod subscriptions;
mod web_push;
mod worker;
