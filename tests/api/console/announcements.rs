//! The console's announcement pages: writing a draft with areas from the map, the preview
//! and the reach, publishing, scheduling and withdrawing through the API's own functions
//! (and the result in the API), roles, form tokens, and garbage input.

use reqwest::Method;
use serde_json::{Value, json};

use super::{Browser, csrf};
use crate::support::app::TestApp;
use crate::support::backends::on_both_backends;
use crate::support::staff::*;
use crate::support::subscriptions::*;

const COORDINATOR: &str = "coordinator@heerlen.example";

async fn api(app: &TestApp, token: &str, path: &str) -> Value {
    let response = send(app, Method::GET, path, Some(token), None).await;
    assert_eq!(response.status(), 200, "GET {path}");
    response.json().await.unwrap()
}

fn location(response: &reqwest::Response) -> String {
    response.headers()["location"].to_str().unwrap().to_owned()
}

/// The id in `/console/announcements/{id}?done=…`.
fn id_in(location: &str) -> String {
    location.strip_prefix("/console/announcements/").unwrap().split('?').next().unwrap().to_owned()
}

fn draft<'a>(token: &'a str, action: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("csrf", token),
        ("action", action),
        ("title", "Werkzaamheden Akerstraat"),
        ("body", "Van 1 tot 5 december is de Akerstraat afgesloten."),
        ("tags", "roadworks"),
        ("question", "Welke speeltoestellen wilt u?"),
        ("options", "Schommel\nKlimrek"),
        ("area", "BU09171000"),
        ("area", "BU09173300"),
    ]
}

