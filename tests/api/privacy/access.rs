//! The right of access by email address (AVG art. 15): the answer to a request reveals
//! nothing, the link goes to the address only, shows what is held and erases it everywhere
//! at once; wrong, expired and used links answer 404 or 410.

use reqwest::Method;
use serde_json::{Value, json};

use super::support::{execute, outbox_text, run_retention, whole_database};
use crate::support::app::{TestApp, expect_problem, pointers, street_light_report};
use crate::support::backends::on_both_backends;
use crate::support::net::wait_for;
use crate::support::smtp::{mails_in, token_after};
use crate::support::staff::*;
use crate::support::subscriptions::{confirmed, folder_app};

const EMAIL: &str = "ans.inzage@example.nl";
const NAME: &str = "Ans Inzagemaker";
const PHONE: &str = "0655566677";
const STRANGER: &str = "niemand.bekend@example.nl";

async fn ask(app: &TestApp, body: Value) -> reqwest::Response {
    app.client.post(app.url("/api/v1/privacy/access-requests")).json(&body).send().await.unwrap()
}

/// Asks for `email` and returns the token of the link emailed to it.
async fn access_token(app: &TestApp, folder: &std::path::Path, email: &str) -> String {
    let before = links_to(folder, email).len();
    let response = ask(app, json!({"email": email})).await;
    assert_eq!(response.status(), 202);
    wait_for("the access link", || links_to(folder, email).len(), before + 1).await;
    let mails = links_to(folder, email);
    token_after(mails.last().unwrap(), "/api/v1/privacy/access/")
}

fn links_to(folder: &std::path::Path, email: &str) -> Vec<String> {
    mails_in(folder).into_iter().filter(|m| m.contains(email) && m.contains("/api/v1/privacy/access/")).collect()
}

async fn file(app: &TestApp, lat: f64) -> Value {
    let mut body = street_light_report();
    body["location"] = json!({"lat": lat, "lon": 5.9795});
    body["reporter"] = json!({"email": EMAIL, "name": NAME, "phone": PHONE});
    let response = app.post_report(&body, None).await;
    assert_eq!(response.status(), 201, "{}", response.text().await.unwrap_or_default());
    response.json().await.unwrap()
}

on_both_backends! {
    async fn an_access_request_answers_the_same_whether_or_not_anything_is_held(backend: Backend) {
        let folder = tempfile::tempdir().unwrap();
        let app = folder_app(backend, folder.path()).await;
        file(&app, 50.8882).await;
        let known = ask(&app, json!({"email": EMAIL})).await;
        let unknown = ask(&app, json!({"email": STRANGER, "language": "en"})).await;
        assert_eq!((known.status(), unknown.status()), (reqwest::StatusCode::ACCEPTED, reqwest::StatusCode::ACCEPTED));
        let (known, unknown): (Value, Value) = (known.json().await.unwrap(), unknown.json().await.unwrap());
        assert_eq!(known, unknown, "the answer says nothing about what is held");
        assert_eq!(known["link_hours"], 72);

        // Each address gets its own link, and only its own.
        wait_for("both links", || links_to(folder.path(), EMAIL).len() + links_to(folder.path(), STRANGER).len(), 2).await;
        let stranger = links_to(folder.path(), STRANGER).remove(0);
        assert!(!stranger.contains(EMAIL), "{stranger}");
        assert!(stranger.contains("72 hours"), "in the language asked: {stranger}");
        let token = token_after(&stranger, "/api/v1/privacy/access/");
        let held: Value = app.get_json(&format!("/api/v1/privacy/access/{token}")).await;
        assert_eq!(held["email"], STRANGER);
        for list in ["reports", "supports", "subscriptions"] {
            assert_eq!(held[list], json!([]), "{held}");
        }

        let bad = expect_problem(ask(&app, json!({"email": "niet@@example"})).await, 422).await;
        assert_eq!(pointers(&bad), ["/email"]);
        expect_problem(ask(&app, json!({"email": EMAIL, "extra": 1})).await, 422).await;
    }
}

