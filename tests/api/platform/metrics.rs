//! `GET /metrics` on its own listener (`metrics_listen`): off by default; when on, the
//! counters move as reports are filed and read, routes are named by their template, and the
//! scrape parses with a real Prometheus parser (prometheus_client from PyPI).

use crate::support::app::*;
use crate::support::backends::on_both_backends;
use crate::support::prometheus::{Scrape, parse};

async fn scrape(app: &TestApp) -> (String, Scrape) {
    let address = app.metrics_address.as_deref().expect("metrics_listen is set");
    let response = app.client.get(format!("{address}/metrics")).send().await.unwrap();
    assert_eq!(response.status(), 200);
    let content_type = response.headers()["content-type"].to_str().unwrap().to_owned();
    assert!(content_type.starts_with("text/plain; version=0.0.4"), "{content_type}");
    let text = response.text().await.unwrap();
    let parsed = tokio::task::spawn_blocking({
        let text = text.clone();
        move || parse(&text)
    })
    .await
    .unwrap();
    (text, parsed)
}

const FILED: [(&str, &str); 3] = [("method", "POST"), ("route", "/api/v1/reports"), ("status", "201")];
const READ: [(&str, &str); 3] = [("method", "GET"), ("route", "/api/v1/reports/{id}"), ("status", "200")];

on_both_backends! {
    async fn metrics_are_off_by_default_and_never_served_beside_the_api(app) {
        assert!(app.metrics_address.is_none(), "no metrics listener without metrics_listen");
        assert_eq!(app.get("/metrics").await.status(), 404);
    }

    async fn a_filed_report_moves_the_counters_of_a_scrape_that_a_real_prometheus_parser_reads(backend: Backend) {
        let app = spawn_app_with(backend, |s| s.metrics_listen = "127.0.0.1:0".into()).await;
        assert_eq!(app.get("/metrics").await.status(), 404, "the API listener does not serve metrics");
        let (_, before) = scrape(&app).await;
        let response = app.post_report(&street_light_report(), None).await;
        assert_eq!(response.status(), 201);
        let report: serde_json::Value = response.json().await.unwrap();
        let id = report["id"].as_str().unwrap();
        assert_eq!(app.get(&format!("/api/v1/reports/{id}")).await.status(), 200);
        for _ in 0..2 {
            assert_eq!(app.get("/api/v1/reports?bbox=5.97,50.88,5.99,50.895").await.status(), 200);
        }
        let (text, after) = scrape(&app).await;

        let moved = |name: &str, labels: &[(&str, &str)]| after.value(name, labels) - before.value(name, labels);
        assert!(moved("meldpunt_http_requests_total", &FILED) >= 1.0, "the POST is counted");
        assert!(moved("meldpunt_http_requests_total", &READ) >= 1.0, "the read is counted by its route template");
        assert!(moved("meldpunt_http_request_duration_seconds_count", &FILED) >= 1.0);
        assert!(!text.contains(id), "a route is its template, never a path with an id");
        assert!(moved("meldpunt_intake_batch_size_count", &[]) >= 1.0, "the intake batch is recorded");
        assert!(moved("meldpunt_intake_commit_seconds_count", &[("outcome", "committed")]) >= 1.0);
        assert!(moved("meldpunt_map_cache_requests_total", &[("result", "miss")]) >= 1.0);
        assert!(moved("meldpunt_map_cache_requests_total", &[("result", "hit")]) >= 1.0, "the second map read is a hit");

        for (family, kind) in [
            ("meldpunt_http_requests", "counter"),
            ("meldpunt_http_request_duration_seconds", "histogram"),
            ("meldpunt_intake_batch_size", "histogram"),
            ("meldpunt_intake_commit_seconds", "histogram"),
            ("meldpunt_intake_queue_depth", "gauge"),
            ("meldpunt_intake_queue_capacity", "gauge"),
            ("meldpunt_outbox_messages", "gauge"),
            ("meldpunt_outbox_oldest_pending_age_seconds", "gauge"),
            ("meldpunt_db_pool_connections", "gauge"),
            ("meldpunt_db_pool_idle_connections", "gauge"),
            ("meldpunt_db_pool_max_connections", "gauge"),
            ("meldpunt_scheduler_runs", "counter"),
            ("meldpunt_scheduler_last_run_timestamp_seconds", "gauge"),
        ] {
            assert_eq!(after.families.get(family).map(String::as_str), Some(kind), "{family} in {:?}", after.families);
        }
        assert!(after.value("meldpunt_intake_queue_capacity", &[]) >= 1.0);
        let dead = [("queue", "outbox"), ("channel", "email"), ("state", "dead")];
        assert!(after.samples.iter().any(|s| s.name == "meldpunt_outbox_messages"
            && dead.iter().all(|(k, v)| s.labels.get(*k).map(String::as_str) == Some(*v))),
            "dead letters are a series even at zero");
    }
}
