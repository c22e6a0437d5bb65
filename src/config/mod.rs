//! Settings: code defaults, overridden by an optional TOML file, overridden by environment
//! variables (`MELDPUNT_<SETTING>`, plus `DATABASE_URL`). Invalid settings stop the start.

use serde::{Deserialize, Serialize};

use crate::storage::SqliteSynchronous;

/// Every setting, with its default. The README has the same table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Settings {
    /// Address to listen on, `host:port`.
    pub listen: String,
    /// Address of the Prometheus scrape endpoint `GET /metrics`, `host:port`, a listener of
    /// its own apart from the API; empty: no metrics.
    pub metrics_listen: String,
    /// Database: an SQLite path or `sqlite://PATH`, or `postgres://…`.
    pub database_url: String,
    /// Most pooled database connections per process.
    pub database_pool_size: u32,
    /// How long a request waits for a pooled connection, in milliseconds.
    pub database_pool_timeout_ms: u64,
    /// SQLite `synchronous`: `full` (survives power loss) or `normal`.
    pub sqlite_synchronous: SqliteSynchronous,
    /// Seed Heerlen's demo departments and categories into an empty database.
    pub seed_demo: bool,
    /// Largest accepted request body, in bytes.
    pub max_body_bytes: usize,
    /// Intake writer threads, each with its own connection besides the pool; 0 picks 1 for
    /// SQLite and 2 for PostgreSQL.
    pub intake_writers: usize,
    /// Most reports committed in one intake transaction.
    pub intake_batch_max: usize,
    /// Most reports waiting for a writer before intake answers 503.
    pub intake_queue: usize,
    /// HTTP worker threads; 0 uses one per CPU core.
    pub http_workers: usize,
    /// Milliseconds between checks for configuration changed by other processes
    /// (departments, categories, rules, areas); 0 turns the check off.
    pub config_poll_ms: u64,
    /// Municipalities this deployment serves, as comma-separated CBS codes (`GM0917`);
    /// empty: every municipality in the area registry.
    pub municipalities: String,
    /// Bearer token for the admin API; empty disables the admin API.
    pub admin_token: String,
    /// Largest accepted area file (admin import) or key-figures file, in bytes.
    pub max_import_bytes: usize,
    /// Log filter (tracing `EnvFilter` syntax), e.g. `info` or `meldpunt=debug`.
    pub log: String,
    /// Log format: `text` or `json`.
    pub log_format: LogFormat,
    /// Open311 API keys accepted for `POST requests`, comma-separated; empty: none.
    pub open311_api_keys: String,
    /// Whether Open311 `POST requests` without an `api_key` is accepted.
    pub open311_anonymous_post: bool,
    /// Email of the first admin, created at start when no active admin exists.
    pub bootstrap_admin_email: String,
    /// Password of that first admin (at least 12 characters); change it after the first login.
    pub bootstrap_admin_password: String,
    /// How long a login session token is valid, in hours.
    pub session_hours: u64,
    /// Whether the console's session cookie is marked `Secure` (sent over HTTPS only).
    /// Browsers keep `Secure` cookies from `http://localhost` and `http://127.0.0.1` too;
    /// turn this off only to reach the console over plain HTTP on another host.
    pub console_secure_cookies: bool,
    /// The console maps' background: a tile URL with `{z}`, `{x}`, `{y}` (Web Mercator);
    /// empty: meldpunt's own area outlines only. See `console.rs`.
    pub console_tile_url: String,
    /// The attribution shown with that background.
    pub console_tile_attribution: String,
    /// SMTP server for emails (`smtp://host:port`, `smtps://user:pass@host`); empty: write
    /// `.eml` files to `mail_dir`.
    pub smtp_url: String,
    /// A PEM file of certificates to trust for the SMTP server's TLS besides the usual
    /// authorities (a relay with a private CA); empty: none.
    pub smtp_ca_file: String,
    /// Folder for `.eml` files when no SMTP server is set.
    pub mail_dir: String,
    /// Sender of emails.
    pub mail_from: String,
    /// Public base URL of this service, for the links in emails.
    pub public_url: String,
    /// Milliseconds the outbox worker waits when nothing is due.
    pub outbox_poll_ms: u64,
    /// First retry delay of a failed email in milliseconds; doubles per attempt (at most 1 h).
    pub outbox_retry_ms: u64,
    /// Attempts before an email is given up (dead-lettered).
    pub outbox_max_attempts: u32,
    /// Messages one outbox worker claims at a time.
    pub outbox_batch: usize,
    /// Messages one outbox worker sends at once; also the most pooled SMTP connections.
    pub outbox_concurrency: usize,
    /// Run the outbox worker, scheduled publishing, report alerts and the daily retention
    /// run inside the server;
    /// `false` when separate `meldpunt worker` processes do it.
    pub outbox_in_server: bool,
    /// Where photo files go: `local` (the folder `photo_dir`) or `s3` (the `s3_*` settings).
    pub photo_store: String,
    /// Folder for photos with `photo_store = "local"`; empty: `photos` beside the SQLite
    /// file (or `data/photos` with PostgreSQL).
    pub photo_dir: String,
    /// Most photos per report.
    pub photo_max_count: usize,
    /// Largest accepted photo file, in bytes.
    pub photo_max_bytes: usize,
    /// S3 bucket for photos.
    pub s3_bucket: String,
    /// S3 endpoint URL; empty: AWS for `s3_region`.
    pub s3_endpoint: String,
    pub s3_region: String,
    /// S3 access key id; empty: from the usual `AWS_*` environment variables.
    pub s3_access_key_id: String,
    pub s3_secret_access_key: String,
    /// Path-style S3 requests (`endpoint/bucket/key`), as MinIO and most self-hosted servers want.
    pub s3_path_style: bool,
    /// Key prefix inside the bucket, may be empty.
    pub s3_prefix: String,
    /// Most features in one map answer; more are paged.
    pub map_max_features: usize,
    /// Most map answers kept in each process's cache.
    pub map_cache_entries: usize,
    /// In statistics, counts of non-public and sensitive categories below this are shown
    /// as "fewer than N" (at least 3).
    pub stats_min_count: i64,
    /// In the public statistics and open data, counts below this are published as "fewer
    /// than N" (at least 3).
    pub open_min_count: i64,
    /// In the public statistics and open data, counts of `open_min_count` or more are
    /// rounded to the nearest multiple of this (as CBS publishes person counts); 1
    /// publishes them exactly (between 1 and 100).
    pub open_rounding_base: i64,
    /// Whether the public statistics also split main categories into their subcategories.
    pub open_subcategories: bool,
    /// Licence of the open data (an SPDX identifier, e.g. `CC0-1.0` or `CC-BY-4.0`); the CBS
    /// boundaries the data carries are always CC BY 4.0.
    pub open_data_licence: String,
    /// Publisher named in the open-data catalogue; empty: "Gemeente <name>" of the served
    /// municipalities.
    pub open_publisher: String,
    /// How long (seconds) each process keeps a protected grid of the public statistics
    /// before reading it again; 0 reads it for every request.
    pub open_cache_seconds: u64,
    /// Allow webhook subscriptions to plain `http` URLs and to private, loopback or
    /// link-local addresses. Off by default (SSRF protection); for tests and closed networks.
    pub webhook_allow_insecure: bool,
    /// How often (ms) each process looks for scheduled announcements that are due.
    pub announcement_poll_ms: u64,
    /// VAPID private key for Web Push: base64url of the raw 32-byte P-256 scalar (as
    /// `meldpunt vapid-keys` prints it); empty: the push channel is unavailable.
    pub vapid_private_key: String,
    /// Contact for push services, `mailto:…` or `https://…`; required with a VAPID key.
    pub vapid_subject: String,
    /// Days after a resolution that its reporter may answer the satisfaction survey or ask
    /// to reopen the report from the follow link (1-365).
    pub survey_days: i64,
    /// Days after a report is resolved or cancelled that its reporter's contact, follow
    /// links, supporters' addresses and queued emails are erased (at least 30).
    pub retention_anonymise_days: i64,
    /// Days after resolution that a resolved report is deleted, leaving an anonymous
    /// statistical record (at least 365).
    pub retention_resolved_days: i64,
    /// Days after cancellation that a cancelled report is deleted (at least 365).
    pub retention_cancelled_days: i64,
    /// Days after closing that a report's photos are deleted; 0: with the report (else at
    /// least 30).
    pub retention_photo_days: i64,
    /// Days after an email was sent or given up that its recipient and body are erased (at
    /// least 7).
    pub retention_outbox_days: i64,
    /// Days an unconfirmed email subscription is kept (at least 1).
    pub retention_unconfirmed_days: i64,
    /// Days the audit of views of personal data is kept (at least 365).
    pub retention_audit_days: i64,
    /// Time of the daily retention run, `HH:MM` in Europe/Amsterdam; `off`: only
    /// `meldpunt retention run`.
    pub retention_at: String,
    /// Rows per retention transaction (1-5000).
    pub retention_batch: i64,
    /// Seconds the retention lease lasts without renewal: how long a process that died
    /// while running the job keeps others from running it (1-3600).
    pub retention_lease_seconds: i64,
    /// Reverse proxies whose forwarded header is believed, comma-separated IPs or CIDRs
    /// (`10.0.0.5, 192.168.0.0/24`); empty: the TCP peer is the client.
    pub trusted_proxies: String,
    /// The header trusted proxies name the client in: `x-forwarded-for` or `forwarded`.
    pub trusted_proxy_header: String,
    /// Reports (JSON API and Open311) per client address per hour; 0: no limit.
    pub limit_reports_per_hour: u32,
    /// "Me too" supports per client address per hour; 0: no limit.
    pub limit_supports_per_hour: u32,
    /// New subscriptions per client address per hour; 0: no limit.
    pub limit_subscriptions_per_hour: u32,
    /// Access requests (AVG art. 15) per client address per hour; 0: no limit.
    pub limit_access_requests_per_hour: u32,
    /// Answers to quick questions per client address per hour; 0: no limit.
    pub limit_answers_per_hour: u32,
    /// Emails to one address a stranger typed (confirmations, access links) per hour; 0: no
    /// limit.
    pub limit_emails_per_address_per_hour: u32,
    /// Failed logins of one account before each further attempt must wait; 0: no limit.
    pub limit_login_failures_per_account: u32,
    /// Failed logins from one client address before each further attempt must wait; 0: no
    /// limit.
    pub limit_login_failures_per_address: u32,
    /// Longest wait (seconds) after repeated failed logins (the wait doubles per failure).
    pub limit_login_backoff_max_seconds: u32,
    /// Origins allowed to call the API from a browser (CORS), comma-separated exact origins
    /// (`https://meldingen.heerlen.nl`) or `*`; empty: no CORS headers.
    pub cors_allowed_origins: String,
    /// Seconds a client has to send the request line and headers (0: no limit).
    pub request_head_timeout_seconds: u64,
    /// Seconds a client has to send a request body, from the first byte of the request (0:
    /// no limit).
    pub request_body_timeout_seconds: u64,
    /// Single sign-on with OpenID Connect (`[oidc]` in the file, `MELDPUNT_OIDC_*` in the
    /// environment); off while `oidc.issuer` is empty. See `oidc.rs`.
    pub oidc: OidcSettings,
}

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line.
    Json,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            listen: "127.0.0.1:8080".into(),
            metrics_listen: String::new(),
            database_url: "sqlite://data/meldpunt.sqlite3".into(),
            database_pool_size: 16,
            database_pool_timeout_ms: 5000,
            sqlite_synchronous: SqliteSynchronous::Full,
            seed_demo: true,
            max_body_bytes: 64 * 1024,
            intake_writers: 0,
            intake_batch_max: 512,
            intake_queue: 20_000,
            http_workers: 0,
            config_poll_ms: 1000,
            municipalities: "GM0917".into(),
            admin_token: String::new(),
            max_import_bytes: 64 * 1024 * 1024,
            log: "info".into(),
            log_format: LogFormat::Text,
            open311_api_keys: String::new(),
            open311_anonymous_post: true,
            bootstrap_admin_email: String::new(),
            bootstrap_admin_password: String::new(),
            session_hours: 12,
            console_secure_cookies: true,
            console_tile_url: console::PDOK_BRT.into(),
            console_tile_attribution: console::PDOK_ATTRIBUTION.into(),
            smtp_url: String::new(),
            smtp_ca_file: String::new(),
            mail_dir: "mail".into(),
            mail_from: "meldpunt <noreply@localhost>".into(),
            public_url: "http://127.0.0.1:8080".into(),
            outbox_poll_ms: 500,
            outbox_retry_ms: 30_000,
            outbox_max_attempts: 10,
            outbox_batch: 500,
            outbox_concurrency: 16,
            outbox_in_server: true,
            photo_store: "local".into(),
            photo_dir: String::new(),
            photo_max_count: 5,
            photo_max_bytes: 10 * 1024 * 1024,
            s3_bucket: String::new(),
            s3_endpoint: String::new(),
            s3_region: "us-east-1".into(),
            s3_access_key_id: String::new(),
            s3_secret_access_key: String::new(),
            s3_path_style: false,
            s3_prefix: String::new(),
            map_max_features: 500,
            map_cache_entries: 1024,
            stats_min_count: 5,
            open_min_count: 5,
            open_rounding_base: 5,
            open_subcategories: false,
            open_data_licence: "CC0-1.0".into(),
            open_publisher: String::new(),
            open_cache_seconds: 60,
            webhook_allow_insecure: false,
            announcement_poll_ms: 1000,
            vapid_private_key: String::new(),
            vapid_subject: String::new(),
            survey_days: 14,
            retention_anonymise_days: 365,
            retention_resolved_days: 1825,
            retention_cancelled_days: 365,
            retention_photo_days: 0,
            retention_outbox_days: 30,
            retention_unconfirmed_days: 7,
            retention_audit_days: 730,
            retention_at: "03:30".into(),
            retention_batch: 200,
            retention_lease_seconds: 120,
            trusted_proxies: String::new(),
            trusted_proxy_header: "x-forwarded-for".into(),
            limit_reports_per_hour: 120,
            limit_supports_per_hour: 120,
            limit_subscriptions_per_hour: 30,
            limit_access_requests_per_hour: 10,
            limit_answers_per_hour: 300,
            limit_emails_per_address_per_hour: 5,
            limit_login_failures_per_account: 5,
            limit_login_failures_per_address: 20,
            limit_login_backoff_max_seconds: 300,
            cors_allowed_origins: String::new(),
            request_head_timeout_seconds: 10,
            request_body_timeout_seconds: 60,
            oidc: OidcSettings::default(),
        }
    }
}

