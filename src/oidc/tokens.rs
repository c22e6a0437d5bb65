//! Validation of the provider's JWTs: access tokens (bearer tokens on the staff API) and ID
//! tokens (the console login). Checks the signature against the provider's keys (RS256 and
//! the other RSA algorithms, ES256, ES384; never HMAC or `none`), `iss`, `aud`, `exp` and
//! `nbf` with [`LEEWAY_SECONDS`] of clock skew, and for ID tokens `nonce` (and `azp`).
//! Each refusal says why ([`Rejection`]).

use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, Validation};

use super::{OidcError, Provider};

/// Seconds of clock skew allowed on `exp` and `nbf`.
pub const LEEWAY_SECONDS: u64 = 30;

/// The algorithms accepted in a token's header.
const ACCEPTED: [Algorithm; 8] = [
    Algorithm::RS256,
    Algorithm::RS384,
    Algorithm::RS512,
    Algorithm::PS256,
    Algorithm::PS384,
    Algorithm::PS512,
    Algorithm::ES256,
    Algorithm::ES384,
];

/// A validated token's claims.
pub type Claims = serde_json::Map<String, serde_json::Value>;

/// Why a token is refused, in words for the one who sent it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Rejection {
    #[error("the token is not a well-formed JWT")]
    Malformed,
    #[error("the token has expired; get a new one from the identity provider")]
    Expired,
    #[error("the token is not valid yet (nbf lies in the future); check the clocks")]
    NotYetValid,
    #[error("the token is for another audience (aud); meldpunt accepts tokens for '{0}'")]
    WrongAudience(String),
    #[error("the token is from another issuer (iss); meldpunt accepts tokens from '{0}'")]
    WrongIssuer(String),
    #[error("the token is signed with a key the identity provider does not publish (unknown kid)")]
    UnknownKey,
    #[error("the token's signature does not verify")]
    BadSignature,
    #[error("the token is signed with {0}; meldpunt accepts RS256, RS384, RS512, PS256, PS384, PS512, ES256, ES384")]
    UnsupportedAlgorithm(String),
    #[error("the token has no '{0}' claim")]
    MissingClaim(String),
    #[error("the token's '{0}' claim is not a text")]
    BadClaim(String),
    #[error("the ID token's nonce does not match this login; start the login again")]
    NonceMismatch,
    #[error("the identity provider says the email address is not verified (email_verified is false)")]
    EmailNotVerified,
}

/// Whether a token is an ID token (checked against the client id and a nonce) or an access
/// token (checked against the configured audience).
enum Kind<'a> {
    Access,
    Id { nonce: &'a str },
}

impl Provider {
    /// Validates an access token sent as a bearer token; answers its claims.
    pub async fn validate_access_token(&self, token: &str) -> Result<Claims, OidcError> {
        self.validate(token, Kind::Access).await
    }

    /// Validates the ID token of a login whose nonce was `nonce`; answers its claims.
    pub async fn validate_id_token(&self, token: &str, nonce: &str) -> Result<Claims, OidcError> {
        self.validate(token, Kind::Id { nonce }).await
    }

    async fn validate(&self, token: &str, kind: Kind<'_>) -> Result<Claims, OidcError> {
        let header = jsonwebtoken::decode_header(token).map_err(|error| match (error.kind(), header_alg(token)) {
            // A header the library cannot read because of its `alg` (`none`, `HS1`, …).
            (ErrorKind::Json(_), Some(alg)) if !ACCEPTED.iter().any(|a| format!("{a:?}") == alg) => {
                Rejection::UnsupportedAlgorithm(alg)
            }
            _ => Rejection::Malformed,
        })?;
        if !ACCEPTED.contains(&header.alg) {
            return Err(Rejection::UnsupportedAlgorithm(format!("{:?}", header.alg)).into());
        }
        let key = self.key_for(header.kid.as_deref(), header.alg.family()).await?;
        if key.alg.is_some_and(|pinned| pinned != header.alg) {
            return Err(Rejection::UnsupportedAlgorithm(format!(
                "{:?} (the key is for another algorithm)",
                header.alg
            ))
            .into());
        }
        let discovery = self.discovery().await?;
        let audience = match kind {
            Kind::Access => self.config.audience.as_str(),
            Kind::Id { .. } => self.config.client_id.as_str(),
        };
        let mut validation = Validation::new(header.alg);
        validation.leeway = LEEWAY_SECONDS;
        validation.validate_nbf = true;
        validation.set_audience(&[audience]);
        validation.set_issuer(&[discovery.issuer.as_str()]);
        validation.set_required_spec_claims(&["exp", "iss", "aud"]);
        let claims = jsonwebtoken::decode::<Claims>(token, &key.decoding, &validation)
            .map_err(|error| rejection(error.kind(), audience, &discovery.issuer))?
            .claims;
        if let Kind::Id { nonce } = kind {
            check_id_token(&claims, nonce, &self.config.client_id)?;
        }
        Ok(claims)
    }
}

