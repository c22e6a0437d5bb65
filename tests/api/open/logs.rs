//! The open-data endpoints as an operator runs the binary: with reports full of personal
//! data loaded and every open endpoint asked, not one log line holds any of it.

use reqwest::Method;

use super::stats::{EMAIL, NAME, PHONE, history};
use crate::support::app::{ADMIN_TOKEN, Backend, fresh_database};
use crate::support::process::{start, stop};

/// Every open-data address a client may ask.
pub const OPEN_PATHS: [&str; 12] = [
    "/api/v1/open/stats?year=2025",
    "/api/v1/open/stats?year=2025&level=wijk&period=quarter&format=csv",
    "/api/v1/open/aggregates.csv?year=2025&level=buurt",
    "/api/v1/open/aggregates.geojson?year=2025&level=wijk",
    "/api/v1/open/schema/aggregates.json",
    "/api/v1/open/stats?category=jongerenoverlast",
    "/api/v1/open/records.csv?year=2025",
    "/api/v1/open/records.geojson?year=2025",
    "/api/v1/open/schema/records.json",
    "/api/v1/open/catalog.jsonld",
    "/open/dashboard?year=2025",
    "/open/dashboard?year=2025&lang=en&category=afval&level=wijk",
];

async fn ask_everything(address: &str) {
    let client = reqwest::Client::new();
    let response = client
        .request(Method::POST, format!("{address}/api/v1/admin/imports/reports"))
        .bearer_auth(ADMIN_TOKEN)
        .header("Content-Type", "text/csv")
        .body(history())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200, "{}", response.text().await.unwrap_or_default());
    for path in OPEN_PATHS {
        let response = client.get(format!("{address}{path}")).send().await.unwrap();
        assert!(response.status() == 200 || response.status() == 422, "{path}: {}", response.status());
    }
}

fn assert_nothing_personal(logs: &str) {
    assert!(logs.contains("/api/v1/open/"), "the requests are logged: {logs}");
    for secret in [NAME, EMAIL, PHONE, "Opendata", "olaf"] {
        assert!(!logs.contains(secret), "the log holds {secret:?}:\n{logs}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_sqlite_no_log_line_of_the_open_data_holds_personal_data() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(dir.path(), &[("MELDPUNT_ADMIN_TOKEN", ADMIN_TOKEN)]).await;
    ask_everything(&server.address).await;
    let (clean, logs) = stop(server);
    assert!(clean, "{logs}");
    assert_nothing_personal(&logs);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_postgres_no_log_line_of_the_open_data_holds_personal_data() {
    let dir = tempfile::tempdir().unwrap();
    let (url, _guard) = fresh_database(Backend::Postgres);
    let server = start(dir.path(), &[("DATABASE_URL", &url), ("MELDPUNT_ADMIN_TOKEN", ADMIN_TOKEN)]).await;
    ask_everything(&server.address).await;
    let (clean, logs) = stop(server);
    assert!(clean, "{logs}");
    assert_nothing_personal(&logs);
}
