//! A server with a bootstrap admin, logins and accounts made through the API.

use meldpunt::config::Settings;
use serde_json::{Value, json};

use super::app::{Backend, TestApp, spawn_app_with};

pub const ADMIN_EMAIL: &str = "beheer@heerlen.example";
pub const ADMIN_PASSWORD: &str = "correct horse battery staple";
pub const STAFF_PASSWORD: &str = "lantaarnpaal-2026-uit";

/// Makes [`ADMIN_EMAIL`] the first admin (for `spawn_app_with`).
pub fn with_bootstrap_admin(settings: &mut Settings) {
    settings.bootstrap_admin_email = ADMIN_EMAIL.into();
    settings.bootstrap_admin_password = ADMIN_PASSWORD.into();
}

/// A server whose first admin comes from the bootstrap settings.
pub async fn spawn_staff_app(backend: Backend) -> TestApp {
    spawn_app_with(backend, with_bootstrap_admin).await
}

pub async fn login(app: &TestApp, email: &str, password: &str) -> String {
    let response = app
        .client
        .post(app.url("/api/v1/auth/login"))
        .json(&json!({"email": email, "password": password}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200, "login of {email} failed");
    let body: Value = response.json().await.unwrap();
    body["token"].as_str().unwrap().to_owned()
}

pub async fn admin_token(app: &TestApp) -> String {
    login(app, ADMIN_EMAIL, ADMIN_PASSWORD).await
}

/// Creates an account through the admin API and logs it in; returns (account id, token).
pub async fn staff_account(
    app: &TestApp,
    admin: &str,
    email: &str,
    role: &str,
    departments: &[&str],
) -> (String, String) {
    let response = app
        .client
        .post(app.url("/api/v1/admin/accounts"))
        .bearer_auth(admin)
        .json(&json!({"email": email, "name": "Medewerker", "role": role, "password": STAFF_PASSWORD, "departments": departments}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201, "{}", response.text().await.unwrap_or_default());
    let body: Value = response.json().await.unwrap();
    let token = login(app, email, STAFF_PASSWORD).await;
    (body["id"].as_str().unwrap().to_owned(), token)
}

/// Sends a request with an optional bearer token and an optional JSON body.
pub async fn send(
    app: &TestApp,
    method: reqwest::Method,
    path: &str,
    token: Option<&str>,
    body: Option<Value>,
) -> reqwest::Response {
    let mut request = app.client.request(method, app.url(path));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    if let Some(body) = body {
        request = request.json(&body);
    }
    request.send().await.unwrap()
}
