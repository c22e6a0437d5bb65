//! The cookies of the console login. `meldpunt_sso` carries one login's `state`, `nonce`
//! and PKCE verifier from the redirect to the provider until the callback: signed with a
//! server secret (HMAC-SHA-256) with its expiry inside, 10 minutes, only sent to
//! `/console/login/oidc`, and bound to the browser that started the login (the callback's
//! `state` must be the cookie's); `HttpOnly; Secure; SameSite=Lax`. The callback then sets
//! the console session (`meldpunt_session`, an ordinary session token) with the console's
//! own cookie builder, `crate::api::pages::console::session::session_cookie`, and keeps the
//! ID token for the logout at the provider in `meldpunt_sso_hint` (only sent to
//! `/console/logout`; `HttpOnly; Secure; SameSite=Lax`).

use chrono::{DateTime, Utc};

use crate::domain::subscription::LinkSigner;
use crate::oidc::flow::LoginSecrets;

/// The cookie of a login in progress.
pub const LOGIN_COOKIE: &str = "meldpunt_sso";
/// How long a login may take at the provider, in seconds.
pub const LOGIN_SECONDS: i64 = 600;
/// The path the login cookie is sent to.
const LOGIN_PATH: &str = "/console/login/oidc";

/// The value of the login cookie: the secrets, the expiry and a signature over both.
pub fn seal(signer: &LinkSigner, secrets: &LoginSecrets, expires: DateTime<Utc>) -> String {
    let message = format!("{}.{}.{}.{}", secrets.state, secrets.nonce, secrets.verifier, expires.timestamp());
    let mac = signer.sign(&format!("sso-login:{message}"));
    format!("{message}.{mac}")
}

/// The secrets of a login cookie whose signature holds and that has not expired at `now`.
pub fn open(signer: &LinkSigner, value: &str, now: DateTime<Utc>) -> Option<LoginSecrets> {
    let (message, mac) = value.rsplit_once('.')?;
    if !signer.verify_signature(&format!("sso-login:{message}"), mac) {
        return None;
    }
    let mut parts = message.split('.');
    let (state, nonce, verifier) = (parts.next()?, parts.next()?, parts.next()?);
    let expires: i64 = parts.next()?.parse().ok()?;
    if parts.next().is_some() || now.timestamp() >= expires {
        return None;
    }
    Some(LoginSecrets { state: state.to_owned(), nonce: nonce.to_owned(), verifier: verifier.to_owned() })
}

/// `Set-Cookie` for a login in progress.
pub fn login_cookie(value: &str) -> String {
    format!("{LOGIN_COOKIE}={value}; Path={LOGIN_PATH}; Max-Age={LOGIN_SECONDS}; HttpOnly; Secure; SameSite=Lax")
}

/// `Set-Cookie` that removes the login cookie.
pub fn clear_login_cookie() -> String {
    format!("{LOGIN_COOKIE}=; Path={LOGIN_PATH}; Max-Age=0; HttpOnly; Secure; SameSite=Lax")
}

/// The cookie that keeps the ID token of a console login with single sign-on, sent only to
/// the console's logout, which hands it to the provider as `id_token_hint` (so the provider
/// knows whose session to end without asking).
pub const HINT_COOKIE: &str = "meldpunt_sso_hint";
/// The path the hint cookie is sent to.
const HINT_PATH: &str = "/console/logout";
/// The longest ID token kept: a cookie holds about 4 kB in all.
const HINT_MAX_BYTES: usize = 3_800;

/// `Set-Cookie` keeping `id_token` for the logout, for the session's `hours`; `None` when it
/// does not fit in a cookie (the logout then goes to the provider without a hint) or holds
/// characters a cookie cannot (a JWT never does).
pub fn hint_cookie(id_token: &str, hours: u64) -> Option<String> {
    let fits = id_token.len() <= HINT_MAX_BYTES
        && id_token.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
    fits.then(|| {
        format!(
            "{HINT_COOKIE}={id_token}; Path={HINT_PATH}; Max-Age={}; HttpOnly; Secure; SameSite=Lax",
            hours.saturating_mul(3600)
        )
    })
}

/// `Set-Cookie` that removes the hint cookie.
pub fn clear_hint_cookie() -> String {
    format!("{HINT_COOKIE}=; Path={HINT_PATH}; Max-Age=0; HttpOnly; Secure; SameSite=Lax")
}

/// The value of cookie `name` in a `Cookie` request header.
pub fn cookie_value<'a>(header: &'a str, name: &str) -> Option<&'a str> {
    header.split(';').filter_map(|pair| pair.trim().split_once('=')).find(|(n, _)| *n == name).map(|(_, v)| v.trim())
}

#[cfg(test)]
mod tests {
    use chrono::Duration;

    use super::*;

    #[test]
    fn the_hint_cookie_keeps_a_jwt_for_the_session_and_refuses_what_a_cookie_cannot_hold() {
        let cookie = hint_cookie("eyJh.eyJz.c2ln-_", 12).unwrap();
        assert_eq!(
            cookie,
            "meldpunt_sso_hint=eyJh.eyJz.c2ln-_; Path=/console/logout; Max-Age=43200; HttpOnly; Secure; SameSite=Lax"
        );
        assert_eq!(hint_cookie("a;b", 12), None);
        assert_eq!(hint_cookie(&"a".repeat(4_000), 12), None);
        assert!(clear_hint_cookie().contains("Max-Age=0"));
    }

    #[test]
    fn a_login_cookie_opens_only_unchanged_unexpired_and_with_its_own_key() {
        let signer = LinkSigner::new(b"one");
        let secrets = LoginSecrets::fresh();
        let now = Utc::now();
        let value = seal(&signer, &secrets, now + Duration::minutes(10));
        assert_eq!(open(&signer, &value, now), Some(secrets.clone()));
        assert_eq!(open(&signer, &value, now + Duration::minutes(11)), None, "expired");
        assert_eq!(open(&LinkSigner::new(b"two"), &value, now), None, "another key");
        let tampered = value.replacen(&secrets.state, &LoginSecrets::fresh().state, 1);
        assert_eq!(open(&signer, &tampered, now), None, "a changed state");
        assert_eq!(open(&signer, "nonsense", now), None);
    }

    #[test]
    fn cookies_are_read_by_name_and_set_http_only_secure_and_lax() {
        assert_eq!(cookie_value("a=1; meldpunt_sso=x.y; b=2", LOGIN_COOKIE), Some("x.y"));
        assert_eq!(cookie_value("a=1", LOGIN_COOKIE), None);
        for cookie in [login_cookie("v"), clear_login_cookie()] {
            assert!(cookie.contains("HttpOnly; Secure; SameSite=Lax"), "{cookie}");
        }
    }
}
