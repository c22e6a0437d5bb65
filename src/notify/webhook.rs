//! Webhooks: signed HTTPS POSTs to subscribers' URLs.
//!
//! Every POST carries `Meldpunt-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256>` over
//! `"<t>.<raw body>"` with the subscription's secret (returned once, at creation), so a
//! receiver checks the sender and refuses replays older than a few minutes. Targets must be
//! `https` on a public address; plain `http` and private, loopback or link-local addresses
//! are refused unless `webhook_allow_insecure` is set (for tests and closed networks), which
//! keeps the server from being used to reach internal services (SSRF). Redirects are not
//! followed.

use std::sync::OnceLock;
use std::time::Duration;

use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::domain::subscription::{WebhookUrl, is_public};

/// The signature header's name.
pub const SIGNATURE_HEADER: &str = "Meldpunt-Signature";

/// The value of the signature header for `body` sent at `timestamp` (Unix seconds).
pub fn signature(secret: &str, timestamp: i64, body: &[u8]) -> String {
    signatures(&[secret], timestamp, body)
}

/// The signature header signed by each of `secrets` (`t=…,v1=…,v1=…`): while a secret is
/// rotated, the receiver accepts the body when any `v1` matches a secret it knows.
pub fn signatures(secrets: &[&str], timestamp: i64, body: &[u8]) -> String {
    let mut header = format!("t={timestamp}");
    for secret in secrets {
        let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret.as_bytes()) else { continue };
        mac.update(timestamp.to_string().as_bytes());
        mac.update(b".");
        mac.update(body);
        header.push_str(&format!(",v1={}", hex::encode(mac.finalize().into_bytes())));
    }
    header
}

/// Why a webhook was not delivered (or a target was refused). The messages never contain
/// the URL (it is personal data).
#[derive(Debug, Clone, thiserror::Error)]
pub enum WebhookError {
    /// The HTTP client could not be built.
    #[error("cannot build the HTTP client: {0}")]
    Client(String),
    /// The stored URL is not https while insecure targets are not allowed.
    #[error("the webhook URL is not https")]
    NotHttps,
    /// The host name could not be resolved.
    #[error("cannot resolve the host: {0}")]
    Resolve(std::io::ErrorKind),
    /// The host resolves to an address that is not public.
    #[error("the host resolves to a private or local address; refused")]
    PrivateAddress,
    /// The request failed before an answer.
    #[error("webhook request failed: {0}")]
    Transport(&'static str),
    /// The receiver answered with a status other than 2xx.
    #[error("the webhook answered HTTP {0}")]
    Status(u16),
}

/// The shared HTTP client of webhook (and push) deliveries: rustls, no redirects, 10 s.
pub fn client() -> Result<&'static reqwest::Client, WebhookError> {
    static CLIENT: OnceLock<Result<reqwest::Client, String>> = OnceLock::new();
    CLIENT
        .get_or_init(|| {
            reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .timeout(Duration::from_secs(10))
                .build()
                .map_err(|e| e.to_string())
        })
        .as_ref()
        .map_err(|e| WebhookError::Client(e.clone()))
}

/// Resolves the host of `url` and refuses it when one of its addresses is not public, so a
/// name pointing into the local network is caught at send time, not only a literal address.
/// Errors never contain the URL (it is personal data).
pub async fn check_resolved(url: &WebhookUrl) -> Result<(), WebhookError> {
    let url = url.url();
    let host = url.host_str().unwrap_or_default();
    let port = url.port_or_known_default().unwrap_or(443);
    let addresses = tokio::net::lookup_host((host, port)).await.map_err(|e| WebhookError::Resolve(e.kind()))?;
    for address in addresses {
        if !is_public(address.ip()) {
            return Err(WebhookError::PrivateAddress);
        }
    }
    Ok(())
}

/// POSTs a signed JSON body to `url` and returns the response body of a 2xx answer. Before
/// sending, the host's addresses are resolved and refused when one is not public (unless
/// insecure targets are allowed). Errors never contain the URL (it is personal data).
pub async fn post(url: &WebhookUrl, secret: &str, body: &[u8], allow_insecure: bool) -> Result<String, WebhookError> {
    post_signed(url, &[secret], body, allow_insecure).await
}

/// [`post`], signed by each of `secrets` (see [`signatures`]).
pub async fn post_signed(
    url: &WebhookUrl,
    secrets: &[&str],
    body: &[u8],
    allow_insecure: bool,
) -> Result<String, WebhookError> {
    if !allow_insecure {
        if url.url().scheme() != "https" {
            return Err(WebhookError::NotHttps);
        }
        check_resolved(url).await?;
    }
    let timestamp = chrono::Utc::now().timestamp();
    let response = client()?
        .post(url.url().clone())
        .header("Content-Type", "application/json")
        .header("User-Agent", concat!("meldpunt/", env!("CARGO_PKG_VERSION")))
        .header(SIGNATURE_HEADER, signatures(secrets, timestamp, body))
        .body(body.to_vec())
        .send()
        .await
        .map_err(|e| WebhookError::Transport(describe(&e)))?;
    let status = response.status();
    let text = response.text().await.unwrap_or_default();
    if status.is_success() { Ok(text) } else { Err(WebhookError::Status(status.as_u16())) }
}

fn describe(error: &reqwest::Error) -> &'static str {
    if error.is_timeout() {
        "timeout"
    } else if error.is_connect() {
        "cannot connect"
    } else {
        "transport error"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_cover_timestamp_and_body() {
        let a = signature("s3cret", 1_700_000_000, b"{}");
        assert!(a.starts_with("t=1700000000,v1=") && a.len() == "t=1700000000,v1=".len() + 64);
        assert_ne!(a, signature("s3cret", 1_700_000_001, b"{}"));
        assert_ne!(a, signature("other", 1_700_000_000, b"{}"));
    }
}
