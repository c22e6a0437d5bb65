//! What residents type is published masked: e-mail addresses, phone numbers, licence plates
//! and IBANs in a description or address are replaced by markers in the public report view
//! and in Open311's requests, and the views say so; staff see the original.

use reqwest::Method;
use serde_json::{Value, json};

use crate::support::app::TestApp;
use crate::support::backends::on_both_backends;
use crate::support::staff::{admin_token, send, spawn_staff_app};

/// What a resident wrote (the example, plus an IBAN) and what the public sees.
pub const TYPED: &str =
    "bel Piet Klaassen 0698765432 of piet@example.nl, auto XK-123-B staat ervoor. Schade op NL91 ABNA 0417 1643 00.";
pub const SHOWN: &str = "bel Piet Klaassen [telefoonnummer verborgen] of [e-mailadres verborgen], auto [kenteken verborgen] staat ervoor. Schade op [IBAN verborgen].";
/// The personal data in [`TYPED`], none of which may be public.
pub const SECRETS: [&str; 5] = ["0698765432", "piet@example.nl", "XK-123-B", "NL91", "0417 1643"];

/// Files a street light report with `description` and `address`; returns its view.
pub async fn file(app: &TestApp, description: &str, address: &str) -> Value {
    let body = json!({
        "category": "straatverlichting-openbare-klok",
        "description": description,
        "location": {"lat": 50.8882, "lon": 5.9795},
        "address": address,
        "answers": {"probleem": "uit", "aantal_lampen": 1}
    });
    let response = app.post_report(&body, None).await;
    assert_eq!(response.status(), 201);
    response.json().await.unwrap()
}

fn assert_public(text: &str) {
    for secret in SECRETS {
        assert!(!text.contains(secret), "'{secret}' is public: {text}");
    }
}

on_both_backends! {
    setup = spawn_staff_app;

    async fn the_public_report_view_masks_personal_data_and_says_so_while_the_reporter_sees_what_they_sent(app) {
        let created = file(&app, TYPED, "Akerstraat 12, tegenover 045-5551234").await;
        assert_eq!(created["description"], TYPED, "the intake answer is the reporter's own text");
        assert_eq!(created["text_masked"], false);
        let id = created["id"].as_str().unwrap();
        let response = app.get(&format!("/api/v1/reports/{id}")).await;
        assert_eq!(response.status(), 200);
        let text = response.text().await.unwrap();
        assert_public(&text);
        let public: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(public["description"], SHOWN);
        assert_eq!(public["address"], "Akerstraat 12, tegenover [telefoonnummer verborgen]");
        assert_eq!(public["text_masked"], true);
        assert_eq!(public["description_moderation"], Value::Null);
        let by_reference: Value = app.get_json(&format!("/api/v1/reports/{}", created["reference"].as_str().unwrap())).await;
        assert_eq!(by_reference["description"], SHOWN);
    }

    async fn a_report_without_personal_data_is_shown_as_typed_and_not_marked_as_masked(app) {
        let typed = "Lichtmast nr. 091712 (mast 45-123) bij Akerstraat 12 is sinds 12-03-2025 om 22:15 uit; postcode 6411 AB.";
        let created = file(&app, typed, "Akerstraat 12, 6411 AB Heerlen").await;
        let public: Value = app.get_json(&format!("/api/v1/reports/{}", created["id"].as_str().unwrap())).await;
        assert_eq!(public["description"], typed);
        assert_eq!(public["address"], "Akerstraat 12, 6411 AB Heerlen");
        assert_eq!(public["text_masked"], false);
    }

    async fn open311_requests_show_the_masked_text_in_json_and_xml(app) {
        let created = file(&app, TYPED, "Akerstraat 12").await;
        let reference = created["reference"].as_str().unwrap();
        let list = app.get("/open311/v2/requests.json").await.text().await.unwrap();
        assert_public(&list);
        let list: Value = serde_json::from_str(&list).unwrap();
        let request = list.as_array().unwrap().iter().find(|r| r["service_request_id"] == reference).unwrap();
        assert_eq!(request["description"], SHOWN);
        let one: Value = app.get_json(&format!("/open311/v2/requests/{reference}.json")).await;
        assert_eq!(one[0]["description"], SHOWN);
        let xml = app.get("/open311/v2/requests.xml").await.text().await.unwrap();
        assert_public(&xml);
        assert!(xml.contains("[telefoonnummer verborgen]"), "{xml}");
    }

    async fn staff_see_the_original_text_next_to_what_the_public_sees(app) {
        let admin = admin_token(&app).await;
        let created = file(&app, TYPED, "Akerstraat 12").await;
        let id = created["id"].as_str().unwrap();
        let response = send(&app, Method::GET, &format!("/api/v1/staff/reports/{id}"), Some(&admin), None).await;
        assert_eq!(response.status(), 200);
        let detail: Value = response.json().await.unwrap();
        assert_eq!(detail["description"], TYPED);
        assert_eq!(detail["text_masked"], false);
        assert_eq!(detail["public_text"]["description"], SHOWN);
        assert_eq!(detail["public_text"]["text_masked"], true);
        let queue: Value =
            send(&app, Method::GET, "/api/v1/staff/reports", Some(&admin), None).await.json().await.unwrap();
        assert!(queue.to_string().contains("0698765432"), "the queue shows staff the original: {queue}");
    }
}
