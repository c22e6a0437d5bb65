//! The console's single sign-on in headless Chromium with axe-core
//! (`tests/browser/console_sso.mjs`), against the test OpenID Connect provider process.

use serde_json::{Value, json};

use crate::support::app::{spawn_app_with, street_light_report};
use crate::support::backends::on_both_backends;
use crate::support::browser::{browser_output, browser_tools, run_node};
use crate::support::net::free_port;
use crate::support::oidc::Provider;
use crate::support::staff::*;

on_both_backends! {
    async fn a_coordinator_logs_in_to_the_console_with_single_sign_on_in_headless_chromium(backend: Backend) {
        let provider = Provider::start().await;
        // The browser follows the provider back to this server: its public URL is its own.
        let port = free_port();
        let app = spawn_app_with(backend, |s| {
            with_bootstrap_admin(s);
            provider.configure(s);
            s.listen = format!("127.0.0.1:{port}");
            s.public_url = format!("http://127.0.0.1:{port}");
        })
        .await;
        let admin = admin_token(&app).await;
        let (account, _) = staff_account(&app, &admin, "coordinator@heerlen.example", "coordinator", &[]).await;
        provider.set_user(json!({"email": "Coordinator@Heerlen.example"})).await;
        let report: Value = app.post_report(&street_light_report(), None).await.json().await.unwrap();
        let chromium = browser_tools().await;
        let out = browser_output(&app);
        let reference = report["reference"].as_str().unwrap();
        run_node(
            "console_sso.mjs",
            &["--url", &app.address, "--issuer", &provider.issuer, "--chromium", &chromium, "--reference", reference],
            &out,
        )
        .await;
        assert!(out.join("console-sso-queue.png").exists());
        let audit = send(&app, reqwest::Method::GET, &format!("/api/v1/admin/audit?account_id={account}"), Some(&admin), None).await;
        let audit: Value = audit.json().await.unwrap();
        assert!(audit.as_array().unwrap().iter().any(|e| e["action"] == "signed_in_with_sso"), "the login is audited: {audit}");
        let logouts = provider.logouts().await;
        assert_eq!(logouts.len(), 1, "the logout reached the provider: {logouts:?}");
        assert_eq!(logouts[0]["hint_known"], true, "with the login's ID token as hint: {logouts:?}");
    }
}
