//! The real server on 127.0.0.1:0 with a fresh database per test: on SQLite a temp file, on
//! PostgreSQL a fresh database on the server [`super::postgres`] finds or starts.

use std::time::Duration;

use diesel::Connection;
use diesel::connection::SimpleConnection;
use diesel::pg::PgConnection;
use meldpunt::config::Settings;
use meldpunt::startup::Application;
use meldpunt::storage::{Database, DatabaseSettings, SqliteSynchronous};
use serde_json::Value;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A running server with its own database.
pub struct TestApp {
    pub address: String,
    pub client: reqwest::Client,
    pub backend: Backend,
    pub database_url: String,
    /// `http://127.0.0.1:PORT` of the metrics listener, when `metrics_listen` is set.
    pub metrics_address: Option<String>,
    _guard: DatabaseGuard,
}

/// Removes a test database when dropped.
pub enum DatabaseGuard {
    /// Another app owns the database.
    Borrowed,
    Sqlite {
        _dir: tempfile::TempDir,
    },
    Postgres {
        admin_url: String,
        name: String,
    },
}

impl Drop for DatabaseGuard {
    fn drop(&mut self) {
        if let DatabaseGuard::Postgres { admin_url, name } = self
            && let Ok(mut conn) = PgConnection::establish(admin_url)
        {
            let _ = conn.batch_execute(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"));
        }
    }
}

/// The admin token every test server is configured with.
pub const ADMIN_TOKEN: &str = "test-admin-token-0123456789";

pub async fn spawn_app(backend: Backend) -> TestApp {
    spawn_app_with(backend, |_| {}).await
}

/// Starts a server on a fresh database of `backend`, with settings adjusted by `adjust`.
pub async fn spawn_app_with(backend: Backend, adjust: impl FnOnce(&mut Settings)) -> TestApp {
    let (database_url, guard) = fresh_database(backend);
    let mut settings = test_settings(&database_url);
    adjust(&mut settings);
    start(settings, backend, guard).await
}

pub fn test_settings(database_url: &str) -> Settings {
    Settings {
        listen: "127.0.0.1:0".into(),
        database_url: database_url.to_owned(),
        database_pool_size: 4,
        http_workers: 1,
        config_poll_ms: 250,
        admin_token: ADMIN_TOKEN.into(),
        // What the subscriber is installed with (super::logs); a server does not read it.
        log: super::logs::filter(),
        mail_dir: std::env::temp_dir().join("meldpunt-test-mail").display().to_string(),
        // Tests start retention themselves (`meldpunt retention run`), never by the clock.
        retention_at: "off".into(),
        // No background map: test machines may not reach PDOK, and a browser test fails on
        // a request to another host. tests/api/console/tiles.rs turns it on.
        console_tile_url: String::new(),
        // The abuse limits keep their production defaults: every test server is one client
        // (127.0.0.1) and the defaults are generous enough for what a test sends; the tests
        // of the limits (tests/api/platform/limits.rs) lower a limit to see the 429.
        ..Settings::default()
    }
}

async fn start(settings: Settings, backend: Backend, guard: DatabaseGuard) -> TestApp {
    super::logs::install();
    let database_url = settings.database_url.clone();
    let app = Application::build(settings).await.unwrap_or_else(|e| panic!("the test server did not start: {e:#}"));
    let address = format!("http://127.0.0.1:{}", app.port());
    let metrics_address = app.metrics_port().map(|port| format!("http://127.0.0.1:{port}"));
    tokio::spawn(app.run());
    TestApp { address, client: reqwest::Client::new(), backend, database_url, metrics_address, _guard: guard }
}

/// A fresh empty database of `backend`: its URL, and the guard that removes it.
pub fn fresh_database(backend: Backend) -> (String, DatabaseGuard) {
    match backend {
        Backend::Sqlite => {
            let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
            let url = format!("sqlite://{}", dir.path().join("meldpunt.sqlite3").display());
            (url, DatabaseGuard::Sqlite { _dir: dir })
        }
        Backend::Postgres => {
            let admin_url = super::postgres::admin_url().to_owned();
            let name = format!("meldpunt_test_{}", uuid::Uuid::new_v4().simple());
            let mut conn = PgConnection::establish(&admin_url)
                .unwrap_or_else(|e| panic!("cannot reach PostgreSQL at {admin_url}: {e}"));
            conn.batch_execute(&format!("CREATE DATABASE \"{name}\""))
                .unwrap_or_else(|e| panic!("cannot create a test database: {e}"));
            (super::postgres::with_database(&admin_url, &name), DatabaseGuard::Postgres { admin_url, name })
        }
    }
}

/// Starts a second server on `app`'s database with settings adjusted by `adjust`.
pub async fn start_on_same_database_with(app: &TestApp, adjust: impl FnOnce(&mut Settings)) -> TestApp {
    let mut settings = test_settings(&app.database_url);
    adjust(&mut settings);
    start(settings, app.backend, DatabaseGuard::Borrowed).await
}

impl TestApp {
    /// Starts a second server on this app's database (a restart, or a second process).
    pub async fn restart_on_same_database(&self) -> TestApp {
        start(test_settings(&self.database_url), self.backend, DatabaseGuard::Borrowed).await
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client.get(self.url(path)).send().await.unwrap_or_else(|e| panic!("GET {path}: {e}"))
    }

