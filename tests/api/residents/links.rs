//! The one-click pages behind the links in meldpunt's emails: confirming a subscription,
//! answering a quick question, the satisfaction survey, confirming to follow a report, and
//! unsubscribing. In the language of whoever the link belongs to, and in a real Chromium.

use std::path::Path;

use reqwest::Method;
use serde_json::{Value, json};

use super::report::{BROWSER, followed_report, page};
use crate::support::app::*;
use crate::support::backends::on_both_backends;
use crate::support::browser::{browser_output, browser_tools, run_node};
use crate::support::smtp::{mails_in, token_after};
use crate::support::staff::{admin_token, send};
use crate::support::subscriptions::{announce, confirmed, folder_app, publish, roadworks, subscribe};

/// The first mail to `email` that holds `marker`, waiting for it up to 10 s.
async fn mail_with(folder: &Path, email: &str, marker: &str) -> String {
    for _ in 0..200 {
        if let Some(mail) = mails_in(folder).into_iter().find(|m| m.contains(email) && m.contains(marker)) {
            return mail;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("no mail to {email} with {marker}");
}

/// A link from the first mail to `email` that holds `marker` (the address from `marker` on).
async fn link(folder: &Path, email: &str, marker: &str) -> String {
    format!("{marker}{}", token_after(&mail_with(folder, email, marker).await, marker))
}

/// The links of one resident's emails, set up through the API.
struct Links {
    confirm_subscription: String,
    answer: String,
    survey: String,
    confirm_support: String,
    unsubscribe: String,
    manage: String,
    report: String,
    announcement: String,
}

async fn links(app: &TestApp, folder: &Path) -> Links {
    let admin = admin_token(app).await;
    let dutch = "buurtbewoner@example.nl";
    confirmed(app, folder, dutch, json!({"areas": ["BU09171000"], "language": "nl"})).await;
    let english = "neighbour@example.nl";
    subscribe(app, json!({"channel": "email", "email": english, "areas": ["BU09171000"], "language": "en"})).await;
    let confirm_subscription = link(folder, english, "/api/v1/subscriptions/confirm/").await;

    let announcement = announce(app, &admin, roadworks(json!(["BU09171000"]))).await;
    publish(app, &admin, &announcement).await;
    let answer = link(folder, dutch, "/api/v1/answers/").await;
    let unsubscribe = link(folder, dutch, "/api/v1/subscriptions/unsubscribe/").await;
    let manage = link(folder, dutch, "/api/v1/subscriptions/manage/").await;

    let (report, _) = followed_report(app, folder, "nl").await;
    let supporter = "ik.ook@example.nl";
    let supported =
        send(app, Method::POST, &format!("/api/v1/reports/{report}/support"), None, Some(json!({"email": supporter})))
            .await;
    assert_eq!(supported.status(), 201);
    let confirm_support = link(folder, supporter, "/api/v1/support/confirm/").await;
    let resolved = send(
        app,
        Method::POST,
        &format!("/api/v1/staff/reports/{report}/transitions"),
        Some(&admin),
        Some(json!({"to": "resolved", "text": "De lamp is vervangen."})),
    )
    .await;
    assert_eq!(resolved.status(), 200);
    let survey = format!("{}?satisfied=no", link(folder, "lantaarn.melder@example.nl", "/api/v1/survey/").await);
    Links { confirm_subscription, answer, survey, confirm_support, unsubscribe, manage, report, announcement }
}

fn step(label: &str, path: &str, heading: &str, button: &str, done: &str) -> Value {
    json!({"label": label, "path": path, "heading": heading, "button": button, "done": done})
}

on_both_backends! {
    async fn each_link_s_page_is_in_its_owner_s_language_and_a_get_changes_nothing(backend: Backend) {
        let folder = tempfile::tempdir().unwrap();
        let app = folder_app(backend, folder.path()).await;
        let links = links(&app, folder.path()).await;

        let english = page(&app, &links.confirm_subscription, 200).await;
        assert!(english.contains("<html lang=\"en\">") && english.contains("Confirm your subscription"), "{english}");
        assert!(page(&app, &format!("{}?lang=nl", links.confirm_subscription), 200).await.contains("Aanmelding bevestigen"));
        let answer = page(&app, &links.answer, 200).await;
        assert!(answer.contains("Welke speeltoestellen wilt u?") && answer.contains("U kiest: Schommel"), "{answer}");
        let survey = page(&app, &links.survey, 200).await;
        assert!(survey.contains("Is het probleem opgelost?") && survey.contains("value=\"no\" checked"), "{survey}");
        assert!(page(&app, &links.confirm_support, 200).await.contains("Volgen bevestigen"));
        assert!(page(&app, &links.unsubscribe, 200).await.contains("Afmelden voor buurtberichten"));

        // Nothing changed by looking.
        assert_eq!(app.get_json(&links.manage).await["status"], "active");
        let admin = admin_token(&app).await;
        let staff = send(&app, Method::GET, &format!("/api/v1/staff/reports/{}", links.report), Some(&admin), None).await;
        assert!(staff.json::<Value>().await.unwrap()["surveys"][0]["answered_at"].is_null());

        // Unknown or used links: a page for browsers, a problem for apps, alike for every kind.
        for path in ["/api/v1/subscriptions/confirm/mps_nothing", "/api/v1/support/confirm/mpt_nothing",
                     "/api/v1/answers/mpa_nothing", "/api/v1/subscriptions/unsubscribe/mps_nothing"] {
            let body = page(&app, path, 404).await;
            assert!(body.contains("Deze link werkt niet (meer)"), "{path}: {body}");
            expect_problem(app.get(path).await, 404).await;
            let posted = app.client.post(app.url(path)).header("Accept", BROWSER).send().await.unwrap();
            assert_eq!(posted.status(), 404, "{path}");
            expect_problem(app.client.post(app.url(path)).send().await.unwrap(), 404).await;
        }
    }

    async fn a_quick_question_s_answer_link_is_gone_once_the_question_is_closed(backend: Backend) {
        let folder = tempfile::tempdir().unwrap();
        let app = folder_app(backend, folder.path()).await;
        let admin = admin_token(&app).await;
        confirmed(&app, folder.path(), "buurtbewoner@example.nl", json!({"areas": ["BU09171000"], "language": "nl"})).await;
        let announcement = announce(&app, &admin, roadworks(json!(["BU09171000"]))).await;
        publish(&app, &admin, &announcement).await;
        let answer = link(folder.path(), "buurtbewoner@example.nl", "/api/v1/answers/").await;
        assert!(page(&app, &answer, 200).await.contains("U kiest: Schommel"));
        let closed = send(&app, Method::POST, &format!("/api/v1/staff/announcements/{announcement}/close-question"), Some(&admin), None).await;
        assert_eq!(closed.status(), 204, "{}", closed.text().await.unwrap_or_default());

        let body = page(&app, &answer, 410).await;
        assert!(body.contains("De vraag is gesloten") && !body.contains("<button"), "no button that can only be refused: {body}");
        expect_problem(app.get(&answer).await, 410).await;
        let posted = app.client.post(app.url(&answer)).header("Accept", BROWSER).send().await.unwrap();
        assert_eq!(posted.status(), 410);
        assert!(posted.text().await.unwrap().contains("Deze vraag neemt geen antwoorden meer aan."));
        let problem = expect_problem(app.client.post(app.url(&answer)).send().await.unwrap(), 410).await;
        assert!(problem["detail"].as_str().unwrap().contains("question is closed"), "{problem}");
    }

    async fn the_one_click_pages_pass_the_browser_test_in_headless_chromium_with_axe_core(backend: Backend) {
        let folder = tempfile::tempdir().unwrap();
        let app = folder_app(backend, folder.path()).await;
        let links = links(&app, folder.path()).await;
        let steps = json!([
            step("confirm-subscription", &links.confirm_subscription, "Confirm your subscription", "Confirm", "Subscription confirmed"),
            step("answer", &links.answer, "Uw antwoord", "Antwoord versturen", "Bedankt voor uw antwoord"),
            step("survey", &links.survey, "Is het probleem opgelost?", "Antwoord versturen", "Bedankt voor uw antwoord"),
            step("confirm-support", &links.confirm_support, "Volgen bevestigen", "Bevestigen", "Bevestigd"),
            step("unsubscribe", &links.unsubscribe, "Afmelden voor buurtberichten", "Afmelden", "U bent afgemeld"),
        ]);
        let steps_file = folder.path().join("steps.json");
        std::fs::write(&steps_file, steps.to_string()).unwrap();
        let chromium = browser_tools().await;
        let out = browser_output(&app);
        run_node("links.mjs", &["--url", &app.address, "--steps", &steps_file.display().to_string(), "--chromium", &chromium], &out).await;
        assert!(out.join("link-survey.png").exists(), "a screenshot in {}", out.display());

        // What the buttons did, seen through the API.
        let admin = admin_token(&app).await;
        let staff = send(&app, Method::GET, &format!("/api/v1/staff/reports/{}", links.report), Some(&admin), None).await;
        let staff: Value = staff.json().await.unwrap();
        assert_eq!(staff["status"], "reopen_requested", "the survey's no asks to reopen");
        let db = app.database();
        let announcement = uuid::Uuid::parse_str(&links.announcement).unwrap();
        let counts = tokio::task::spawn_blocking(move || {
            meldpunt::storage::announcements::answer_counts(&mut db.conn().unwrap(), announcement).unwrap()
        }).await.unwrap();
        assert_eq!(counts, vec![("BU09171000".to_owned(), 0, 1)], "the answer Schommel is recorded");
        assert_eq!(app.get_json(&links.manage).await["status"], "ended", "unsubscribed");
    }
}