/// The `alg` a token's header names, when it is one `jsonwebtoken` does not know.
fn header_alg(token: &str) -> Option<String> {
    use base64::Engine;
    let header = token.split('.').next()?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(header.trim_end_matches('=')).ok()?;
    let value: serde_json::Value = serde_json::from_slice(&bytes).ok()?;
    value.get("alg")?.as_str().map(|alg| alg.chars().take(20).collect())
}

/// The rejection for an error of `jsonwebtoken`.
fn rejection(kind: &ErrorKind, audience: &str, issuer: &str) -> Rejection {
    match kind {
        ErrorKind::ExpiredSignature => Rejection::Expired,
        ErrorKind::ImmatureSignature => Rejection::NotYetValid,
        ErrorKind::InvalidAudience => Rejection::WrongAudience(audience.to_owned()),
        ErrorKind::InvalidIssuer => Rejection::WrongIssuer(issuer.to_owned()),
        ErrorKind::InvalidSignature => Rejection::BadSignature,
        ErrorKind::InvalidAlgorithm => Rejection::UnsupportedAlgorithm("an algorithm that does not fit the key".into()),
        ErrorKind::MissingRequiredClaim(claim) => Rejection::MissingClaim(claim.clone()),
        ErrorKind::InvalidClaimFormat(claim) => Rejection::BadClaim(claim.clone()),
        _ => Rejection::Malformed,
    }
}

/// The ID token's own checks: the nonce of this login, and `azp` (when the token names
/// several audiences, it must name meldpunt's client as the party it was issued to).
pub fn check_id_token(claims: &Claims, nonce: &str, client_id: &str) -> Result<(), Rejection> {
    match claims.get("nonce").and_then(|n| n.as_str()) {
        Some(given) if same(given, nonce) => {}
        Some(_) => return Err(Rejection::NonceMismatch),
        None => return Err(Rejection::MissingClaim("nonce".into())),
    }
    let several_audiences = claims.get("aud").and_then(|a| a.as_array()).is_some_and(|a| a.len() > 1);
    match claims.get("azp").and_then(|a| a.as_str()) {
        Some(azp) if azp != client_id => Err(Rejection::WrongAudience(client_id.to_owned())),
        None if several_audiences => Err(Rejection::MissingClaim("azp".into())),
        _ => Ok(()),
    }
}

/// Whether two secrets are equal, compared in constant time (for equal lengths).
pub fn same(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).fold(0u8, |difference, (x, y)| difference | (x ^ y)) == 0
}

/// The email address in claim `claim`, lowercased. A token whose `email_verified` is
/// `false` is refused.
pub fn email(claims: &Claims, claim: &str) -> Result<String, Rejection> {
    let value = claims.get(claim).ok_or_else(|| Rejection::MissingClaim(claim.to_owned()))?;
    let text =
        value.as_str().map(str::trim).filter(|t| !t.is_empty()).ok_or_else(|| Rejection::BadClaim(claim.to_owned()))?;
    if claims.get("email_verified").and_then(|v| v.as_bool()) == Some(false) {
        return Err(Rejection::EmailNotVerified);
    }
    Ok(text.to_lowercase())
}

