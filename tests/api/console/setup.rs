//! The first-run setup: with no active admin, the server logs a setup code; whoever holds it
//! makes the first admin on `/console/setup` and is logged in; then the page is gone.

use reqwest::Method;

use super::Browser;
use crate::support::app::{TestApp, spawn_app_with};
use crate::support::backends::on_both_backends;
use crate::support::logs;

/// The setup codes logged since `mark` by the server at `public_url` (other tests' servers
/// log theirs too, and trying theirs would count as failed attempts).
fn logged_codes(mark: usize, public_url: &str) -> Vec<String> {
    logs::lines_since(mark)
        .iter()
        .filter(|line| line.contains(&format!("open {public_url}/console/setup")))
        .filter_map(|line| line.split("setup code ").nth(1))
        .map(|rest| rest.chars().take(19).collect())
        .collect()
}

async fn setup_form<'a>(browser: &Browser<'a>, code: &'a str, password: &'a str) -> reqwest::Response {
    browser
        .post(
            "/console/setup",
            &[
                ("code", code),
                ("name", "Eerste Beheerder"),
                ("email", "Beheer@Heerlen.example"),
                ("password", password),
            ],
        )
        .await
}

/// Whether the setup is still open: no admin has been made.
async fn still_open(app: &TestApp) -> bool {
    Browser::new(app).get("/console/setup").await.status() == 200
}

on_both_backends! {
    async fn the_first_admin_is_made_in_the_browser_with_the_setup_code_from_the_servers_log(backend: Backend) {
        let mark = logs::mark();
        let public_url = format!("http://setup-{}.meldpunt.test", uuid::Uuid::new_v4().simple());
        let app = spawn_app_with(backend, |s| s.public_url = public_url.clone()).await;
        let codes = logged_codes(mark, &public_url);
        assert_eq!(codes.len(), 1, "the server logs a setup code when no admin exists");
        let mut browser = Browser::new(&app);
        let login = browser.page("/console/login", 200).await;
        assert!(login.contains("href=\"/console/setup\""), "the login page leads to the setup: {login}");
        let page = browser.page("/console/setup", 200).await;
        assert!(page.contains("Inrichtingscode") && page.contains("name=\"password\""), "{page}");

        // A wrong code makes nothing, and says what to do.
        let wrong = setup_form(&browser, "0000-0000-0000-0000", "een lang genoeg wachtwoord").await;
        assert_eq!(wrong.status(), 422);
        let wrong = wrong.text().await.unwrap();
        assert!(wrong.contains("lang=\"nl\" id=\"code-error\">Deze inrichtingscode klopt niet") && wrong.contains("value=\"Eerste Beheerder\""), "{wrong}");
        assert!(wrong.contains("<li lang=\"nl\"><a href=\"#code\">"), "the console's own reason is Dutch, not marked English: {wrong}");
        assert!(still_open(&app).await);

        // The right code with a short password: the API's reason at the field, marked
        // English, nothing made.
        let mut ours = None;
        for code in &codes {
            let answer = setup_form(&browser, code, "kort").await;
            if answer.status() == 422 && answer.text().await.unwrap().contains("<p class=\"field-error\" lang=\"en\" id=\"password-error\">") {
                ours = Some(code.clone());
                break;
            }
        }
        let code = ours.expect("one logged code is this server's");
        assert!(still_open(&app).await);

        // Typed loosely (lower case, spaces), the code works: the admin is made and logged in.
        let loose = code.to_ascii_lowercase().replace('-', " ");
        let made = setup_form(&browser, &loose, "een lang genoeg wachtwoord").await;
        assert_eq!(made.status(), 303);
        assert_eq!(made.headers()["location"], "/console/config/accounts");
        let cookie = made.headers()["set-cookie"].to_str().unwrap().to_owned();
        browser.session = Some(cookie.strip_prefix("meldpunt_session=").unwrap().split(';').next().unwrap().to_owned());
        let list = browser.page("/console/config/accounts", 200).await;
        assert!(list.contains("beheer@heerlen.example"), "{list}");
        let token = crate::support::staff::login(&app, "beheer@heerlen.example", "een lang genoeg wachtwoord").await;
        let made: Vec<serde_json::Value> = crate::support::staff::send(&app, Method::GET, "/api/v1/admin/accounts", Some(&token), None)
            .await
            .json()
            .await
            .unwrap();
        assert_eq!((made.len(), made[0]["role"].as_str()), (1, Some("admin")));

        // Then the setup is gone, code and all.
        let anonymous = Browser::new(&app);
        assert!(anonymous.page("/console/setup", 404).await.contains("meldpunt is ingericht"));
        assert_eq!(setup_form(&anonymous, &code, "nog een lang wachtwoord").await.status(), 404);
        assert!(!anonymous.page("/console/login", 200).await.contains("/console/setup"));
    }

    async fn a_setup_form_from_another_site_is_refused(backend: Backend) {
        let mark = logs::mark();
        let public_url = format!("http://setup-{}.meldpunt.test", uuid::Uuid::new_v4().simple());
        let app = spawn_app_with(backend, |s| s.public_url = public_url.clone()).await;
        let codes = logged_codes(mark, &public_url);
        assert_eq!(codes.len(), 1, "this server logged one setup code");
        let browser = Browser::new(&app);
        for code in &codes {
            let fields = [("code", code.as_str()), ("name", "X"), ("email", "x@heerlen.example"), ("password", "een lang genoeg wachtwoord")];
            let cross = browser.post_from("/console/setup", &fields, "cross-site", Some("https://evil.example")).await;
            assert_eq!(cross.status(), 403);
        }
        assert!(still_open(&app).await);
    }
}
