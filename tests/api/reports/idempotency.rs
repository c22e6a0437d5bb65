//! Retries with an Idempotency-Key never file a second report.

use crate::support::app::*;
use crate::support::backends::on_both_backends;

on_both_backends! {
    async fn a_retry_with_the_same_key_and_body_returns_the_original_report(app) {
        let first = app.post_report(&street_light_report(), Some("key-1")).await;
        assert_eq!(first.status(), 201);
        let first: serde_json::Value = first.json().await.unwrap();
        let retry = app.post_report(&street_light_report(), Some("key-1")).await;
        assert_eq!(retry.status(), 201);
        assert_eq!(retry.headers()["idempotent-replayed"], "true");
        let retry: serde_json::Value = retry.json().await.unwrap();
        assert_eq!(retry["id"], first["id"]);
        assert_eq!(retry["reference"], first["reference"]);
        assert_eq!(app.stored_reports().await, 1);
    }

    async fn the_same_body_with_keys_in_another_order_counts_as_the_same_request(app) {
        let body = street_light_report();
        let reordered: serde_json::Value = serde_json::from_str(&format!(
            r#"{{"location": {{"lon": 5.9795, "lat": 50.8882}}, "answers": {{"aantal_lampen": 1, "probleem": "uit"}},
               "address": "Akerstraat 12, Heerlen", "description": {}, "category": "straatverlichting-openbare-klok"}}"#,
            body["description"]
        ))
        .unwrap();
        let first: serde_json::Value = app.post_report(&body, Some("key-order")).await.json().await.unwrap();
        let retry: serde_json::Value = app.post_report(&reordered, Some("key-order")).await.json().await.unwrap();
        assert_eq!(retry["id"], first["id"]);
        assert_eq!(app.stored_reports().await, 1);
    }

    async fn racing_retries_with_one_key_store_one_report(app) {
        let body = street_light_report();
        let attempts = (0..24).map(|_| app.post_report(&body, Some("racing-key")));
        let responses = futures_util::future::join_all(attempts).await;
        let mut ids = std::collections::HashSet::new();
        for response in responses {
            assert_eq!(response.status(), 201);
            let body: serde_json::Value = response.json().await.unwrap();
            ids.insert(body["id"].as_str().unwrap().to_owned());
        }
        assert_eq!(ids.len(), 1, "every racing retry answers with the same report");
        assert_eq!(app.stored_reports().await, 1);
    }

    async fn racing_retries_through_two_server_processes_store_one_report(app) {
        // Two servers on one database stand for two processes behind a load balancer.
        let second = app.restart_on_same_database().await;
        let body = street_light_report();
        let attempts = (0..16).map(|i| {
            let target = if i % 2 == 0 { &app } else { &second };
            target.post_report(&body, Some("two-processes"))
        });
        let responses = futures_util::future::join_all(attempts).await;
        let mut ids = std::collections::HashSet::new();
        for response in responses {
            assert_eq!(response.status(), 201);
            ids.insert(response.json::<serde_json::Value>().await.unwrap()["id"].as_str().unwrap().to_owned());
        }
        assert_eq!(ids.len(), 1);
        assert_eq!(app.stored_reports().await, 1);
    }

    async fn the_same_key_with_another_body_is_refused_and_stores_nothing(app) {
        assert_eq!(app.post_report(&street_light_report(), Some("key-2")).await.status(), 201);
        let mut other = street_light_report();
        other["description"] = serde_json::json!("Een andere melding");
        let problem = expect_problem(app.post_report(&other, Some("key-2")).await, 422).await;
        assert_eq!(problem["type"], "urn:meldpunt:problem:idempotency-key-reused");
        assert_eq!(app.stored_reports().await, 1);
    }

    async fn an_unusable_idempotency_key_is_a_400_problem(app) {
        for key in ["", &"x".repeat(256), "sleutel met spaties"] {
            let problem = expect_problem(app.post_report(&street_light_report(), Some(key)).await, 400).await;
            assert!(problem["detail"].as_str().unwrap().contains("Idempotency-Key"));
        }
        assert_eq!(app.stored_reports().await, 0);
    }
}
