//! Webhooks: signed HTTPS POSTs to subscribers' URLs.
//!
//! Every POST carries `Meldpunt-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256>` over
//! `"<t>.<raw body>"` with the subscription's secret (returned once, at creation), so a
//! receiver checks the sender and refuses replays older than a few minutes. Targets must be
//! `https` on a public address; plain `http` and private, loopback or link-local addresses
//! are refused unless `webhook_allow_insecure` is set (for tests and closed networks), which
//! keeps the server from being used to reach internal services (SSRF). Redirects are not
//! followed.

use std::net::IpAddr;
use std::sync::OnceLock;
use std::time::Duration;

use hmac::{Hmac, Mac};
use sha2::Sha256;

/// The signature header's name.
pub const SIGNATURE_HEADER: &str = "Meldpunt-Signature";

/// The value of the signature header for `body` sent at `timestamp` (Unix seconds).
pub fn signature(secret: &str, timestamp: i64, body: &[u8]) -> String {
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret.as_bytes()) else { return String::new() };
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    format!("t={timestamp},v1={}", hex::encode(mac.finalize().into_bytes()))
}

/// Checks a webhook URL as a subscriber sends it: absolute `https` (or `http` when insecure
/// targets are allowed), with a host, no credentials, at most 2000 characters, and not a
/// literal private address unless allowed.
pub fn check_url(text: &str, allow_insecure: bool) -> Result<String, String> {
    let text = text.trim();
    if text.len() > 2000 {
        return Err("the URL is longer than 2000 characters".into());
    }
    let url = reqwest::Url::parse(text)
        .map_err(|e| format!("not an absolute URL ({e}); send e.g. https://example.org/hook"))?;
    match url.scheme() {
        "https" => {}
        "http" if allow_insecure => {}
        "http" => return Err("the URL must use https (plain http is refused)".into()),
        other => return Err(format!("the URL scheme {other} is not accepted; use https")),
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err("the URL must not contain credentials".into());
    }
    let Some(host) = url.host() else { return Err("the URL has no host".into()) };
    if !allow_insecure {
        let literal = match host {
            url::Host::Ipv4(ip) => Some(IpAddr::V4(ip)),
            url::Host::Ipv6(ip) => Some(IpAddr::V6(ip)),
            url::Host::Domain(name) if name.eq_ignore_ascii_case("localhost") || name.ends_with(".localhost") => {
                return Err("the URL points at this machine; use a public address".into());
            }
            url::Host::Domain(_) => None,
        };
        if literal.is_some_and(|ip| !is_public(ip)) {
            return Err("the URL points at a private or local address; use a public address".into());
        }
    }
    Ok(url.to_string())
}

/// Whether an address is reachable on the public internet (not loopback, private, link-local,
/// shared, unspecified, multicast or documentation).
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, ..] = v4.octets();
            !(v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.is_multicast()
                || v4.is_documentation()
                || a == 0
                || (a == 100 && (64..128).contains(&b)))
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_public(IpAddr::V4(v4));
            }
            let first = v6.segments().first().copied().unwrap_or(0);
            !(v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (first & 0xfe00) == 0xfc00
                || (first & 0xffc0) == 0xfe80)
        }
    }
}

/// The shared HTTP client of webhook (and push) deliveries: rustls, no redirects, 10 s.
pub fn client() -> Result<&'static reqwest::Client, String> {
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
        .map_err(Clone::clone)
}

/// Resolves the host of `url` and refuses it when one of its addresses is not public, so a
/// name pointing into the local network is caught at send time, not only a literal address.
/// Errors never contain the URL (it is personal data).
pub async fn check_resolved(url: &reqwest::Url) -> Result<(), String> {
    let host = url.host_str().unwrap_or_default();
    let port = url.port_or_known_default().unwrap_or(443);
    let addresses =
        tokio::net::lookup_host((host, port)).await.map_err(|e| format!("cannot resolve the host: {}", e.kind()))?;
    for address in addresses {
        if !is_public(address.ip()) {
            return Err("the host resolves to a private or local address; refused".into());
        }
    }
    Ok(())
}

/// POSTs a signed JSON body to `url` and returns the response body of a 2xx answer. Before
/// sending, the host's addresses are resolved and refused when one is not public (unless
/// insecure targets are allowed). Errors never contain the URL (it is personal data).
pub async fn post(url: &str, secret: &str, body: &[u8], allow_insecure: bool) -> Result<String, String> {
    let parsed = reqwest::Url::parse(url).map_err(|_| "the stored webhook URL is invalid".to_owned())?;
    if !allow_insecure {
        if parsed.scheme() != "https" {
            return Err("the webhook URL is not https".into());
        }
        check_resolved(&parsed).await?;
    }
    let timestamp = chrono::Utc::now().timestamp();
    let response = client()?
        .post(parsed)
        .header("Content-Type", "application/json")
        .header("User-Agent", concat!("meldpunt/", env!("CARGO_PKG_VERSION")))
        .header(SIGNATURE_HEADER, signature(secret, timestamp, body))
        .body(body.to_vec())
        .send()
        .await
        .map_err(|e| format!("webhook request failed: {}", describe(&e)))?;
    let status = response.status();
    let text = response.text().await.unwrap_or_default();
    if status.is_success() { Ok(text) } else { Err(format!("the webhook answered HTTP {}", status.as_u16())) }
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

    #[test]
    fn only_public_https_targets_pass_unless_insecure_is_allowed() {
        assert!(check_url("https://hooks.example.org/x", false).is_ok());
        assert!(check_url("http://hooks.example.org/x", false).is_err());
        assert!(check_url("https://127.0.0.1/x", false).is_err());
        assert!(check_url("https://10.1.2.3/x", false).is_err());
        assert!(check_url("https://[::1]/x", false).is_err());
        assert!(check_url("https://localhost/x", false).is_err());
        assert!(check_url("https://user:pw@hooks.example.org/x", false).is_err());
        assert!(check_url("ftp://hooks.example.org/x", true).is_err());
        assert!(check_url("http://127.0.0.1:9999/x", true).is_ok());
        assert!(!is_public("169.254.169.254".parse().unwrap_or(IpAddr::from([0, 0, 0, 0]))));
        assert!(is_public("93.184.216.34".parse().unwrap_or(IpAddr::from([0, 0, 0, 0]))));
    }
}
