//! Re-routing a report by changing its category, location, department or priority, with
//! the history it leaves; who may use the admin API and change reports (roles, admin token).

use reqwest::Method;
use serde_json::{Value, json};

use crate::support::app::*;
use crate::support::backends::on_both_backends;
use crate::support::routing::{create_rule, night_rule};
use crate::support::staff::{admin_token, send, spawn_staff_app, staff_account, with_bootstrap_admin};

async fn file_street_light(app: &TestApp) -> String {
    let response = app.post_report(&street_light_report(), None).await;
    assert_eq!(response.status(), 201);
    let report: Value = response.json().await.unwrap();
    report["id"].as_str().unwrap().to_owned()
}

async fn patch(app: &TestApp, id: &str, body: Value) -> (u16, Value) {
    app.admin_json(Method::PATCH, &format!("/api/v1/staff/reports/{id}"), Some(&body)).await
}

async fn history(app: &TestApp, id: &str) -> Vec<Value> {
    let (status, entries) = app.admin_json(Method::GET, &format!("/api/v1/staff/reports/{id}/history"), None).await;
    assert_eq!(status, 200, "{entries}");
    entries.as_array().unwrap().clone()
}

on_both_backends! {
    async fn changing_category_or_location_reroutes_and_records_why_in_the_history(app) {
        let id = file_street_light(&app).await;
        // Another wijk of Heerlen (the first test point) and a rule for the original wijk.
        let wijk = app.get_json("/api/v1/areas/lookup?lat=50.8882&lon=5.9795").await["wijk"]["code"].as_str().unwrap().to_owned();
        let rule = create_rule(&app, &night_rule(&wijk)).await;
        let (status, moved) = patch(&app, &id, json!({"location": {"lat": 50.923975, "lon": 5.91321}})).await;
        assert_eq!(status, 200, "{moved}");
        assert_eq!(moved["area"]["buurt"]["code"], "BU09171000");
        assert_eq!(moved["department"]["slug"], "openbare-verlichting", "no rule for that wijk: category default");
        assert_eq!(moved["routing"]["reason"], "category_default");
        let (_, back) = patch(&app, &id, json!({"location": {"lat": 50.8882, "lon": 5.9795}})).await;
        assert_eq!(back["department"]["slug"], "beheer-openbare-ruimte");
        assert_eq!((back["routing"]["reason"].as_str(), back["routing"]["rule_id"].as_str()), (Some("rule"), rule["id"].as_str()));
        let (_, litter) = patch(&app, &id, json!({"category": "veeg-zwerfvuil", "priority": "high"})).await;
        assert_eq!((litter["category"]["slug"].as_str(), litter["department"]["slug"].as_str()), (Some("veeg-zwerfvuil"), Some("beheer-openbare-ruimte")));
        let entries = history(&app, &id).await;
        let actions: Vec<&str> = entries.iter().map(|e| e["action"].as_str().unwrap()).collect();
        assert_eq!(actions, ["created", "location_changed", "location_changed", "rerouted", "category_changed", "rerouted", "priority_changed"]);
        assert_eq!(entries[1]["details"]["to"], json!({"lat": 50.923975, "lon": 5.91321}));
        assert_eq!(entries[1]["actor"], "admin");
        assert_eq!(entries[3]["details"], json!({"from_department": "openbare-verlichting", "to_department": "beheer-openbare-ruimte",
            "rule_id": rule["id"], "reason": "rule"}));
        assert_eq!(entries[4]["details"], json!({"from": "straatverlichting-openbare-klok", "to": "veeg-zwerfvuil"}));
        assert_eq!(entries[5]["details"]["reason"], "category_default");
        assert_eq!(entries[6]["details"], json!({"from": "normal", "to": "high"}));
        // The first location change kept the department (the default), so no rerouted entry.
        let public = app.get_json(&format!("/api/v1/reports/{id}")).await;
        assert!(public.get("routing").is_none(), "the public view has no routing");
    }

    async fn a_manual_department_sticks_when_the_report_moves_later(app) {
        let id = file_street_light(&app).await;
        let (status, fixed) = patch(&app, &id, json!({"department": "klantcontactcentrum"})).await;
        assert_eq!(status, 200);
        assert_eq!(fixed["routing"], json!({"reason": "manual", "rule_id": null, "rule_name": null, "department_locked": true}));
        let (_, moved) = patch(&app, &id, json!({"category": "veeg-zwerfvuil", "location": {"lat": 50.923975, "lon": 5.91321}})).await;
        assert_eq!(moved["department"]["slug"], "klantcontactcentrum");
        let entries = history(&app, &id).await;
        let actions: Vec<&str> = entries.iter().map(|e| e["action"].as_str().unwrap()).collect();
        assert_eq!(actions, ["created", "department_overridden", "category_changed", "location_changed"]);
        assert_eq!(entries[1]["details"], json!({"from": "openbare-verlichting", "to": "klantcontactcentrum"}));
    }

    async fn bad_report_changes_are_refused_and_change_nothing(app) {
        let id = file_street_light(&app).await;
        let (status, problem) = patch(&app, &id, json!({"category": "bestaat-niet", "department": "nergens", "priority": "urgent",
            "location": {"lat": 95, "lon": 5.9}})).await;
        assert_eq!(status, 422);
        assert_eq!(pointers(&problem), ["/category", "/location/lat", "/department", "/priority"]);
        let (status, _) = patch(&app, &id, json!({})).await;
        assert_eq!(status, 422);
        let (status, problem) = patch(&app, &id, json!({"location": {"lat": 52.37, "lon": 4.89}})).await;
        assert_eq!((status, problem["type"].as_str()), (422, Some("urn:meldpunt:problem:outside-service-area")));
        let (status, _) = patch(&app, "0190b5a0-0000-7000-8000-000000000000", json!({"priority": "low"})).await;
        assert_eq!(status, 404);
        let (status, _) = app.admin_json(Method::GET, "/api/v1/staff/reports/0190b5a0-0000-7000-8000-000000000000/history", None).await;
        assert_eq!(status, 404);
        assert_eq!(history(&app, &id).await.len(), 1, "only 'created'");
    }

    async fn every_admin_endpoint_wants_the_admin_token(app) {
        let some_id = "0190b5a0-0000-7000-8000-000000000000";
        let endpoints = [
            (Method::POST, "/api/v1/admin/areas/import?level=buurt&year=2025".to_owned()),
            (Method::GET, "/api/v1/admin/areas/imports".to_owned()),
            (Method::GET, "/api/v1/admin/figures".to_owned()),
            (Method::POST, "/api/v1/admin/figures".to_owned()),
            (Method::POST, "/api/v1/admin/imports/reports".to_owned()),
            (Method::GET, "/api/v1/admin/departments".to_owned()),
            (Method::POST, "/api/v1/admin/departments".to_owned()),
            (Method::PUT, format!("/api/v1/admin/departments/{some_id}")),
            (Method::DELETE, format!("/api/v1/admin/departments/{some_id}")),
            (Method::GET, "/api/v1/admin/survey-answers".to_owned()),
            (Method::POST, "/api/v1/admin/survey-answers".to_owned()),
            (Method::PUT, format!("/api/v1/admin/survey-answers/{some_id}")),
            (Method::DELETE, format!("/api/v1/admin/survey-answers/{some_id}")),
            (Method::GET, "/api/v1/admin/categories".to_owned()),
            (Method::POST, "/api/v1/admin/categories".to_owned()),
            (Method::PUT, format!("/api/v1/admin/categories/{some_id}")),
            (Method::GET, "/api/v1/admin/routing/rules".to_owned()),
            (Method::POST, "/api/v1/admin/routing/rules".to_owned()),
            (Method::GET, format!("/api/v1/admin/routing/rules/{some_id}")),
            (Method::PUT, format!("/api/v1/admin/routing/rules/{some_id}")),
            (Method::DELETE, format!("/api/v1/admin/routing/rules/{some_id}")),
            (Method::POST, "/api/v1/routing/explain".to_owned()),
            (Method::PATCH, format!("/api/v1/staff/reports/{some_id}")),
            (Method::GET, format!("/api/v1/staff/reports/{some_id}/history")),
            (Method::POST, format!("/api/v1/staff/reports/{some_id}/moderation")),
            (Method::GET, "/api/v1/stats/reports".to_owned()),
            (Method::GET, "/api/v1/projects".to_owned()),
            (Method::POST, "/api/v1/projects".to_owned()),
            (Method::GET, format!("/api/v1/projects/{some_id}")),
            (Method::PATCH, format!("/api/v1/projects/{some_id}")),
            (Method::POST, format!("/api/v1/projects/{some_id}/close")),
            (Method::GET, format!("/api/v1/projects/{some_id}/results")),
            (Method::GET, format!("/api/v1/projects/{some_id}/changes")),
            (Method::GET, "/api/v1/admin/retention/runs".to_owned()),
            (Method::POST, format!("/api/v1/admin/reports/{some_id}/anonymise")),
            (Method::GET, "/api/v1/admin/audit".to_owned()),
            (Method::GET, "/api/v1/admin/outbox/messages".to_owned()),
            (Method::POST, "/api/v1/admin/outbox/messages/requeue".to_owned()),
            (Method::POST, format!("/api/v1/admin/outbox/messages/{some_id}/requeue")),
            (Method::GET, "/api/v1/admin/outbox/deliveries".to_owned()),
            (Method::POST, "/api/v1/admin/outbox/deliveries/requeue".to_owned()),
            (Method::POST, "/api/v1/admin/outbox/deliveries/1-1/requeue".to_owned()),
            (Method::POST, "/api/v1/admin/event-endpoints".to_owned()),
            (Method::GET, "/api/v1/admin/event-endpoints".to_owned()),
            (Method::GET, format!("/api/v1/admin/event-endpoints/{some_id}")),
            (Method::DELETE, format!("/api/v1/admin/event-endpoints/{some_id}")),
            (Method::PATCH, format!("/api/v1/admin/event-endpoints/{some_id}")),
            (Method::PUT, format!("/api/v1/admin/event-endpoints/{some_id}")),
            (Method::POST, format!("/api/v1/admin/event-endpoints/{some_id}/secret")),
            (Method::GET, format!("/api/v1/admin/event-endpoints/{some_id}/deliveries")),
            (Method::POST, format!("/api/v1/admin/event-endpoints/{some_id}/replay")),
            (Method::POST, format!("/api/v1/admin/event-endpoints/{some_id}/requeue")),
        ];
        for (method, path) in &endpoints {
            let url = app.url(path);
            let without = app.client.request(method.clone(), &url).json(&json!({})).send().await.unwrap();
            assert_eq!(without.headers()["www-authenticate"], "Bearer realm=\"meldpunt\"", "{method} {path}");
            expect_problem(without, 401).await;
            let wrong = app.client.request(method.clone(), &url).bearer_auth("not-the-token-at-all").json(&json!({})).send().await.unwrap();
            let problem = expect_problem(wrong, 401).await;
            assert!(problem["detail"].as_str().unwrap().contains("not the admin token"), "{method} {path}");
        }
        let spec = app.get_json("/api/v1/openapi.json").await;
        let secured = spec["paths"].as_object().unwrap().values()
            .flat_map(|item| item.as_object().unwrap().values())
            .filter(|operation| operation["security"].as_array().is_some_and(|schemes| schemes.iter().any(|s| s.get("admin_token").is_some())))
            .count();
        assert_eq!(secured, endpoints.len(), "every operation open to the admin token is listed here");
    }

    async fn without_a_configured_token_the_admin_api_is_for_admin_accounts_only(backend: Backend) {
        let app = spawn_app_with(backend, |s| {
            s.admin_token = String::new();
            with_bootstrap_admin(s);
        })
        .await;
        let response = app.admin(Method::GET, "/api/v1/admin/departments").send().await.unwrap();
        expect_problem(response, 401).await;
        let admin = admin_token(&app).await;
        let response = send(&app, Method::GET, "/api/v1/admin/departments", Some(&admin), None).await;
        assert_eq!(response.status(), 200);
    }
}

