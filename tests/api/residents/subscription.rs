//! "Your neighbourhood announcements": the management link as a page.

use serde_json::json;

use crate::support::app::*;
use crate::support::backends::on_both_backends;
use crate::support::browser::{browser_output, browser_tools, run_node};
use crate::support::smtp::{mails_in, token_after};
use crate::support::subscriptions::{confirmed, folder_app};

const BROWSER: &str = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";

/// A confirmed email subscription to a buurt and a wijk, in `language`; its management path.
async fn subscription(app: &TestApp, folder: &std::path::Path, email: &str, language: &str) -> String {
    let body = json!({"areas": ["BU09171000", "WK091711"], "tags": ["wegwerkzaamheden"], "language": language});
    confirmed(app, folder, email, body).await;
    let mail = mails_in(folder).into_iter().find(|m| m.contains(email)).unwrap();
    format!("/api/v1/subscriptions/manage/{}", token_after(&mail, "/api/v1/subscriptions/manage/"))
}

async fn page(app: &TestApp, path: &str, status: u16) -> String {
    let response = app.client.get(app.url(path)).header("Accept", BROWSER).send().await.unwrap();
    assert_eq!(response.status(), status, "GET {path}");
    let content_type = response.headers()["content-type"].to_str().unwrap().to_owned();
    assert!(content_type.starts_with("text/html"), "{content_type}");
    let csp = response.headers()["content-security-policy"].to_str().unwrap().to_owned();
    assert!(csp.contains("frame-ancestors 'none'") && !csp.contains("unsafe-inline"), "{csp}");
    assert_eq!(response.headers()["referrer-policy"], "no-referrer", "the address holds the link's token");
    response.text().await.unwrap()
}

/// The value of the hidden form token on a page.
fn form_token(page: &str) -> String {
    let at = page.find("name=\"form\" value=\"").unwrap() + "name=\"form\" value=\"".len();
    page[at..].split('"').next().unwrap().to_owned()
}

async fn post_form(app: &TestApp, path: &str, form: &[(&str, &str)]) -> (u16, String) {
    let response = app.client.post(app.url(path)).header("Accept", BROWSER).form(form).send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.text().await.unwrap())
}

