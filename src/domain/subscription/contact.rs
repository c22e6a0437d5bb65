//! How a subscriber is reached, parsed once at the edge: a webhook URL (also the shape of a
//! push service's endpoint) and the keys of a browser's push subscription. A value of these
//! types has passed the syntactic checks; the check of the addresses a host name resolves
//! to is done at send time, in `notify`.
//!
//! Push endpoints, webhook URLs and subscriber keys are personal data: nothing here prints
//! them, neither in `Debug` nor in error messages.

use std::net::IpAddr;

use base64::Engine;
use base64::engine::general_purpose::{STANDARD_NO_PAD, URL_SAFE_NO_PAD};
use p256::PublicKey;

/// How a subscriber is reached.
#[derive(Debug, Clone, PartialEq)]
pub enum Contact {
    /// An email address (double opt-in).
    Email(String),
    /// A webhook URL and its signing secret.
    Webhook {
        /// Where to POST.
        url: WebhookUrl,
        /// The HMAC key of the signature header.
        secret: String,
    },
    /// A Web Push subscription.
    Push {
        /// The push service's URL for this subscription.
        endpoint: WebhookUrl,
        /// The subscriber's keys.
        keys: PushKeys,
    },
}

/// Longest URL accepted, in bytes.
pub const MAX_URL_LEN: usize = 2000;

/// Why a webhook (or push endpoint) URL was refused. The messages say what to send instead.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WebhookUrlError {
    /// Longer than [`MAX_URL_LEN`].
    #[error("the URL is longer than 2000 characters")]
    TooLong,
    /// Not an absolute URL.
    #[error("not an absolute URL ({0}); send e.g. https://example.org/hook")]
    NotAbsolute(url::ParseError),
    /// `http` while insecure targets are not allowed.
    #[error("the URL must use https (plain http is refused)")]
    PlainHttp,
    /// Neither `https` nor `http`.
    #[error("the URL scheme {0} is not accepted; use https")]
    Scheme(String),
    /// Has a user name or password.
    #[error("the URL must not contain credentials")]
    Credentials,
    #[error("the URL has no host")]
    NoHost,
    /// `localhost` or a name under it.
    #[error("the URL points at this machine; use a public address")]
    Localhost,
    /// A literal address that is not public.
    #[error("the URL points at a private or local address; use a public address")]
    PrivateAddress,
}

/// An absolute `https` URL (or `http` where insecure targets are allowed) with a host, no
/// credentials, at most 2000 characters, and not a literal private address unless allowed:
/// where a webhook is POSTed to, and the shape of a push service's endpoint.
#[derive(Clone, PartialEq, Eq)]
pub struct WebhookUrl(url::Url);

impl std::fmt::Debug for WebhookUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("WebhookUrl(..)")
    }
}

impl WebhookUrl {
    /// Parses a URL as a subscriber sends it (surrounding white space is ignored).
    /// `allow_insecure` admits plain `http` and private, loopback or link-local addresses
    /// (tests and closed networks).
    pub fn parse(text: &str, allow_insecure: bool) -> Result<Self, WebhookUrlError> {
        let text = text.trim();
        if text.len() > MAX_URL_LEN {
            return Err(WebhookUrlError::TooLong);
        }
        let url = url::Url::parse(text).map_err(WebhookUrlError::NotAbsolute)?;
        let parsed = WebhookUrl(url);
        parsed.check(allow_insecure)?;
        Ok(parsed)
    }

    /// Runs the checks of [`WebhookUrl::parse`] again, e.g. at send time for a URL stored
    /// while insecure targets were allowed.
    pub fn check(&self, allow_insecure: bool) -> Result<(), WebhookUrlError> {
        let url = &self.0;
        match url.scheme() {
            "https" => {}
            "http" if allow_insecure => {}
            "http" => return Err(WebhookUrlError::PlainHttp),
            other => return Err(WebhookUrlError::Scheme(other.to_owned())),
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(WebhookUrlError::Credentials);
        }
        let Some(host) = url.host() else { return Err(WebhookUrlError::NoHost) };
        if !allow_insecure {
            let literal = match host {
                url::Host::Ipv4(ip) => Some(IpAddr::V4(ip)),
                url::Host::Ipv6(ip) => Some(IpAddr::V6(ip)),
                url::Host::Domain(name) if name.eq_ignore_ascii_case("localhost") || name.ends_with(".localhost") => {
                    return Err(WebhookUrlError::Localhost);
                }
                url::Host::Domain(_) => None,
            };
            if literal.is_some_and(|ip| !is_public(ip)) {
                return Err(WebhookUrlError::PrivateAddress);
            }
        }
        Ok(())
    }

    /// The URL as text (normalised by the parser), as it is stored.
    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }

    /// The parsed URL.
    pub fn url(&self) -> &url::Url {
        &self.0
    }
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

/// Why the keys of a push subscription were refused. The messages name the field at fault.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PushKeysError {
    /// `p256dh` is not base64url.
    #[error("p256dh must be base64url")]
    P256dhEncoding,
    /// `p256dh` has the wrong length or marker.
    #[error("p256dh must be an uncompressed P-256 public key (65 bytes, starting with 0x04), not {0} bytes")]
    P256dhShape(usize),
    /// `p256dh` is not on the curve.
    #[error("p256dh is not a point on the P-256 curve")]
    OffCurve,
    /// `auth` is not base64url.
    #[error("auth must be base64url")]
    AuthEncoding,
    /// `auth` has the wrong length.
    #[error("auth must be a 16-byte secret, not {0} bytes")]
    AuthLength(usize),
}

