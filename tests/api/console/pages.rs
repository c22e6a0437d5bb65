//! The queue and a report's page: scoping as the API scopes, forms that act through the
//! API's own functions, the audited contact.

use reqwest::Method;
use serde_json::{Value, json};

use super::{Browser, csrf};
use crate::support::app::{TestApp, street_light_report};
use crate::support::backends::on_both_backends;
use crate::support::staff::*;

const REPORTER_EMAIL: &str = "melder@example.nl";

async fn file(app: &TestApp, body: Value) -> (String, String) {
    let response = app.post_report(&body, None).await;
    assert_eq!(response.status(), 201);
    let report: Value = response.json().await.unwrap();
    (report["id"].as_str().unwrap().to_owned(), report["reference"].as_str().unwrap().to_owned())
}

fn litter() -> Value {
    let mut body = street_light_report();
    body["category"] = json!("veeg-zwerfvuil");
    body["answers"] = json!({});
    body["description"] = json!("Zakken afval naast de container.");
    body
}

on_both_backends! {
    setup = spawn_staff_app;

    async fn department_staff_see_only_their_departments_reports_in_the_queue_and_as_pages(app) {
        let admin = admin_token(&app).await;
        staff_account(&app, &admin, "lamp@heerlen.example", "department_staff", &["openbare-verlichting"]).await;
        let (lamp_id, lamp_ref) = file(&app, street_light_report()).await;
        let (litter_id, litter_ref) = file(&app, litter()).await;
        let mut browser = Browser::new(&app);
        browser.log_in("lamp@heerlen.example", STAFF_PASSWORD).await;
        let queue = browser.page("/console", 200).await;
        assert!(queue.contains(&lamp_ref) && !queue.contains(&litter_ref), "{queue}");
        assert!(queue.contains("1 meldingen"), "the count: {queue}");
        assert!(queue.contains("<svg") && queue.contains(&format!("href=\"/console/reports/{lamp_id}\" aria-label=\"{lamp_ref}\"")), "a dot on the map");
        let hidden = browser.page(&format!("/console/reports/{litter_id}"), 404).await;
        assert!(hidden.contains("Melding niet gevonden") && !hidden.contains(&litter_ref), "{hidden}");
        let api = send(&app, Method::GET, &format!("/api/v1/staff/reports/{litter_id}"), Some(browser.session.as_deref().unwrap()), None).await;
        assert_eq!(api.status(), 404, "the API answers the same");
        let page = browser.page(&format!("/console/reports/{lamp_id}"), 200).await;
        let refused = browser.post(&format!("/console/reports/{litter_id}"), &[("csrf", csrf(&page).as_str()), ("action", "contact")]).await;
        assert_eq!(refused.status(), 404, "nor its contact");

        let mut coordinator = Browser::new(&app);
        coordinator.log_in(ADMIN_EMAIL, ADMIN_PASSWORD).await;
        let all = coordinator.page("/console", 200).await;
        assert!(all.contains(&lamp_ref) && all.contains(&litter_ref) && all.contains("2 meldingen"));
        assert!(all.contains("<a href=\"/console?status=new\">Nieuw <span class=\"n\">2</span></a>"), "the count per status: {all}");
        let filtered = coordinator.page("/console?category=veeg-zwerfvuil&sort=priority", 200).await;
        assert!(filtered.contains(&litter_ref) && !filtered.contains(&lamp_ref), "{filtered}");
        let bad = coordinator.page("/console?status=kapot", 422).await;
        assert!(bad.contains("kapot") && bad.contains("is not a status"), "{bad}");
        let found = coordinator.get(&format!("/console?q={}", lamp_ref.to_lowercase())).await;
        assert_eq!(found.status(), 303, "a reference opens its report");
        assert_eq!(found.headers()["location"], format!("/console/reports/{lamp_id}").as_str());
    }

    async fn a_status_change_on_the_page_is_in_the_api_history_and_a_missing_text_is_shown_at_the_form(app) {
        let (id, _) = file(&app, street_light_report()).await;
        let mut browser = Browser::new(&app);
        browser.log_in(ADMIN_EMAIL, ADMIN_PASSWORD).await;
        let path = format!("/console/reports/{id}");
        let page = browser.page(&path, 200).await;
        assert!(page.contains("<option value=\"resolved\">Afgehandeld</option>"), "allowed transitions: {page}");
        assert!(!page.contains("<option value=\"reopened\">"), "not allowed from new");
        let token = csrf(&page);
        let missing = browser.post(&path, &[("csrf", token.as_str()), ("action", "transition"), ("to", "resolved"), ("text", "")]).await;
        assert_eq!(missing.status(), 422);
        let body = missing.text().await.unwrap();
        assert!(body.contains("Niet opgeslagen") && body.contains("class=\"field-error\""), "{body}");
        let done = browser.post(&path, &[("csrf", token.as_str()), ("action", "transition"), ("to", "resolved"), ("text", "De lamp is vervangen.")]).await;
        assert_eq!(done.status(), 303);
        let location = done.headers()["location"].to_str().unwrap().to_owned();
        assert_eq!(location, format!("{path}?done=status&to=resolved"));
        let after = browser.page(&location, 200).await;
        assert!(after.contains("Status gewijzigd naar Afgehandeld."), "{after}");
        let admin = admin_token(&app).await;
        let history: Value = send(&app, Method::GET, &format!("/api/v1/staff/reports/{id}/history"), Some(&admin), None).await.json().await.unwrap();
        let last = history.as_array().unwrap().iter().rev().find(|e| e["action"] == "status_changed").unwrap().clone();
        assert_eq!(last["details"]["to"], "resolved");
        assert_eq!(last["details"]["text"], "De lamp is vervangen.");
        let again = browser.post(&path, &[("csrf", token.as_str()), ("action", "transition"), ("to", "in_progress")]).await;
        assert_eq!(again.status(), 409, "the workflow refuses, as the API does");
    }

    async fn showing_the_reporter_s_contact_is_a_post_and_is_audited_like_the_api(app) {
        let mut body = street_light_report();
        body["reporter"] = json!({"email": REPORTER_EMAIL, "name": "Lies Lantaarn"});
        let (id, _) = file(&app, body).await;
        let admin = admin_token(&app).await;
        let (lamp_id, _) = staff_account(&app, &admin, "lamp@heerlen.example", "department_staff", &["openbare-verlichting"]).await;
        let mut browser = Browser::new(&app);
        browser.log_in("lamp@heerlen.example", STAFF_PASSWORD).await;
        let path = format!("/console/reports/{id}");
        let page = browser.page(&path, 200).await;
        assert!(!page.contains(REPORTER_EMAIL), "no contact before the click");
        let audit_path = format!("/api/v1/admin/audit?report_id={id}");
        let before: Value = send(&app, Method::GET, &audit_path, Some(&admin), None).await.json().await.unwrap();
        assert_eq!(before.as_array().unwrap().len(), 0, "opening the page is not a look at the contact");
        let shown = browser.post(&path, &[("csrf", csrf(&page).as_str()), ("action", "contact")]).await;
        assert_eq!(shown.status(), 200);
        let shown = shown.text().await.unwrap();
        assert!(shown.contains(REPORTER_EMAIL) && shown.contains("Lies Lantaarn"), "{shown}");
        let entries: Value = send(&app, Method::GET, &audit_path, Some(&admin), None).await.json().await.unwrap();
        assert_eq!(entries.as_array().unwrap().len(), 1);
        assert_eq!(entries[0]["account_id"], lamp_id.as_str());
        assert_eq!(entries[0]["action"], "viewed_reporter_contact");
    }

    async fn notes_assignment_changes_and_merges_act_through_the_api_s_rules(app) {
        let first = file(&app, street_light_report()).await.0;
        let mut near = street_light_report();
        near["location"] = json!({"lat": 50.8883, "lon": 5.9795});
        let (duplicate, duplicate_ref) = file(&app, near).await;
        let mut browser = Browser::new(&app);
        browser.log_in(ADMIN_EMAIL, ADMIN_PASSWORD).await;
        let path = format!("/console/reports/{first}");
        let page = browser.page(&path, 200).await;
        assert!(page.contains(&duplicate_ref), "the nearby duplicate is a candidate: {page}");
        let token = csrf(&page);
        let note = browser.post(&path, &[("csrf", token.as_str()), ("action", "note"), ("text", "Monteur gebeld."), ("visibility", "internal")]).await;
        assert_eq!(note.status(), 303);
        let mine = browser.post(&path, &[("csrf", token.as_str()), ("action", "assign"), ("account_id", "me")]).await;
        assert_eq!(mine.status(), 303);
        assert!(browser.page("/console?mine=1", 200).await.contains("1 meldingen"), "assigned to me");
        let admin = admin_token(&app).await;
        let (lamp_id, _) = staff_account(&app, &admin, "lamp@heerlen.example", "department_staff", &["openbare-verlichting"]).await;
        let (litter_id, _) = staff_account(&app, &admin, "afval@heerlen.example", "department_staff", &["afval-en-reiniging"]).await;
        let offered = browser.page(&path, 200).await;
        assert!(offered.contains(&format!("<option value=\"{lamp_id}\">")), "the lamp department's member is offered");
        assert!(!offered.contains(&litter_id), "another department's member is not");
        let wrong = browser.post(&path, &[("csrf", token.as_str()), ("action", "assign"), ("account_id", litter_id.as_str())]).await;
        assert_eq!(wrong.status(), 422, "the rule of the API refuses them");
        let bad = browser.post(&path, &[("csrf", token.as_str()), ("action", "change"), ("priority", "dringend")]).await;
        assert_eq!(bad.status(), 422);
        assert!(bad.text().await.unwrap().contains("is not a priority; use one of"));
        let changed = browser.post(&path, &[("csrf", token.as_str()), ("action", "change"), ("priority", "high"), ("department", "afval-en-reiniging")]).await;
        assert_eq!(changed.status(), 303);
        let after = browser.page(&format!("{path}?done=change"), 200).await;
        assert!(after.contains("Met de hand gekozen") && after.contains("Hoog"), "the routing explanation: {after}");
        let merged = browser.post(&format!("/console/reports/{duplicate}"), &[("csrf", token.as_str()), ("action", "merge"), ("into", first.as_str())]).await;
        assert_eq!(merged.status(), 303);
        assert_eq!(merged.headers()["location"], format!("{path}?done=merge").as_str());
        let dup: Value = send(&app, Method::GET, &format!("/api/v1/staff/reports/{duplicate}"), Some(&admin), None).await.json().await.unwrap();
        assert_eq!(dup["status"], "cancelled");
        let history = send(&app, Method::GET, &format!("/api/v1/staff/reports/{first}/history"), Some(&admin), None).await.text().await.unwrap();
        assert!(history.contains("Monteur gebeld.") && history.contains("priority_changed"), "{history}");
    }
}

