//! "Your report": the follow link as a page.

use reqwest::Method;
use serde_json::json;

use crate::support::app::*;
use crate::support::backends::on_both_backends;
use crate::support::browser::{browser_output, browser_tools, run_node};
use crate::support::smtp::{mails_in, token_after};
use crate::support::staff::{admin_token, send};
use crate::support::subscriptions::folder_app;

pub(super) const BROWSER: &str = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";
const REPORTER: &str = "lantaarn.melder@example.nl";

/// Files a report with a reporter in `language` and returns its id and follow path.
pub(super) async fn followed_report(app: &TestApp, folder: &std::path::Path, language: &str) -> (String, String) {
    let mut body = street_light_report();
    body["reporter"] = json!({"email": REPORTER, "name": "Lies Lantaarn"});
    body["language"] = json!(language);
    let response = app.post_report(&body, None).await;
    assert_eq!(response.status(), 201);
    let id = response.json::<serde_json::Value>().await.unwrap()["id"].as_str().unwrap().to_owned();
    let mut mail = None;
    for _ in 0..200 {
        mail = mails_in(folder).into_iter().find(|m| m.contains("/api/v1/follow/"));
        if mail.is_some() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let token = token_after(&mail.expect("a confirmation with a follow link"), "/api/v1/follow/");
    (id, format!("/api/v1/follow/{token}"))
}

pub(super) async fn page(app: &TestApp, path: &str, status: u16) -> String {
    let response = app.client.get(app.url(path)).header("Accept", BROWSER).send().await.unwrap();
    assert_eq!(response.status(), status, "GET {path}");
    assert!(response.headers()["content-type"].to_str().unwrap().starts_with("text/html"));
    assert_eq!(response.headers()["referrer-policy"], "no-referrer");
    response.text().await.unwrap()
}

pub(super) fn form_token(page: &str) -> String {
    let at = page.find("name=\"form\" value=\"").unwrap() + "name=\"form\" value=\"".len();
    page[at..].split('"').next().unwrap().to_owned()
}

on_both_backends! {
    async fn the_follow_link_answers_browsers_a_page_with_status_timeline_and_map_and_apps_json(backend: Backend) {
        let folder = tempfile::tempdir().unwrap();
        let app = folder_app(backend, folder.path()).await;
        let (id, path) = followed_report(&app, folder.path(), "nl").await;
        let admin = admin_token(&app).await;
        let moved = send(&app, Method::POST, &format!("/api/v1/staff/reports/{id}/transitions"), Some(&admin),
            Some(json!({"to": "in_progress", "text": "Een monteur komt morgen langs."}))).await;
        assert_eq!(moved.status(), 200, "{}", moved.text().await.unwrap());

        let json = app.get_json(&path).await;
        assert_eq!(json["report"]["status"], "in_progress", "apps get JSON: {json}");
        let body = page(&app, &path, 200).await;
        assert!(body.contains("<html lang=\"nl\">") && body.contains("Uw melding"), "{body}");
        assert!(body.contains(json["report"]["reference"].as_str().unwrap()), "the reference");
        assert!(body.contains("<strong>In behandeling</strong>"), "the status in words: {body}");
        assert!(body.contains("Ontvangen") && body.contains("Een monteur komt morgen langs."), "the timeline: {body}");
        assert!(body.contains("<svg") && body.contains("<title id=\"map-title\">Kaart van "), "a map with a text: {body}");
        assert!(body.contains("class=\"spot\""), "the place on the map");
        for personal in [REPORTER, "Lies", "Lantaarn"] {
            assert!(!body.contains(personal), "the page never shows {personal}");
        }
        let english = page(&app, &format!("{path}?lang=en"), 200).await;
        assert!(english.contains("<html lang=\"en\">") && english.contains("<strong>In progress</strong>"), "{english}");
    }

    async fn a_report_page_is_in_the_reporter_s_language(backend: Backend) {
        let folder = tempfile::tempdir().unwrap();
        let app = folder_app(backend, folder.path()).await;
        let (_, path) = followed_report(&app, folder.path(), "en").await;
        let body = page(&app, &path, 200).await;
        assert!(body.contains("<html lang=\"en\">") && body.contains("Your report") && body.contains("Received"), "{body}");
    }

    async fn stopping_the_emails_on_the_report_page_erases_the_contact_and_ends_the_link(backend: Backend) {
        let folder = tempfile::tempdir().unwrap();
        let app = folder_app(backend, folder.path()).await;
        let (_, path) = followed_report(&app, folder.path(), "nl").await;
        let form = form_token(&page(&app, &path, 200).await);
        let stale = app.client.post(app.url(&path)).header("Accept", BROWSER).form(&[("form", "1.00"), ("action", "stop_emails")]).send().await.unwrap();
        assert_eq!(stale.status(), 400, "an old form changes nothing");
        assert!(stale.text().await.unwrap().contains("Terug naar uw melding"));
        assert!(page(&app, &path, 200).await.contains("Uw melding"), "the link still works");

        let done = app.client.post(app.url(&path)).header("Accept", BROWSER).form(&[("form", form.as_str()), ("action", "stop_emails")]).send().await.unwrap();
        assert_eq!(done.status(), 200);
        let text = done.text().await.unwrap();
        assert!(text.contains("Uw gegevens zijn gewist") && text.contains("De melding zelf blijft bestaan"), "{text}");
        let gone = page(&app, &path, 404).await;
        assert!(gone.contains("Deze link werkt niet"), "{gone}");
        expect_problem(app.get(&path).await, 404).await;
    }

    async fn the_reporter_asks_to_reopen_a_resolved_report_on_its_page_and_the_page_says_what_happened(backend: Backend) {
        let folder = tempfile::tempdir().unwrap();
        let app = folder_app(backend, folder.path()).await;
        let (id, path) = followed_report(&app, folder.path(), "nl").await;
        assert!(!page(&app, &path, 200).await.contains("Vraag om heropenen"), "an open report cannot be asked to reopen");
        let admin = admin_token(&app).await;
        let resolved = send(&app, Method::POST, &format!("/api/v1/staff/reports/{id}/transitions"), Some(&admin),
            Some(json!({"to": "resolved", "text": "De lamp is vervangen."}))).await;
        assert_eq!(resolved.status(), 200, "{}", resolved.text().await.unwrap());
        let body = page(&app, &path, 200).await;
        assert!(body.contains("<strong>Afgehandeld</strong>") && body.contains("De lamp is vervangen."), "{body}");
        assert!(body.contains("Vraag om heropenen") && body.contains("<label for=\"text\">"), "{body}");
        assert!(body.contains("/api/v1/survey/mpq_") && body.contains("?satisfied=no"), "the survey's links: {body}");
        let form = form_token(&body);

        let asked = app.client.post(app.url(&path)).header("Accept", BROWSER)
            .form(&[("form", form.as_str()), ("action", "reopen"), ("text", "De lamp is nog steeds uit.")]).send().await.unwrap();
        assert_eq!(asked.status(), 200);
        assert!(asked.text().await.unwrap().contains("Uw vraag is ontvangen"));
        assert_eq!(app.get_json(&path).await["report"]["status"], "reopen_requested");
        let after = page(&app, &path, 200).await;
        assert!(after.contains("U vroeg om heropenen") && !after.contains("Vraag om heropenen"), "{after}");
        assert!(!after.contains("/api/v1/survey/"), "no survey once a request waits");
        assert!(!after.contains("nog steeds uit"), "the resident's text is an internal note, not public");

        let again = app.client.post(app.url(&path)).header("Accept", BROWSER)
            .form(&[("form", form.as_str()), ("action", "reopen")]).send().await.unwrap();
        assert_eq!(again.status(), 409);
        assert!(again.text().await.unwrap().contains("Heropenen kan niet"));
    }

    async fn an_unknown_follow_link_answers_the_same_page_as_an_erased_one(backend: Backend) {
        let app = spawn_app(backend).await;
        let body = page(&app, "/api/v1/follow/nonsense-token", 404).await;
        assert!(body.contains("Deze link werkt niet") && body.contains("al laten wissen"), "{body}");
        let posted = app.client.post(app.url("/api/v1/follow/nonsense-token")).header("Accept", BROWSER).form(&[("form", "x"), ("action", "stop_emails")]).send().await.unwrap();
        assert_eq!(posted.status(), 404);
    }

    async fn the_report_page_passes_the_browser_test_in_headless_chromium_with_axe_core(backend: Backend) {
        let folder = tempfile::tempdir().unwrap();
        let app = crate::residents::additions::app_in(backend, folder.path()).await;
        let (_, path) = followed_report(&app, folder.path(), "nl").await;
        let chromium = browser_tools().await;
        let out = browser_output(&app);
        let photo = folder.path().join("lamp.png");
        std::fs::write(&photo, crate::support::photos::png_bytes(48, 32)).unwrap();
        let photo = photo.display().to_string();
        run_node("report.mjs", &["--url", &app.address, "--report", &path, "--photo", &photo, "--chromium", &chromium], &out).await;
        expect_problem(app.get(&path).await, 404).await;
        assert!(out.join("report-nl.png").exists(), "a screenshot in {}", out.display());
    }

    async fn a_resolved_report_s_survey_and_request_to_reopen_pass_the_browser_test_in_headless_chromium(backend: Backend) {
        let folder = tempfile::tempdir().unwrap();
        let app = folder_app(backend, folder.path()).await;
        let (id, path) = followed_report(&app, folder.path(), "nl").await;
        let admin = admin_token(&app).await;
        let resolved = send(&app, Method::POST, &format!("/api/v1/staff/reports/{id}/transitions"), Some(&admin),
            Some(json!({"to": "resolved", "text": "De lamp is vervangen."}))).await;
        assert_eq!(resolved.status(), 200);
        let chromium = browser_tools().await;
        let out = browser_output(&app);
        run_node("resolved.mjs", &["--url", &app.address, "--report", &path, "--unknown", "/api/v1/follow/mpt_nonsense", "--chromium", &chromium], &out).await;
        // What the resident did in the browser is what staff see.
        let staff: serde_json::Value = send(&app, Method::GET, &format!("/api/v1/staff/reports/{id}"), Some(&admin), None).await.json().await.unwrap();
        assert_eq!(staff["status"], "reopen_requested");
        let survey = &staff["surveys"][0];
        assert_eq!((survey["satisfied"].clone(), survey["answer"].clone()), (json!(true), json!("Snel opgelost")), "{survey}");
        let notes: Vec<&str> = staff["history"].as_array().unwrap().iter()
            .filter(|h| h["action"] == "note" && h["details"]["visibility"] == "internal")
            .filter_map(|h| h["details"]["text"].as_str()).collect();
        for said in ["Binnen een dag, dank u.", "Hij knippert weer, elke avond."] {
            assert!(notes.iter().any(|n| n.contains(said)), "the resident's words are internal notes: {notes:?}");
        }
        assert!(out.join("resolved-nl.png").exists(), "a screenshot in {}", out.display());
    }
}
