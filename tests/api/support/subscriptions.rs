//! Subscriptions and announcements for tests: subscribing and confirming by email,
//! announcing and publishing as staff, and reading the deliveries.

use std::path::Path;
use std::time::Duration;

use reqwest::Method;
use serde_json::{Value, json};

use super::app::{Backend, TestApp, spawn_app_with};
use super::smtp::{mails_in, token_after};
use super::staff::{send, with_bootstrap_admin};

/// A point inside buurt BU09171000 (Maria Gewanden, wijk WK091710).
pub const MARIA_GEWANDEN: (f64, f64) = (50.92488, 5.91675);

/// The value of a header of a raw message (unfolded).
pub fn header(message: &str, name: &str) -> Option<String> {
    let head = message.split("\r\n\r\n").next().unwrap_or(message).replace("\r\n ", " ").replace("\r\n\t", " ");
    head.lines().find_map(|line| {
        let (key, value) = line.split_once(':')?;
        key.eq_ignore_ascii_case(name).then(|| value.trim().to_owned())
    })
}

pub async fn subscribe(app: &TestApp, body: Value) -> Value {
    let response = app.client.post(app.url("/api/v1/subscriptions")).json(&body).send().await.unwrap();
    assert_eq!(response.status(), 202, "{}", response.text().await.unwrap_or_default());
    response.json().await.unwrap()
}

pub async fn confirm(app: &TestApp, message: &str) {
    let token = token_after(message, "/api/v1/subscriptions/confirm/");
    let path = format!("/api/v1/subscriptions/confirm/{token}");
    let page = app.get(&path).await;
    assert_eq!(page.status(), 200);
    let text = page.text().await.unwrap();
    assert!(
        text.contains("<form method=\"post\" action=\"/api/v1/subscriptions/confirm/"),
        "a GET only shows a button: {text}"
    );
    let confirmed = app.client.post(app.url(&path)).send().await.unwrap();
    assert_eq!(confirmed.status(), 200);
    assert_eq!(app.client.post(app.url(&path)).send().await.unwrap().status(), 404, "a confirmation link works once");
}

/// Subscribes `email` with `body` and confirms through the emailed link.
pub async fn confirmed(app: &TestApp, folder: &Path, email: &str, mut body: Value) {
    body["channel"] = json!("email");
    body["email"] = json!(email);
    subscribe(app, body).await;
    let mut found = None;
    for _ in 0..200 {
        found = mails_in(folder).into_iter().find(|m| m.contains(email) && m.contains("/subscriptions/confirm/"));
        if found.is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    confirm(app, &found.unwrap_or_else(|| panic!("no confirmation for {email}"))).await;
}

pub async fn folder_app(backend: Backend, folder: &Path) -> TestApp {
    let path = folder.display().to_string();
    spawn_app_with(backend, |s| {
        with_bootstrap_admin(s);
        s.mail_dir = path.clone();
        s.public_url = "https://meldpunt.test".into();
        s.outbox_poll_ms = 50;
        s.announcement_poll_ms = 100;
        // Small batches: deliveries of one announcement are claimed over several batches.
        s.outbox_batch = 2;
    })
    .await
}

pub async fn announce(app: &TestApp, token: &str, body: Value) -> String {
    let created = send(app, Method::POST, "/api/v1/staff/announcements", Some(token), Some(body)).await;
    assert_eq!(created.status(), 201, "{}", created.text().await.unwrap_or_default());
    let created: Value = created.json().await.unwrap();
    assert_eq!(created["status"], "draft");
    created["id"].as_str().unwrap().to_owned()
}

pub async fn publish(app: &TestApp, token: &str, id: &str) -> Value {
    let response =
        send(app, Method::POST, &format!("/api/v1/staff/announcements/{id}/publish"), Some(token), None).await;
    assert_eq!(response.status(), 200, "{}", response.text().await.unwrap_or_default());
    response.json().await.unwrap()
}

pub async fn deliveries(app: &TestApp, token: &str, id: &str) -> Value {
    let response =
        send(app, Method::GET, &format!("/api/v1/staff/announcements/{id}/deliveries"), Some(token), None).await;
    assert_eq!(response.status(), 200);
    response.json().await.unwrap()
}

/// The delivery counts once `channel` has `expected` deliveries in `state`: the worker
/// records an outcome after the message has left, so a peer can hold a message a moment
/// before its delivery counts as sent. Fails after 10 s.
pub async fn deliveries_once(app: &TestApp, token: &str, id: &str, channel: &str, state: &str, expected: i64) -> Value {
    let mut status = deliveries(app, token, id).await;
    for _ in 0..200 {
        if count_of(&status, channel, state) == expected {
            return status;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
        status = deliveries(app, token, id).await;
    }
    panic!("expected {expected} {channel} deliveries {state}, have {status}");
}

pub fn count_of(deliveries: &Value, channel: &str, state: &str) -> i64 {
    deliveries
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["channel"] == channel && d["state"] == state)
        .map_or(0, |d| d["count"].as_i64().unwrap())
}

pub fn roadworks(areas: Value) -> Value {
    json!({
        "title": "Werkzaamheden Akerstraat",
        "body": "Van 1 tot 5 december is de Akerstraat afgesloten.",
        "areas": areas,
        "tags": ["roadworks"],
        "question": {"text": "Welke speeltoestellen wilt u?", "options": ["Schommel", "Klimrek", "Zandbak"]}
    })
}
