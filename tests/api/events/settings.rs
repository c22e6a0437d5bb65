//! Changing a registered endpoint (URL, filter) and rotating its secret with an overlap,
//! against the real receiving process that checks signatures.

use reqwest::Method;
use serde_json::{Value, json};

use crate::support::app::{TestApp, pointers, spawn_app_with, street_light_report};
use crate::support::backends::on_both_backends;
use crate::support::events::*;
use crate::support::net::free_port;

async fn rotate(app: &TestApp, id: &str, body: Option<Value>) -> Value {
    let (status, rotated) =
        app.admin_json(Method::POST, &format!("/api/v1/admin/event-endpoints/{id}/secret"), body.as_ref()).await;
    assert_eq!(status, 200, "{rotated}");
    rotated
}

on_both_backends! {
    async fn a_rotated_secret_signs_beside_the_old_one_until_the_overlap_ends(backend: Backend) {
        let app = spawn_app_with(backend, fast_retries).await;
        let mut receiver = Receiver::new(free_port());
        let endpoint = register(&app, json!({"url": receiver.url()})).await;
        let id = endpoint["id"].as_str().unwrap();
        let first = endpoint["secret"].as_str().unwrap().to_owned();
        receiver.start(&first).await;
        file(&app, &street_light_report()).await;
        assert!(receiver.wait_for(1).await[0]["signature_ok"].as_bool().unwrap());

        // With the default overlap, a receiver that still has the old secret accepts.
        let rotated = rotate(&app, id, None).await;
        let second = rotated["secret"].as_str().unwrap().to_owned();
        assert_ne!(second, first);
        assert!(rotated["previous_secret_until"].is_string(), "{rotated}");
        let (_, read) = app.admin_json(Method::GET, &format!("/api/v1/admin/event-endpoints/{id}"), None).await;
        assert!(read.get("secret").is_none(), "the secret is shown once: {read}");
        file(&app, &street_light_report()).await;
        assert!(receiver.wait_for(2).await[1]["signature_ok"].as_bool().unwrap(), "the old secret still verifies");
        receiver.stop();
        receiver.start(&second).await;
        file(&app, &street_light_report()).await;
        assert!(receiver.wait_for(3).await[2]["signature_ok"].as_bool().unwrap(), "the new secret verifies");

        // Without overlap the old secret ends at once: a receiver with it refuses (401), the
        // delivery fails and waits; with the new secret it arrives.
        let third = rotate(&app, id, Some(json!({"overlap_hours": 0}))).await["secret"].as_str().unwrap().to_owned();
        file(&app, &street_light_report()).await;
        let refused = receiver.wait_for(4).await;
        assert!(!refused[3]["signature_ok"].as_bool().unwrap(), "the second secret no longer signs");
        wait_for_deliveries(&app, id, "failing", |items| !items.is_empty()).await;
        receiver.stop();
        receiver.start(&third).await;
        wait_for_deliveries(&app, id, "delivered", |items| items.len() == 4).await;
        assert!(receiver.events().last().unwrap()["signature_ok"].as_bool().unwrap());
    }

    async fn an_endpoint_s_url_and_filter_change_and_queued_events_go_to_the_new_url(backend: Backend) {
        let app = spawn_app_with(backend, fast_retries).await;
        // Nobody listens on port 9: the first event waits there.
        let endpoint = register(&app, json!({"url": "http://127.0.0.1:9/events", "description": "aannemer"})).await;
        let id = endpoint["id"].as_str().unwrap();
        let waiting = file(&app, &street_light_report()).await;
        wait_for_deliveries(&app, id, "failing", |items| !items.is_empty()).await;

        let mut receiver = Receiver::new(free_port());
        receiver.start(endpoint["secret"].as_str().unwrap()).await;
        let body = json!({"url": receiver.url(), "description": "aannemer, nieuw adres", "events": ["report.created"], "areas": ["BU09171000"]});
        let (status, changed) = app.admin_json(Method::PUT, &format!("/api/v1/admin/event-endpoints/{id}"), Some(&body)).await;
        assert_eq!(status, 200, "{changed}");
        assert_eq!((changed["url"].as_str(), changed["areas"].clone()), (Some(receiver.url().as_str()), json!(["BU09171000"])));
        assert!(changed.get("secret").is_none());
        let first = receiver.wait_for(1).await;
        assert_eq!(first[0]["report"], waiting.as_str(), "the queued event went to the new URL");
        assert!(first[0]["signature_ok"].as_bool().unwrap(), "the secret stayed");

        // The new filter decides from now on: a report outside the buurt is not sent.
        file(&app, &street_light_report()).await;
        let mut in_buurt = street_light_report();
        in_buurt["location"] = json!({"lat": 50.923975, "lon": 5.91321});
        let inside = file(&app, &in_buurt).await;
        let events = receiver.wait_for(2).await;
        assert_eq!(events[1]["report"], inside.as_str());
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
        assert_eq!(receiver.events().len(), 2, "nothing else arrived");
    }

    async fn bad_changes_and_rotations_are_refused_and_change_nothing(backend: Backend) {
        let app = spawn_app_with(backend, fast_retries).await;
        let endpoint = register(&app, json!({"url": "https://example.org/hook"})).await;
        let id = endpoint["id"].as_str().unwrap();
        let path = format!("/api/v1/admin/event-endpoints/{id}");
        let (status, problem) = app.admin_json(Method::PUT, &path, Some(&json!({"url": "ftp://x", "areas": ["BU00000000"]}))).await;
        assert_eq!((status, pointers(&problem)), (422, vec!["/url".to_owned(), "/areas/0".to_owned()]));
        let (status, problem) = app.admin_json(Method::PUT, &path, Some(&json!({"url": "https://example.org/x", "include_reporter_contact": true}))).await;
        assert_eq!((status, pointers(&problem)), (422, vec!["/include_reporter_contact".to_owned()]), "the admin token may not allow the contact");
        let (_, read) = app.admin_json(Method::GET, &path, None).await;
        assert_eq!(read["url"], "https://example.org/hook", "nothing changed");
        for hours in [json!(-1), json!(169), json!("24")] {
            let (status, problem) = app.admin_json(Method::POST, &format!("{path}/secret"), Some(&json!({"overlap_hours": hours}))).await;
            assert_eq!(status, 422, "{hours}: {problem}");
        }
        let (_, read) = app.admin_json(Method::GET, &path, None).await;
        assert!(read.get("previous_secret_until").is_none(), "no rotation happened: {read}");
        let unknown = "/api/v1/admin/event-endpoints/0190b5a0-0000-7000-8000-000000000000";
        let (status, _) = app.admin_json(Method::PUT, unknown, Some(&json!({"url": "https://example.org/x"}))).await;
        assert_eq!(status, 404);
        let (status, _) = app.admin_json(Method::POST, &format!("{unknown}/secret"), None).await;
        assert_eq!(status, 404);
    }
}