on_both_backends! {
    setup = spawn_staff_app;

    async fn garbage_in_the_console_s_forms_and_addresses_gets_a_page_that_says_why_never_a_server_error(app) {
        let (id, _) = file(&app, street_light_report()).await;
        let mut browser = Browser::new(&app);
        let binary = browser.client.post(app.url("/console/login")).header("Content-Type", "application/x-www-form-urlencoded").body(vec![0xff, 0x00, 0x26, 0x3d, 0xfe]).send().await.unwrap();
        assert_eq!(binary.status(), 422, "a login form of bytes");
        let huge = browser.client.post(app.url("/console/login")).body("email=".to_owned() + &"a".repeat(20_000)).send().await.unwrap();
        assert_eq!(huge.status(), 413);
        browser.log_in(ADMIN_EMAIL, ADMIN_PASSWORD).await;
        assert_eq!(browser.get("/console/reports/geen-id").await.status(), 404);
        assert_eq!(browser.get("/console?page=-3&sort=%00&overdue=misschien&mine=ja&lang=xx").await.status(), 200);
        let path = format!("/console/reports/{id}");
        let token = csrf(&browser.page(&path, 200).await);
        for (form, status) in [
            (vec![("action", "ontploffen")], 422),
            (vec![("action", "transition"), ("to", "weg")], 422),
            (vec![("action", "assign"), ("account_id", "niemand")], 422),
            (vec![("action", "change"), ("lat", "50.88")], 422),
            (vec![("action", "change"), ("lat", "noord"), ("lon", "oost")], 422),
            (vec![("action", "change"), ("lat", "10"), ("lon", "10")], 422),
            (vec![("action", "change")], 422),
            (vec![("action", "merge"), ("into", "iets")], 422),
            (vec![("action", "merge"), ("into", id.as_str())], 422),
            (vec![("action", "note"), ("text", "")], 422),
        ] {
            let mut fields = form.clone();
            fields.push(("csrf", token.as_str()));
            let response = browser.post(&path, &fields).await;
            assert_eq!(response.status(), status, "{form:?}");
            assert!(response.headers()["content-type"].to_str().unwrap().starts_with("text/html"), "{form:?}");
            assert!(response.text().await.unwrap().contains("Niet opgeslagen"), "{form:?}");
        }
    }
}
