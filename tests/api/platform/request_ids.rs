//! Request ids: a well-formed `X-Request-Id` is kept, any other replaced; every response
//! carries it, problem bodies quote it, and the request's log lines name it.

use serde_json::Value;

use crate::support::app::expect_problem;
use crate::support::backends::on_both_backends;
use crate::support::process::{start, stop};

fn id_of(response: &reqwest::Response) -> String {
    response.headers().get("x-request-id").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned()
}

on_both_backends! {
    async fn a_well_formed_request_id_is_kept_and_any_other_is_replaced_by_a_fresh_one(app) {
        let kept = app.client.get(app.url("/healthz")).header("X-Request-Id", "app-7.Q_x-42").send().await.unwrap();
        assert_eq!(id_of(&kept), "app-7.Q_x-42");
        for bad in ["with space", "quote\"d", &"x".repeat(65)] {
            let replaced = app.client.get(app.url("/healthz")).header("X-Request-Id", bad).send().await.unwrap();
            let id = id_of(&replaced);
            assert!(uuid::Uuid::parse_str(&id).is_ok(), "{bad:?} gave {id:?}");
        }
        let first = id_of(&app.get("/healthz").await);
        let second = id_of(&app.get("/healthz").await);
        assert!(uuid::Uuid::parse_str(&first).is_ok() && first != second, "{first} {second}");
    }

    async fn problem_answers_and_404s_carry_the_request_id_in_header_and_body(app) {
        let missing = app.client.get(app.url("/api/v1/nothing-here")).header("X-Request-Id", "quote-me-1").send().await.unwrap();
        assert_eq!(id_of(&missing), "quote-me-1");
        let problem = expect_problem(missing, 404).await;
        assert_eq!(problem["request_id"], "quote-me-1");

        let invalid = app.client.post(app.url("/api/v1/reports")).header("Content-Type", "application/json").body("{").send().await.unwrap();
        let id = id_of(&invalid);
        let problem: Value = expect_problem(invalid, 400).await;
        assert_eq!(problem["request_id"].as_str(), Some(id.as_str()));
        assert!(uuid::Uuid::parse_str(&id).is_ok());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_log_line_of_a_request_names_its_request_id() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(dir.path(), &[("MELDPUNT_LOG_FORMAT", "json")]).await;
    let client = reqwest::Client::new();
    let response = client
        .get(format!("{}/api/v1/reports/not-a-uuid", server.address))
        .header("X-Request-Id", "trace-me-2026")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 404);
    let (_, logs) = stop(server);
    let lines: Vec<&str> = logs.lines().filter(|l| l.contains("request rejected")).collect();
    assert!(!lines.is_empty(), "{logs}");
    assert!(lines.iter().any(|l| l.contains("\"request_id\":\"trace-me-2026\"")), "{lines:?}");
}