    /// GETs `path` and reads the body as JSON, asserting a 200.
    pub async fn get_json(&self, path: &str) -> Value {
        let response = self.get(path).await;
        assert_eq!(response.status(), 200, "GET {path}");
        response.json().await.unwrap_or_else(|e| panic!("GET {path}: {e}"))
    }

    /// POSTs `body` as JSON to /api/v1/reports, with an optional Idempotency-Key.
    pub async fn post_report(&self, body: &Value, key: Option<&str>) -> reqwest::Response {
        let mut request = self.client.post(self.url("/api/v1/reports")).json(body);
        if let Some(key) = key {
            request = request.header("Idempotency-Key", key);
        }
        request.send().await.unwrap_or_else(|e| panic!("POST /api/v1/reports: {e}"))
    }

    /// POSTs raw bytes with the given Content-Type (None: no header) to `path`.
    pub async fn post_raw(
        &self,
        path: &str,
        content_type: Option<&str>,
        body: impl Into<reqwest::Body>,
    ) -> reqwest::Response {
        let mut request = self.client.post(self.url(path)).body(body);
        if let Some(content_type) = content_type {
            request = request.header("Content-Type", content_type);
        }
        request.send().await.unwrap_or_else(|e| panic!("POST {path}: {e}"))
    }

    /// A request to `path` carrying the admin token.
    pub fn admin(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        self.client.request(method, self.url(path)).bearer_auth(ADMIN_TOKEN)
    }

    /// Sends an admin request with an optional JSON body and returns status and JSON body
    /// (`Null` when the body is empty or not JSON).
    pub async fn admin_json(&self, method: reqwest::Method, path: &str, body: Option<&Value>) -> (u16, Value) {
        let mut request = self.admin(method, path);
        if let Some(body) = body {
            request = request.json(body);
        }
        let response = request.send().await.unwrap_or_else(|e| panic!("{path}: {e}"));
        let status = response.status().as_u16();
        let text = response.text().await.unwrap_or_default();
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    /// This app's database opened directly, for what the API does not show.
    pub fn database(&self) -> Database {
        open_database(&self.database_url)
    }

    /// How many reports the database holds (read directly: the API has no count yet).
    pub async fn stored_reports(&self) -> i64 {
        let url = self.database_url.clone();
        tokio::task::spawn_blocking(move || {
            let mut conn = open_database(&url).conn().unwrap_or_else(|e| panic!("{e}"));
            meldpunt::storage::reports::count(&mut conn).unwrap_or_else(|e| panic!("{e}"))
        })
        .await
        .unwrap_or_else(|e| panic!("{e}"))
    }

    /// The outbox's counts by state (read directly).
    pub async fn outbox_counts(&self) -> meldpunt::storage::outbox::OutboxCounts {
        let url = self.database_url.clone();
        tokio::task::spawn_blocking(move || {
            let mut conn = open_database(&url).conn().unwrap_or_else(|e| panic!("{e}"));
            meldpunt::storage::outbox::counts(&mut conn).unwrap_or_else(|e| panic!("{e}"))
        })
        .await
        .unwrap_or_else(|e| panic!("{e}"))
    }
}

pub fn open_database(url: &str) -> Database {
    Database::open(&DatabaseSettings {
        url: url.to_owned(),
        pool_size: 2,
        pool_timeout: Duration::from_secs(5),
        sqlite_synchronous: SqliteSynchronous::Full,
    })
    .unwrap_or_else(|e| panic!("{e}"))
}

/// A valid report body in a plain public category.
pub fn street_light_report() -> Value {
    serde_json::json!({
        "category": "straatverlichting-openbare-klok",
        "description": "De lantaarnpaal voor Akerstraat 12 is al drie dagen uit.",
        "location": {"lat": 50.8882, "lon": 5.9795},
        "address": "Akerstraat 12, Heerlen",
        "answers": {"probleem": "uit", "aantal_lampen": 1}
    })
}

/// Reads a response as a problem document, checking its media type and status.
pub async fn expect_problem(response: reqwest::Response, status: u16) -> Value {
    assert_eq!(response.status().as_u16(), status, "unexpected status");
    let content_type =
        response.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
    assert_eq!(content_type, "application/problem+json");
    let problem: Value = response.json().await.unwrap_or_else(|e| panic!("problem body is not JSON: {e}"));
    assert_eq!(problem["status"], status);
    assert!(problem["type"].as_str().is_some_and(|t| t.starts_with("urn:meldpunt:problem:")), "{problem}");
    assert!(problem["title"].as_str().is_some_and(|t| !t.is_empty()), "{problem}");
    assert!(problem["detail"].as_str().is_some_and(|t| t.len() > 10), "{problem}");
    problem
}

/// The JSON Pointers a validation problem names.
pub fn pointers(problem: &Value) -> Vec<String> {
    problem["errors"]
        .as_array()
        .map(|errors| errors.iter().filter_map(|e| e["pointer"].as_str().map(str::to_owned)).collect())
        .unwrap_or_default()
}
