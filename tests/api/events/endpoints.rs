//! Registering endpoints: filters choose what each receives; bad input is a 422 with
//! pointers; the list and deletion.

use reqwest::Method;
use serde_json::json;

use crate::support::app::{pointers, spawn_app_with, street_light_report};
use crate::support::backends::on_both_backends;
use crate::support::events::*;

/// The (report, type) pairs queued for an endpoint, oldest first.
async fn queued(app: &crate::support::app::TestApp, endpoint: &serde_json::Value) -> Vec<(String, String)> {
    let mut items = deliveries(app, endpoint["id"].as_str().unwrap(), "all").await;
    items.reverse();
    items
        .iter()
        .map(|d| (d["report_id"].as_str().unwrap().to_owned(), d["event_type"].as_str().unwrap().to_owned()))
        .collect()
}

on_both_backends! {
    async fn filters_by_department_category_area_and_type_choose_what_an_endpoint_receives(backend: Backend) {
        let app = spawn_app_with(backend, fast_retries).await;
        // Nobody listens on port 9: deliveries stay queued, which is all this test reads.
        let url = "http://127.0.0.1:9/events";
        let by_department = register(&app, json!({"url": url, "departments": ["beheer-openbare-ruimte"]})).await;
        let by_category = register(&app, json!({"url": url, "categories": ["straatverlichting-openbare-klok"]})).await;
        let by_area = register(&app, json!({"url": url, "areas": ["BU09171000"]})).await;
        let by_type = register(&app, json!({"url": url, "events": ["report.merged"]})).await;
        let here = file(&app, &street_light_report()).await;
        let mut there_body = street_light_report();
        there_body["location"] = json!({"lat": 50.923975, "lon": 5.91321});
        let there = file(&app, &there_body).await;
        let (status, _) = app
            .admin_json(Method::PATCH, &format!("/api/v1/staff/reports/{here}"), Some(&json!({"department": "beheer-openbare-ruimte"})))
            .await;
        assert_eq!(status, 200);
        let pair = |report: &str, kind: &str| (report.to_owned(), kind.to_owned());
        assert_eq!(queued(&app, &by_department).await, [pair(&here, "report.rerouted")]);
        assert_eq!(
            queued(&app, &by_category).await,
            [pair(&here, "report.created"), pair(&there, "report.created"), pair(&here, "report.rerouted")]
        );
        assert_eq!(queued(&app, &by_area).await, [pair(&there, "report.created")]);
        assert!(queued(&app, &by_type).await.is_empty());
        let (status, list) = app.admin_json(Method::GET, "/api/v1/admin/event-endpoints", None).await;
        assert_eq!(status, 200);
        assert_eq!(list.as_array().unwrap().len(), 4);
        assert_eq!(list[0]["departments"], json!(["beheer-openbare-ruimte"]));
        assert!(list.as_array().unwrap().iter().all(|e| e.get("secret").is_none()));
        // Off: no new events for it; on again: it receives what happens from then on.
        let quiet = by_category["id"].as_str().unwrap();
        let (status, off) = app.admin_json(Method::PATCH, &format!("/api/v1/admin/event-endpoints/{quiet}"), Some(&json!({"active": false}))).await;
        assert_eq!((status, off["active"].as_bool()), (200, Some(false)), "{off}");
        file(&app, &street_light_report()).await;
        assert_eq!(queued(&app, &by_category).await.len(), 3);
        let (status, _) = app.admin_json(Method::PATCH, &format!("/api/v1/admin/event-endpoints/{quiet}"), Some(&json!({"active": true}))).await;
        assert_eq!(status, 200);
        file(&app, &street_light_report()).await;
        assert_eq!(queued(&app, &by_category).await.len(), 4);
        let gone = by_area["id"].as_str().unwrap();
        let (status, _) = app.admin_json(Method::DELETE, &format!("/api/v1/admin/event-endpoints/{gone}"), None).await;
        assert_eq!(status, 204);
        let (status, _) = app.admin_json(Method::GET, &format!("/api/v1/admin/event-endpoints/{gone}/deliveries"), None).await;
        assert_eq!(status, 404);
    }

    async fn bad_endpoint_input_is_a_422_that_names_each_field(backend: Backend) {
        let app = spawn_app_with(backend, |_| {}).await;
        let body = json!({
            "url": "http://127.0.0.1/events",
            "events": ["report.created", "report.deleted"],
            "departments": ["geen-afdeling"],
            "categories": ["geen-categorie"],
            "areas": ["BU00000000"],
            "include_reporter_contact": true,
        });
        let (status, problem) = app.admin_json(Method::POST, "/api/v1/admin/event-endpoints", Some(&body)).await;
        assert_eq!(status, 422, "{problem}");
        assert_eq!(
            pointers(&problem),
            ["/url", "/events/1", "/departments/0", "/categories/0", "/areas/0", "/include_reporter_contact"]
        );
        let (status, problem) = app.admin_json(Method::POST, "/api/v1/admin/event-endpoints", Some(&json!({"url": "not a url"}))).await;
        assert_eq!((status, pointers(&problem)), (422, vec!["/url".to_owned()]));
        let (status, _) = app.admin_json(Method::POST, "/api/v1/admin/event-endpoints", Some(&json!({"url": "https://example.org/x", "colour": "red"}))).await;
        assert_eq!(status, 422, "unknown fields are refused");
        let (status, problem) = app.admin_json(Method::GET, "/api/v1/admin/event-endpoints/0190b5a0-0000-7000-8000-000000000000/deliveries", None).await;
        assert_eq!(status, 404, "{problem}");
        let (status, endpoint) = app.admin_json(Method::POST, "/api/v1/admin/event-endpoints", Some(&json!({"url": "https://example.org/hook"}))).await;
        assert_eq!(status, 201);
        let id = endpoint["id"].as_str().unwrap();
        let (status, problem) = app.admin_json(Method::GET, &format!("/api/v1/admin/event-endpoints/{id}/deliveries?state=lost"), None).await;
        assert_eq!((status, pointers(&problem)), (422, vec!["/state".to_owned()]));
    }
}
