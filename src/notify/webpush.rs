//! Web Push: messages to a browser's push service (RFC 8030), encrypted for the subscriber
//! (RFC 8291, `aes128gcm` content coding of RFC 8188) and signed by this application server
//! (VAPID, RFC 8292). Pure Rust (RustCrypto), no OpenSSL.
//!
//! Push endpoints and subscriber keys are personal data: nothing here prints them, neither
//! in `Debug` nor in error messages.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aes_gcm::aead::{Aead, KeyInit};
use aes_gcm::{Aes128Gcm, Nonce};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hkdf::Hkdf;
use p256::ecdsa::signature::Signer;
use p256::ecdsa::{Signature, SigningKey};
use p256::elliptic_curve::sec1::ToEncodedPoint;
use p256::{PublicKey, SecretKey};
use rand::RngCore;
use sha2::Sha256;

use crate::domain::subscription::{PushKeys, WebhookUrl, decode_b64url};

/// Record size written in the `aes128gcm` header; one record carries the whole message.
const RECORD_SIZE: u32 = 4096;
/// Header: salt (16), record size (4), key id length (1), key id (65-byte public key).
const HEADER_LEN: usize = 16 + 4 + 1 + 65;
/// AES-GCM tag length.
const TAG_LEN: usize = 16;
/// Push services accept at least 4096 bytes of body (RFC 8291 section 4): the header, the
/// tag and the padding delimiter leave this much for the payload.
pub const MAX_PAYLOAD: usize = 4096 - HEADER_LEN - TAG_LEN - 1;
/// How long a VAPID token is valid (RFC 8292 allows at most 24 hours).
const JWT_LIFETIME: Duration = Duration::from_secs(12 * 60 * 60);
/// Whole-request timeout of [`send`] (connect, upload, answer).
pub const SEND_TIMEOUT: Duration = Duration::from_secs(30);
/// Connect timeout of the client made by [`client`].
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// Why the VAPID settings were refused. The messages say what to change and never repeat
/// the key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VapidError {
    /// The private key is not base64url.
    #[error("vapid_private_key must be base64url (as `meldpunt vapid-keys` prints it)")]
    Encoding,
    /// The private key has the wrong length.
    #[error(
        "vapid_private_key must be a raw 32-byte P-256 private key in base64url, not {0} bytes \
         (generate one with `meldpunt vapid-keys`)"
    )]
    Length(usize),
    /// The private key is not a valid scalar.
    #[error("vapid_private_key is not a valid P-256 private key")]
    InvalidKey,
    /// The subject is not a contact.
    #[error("vapid_subject must be a contact for push services: `mailto:someone@example.org` or `https://…`")]
    Subject,
}

/// Why a message could not be encrypted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EncryptError {
    /// The payload does not fit one push message.
    #[error("the payload has {0} bytes, at most {MAX_PAYLOAD} fit in a push message")]
    TooLarge(usize),
    /// HKDF refused an output length (cannot happen with the fixed lengths used).
    #[error("key derivation failed")]
    KeyDerivation,
    /// AES-GCM failed.
    #[error("encryption failed")]
    Cipher,
}

/// The application server's VAPID key pair and contact (`sub` claim), from the settings.
#[derive(Clone)]
pub struct VapidKeys {
    signing: SigningKey,
    public_b64url: String,
    subject: String,
}

impl std::fmt::Debug for VapidKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VapidKeys").finish_non_exhaustive()
    }
}

impl VapidKeys {
    /// Reads the private key (base64url of the raw 32-byte P-256 scalar) and the contact
    /// (`mailto:…` or `https://…`). The error says what to change and never repeats the key.
    pub fn from_settings(private_key_b64url: &str, subject: &str) -> Result<VapidKeys, VapidError> {
        let bytes = decode_b64url(private_key_b64url.trim()).map_err(|_| VapidError::Encoding)?;
        if bytes.len() != 32 {
            return Err(VapidError::Length(bytes.len()));
        }
        let secret = SecretKey::from_slice(&bytes).map_err(|_| VapidError::InvalidKey)?;
        check_subject(subject)?;
        Ok(VapidKeys::from_secret(&secret, subject.trim()))
    }

    fn from_secret(secret: &SecretKey, subject: &str) -> VapidKeys {
        let public = secret.public_key().to_encoded_point(false);
        VapidKeys {
            signing: SigningKey::from(secret),
            public_b64url: URL_SAFE_NO_PAD.encode(public.as_bytes()),
            subject: subject.to_owned(),
        }
    }