on_both_backends! {
    async fn a_coordinator_writes_a_draft_on_the_map_sees_preview_and_reach_publishes_and_withdraws_it_in_the_console(backend: Backend) {
        let folder = tempfile::tempdir().unwrap();
        let app = folder_app(backend, folder.path()).await;
        let admin = admin_token(&app).await;
        staff_account(&app, &admin, COORDINATOR, "coordinator", &[]).await;
        confirmed(&app, folder.path(), "maria@example.nl", json!({"areas": ["BU09171000"]})).await;
        confirmed(&app, folder.path(), "centrum@example.nl", json!({"areas": ["BU09173300"]})).await;
        confirmed(&app, folder.path(), "feest@example.nl", json!({"areas": ["BU09171000"], "tags": ["event"]})).await;
        let mut browser = Browser::new(&app);
        browser.log_in(COORDINATOR, STAFF_PASSWORD).await;

        let list = browser.page("/console/announcements", 200).await;
        assert!(list.contains("Er zijn nog geen berichten."), "{list}");
        let form = browser.page("/console/announcements/new", 200).await;
        assert!(form.contains("Maria Gewanden") && form.contains("data-code=\"BU09171000\""), "the picker and its map: {form}");
        let token = csrf(&form);

        // "Update map" shows the chosen buurten highlighted, a wijk its buurten.
        let mapped = browser
            .post("/console/announcements/new", &[("csrf", &token), ("action", "map"), ("area", "BU09171000"), ("area", "WK091733"), ("title", "Kept")])
            .await;
        assert_eq!(mapped.status(), 200);
        let mapped = mapped.text().await.unwrap();
        assert!(mapped.contains("class=\"area chosen\" data-code=\"BU09171000\""), "{mapped}");
        assert!(mapped.contains("class=\"area chosen\" data-code=\"BU09173300\""), "a buurt of the chosen wijk");
        assert!(mapped.contains("id=\"area-BU09171000\" name=\"area\" value=\"BU09171000\" checked") && mapped.contains("value=\"Kept\""));

        // The API's rules answer a missing title, at the form.
        let mut empty = draft(&token, "save");
        empty.retain(|(name, _)| *name != "title");
        let refused = browser.post("/console/announcements/new", &empty).await;
        assert_eq!(refused.status(), 422);
        assert!(refused.text().await.unwrap().contains("role=\"alert\""));
        assert!(api(&app, &admin, "/api/v1/staff/announcements").await.as_array().unwrap().is_empty(), "nothing stored");

        let saved = browser.post("/console/announcements/new", &draft(&token, "save")).await;
        assert_eq!(saved.status(), 303);
        let id = id_in(&location(&saved));
        let stored = api(&app, &admin, &format!("/api/v1/staff/announcements/{id}")).await;
        assert_eq!(stored["status"], "draft");
        assert_eq!(stored["areas"], json!(["BU09171000", "BU09173300"]));
        assert!(stored["created_by"].as_str().unwrap().starts_with("staff:"));

        let page = browser.page(&location(&saved), 200).await;
        assert!(page.contains("Het concept is opgeslagen."), "{page}");
        // maria and centrum; not the event-only subscription.
        assert!(page.contains("<strong class=\"reach-count\">2</strong>"), "the reach: {page}");
        assert_eq!(api(&app, &admin, &format!("/api/v1/staff/announcements/{id}/reach")).await, json!({"subscriptions": 2}));
        assert!(page.contains("Korte vraag: Welke speeltoestellen wilt u?") && page.contains("Quick question: Welke"), "the emails in both languages: {page}");
        assert!(page.contains("/api/v1/answers/"), "with answer links");
        assert!(api(&app, &admin, &format!("/api/v1/staff/announcements/{id}/deliveries")).await.as_array().unwrap().is_empty(), "the reach queued nothing");

        // Changing the draft: the API sees the change.
        let mut changed = draft(&token, "save");
        changed.retain(|(name, value)| !(*name == "area" && *value == "BU09173300"));
        let resaved = browser.post(&format!("/console/announcements/{id}"), &changed).await;
        assert_eq!(resaved.status(), 303);
        assert_eq!(api(&app, &admin, &format!("/api/v1/staff/announcements/{id}")).await["areas"], json!(["BU09171000"]));
        assert_eq!(api(&app, &admin, &format!("/api/v1/staff/announcements/{id}/reach")).await["subscriptions"], 1);

        let published = browser.post(&format!("/console/announcements/{id}"), &[("csrf", &token), ("action", "publish")]).await;
        assert_eq!(published.status(), 303);
        assert!(location(&published).ends_with("?done=published"));
        assert_eq!(api(&app, &admin, &format!("/api/v1/staff/announcements/{id}")).await["status"], "published");
        deliveries_once(&app, &admin, &id, "email", "sent", 1).await;
        let page = browser.page(&location(&published), 200).await;
        assert!(page.contains("Het bericht is gepubliceerd.") && page.contains("<td>email</td><td>sent</td><td>1</td>"), "{page}");
        assert!(page.contains("Antwoorden per buurt") && page.contains("Maria Gewanden (BU09171000)") && page.contains("<td>minder dan 5</td>"), "results with suppression: {page}");
        let again = browser.post(&format!("/console/announcements/{id}"), &[("csrf", &token), ("action", "publish")]).await;
        assert_eq!(again.status(), 409, "published once");

        let withdrawn = browser.post(&format!("/console/announcements/{id}"), &[("csrf", &token), ("action", "withdraw")]).await;
        assert_eq!(withdrawn.status(), 303);
        assert_eq!(api(&app, &admin, &format!("/api/v1/staff/announcements/{id}")).await["status"], "withdrawn");
        let twice = browser.post(&format!("/console/announcements/{id}"), &[("csrf", &token), ("action", "withdraw")]).await;
        assert_eq!(twice.status(), 409);

        // Scheduling another one.
        let other = browser.post("/console/announcements/new", &draft(&token, "save")).await;
        let other = id_in(&location(&other));
        let scheduled = browser
            .post(&format!("/console/announcements/{other}"), &[("csrf", &token), ("action", "schedule"), ("at", "2099-01-01T09:00")])
            .await;
        assert_eq!(scheduled.status(), 303);
        assert!(location(&scheduled).ends_with("?done=scheduled"));
        let view = api(&app, &admin, &format!("/api/v1/staff/announcements/{other}")).await;
        assert_eq!(view["status"], "scheduled");
        assert_eq!(view["publish_at"], "2099-01-01T08:00:00Z", "Dutch time");
        let list = browser.page("/console/announcements", 200).await;
        assert!(list.contains("Ingetrokken <span class=\"n\">1</span>") && list.contains("Ingepland <span class=\"n\">1</span>"), "{list}");
    }

    async fn other_roles_forms_without_the_sessions_token_and_garbage_get_pages_not_changes(backend: Backend) {
        let app = spawn_staff_app(backend).await;
        let admin = admin_token(&app).await;
        staff_account(&app, &admin, COORDINATOR, "coordinator", &[]).await;
        staff_account(&app, &admin, "lamp@heerlen.example", "department_staff", &["openbare-verlichting"]).await;
        let mut staff = Browser::new(&app);
        staff.log_in("lamp@heerlen.example", STAFF_PASSWORD).await;
        let refused = staff.page("/console/announcements", 403).await;
        assert!(refused.contains("Alleen beheerders en coördinatoren"), "{refused}");
        staff.page("/console/announcements/new", 403).await;
        let queue = staff.page("/console", 200).await;
        assert!(!queue.contains("href=\"/console/announcements\""), "department staff are not offered the announcements");
        let staff_token = csrf(&queue);
        assert_eq!(staff.post("/console/announcements/new", &draft(&staff_token, "save")).await.status(), 403);

        let mut browser = Browser::new(&app);
        browser.log_in(COORDINATOR, STAFF_PASSWORD).await;
        let form = browser.page("/console/announcements/new", 200).await;
        let token = csrf(&form);
        let mut forged = draft("", "save");
        forged.retain(|(name, _)| *name != "csrf");
        assert_eq!(browser.post("/console/announcements/new", &forged).await.status(), 403, "no token");
        assert_eq!(browser.post("/console/announcements/new", &draft(&staff_token, "save")).await.status(), 403, "another session's token");
        let cross = browser.post_from("/console/announcements/new", &draft(&token, "save"), "cross-site", Some("https://evil.example")).await;
        assert_eq!(cross.status(), 403, "another site");
        assert!(send(&app, Method::GET, "/api/v1/staff/announcements", Some(&admin), None).await.json::<Value>().await.unwrap().as_array().unwrap().is_empty());

        let mut bad_time = draft(&token, "save");
        bad_time.push(("valid_until", "morgen"));
        let answer = browser.post("/console/announcements/new", &bad_time).await;
        assert_eq!(answer.status(), 422);
        assert!(answer.text().await.unwrap().contains("JJJJ-MM-DD"));
        let mut bad_polygon = draft(&token, "save");
        bad_polygon.push(("polygon", "{ not json"));
        assert_eq!(browser.post("/console/announcements/new", &bad_polygon).await.status(), 422);
        let mut line = draft(&token, "save");
        line.push(("polygon", "5.91 50.92\n5.92 50.92"));
        assert_eq!(browser.post("/console/announcements/new", &line).await.status(), 422, "two points are no polygon");
        let mut drawn = draft(&token, "save");
        drawn.retain(|(name, _)| *name != "area");
        drawn.push(("polygon", "5.91 50.92\n5.92 50.92\n5.92 50.93\n5.91 50.93"));
        let saved = browser.post("/console/announcements/new", &drawn).await;
        assert_eq!(saved.status(), 303, "a drawn polygon");
        let id = id_in(&location(&saved));
        let view: Value = send(&app, Method::GET, &format!("/api/v1/staff/announcements/{id}"), Some(&admin), None).await.json().await.unwrap();
        assert_eq!(view["polygon"]["type"], "Polygon");
        assert!(view["covered_areas"].as_array().unwrap().contains(&json!("BU09171000")), "{view}");

        let unknown = browser.post(&format!("/console/announcements/{id}"), &[("csrf", &token), ("action", "launch")]).await;
        assert_eq!(unknown.status(), 422);
        let no_time = browser.post(&format!("/console/announcements/{id}"), &[("csrf", &token), ("action", "schedule"), ("at", "")]).await;
        assert_eq!(no_time.status(), 422);
        browser.page("/console/announcements/0192e000-0000-7000-8000-000000000000", 404).await;
        browser.page("/console/announcements/not-an-id", 404).await;
        assert_eq!(browser.post("/console/announcements/not-an-id", &[("csrf", &token), ("action", "publish")]).await.status(), 404);
        assert_eq!(staff.post(&format!("/console/announcements/{id}"), &[("csrf", &staff_token), ("action", "publish")]).await.status(), 403);
        assert_eq!(send(&app, Method::GET, &format!("/api/v1/staff/announcements/{id}"), Some(&admin), None).await.json::<Value>().await.unwrap()["status"], "draft");
    }
}
