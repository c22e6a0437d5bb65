//! meldpunt: a citizen issue-reporting backend for municipalities.
//!
//! Map of the crate (dependencies point down this list, never up; `docs/architecture.md`
//! has the picture and `scripts/check-layers.sh` checks the rules):
//! - [`config`] — settings from defaults, an optional file and the environment;
//! - [`startup`] — builds the server, the database and the background workers;
//! - [`telemetry`] — logging;
//! - [`api`] — HTTP only, one folder per audience (public, staff, admin, open311), and the
//!   Prometheus metrics on their own listener;
//! - [`insight`] — statistics and projects for analysts;
//! - [`intake`] — the one pipeline that files a report, whatever the channel;
//! - [`jobs`] — the outbox worker and scheduled jobs;
//! - [`notify`] — email, webhooks and web push, and their message templates;
//! - [`oidc`] — the OpenID Connect client: discovery, signing keys, JWT validation, the
//!   code flow with PKCE (single sign-on);
//! - [`storage`] — diesel on SQLite and PostgreSQL, the only place with SQL;
//! - [`domain`] — pure product rules, knowing no HTTP, SQL or mail.
//!
//! With the cargo feature `fuzzing`, `fuzzing` holds the entry points of the fuzz targets in
//! `fuzz/`.

pub mod api;
pub mod config;
pub mod domain;
#[cfg(feature = "fuzzing")]
#[doc(hidden)]
pub mod fuzzing;
pub mod import;
pub mod insight;
pub mod intake;
pub mod jobs;
pub mod notify;
pub mod oidc;
pub mod startup;
pub mod storage;
pub mod telemetry;