    /// The public key (uncompressed point, base64url): the `applicationServerKey` browsers
    /// subscribe with, and the `k=` of the `Authorization` header.
    pub fn public_key_b64url(&self) -> String {
        self.public_b64url.clone()
    }

    /// A signed VAPID token (ES256 JWT) for the push service at `audience` (an origin such
    /// as `https://push.example.net`), valid from `now` for 12 hours.
    pub fn token(&self, audience: &str, now: SystemTime) -> String {
        let exp = (now + JWT_LIFETIME).duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
        let header = URL_SAFE_NO_PAD.encode(br#"{"typ":"JWT","alg":"ES256"}"#);
        let claims = serde_json::json!({"aud": audience, "exp": exp, "sub": self.subject});
        let claims = URL_SAFE_NO_PAD.encode(claims.to_string());
        let signing_input = format!("{header}.{claims}");
        let signature: Signature = self.signing.sign(signing_input.as_bytes());
        format!("{signing_input}.{}", URL_SAFE_NO_PAD.encode(signature.to_bytes()))
    }

    /// The `Authorization` header value for a push service at `audience` (RFC 8292 section 3).
    pub fn authorization(&self, audience: &str, now: SystemTime) -> String {
        format!("vapid t={}, k={}", self.token(audience, now), self.public_b64url)
    }
}

/// A fresh VAPID key pair for operators: (private key, public key), both base64url; the
/// private key is what `vapid_private_key` takes.
pub fn generate_key_pair() -> (String, String) {
    let secret = random_secret();
    let public = secret.public_key().to_encoded_point(false);
    (URL_SAFE_NO_PAD.encode(secret.to_bytes()), URL_SAFE_NO_PAD.encode(public.as_bytes()))
}

fn check_subject(subject: &str) -> Result<(), VapidError> {
    let subject = subject.trim();
    let valid = match subject.split_once(':') {
        Some(("mailto", rest)) => rest.contains('@') && !rest.contains(char::is_whitespace),
        Some(("https", rest)) => rest.starts_with("//") && rest.len() > 2 && !rest.contains(char::is_whitespace),
        _ => false,
    };
    if valid { Ok(()) } else { Err(VapidError::Subject) }
}

/// A push subscription as the browser hands it over (`PushSubscription.toJSON()`): the
/// endpoint URL and the `keys.p256dh` / `keys.auth` values, base64url. Build it from parsed
/// values with [`PushTarget::new`]; [`send`] decodes the keys again (that is what
/// encryption needs), so raw text from elsewhere is refused there, not trusted.
pub struct PushTarget<'a> {
    /// The push service URL for this subscription.
    pub endpoint: &'a str,
    /// The subscriber's P-256 public key (uncompressed point, base64url).
    pub p256dh: &'a str,
    /// The subscriber's 16-byte authentication secret (base64url).
    pub auth: &'a str,
}

impl<'a> PushTarget<'a> {
    /// The target of a parsed endpoint and keys.
    pub fn new(endpoint: &'a WebhookUrl, keys: &'a PushKeys) -> Self {
        PushTarget { endpoint: endpoint.as_str(), p256dh: keys.p256dh(), auth: keys.auth() }
    }
}

impl std::fmt::Debug for PushTarget<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PushTarget").finish_non_exhaustive()
    }
}

/// Why a push message was not delivered.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PushError {
    /// The push service says the subscription no longer exists (404 or 410): drop it.
    #[error("the push subscription is gone")]
    Gone,
    /// Anything else (network, timeout, another status, bad keys): may be retried. The text
    /// names the cause, never the endpoint.
    #[error("push failed: {0}")]
    Failed(String),
}

fn random_secret() -> SecretKey {
    let mut rng = rand::rng();
    loop {
        let mut bytes = [0u8; 32];
        rng.fill_bytes(&mut bytes);
        // Fails only for zero or a value at or above the group order (about 2^-32).
        if let Ok(secret) = SecretKey::from_slice(&bytes) {
            return secret;
        }
    }
}

