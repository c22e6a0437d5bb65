//! Delivery: every event type signed and in order, a receiver that is down for a while,
//! dead deliveries, replay.

use reqwest::Method;
use serde_json::{Value, json};

use crate::support::app::{Backend, TestApp, spawn_app_with, street_light_report};
use crate::support::backends::on_both_backends;
use crate::support::contract::assert_report_events_match;
use crate::support::events::*;
use crate::support::net::{free_port, wait_for};
use crate::support::smtp::{mails_in, token_after};
use crate::support::staff::{admin_token, send, with_bootstrap_admin};

/// A server with fast retries and a bootstrap admin; returns it with the admin's token.
async fn spawn(backend: Backend, max_attempts: u32) -> (TestApp, String) {
    let app = spawn_app_with(backend, |s| {
        fast_retries(s);
        with_bootstrap_admin(s);
        s.outbox_max_attempts = max_attempts;
        s.metrics_listen = "127.0.0.1:0".into();
    })
    .await;
    let token = admin_token(&app).await;
    (app, token)
}

async fn transition(app: &TestApp, token: &str, id: &str, body: Value) {
    let response =
        send(app, Method::POST, &format!("/api/v1/staff/reports/{id}/transitions"), Some(token), Some(body)).await;
    assert_eq!(response.status(), 200);
}

async fn note(app: &TestApp, token: &str, id: &str, text: &str, visibility: &str) {
    let body = json!({"text": text, "visibility": visibility});
    let response = send(app, Method::POST, &format!("/api/v1/staff/reports/{id}/notes"), Some(token), Some(body)).await;
    assert_eq!(response.status(), 201);
}

/// Creates, moves, notes, re-routes and merges: the events of two reports. Returns
/// (original, duplicate).
async fn a_day_of_work(app: &TestApp, token: &str) -> (String, String) {
    let original = file(app, &street_light_report()).await;
    transition(app, token, &original, json!({"to": "accepted"})).await;
    note(app, token, &original, "Netbeheerder gebeld.", "internal").await;
    note(app, token, &original, "We komen volgende week.", "public").await;
    let (status, moved) = app
        .admin_json(
            Method::PATCH,
            &format!("/api/v1/staff/reports/{original}"),
            Some(&json!({"department": "beheer-openbare-ruimte"})),
        )
        .await;
    assert_eq!(status, 200, "{moved}");
    let duplicate = file(app, &street_light_report()).await;
    let merged = send(
        app,
        Method::POST,
        &format!("/api/v1/staff/reports/{duplicate}/merge"),
        Some(token),
        Some(json!({"into": original})),
    )
    .await;
    assert_eq!(merged.status(), 200);
    (original, duplicate)
}

/// Every event signed, in order per report, without the contact, and matching its webhook
/// in the OpenAPI document.
async fn assert_signed_in_order_without_contact(app: &TestApp, events: &[Value]) {
    assert_report_events_match(app, events).await;
    for event in events {
        assert_eq!(event["signature_ok"], true, "{event}");
        assert_eq!(event["in_order"], true, "{event}");
        assert_eq!(event["has_reporter"], false, "{event}");
    }
}

