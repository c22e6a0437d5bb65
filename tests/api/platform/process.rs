//! The `meldpunt` binary as an operator runs it: defaults, environment, logs, shutdown.

use std::process::Command;

use crate::support::app::*;
use crate::support::net::free_port;
use crate::support::process::{captured, start, stop};

async fn file_report_with_contact_and_a_bad_one(address: &str) {
    let client = reqwest::Client::new();
    let body = serde_json::json!({
        "category": "veeg-zwerfvuil",
        "description": "Zwerfvuil bij de bushalte",
        "location": {"lat": 50.8882, "lon": 5.9795},
        "reporter": {"email": "geheim.adres@example.nl", "phone": "+31 6 9876 5432", "name": "Piet Geheim"}
    });
    let response = client.post(format!("{address}/api/v1/reports")).json(&body).send().await.unwrap();
    assert_eq!(response.status(), 201);
    let mut bad = body.clone();
    bad["reporter"]["email"] = serde_json::json!("geheim.adres-at-example.nl");
    let response = client.post(format!("{address}/api/v1/reports")).json(&bad).send().await.unwrap();
    assert_eq!(response.status(), 422);
}

fn assert_no_personal_data(logs: &str) {
    assert!(logs.contains("report filed"), "the log records intake: {logs}");
    // Whole values only: a short digit run such as "5432" also occurs in random ids and in PostgreSQL's port.
    for secret in ["geheim", "Geheim", "9876 5432", "698765432", "reqwest", "client_ip", "user_agent"] {
        assert!(!logs.contains(secret), "the log contains '{secret}':\n{logs}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_server_starts_on_an_sqlite_file_by_default_logs_no_personal_data_and_stops_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(dir.path(), &[]).await;
    let categories = reqwest::get(format!("{}/api/v1/categories", server.address)).await.unwrap();
    assert_eq!(categories.status(), 200, "the demo configuration is seeded");
    file_report_with_contact_and_a_bad_one(&server.address).await;
    let (clean, logs) = stop(server);
    assert!(clean, "exit status after SIGTERM: {logs}");
    assert!(dir.path().join("data/meldpunt.sqlite3").exists(), "the default database is data/meldpunt.sqlite3");
    assert_no_personal_data(&logs);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_server_runs_on_postgresql_when_database_url_says_so_and_logs_no_personal_data() {
    let dir = tempfile::tempdir().unwrap();
    let (url, _guard) = fresh_database(Backend::Postgres);
    let server = start(dir.path(), &[("DATABASE_URL", &url), ("MELDPUNT_LOG_FORMAT", "json")]).await;
    file_report_with_contact_and_a_bad_one(&server.address).await;
    let (clean, logs) = stop(server);
    assert!(clean, "{logs}");
    assert!(!dir.path().join("data").exists(), "no SQLite file is made when PostgreSQL is configured");
    assert!(logs.lines().filter(|l| l.starts_with('{')).count() > 3, "json log lines: {logs}");
    assert_no_personal_data(&logs);
}

#[test]
fn a_bad_setting_stops_the_start_with_a_message_naming_it() {
    let output = captured(Command::new(env!("CARGO_BIN_EXE_meldpunt")).env("MELDPUNT_SEED_DEMO", "perhaps"));
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("MELDPUNT_SEED_DEMO"), "{stderr}");
}

#[test]
fn an_unreachable_postgresql_stops_the_start_with_a_clear_message() {
    let port = free_port();
    let output = captured(
        Command::new(env!("CARGO_BIN_EXE_meldpunt"))
            .env("DATABASE_URL", format!("postgres://postgres@127.0.0.1:{port}/nowhere"))
            .env("MELDPUNT_LISTEN", "127.0.0.1:0"),
    );
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("cannot open the database") && stderr.contains("Connection refused"), "{stderr}");
}
