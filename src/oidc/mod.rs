//! OpenID Connect client: the provider's discovery document and signing keys (cached,
//! [`keys`]), validation of access tokens and ID tokens ([`tokens`]: signature, `iss`, `aud`,
//! `exp`/`nbf`, `nonce`), and the authorization code flow with PKCE ([`flow`]). JWTs are
//! checked with the `jsonwebtoken` crate (aws-lc-rs); HTTP goes through `reqwest`.
//!
//! It knows no actix and no SQL: `crate::api::sso` turns what it answers into HTTP and
//! matches the email claim to a staff account through storage.

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::Deserialize;

pub mod flow;
pub mod keys;
pub mod tokens;

pub use tokens::{Claims, Rejection};

/// How long the discovery document is used before it is fetched again.
const DISCOVERY_MAX_AGE: Duration = Duration::from_secs(3600);
/// How long one request to the provider may take.
const HTTP_TIMEOUT: Duration = Duration::from_secs(10);

/// The checked `[oidc]` settings (see `crate::config`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OidcConfig {
    /// The issuer URL, without a trailing slash.
    pub issuer: String,
    /// meldpunt's client id at the provider.
    pub client_id: String,
    /// The client secret (`None`: a public client).
    pub client_secret: Option<String>,
    /// The `aud` access tokens must have.
    pub audience: String,
    /// The claim with the email address.
    pub email_claim: String,
    /// Scopes asked for at login.
    pub scopes: Vec<String>,
    /// How long fetched signing keys are used (and the shortest time between two fetches
    /// caused by unknown key ids, at most 10 s).
    pub jwks_refresh: Duration,
}

/// What can go wrong talking to the provider or with a token.
#[derive(Debug, thiserror::Error)]
pub enum OidcError {
    /// The provider cannot be reached or answers nonsense (discovery, keys, token endpoint).
    #[error("the identity provider is not usable right now: {0}")]
    Provider(String),
    /// The token endpoint refused the authorization code.
    #[error("the identity provider refused the login: {0}")]
    Exchange(String),
    /// The token is not acceptable.
    #[error("{0}")]
    Rejected(#[from] Rejection),
}

/// The parts of the provider's discovery document meldpunt uses.
#[derive(Debug, Clone, Deserialize)]
pub struct Discovery {
    /// The issuer as the provider names it (the exact `iss` of its tokens).
    pub issuer: String,
    /// Where browsers are sent to log in.
    pub authorization_endpoint: String,
    /// Where the code is exchanged for tokens.
    pub token_endpoint: String,
    /// The signing keys.
    pub jwks_uri: String,
    /// How clients may authenticate at the token endpoint.
    #[serde(default)]
    pub token_endpoint_auth_methods_supported: Vec<String>,
    /// Whether the provider names itself in every authorization response (`iss`, RFC 9207).
    #[serde(default)]
    pub authorization_response_iss_parameter_supported: bool,
    /// Where a browser is sent to log out at the provider too (OpenID Connect RP-Initiated
    /// Logout 1.0); `None`: the provider offers none.
    #[serde(default)]
    pub end_session_endpoint: Option<String>,
}

struct Cached {
    discovery: Arc<Discovery>,
    fetched: Instant,
}

/// A provider: its configuration, the cached discovery document and keys, and an HTTP client.
pub struct Provider {
    config: OidcConfig,
    http: reqwest::Client,
    discovery: std::sync::Mutex<Option<Cached>>,
    keys: keys::KeyCache,
}

impl std::fmt::Debug for Provider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Provider").field("issuer", &self.config.issuer).finish_non_exhaustive()
    }
}

impl Provider {
    /// A provider for `config`; nothing is fetched until it is needed.
    pub fn new(config: OidcConfig) -> Result<Self, OidcError> {
        // No idle connections: the provider is asked rarely, and each HTTP worker has its own
        // runtime, which a pooled connection must not outlive.
        let http = reqwest::Client::builder()
            .timeout(HTTP_TIMEOUT)
            .pool_max_idle_per_host(0)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| OidcError::Provider(format!("cannot build an HTTP client: {e}")))?;
        let keys = keys::KeyCache::new(config.jwks_refresh);
        Ok(Provider { config, http, discovery: std::sync::Mutex::new(None), keys })
    }

    /// The configuration.
    pub fn config(&self) -> &OidcConfig {
        &self.config
    }

    /// The discovery document, from the cache or fetched.
    pub async fn discovery(&self) -> Result<Arc<Discovery>, OidcError> {
        if let Ok(cached) = self.discovery.lock()
            && let Some(cached) = cached.as_ref()
            && cached.fetched.elapsed() < DISCOVERY_MAX_AGE
        {
            return Ok(cached.discovery.clone());
        }
        let url = format!("{}/.well-known/openid-configuration", self.config.issuer);
        let discovery: Discovery = self.get_json(&url, "the discovery document").await?;
        if discovery.issuer.trim_end_matches('/') != self.config.issuer {
            return Err(OidcError::Provider(format!(
                "the discovery document names issuer '{}', not the configured '{}' (check oidc.issuer)",
                discovery.issuer, self.config.issuer
            )));
        }
        let discovery = Arc::new(discovery);
        if let Ok(mut cached) = self.discovery.lock() {
            *cached = Some(Cached { discovery: discovery.clone(), fetched: Instant::now() });
        }
        Ok(discovery)
    }

    /// GETs a JSON document from the provider.
    async fn get_json<T: serde::de::DeserializeOwned>(&self, url: &str, what: &str) -> Result<T, OidcError> {
        let response = self
            .http
            .get(url)
            .header("Accept", "application/json")
            .send()
            .await
            .map_err(|e| OidcError::Provider(format!("cannot fetch {what} from {url}: {e}")))?;
        if !response.status().is_success() {
            return Err(OidcError::Provider(format!("{what} at {url} answered {}", response.status())));
        }
        response.json().await.map_err(|e| OidcError::Provider(format!("{what} at {url} is not valid: {e}")))
    }
}
