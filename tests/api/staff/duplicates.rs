//! Duplicates: nearby open reports at intake, "me too" support, and merging a duplicate so
//! that its reporter and the supporters hear about the original.

use reqwest::Method;
use serde_json::{Value, json};

use crate::support::app::{TestApp, expect_problem, pointers, street_light_report};
use crate::support::backends::on_both_backends;
use crate::support::net::{free_port, wait_for};
use crate::support::smtp::{SmtpServer, smtp_app, token_after};
use crate::support::staff::*;

async fn file_at(app: &TestApp, lat: f64, email: Option<&str>) -> Value {
    let mut body = street_light_report();
    body["location"] = json!({"lat": lat, "lon": 5.9795});
    if let Some(email) = email {
        body["reporter"] = json!({"email": email});
    }
    let response = app.post_report(&body, None).await;
    assert_eq!(response.status(), 201);
    response.json().await.unwrap()
}

on_both_backends! {
    setup = spawn_staff_app;

    async fn a_new_report_lists_open_reports_of_its_category_nearby(app) {
        let first = file_at(&app, 50.8882, None).await;
        assert!(first.get("nearby").is_none(), "absent when nothing is nearby");
        let _far = file_at(&app, 50.8900, None).await;
        let mut litter = street_light_report();
        litter["category"] = json!("veeg-zwerfvuil");
        litter["answers"] = json!({});
        assert_eq!(app.post_report(&litter, None).await.status(), 201);
        let second = file_at(&app, 50.8884, None).await;
        let nearby = second["nearby"].as_array().unwrap();
        assert_eq!(nearby.len(), 1, "only the same category within 50 m: {nearby:?}");
        assert_eq!(nearby[0]["id"], first["id"]);
        let distance = nearby[0]["distance_m"].as_f64().unwrap();
        assert!((20.0..25.0).contains(&distance), "{distance}");
        let public: Value = app.get(&format!("/api/v1/reports/{}", second["id"].as_str().unwrap())).await.json().await.unwrap();
        assert!(public.get("nearby").is_none());
        let admin = admin_token(&app).await;
        let id = first["id"].as_str().unwrap();
        send(&app, Method::POST, &format!("/api/v1/staff/reports/{id}/transitions"), Some(&admin), Some(json!({"to": "resolved", "text": "Klaar."}))).await;
        let third = file_at(&app, 50.8883, None).await;
        let ids: Vec<&Value> = third["nearby"].as_array().unwrap().iter().map(|n| &n["id"]).collect();
        assert_eq!(ids, vec![&second["id"]], "closed reports are not offered");
    }

    async fn a_new_report_in_a_sensitive_or_non_public_category_lists_nothing_nearby(app) {
        // Both categories check duplicates within 50 m, as every category does by default;
        // a reference and an exact distance would tell the resident what the public may not see.
        for category in ["geluidsoverlast-muziek", "drank-en-drugsoverlast"] {
            let mut body = street_light_report();
            body["category"] = json!(category);
            body["answers"] = json!({});
            body["location"] = json!({"lat": 50.8882, "lon": 5.9795});
            let first = app.post_report(&body, None).await;
            assert_eq!(first.status(), 201);
            body["location"] = json!({"lat": 50.8883, "lon": 5.9795});
            let second: Value = app.post_report(&body, None).await.json().await.unwrap();
            assert!(second.get("nearby").is_none(), "{category}: {second}");
        }
        // The same two filings in a public category do list each other.
        let _first = file_at(&app, 50.8882, None).await;
        assert_eq!(file_at(&app, 50.8883, None).await["nearby"].as_array().unwrap().len(), 1);
    }

    async fn residents_support_a_report_and_the_count_grows(app) {
        let report = file_at(&app, 50.8882, None).await;
        let id = report["id"].as_str().unwrap();
        let path = format!("/api/v1/reports/{id}/support");
        let first = send(&app, Method::POST, &path, None, Some(json!({}))).await;
        assert_eq!(first.status(), 201);
        let second = send(&app, Method::POST, &path, None, Some(json!({"email": "buur@example.nl", "language": "en"}))).await;
        let second: Value = second.json().await.unwrap();
        assert_eq!(second["interest_count"], 2);
        let bad = send(&app, Method::POST, &path, None, Some(json!({"email": "geen adres"}))).await;
        assert_eq!(pointers(&expect_problem(bad, 422).await), vec!["/email"]);
        expect_problem(send(&app, Method::POST, &format!("/api/v1/reports/{}/support", uuid::Uuid::new_v4()), None, Some(json!({}))).await, 404).await;
        let near = file_at(&app, 50.8883, None).await;
        assert_eq!(near["nearby"][0]["interest_count"], 2);
        let public = app.get(&format!("/api/v1/reports/{id}")).await.text().await.unwrap();
        assert!(!public.contains("buur@example.nl"));
        let admin = admin_token(&app).await;
        let detail: Value = send(&app, Method::GET, &format!("/api/v1/staff/reports/{id}"), Some(&admin), None).await.json().await.unwrap();
        assert!(detail["history"].as_array().unwrap().iter().any(|h| h["action"] == "supported" && h["details"] == json!({"count": 2})));
    }

    async fn merging_closes_the_duplicate_with_a_reference_and_refuses_nonsense(app) {
        let admin = admin_token(&app).await;
        let original = file_at(&app, 50.8882, None).await;
        let duplicate = file_at(&app, 50.8883, None).await;
        let (o, d) = (original["id"].as_str().unwrap(), duplicate["id"].as_str().unwrap());
        let itself = send(&app, Method::POST, &format!("/api/v1/staff/reports/{d}/merge"), Some(&admin), Some(json!({"into": d}))).await;
        assert_eq!(pointers(&expect_problem(itself, 422).await), vec!["/into"]);
        let merged = send(&app, Method::POST, &format!("/api/v1/staff/reports/{d}/merge"), Some(&admin), Some(json!({"into": o}))).await;
        assert_eq!(merged.status(), 200);
        let merged: Value = merged.json().await.unwrap();
        assert_eq!(merged["status"], "cancelled");
        let entry = merged["history"].as_array().unwrap().iter().find(|h| h["action"] == "merged_into").unwrap();
        assert_eq!(entry["details"], json!({"report_id": o, "reference": original["reference"]}));
        let again = send(&app, Method::POST, &format!("/api/v1/staff/reports/{d}/merge"), Some(&admin), Some(json!({"into": o}))).await;
        expect_problem(again, 409).await;
        let (_, other) = staff_account(&app, &admin, "afval@heerlen.example", "department_staff", &["afval-en-reiniging"]).await;
        expect_problem(send(&app, Method::POST, &format!("/api/v1/staff/reports/{o}/merge"), Some(&other), Some(json!({"into": d}))).await, 404).await;
    }
}

