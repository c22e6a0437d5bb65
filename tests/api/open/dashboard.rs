//! The public dashboard (`GET /open/dashboard`): rendered on the server from the protected
//! grid, in Dutch and English, with HTML error pages for bad input; and the same page in a
//! real headless Chromium with axe-core (`tests/browser/dashboard.mjs`).

use reqwest::Method;

use crate::support::app::TestApp;
use crate::support::backends::on_both_backends;
use crate::support::browser::{browser_output, browser_tools, run_node};
use crate::support::history::{History, import};
use crate::support::staff::*;

const A: (f64, f64) = (50.923975, 5.91321); // BU09171000, wijk WK091710
const B: (f64, f64) = (50.920036, 5.906117); // BU09171001, wijk WK091710
const C: (f64, f64) = (50.932135, 5.923663); // BU09171100, wijk WK091711

/// The buurt with fewer than 5 reports in 2025.
const SMALL: &str = "BU09171001";

const NAME: &str = "Dashboard Daan";
const EMAIL: &str = "daan.dashboard@example.nl";
const PHONE: &str = "0455559876";

/// 2025 in three buurten: many street-light reports in A and C, three in B (fewer than 5),
/// and a non-public category that must never count. Descriptions carry personal data.
fn history() -> String {
    let mut history = History::new("D", &format!("Melding van {NAME}, {EMAIL}, bel {PHONE}"));
    history.add(10, "straatverlichting-openbare-klok", A, "2025-03-05", "2025-04-10 12:00:00", "resolved");
    history.add(6, "grofvuil", A, "2025-06-03", "2025-06-04 12:00:00", "resolved");
    history.add(3, "straatverlichting-openbare-klok", B, "2025-03-07", "", "in_progress");
    history.add(7, "straatverlichting-openbare-klok", C, "2025-03-08", "2025-03-20 12:00:00", "resolved");
    history.add(8, "grofvuil", C, "2025-09-03", "2025-09-04 12:00:00", "resolved");
    history.add(6, "jongerenoverlast", B, "2025-03-09", "", "in_progress");
    history.csv()
}

async fn seed(app: &TestApp) {
    import(app, history()).await;
}

/// GETs a page, asserting its status and that it is HTML.
async fn page(app: &TestApp, path: &str, status: u16) -> String {
    let response = app.get(path).await;
    assert_eq!(response.status(), status, "GET {path}");
    let content_type = response.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or_default();
    assert!(content_type.starts_with("text/html"), "GET {path}: {content_type}");
    response.text().await.unwrap()
}

fn assert_nothing_personal(body: &str) {
    for personal in [NAME, EMAIL, PHONE, "Daan", "example.nl"] {
        assert!(!body.contains(personal), "the page shows {personal:?}");
    }
}

fn month(offset: i64) -> String {
    use chrono::Datelike;
    let today = chrono::Utc::now().with_timezone(&chrono_tz::Europe::Amsterdam).date_naive();
    let first = today.with_day0(0).unwrap();
    let shifted = if offset < 0 { first - chrono::Months::new(offset.unsigned_abs() as u32) } else { first };
    shifted.format("%Y-%m").to_string()
}

/// An analyst (email, token) and a project on Maria Gewanden with a few reports.
async fn project(app: &TestApp) -> (String, String) {
    let admin = admin_token(app).await;
    let email = "analist.dashboard@heerlen.example";
    let (_, analyst) = staff_account(app, &admin, email, "analyst", &[]).await;
    for _ in 0..3 {
        crate::analyst::stats::file(app, "straatverlichting-openbare-klok", A).await;
    }
    let definition = serde_json::json!({
        "areas": ["BU09171000"],
        "categories": ["wegen-verkeer-straatmeubilair"],
        "baseline_from": month(-12),
        "baseline_to": month(-1),
        "intervention_start": format!("{}-01", month(0)),
        "follow_up": "month",
    });
    let body = serde_json::json!({"name": "Lichtplan Maria Gewanden", "description": "Nieuwe lampen", "definition": definition});
    let response = send(app, Method::POST, "/api/v1/projects", Some(&analyst), Some(body)).await;
    assert_eq!(response.status(), 201, "{}", response.text().await.unwrap_or_default());
    let created: serde_json::Value = response.json().await.unwrap();
    (email.to_owned(), created["id"].as_str().unwrap().to_owned())
}

