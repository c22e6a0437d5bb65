//! The right to erasure at once: a reporter erases their contact details through the
//! private follow link, and admins anonymise a report's reporter on request, with a reason
//! and an audit entry. Both are the retention job's anonymisation, applied now.

use reqwest::Method;
use serde_json::{Value, json};

use super::support::outbox_text;
use crate::support::app::{TestApp, expect_problem, pointers, spawn_app_with, street_light_report};
use crate::support::backends::on_both_backends;
use crate::support::net::wait_for;
use crate::support::smtp::{mails_in, token_after};
use crate::support::staff::*;

const EMAIL: &str = "erik.wisser@example.nl";
const NAME: &str = "Erik Wisserman";
const PHONE: &str = "0633344455";
const SUPPORTER: &str = "steun.wisser@example.nl";

/// A report filed with the reporter's email, name and phone; its id.
async fn file_with_contact(app: &TestApp) -> String {
    let mut body = street_light_report();
    body["reporter"] = json!({"email": EMAIL, "name": NAME, "phone": PHONE});
    let response = app.post_report(&body, None).await;
    assert_eq!(response.status(), 201, "{}", response.text().await.unwrap_or_default());
    response.json::<Value>().await.unwrap()["id"].as_str().unwrap().to_owned()
}

async fn staff_view(app: &TestApp, token: &str, id: &str) -> Value {
    let response = send(app, Method::GET, &format!("/api/v1/staff/reports/{id}"), Some(token), None).await;
    assert_eq!(response.status(), 200);
    response.json().await.unwrap()
}

/// The report's `reporter_anonymised` history entries.
fn anonymised_entries(view: &Value) -> Vec<Value> {
    view["history"].as_array().unwrap().iter().filter(|h| h["action"] == "reporter_anonymised").cloned().collect()
}