on_both_backends! {
    async fn every_event_type_arrives_signed_and_in_order_at_a_real_receiver(backend: Backend) {
        let (app, token) = spawn(backend, 30).await;
        let mut receiver = Receiver::new(free_port());
        let endpoint = register(&app, json!({"url": receiver.url(), "description": "zaaksysteem"})).await;
        receiver.start(endpoint["secret"].as_str().unwrap()).await;
        let (original, duplicate) = a_day_of_work(&app, &token).await;
        let events = receiver.wait_for(7).await;
        assert_signed_in_order_without_contact(&app, &events).await;
        assert_eq!(
            types_of(&events, &original),
            ["report.created", "report.status_changed", "report.note_added", "report.rerouted"]
        );
        assert_eq!(types_of(&events, &duplicate), ["report.created", "report.status_changed", "report.merged"]);
        let of = |report: &str, kind: &str| events.iter().find(|e| e["report"] == report && e["type"] == kind).unwrap().clone();
        assert_eq!(of(&original, "report.status_changed")["data"], json!({"from": "new", "to": "accepted", "text": null}));
        assert_eq!(of(&original, "report.note_added")["data"], json!({"text": "We komen volgende week."}));
        assert_eq!(of(&original, "report.rerouted")["department"], "beheer-openbare-ruimte");
        assert_eq!(of(&original, "report.rerouted")["data"]["changes"][0]["change"], "department_overridden");
        assert_eq!(of(&duplicate, "report.merged")["data"]["into"]["id"], original.as_str());
        let delivered = wait_for_deliveries(&app, endpoint["id"].as_str().unwrap(), "delivered", |d| d.len() == 7).await;
        assert!(delivered.iter().all(|d| d["attempts"] == 0 && d["last_error_class"].is_null()), "{delivered:#?}");
        let (_, view) = app.admin_json(Method::GET, &format!("/api/v1/admin/event-endpoints/{}", endpoint["id"].as_str().unwrap()), None).await;
        assert_eq!(view["deliveries"], json!({"pending": 0, "failing": 0, "delivered": 7, "dead": 0}));
        assert!(view.get("secret").is_none(), "the secret is shown once");
    }

    async fn a_resident_s_request_to_reopen_reaches_the_receiver_as_a_status_change_without_their_words(backend: Backend) {
        let folder = tempfile::tempdir().unwrap();
        let mail_dir = folder.path().display().to_string();
        let app = spawn_app_with(backend, |s| {
            fast_retries(s);
            with_bootstrap_admin(s);
            s.mail_dir = mail_dir.clone();
            s.public_url = "https://meldpunt.test".into();
        })
        .await;
        let token = admin_token(&app).await;
        let mut receiver = Receiver::new(free_port());
        let endpoint = register(&app, json!({"url": receiver.url()})).await;
        receiver.start(endpoint["secret"].as_str().unwrap()).await;
        let mut body = street_light_report();
        body["reporter"] = json!({"email": "heropenen@example.nl"});
        let id = file(&app, &body).await;
        wait_for("the confirmation", || mails_in(folder.path()).len(), 1).await;
        let follow = token_after(&mails_in(folder.path())[0], "/api/v1/follow/");
        transition(&app, &token, &id, json!({"to": "resolved", "text": "Lamp vervangen."})).await;
        let path = format!("/api/v1/follow/{follow}/reopen");
        let asked = send(&app, Method::POST, &path, None, Some(json!({"text": "Hij brandt nog steeds niet."}))).await;
        assert_eq!(asked.status(), 200);
        let events = receiver.wait_for(3).await;
        assert_signed_in_order_without_contact(&app, &events).await;
        assert_eq!(types_of(&events, &id), ["report.created", "report.status_changed", "report.status_changed"]);
        let asked = events.iter().filter(|e| e["type"] == "report.status_changed").nth(1).unwrap();
        assert_eq!(asked["data"], json!({"from": "resolved", "to": "reopen_requested", "text": null, "via": "follow_link"}));
        assert_eq!(asked["status"], "reopen_requested", "{asked}");
        assert!(!asked.to_string().contains("brandt nog steeds"), "the resident's words are an internal note: {asked}");
    }

    async fn a_receiver_that_is_down_for_a_while_gets_every_event_in_order_once_it_is_back(backend: Backend) {
        let (app, token) = spawn(backend, 30).await;
        let mut receiver = Receiver::new(free_port());
        let endpoint = register(&app, json!({"url": receiver.url()})).await;
        let id = endpoint["id"].as_str().unwrap().to_owned();
        // Not listening at all: the first event of each report fails, the later ones wait.
        let (original, duplicate) = a_day_of_work(&app, &token).await;
        let failing = wait_for_deliveries(&app, &id, "failing", |d| d.len() == 2).await;
        assert!(failing.iter().all(|d| d["last_error_class"] == "webhook_unreachable" && d["event_type"] == "report.created"), "{failing:#?}");
        let pending = deliveries(&app, &id, "pending").await;
        assert_eq!(pending.iter().filter(|d| d["held"] == true).count(), 5, "{pending:#?}");
        // Listening but answering 503 for a while.
        receiver.set_down(true);
        receiver.start(endpoint["secret"].as_str().unwrap()).await;
        wait_for_deliveries(&app, &id, "failing", |d| d.len() == 2 && d.iter().all(|d| d["last_error_class"] == "webhook_status")).await;
        let why = deliveries(&app, &id, "failing").await;
        assert_eq!(why[0]["last_error"], "the webhook answered HTTP 503");
        assert!(receiver.events().is_empty());
        receiver.set_down(false);
        let events = receiver.wait_for(7).await;
        assert_signed_in_order_without_contact(&app, &events).await;
        assert_eq!(types_of(&events, &original), ["report.created", "report.status_changed", "report.note_added", "report.rerouted"]);
        assert_eq!(types_of(&events, &duplicate), ["report.created", "report.status_changed", "report.merged"]);
        wait_for_deliveries(&app, &id, "delivered", |d| d.len() == 7).await;
    }

    async fn a_dead_delivery_holds_back_the_later_events_of_its_report_until_it_is_requeued(backend: Backend) {
        let (app, token) = spawn(backend, 2).await;
        let mut receiver = Receiver::new(free_port());
        let endpoint = register(&app, json!({"url": receiver.url()})).await;
        let id = endpoint["id"].as_str().unwrap().to_owned();
        let report = file(&app, &street_light_report()).await;
        transition(&app, &token, &report, json!({"to": "accepted"})).await;
        let dead = wait_for_deliveries(&app, &id, "dead", |d| d.len() == 1).await;
        assert_eq!((dead[0]["event_type"].as_str(), dead[0]["attempts"].as_i64()), (Some("report.created"), Some(2)));
        let gauge = |text: &str, state: &str| {
            text.lines()
                .find(|l| l.starts_with("meldpunt_outbox_messages{") && l.contains("queue=\"events\"") && l.contains(&format!("state=\"{state}\"")))
                .and_then(|l| l.rsplit(' ').next())
                .map(str::to_owned)
        };
        let metrics = app.client.get(format!("{}/metrics", app.metrics_address.as_deref().unwrap())).send().await.unwrap().text().await.unwrap();
        assert_eq!((gauge(&metrics, "dead").as_deref(), gauge(&metrics, "pending").as_deref()), (Some("1"), Some("1")), "{metrics}");
        let held = deliveries(&app, &id, "pending").await;
        assert_eq!((held.len(), held[0]["held"].as_bool()), (1, Some(true)), "{held:#?}");
        receiver.start(endpoint["secret"].as_str().unwrap()).await;
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
        assert!(receiver.events().is_empty(), "nothing overtakes the dead one");
        let (status, requeued) = app.admin_json(Method::POST, &format!("/api/v1/admin/event-endpoints/{id}/requeue"), None).await;
        assert_eq!((status, requeued["queued"].as_i64()), (200, Some(1)));
        let events = receiver.wait_for(2).await;
        assert_eq!(types_of(&events, &report), ["report.created", "report.status_changed"]);
        assert_signed_in_order_without_contact(&app, &events).await;
    }

    async fn replay_from_a_point_in_time_sends_the_events_since_then_again(backend: Backend) {
        let (app, token) = spawn(backend, 30).await;
        let mut receiver = Receiver::new(free_port());
        let endpoint = register(&app, json!({"url": receiver.url()})).await;
        let id = endpoint["id"].as_str().unwrap().to_owned();
        receiver.start(endpoint["secret"].as_str().unwrap()).await;
        let early = file(&app, &street_light_report()).await;
        receiver.wait_for(1).await;
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        let since = chrono::Utc::now();
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        let late = file(&app, &street_light_report()).await;
        transition(&app, &token, &late, json!({"to": "accepted"})).await;
        receiver.wait_for(3).await;
        let body = json!({"since": since.to_rfc3339()});
        let (status, queued) = app.admin_json(Method::POST, &format!("/api/v1/admin/event-endpoints/{id}/replay"), Some(&body)).await;
        assert_eq!((status, queued["queued"].as_i64()), (202, Some(2)), "{queued}");
        let events = receiver.wait_for(5).await;
        let replayed: Vec<(&str, &str)> = events
            .iter()
            .filter(|e| e["replay"] == true)
            .map(|e| (e["report"].as_str().unwrap(), e["type"].as_str().unwrap()))
            .collect();
        assert_eq!(replayed, [(late.as_str(), "report.created"), (late.as_str(), "report.status_changed")]);
        assert!(!replayed.iter().any(|(report, _)| *report == early));
        assert_signed_in_order_without_contact(&app, &events).await;
        let replays = wait_for_deliveries(&app, &id, "delivered", |d| d.len() == 5).await;
        assert_eq!(replays.iter().filter(|d| d["replay"] == true).count(), 2);
        let (status, problem) = app.admin_json(Method::POST, &format!("/api/v1/admin/event-endpoints/{id}/replay"), Some(&json!({"since": "yesterday"}))).await;
        assert_eq!((status, crate::support::app::pointers(&problem)), (422, vec!["/since".to_owned()]));
    }
}