on_both_backends! {
    setup = spawn_staff_app;

    async fn staff_accounts_reach_the_admin_api_by_role_and_the_report_changes_by_department(app) {
        let admin = admin_token(&app).await;
        let (_, lights) = staff_account(&app, &admin, "licht@heerlen.example", "department_staff", &["openbare-verlichting"]).await;
        let (_, waste) = staff_account(&app, &admin, "afval@heerlen.example", "department_staff", &["afval-en-reiniging"]).await;
        let (_, analyst) = staff_account(&app, &admin, "cijfers@heerlen.example", "analyst", &[]).await;
        let (coordinator_id, coordinator) = staff_account(&app, &admin, "regie@heerlen.example", "coordinator", &[]).await;

        // The admin API: the admin role (or the configured token), nobody else.
        let departments = send(&app, Method::GET, "/api/v1/admin/departments", Some(&admin), None).await;
        assert_eq!(departments.status(), 200);
        for token in [&lights, &analyst, &coordinator] {
            let refused = send(&app, Method::GET, "/api/v1/admin/departments", Some(token), None).await;
            let problem = expect_problem(refused, 403).await;
            assert!(problem["detail"].as_str().unwrap().contains("role admin"), "{problem}");
        }

        // Changing a report: the department that handles it, coordinators and admins.
        let id = file_street_light(&app).await;
        let path = format!("/api/v1/staff/reports/{id}");
        let wrong = send(&app, Method::PATCH, &path, Some(&waste), Some(json!({"priority": "high"}))).await;
        expect_problem(wrong, 404).await;
        let hidden = send(&app, Method::GET, &format!("{path}/history"), Some(&waste), None).await;
        expect_problem(hidden, 404).await;
        let refused = send(&app, Method::PATCH, &path, Some(&analyst), Some(json!({"priority": "high"}))).await;
        expect_problem(refused, 403).await;
        let own = send(&app, Method::PATCH, &path, Some(&lights), Some(json!({"priority": "high"}))).await;
        assert_eq!(own.status(), 200);
        let moved = send(&app, Method::PATCH, &path, Some(&coordinator), Some(json!({"department": "afval-en-reiniging"}))).await;
        assert_eq!(moved.status(), 200);
        let gone = send(&app, Method::PATCH, &path, Some(&lights), Some(json!({"priority": "low"}))).await;
        expect_problem(gone, 404).await;
        let entries: Value = send(&app, Method::GET, &format!("{path}/history"), Some(&waste), None).await.json().await.unwrap();
        let last = entries.as_array().unwrap().last().unwrap().clone();
        assert_eq!(last["action"], "department_overridden");
        assert_eq!(last["actor"], format!("staff:{coordinator_id}"), "the history names who changed it");
        let nobody = send(&app, Method::PATCH, &path, None, Some(json!({"priority": "low"}))).await;
        expect_problem(nobody, 401).await;
    }
}