on_both_backends! {
    async fn both_reporters_and_a_supporter_hear_about_the_original_after_a_merge(backend: Backend) {
        let port = free_port();
        let smtp = SmtpServer::start(port);
        let app = smtp_app(backend, port, 500, 5).await;
        let admin = admin_token(&app).await;
        let (_, lamp) =
            staff_account(&app, &admin, "lamp@heerlen.example", "department_staff", &["openbare-verlichting"]).await;
        let original = file_at(&app, 50.8882, Some("eerste@example.nl")).await;
        let duplicate = file_at(&app, 50.8883, Some("tweede@example.nl")).await;
        let (o, d) = (original["id"].as_str().unwrap(), duplicate["id"].as_str().unwrap());
        let supported = send(
            &app,
            Method::POST,
            &format!("/api/v1/reports/{o}/support"),
            None,
            Some(json!({"email": "buur@example.nl"})),
        )
        .await;
        assert_eq!(supported.status(), 201);
        wait_for("confirmations", || smtp.messages().len(), 3).await;
        // The supporter's address hears nothing more until it confirms (double opt-in).
        let ask = smtp.messages().into_iter().find(|m| m.contains("buur@example.nl")).unwrap();
        let token = token_after(&ask, "/api/v1/support/confirm/");
        let confirmed = app.client.post(app.url(&format!("/api/v1/support/confirm/{token}"))).send().await.unwrap();
        assert_eq!(confirmed.status(), 200);
        let merged =
            send(&app, Method::POST, &format!("/api/v1/staff/reports/{d}/merge"), Some(&lamp), Some(json!({"into": o})))
                .await;
        assert_eq!(merged.status(), 200);
        wait_for("the merge notice", || smtp.messages().len(), 4).await;
        let notice = smtp.messages().into_iter().find(|m| m.contains("geannuleerd")).unwrap();
        assert!(
            notice.contains("tweede@example.nl") && notice.contains(original["reference"].as_str().unwrap()),
            "{notice}"
        );
        for to in ["in_progress", "resolved"] {
            let moved = send(
                &app,
                Method::POST,
                &format!("/api/v1/staff/reports/{o}/transitions"),
                Some(&lamp),
                Some(json!({"to": to, "text": "De lamp is vervangen."})),
            )
            .await;
            assert_eq!(moved.status(), 200);
        }
        wait_for("status emails", || smtp.messages().len(), 10).await;
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
        let messages = smtp.messages();
        assert_eq!(messages.len(), 10, "2 confirmations, 1 to confirm support, 1 merge notice, 2 changes x 3 people");
        for person in ["eerste@example.nl", "tweede@example.nl", "buur@example.nl"] {
            let resolved = messages.iter().filter(|m| m.contains(person) && m.contains("is afgehandeld")).count();
            assert_eq!(resolved, 1, "{person} hears once that the original is resolved");
        }
    }
}