on_both_backends! {
    async fn the_access_link_shows_what_is_held_and_erases_it_everywhere_at_once(backend: Backend) {
        let folder = tempfile::tempdir().unwrap();
        let app = folder_app(backend, folder.path()).await;
        let admin = admin_token(&app).await;
        let filed = file(&app, 50.8882).await;
        let id = filed["id"].as_str().unwrap().to_owned();
        let other = {
            let mut body = street_light_report();
            body["location"] = json!({"lat": 50.8950, "lon": 5.9795});
            app.post_report(&body, None).await.json::<Value>().await.unwrap()
        };
        let other_id = other["id"].as_str().unwrap().to_owned();
        let supported = send(&app, Method::POST, &format!("/api/v1/reports/{other_id}/support"), None, Some(json!({"email": EMAIL.to_uppercase()}))).await;
        assert_eq!(supported.status(), 201);
        confirmed(&app, folder.path(), EMAIL, json!({"areas": ["BU09171000"]})).await;

        let token = access_token(&app, folder.path(), EMAIL).await;
        let held: Value = app.get_json(&format!("/api/v1/privacy/access/{token}")).await;
        assert_eq!(held["email"], EMAIL);
        let reports = held["reports"].as_array().unwrap();
        assert_eq!(reports.len(), 1, "{held}");
        assert_eq!(reports[0]["reference"], filed["reference"]);
        assert_eq!(reports[0]["contact"], json!({"email": EMAIL, "name": NAME, "phone": PHONE}));
        let supports = held["supports"].as_array().unwrap();
        assert_eq!((supports.len(), &supports[0]["reference"], &supports[0]["confirmed"]), (1, &other["reference"], &json!(false)), "{held}");
        let subscriptions = held["subscriptions"].as_array().unwrap();
        assert_eq!((subscriptions.len(), &subscriptions[0]["status"]), (1, &json!("active")), "{held}");
        assert!(held["emails_kept"].as_i64().unwrap() >= 3, "{held}");

        let erased = app.client.post(app.url(&format!("/api/v1/privacy/access/{token}/erase"))).send().await.unwrap();
        assert_eq!(erased.status(), 200);
        let erased: Value = erased.json().await.unwrap();
        assert_eq!((erased["reports"].as_i64(), erased["supports"].as_i64(), erased["subscriptions"].as_i64()), (Some(1), Some(1), Some(1)), "{erased}");

        // Nothing of the address is left, and the reports are.
        let everything = whole_database(&app);
        for seeded in [EMAIL, NAME, PHONE, &EMAIL.to_uppercase()] {
            assert!(!everything.contains(seeded), "{seeded} is still in the database");
        }
        assert!(!outbox_text(&app).contains(EMAIL));
        let view: Value = send(&app, Method::GET, &format!("/api/v1/staff/reports/{id}"), Some(&admin), None).await.json().await.unwrap();
        assert!(view["reporter"].is_null(), "{view}");
        assert!(view["history"].as_array().unwrap().iter().any(|h| h["action"] == "reporter_anonymised" && h["actor"] == "resident"), "{view}");
        assert_eq!(app.get(&format!("/api/v1/reports/{other_id}")).await.status(), 200);

        // The link is used up; so is every other link of the address.
        let gone = expect_problem(app.get(&format!("/api/v1/privacy/access/{token}")).await, 410).await;
        assert!(gone["detail"].as_str().unwrap().contains("access-requests"), "{gone}");
        expect_problem(app.client.post(app.url(&format!("/api/v1/privacy/access/{token}/erase"))).send().await.unwrap(), 410).await;
    }
}

on_both_backends! {
    async fn wrong_and_expired_access_links_answer_404_and_410_and_expired_ones_are_removed(backend: Backend) {
        let folder = tempfile::tempdir().unwrap();
        let app = folder_app(backend, folder.path()).await;
        let unknown = expect_problem(app.get("/api/v1/privacy/access/mpt_notatoken").await, 404).await;
        assert!(!unknown["detail"].as_str().unwrap().contains('@'), "{unknown}");
        expect_problem(app.client.post(app.url("/api/v1/privacy/access/mpt_notatoken/erase")).send().await.unwrap(), 404).await;

        let token = access_token(&app, folder.path(), STRANGER).await;
        assert_eq!(app.get(&format!("/api/v1/privacy/access/{token}")).await.status(), 200);
        execute(&app, "UPDATE access_requests SET expires_at = created_at");
        let gone = expect_problem(app.get(&format!("/api/v1/privacy/access/{token}")).await, 410).await;
        assert!(!gone.to_string().contains(STRANGER), "{gone}");
        expect_problem(app.client.post(app.url(&format!("/api/v1/privacy/access/{token}/erase"))).send().await.unwrap(), 410).await;

        let (_, done) = run_retention(&app, &[], &[]);
        assert!(done["removed_tokens"] >= 1, "{done:?}");
        // Removed with the address it was sent to: the link is now unknown.
        expect_problem(app.get(&format!("/api/v1/privacy/access/{token}")).await, 404).await;
    }
}
