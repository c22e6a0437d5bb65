//! The authorization code flow with PKCE (RFC 7636, S256): a fresh `state`, `nonce` and code
//! verifier per login, the URL that sends the browser to the provider, and the exchange of
//! the code for tokens (client authentication with `client_secret_basic`, or
//! `client_secret_post` when the provider only offers that; none for a public client).

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use rand::RngCore;
use serde::Deserialize;
use sha2::{Digest, Sha256};

use super::{OidcError, Provider};

/// The secrets of one login, kept (signed) in the browser between the redirect to the
/// provider and the callback.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoginSecrets {
    /// The `state` parameter: the callback must bring it back.
    pub state: String,
    /// The `nonce` the ID token must carry.
    pub nonce: String,
    /// The PKCE code verifier (its S256 challenge goes to the provider).
    pub verifier: String,
}

impl LoginSecrets {
    /// Fresh random secrets (32 bytes each, base64url).
    pub fn fresh() -> Self {
        LoginSecrets { state: random(), nonce: random(), verifier: random() }
    }
}

fn random() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// The PKCE S256 challenge of a verifier: base64url(SHA-256(verifier)).
pub fn challenge(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

/// What the token endpoint answers (the parts meldpunt reads).
#[derive(Debug, Clone, Deserialize)]
pub struct TokenResponse {
    /// The ID token (a JWT), validated by the caller.
    pub id_token: Option<String>,
    /// The access token, unused by the console login.
    pub access_token: Option<String>,
}

#[derive(Debug, Deserialize)]
struct TokenError {
    error: String,
    error_description: Option<String>,
}

impl Provider {
    /// Where to send the browser to log in, for these secrets and meldpunt's redirect URI.
    pub async fn authorization_url(&self, secrets: &LoginSecrets, redirect_uri: &str) -> Result<String, OidcError> {
        let discovery = self.discovery().await?;
        let mut url = url::Url::parse(&discovery.authorization_endpoint).map_err(|e| {
            OidcError::Provider(format!(
                "the authorization endpoint '{}' is not a URL: {e}",
                discovery.authorization_endpoint
            ))
        })?;
        url.query_pairs_mut()
            .append_pair("response_type", "code")
            .append_pair("client_id", &self.config.client_id)
            .append_pair("redirect_uri", redirect_uri)
            .append_pair("scope", &self.config.scopes.join(" "))
            .append_pair("state", &secrets.state)
            .append_pair("nonce", &secrets.nonce)
            .append_pair("code_challenge", &challenge(&secrets.verifier))
            .append_pair("code_challenge_method", "S256");
        Ok(url.into())
    }

    /// Where to send the browser to end its session at the provider too (OpenID Connect
    /// RP-Initiated Logout 1.0), with the ID token of the login as `id_token_hint` when kept,
    /// and the address the provider sends the browser back to (registered there).
    /// `None`: the provider names no `end_session_endpoint`.
    pub async fn logout_url(
        &self,
        id_token_hint: Option<&str>,
        post_logout_redirect_uri: &str,
    ) -> Result<Option<String>, OidcError> {
        let discovery = self.discovery().await?;
        let Some(endpoint) = &discovery.end_session_endpoint else { return Ok(None) };
        let mut url = url::Url::parse(endpoint)
            .map_err(|e| OidcError::Provider(format!("the end session endpoint '{endpoint}' is not a URL: {e}")))?;
        {
            let mut query = url.query_pairs_mut();
            query.append_pair("client_id", &self.config.client_id);
            query.append_pair("post_logout_redirect_uri", post_logout_redirect_uri);
            if let Some(hint) = id_token_hint {
                query.append_pair("id_token_hint", hint);
            }
        }
        Ok(Some(url.into()))
    }

    /// Checks the `iss` of an authorization response (RFC 9207): when given it must be this
    /// provider's issuer, and a provider that says it always sends one must have sent it.
    /// This stops a mix-up attack, where another provider's answer is sent to this callback.
    pub async fn check_response_issuer(&self, iss: Option<&str>) -> Result<(), OidcError> {
        let discovery = self.discovery().await?;
        match iss {
            Some(given) if given == discovery.issuer => Ok(()),
            Some(given) => Err(OidcError::Exchange(format!(
                "the answer names issuer '{}', not '{}' (RFC 9207)",
                given.chars().take(200).collect::<String>(),
                discovery.issuer
            ))),
            None if discovery.authorization_response_iss_parameter_supported => Err(OidcError::Exchange(
                "the answer names no issuer, though the provider says it always does (RFC 9207)".into(),
            )),
            None => Ok(()),
        }
    }

    /// Exchanges an authorization code (with the login's verifier) for tokens.
    pub async fn exchange_code(
        &self,
        code: &str,
        verifier: &str,
        redirect_uri: &str,
    ) -> Result<TokenResponse, OidcError> {
        let discovery = self.discovery().await?;
        let mut form = vec![
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", redirect_uri),
            ("code_verifier", verifier),
        ];
        let mut request = self.http.post(&discovery.token_endpoint).header("Accept", "application/json");
        match &self.config.client_secret {
            None => form.push(("client_id", &self.config.client_id)),
            Some(secret) if prefers_post(&discovery.token_endpoint_auth_methods_supported) => {
                form.push(("client_id", &self.config.client_id));
                form.push(("client_secret", secret));
            }
            Some(secret) => {
                request = request.header("Authorization", basic_auth(&self.config.client_id, secret));
            }
        }
        let body = serde_urlencoded::to_string(&form)
            .map_err(|e| OidcError::Provider(format!("cannot encode the token request: {e}")))?;
        let response = request
            .header("Content-Type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await
            .map_err(|e| OidcError::Provider(format!("cannot reach the token endpoint: {e}")))?;
        let status = response.status();
        let text = response
            .text()
            .await
            .map_err(|e| OidcError::Provider(format!("cannot read the token endpoint's answer: {e}")))?;
        if !status.is_success() {
            let reason = serde_json::from_str::<TokenError>(&text)
                .map(|e| match e.error_description {
                    Some(description) => format!("{} ({})", e.error, description.chars().take(200).collect::<String>()),
                    None => e.error,
                })
                .unwrap_or_else(|_| format!("HTTP {status}"));
            return Err(OidcError::Exchange(reason));
        }
        serde_json::from_str(&text)
            .map_err(|e| OidcError::Provider(format!("the token endpoint's answer is not valid: {e}")))
    }
}

/// Whether to send the client secret in the form: only when the provider names its methods
/// and `client_secret_basic` (the default of RFC 6749) is not among them.
fn prefers_post(methods: &[String]) -> bool {
    !methods.is_empty()
        && !methods.iter().any(|m| m == "client_secret_basic")
        && methods.iter().any(|m| m == "client_secret_post")
}

/// `Authorization: Basic …` of RFC 6749 2.3.1: id and secret form-encoded first.
fn basic_auth(id: &str, secret: &str) -> String {
    let encode = |s: &str| serde_urlencoded::to_string([("", s)]).map(|e| e.trim_start_matches('=').to_owned());
    let (id, secret) = (encode(id).unwrap_or_default(), encode(secret).unwrap_or_default());
    format!("Basic {}", STANDARD.encode(format!("{id}:{secret}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_pkce_challenge_is_the_rfc_7636_example() {
        assert_eq!(
            challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
    }

    #[test]
    fn login_secrets_are_fresh_and_url_safe() {
        let (a, b) = (LoginSecrets::fresh(), LoginSecrets::fresh());
        assert_ne!(a, b);
        assert_eq!(a.verifier.len(), 43, "43 characters: the shortest verifier RFC 7636 allows");
        assert!(a.state.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'));
    }

    #[test]
    fn the_secret_goes_in_basic_auth_unless_the_provider_offers_only_the_form() {
        assert!(!prefers_post(&[]));
        assert!(!prefers_post(&["client_secret_basic".into(), "client_secret_post".into()]));
        assert!(prefers_post(&["client_secret_post".into()]));
        assert_eq!(basic_auth("meldpunt", "s3cr:t"), format!("Basic {}", STANDARD.encode("meldpunt:s3cr%3At")));
    }
}
