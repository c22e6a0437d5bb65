//! The console's login with the identity provider: authorization code flow with PKCE,
//! followed by hand, and password login turned off.

use reqwest::Method;
use serde_json::{Value, json};

use super::spawn_sso_app;
use crate::support::app::expect_problem;
use crate::support::backends::on_both_backends;
use crate::support::oidc::*;
use crate::support::staff::*;

const LAMP: &str = "lamp@heerlen.example";

/// The query parameter `name` of `url`.
fn param(url: &str, name: &str) -> String {
    reqwest::Url::parse(url).unwrap().query_pairs().find(|(n, _)| n == name).unwrap().1.into_owned()
}

/// A page (not JSON) with `status` whose text contains `words`.
async fn page_saying(response: reqwest::Response, status: u16, words: &str) {
    assert_eq!(response.status().as_u16(), status);
    let content_type = response.headers()["content-type"].to_str().unwrap().to_owned();
    assert!(content_type.starts_with("text/html"), "{content_type}");
    let text = response.text().await.unwrap();
    assert!(text.contains(words), "{text}");
    assert!(text.contains("/console/login/oidc"), "a way to try again: {text}");
}

on_both_backends! {
    async fn the_code_flow_starts_a_console_session_that_works_on_the_api_until_logout(backend: Backend) {
        let (app, provider) = spawn_sso_app(backend, |_| {}).await;
        let admin = admin_token(&app).await;
        let (account, _) = staff_account(&app, &admin, LAMP, "department_staff", &["openbare-verlichting"]).await;
        provider.set_user(json!({"email": "LAMP@heerlen.example"})).await;
        let browser = browser();
        let start = browser.get(app.url("/console/login/oidc")).send().await.unwrap();
        assert_eq!(start.status(), 303);
        let login_cookie = set_cookie(&start, "meldpunt_sso").unwrap();
        for attribute in ["HttpOnly", "Secure", "SameSite=Lax", "Max-Age=600", "Path=/console/login/oidc"] {
            assert!(login_cookie.contains(attribute), "{login_cookie}");
        }
        let authorize = location(&start);
        assert!(authorize.starts_with(&format!("{}/authorize?", provider.issuer)), "{authorize}");
        assert_eq!(param(&authorize, "code_challenge_method"), "S256");
        assert_eq!(param(&authorize, "client_id"), CLIENT_ID);
        assert_eq!(param(&authorize, "redirect_uri"), format!("{PUBLIC_URL}/console/login/oidc/callback"));
        assert!(!param(&authorize, "nonce").is_empty() && !param(&authorize, "state").is_empty());

        let walk = walk_to_callback(&app, &browser).await;
        let done = finish(&browser, &walk.callback, &walk.cookie).await;
        assert_eq!(done.status(), 303, "{}", done.text().await.unwrap_or_default());
        assert_eq!(location(&done), "/console");
        let session = set_cookie(&done, "meldpunt_session").expect("the console session cookie");
        for attribute in ["HttpOnly", "Secure", "SameSite=Lax", "Path=/", "Max-Age=43200"] {
            assert!(session.contains(attribute), "{session}");
        }
        assert!(set_cookie(&done, "meldpunt_sso").unwrap().contains("Max-Age=0"), "the login cookie is removed");
        let token = cookie_value(&session);
        assert!(token.starts_with("mpt_"), "an ordinary session token");
        let queue = send(&app, Method::GET, "/api/v1/staff/reports", Some(&token), None).await;
        assert_eq!(queue.status(), 200);
        // The login is audited.
        let audit = send(&app, Method::GET, &format!("/api/v1/admin/audit?account_id={account}"), Some(&admin), None).await;
        let audit: Value = audit.json().await.unwrap();
        assert!(audit.as_array().unwrap().iter().any(|e| e["action"] == "signed_in_with_sso"), "{audit}");
        // The session is revocable like any token.
        assert_eq!(send(&app, Method::POST, "/api/v1/auth/logout", Some(&token), None).await.status(), 204);
        expect_problem(send(&app, Method::GET, "/api/v1/staff/reports", Some(&token), None).await, 401).await;
        // A login cookie serves one browser's login: used again (its code spent), it fails at the provider.
        let again = finish(&browser, &walk.callback, &walk.cookie).await;
        page_saying(again, 401, "unknown or used code").await;
    }

    async fn a_callback_whose_state_is_not_the_login_cookies_or_without_the_cookie_is_refused(backend: Backend) {
        let (app, provider) = spawn_sso_app(backend, |_| {}).await;
        let admin = admin_token(&app).await;
        staff_account(&app, &admin, LAMP, "coordinator", &[]).await;
        provider.set_user(json!({"email": LAMP})).await;
        let browser = browser();
        let first = walk_to_callback(&app, &browser).await;
        let second = walk_to_callback(&app, &browser).await;
        let crossed = finish(&browser, &first.callback, &second.cookie).await;
        assert!(set_cookie(&crossed, "meldpunt_session").is_none());
        page_saying(crossed, 400, "(state)").await;
        let without = browser.get(&first.callback).send().await.unwrap();
        page_saying(without, 400, "10 minutes").await;
        let forged_cookie = format!("{}x", first.cookie);
        page_saying(finish(&browser, &first.callback, &forged_cookie).await, 400, "10 minutes").await;
        // The right pair still works.
        assert_eq!(finish(&browser, &first.callback, &first.cookie).await.status(), 303);
    }

    async fn an_answer_naming_another_issuer_or_none_is_refused_against_mix_up_attacks(backend: Backend) {
        let (app, provider) = spawn_sso_app(backend, |_| {}).await;
        let admin = admin_token(&app).await;
        staff_account(&app, &admin, LAMP, "coordinator", &[]).await;
        provider.set_user(json!({"email": LAMP})).await;
        let browser = browser();
        let walk = walk_to_callback(&app, &browser).await;
        assert_eq!(param(&walk.callback, "iss"), provider.issuer, "the test provider names itself (RFC 9207)");
        let mut url = reqwest::Url::parse(&walk.callback).unwrap();
        let kept: Vec<(String, String)> = url.query_pairs().filter(|(n, _)| n != "iss").map(|(n, v)| (n.into_owned(), v.into_owned())).collect();
        url.query_pairs_mut().clear().extend_pairs(&kept).append_pair("iss", "https://idp.elsewhere.example");
        let other = finish(&browser, url.as_str(), &walk.cookie).await;
        assert!(set_cookie(&other, "meldpunt_session").is_none());
        page_saying(other, 400, "https://idp.elsewhere.example").await;
        // The provider says it always sends `iss`: an answer without it is refused too.
        url.query_pairs_mut().clear().extend_pairs(&kept);
        page_saying(finish(&browser, url.as_str(), &walk.cookie).await, 400, "names no issuer").await;
        // The answer as the provider sent it still works.
        assert_eq!(finish(&browser, &walk.callback, &walk.cookie).await.status(), 303);
    }

    async fn an_id_token_with_another_nonce_is_refused(backend: Backend) {
        let (app, provider) = spawn_sso_app(backend, |_| {}).await;
        let admin = admin_token(&app).await;
        staff_account(&app, &admin, LAMP, "coordinator", &[]).await;
        provider.set_user(json!({"email": LAMP, "nonce": "a-nonce-of-another-login"})).await;
        let browser = browser();
        let walk = walk_to_callback(&app, &browser).await;
        let refused = finish(&browser, &walk.callback, &walk.cookie).await;
        assert!(set_cookie(&refused, "meldpunt_session").is_none());
        page_saying(refused, 401, "nonce").await;
    }

    async fn the_provider_refuses_a_code_with_the_verifier_of_another_login(backend: Backend) {
        let (app, provider) = spawn_sso_app(backend, |_| {}).await;
        let admin = admin_token(&app).await;
        staff_account(&app, &admin, LAMP, "coordinator", &[]).await;
        provider.set_user(json!({"email": LAMP})).await;
        let browser = browser();
        let first = walk_to_callback(&app, &browser).await;
        let second = walk_to_callback(&app, &browser).await;
        // The first login's code with the second login's state and cookie (so its verifier).
        let mut url = reqwest::Url::parse(&first.callback).unwrap();
        let code = param(&first.callback, "code");
        url.query_pairs_mut()
            .clear()
            .append_pair("code", &code)
            .append_pair("state", &param(&second.callback, "state"))
            .append_pair("iss", &provider.issuer);
        let refused = finish(&browser, url.as_str(), &second.cookie).await;
        page_saying(refused, 401, "PKCE").await;
    }

    async fn an_unknown_email_or_an_error_of_the_provider_answers_a_page_that_says_what_to_do(backend: Backend) {
        let (app, provider) = spawn_sso_app(backend, |_| {}).await;
        provider.set_user(json!({"email": "onbekend@heerlen.example"})).await;
        let browser = browser();
        let walk = walk_to_callback(&app, &browser).await;
        let refused = finish(&browser, &walk.callback, &walk.cookie).await;
        assert!(set_cookie(&refused, "meldpunt_session").is_none());
        page_saying(refused, 403, "no staff account has your email address").await;
        let walk = walk_to_callback(&app, &browser).await;
        let denied = format!(
            "{}/console/login/oidc/callback?error=access_denied&error_description=User+cancelled&state={}&iss={}",
            app.address,
            param(&walk.callback, "state"),
            param(&walk.callback, "iss"),
        );
        page_saying(finish(&browser, &denied, &walk.cookie).await, 400, "access_denied").await;
    }

    async fn password_login_can_be_turned_off_and_then_says_to_use_single_sign_on(backend: Backend) {
        let (app, provider) = spawn_sso_app(backend, |s| s.oidc.password_login = false).await;
        let response = app
            .client
            .post(app.url("/api/v1/auth/login"))
            .json(&json!({"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD}))
            .send()
            .await
            .unwrap();
        let problem = expect_problem(response, 403).await;
        assert!(problem["detail"].as_str().unwrap().contains("single sign-on"), "{problem}");
        // The admin still gets in with the identity provider.
        let token = provider.mint(ADMIN_EMAIL).await;
        assert_eq!(send(&app, Method::GET, "/api/v1/admin/accounts", Some(&token), None).await.status(), 200);
    }

    async fn without_an_issuer_single_sign_on_is_off_and_its_endpoints_say_so(backend: Backend) {
        let app = spawn_staff_app(backend).await;
        for path in ["/console/login/oidc", "/console/login/oidc/callback?code=x&state=y"] {
            let problem = expect_problem(browser().get(app.url(path)).send().await.unwrap(), 404).await;
            assert!(problem["detail"].as_str().unwrap().contains("not configured"), "{problem}");
        }
        assert_eq!(login(&app, ADMIN_EMAIL, ADMIN_PASSWORD).await.len(), 68, "passwords work");
    }

    async fn with_create_accounts_a_first_console_login_makes_an_account_without_a_role(backend: Backend) {
        let (app, provider) = spawn_sso_app(backend, |s| s.oidc.create_accounts = true).await;
        let admin = admin_token(&app).await;
        provider.set_user(json!({"email": "nieuw@heerlen.example", "name": "Nieuwe Collega"})).await;
        let browser = browser();
        let walk = walk_to_callback(&app, &browser).await;
        let refused = finish(&browser, &walk.callback, &walk.cookie).await;
        assert!(set_cookie(&refused, "meldpunt_session").is_none());
        page_saying(refused, 403, "no role yet").await;
        let accounts: Value = send(&app, Method::GET, "/api/v1/admin/accounts", Some(&admin), None).await.json().await.unwrap();
        let made = accounts.as_array().unwrap().iter().find(|a| a["email"] == "nieuw@heerlen.example").cloned().unwrap();
        assert!(made["role"].is_null(), "{made}");
        assert_eq!(made["name"], "Nieuwe Collega");
    }
}