/// The keys of a browser's push subscription (`PushSubscription.toJSON().keys`): `p256dh`
/// an uncompressed P-256 point (65 bytes) on the curve, `auth` 16 bytes, both base64url
/// (padding and the standard alphabet tolerated). Keeps the text as sent (that is what is
/// stored) and the decoded values (that is what encryption needs).
#[derive(Clone, PartialEq, Eq)]
pub struct PushKeys {
    p256dh: String,
    auth: String,
    public: PublicKey,
    secret: [u8; 16],
}

impl std::fmt::Debug for PushKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PushKeys(..)")
    }
}

impl PushKeys {
    /// Decodes and checks both keys.
    pub fn parse(p256dh: &str, auth: &str) -> Result<Self, PushKeysError> {
        let bytes = decode_b64url(p256dh).map_err(|_| PushKeysError::P256dhEncoding)?;
        if bytes.len() != 65 || bytes.first() != Some(&0x04) {
            return Err(PushKeysError::P256dhShape(bytes.len()));
        }
        let public = PublicKey::from_sec1_bytes(&bytes).map_err(|_| PushKeysError::OffCurve)?;
        let bytes = decode_b64url(auth).map_err(|_| PushKeysError::AuthEncoding)?;
        let secret = <[u8; 16]>::try_from(bytes.as_slice()).map_err(|_| PushKeysError::AuthLength(bytes.len()))?;
        Ok(PushKeys { p256dh: p256dh.to_owned(), auth: auth.to_owned(), public, secret })
    }

    /// `p256dh` as sent.
    pub fn p256dh(&self) -> &str {
        &self.p256dh
    }

    /// `auth` as sent.
    pub fn auth(&self) -> &str {
        &self.auth
    }

    /// The subscriber's public key.
    pub fn public_key(&self) -> &PublicKey {
        &self.public
    }

    /// The subscriber's authentication secret.
    pub fn auth_secret(&self) -> &[u8; 16] {
        &self.secret
    }
}

/// Base64url as browsers write it; trailing `=` and the standard alphabet are tolerated.
pub fn decode_b64url(text: &str) -> Result<Vec<u8>, base64::DecodeError> {
    let text = text.trim().trim_end_matches('=');
    URL_SAFE_NO_PAD.decode(text).or_else(|e| STANDARD_NO_PAD.decode(text).map_err(|_| e))
}

#[cfg(test)]
mod tests {
    use super::*;

    const UA_PUBLIC: &str = "BCVxsr7N_eNgVRqvHtD0zTZsEc6-VV-JvLexhqUzORcxaOzi6-AYWXvTBHm4bjyPjs7Vd8pZGH6SRpkNtoIAiw4";
    const AUTH: &str = "BTBZMqHH6r4Tts7J_aSIgg";

    fn b(text: &str) -> Vec<u8> {
        decode_b64url(text).unwrap()
    }

    fn check_url(text: &str, allow_insecure: bool) -> Result<WebhookUrl, WebhookUrlError> {
        WebhookUrl::parse(text, allow_insecure)
    }

    fn validate_keys(p256dh: &str, auth: &str) -> Result<(), String> {
        PushKeys::parse(p256dh, auth).map(|_| ()).map_err(|e| e.to_string())
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

    #[test]
    fn subscriber_keys_of_the_wrong_length_or_off_the_curve_are_refused() {
        assert_eq!(validate_keys(UA_PUBLIC, AUTH), Ok(()));
        assert_eq!(validate_keys(&format!("{UA_PUBLIC}="), &format!("{AUTH}==")), Ok(()), "padding is tolerated");
        let short_key = URL_SAFE_NO_PAD.encode(&b(UA_PUBLIC)[..33]);
        assert!(validate_keys(&short_key, AUTH).unwrap_err().contains("65 bytes"));
        let mut off_curve = b(UA_PUBLIC);
        off_curve[64] ^= 1;
        assert!(validate_keys(&URL_SAFE_NO_PAD.encode(&off_curve), AUTH).unwrap_err().contains("curve"));
        let mut compressed_marker = b(UA_PUBLIC);
        compressed_marker[0] = 0x02;
        assert!(validate_keys(&URL_SAFE_NO_PAD.encode(&compressed_marker), AUTH).unwrap_err().starts_with("p256dh"));
        assert!(validate_keys("not base64 at all!", AUTH).unwrap_err().starts_with("p256dh"));
        assert!(validate_keys(UA_PUBLIC, &URL_SAFE_NO_PAD.encode([7u8; 15])).unwrap_err().contains("16-byte"));
        assert!(validate_keys(UA_PUBLIC, &URL_SAFE_NO_PAD.encode([7u8; 17])).unwrap_err().contains("16-byte"));
        assert!(validate_keys(UA_PUBLIC, "").unwrap_err().starts_with("auth"));
    }

    #[test]
    fn debug_output_shows_no_url_or_keys() {
        let keys = PushKeys::parse(UA_PUBLIC, AUTH).unwrap();
        let url = WebhookUrl::parse("https://hooks.example.org/secret-id", false).unwrap();
        let printed = format!("{keys:?} {url:?}");
        assert!(!printed.contains("secret-id") && !printed.contains(UA_PUBLIC) && !printed.contains(AUTH), "{printed}");
    }
}