/// A setting that cannot be used.
#[derive(Debug, thiserror::Error)]
#[error("configuration error: {0}")]
pub struct ConfigError(String);

impl Settings {
    /// Loads the settings: defaults < `file` (if given) < environment.
    pub fn load(
        file: Option<&std::path::Path>,
        env: impl Iterator<Item = (String, String)>,
    ) -> Result<Self, ConfigError> {
        let defaults = toml::Table::try_from(Settings::default()).map_err(|e| ConfigError(e.to_string()))?;
        let mut merged = defaults.clone();
        if let Some(path) = file {
            let text = std::fs::read_to_string(path)
                .map_err(|e| ConfigError(format!("cannot read {}: {e}", path.display())))?;
            let table: toml::Table =
                text.parse().map_err(|e| ConfigError(format!("{} is not valid TOML: {e}", path.display())))?;
            for (key, value) in table {
                if !defaults.contains_key(&key) {
                    return Err(ConfigError(format!("{} has an unknown setting '{key}'", path.display())));
                }
                if key == "oidc" {
                    oidc::merge_table(&mut merged, value, path)?;
                } else {
                    merged.insert(key, value);
                }
            }
        }
        environment::apply(&defaults, &mut merged, env)?;
        let settings: Settings = merged.try_into().map_err(|e: toml::de::Error| ConfigError(e.message().to_owned()))?;
        settings.check()?;
        Ok(settings)
    }

