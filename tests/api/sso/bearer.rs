//! The identity provider's access tokens as bearer tokens on the staff API.

use std::time::Duration;

use reqwest::Method;
use serde_json::{Value, json};

use super::{file, spawn_sso_app};
use crate::support::app::expect_problem;
use crate::support::backends::on_both_backends;
use crate::support::staff::*;

const LAMP: &str = "lamp@heerlen.example";
const COORDINATOR: &str = "coord@heerlen.example";

fn ids(page: &Value) -> Vec<String> {
    page["items"].as_array().unwrap().iter().map(|i| i["id"].as_str().unwrap().to_owned()).collect()
}

async fn queue_status(app: &crate::support::app::TestApp, token: &str) -> reqwest::Response {
    send(app, Method::GET, "/api/v1/staff/reports", Some(token), None).await
}

/// The detail of a 401 for `token` on the staff queue.
async fn refusal(app: &crate::support::app::TestApp, token: &str) -> String {
    let problem = expect_problem(queue_status(app, token).await, 401).await;
    problem["detail"].as_str().unwrap().to_owned()
}

on_both_backends! {
    async fn an_access_token_of_the_provider_reaches_the_queue_with_the_accounts_role_and_departments(backend: Backend) {
        let (app, provider) = spawn_sso_app(backend, |_| {}).await;
        let admin = admin_token(&app).await;
        staff_account(&app, &admin, LAMP, "department_staff", &["openbare-verlichting"]).await;
        staff_account(&app, &admin, COORDINATOR, "coordinator", &[]).await;
        let light = file(&app, "straatverlichting-openbare-klok").await;
        let litter = file(&app, "veeg-zwerfvuil").await;

        // The email claim matches whatever its case.
        let lamp = provider.mint("Lamp@Heerlen.Example").await;
        let page: Value = queue_status(&app, &lamp).await.json().await.unwrap();
        assert_eq!(ids(&page), vec![light.clone()], "department staff see their department only");
        let coordinator = provider.mint(COORDINATOR).await;
        let response = queue_status(&app, &coordinator).await;
        assert_eq!(response.status(), 200);
        let page: Value = response.json().await.unwrap();
        assert_eq!(ids(&page), vec![litter, light]);
        // The role still decides: a coordinator is no admin.
        expect_problem(send(&app, Method::GET, "/api/v1/admin/accounts", Some(&coordinator), None).await, 403).await;
        // meldpunt's own tokens keep working beside them.
        assert_eq!(send(&app, Method::GET, "/api/v1/admin/accounts", Some(&admin), None).await.status(), 200);
    }

    async fn expired_foreign_audience_foreign_issuer_and_unknown_key_tokens_are_refused_with_the_reason(backend: Backend) {
        let (app, provider) = spawn_sso_app(backend, |_| {}).await;
        let admin = admin_token(&app).await;
        staff_account(&app, &admin, COORDINATOR, "coordinator", &[]).await;
        let now = chrono::Utc::now().timestamp();
        let expired = provider.mint_with(COORDINATOR, json!({"exp": now - 120, "iat": now - 600}), "current").await;
        assert!(refusal(&app, &expired).await.contains("expired"));
        let audience = provider.mint_with(COORDINATOR, json!({"aud": "another-api"}), "current").await;
        let detail = refusal(&app, &audience).await;
        assert!(detail.contains("audience") && detail.contains("meldpunt-api"), "{detail}");
        let issuer = provider.mint_with(COORDINATOR, json!({"iss": "https://evil.example"}), "current").await;
        let detail = refusal(&app, &issuer).await;
        assert!(detail.contains("issuer") && detail.contains(&provider.issuer), "{detail}");
        let unknown = provider.mint_with(COORDINATOR, json!({}), "foreign").await;
        assert!(refusal(&app, &unknown).await.contains("unknown kid"));
        // Unsigned and shared-secret tokens are never accepted, whatever they claim.
        let part = |value: Value| {
            use base64::Engine;
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(value.to_string())
        };
        let claims = json!({"iss": provider.issuer, "aud": "meldpunt-api", "exp": now + 300, "email": COORDINATOR});
        let unsigned = format!("{}.{}.", part(json!({"alg": "none"})), part(claims.clone()));
        assert!(refusal(&app, &unsigned).await.contains("signed with none"));
        let shared = format!("{}.{}.c2lnbmF0dXJl", part(json!({"alg": "HS256", "typ": "JWT"})), part(claims));
        assert!(refusal(&app, &shared).await.contains("signed with HS256"));
        let not_before = provider.mint_with(COORDINATOR, json!({"nbf": now + 3600}), "current").await;
        assert!(refusal(&app, &not_before).await.contains("not valid yet"));
        // Endpoints behind the admin token check say why too.
        let problem = expect_problem(send(&app, Method::GET, "/api/v1/admin/accounts", Some(&expired), None).await, 401).await;
        assert!(problem["detail"].as_str().unwrap().contains("expired"), "{problem}");
        // A token signed by another key under the published key id.
        let forged = provider.mint(COORDINATOR).await;
        let (head, _) = forged.rsplit_once('.').unwrap();
        let other = provider.mint_with(COORDINATOR, json!({}), "foreign").await;
        let forged = format!("{head}.{}", other.rsplit_once('.').unwrap().1);
        assert!(refusal(&app, &forged).await.contains("signature"));
    }

    async fn after_a_key_rotation_tokens_of_the_new_key_work_and_of_the_removed_key_fail(backend: Backend) {
        let (app, provider) = spawn_sso_app(backend, |_| {}).await;
        let admin = admin_token(&app).await;
        staff_account(&app, &admin, COORDINATOR, "coordinator", &[]).await;
        assert_eq!(queue_status(&app, &provider.mint(COORDINATOR).await).await.status(), 200);
        provider.rotate().await;
        // jwks_refresh_seconds is 1 here: the gap between two fetches of the keys.
        tokio::time::sleep(Duration::from_millis(1100)).await;
        let fresh = provider.mint(COORDINATOR).await;
        assert_eq!(queue_status(&app, &fresh).await.status(), 200, "the keys were fetched again");
        let old = provider.mint_with(COORDINATOR, json!({}), "previous").await;
        assert!(refusal(&app, &old).await.contains("unknown kid"));
        // Tokens with made-up key ids do not make meldpunt fetch the keys for each of them.
        let before = provider.jwks_fetches().await;
        for _ in 0..5 {
            let forged = provider.mint_with(COORDINATOR, json!({}), "foreign").await;
            refusal(&app, &forged).await;
        }
        let fetched = provider.jwks_fetches().await - before;
        assert!(fetched <= 2, "{fetched} fetches for 5 forged key ids");
    }

    async fn a_token_of_an_unknown_email_or_a_deactivated_account_is_refused(backend: Backend) {
        let (app, provider) = spawn_sso_app(backend, |_| {}).await;
        let admin = admin_token(&app).await;
        let detail = refusal(&app, &provider.mint("nobody@heerlen.example").await).await;
        assert!(detail.contains("no staff account"), "{detail}");
        let (id, _) = staff_account(&app, &admin, COORDINATOR, "coordinator", &[]).await;
        let token = provider.mint(COORDINATOR).await;
        assert_eq!(queue_status(&app, &token).await.status(), 200);
        let path = format!("/api/v1/admin/accounts/{id}");
        let deactivated = send(&app, Method::PATCH, &path, Some(&admin), Some(json!({"active": false}))).await;
        assert_eq!(deactivated.status(), 200);
        assert!(refusal(&app, &token).await.contains("deactivated"), "nothing cached lets it in");
    }

    async fn with_create_accounts_a_new_email_gets_an_account_without_a_role_that_may_do_nothing(backend: Backend) {
        let (app, provider) = spawn_sso_app(backend, |s| s.oidc.create_accounts = true).await;
        let admin = admin_token(&app).await;
        let token = provider.mint("nieuw@heerlen.example").await;
        let problem = expect_problem(queue_status(&app, &token).await, 403).await;
        assert!(problem["detail"].as_str().unwrap().contains("no role"), "{problem}");
        let accounts: Value = send(&app, Method::GET, "/api/v1/admin/accounts", Some(&admin), None).await.json().await.unwrap();
        let made = accounts.as_array().unwrap().iter().find(|a| a["email"] == "nieuw@heerlen.example").cloned().unwrap();
        assert!(made["role"].is_null(), "{made}");
        assert_eq!(made["name"], "Test Medewerker");
        // An admin gives it a role: the same token works.
        let path = format!("/api/v1/admin/accounts/{}", made["id"].as_str().unwrap());
        let given = send(&app, Method::PATCH, &path, Some(&admin), Some(json!({"role": "coordinator"}))).await;
        assert_eq!(given.status(), 200);
        assert_eq!(queue_status(&app, &token).await.status(), 200);
    }

    async fn logout_with_an_access_token_ends_that_token_for_meldpunt(backend: Backend) {
        let (app, provider) = spawn_sso_app(backend, |_| {}).await;
        let admin = admin_token(&app).await;
        staff_account(&app, &admin, COORDINATOR, "coordinator", &[]).await;
        let token = provider.mint(COORDINATOR).await;
        let other = provider.mint(COORDINATOR).await;
        let logout = send(&app, Method::POST, "/api/v1/auth/logout", Some(&token), None).await;
        assert_eq!(logout.status(), 204);
        assert!(refusal(&app, &token).await.contains("logged out"));
        assert_eq!(queue_status(&app, &other).await.status(), 200, "other tokens live on");
    }

    async fn while_the_provider_cannot_be_reached_a_token_gets_503_not_a_refusal(backend: Backend) {
        let (app, provider) = spawn_sso_app(backend, |_| {}).await;
        let admin = admin_token(&app).await;
        staff_account(&app, &admin, COORDINATOR, "coordinator", &[]).await;
        let token = provider.mint(COORDINATOR).await;
        drop(provider);
        let problem = expect_problem(queue_status(&app, &token).await, 503).await;
        assert_eq!(problem["type"], "urn:meldpunt:problem:identity-provider-unavailable", "{problem}");
        // meldpunt's own tokens do not need the provider.
        assert_eq!(queue_status(&app, &admin).await.status(), 200);
    }
}
