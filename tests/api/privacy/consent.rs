//! Consent for "me too" addresses (double opt-in), and erasure through a follow link that
//! knows whose it is: a supporter erases their own address, the reporter of a merged
//! duplicate their own contact, and nobody anyone else's.

use reqwest::Method;
use serde_json::{Value, json};

use super::support::{outbox_text, run_retention, whole_database};
use crate::support::app::{TestApp, expect_problem, street_light_report};
use crate::support::backends::on_both_backends;
use crate::support::net::wait_for;
use crate::support::smtp::{mails_in, token_after};
use crate::support::staff::*;
use crate::support::subscriptions::folder_app;

const REPORTER: &str = "rita.melder@example.nl";
const SUPPORTER: &str = "sjors.steun@example.nl";

async fn file(app: &TestApp, email: &str, lat: f64) -> Value {
    let mut body = street_light_report();
    body["location"] = json!({"lat": lat, "lon": 5.9795});
    body["reporter"] = json!({"email": email});
    let response = app.post_report(&body, None).await;
    assert_eq!(response.status(), 201, "{}", response.text().await.unwrap_or_default());
    response.json().await.unwrap()
}

async fn support(app: &TestApp, id: &str, email: &str) -> Value {
    let response =
        send(app, Method::POST, &format!("/api/v1/reports/{id}/support"), None, Some(json!({"email": email}))).await;
    assert_eq!(response.status(), 201, "{}", response.text().await.unwrap_or_default());
    response.json().await.unwrap()
}

/// The mails to `email` so far.
fn mails_to(folder: &std::path::Path, email: &str) -> Vec<String> {
    mails_in(folder).into_iter().filter(|m| m.contains(email)).collect()
}

async fn change(app: &TestApp, admin: &str, id: &str, to: &str) {
    let path = format!("/api/v1/staff/reports/{id}/transitions");
    let moved = send(app, Method::POST, &path, Some(admin), Some(json!({"to": to, "text": "Bericht."}))).await;
    assert_eq!(moved.status(), 200, "{}", moved.text().await.unwrap_or_default());
}

