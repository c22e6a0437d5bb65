//! meldpunt: a citizen issue-reporting backend for municipalities.
//!
//! Map of the crate:
//! - [`config`] — settings from defaults, an optional file and the environment;
//! - [`startup`] — builds the server, the database and the background writers;
//! - [`api`] — the HTTP API, one module per resource;
//! - [`domain`] — pure product rules (categories, reports, validation, privacy);
//! - [`storage`] — diesel on SQLite and PostgreSQL, the only place with SQL;
//! - [`error`] — the one API error type, rendered as RFC 9457 problem+json;
//! - [`state`] — what every handler shares;
//! - [`telemetry`] — logging;
//! - [`notify`] — email templates and transports;
//! - [`jobs`] — the outbox worker.

pub mod api;
pub mod config;
pub mod domain;
pub mod error;
pub mod jobs;
pub mod notify;
pub mod startup;
pub mod state;
pub mod storage;
pub mod telemetry;