    /// The served municipality codes.
    pub fn served_municipalities(&self) -> Vec<String> {
        self.municipalities.split(',').map(|c| c.trim().to_ascii_uppercase()).filter(|c| !c.is_empty()).collect()
    }

    /// The accepted Open311 API keys.
    pub fn open311_keys(&self) -> Vec<String> {
        self.open311_api_keys.split(',').map(str::trim).filter(|k| !k.is_empty()).map(str::to_owned).collect()
    }

    /// The VAPID keys for Web Push, or `None` when no key is configured (push unavailable).
    pub fn vapid_keys(&self) -> Result<Option<crate::notify::webpush::VapidKeys>, ConfigError> {
        if self.vapid_private_key.trim().is_empty() {
            return Ok(None);
        }
        if self.vapid_subject.trim().is_empty() {
            return Err(ConfigError(
                "vapid_subject must be set with vapid_private_key: a contact for push services, \
                 `mailto:someone@example.org` or `https://…`"
                    .into(),
            ));
        }
        crate::notify::webpush::VapidKeys::from_settings(&self.vapid_private_key, &self.vapid_subject)
            .map(Some)
            .map_err(|e| ConfigError(e.to_string()))
    }

    fn check(&self) -> Result<(), ConfigError> {
        self.retention_policy()?;
        self.retention_daily_at()?;
        if !(1..=5000).contains(&self.retention_batch) {
            return Err(ConfigError(format!(
                "retention_batch must be between 1 and 5000, not {}",
                self.retention_batch
            )));
        }
        if !(1..=3600).contains(&self.retention_lease_seconds) {
            return Err(ConfigError(format!(
                "retention_lease_seconds must be between 1 and 3600, not {}",
                self.retention_lease_seconds
            )));
        }
        if self.listen.parse::<std::net::SocketAddr>().is_err() && !self.listen.contains(':') {
            return Err(ConfigError(format!("listen must be host:port, not '{}'", self.listen)));
        }
        if !self.metrics_listen.is_empty() && !self.metrics_listen.contains(':') {
            return Err(ConfigError(format!(
                "metrics_listen must be host:port or empty, not '{}'",
                self.metrics_listen
            )));
        }
        if self.database_url.trim().is_empty() {
            return Err(ConfigError("database_url must not be empty".into()));
        }
        if self.max_body_bytes < 1024 {
            return Err(ConfigError("max_body_bytes must be at least 1024".into()));
        }
        for code in self.served_municipalities() {
            if crate::domain::area::AreaLevel::of_code(&code) != Some(crate::domain::area::AreaLevel::Gemeente) {
                return Err(ConfigError(format!("municipalities: '{code}' is not a CBS gemeente code such as GM0917")));
            }
        }
        if !self.admin_token.is_empty() && self.admin_token.len() < 16 {
            return Err(ConfigError("admin_token must be at least 16 characters".into()));
        }
        if !self.bootstrap_admin_email.is_empty() {
            crate::domain::validation::email_address(&self.bootstrap_admin_email)
                .map_err(|e| ConfigError(format!("bootstrap_admin_email: {e}")))?;
            crate::domain::auth::check_password(&self.bootstrap_admin_password)
                .map_err(|e| ConfigError(format!("bootstrap_admin_password: {e}")))?;
        }
        crate::notify::mail::check_settings(&self.smtp_url, &self.smtp_ca_file)
            .map_err(|e| ConfigError(e.to_string()))?;
        if !(1..=365).contains(&self.survey_days) {
            return Err(ConfigError(format!("survey_days must be between 1 and 365, not {}", self.survey_days)));
        }
        if self.stats_min_count < 3 {
            return Err(ConfigError("stats_min_count must be at least 3 (counts below it are hidden)".into()));
        }
        if self.open_min_count < 3 {
            return Err(ConfigError("open_min_count must be at least 3 (public counts below it are hidden)".into()));
        }
        if !(1..=100).contains(&self.open_rounding_base) {
            return Err(ConfigError(
                "open_rounding_base must be between 1 (exact counts) and 100 (public counts are rounded to a multiple of it)"
                    .into(),
            ));
        }
        if !crate::domain::open_data::LICENCES.iter().any(|l| l.id == self.open_data_licence) {
            return Err(ConfigError(format!(
                "open_data_licence {:?} is not one meldpunt knows; use one of {}",
                self.open_data_licence,
                crate::domain::open_data::LICENCES.iter().map(|l| l.id).collect::<Vec<_>>().join(", ")
            )));
        }
        if self.session_hours == 0 {
            return Err(ConfigError("session_hours must be at least 1".into()));
        }
        if self.database_pool_size < 2 {
            return Err(ConfigError("database_pool_size must be at least 2".into()));
        }
        match self.photo_store.as_str() {
            "local" => {}
            "s3" if self.s3_bucket.trim().is_empty() => {
                return Err(ConfigError("photo_store is s3 but s3_bucket is empty".into()));
            }
            "s3" => {}
            other => return Err(ConfigError(format!("photo_store must be local or s3, not '{other}'"))),
        }
        if self.photo_max_bytes < 1024 {
            return Err(ConfigError("photo_max_bytes must be at least 1024".into()));
        }
        if !(1..=10_000).contains(&self.map_max_features) {
            return Err(ConfigError("map_max_features must be between 1 and 10000".into()));
        }
        self.vapid_keys()?;
        self.check_hardening()?;
        self.check_oidc()?;
        self.console_tiles()?;
        Ok(())
    }
}

pub mod console;
mod environment;
mod hardening;
mod oidc;
mod retention;

pub use oidc::OidcSettings;
#[cfg(test)]
mod tests;
