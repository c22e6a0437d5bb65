//! A real OpenID Connect provider for the single sign-on tests: `oidc_provider.mjs` run by
//! Node.js (no npm packages), on a free port, killed when dropped. Helpers mint tokens,
//! rotate its key, pick the user of the next login, and follow the console's login flow
//! by hand (cookies carried along).

use std::path::Path;
use std::process::Stdio;

use meldpunt::config::Settings;
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

use super::app::TestApp;

/// The client id meldpunt is registered with at the test provider.
pub const CLIENT_ID: &str = "meldpunt-console";
/// Its client secret.
pub const CLIENT_SECRET: &str = "test-client-secret-4711";
/// The audience of access tokens for meldpunt's API.
pub const AUDIENCE: &str = "meldpunt-api";
/// The public URL the test servers claim (the redirect URI is below it).
pub const PUBLIC_URL: &str = "https://meldpunt.test";

/// The provider process.
pub struct Provider {
    _child: Child,
    pub issuer: String,
    http: reqwest::Client,
}

impl Provider {
    /// Starts the provider; fails with what to install when Node.js is missing.
    pub async fn start() -> Provider {
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/api/support/oidc_provider.mjs");
        let mut child = Command::new("node")
            .arg(script)
            .args(["--client-id", CLIENT_ID, "--client-secret", CLIENT_SECRET, "--audience", AUDIENCE])
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .unwrap_or_else(|e| {
                panic!("the OIDC test provider needs Node.js 18 or newer (apt-get install nodejs): {e}")
            });
        let stdout = child.stdout.take().expect("the provider's stdout");
        let mut lines = BufReader::new(stdout).lines();
        let line = tokio::time::timeout(std::time::Duration::from_secs(20), lines.next_line())
            .await
            .expect("the OIDC test provider did not start within 20 s")
            .expect("reading the provider's output")
            .expect("the OIDC test provider stopped before printing its port");
        let port: u16 = line.trim().strip_prefix("port=").and_then(|p| p.parse().ok()).expect("port=N");
        Provider { _child: child, issuer: format!("http://127.0.0.1:{port}"), http: reqwest::Client::new() }
    }

    /// Points `settings` at this provider (keys refreshed after a second, so a rotation is
    /// noticed quickly).
    pub fn configure(&self, settings: &mut Settings) {
        settings.oidc.issuer = self.issuer.clone();
        settings.oidc.client_id = CLIENT_ID.into();
        settings.oidc.client_secret = CLIENT_SECRET.into();
        settings.oidc.audience = AUDIENCE.into();
        settings.oidc.jwks_refresh_seconds = 1;
        settings.public_url = PUBLIC_URL.into();
    }

    async fn control(&self, path: &str, body: Value) -> Value {
        let response = self.http.post(format!("{}{path}", self.issuer)).json(&body).send().await.unwrap();
        assert_eq!(response.status(), 200, "{path}");
        response.json().await.unwrap()
    }

    /// An access token for `email`, with `claims` overriding the defaults (iss, aud, exp, …),
    /// signed with `key` (`current`, `previous` or `foreign`).
    pub async fn mint_with(&self, email: &str, claims: Value, key: &str) -> String {
        let body = json!({"email": email, "claims": claims, "key": key});
        self.control("/control/mint", body).await["token"].as_str().unwrap().to_owned()
    }

    /// A valid access token for `email`.
    pub async fn mint(&self, email: &str) -> String {
        self.mint_with(email, json!({}), "current").await
    }

    /// A new signing key; the old one leaves the JWKS.
    pub async fn rotate(&self) {
        self.control("/control/rotate", json!({})).await;
    }

    /// Who the next logins are: `user` as `{"email": …, "nonce": …}`.
    pub async fn set_user(&self, user: Value) {
        self.control("/control/user", user).await;
    }

    /// How often the JWKS was fetched.
    pub async fn jwks_fetches(&self) -> u64 {
        let stats: Value =
            self.http.get(format!("{}/control/stats", self.issuer)).send().await.unwrap().json().await.unwrap();
        stats["jwks_fetches"].as_u64().unwrap()
    }

    /// The logouts at the provider: client id, post-logout redirect URI and whether the
    /// `id_token_hint` was an ID token this provider issued.
    pub async fn logouts(&self) -> Vec<Value> {
        let stats: Value =
            self.http.get(format!("{}/control/stats", self.issuer)).send().await.unwrap().json().await.unwrap();
        stats["logouts"].as_array().unwrap().clone()
    }
}

/// A client that follows no redirects, for walking the login flow by hand.
pub fn browser() -> reqwest::Client {
    reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap()
}

/// The `Location` of a redirect.
pub fn location(response: &reqwest::Response) -> String {
    response.headers().get("location").expect("a Location header").to_str().unwrap().to_owned()
}

/// The value of cookie `name` set by a response (`None` when it sets none).
pub fn set_cookie(response: &reqwest::Response, name: &str) -> Option<String> {
    response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with(&format!("{name}=")))
        .map(str::to_owned)
}

/// The value part of a `Set-Cookie` line.
pub fn cookie_value(set_cookie: &str) -> String {
    set_cookie.split(';').next().unwrap().split_once('=').unwrap().1.to_owned()
}

/// One login's walk so far: the provider's redirect back to meldpunt (pointed at the test
/// server instead of the public URL) and the login cookie.
pub struct Walk {
    pub callback: String,
    pub cookie: String,
}

/// Starts a console login and lets the provider approve it: answers the callback URL the
/// provider sent the browser to, and the login cookie meldpunt set.
pub async fn walk_to_callback(app: &TestApp, browser: &reqwest::Client) -> Walk {
    let start = browser.get(app.url("/console/login/oidc")).send().await.unwrap();
    assert_eq!(start.status(), 303, "{}", start.text().await.unwrap_or_default());
    let cookie = cookie_value(&set_cookie(&start, "meldpunt_sso").expect("the login cookie"));
    let at_provider = browser.get(location(&start)).send().await.unwrap();
    assert_eq!(at_provider.status(), 302, "the provider approves at once");
    let back = location(&at_provider);
    assert!(back.starts_with(&format!("{PUBLIC_URL}/console/login/oidc/callback?")), "{back}");
    Walk { callback: back.replacen(PUBLIC_URL, &app.address, 1), cookie }
}

/// GETs the callback with the login cookie `cookie`.
pub async fn finish(browser: &reqwest::Client, callback: &str, cookie: &str) -> reqwest::Response {
    browser.get(callback).header("cookie", format!("meldpunt_sso={cookie}")).send().await.unwrap()
}
