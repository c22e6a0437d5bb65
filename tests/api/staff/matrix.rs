//! The authorisation matrix: every staff endpoint against anonymous callers, analysts,
//! staff of another department, staff of the report's department, coordinators and admins.

use reqwest::Method;
use serde_json::{Value, json};

use crate::support::app::street_light_report;
use crate::support::backends::on_both_backends;
use crate::support::staff::*;

const SECRET_EMAIL: &str = "geheim.adres@example.nl";
const SECRET_NAME: &str = "Gerda Geheim";

on_both_backends! {
    setup = spawn_staff_app;

    async fn every_staff_endpoint_answers_each_role_as_the_matrix_says(app) {
        let admin = admin_token(&app).await;
        let (_, analyst) = staff_account(&app, &admin, "cijfers@heerlen.example", "analyst", &[]).await;
        let (_, wrong) = staff_account(&app, &admin, "afval@heerlen.example", "department_staff", &["afval-en-reiniging"]).await;
        let (_, right) = staff_account(&app, &admin, "lamp@heerlen.example", "department_staff", &["openbare-verlichting"]).await;
        let (_, coordinator) = staff_account(&app, &admin, "coord@heerlen.example", "coordinator", &[]).await;
        let mut body = street_light_report();
        body["reporter"] = json!({"email": SECRET_EMAIL, "name": SECRET_NAME, "phone": "+31 6 1111 2222"});
        let created: Value = app.post_report(&body, None).await.json().await.unwrap();
        let id = created["id"].as_str().unwrap().to_owned();
        let nobody = uuid::Uuid::new_v4();
        let callers: [(&str, Option<&str>); 6] = [
            ("anonymous", None),
            ("analyst", Some(&analyst)),
            ("wrong department", Some(&wrong)),
            ("right department", Some(&right)),
            ("coordinator", Some(&coordinator)),
            ("admin", Some(&admin)),
        ];
        // Expected status per caller, in the order above.
        let matrix: Vec<(Method, String, Option<Value>, [u16; 6])> = vec![
            (Method::GET, "/api/v1/staff/reports".into(), None, [401, 403, 200, 200, 200, 200]),
            (Method::GET, format!("/api/v1/staff/reports/{id}"), None, [401, 403, 404, 200, 200, 200]),
            (Method::POST, format!("/api/v1/staff/reports/{id}/transitions"), Some(json!({"to": "new"})), [401, 403, 404, 409, 409, 409]),
            (Method::POST, format!("/api/v1/staff/reports/{id}/notes"), Some(json!({"text": "Bekeken."})), [401, 403, 404, 201, 201, 201]),
            (Method::POST, format!("/api/v1/staff/reports/{id}/assign"), Some(json!({"account_id": null})), [401, 403, 404, 200, 200, 200]),
            (Method::POST, format!("/api/v1/staff/reports/{id}/merge"), Some(json!({"into": id})), [401, 403, 404, 422, 422, 422]),
            (Method::POST, format!("/api/v1/staff/reports/{id}/moderation"), Some(json!({"action": "restore"})), [401, 403, 404, 200, 200, 200]),
            (Method::GET, "/api/v1/admin/accounts".into(), None, [401, 403, 403, 403, 403, 200]),
            (Method::POST, "/api/v1/admin/accounts".into(), Some(json!({"email": "x", "name": "x", "role": "analyst"})), [401, 403, 403, 403, 403, 422]),
            (Method::PATCH, format!("/api/v1/admin/accounts/{nobody}"), Some(json!({"name": "x"})), [401, 403, 403, 403, 403, 404]),
            (Method::POST, format!("/api/v1/admin/accounts/{nobody}/tokens"), Some(json!({"label": "x"})), [401, 403, 403, 403, 403, 404]),
            (Method::GET, "/api/v1/admin/tokens".into(), None, [401, 403, 403, 403, 403, 200]),
            (Method::DELETE, format!("/api/v1/admin/tokens/{nobody}"), None, [401, 403, 403, 403, 403, 404]),
            (Method::GET, "/api/v1/admin/audit".into(), None, [401, 403, 403, 403, 403, 200]),
            (Method::POST, "/api/v1/auth/logout".into(), None, [401, 204, 204, 204, 204, 204]),
        ];
        for (method, path, body, expected) in matrix {
            for ((who, token), want) in callers.iter().zip(expected) {
                let response = send(&app, method.clone(), &path, *token, body.clone()).await;
                let status = response.status().as_u16();
                let text = response.text().await.unwrap();
                assert_eq!(status, want, "{method} {path} as {who}: {text}");
                if status >= 400 {
                    assert!(text.contains("urn:meldpunt:problem:"), "{method} {path} as {who}: {text}");
                }
                if *who == "wrong department" {
                    assert!(!text.contains(SECRET_EMAIL) && (path.contains(&id) || !text.contains(&id)), "{path} leaks to another department: {text}");
                }
            }
        }
    }

    async fn staff_work_on_a_report_never_puts_its_reporters_data_in_public_answers(app) {
        let admin = admin_token(&app).await;
        let mut body = street_light_report();
        body["reporter"] = json!({"email": SECRET_EMAIL, "name": SECRET_NAME});
        let created: Value = app.post_report(&body, None).await.json().await.unwrap();
        let id = created["id"].as_str().unwrap().to_owned();
        let reference = created["reference"].as_str().unwrap().to_owned();
        let detail = send(&app, Method::GET, &format!("/api/v1/staff/reports/{id}"), Some(&admin), None).await.text().await.unwrap();
        assert!(detail.contains(SECRET_EMAIL), "staff who need it see the contact");
        send(&app, Method::POST, &format!("/api/v1/staff/reports/{id}/notes"), Some(&admin),
            Some(json!({"text": "Intern: bel de melder terug.", "visibility": "internal"}))).await;
        send(&app, Method::POST, &format!("/api/v1/staff/reports/{id}/transitions"), Some(&admin),
            Some(json!({"to": "resolved", "text": "Gerepareerd."}))).await;
        for path in [format!("/api/v1/reports/{id}"), format!("/api/v1/reports/{reference}"), "/api/v1/openapi.json".into()] {
            let text = app.get(&path).await.text().await.unwrap();
            for secret in [SECRET_EMAIL, SECRET_NAME, "Geheim", "bel de melder"] {
                assert!(!text.contains(secret), "{path} shows '{secret}'");
            }
        }
    }
}
