//! The console's way to the analyst pages: the monitoring projects with links to their
//! analyst page, the public dashboard and the open data; for the roles that read statistics.

use reqwest::Method;
use serde_json::{Value, json};

use super::Browser;
use crate::support::backends::on_both_backends;
use crate::support::staff::*;

on_both_backends! {
    setup = spawn_staff_app;

    async fn an_analyst_lands_on_the_analysis_page_with_links_to_each_project_and_the_open_data(app) {
        let admin = admin_token(&app).await;
        let (_, analyst) = staff_account(&app, &admin, "analist@heerlen.example", "analyst", &[]).await;
        let definition = json!({
            "areas": ["BU09171000"],
            "categories": ["wegen-verkeer-straatmeubilair"],
            "baseline_from": "2025-01",
            "baseline_to": "2025-12",
            "intervention_start": "2026-01-01",
            "follow_up": "month",
        });
        let response = send(&app, Method::POST, "/api/v1/projects", Some(&analyst),
            Some(json!({"name": "Lichtplan <Maria> Gewanden", "definition": definition}))).await;
        assert_eq!(response.status(), 201, "{}", response.text().await.unwrap_or_default());
        let project: Value = response.json().await.unwrap();

        let mut browser = Browser::new(&app);
        browser.log_in("analist@heerlen.example", STAFF_PASSWORD).await;
        // The queue is for those who handle reports: an analyst is sent to the analysis page.
        let queue = browser.get("/console").await;
        assert_eq!(queue.status(), 303);
        assert_eq!(queue.headers()["location"], "/console/analysis");
        let page = browser.page("/console/analysis", 200).await;
        let link = format!("href=\"/analyst/projects/{}?lang=nl\"", project["id"].as_str().unwrap());
        assert!(page.contains(&link), "{page}");
        assert!(page.contains("Lichtplan &#60;Maria&#62; Gewanden") && page.contains("nog niet"), "escaped, not yet frozen: {page}");
        for open in ["/open/dashboard?lang=nl", "/api/v1/open/catalog.jsonld", "/api/v1/open/aggregates.csv"] {
            assert!(page.contains(&format!("href=\"{open}\"")), "{open}");
        }
        assert!(page.contains("href=\"/console/analysis\"") && !page.contains("<li><a href=\"/console\">"), "the navigation: analysis, no queue");
        // The linked page is there.
        assert_eq!(app.get(&format!("/analyst/projects/{}?lang=nl", project["id"].as_str().unwrap())).await.status(), 200);
        let english = browser.page("/console/analysis?lang=en", 200).await;
        assert!(english.contains("Monitoring projects") && english.contains("?lang=en\""), "{english}");
    }

    async fn coordinators_find_the_analysis_page_in_the_navigation_and_department_staff_do_not(app) {
        let admin = admin_token(&app).await;
        staff_account(&app, &admin, "coordinator@heerlen.example", "coordinator", &[]).await;
        staff_account(&app, &admin, "medewerker@heerlen.example", "department_staff", &["openbare-verlichting"]).await;

        let mut coordinator = Browser::new(&app);
        coordinator.log_in("coordinator@heerlen.example", STAFF_PASSWORD).await;
        let queue = coordinator.page("/console", 200).await;
        assert!(queue.contains("href=\"/console/analysis\""), "{queue}");
        let page = coordinator.page("/console/analysis", 200).await;
        assert!(page.contains("Er zijn nog geen monitoringsprojecten"), "{page}");

        let mut member = Browser::new(&app);
        member.log_in("medewerker@heerlen.example", STAFF_PASSWORD).await;
        let queue = member.page("/console", 200).await;
        assert!(!queue.contains("href=\"/console/analysis\""), "{queue}");
        member.page("/console/analysis", 403).await;
    }

    async fn the_console_hands_the_analyst_page_an_hours_token_only_when_its_own_script_asks(app) {
        let admin = admin_token(&app).await;
        staff_account(&app, &admin, "analist@heerlen.example", "analyst", &[]).await;
        staff_account(&app, &admin, "medewerker@heerlen.example", "department_staff", &["openbare-verlichting"]).await;
        let mut browser = Browser::new(&app);
        browser.log_in("analist@heerlen.example", STAFF_PASSWORD).await;
        let ask = |browser: &Browser<'_>, header: Option<&str>, site: &str| {
            let mut request = browser
                .client
                .post(app.url("/console/analysis/token"))
                .header("Cookie", format!("meldpunt_session={}", browser.session.clone().unwrap_or_default()))
                .header("Sec-Fetch-Site", site.to_owned());
            if let Some(header) = header {
                request = request.header("X-Meldpunt-Console", header.to_owned());
            }
            request.send()
        };
        let handed = ask(&browser, Some("analysis"), "same-origin").await.unwrap();
        assert_eq!(handed.status(), 200);
        assert_eq!(handed.headers()["cache-control"], "no-store");
        let handed: Value = handed.json().await.unwrap();
        let token = handed["token"].as_str().unwrap();
        assert_ne!(Some(token), browser.session.as_deref(), "a new token, not the session's own");
        let expires = chrono::DateTime::parse_from_rfc3339(handed["expires_at"].as_str().unwrap()).unwrap();
        let hour = expires.signed_duration_since(chrono::Utc::now()).num_minutes();
        assert!((58..=60).contains(&hour), "an hour: {hour} minutes");
        assert_eq!(send(&app, Method::GET, "/api/v1/projects", Some(token), None).await.status(), 200);

        // Not without the header, not from another site, not for a role without statistics,
        // not without a console session.
        let problem = crate::support::app::expect_problem(ask(&browser, None, "same-origin").await.unwrap(), 403).await;
        assert!(problem["detail"].as_str().unwrap().contains("X-Meldpunt-Console"), "{problem}");
        assert_eq!(ask(&browser, Some("analysis"), "cross-site").await.unwrap().status(), 403);
        let mut member = Browser::new(&app);
        member.log_in("medewerker@heerlen.example", STAFF_PASSWORD).await;
        assert_eq!(ask(&member, Some("analysis"), "same-origin").await.unwrap().status(), 403);
        assert_eq!(ask(&Browser::new(&app), Some("analysis"), "same-origin").await.unwrap().status(), 303);

        // Logging out of the console ends the handed token too.
        let form = browser.page("/console/analysis", 200).await;
        let logout = browser.post("/console/logout", &[("csrf", crate::console::csrf(&form).as_str())]).await;
        assert_eq!(logout.status(), 303);
        assert_eq!(send(&app, Method::GET, "/api/v1/projects", Some(token), None).await.status(), 401);
    }
}
