//! What every request handler shares: the database, the intake writer, the in-memory
//! configuration (departments, categories, routing rules, the area index), and settings.

use crate::domain::placement::Placer;
use crate::intake::Intake;
use crate::intake::photos::PhotoService;
use crate::intake::writer::IntakeWriter;
use crate::storage::Database;
pub use crate::storage::snapshot::{ConfigHandle, Snapshot};

/// Shared application state.
pub struct AppState {
    /// The database pool.
    pub db: Database,
    /// The group-commit intake writer.
    pub writer: IntakeWriter,
    /// Departments, categories, rules and areas.
    pub config: ConfigHandle,
    /// Municipalities served (CBS codes); empty: every known one.
    pub served: Vec<String>,
    /// Token for the admin API; `None` disables it.
    pub admin_token: Option<String>,
    /// Largest accepted request body, in bytes.
    pub max_body_bytes: usize,
    /// Largest accepted area file, in bytes.
    pub max_import_bytes: usize,
    /// The OpenAPI document, rendered once.
    pub openapi_json: String,
    /// Path templates of every route, to tell a 405 from a 404.
    pub route_templates: Vec<String>,
    /// Open311 API keys accepted for POST.
    pub open311_api_keys: Vec<String>,
    /// Whether Open311 POST without an API key is accepted.
    pub open311_anonymous_post: bool,
    /// How long a login session lasts.
    pub session_hours: u64,
    /// Whether the console's session cookie is `Secure`.
    pub console_secure_cookies: bool,
    /// The console maps' background tiles, if any.
    pub console_tiles: Option<crate::config::console::TileSource>,
    /// Photo store, upload token secret and limits.
    pub photos: PhotoService,
    /// Recent map answers.
    pub map_cache: crate::api::public::map::MapCache,
    /// Most features in one map answer.
    pub map_max_features: usize,
    /// Public base URL of this service (for absolute links such as Open311's `media_url`).
    pub public_url: String,
    /// Signs and checks subscribers' private links.
    pub links: crate::domain::subscription::LinkSigner,
    /// Whether webhook subscriptions (and push endpoints) may target plain http and private
    /// addresses.
    pub webhook_allow_insecure: bool,
    /// The VAPID public key (browsers' `applicationServerKey`); `None`: push is off.
    pub push_public_key: Option<String>,
    /// Areas of every loaded boundary year, for statistics.
    pub boundary_years: crate::insight::years::Years,
    /// Days after a resolution that its survey may be answered (and a reopen requested).
    pub survey_days: i64,
    /// Statistics hide counts of non-public categories below this.
    pub stats_min_count: i64,
    /// The open-data settings.
    pub open: crate::domain::open_data::OpenSettings,
    /// The protected grids of the public statistics, kept for a minute.
    pub open_grids: crate::insight::open::OpenGrids,
    /// Abuse limits per client address, per typed email address, and for failed logins.
    pub limits: crate::api::limits::Limits,
    /// How long a client may take to send a request body (zero: no limit).
    pub body_timeout: std::time::Duration,
    /// Single sign-on: the identity provider (if any), whether passwords work, the login
    /// cookie's signer.
    pub sso: crate::api::sso::Sso,
    /// Renders an announcement email as a subscriber would get it (the outbox's renderer,
    /// handed in at start-up: the API layer does not import `notify` or `jobs`).
    pub announcement_preview: AnnouncementPreview,
}

/// The outbox's rendering of an announcement email for one language: subject and text.
pub type AnnouncementPreview = fn(
    &crate::domain::announcement::Announcement,
    crate::domain::report::Language,
    &crate::domain::subscription::LinkSigner,
    &str,
) -> (String, String);

impl AppState {
    /// A placer (area stamping and routing) over the given configuration snapshot.
    pub fn placer<'a>(&'a self, snapshot: &'a Snapshot) -> Placer<'a> {
        crate::intake::placer(snapshot, &self.served)
    }

    /// The intake pipeline, over this process's writer, configuration and photo store.
    pub fn intake(&self) -> Intake<'_> {
        Intake { db: &self.db, writer: &self.writer, config: &self.config, served: &self.served, photos: &self.photos }
    }
}