/// The token's expiry (`exp`), if it has one that fits.
pub fn expiry(claims: &Claims) -> Option<chrono::DateTime<chrono::Utc>> {
    claims.get("exp").and_then(|e| e.as_i64()).and_then(|secs| chrono::DateTime::from_timestamp(secs, 0))
}

/// A display name from the usual claims (`name`, `given_name` + `family_name`), if any.
pub fn display_name(claims: &Claims) -> Option<String> {
    let text = |name: &str| claims.get(name).and_then(|v| v.as_str()).map(str::trim).filter(|t| !t.is_empty());
    if let Some(name) = text("name") {
        return Some(name.chars().take(200).collect());
    }
    let joined = [text("given_name"), text("family_name")].into_iter().flatten().collect::<Vec<_>>().join(" ");
    Some(joined).filter(|j| !j.is_empty()).map(|j| j.chars().take(200).collect())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn claims(value: serde_json::Value) -> Claims {
        value.as_object().cloned().unwrap_or_default()
    }

    #[test]
    fn the_email_claim_is_read_lowercased_and_an_unverified_email_is_refused() {
        let c = claims(json!({"email": " Jan.Jansen@Heerlen.NL ", "upn": 3}));
        assert_eq!(email(&c, "email"), Ok("jan.jansen@heerlen.nl".into()));
        assert_eq!(email(&c, "preferred_username"), Err(Rejection::MissingClaim("preferred_username".into())));
        assert_eq!(email(&c, "upn"), Err(Rejection::BadClaim("upn".into())));
        let unverified = claims(json!({"email": "a@b.nl", "email_verified": false}));
        assert_eq!(email(&unverified, "email"), Err(Rejection::EmailNotVerified));
    }

    #[test]
    fn an_id_token_needs_this_logins_nonce_and_azp_when_it_has_several_audiences() {
        let ok = claims(json!({"nonce": "n-1", "aud": "meldpunt"}));
        assert_eq!(check_id_token(&ok, "n-1", "meldpunt"), Ok(()));
        assert_eq!(check_id_token(&ok, "n-2", "meldpunt"), Err(Rejection::NonceMismatch));
        assert_eq!(
            check_id_token(&claims(json!({"aud": "meldpunt"})), "n-1", "meldpunt"),
            Err(Rejection::MissingClaim("nonce".into()))
        );
        let several = claims(json!({"nonce": "n-1", "aud": ["meldpunt", "other"]}));
        assert_eq!(check_id_token(&several, "n-1", "meldpunt"), Err(Rejection::MissingClaim("azp".into())));
        let other_azp = claims(json!({"nonce": "n-1", "aud": ["meldpunt", "other"], "azp": "other"}));
        assert!(matches!(check_id_token(&other_azp, "n-1", "meldpunt"), Err(Rejection::WrongAudience(_))));
    }

    #[test]
    fn a_display_name_comes_from_name_or_the_given_and_family_names() {
        assert_eq!(display_name(&claims(json!({"name": "Jan Jansen"}))), Some("Jan Jansen".into()));
        assert_eq!(
            display_name(&claims(json!({"given_name": "Jan", "family_name": "Jansen"}))),
            Some("Jan Jansen".into())
        );
        assert_eq!(display_name(&claims(json!({}))), None);
    }

    #[test]
    fn errors_of_the_jwt_library_become_reasons() {
        assert_eq!(rejection(&ErrorKind::ExpiredSignature, "a", "i"), Rejection::Expired);
        assert_eq!(rejection(&ErrorKind::InvalidAudience, "a", "i"), Rejection::WrongAudience("a".into()));
        assert_eq!(rejection(&ErrorKind::InvalidIssuer, "a", "i"), Rejection::WrongIssuer("i".into()));
        assert_eq!(rejection(&ErrorKind::InvalidSignature, "a", "i"), Rejection::BadSignature);
        assert_eq!(header_alg("eyJhbGciOiJub25lIn0.e30."), Some("none".into()));
    }
}
