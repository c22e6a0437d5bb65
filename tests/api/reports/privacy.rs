//! Personal data never reaches public output; sensitive and non-public categories show
//! less.

use serde_json::json;

use crate::support::backends::on_both_backends;

const EMAIL: &str = "j.jansen@example.nl";
const PHONE: &str = "+31 6 1234 5678";
const NAME: &str = "Jan Jansen";

fn with_reporter(category: &str) -> serde_json::Value {
    json!({
        "category": category,
        "description": "Harde muziek tot diep in de nacht bij het café op de hoek.",
        "location": {"lat": 50.88801, "lon": 5.97951},
        "address": "Pancratiusplein 1, Heerlen",
        "reporter": {"email": EMAIL, "phone": PHONE, "name": NAME, "consent_to_contact": true}
    })
}

fn assert_no_contact(text: &str) {
    for secret in [EMAIL, "1234", "12345678", NAME, "Jansen"] {
        assert!(!text.contains(secret), "personal data '{secret}' leaked: {text}");
    }
}

on_both_backends! {
    async fn the_reporters_contact_never_appears_in_intake_answers_or_public_views(app) {
        let response = app.post_report(&with_reporter("veeg-zwerfvuil"), Some("privacy-1")).await;
        assert_eq!(response.status(), 201);
        let created = response.text().await.unwrap();
        assert_no_contact(&created);
        let created: serde_json::Value = serde_json::from_str(&created).unwrap();
        assert!(created.get("reporter").is_none());
        let public = app.get(&format!("/api/v1/reports/{}", created["id"].as_str().unwrap())).await.text().await.unwrap();
        assert_no_contact(&public);
        let replay = app.post_report(&with_reporter("veeg-zwerfvuil"), Some("privacy-1")).await.text().await.unwrap();
        assert_no_contact(&replay);
    }

    async fn a_sensitive_report_is_shown_publicly_without_text_and_with_a_coarsened_location(app) {
        let response = app.post_report(&with_reporter("geluidsoverlast-muziek"), None).await;
        let created: serde_json::Value = response.json().await.unwrap();
        assert_eq!(created["location"]["lat"], 50.88801, "the reporter gets back what they sent");
        let public: serde_json::Value = app.get(&format!("/api/v1/reports/{}", created["id"].as_str().unwrap())).await.json().await.unwrap();
        assert_eq!(public["description"], serde_json::Value::Null);
        assert_eq!(public["address"], serde_json::Value::Null);
        let lat = public["location"]["lat"].as_f64().unwrap();
        let lon = public["location"]["lon"].as_f64().unwrap();
        assert!((lat - 50.88875).abs() < 1e-9 && (lon - 5.978).abs() < 1e-9, "snapped to the grid cell centre: {public}");
        assert_eq!(public["reference"], created["reference"]);
        assert_eq!(public["status"], "new");
    }

    async fn a_report_in_a_non_public_category_shows_neither_text_nor_location(app) {
        let response = app.post_report(&with_reporter("drank-en-drugsoverlast"), None).await;
        let created: serde_json::Value = response.json().await.unwrap();
        let public: serde_json::Value = app.get(&format!("/api/v1/reports/{}", created["id"].as_str().unwrap())).await.json().await.unwrap();
        assert_eq!(public["description"], serde_json::Value::Null);
        assert_eq!(public["location"], serde_json::Value::Null);
        assert_eq!(public["address"], serde_json::Value::Null);
        assert_eq!(public["status"], "new");
    }
}