on_both_backends! {
    async fn the_management_link_answers_browsers_a_page_in_the_subscription_s_language_and_apps_json(backend: Backend) {
        let folder = tempfile::tempdir().unwrap();
        let app = folder_app(backend, folder.path()).await;
        let path = subscription(&app, folder.path(), "pagina.bewoner@example.nl", "nl").await;

        let json = app.get_json(&path).await;
        assert!(json["covered_areas"].as_array().map(Vec::len).unwrap_or_default() > 1, "apps get JSON: {json}");
        let body = page(&app, &path, 200).await;
        assert!(body.contains("<html lang=\"nl\">") && body.contains("Uw buurtberichten"), "{body}");
        assert!(body.contains("Buurt Maria Gewanden (BU09171000)"), "areas by name: {body}");
        assert!(body.contains("Wijk ") && body.contains("(WK091711)"), "{body}");
        assert!(body.contains("Berichten van de gemeente over: wegwerkzaamheden."), "{body}");
        assert!(!body.contains("pagina.bewoner"), "the page never shows the address");
        let english = page(&app, &format!("{path}?lang=en"), 200).await;
        assert!(english.contains("<html lang=\"en\">") && english.contains("Neighbourhood Maria Gewanden"), "{english}");
        assert!(english.contains(&format!("href=\"{path}?lang=nl\"")), "a way back to Dutch");
    }

    async fn the_subscription_page_s_forms_change_language_categories_and_topics_and_end_it(backend: Backend) {
        let folder = tempfile::tempdir().unwrap();
        let app = folder_app(backend, folder.path()).await;
        let path = subscription(&app, folder.path(), "formulier.bewoner@example.nl", "nl").await;
        let body = page(&app, &path, 200).await;
        let form = form_token(&body);

        let (status, changed) = post_form(&app, &path, &[
            ("form", &form), ("action", "change"), ("language", "en"),
            ("categories", "afval"), ("categories", "wegen-verkeer-straatmeubilair"), ("tags", "Evenementen, wegwerkzaamheden"),
        ]).await;
        assert_eq!(status, 200, "{changed}");
        assert!(changed.contains("Your changes have been saved.") && changed.contains("<html lang=\"en\">"), "{changed}");
        let json = app.get_json(&path).await;
        assert_eq!((json["language"].as_str(), json["tags"].clone()), (Some("en"), json!(["evenementen", "wegwerkzaamheden"])));
        assert_eq!(json["categories"], json!(["afval", "wegen-verkeer-straatmeubilair"]));

        let (status, refused) = post_form(&app, &path, &[("form", &form), ("action", "change"), ("tags", "geen geldig onderwerp!")]).await;
        assert_eq!(status, 422, "{refused}");
        assert!(refused.contains("role=\"alert\"") && refused.contains("href=\"#tags\"") && refused.contains("is not a tag"), "{refused}");
        assert!(refused.contains("<li lang=\"en\"><a href=\"#tags\">"), "the API's English reason is marked as English on the Dutch page: {refused}");
        assert_eq!(app.get_json(&path).await["tags"], json!(["evenementen", "wegwerkzaamheden"]), "nothing half-stored");

        let (status, ended) = post_form(&app, &path, &[("form", &form), ("action", "end")]).await;
        assert_eq!(status, 200, "{ended}");
        assert!(ended.contains("U bent afgemeld") || ended.contains("You have unsubscribed"), "{ended}");
        assert_eq!(app.get_json(&path).await["status"], "ended");
        let after = page(&app, &path, 200).await;
        assert!(!after.contains("<form"), "an ended subscription has nothing to change: {after}");
    }

    async fn a_form_without_a_fresh_form_token_changes_nothing_and_asks_to_reload(backend: Backend) {
        let folder = tempfile::tempdir().unwrap();
        let app = folder_app(backend, folder.path()).await;
        let path = subscription(&app, folder.path(), "oud.formulier@example.nl", "nl").await;
        let other = subscription(&app, folder.path(), "ander.formulier@example.nl", "nl").await;
        let someone_elses = form_token(&page(&app, &other, 200).await);
        let old = format!("{}.{}", chrono::Utc::now().timestamp() - 5 * 3600, "0".repeat(32));
        for form in ["", "nonsense", old.as_str(), someone_elses.as_str()] {
            let (status, body) = post_form(&app, &path, &[("form", form), ("action", "end")]).await;
            assert_eq!(status, 400, "{form}: {body}");
            assert!(body.contains("Dit formulier is verlopen") && body.contains("er is niets gewijzigd"), "{body}");
        }
        assert_eq!(app.get_json(&path).await["status"], "active");
    }

    async fn an_unknown_management_link_answers_a_page_that_says_so(backend: Backend) {
        let app = spawn_app(backend).await;
        for path in ["/api/v1/subscriptions/manage/mps_nonsense", "/api/v1/subscriptions/manage/mps_0123456789abcdef0123456789abcdef_00"] {
            let body = page(&app, path, 404).await;
            assert!(body.contains("Deze link werkt niet") && body.contains("hele link"), "{body}");
            let (status, form) = post_form(&app, path, &[("form", "x"), ("action", "end")]).await;
            assert_eq!(status, 404, "{form}");
        }
        expect_problem(app.get("/api/v1/subscriptions/manage/mps_nonsense").await, 404).await;
    }

    async fn the_subscription_page_passes_the_browser_test_in_headless_chromium_with_axe_core(backend: Backend) {
        let folder = tempfile::tempdir().unwrap();
        let app = folder_app(backend, folder.path()).await;
        let path = subscription(&app, folder.path(), "browser.bewoner@example.nl", "nl").await;
        let chromium = browser_tools().await;
        let out = browser_output(&app);
        run_node("resident.mjs", &["--url", &app.address, "--subscription", &path, "--chromium", &chromium], &out).await;
        assert_eq!(app.get_json(&path).await["status"], "ended", "the browser ended it through the form");
        assert!(out.join("subscription-nl.png").exists(), "a screenshot in {}", out.display());
    }
}