/// Encrypts `payload` for the subscriber (RFC 8291 section 3.4, RFC 8188): one record,
/// padding delimiter 0x02, no further padding. `as_secret` and `salt` must be fresh per
/// message; they are parameters so that the RFC's worked example can be reproduced.
fn encrypt(
    payload: &[u8],
    ua_public: &PublicKey,
    auth_secret: &[u8; 16],
    as_secret: &SecretKey,
    salt: &[u8; 16],
) -> Result<Vec<u8>, EncryptError> {
    if payload.len() > MAX_PAYLOAD {
        return Err(EncryptError::TooLarge(payload.len()));
    }
    let ua_point = ua_public.to_encoded_point(false);
    let as_point = as_secret.public_key().to_encoded_point(false);
    let shared = p256::ecdh::diffie_hellman(as_secret.to_nonzero_scalar(), ua_public.as_affine());

    // IKM = HKDF(auth_secret, ecdh_secret, "WebPush: info" || 0x00 || ua_public || as_public, 32)
    let mut key_info = Vec::with_capacity(14 + 65 + 65);
    key_info.extend_from_slice(b"WebPush: info\0");
    key_info.extend_from_slice(ua_point.as_bytes());
    key_info.extend_from_slice(as_point.as_bytes());
    let mut ikm = [0u8; 32];
    Hkdf::<Sha256>::new(Some(auth_secret), shared.raw_secret_bytes())
        .expand(&key_info, &mut ikm)
        .map_err(|_| EncryptError::KeyDerivation)?;

    let prk = Hkdf::<Sha256>::new(Some(salt), &ikm);
    let mut cek = [0u8; 16];
    let mut nonce = [0u8; 12];
    prk.expand(b"Content-Encoding: aes128gcm\0", &mut cek).map_err(|_| EncryptError::KeyDerivation)?;
    prk.expand(b"Content-Encoding: nonce\0", &mut nonce).map_err(|_| EncryptError::KeyDerivation)?;

    let mut plaintext = Vec::with_capacity(payload.len() + 1);
    plaintext.extend_from_slice(payload);
    plaintext.push(0x02);
    let cipher = Aes128Gcm::new_from_slice(&cek).map_err(|_| EncryptError::Cipher)?;
    let ciphertext =
        cipher.encrypt(Nonce::from_slice(&nonce), plaintext.as_slice()).map_err(|_| EncryptError::Cipher)?;

    let mut body = Vec::with_capacity(HEADER_LEN + ciphertext.len());
    body.extend_from_slice(salt);
    body.extend_from_slice(&RECORD_SIZE.to_be_bytes());
    body.push(65);
    body.extend_from_slice(as_point.as_bytes());
    body.extend_from_slice(&ciphertext);
    Ok(body)
}

/// An HTTP client suited to [`send`]: rustls, connect and request timeouts, no redirects
/// (a push service answers directly; following a redirect could carry the message elsewhere).
pub fn client() -> Result<reqwest::Client, PushError> {
    reqwest::Client::builder()
        .connect_timeout(CONNECT_TIMEOUT)
        .timeout(SEND_TIMEOUT)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .map_err(|e| PushError::Failed(format!("cannot build the HTTP client: {e}")))
}

/// The origin (`scheme://host[:port]`) of an endpoint: the `aud` claim of the VAPID token.
fn audience(endpoint: &reqwest::Url) -> Result<String, PushError> {
    match endpoint.scheme() {
        "https" | "http" if endpoint.host_str().is_some() => Ok(endpoint.origin().ascii_serialization()),
        _ => Err(PushError::Failed("the endpoint is not an http(s) URL".into())),
    }
}

/// Sends one push message: encrypts `payload` for the subscriber, signs the request with
/// VAPID and POSTs it with `TTL: ttl_seconds` and `Urgency: normal`. A 2xx answer (201 or
/// 202 from real services) is delivery, 404 and 410 are [`PushError::Gone`], anything else
/// is [`PushError::Failed`] with the status (never the endpoint).
pub async fn send(
    client: &reqwest::Client,
    keys: &VapidKeys,
    target: &PushTarget<'_>,
    payload: &[u8],
    ttl_seconds: u32,
) -> Result<(), PushError> {
    let endpoint =
        reqwest::Url::parse(target.endpoint).map_err(|_| PushError::Failed("the endpoint is not a URL".into()))?;
    let audience = audience(&endpoint)?;
    let subscriber = PushKeys::parse(target.p256dh, target.auth).map_err(|e| PushError::Failed(e.to_string()))?;
    let mut salt = [0u8; 16];
    rand::rng().fill_bytes(&mut salt);
    let body = encrypt(payload, subscriber.public_key(), subscriber.auth_secret(), &random_secret(), &salt)
        .map_err(|e| PushError::Failed(e.to_string()))?;

    let response = client
        .post(endpoint)
        .timeout(SEND_TIMEOUT)
        .header("TTL", ttl_seconds.to_string())
        .header("Urgency", "normal")
        .header("Content-Encoding", "aes128gcm")
        .header("Content-Type", "application/octet-stream")
        .header("Authorization", keys.authorization(&audience, SystemTime::now()))
        .body(body)
        .send()
        .await
        .map_err(|e| PushError::Failed(describe(&e)))?;
    let status = response.status();
    match status.as_u16() {
        200..=299 => Ok(()),
        404 | 410 => Err(PushError::Gone),
        _ => Err(PushError::Failed(format!("the push service answered {status}"))),
    }
}

