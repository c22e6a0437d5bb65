//! Console sessions: the login form, the session cookie, logging out, and the protection of
//! every form against other sites.

use reqwest::Method;

use super::{Browser, csrf};
use crate::support::app::street_light_report;
use crate::support::backends::on_both_backends;
use crate::support::staff::*;

on_both_backends! {
    setup = spawn_staff_app;

    async fn logging_in_sets_a_secure_http_only_session_cookie_and_opens_the_queue(app) {
        let mut browser = Browser::new(&app);
        let login = browser.page("/console/login", 200).await;
        assert!(login.contains("<html lang=\"nl\">") && login.contains("name=\"password\""), "{login}");
        let cookie = browser.log_in(ADMIN_EMAIL, ADMIN_PASSWORD).await;
        for part in ["HttpOnly", "Secure", "SameSite=Lax", "Path=/", "Max-Age=43200"] {
            assert!(cookie.contains(part), "the cookie has {part}: {cookie}");
        }
        let queue = browser.get("/console").await;
        assert_eq!(queue.status(), 200);
        let csp = queue.headers()["content-security-policy"].to_str().unwrap().to_owned();
        assert!(csp.contains("default-src 'none'") && csp.contains("frame-ancestors 'none'") && csp.contains("script-src 'self'"), "{csp}");
        let body = queue.text().await.unwrap();
        assert!(body.contains("Werkvoorraad") && body.contains("Uitloggen"), "{body}");
        // The session is a token like the API's: it works as a bearer token too.
        let token = browser.session.clone().unwrap();
        assert_eq!(send(&app, Method::GET, "/api/v1/staff/reports", Some(&token), None).await.status(), 200);
    }

    async fn a_wrong_password_answers_the_login_page_with_the_reason_and_no_cookie(app) {
        let browser = Browser::new(&app);
        let response = browser.post("/console/login", &[("email", ADMIN_EMAIL), ("password", "niet het wachtwoord")]).await;
        assert_eq!(response.status(), 401);
        assert!(response.headers().get("set-cookie").is_none());
        let body = response.text().await.unwrap();
        assert!(body.contains("Het e-mailadres of het wachtwoord klopt niet") && body.contains(ADMIN_EMAIL), "{body}");
        let empty = browser.post("/console/login", &[("email", ""), ("password", "")]).await;
        assert_eq!(empty.status(), 422);
    }

    async fn a_page_without_a_session_redirects_to_the_login_page_and_back(app) {
        let mut browser = Browser::new(&app);
        let response = browser.get("/console/reports/0193a5a0-0000-7000-8000-000000000000?lang=en").await;
        assert_eq!(response.status(), 303);
        assert_eq!(
            response.headers()["location"],
            "/console/login?next=%2Fconsole%2Freports%2F0193a5a0-0000-7000-8000-000000000000%3Flang%3Den"
        );
        let login = browser.page("/console/login?next=%2Fconsole%3Fstatus%3Dnew", 200).await;
        assert!(login.contains("href=\"/console/login?next=%2Fconsole%3Fstatus%3Dnew&#38;lang=en\""), "the language link keeps next: {login}");
        browser.session = Some("not-a-token".into());
        assert_eq!(browser.get("/console").await.headers()["location"], "/console/login");
        browser.session = None;
        let next = "/console?status=new";
        let response = browser.post("/console/login", &[("email", ADMIN_EMAIL), ("password", ADMIN_PASSWORD), ("next", next)]).await;
        assert_eq!(response.headers()["location"], next);
        let elsewhere = browser.post("/console/login", &[("email", ADMIN_EMAIL), ("password", ADMIN_PASSWORD), ("next", "//evil.example/console")]).await;
        assert_eq!(elsewhere.headers()["location"], "/console", "never to another site");
    }

    async fn forms_without_the_session_s_token_or_from_another_site_are_refused(app) {
        let mut browser = Browser::new(&app);
        let id = app.post_report(&street_light_report(), None).await.json::<serde_json::Value>().await.unwrap()["id"].as_str().unwrap().to_owned();
        browser.log_in(ADMIN_EMAIL, ADMIN_PASSWORD).await;
        let page = browser.page(&format!("/console/reports/{id}"), 200).await;
        let token = csrf(&page);
        let path = format!("/console/reports/{id}");
        let note = [("action", "note"), ("text", "Een notitie"), ("visibility", "internal")];
        let without = browser.post(&path, &note).await;
        assert_eq!(without.status(), 403);
        assert!(without.text().await.unwrap().contains("Formulier geweigerd"));
        let mut with_token = note.to_vec();
        with_token.push(("csrf", token.as_str()));
        let cross = browser.post_from(&path, &with_token, "cross-site", None).await;
        assert_eq!(cross.status(), 403, "another site's POST is refused even with a token");
        let origin = browser.post_from(&path, &with_token, "same-origin", Some("https://evil.example")).await;
        assert_eq!(origin.status(), 403, "an Origin of another host is refused");
        let login = browser.post_from("/console/login", &[("email", ADMIN_EMAIL), ("password", ADMIN_PASSWORD)], "cross-site", None).await;
        assert_eq!(login.status(), 403, "no login from another site");
        // Another session's token is worthless here.
        let mut other = Browser::new(&app);
        other.log_in(ADMIN_EMAIL, ADMIN_PASSWORD).await;
        assert_eq!(other.post(&path, &with_token).await.status(), 403);
        let admin = admin_token(&app).await;
        let history = send(&app, Method::GET, &format!("/api/v1/staff/reports/{id}/history"), Some(&admin), None).await.text().await.unwrap();
        assert!(!history.contains("Een notitie"), "nothing was written");
        let own = app.address.clone();
        let done = browser.post_from(&path, &with_token, "same-origin", Some(&own)).await;
        assert_eq!(done.status(), 303, "the page's own form with its token passes");
    }

    async fn logging_out_revokes_the_session_token_and_clears_the_cookie(app) {
        let mut browser = Browser::new(&app);
        browser.log_in(ADMIN_EMAIL, ADMIN_PASSWORD).await;
        let token = browser.session.clone().unwrap();
        let page = browser.page("/console", 200).await;
        let out = browser.post("/console/logout", &[("csrf", csrf(&page).as_str())]).await;
        assert_eq!(out.status(), 303);
        assert_eq!(out.headers()["location"], "/console/login?bye=1");
        assert!(out.headers()["set-cookie"].to_str().unwrap().contains("Max-Age=0"));
        assert_eq!(browser.get("/console").await.status(), 303, "the old cookie no longer opens the console");
        assert_eq!(send(&app, Method::GET, "/api/v1/staff/reports", Some(&token), None).await.status(), 401, "the token is revoked");
    }

    async fn logging_in_again_in_the_same_browser_ends_the_session_it_held(app) {
        let mut browser = Browser::new(&app);
        browser.log_in(ADMIN_EMAIL, ADMIN_PASSWORD).await;
        let first = browser.session.clone().unwrap();
        browser.log_in(ADMIN_EMAIL, ADMIN_PASSWORD).await;
        assert_ne!(browser.session.as_deref(), Some(first.as_str()));
        assert_eq!(send(&app, Method::GET, "/api/v1/staff/reports", Some(&first), None).await.status(), 401);
        assert_eq!(browser.get("/console").await.status(), 200);
    }

    async fn an_analyst_may_log_in_but_gets_no_queue_and_no_report(app) {
        let admin = admin_token(&app).await;
        staff_account(&app, &admin, "cijfers@heerlen.example", "analyst", &[]).await;
        let report: serde_json::Value = app.post_report(&crate::support::app::street_light_report(), None).await.json().await.unwrap();
        let mut browser = Browser::new(&app);
        browser.log_in("cijfers@heerlen.example", STAFF_PASSWORD).await;
        // The queue sends an analyst to the analysis page (tests/api/console/analysis.rs).
        let queue = browser.get("/console").await;
        assert_eq!((queue.status(), queue.headers()["location"].to_str().unwrap()), (reqwest::StatusCode::SEE_OTHER, "/console/analysis"));
        let page = browser.page(&format!("/console/reports/{}", report["id"].as_str().unwrap()), 403).await;
        assert!(page.contains("Geen toegang") && !page.contains(report["reference"].as_str().unwrap()), "{page}");
    }
}
