//! Moderation: staff who handle a report hide or rewrite its public description, or restore
//! the resident's own; the public view and Open311 say it was moderated, staff keep the
//! original, every change is in the history with who, what and why, and bad requests are
//! problems that name the field.

use reqwest::Method;
use serde_json::{Value, json};

use crate::reports::masking::{SHOWN, TYPED, file};
use crate::support::app::{ADMIN_TOKEN, TestApp, expect_problem, pointers};
use crate::support::backends::on_both_backends;
use crate::support::staff::*;

async fn moderate(app: &TestApp, token: &str, id: &str, body: Value) -> reqwest::Response {
    send(app, Method::POST, &format!("/api/v1/staff/reports/{id}/moderation"), Some(token), Some(body)).await
}

async fn public(app: &TestApp, id: &str) -> Value {
    app.get_json(&format!("/api/v1/reports/{id}")).await
}

async fn open311_description(app: &TestApp, reference: &str) -> Value {
    let one: Value = app.get_json(&format!("/open311/v2/requests/{reference}.json")).await;
    one[0]["description"].clone()
}

on_both_backends! {
    setup = spawn_staff_app;

    async fn department_staff_hide_a_description_the_public_sees_none_and_staff_still_see_the_original(app) {
        let admin = admin_token(&app).await;
        let (lamp_id, lamp) = staff_account(&app, &admin, "lamp@heerlen.example", "department_staff", &["openbare-verlichting"]).await;
        let created = file(&app, TYPED, "Akerstraat 12").await;
        let (id, reference) = (created["id"].as_str().unwrap(), created["reference"].as_str().unwrap());
        let response = moderate(&app, &lamp, id, json!({"action": "hide", "reason": "naam van een buurman"})).await;
        assert_eq!(response.status(), 200);
        let shown: Value = response.json().await.unwrap();
        assert_eq!(shown, json!({"description": null, "address": "Akerstraat 12", "text_masked": false, "description_moderation": "hidden"}));
        let view = public(&app, id).await;
        assert_eq!(view["description"], Value::Null);
        assert_eq!(view["description_moderation"], "hidden");
        assert_eq!(view["address"], "Akerstraat 12");
        assert_eq!(open311_description(&app, reference).await, Value::Null);
        let detail: Value = send(&app, Method::GET, &format!("/api/v1/staff/reports/{id}"), Some(&lamp), None).await.json().await.unwrap();
        assert_eq!(detail["description"], TYPED, "staff keep the original");
        assert_eq!(detail["description_moderation"], "hidden");
        assert_eq!(detail["public_text"]["description"], Value::Null);
        let entry = detail["history"].as_array().unwrap().iter().find(|h| h["action"] == "description_moderated").unwrap();
        assert_eq!(entry["actor"], format!("staff:{lamp_id}"));
        assert_eq!(entry["details"], json!({"moderation": "hidden", "public_text": null, "reason": "naam van een buurman"}));
    }

    async fn a_rewritten_description_is_published_instead_and_a_restore_brings_back_the_masked_original(app) {
        let admin = admin_token(&app).await;
        let created = file(&app, TYPED, "Akerstraat 12").await;
        let (id, reference) = (created["id"].as_str().unwrap(), created["reference"].as_str().unwrap());
        let rewritten = "Een auto staat al weken voor de lantaarnpaal.";
        let response = moderate(&app, &admin, id, json!({"action": "rewrite", "text": format!("  {rewritten}  ")})).await;
        assert_eq!(response.status(), 200);
        let view = public(&app, id).await;
        assert_eq!(view["description"], rewritten);
        assert_eq!(view["description_moderation"], "rewritten");
        assert_eq!(view["text_masked"], false);
        assert_eq!(open311_description(&app, reference).await, rewritten);
        let response = moderate(&app, &admin, id, json!({"action": "restore"})).await;
        assert_eq!(response.status(), 200);
        let view = public(&app, id).await;
        assert_eq!(view["description"], SHOWN);
        assert_eq!(view["description_moderation"], Value::Null);
        assert_eq!(view["text_masked"], true);
        let history: Value = send(&app, Method::GET, &format!("/api/v1/staff/reports/{id}/history"), Some(&admin), None).await.json().await.unwrap();
        let moderations: Vec<&Value> = history.as_array().unwrap().iter().filter(|h| h["action"] == "description_moderated").collect();
        assert_eq!(moderations.len(), 2);
        assert_eq!(moderations[0]["details"]["moderation"], "rewritten");
        assert_eq!(moderations[0]["details"]["public_text"], rewritten);
        assert_eq!(moderations[1]["details"]["moderation"], "none");
    }

    async fn a_moderators_text_is_masked_too(app) {
        let admin = admin_token(&app).await;
        let created = file(&app, "De lamp is uit.", "Akerstraat 12").await;
        let id = created["id"].as_str().unwrap();
        let response = moderate(&app, &admin, id, json!({"action": "rewrite", "text": "Lamp uit; info: 06-12345678"})).await;
        let shown: Value = response.json().await.unwrap();
        assert_eq!(shown["description"], "Lamp uit; info: [telefoonnummer verborgen]");
        assert_eq!(shown["text_masked"], true);
        assert_eq!(public(&app, id).await["description"], "Lamp uit; info: [telefoonnummer verborgen]");
    }

    async fn bad_moderation_requests_are_problems_that_name_the_field(app) {
        let admin = admin_token(&app).await;
        let created = file(&app, TYPED, "Akerstraat 12").await;
        let id = created["id"].as_str().unwrap();
        let cases = [
            (json!({"action": "rewrite"}), "/text"),
            (json!({"action": "rewrite", "text": "   "}), "/text"),
            (json!({"action": "rewrite", "text": "x".repeat(5001)}), "/text"),
            (json!({"action": "hide", "text": "waarom"}), "/text"),
            (json!({"action": "restore", "reason": "r".repeat(501)}), "/reason"),
            (json!({"action": "erase"}), "/action"),
            (json!({"text": "x"}), "/action"),
            (json!({"action": "hide", "colour": "red"}), "/colour"),
        ];
        for (body, pointer) in cases {
            let problem = expect_problem(moderate(&app, &admin, id, body.clone()).await, 422).await;
            assert_eq!(pointers(&problem), [pointer], "{body}");
        }
        let not_json = app.client.post(app.url(&format!("/api/v1/staff/reports/{id}/moderation")))
            .bearer_auth(&admin).header("Content-Type", "application/json").body("{").send().await.unwrap();
        expect_problem(not_json, 400).await;
        assert_eq!(public(&app, id).await["description"], SHOWN, "nothing changed");
    }

    async fn only_those_who_handle_the_report_may_moderate_it(app) {
        let admin = admin_token(&app).await;
        let (_, other) = staff_account(&app, &admin, "afval@heerlen.example", "department_staff", &["afval-en-reiniging"]).await;
        let (_, analyst) = staff_account(&app, &admin, "cijfers@heerlen.example", "analyst", &[]).await;
        let created = file(&app, TYPED, "Akerstraat 12").await;
        let id = created["id"].as_str().unwrap();
        expect_problem(moderate(&app, &other, id, json!({"action": "hide"})).await, 404).await;
        expect_problem(moderate(&app, &analyst, id, json!({"action": "hide"})).await, 403).await;
        let anonymous = app.client.post(app.url(&format!("/api/v1/staff/reports/{id}/moderation"))).json(&json!({"action": "hide"})).send().await.unwrap();
        expect_problem(anonymous, 401).await;
        let missing = uuid::Uuid::new_v4();
        expect_problem(moderate(&app, &admin, &missing.to_string(), json!({"action": "hide"})).await, 404).await;
        assert_eq!(public(&app, id).await["description"], SHOWN);
    }
}

on_both_backends! {
    async fn the_configured_admin_token_moderates_as_admin(app) {
        let created = file(&app, TYPED, "Akerstraat 12").await;
        let id = created["id"].as_str().unwrap();
        let response = moderate(&app, ADMIN_TOKEN, id, json!({"action": "hide"})).await;
        assert_eq!(response.status(), 200);
        let history: Value = send(&app, Method::GET, &format!("/api/v1/staff/reports/{id}/history"), Some(ADMIN_TOKEN), None).await.json().await.unwrap();
        let entry = history.as_array().unwrap().iter().find(|h| h["action"] == "description_moderated").unwrap();
        assert_eq!(entry["actor"], "admin");
    }
}