on_both_backends! {
    setup = spawn_staff_app;

    async fn the_dashboard_maps_every_buurt_in_dutch_with_small_counts_marked_and_nothing_personal(app) {
        seed(&app).await;
        let body = page(&app, "/open/dashboard?year=2025&period=year", 200).await;
        assert!(body.starts_with("<!doctype html><html lang=\"nl\">"), "{}", &body[..200]);
        assert_eq!(body.matches("data-area=\"BU").count(), 57, "every Heerlen buurt on the map");
        assert!(body.contains(&format!("data-area=\"{SMALL}\" data-state=\"small\"")), "B is drawn as suppressed");
        assert!(body.contains("minder dan 5"), "the Dutch note for a small count");
        assert!(body.contains("verborgen ter bescherming"), "the legend names the protecting cells");
        assert!(body.contains("<caption"), "a table for the pictures");
        assert!(body.contains("href=\"/open/assets/dashboard.css\""));
        assert!(!body.contains("https://"), "nothing from another host");
        assert_nothing_personal(&body);

        // The time series of the municipality: twelve months, March with 10 + 3 + 7.
        assert!(body.contains("<th scope=\"row\">2025-03</th><td class=\"num\" data-state=\"count\">20</td>"), "{body}");
    }

    async fn the_dashboard_speaks_english_on_request_and_shows_one_buurt_s_months(app) {
        seed(&app).await;
        let body = page(&app, &format!("/open/dashboard?lang=en&year=2025&period=month&at=2025-03&area={SMALL}"), 200).await;
        assert!(body.starts_with("<!doctype html><html lang=\"en\">"));
        assert!(body.contains("fewer than 5"));
        assert!(body.contains("hreflang=\"nl\""), "a link to the Dutch page");
        assert!(body.contains(&format!("({SMALL})</h2>")), "the series of the buurt asked");
        assert_nothing_personal(&body);
        // Its own style and script, from the binary.
        for (path, kind) in [("/open/assets/dashboard.css", "text/css"), ("/open/assets/dashboard.js", "text/javascript")] {
            let response = app.get(path).await;
            assert_eq!(response.status(), 200, "{path}");
            let content_type = response.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
            assert!(content_type.starts_with(kind), "{path}: {content_type}");
        }
    }

    async fn bad_input_gets_an_html_page_that_says_what_to_change(app) {
        seed(&app).await;
        for (query, says) in [
            ("period=week", "month, quarter or year"),
            ("level=provincie", "buurt, wijk or gemeente"),
            ("category=jongerenoverlast", "not a published category"),
            ("year=2025&area=BU99999999", "choose an area on the map"),
            ("lang=fr", "use nl or en"),
            ("year=1850", "has no ended month"),
        ] {
            let body = page(&app, &format!("/open/dashboard?{query}"), 422).await;
            assert!(body.contains(says), "{query}: {body}");
            assert!(body.contains("<html lang=\""), "{query}");
            assert!(body.contains("href=\"/open/dashboard?lang="), "{query}: a way back");
        }
        let body = page(&app, "/open/dashboard?lang=en&period=week", 422).await;
        assert!(body.contains("<html lang=\"en\">") && body.contains("Please change the following"), "{body}");
    }

    async fn the_dashboard_passes_the_browser_test_in_headless_chromium_with_axe_core(app) {
        seed(&app).await;
        let chromium = browser_tools().await;
        let out = browser_output(&app);
        run_node(
            "dashboard.mjs",
            &["--url", &app.address, "--small", SMALL, "--areas", "57", "--year", "2025", "--chromium", &chromium],
            &out,
        )
        .await;
        assert!(out.join("dashboard-nl.png").exists() && out.join("dashboard-en.png").exists(), "screenshots in {}", out.display());
    }

    async fn the_analyst_page_signs_in_and_shows_a_project_s_results_in_headless_chromium(app) {
        let (email, id) = project(&app).await;
        let body = page(&app, &format!("/analyst/projects/{id}"), 200).await;
        assert!(body.contains("<html lang=\"nl\">") && body.contains("<label for=\"email\">"), "{body}");
        assert!(!body.contains("Lichtplan"), "nothing of the project without signing in");
        let chromium = browser_tools().await;
        let out = browser_output(&app);
        run_node(
            "analyst.mjs",
            &["--url", &app.address, "--project", &id, "--email", &email, "--password", STAFF_PASSWORD, "--chromium", &chromium],
            &out,
        )
        .await;
        assert!(out.join("analyst-nl.png").exists(), "a screenshot in {}", out.display());
    }
}