async fn settled(app: &TestApp) {
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while app.outbox_counts().await.pending > 0 {
        assert!(std::time::Instant::now() < deadline, "the outbox did not empty");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

async fn confirm_support(app: &TestApp, mail: &str) {
    let token = token_after(mail, "/api/v1/support/confirm/");
    let path = format!("/api/v1/support/confirm/{token}");
    let page = app.get(&path).await;
    assert_eq!(page.status(), 200);
    assert!(
        page.text().await.unwrap().contains("<form method=\"post\" action=\"/api/v1/support/confirm/"),
        "a GET only shows a button"
    );
    assert_eq!(app.client.post(app.url(&path)).send().await.unwrap().status(), 200);
    expect_problem(app.client.post(app.url(&path)).send().await.unwrap(), 404).await;
}

on_both_backends! {
    async fn a_me_too_address_hears_nothing_but_the_confirmation_link_until_it_confirms(backend: Backend) {
        let folder = tempfile::tempdir().unwrap();
        let app = folder_app(backend, folder.path()).await;
        let admin = admin_token(&app).await;
        let report = file(&app, REPORTER, 50.8882).await;
        let id = report["id"].as_str().unwrap();

        let supported = support(&app, id, SUPPORTER).await;
        assert_eq!(supported["interest_count"], 1);
        assert!(supported["detail"].as_str().unwrap().contains("confirm"), "{supported}");
        wait_for("the confirmation link", || mails_to(folder.path(), SUPPORTER).len(), 1).await;
        let ask = mails_to(folder.path(), SUPPORTER).remove(0);
        assert!(ask.contains(report["reference"].as_str().unwrap()), "{ask}");
        assert!(!ask.contains("/api/v1/follow/"), "no follow link before consent: {ask}");

        // The same address again, in other letters: counted once, no second email, and the
        // same answer as the first time.
        let again = support(&app, id, &SUPPORTER.to_uppercase()).await;
        assert_eq!(again["interest_count"], 1);
        assert_eq!(again["detail"], supported["detail"]);

        // Unconfirmed, it hears nothing about the report.
        change(&app, &admin, id, "in_progress").await;
        settled(&app).await;
        assert_eq!(mails_to(folder.path(), SUPPORTER).len(), 1, "only the confirmation link");
        assert_eq!(mails_to(folder.path(), REPORTER).len(), 2, "the reporter hears as before");

        confirm_support(&app, &ask).await;
        change(&app, &admin, id, "resolved").await;
        wait_for("the update", || mails_to(folder.path(), SUPPORTER).len(), 2).await;
        let update = mails_to(folder.path(), SUPPORTER).into_iter().find(|m| m.contains("/api/v1/follow/")).unwrap();
        let token = token_after(&update, "/api/v1/follow/");
        let followed = app.get(&format!("/api/v1/follow/{token}")).await;
        assert_eq!(followed.status(), 200);
        assert!(!followed.text().await.unwrap().contains(REPORTER), "a supporter never sees the reporter");
        expect_problem(app.client.post(app.url("/api/v1/support/confirm/mpt_nothing")).send().await.unwrap(), 404).await;
    }
}

on_both_backends! {
    async fn a_supporter_erases_their_own_address_through_their_link_and_the_reporter_keeps_theirs(backend: Backend) {
        let folder = tempfile::tempdir().unwrap();
        let app = folder_app(backend, folder.path()).await;
        let admin = admin_token(&app).await;
        let report = file(&app, REPORTER, 50.8882).await;
        let id = report["id"].as_str().unwrap();
        support(&app, id, SUPPORTER).await;
        wait_for("the confirmation link", || mails_to(folder.path(), SUPPORTER).len(), 1).await;
        confirm_support(&app, &mails_to(folder.path(), SUPPORTER).remove(0)).await;
        change(&app, &admin, id, "in_progress").await;
        wait_for("the update", || mails_to(folder.path(), SUPPORTER).len(), 2).await;
        settled(&app).await;
        let update = mails_to(folder.path(), SUPPORTER).into_iter().find(|m| m.contains("/api/v1/follow/")).unwrap();
        let token = token_after(&update, "/api/v1/follow/");

        let erased = app.client.post(app.url(&format!("/api/v1/follow/{token}/erase"))).send().await.unwrap();
        assert_eq!(erased.status(), 200);
        let erased: Value = erased.json().await.unwrap();
        assert!(erased["erased"].as_array().unwrap().contains(&json!("supporter_email")), "{erased}");
        assert!(!erased["erased"].as_array().unwrap().contains(&json!("reporter_contact")), "{erased}");
        expect_problem(app.get(&format!("/api/v1/follow/{token}")).await, 404).await;

        // The reporter is untouched: contact kept, link working, still told.
        let view: Value = send(&app, Method::GET, &format!("/api/v1/staff/reports/{id}"), Some(&admin), None).await.json().await.unwrap();
        assert_eq!(view["reporter"]["email"], REPORTER, "{view}");
        assert!(view["history"].as_array().unwrap().iter().any(|h| h["action"] == "supporter_erased"), "{view}");
        let reporter_mail = mails_to(folder.path(), REPORTER).into_iter().find(|m| m.contains("/api/v1/follow/")).unwrap();
        assert_eq!(app.get(&format!("/api/v1/follow/{}", token_after(&reporter_mail, "/api/v1/follow/"))).await.status(), 200);
        let (to_reporter, to_supporter) = (mails_to(folder.path(), REPORTER).len(), mails_to(folder.path(), SUPPORTER).len());
        change(&app, &admin, id, "resolved").await;
        wait_for("the reporter's update", || mails_to(folder.path(), REPORTER).len(), to_reporter + 1).await;
        settled(&app).await;
        assert_eq!(mails_to(folder.path(), SUPPORTER).len(), to_supporter, "the supporter hears nothing more");
        assert!(!outbox_text(&app).contains(SUPPORTER), "no copy of a message to the supporter is kept");
        assert!(!whole_database(&app).contains(SUPPORTER), "the address is nowhere in the database");
        let another = send(&app, Method::POST, &format!("/api/v1/reports/{id}/support"), None, Some(json!({}))).await;
        assert_eq!(another.json::<Value>().await.unwrap()["interest_count"], 2, "the erased support still counts");
    }
}

on_both_backends! {
    async fn the_reporter_of_a_merged_duplicate_erases_only_their_own_contact(backend: Backend) {
        let folder = tempfile::tempdir().unwrap();
        let app = folder_app(backend, folder.path()).await;
        let admin = admin_token(&app).await;
        let original = file(&app, REPORTER, 50.8882).await;
        let duplicate = file(&app, "tweede.melder@example.nl", 50.8883).await;
        let (o, d) = (original["id"].as_str().unwrap(), duplicate["id"].as_str().unwrap());
        let merged = send(&app, Method::POST, &format!("/api/v1/staff/reports/{d}/merge"), Some(&admin), Some(json!({"into": o}))).await;
        assert_eq!(merged.status(), 200);
        change(&app, &admin, o, "in_progress").await;
        wait_for("the update about the original", || {
            mails_to(folder.path(), "tweede.melder@example.nl").iter().filter(|m| m.contains("in uitvoering")).count()
        }, 1).await;
        let mail = mails_to(folder.path(), "tweede.melder@example.nl").into_iter().find(|m| m.contains("in uitvoering")).unwrap();
        let token = token_after(&mail, "/api/v1/follow/");
        let erased = app.client.post(app.url(&format!("/api/v1/follow/{token}/erase"))).send().await.unwrap();
        assert_eq!(erased.status(), 200);

        let view = |id: String| {
            let app = &app;
            let admin = admin.clone();
            async move { send(app, Method::GET, &format!("/api/v1/staff/reports/{id}"), Some(&admin), None).await.json::<Value>().await.unwrap() }
        };
        assert_eq!(view(o.to_owned()).await["reporter"]["email"], REPORTER, "the original's reporter keeps their contact");
        assert!(view(d.to_owned()).await["reporter"].is_null(), "the duplicate's reporter is erased");
    }
}

on_both_backends! {
    setup = spawn_staff_app;

    async fn an_unconfirmed_me_too_address_is_erased_after_its_term_and_the_support_still_counts(app) {
        let report = file(&app, REPORTER, 50.8882).await;
        let id = report["id"].as_str().unwrap();
        support(&app, id, SUPPORTER).await;
        settled(&app).await;
        let soon = (chrono::Utc::now() + chrono::Duration::days(3)).to_rfc3339();
        let (_, early) = run_retention(&app, &["--as-of", &soon], &[]);
        assert_eq!(early["purged_supporter_addresses"], 0, "not before its term: {early:?}");
        let later = (chrono::Utc::now() + chrono::Duration::days(8)).to_rfc3339();
        let (_, due) = run_retention(&app, &["--dry-run", "--as-of", &later], &[]);
        assert_eq!(due["purged_supporter_addresses"], 1, "{due:?}");
        let (_, done) = run_retention(&app, &["--as-of", &later], &[]);
        assert_eq!(done["purged_supporter_addresses"], 1, "{done:?}");
        assert!(!whole_database(&app).contains(SUPPORTER), "the address is nowhere in the database");
        assert!(whole_database(&app).contains(REPORTER), "the open report's reporter is kept");
        let near = send(&app, Method::POST, &format!("/api/v1/reports/{id}/support"), None, Some(json!({}))).await;
        assert_eq!(near.json::<Value>().await.unwrap()["interest_count"], 2, "the first support still counts");
        let (_, again) = run_retention(&app, &["--as-of", &later], &[]);
        assert_eq!(again["purged_supporter_addresses"], 0, "nothing twice: {again:?}");
    }
}
