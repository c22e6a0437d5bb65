//! Single sign-on against a real OpenID Connect provider process
//! (`support/oidc_provider.mjs`): the provider's access tokens on the staff API
//! ([`bearer`]), the console's code flow with PKCE ([`login`]), the logout at the provider
//! ([`logout`]), and password login turned off.

mod bearer;
mod login;
mod logout;

use meldpunt::config::Settings;
use serde_json::{Value, json};

use crate::support::app::{Backend, TestApp, spawn_app_with, street_light_report};
use crate::support::oidc::Provider;
use crate::support::staff::with_bootstrap_admin;

/// A provider and a server that trusts it (with the bootstrap admin), settings adjusted by
/// `adjust`.
pub async fn spawn_sso_app(backend: Backend, adjust: impl FnOnce(&mut Settings)) -> (TestApp, Provider) {
    let provider = Provider::start().await;
    let app = spawn_app_with(backend, |settings| {
        with_bootstrap_admin(settings);
        provider.configure(settings);
        adjust(settings);
    })
    .await;
    (app, provider)
}

/// Files a report in `category`; answers its id.
pub async fn file(app: &TestApp, category: &str) -> String {
    let mut body = street_light_report();
    if category != "straatverlichting-openbare-klok" {
        body["category"] = json!(category);
        body["answers"] = json!({});
    }
    let response = app.post_report(&body, None).await;
    assert_eq!(response.status(), 201, "{}", response.text().await.unwrap_or_default());
    let created: Value = response.json().await.unwrap();
    created["id"].as_str().unwrap().to_owned()
}
