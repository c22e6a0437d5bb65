//! Filing reports and reading them back.

use crate::support::app::*;
use crate::support::backends::on_both_backends;

on_both_backends! {
    async fn a_report_posted_is_read_back_by_id_and_by_reference(app) {
        let response = app.post_report(&street_light_report(), None).await;
        assert_eq!(response.status(), 201);
        let location = response.headers()["location"].to_str().unwrap().to_owned();
        let created: serde_json::Value = response.json().await.unwrap();
        let id = created["id"].as_str().unwrap();
        assert_eq!(location, format!("/api/v1/reports/{id}"));
        assert_eq!(uuid::Uuid::parse_str(id).unwrap().get_version_num(), 7);
        assert_eq!(created["status"], "new");
        assert_eq!(created["category"]["slug"], "straatverlichting-openbare-klok");
        assert_eq!(created["category"]["main"]["slug"], "wegen-verkeer-straatmeubilair");
        assert_eq!(created["location"]["lat"], 50.8882);
        assert_eq!(created["location"]["lon"], 5.9795);
        assert_eq!(created["department"]["slug"], "openbare-verlichting");
        assert_eq!(created["source"], "api");
        let created_at = created["created_at"].as_str().unwrap();
        assert!(created_at.ends_with('Z'), "{created_at} is UTC");
        chrono::DateTime::parse_from_rfc3339(created_at).unwrap();
        let reference = created["reference"].as_str().unwrap();
        assert_eq!(reference.len(), 9);

        let by_id: serde_json::Value = app.get(&location).await.json().await.unwrap();
        assert_eq!(by_id, created, "the public view of a plain public report equals the intake answer");
        let typed = reference.to_lowercase().replace('-', " ");
        let response = app.get(&format!("/api/v1/reports/{}", typed.replace(' ', "%20"))).await;
        assert_eq!(response.status(), 200);
        let by_reference: serde_json::Value = response.json().await.unwrap();
        assert_eq!(by_reference["id"], created["id"]);
        assert_eq!(app.stored_reports().await, 1);
    }

    async fn a_report_survives_a_restart_of_the_server(app) {
        let created: serde_json::Value = app.post_report(&street_light_report(), None).await.json().await.unwrap();
        let restarted = app.restart_on_same_database().await;
        let path = format!("/api/v1/reports/{}", created["id"].as_str().unwrap());
        let response = restarted.get(&path).await;
        assert_eq!(response.status(), 200);
        let read: serde_json::Value = response.json().await.unwrap();
        assert_eq!(read, created);
    }

    async fn many_reports_filed_at_once_are_all_stored_with_distinct_references(app) {
        let requests = (0..60).map(|i| {
            let app = &app;
            async move {
                let mut body = street_light_report();
                body["description"] = serde_json::json!(format!("Lamp {i} is uit"));
                let response = app.post_report(&body, Some(&format!("bulk-{i}"))).await;
                assert_eq!(response.status(), 201);
                response.json::<serde_json::Value>().await.unwrap()
            }
        });
        let created = futures_util::future::join_all(requests).await;
        let references: std::collections::HashSet<&str> = created.iter().map(|r| r["reference"].as_str().unwrap()).collect();
        assert_eq!(references.len(), 60);
        assert_eq!(app.stored_reports().await, 60);
    }

    async fn answers_of_every_type_are_accepted_when_valid(app) {
        let body = serde_json::json!({
            "category": "grofvuil",
            "description": "Bank en matras naast de container.",
            "location": {"lat": 50.8819, "lon": 5.9612},
            "answers": {"soort": ["meubels", "matras"], "gezien_op": "2026-11-24T18:00:00+01:00", "toelichting": "Al sinds gisteren"}
        });
        let response = app.post_report(&body, None).await;
        assert_eq!(response.status(), 201);
    }

    async fn a_report_without_optional_fields_is_accepted(app) {
        let body = serde_json::json!({
            "category": "veeg-zwerfvuil",
            "description": "Zwerfvuil",
            "location": {"lat": 50.8882, "lon": 5.9795},
        });
        let response = app.post_report(&body, None).await;
        assert_eq!(response.status(), 201);
        let created: serde_json::Value = response.json().await.unwrap();
        assert_eq!(created["address"], serde_json::Value::Null);
        assert!(created["deadline_at"].is_string(), "the category's handling time sets a deadline");
    }
}