/// A transport error in words, without the URL reqwest would print.
fn describe(error: &reqwest::Error) -> String {
    if error.is_timeout() {
        format!("no answer from the push service within {} s", SEND_TIMEOUT.as_secs())
    } else if error.is_connect() {
        "cannot connect to the push service".into()
    } else {
        "the request to the push service failed".into()
    }
}

#[cfg(test)]
mod tests {
    use p256::ecdsa::VerifyingKey;
    use p256::ecdsa::signature::Verifier;

    use super::*;

    fn b(text: &str) -> Vec<u8> {
        decode_b64url(text).unwrap()
    }

    fn subscriber_keys(p256dh: &str, auth: &str) -> Result<(PublicKey, [u8; 16]), String> {
        let keys = PushKeys::parse(p256dh, auth).map_err(|e| e.to_string())?;
        Ok((*keys.public_key(), *keys.auth_secret()))
    }

    // RFC 8291 Appendix A (and section 5): inputs and the resulting message.
    const PLAINTEXT: &str = "When I grow up, I want to be a watermelon";
    const AS_PRIVATE: &str = "yfWPiYE-n46HLnH0KqZOF1fJJU3MYrct3AELtAQ-oRw";
    const AS_PUBLIC: &str = "BP4z9KsN6nGRTbVYI_c7VJSPQTBtkgcy27mlmlMoZIIgDll6e3vCYLocInmYWAmS6TlzAC8wEqKK6PBru3jl7A8";
    const UA_PUBLIC: &str = "BCVxsr7N_eNgVRqvHtD0zTZsEc6-VV-JvLexhqUzORcxaOzi6-AYWXvTBHm4bjyPjs7Vd8pZGH6SRpkNtoIAiw4";
    const SALT: &str = "DGv6ra1nlYgDCS1FRnbzlw";
    const AUTH: &str = "BTBZMqHH6r4Tts7J_aSIgg";
    const MESSAGE: &str = "DGv6ra1nlYgDCS1FRnbzlwAAEABBBP4z9KsN6nGRTbVYI_c7VJSPQTBtkgcy27mlmlMoZIIgDll6e3vCYLocInm\
                           YWAmS6TlzAC8wEqKK6PBru3jl7A_yl95bQpu6cVPTpK4Mqgkf1CXztLVBSt2Ks3oZwbuwXPXLWyouBWLVWGNWQ\
                           exSgSxsj_Qulcy4a-fN";

    #[test]
    fn the_rfc_8291_worked_example_encrypts_to_the_published_message() {
        let as_secret = SecretKey::from_slice(&b(AS_PRIVATE)).unwrap();
        assert_eq!(URL_SAFE_NO_PAD.encode(as_secret.public_key().to_encoded_point(false).as_bytes()), AS_PUBLIC);
        let (ua_public, auth) = subscriber_keys(UA_PUBLIC, AUTH).unwrap();
        let salt: [u8; 16] = b(SALT).try_into().unwrap();
        let body = encrypt(PLAINTEXT.as_bytes(), &ua_public, &auth, &as_secret, &salt).unwrap();
        assert_eq!(URL_SAFE_NO_PAD.encode(body), MESSAGE);
    }

    #[test]
    fn fresh_messages_differ_even_for_the_same_payload() {
        let (ua_public, auth) = subscriber_keys(UA_PUBLIC, AUTH).unwrap();
        let one = encrypt(b"same", &ua_public, &auth, &random_secret(), &[1; 16]).unwrap();
        let two = encrypt(b"same", &ua_public, &auth, &random_secret(), &[1; 16]).unwrap();
        assert_ne!(one, two);
        assert_eq!(one.len(), HEADER_LEN + 4 + 1 + TAG_LEN);
    }