async fn outbox_settled(app: &TestApp) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while app.outbox_counts().await.pending > 0 {
        assert!(std::time::Instant::now() < deadline, "the outbox did not empty");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

async fn anonymise(app: &TestApp, token: Option<&str>, id: &str, body: Value) -> reqwest::Response {
    send(app, Method::POST, &format!("/api/v1/admin/reports/{id}/anonymise"), token, Some(body)).await
}

on_both_backends! {
    async fn a_reporter_erases_their_contact_through_the_follow_link_and_gets_no_more_emails(backend: Backend) {
        let folder = tempfile::tempdir().unwrap();
        let path = folder.path().display().to_string();
        let app = spawn_app_with(backend, |s| {
            with_bootstrap_admin(s);
            s.mail_dir = path.clone();
            s.outbox_poll_ms = 50;
        })
        .await;
        let id = file_with_contact(&app).await;
        let support = format!("/api/v1/reports/{id}/support");
        assert_eq!(send(&app, Method::POST, &support, None, Some(json!({"email": SUPPORTER}))).await.status(), 201);
        wait_for("the confirmation", || mails_in(folder.path()).len(), 1).await;
        let mail = mails_in(folder.path()).into_iter().find(|m| m.contains(EMAIL)).unwrap();
        let token = token_after(&mail, "/api/v1/follow/");
        assert_eq!(app.get(&format!("/api/v1/follow/{token}")).await.status(), 200);
        outbox_settled(&app).await;
        assert!(outbox_text(&app).contains(EMAIL), "the confirmation was sent to the reporter");

        let erased = app.client.post(app.url(&format!("/api/v1/follow/{token}/erase"))).send().await.unwrap();
        assert_eq!(erased.status(), 200);
        let erased: Value = erased.json().await.unwrap();
        assert!(erased["erased"].as_array().unwrap().contains(&json!("reporter_contact")), "{erased}");
        assert!(erased["detail"].as_str().unwrap().contains("no longer works"), "{erased}");

        // The link is gone, and answers like a link that never existed.
        let unknown = expect_problem(app.get("/api/v1/follow/mpt_notatoken").await, 404).await;
        let followed = expect_problem(app.get(&format!("/api/v1/follow/{token}")).await, 404).await;
        assert_eq!(followed["detail"], unknown["detail"]);
        let again = app.client.post(app.url(&format!("/api/v1/follow/{token}/erase"))).send().await.unwrap();
        assert_eq!(expect_problem(again, 404).await["detail"], unknown["detail"]);
        let never = app.client.post(app.url("/api/v1/follow/mpt_notatoken/erase")).send().await.unwrap();
        assert_eq!(expect_problem(never, 404).await["detail"], unknown["detail"]);

        // Staff see the report without its reporter, and a history entry that says so.
        let admin = admin_token(&app).await;
        let view = staff_view(&app, &admin, &id).await;
        assert!(view["reporter"].is_null(), "{view}");
        let entries = anonymised_entries(&view);
        assert_eq!(entries.len(), 1, "{view}");
        assert_eq!(entries[0]["actor"], "reporter");
        assert!(!view.to_string().contains(EMAIL) && !view.to_string().contains(NAME), "{view}");

        // No message to them is kept, and a status change sends them nothing; the
        // supporter's address is theirs, not the reporter's to erase.
        let outbox = outbox_text(&app);
        for erased in [EMAIL, NAME, PHONE] {
            assert!(!outbox.contains(erased), "{erased} is still in the outbox: {outbox}");
        }
        assert!(outbox.contains(SUPPORTER), "the supporter's confirmation is kept: {outbox}");
        assert!(!crate::privacy::support::whole_database(&app).contains(EMAIL), "the address is gone from the files at once");
        let mails = mails_in(folder.path()).len();
        let resolved = send(&app, Method::POST, &format!("/api/v1/staff/reports/{id}/transitions"), Some(&admin), Some(json!({"to": "resolved", "text": "Gerepareerd."}))).await;
        assert_eq!(resolved.status(), 200);
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
        outbox_settled(&app).await;
        assert_eq!(mails_in(folder.path()).len(), mails, "an email was sent after the erasure");
        assert!(!outbox_text(&app).contains(EMAIL));
    }
}

on_both_backends! {
    setup = spawn_staff_app;

    async fn an_admin_anonymises_a_reporter_on_request_with_a_reason_and_it_is_audited(app) {
        let id = file_with_contact(&app).await;
        let admin = admin_token(&app).await;
        let (_, lights) = staff_account(&app, &admin, "licht@heerlen.example", "department_staff", &["openbare-verlichting"]).await;
        let (_, coordinator) = staff_account(&app, &admin, "regie@heerlen.example", "coordinator", &[]).await;
        let reason = json!({"reason": "Verzoek van de melder per telefoon"});

        // Who may not.
        expect_problem(anonymise(&app, None, &id, reason.clone()).await, 401).await;
        for token in [&lights, &coordinator] {
            expect_problem(anonymise(&app, Some(token), &id, reason.clone()).await, 403).await;
        }
        // What is refused.
        let missing = expect_problem(anonymise(&app, Some(&admin), &id, json!({})).await, 422).await;
        assert_eq!(pointers(&missing), ["/reason"], "{missing}");
        let blank = expect_problem(anonymise(&app, Some(&admin), &id, json!({"reason": "  "})).await, 422).await;
        assert_eq!(pointers(&blank), ["/reason"], "{blank}");
        let long = expect_problem(anonymise(&app, Some(&admin), &id, json!({"reason": "x".repeat(501)})).await, 422).await;
        assert_eq!(pointers(&long), ["/reason"], "{long}");
        let unknown = "0190b5a0-0000-7000-8000-000000000000";
        expect_problem(anonymise(&app, Some(&admin), unknown, reason.clone()).await, 404).await;
        assert!(!staff_view(&app, &admin, &id).await["reporter"].is_null(), "nothing was erased by a refused request");

        // An admin account: erased, in the history with actor and reason, and audited.
        let done = anonymise(&app, Some(&admin), &id, reason.clone()).await;
        assert_eq!(done.status(), 200, "{}", done.text().await.unwrap_or_default());
        let view = staff_view(&app, &admin, &id).await;
        assert!(view["reporter"].is_null(), "{view}");
        let entries = anonymised_entries(&view);
        assert_eq!(entries.len(), 1, "{view}");
        assert!(entries[0]["actor"].as_str().unwrap().starts_with("staff:"), "{view}");
        assert_eq!(entries[0]["details"]["note"], "Verzoek van de melder per telefoon");
        let audit = send(&app, Method::GET, &format!("/api/v1/admin/audit?report_id={id}"), Some(&admin), None).await;
        let audit: Value = audit.json().await.unwrap();
        assert!(audit.as_array().unwrap().iter().any(|e| e["action"] == "anonymised_reporter"), "{audit}");
        outbox_settled(&app).await;
        assert!(!outbox_text(&app).contains(EMAIL), "the confirmation to the reporter is erased");

        // The configured admin token: the history names `admin`.
        let other = file_with_contact(&app).await;
        let (status, _) = app.admin_json(Method::POST, &format!("/api/v1/admin/reports/{other}/anonymise"), Some(&reason)).await;
        assert_eq!(status, 200);
        let view = staff_view(&app, &admin, &other).await;
        assert!(view["reporter"].is_null(), "{view}");
        assert_eq!(anonymised_entries(&view)[0]["actor"], "admin");
    }
}
