//! The triage API on one report: workflow, notes, assignment, detail with history and the
//! audited reporter contact.

use reqwest::Method;
use serde_json::{Value, json};

use crate::support::app::{TestApp, expect_problem, pointers, street_light_report};
use crate::support::backends::on_both_backends;
use crate::support::staff::*;

const REPORTER_EMAIL: &str = "m.peters@example.nl";

/// Files a street light report (department openbare-verlichting) with a reporter email.
async fn street_light(app: &TestApp) -> String {
    let mut body = street_light_report();
    body["reporter"] = json!({"email": REPORTER_EMAIL, "name": "Marieke Peters"});
    let response = app.post_report(&body, None).await;
    assert_eq!(response.status(), 201);
    let created: Value = response.json().await.unwrap();
    created["id"].as_str().unwrap().to_owned()
}

async fn move_to(app: &TestApp, token: &str, id: &str, body: Value) -> reqwest::Response {
    send(app, Method::POST, &format!("/api/v1/staff/reports/{id}/transitions"), Some(token), Some(body)).await
}

on_both_backends! {
    setup = spawn_staff_app;

    async fn department_staff_move_a_report_through_legal_transitions_and_residents_see_the_status(app) {
        let admin = admin_token(&app).await;
        let (_, lamp) = staff_account(&app, &admin, "lamp@heerlen.example", "department_staff", &["openbare-verlichting"]).await;
        let id = street_light(&app).await;
        for (to, text) in [("accepted", None), ("in_progress", None), ("resolved", Some("De lamp is vervangen."))] {
            let response = move_to(&app, &lamp, &id, json!({"to": to, "text": text})).await;
            assert_eq!(response.status(), 200, "{to}");
            let body: Value = response.json().await.unwrap();
            assert_eq!(body["status"], to);
        }
        let public: Value = app.get(&format!("/api/v1/reports/{id}")).await.json().await.unwrap();
        assert_eq!(public["status"], "resolved");
        let detail: Value = send(&app, Method::GET, &format!("/api/v1/staff/reports/{id}"), Some(&lamp), None).await.json().await.unwrap();
        let changes: Vec<&Value> = detail["history"].as_array().unwrap().iter().filter(|h| h["action"] == "status_changed").collect();
        assert_eq!(changes.len(), 3);
        assert_eq!(changes[2]["details"], json!({"from": "in_progress", "to": "resolved", "text": "De lamp is vervangen."}));
        assert!(changes[2]["actor"].as_str().unwrap().starts_with("staff:"));
    }

    async fn an_illegal_transition_is_refused_with_the_allowed_ones(app) {
        let admin = admin_token(&app).await;
        let id = street_light(&app).await;
        let done = move_to(&app, &admin, &id, json!({"to": "cancelled", "text": "Dubbele melding."})).await;
        assert_eq!(done.status(), 200);
        let problem = expect_problem(move_to(&app, &admin, &id, json!({"to": "in_progress"})).await, 409).await;
        let detail = problem["detail"].as_str().unwrap();
        assert!(detail.contains("cancelled") && detail.contains("allowed: reopened"), "{detail}");
        let back_to_new = expect_problem(move_to(&app, &admin, &id, json!({"to": "new"})).await, 409).await;
        assert!(back_to_new["detail"].as_str().unwrap().contains("reopened"));
        let public: Value = app.get(&format!("/api/v1/reports/{id}")).await.json().await.unwrap();
        assert_eq!(public["status"], "cancelled", "a refused transition changes nothing");
    }

    async fn resolving_cancelling_and_reopening_need_a_text_for_the_resident(app) {
        let admin = admin_token(&app).await;
        let id = street_light(&app).await;
        for to in ["resolved", "cancelled"] {
            let problem = expect_problem(move_to(&app, &admin, &id, json!({"to": to})).await, 422).await;
            assert_eq!(pointers(&problem), vec!["/text"]);
            let blank = expect_problem(move_to(&app, &admin, &id, json!({"to": to, "text": "   "})).await, 422).await;
            assert_eq!(pointers(&blank), vec!["/text"]);
        }
        assert_eq!(move_to(&app, &admin, &id, json!({"to": "resolved", "text": "Opgelost."})).await.status(), 200);
        expect_problem(move_to(&app, &admin, &id, json!({"to": "reopened"})).await, 422).await;
        assert_eq!(move_to(&app, &admin, &id, json!({"to": "reopened", "text": "Toch weer kapot."})).await.status(), 200);
        let unknown = expect_problem(move_to(&app, &admin, &id, json!({"to": "done"})).await, 422).await;
        assert_eq!(pointers(&unknown), vec!["/to"]);
    }

    async fn staff_of_another_department_and_analysts_cannot_see_or_change_a_report(app) {
        let admin = admin_token(&app).await;
        let (_, other) = staff_account(&app, &admin, "afval@heerlen.example", "department_staff", &["afval-en-reiniging"]).await;
        let (_, analyst) = staff_account(&app, &admin, "cijfers@heerlen.example", "analyst", &[]).await;
        let id = street_light(&app).await;
        let missing = uuid::Uuid::new_v4();
        let wrong_department = expect_problem(send(&app, Method::GET, &format!("/api/v1/staff/reports/{id}"), Some(&other), None).await, 404).await;
        let not_there = expect_problem(send(&app, Method::GET, &format!("/api/v1/staff/reports/{missing}"), Some(&other), None).await, 404).await;
        assert_eq!(wrong_department["title"], not_there["title"], "another department's report looks missing");
        expect_problem(move_to(&app, &other, &id, json!({"to": "accepted"})).await, 404).await;
        expect_problem(send(&app, Method::GET, &format!("/api/v1/staff/reports/{id}"), Some(&analyst), None).await, 403).await;
        expect_problem(move_to(&app, &analyst, &id, json!({"to": "accepted"})).await, 403).await;
        expect_problem(send(&app, Method::GET, &format!("/api/v1/staff/reports/{id}"), None, None).await, 401).await;
        let public: Value = app.get(&format!("/api/v1/reports/{id}")).await.json().await.unwrap();
        assert_eq!(public["status"], "new");
    }

    async fn internal_notes_stay_with_staff_and_notes_need_text(app) {
        let admin = admin_token(&app).await;
        let id = street_light(&app).await;
        let path = format!("/api/v1/staff/reports/{id}/notes");
        let added = send(&app, Method::POST, &path, Some(&admin), Some(json!({"text": "Netbeheerder gebeld."}))).await;
        assert_eq!(added.status(), 201);
        let public_note = send(&app, Method::POST, &path, Some(&admin), Some(json!({"text": "We komen volgende week.", "visibility": "public"}))).await;
        assert_eq!(public_note.status(), 201);
        expect_problem(send(&app, Method::POST, &path, Some(&admin), Some(json!({"text": ""}))).await, 422).await;
        expect_problem(send(&app, Method::POST, &path, Some(&admin), Some(json!({"text": "x", "visibility": "secret"}))).await, 422).await;
        let detail: Value = send(&app, Method::GET, &format!("/api/v1/staff/reports/{id}"), Some(&admin), None).await.json().await.unwrap();
        let notes: Vec<&Value> = detail["history"].as_array().unwrap().iter().filter(|h| h["action"] == "note").collect();
        assert_eq!(notes[0]["details"], json!({"visibility": "internal", "text": "Netbeheerder gebeld."}));
        assert_eq!(notes[1]["details"]["visibility"], "public");
        let public = app.get(&format!("/api/v1/reports/{id}")).await.text().await.unwrap();
        assert!(!public.contains("Netbeheerder"));
    }

    async fn a_report_is_assigned_only_to_someone_who_may_handle_it(app) {
        let admin = admin_token(&app).await;
        let (lamp_id, lamp) = staff_account(&app, &admin, "lamp@heerlen.example", "department_staff", &["openbare-verlichting"]).await;
        let (other_id, _) = staff_account(&app, &admin, "afval@heerlen.example", "department_staff", &["afval-en-reiniging"]).await;
        let id = street_light(&app).await;
        let path = format!("/api/v1/staff/reports/{id}/assign");
        let assigned = send(&app, Method::POST, &path, Some(&lamp), Some(json!({"account_id": lamp_id}))).await;
        assert_eq!(assigned.status(), 200);
        let assigned: Value = assigned.json().await.unwrap();
        assert_eq!(assigned["assignee_id"], lamp_id.as_str());
        let wrong = send(&app, Method::POST, &path, Some(&lamp), Some(json!({"account_id": other_id}))).await;
        assert_eq!(pointers(&expect_problem(wrong, 422).await), vec!["/account_id"]);
        let cleared = send(&app, Method::POST, &path, Some(&admin), Some(json!({"account_id": null}))).await;
        let cleared: Value = cleared.json().await.unwrap();
        assert_eq!(cleared["assignee_id"], Value::Null);
        let entries: Vec<&Value> = cleared["history"].as_array().unwrap().iter().filter(|h| h["action"] == "assigned").collect();
        assert_eq!(entries[0]["details"], json!({"from": null, "to": lamp_id}));
        assert_eq!(entries[1]["details"], json!({"from": lamp_id, "to": null}));
    }

    async fn every_staff_view_of_a_reporters_contact_is_in_the_audit_log(app) {
        let admin = admin_token(&app).await;
        let (lamp_id, lamp) = staff_account(&app, &admin, "lamp@heerlen.example", "department_staff", &["openbare-verlichting"]).await;
        let id = street_light(&app).await;
        let detail: Value = send(&app, Method::GET, &format!("/api/v1/staff/reports/{id}"), Some(&lamp), None).await.json().await.unwrap();
        assert_eq!(detail["reporter"]["email"], REPORTER_EMAIL);
        assert_eq!(detail["description"], street_light_report()["description"]);
        let audit: Value = send(&app, Method::GET, &format!("/api/v1/admin/audit?report_id={id}"), Some(&admin), None).await.json().await.unwrap();
        assert_eq!(audit.as_array().unwrap().len(), 1);
        assert_eq!(audit[0]["account_id"], lamp_id.as_str());
        assert_eq!(audit[0]["action"], "viewed_reporter_contact");
        assert!(!audit.to_string().contains(REPORTER_EMAIL));
        expect_problem(send(&app, Method::GET, "/api/v1/admin/audit", Some(&lamp), None).await, 403).await;
        let bad_limit = expect_problem(send(&app, Method::GET, "/api/v1/admin/audit?limit=many", Some(&admin), None).await, 422).await;
        assert_eq!(pointers(&bad_limit), ["/limit"]);
    }
}