    #[test]
    fn a_payload_too_large_for_one_push_message_is_refused() {
        let (ua_public, auth) = subscriber_keys(UA_PUBLIC, AUTH).unwrap();
        let largest = encrypt(&[b'x'; MAX_PAYLOAD], &ua_public, &auth, &random_secret(), &[0; 16]).unwrap();
        assert_eq!(largest.len(), 4096);
        let error =
            encrypt(&[b'x'; MAX_PAYLOAD + 1], &ua_public, &auth, &random_secret(), &[0; 16]).unwrap_err().to_string();
        assert!(error.contains("at most 3993"), "{error}");
    }

    #[test]
    fn vapid_settings_need_a_32_byte_key_and_a_mailto_or_https_subject() {
        let (private, public) = generate_key_pair();
        let keys = VapidKeys::from_settings(&private, "mailto:ops@example.org").unwrap();
        assert_eq!(keys.public_key_b64url(), public);
        assert_eq!(b(&public).len(), 65);
        assert!(VapidKeys::from_settings(&private, "https://meldpunt.example.org/contact").is_ok());
        for subject in ["", "ops@example.org", "mailto:", "http://example.org", "https://", "mailto:a b@c"] {
            let error = VapidKeys::from_settings(&private, subject).unwrap_err().to_string();
            assert!(error.contains("vapid_subject"), "{subject}: {error}");
        }
        let error = VapidKeys::from_settings(&URL_SAFE_NO_PAD.encode([1u8; 31]), "mailto:ops@example.org")
            .unwrap_err()
            .to_string();
        assert!(error.contains("32-byte") && error.contains("31 bytes"), "{error}");
        assert!(VapidKeys::from_settings(&URL_SAFE_NO_PAD.encode([0u8; 32]), "mailto:ops@example.org").is_err());
        assert!(
            VapidKeys::from_settings("%%%", "mailto:ops@example.org").unwrap_err().to_string().contains("base64url")
        );
        assert!(!format!("{keys:?}").contains(&private) && !format!("{keys:?}").contains(&public));
    }

    #[test]
    fn the_vapid_token_is_an_es256_jwt_for_the_push_service_origin_valid_at_most_a_day() {
        let (private, public) = generate_key_pair();
        let keys = VapidKeys::from_settings(&private, "mailto:ops@example.org").unwrap();
        let endpoint = reqwest::Url::parse("https://push.example.net:8443/wpush/v2/abc?x=1").unwrap();
        let audience = audience(&endpoint).unwrap();
        assert_eq!(audience, "https://push.example.net:8443");
        let now = SystemTime::now();
        let header = keys.authorization(&audience, now);
        let (token, k) = header.strip_prefix("vapid t=").unwrap().split_once(", k=").unwrap();
        assert_eq!(k, public);
        let parts: Vec<&str> = token.split('.').collect();
        assert_eq!(parts.len(), 3);
        let jwt_header: serde_json::Value = serde_json::from_slice(&b(parts[0])).unwrap();
        assert_eq!(jwt_header["alg"], "ES256");
        let claims: serde_json::Value = serde_json::from_slice(&b(parts[1])).unwrap();
        assert_eq!(claims["aud"], "https://push.example.net:8443");
        assert_eq!(claims["sub"], "mailto:ops@example.org");
        let now_secs = now.duration_since(UNIX_EPOCH).unwrap().as_secs();
        let exp = claims["exp"].as_u64().unwrap();
        assert!(exp > now_secs && exp <= now_secs + 24 * 3600, "exp {exp}, now {now_secs}");
        let verifying = VerifyingKey::from_sec1_bytes(&b(k)).unwrap();
        let signature = Signature::from_slice(&b(parts[2])).unwrap();
        let signed = format!("{}.{}", parts[0], parts[1]);
        assert!(verifying.verify(signed.as_bytes(), &signature).is_ok());
        assert!(verifying.verify(b"something else", &signature).is_err());
    }

    #[test]
    fn only_http_endpoints_have_an_audience() {
        for endpoint in ["ftp://push.example.net/x", "mailto:a@b.c", "file:///tmp/x"] {
            let url = reqwest::Url::parse(endpoint).unwrap();
            assert!(matches!(audience(&url), Err(PushError::Failed(_))), "{endpoint}");
        }
    }

    #[test]
    fn debug_output_shows_no_endpoint_or_keys() {
        let target = PushTarget { endpoint: "https://push.example.net/secret-id", p256dh: UA_PUBLIC, auth: AUTH };
        let printed = format!("{target:?}");
        assert!(!printed.contains("secret-id") && !printed.contains(UA_PUBLIC) && !printed.contains(AUTH), "{printed}");
    }
}
