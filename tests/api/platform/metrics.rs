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

/// Scrapes `address` until it answers (a process starting up), and parses the scrape.
async fn scrape_process(address: &str) -> Scrape {
    let client = reqwest::Client::new();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        if let Ok(response) = client.get(format!("{address}/metrics")).send().await
            && response.status() == 200
        {
            let text = response.text().await.unwrap();
            return tokio::task::spawn_blocking(move || parse(&text)).await.unwrap();
        }
        assert!(std::time::Instant::now() < deadline, "no metrics at {address}");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

on_both_backends! {
    async fn a_server_and_a_worker_process_each_serve_their_own_metrics_and_still_stop_cleanly(backend: Backend) {
        use crate::support::net::free_port;
        use crate::support::process::{start, start_worker, stop};
        let dir = tempfile::tempdir().unwrap();
        let (url, _guard) = fresh_database(backend);
        let (server_metrics, worker_metrics) =
            (format!("127.0.0.1:{}", free_port()), format!("127.0.0.1:{}", free_port()));
        let server = start(dir.path(), &[
            ("DATABASE_URL", url.as_str()),
            ("MELDPUNT_OUTBOX_IN_SERVER", "false"),
            ("MELDPUNT_METRICS_LISTEN", server_metrics.as_str()),
        ])
        .await;
        let worker = start_worker(dir.path(), &[
            ("DATABASE_URL", url.as_str()),
            ("MELDPUNT_METRICS_LISTEN", worker_metrics.as_str()),
        ]);
        let response = reqwest::Client::new()
            .post(format!("{}/api/v1/reports", server.address))
            .json(&street_light_report())
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 201);

        let served = scrape_process(&format!("http://{server_metrics}")).await;
        assert!(served.value("meldpunt_http_requests_total", &FILED) >= 1.0, "the server counts its requests");
        assert!(served.families.contains_key("meldpunt_intake_queue_depth"));
        let worked = scrape_process(&format!("http://{worker_metrics}")).await;
        assert!(worked.families.contains_key("meldpunt_outbox_messages"), "the worker reads the backlog too");
        assert!(worked.families.contains_key("meldpunt_scheduler_runs"), "the worker runs the scheduler");
        assert_eq!(worked.value("meldpunt_http_requests_total", &FILED), 0.0, "each process counts its own");

        let (clean, logs) = stop(worker);
        assert!(clean, "the worker stops on SIGTERM with its metrics listener: {logs}");
        let (clean, logs) = stop(server);
        assert!(clean, "the server stops on SIGTERM with its metrics listener: {logs}");
        assert!(logs.contains("metrics are served at /metrics"), "{logs}");
    }
}
