//! The `[oidc]` settings (single sign-on with OpenID Connect), read into
//! [`crate::oidc::OidcConfig`] and checked at start: off while `issuer` is empty.

use serde::{Deserialize, Serialize};

use super::{ConfigError, Settings};

/// Single sign-on settings: the `[oidc]` table of the settings file, or `MELDPUNT_OIDC_<NAME>`
/// in the environment. Every one is optional; single sign-on is off while `issuer` is empty.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct OidcSettings {
    /// The provider's issuer URL; its discovery document is
    /// `{issuer}/.well-known/openid-configuration`. Empty: single sign-on is off.
    pub issuer: String,
    /// The client id meldpunt is registered with at the provider.
    pub client_id: String,
    /// The client secret; empty: a public client (PKCE only).
    pub client_secret: String,
    /// The audience access tokens must name in `aud`; empty: the client id.
    pub audience: String,
    /// The claim that holds the staff member's email address.
    pub email_claim: String,
    /// The scopes asked for at login, space-separated (must include `openid`).
    pub scopes: String,
    /// Whether a login with an email no account has creates an account without a role
    /// (which may do nothing until an admin gives it one); `false` refuses the login.
    pub create_accounts: bool,
    /// Seconds the provider's signing keys are used before they are fetched again (1-86400).
    /// A token with an unknown key id fetches them earlier, but at most once per this
    /// many seconds (and at most once per 10 seconds).
    pub jwks_refresh_seconds: u64,
    /// Whether `POST /api/v1/auth/login` with a password works; `false` needs an `issuer`.
    pub password_login: bool,
}

impl Default for OidcSettings {
    fn default() -> Self {
        OidcSettings {
            issuer: String::new(),
            client_id: String::new(),
            client_secret: String::new(),
            audience: String::new(),
            email_claim: "email".into(),
            scopes: "openid email profile".into(),
            create_accounts: false,
            jwks_refresh_seconds: 300,
            password_login: true,
        }
    }
}

/// Merges the `[oidc]` table of a settings file into `merged`, refusing unknown keys.
pub(super) fn merge_table(
    merged: &mut toml::Table,
    value: toml::Value,
    path: &std::path::Path,
) -> Result<(), ConfigError> {
    let toml::Value::Table(given) = value else {
        return Err(ConfigError(format!("{}: oidc must be a table ([oidc])", path.display())));
    };
    let Some(toml::Value::Table(oidc)) = merged.get_mut("oidc") else {
        return Err(ConfigError("the oidc defaults are missing".into()));
    };
    for (key, value) in given {
        if !oidc.contains_key(&key) {
            return Err(ConfigError(format!(
                "{} has an unknown setting 'oidc.{key}'; known: {}",
                path.display(),
                oidc.keys().cloned().collect::<Vec<_>>().join(", ")
            )));
        }
        oidc.insert(key, value);
    }
    Ok(())
}

impl Settings {
    /// The single sign-on configuration, `None` when `oidc.issuer` is empty.
    pub fn oidc_config(&self) -> Result<Option<crate::oidc::OidcConfig>, ConfigError> {
        let oidc = &self.oidc;
        let issuer = oidc.issuer.trim();
        if issuer.is_empty() {
            return Ok(None);
        }
        let url = url::Url::parse(issuer).map_err(|e| {
            ConfigError(format!("oidc.issuer must be a URL such as https://login.example.org/realms/x: {e}"))
        })?;
        let loopback = matches!(url.host_str(), Some("127.0.0.1" | "localhost" | "[::1]"));
        if url.scheme() != "https" && !(url.scheme() == "http" && loopback) {
            return Err(ConfigError(format!(
                "oidc.issuer must be an https URL (plain http only on 127.0.0.1 or localhost), not '{issuer}'"
            )));
        }
        if url.query().is_some() || url.fragment().is_some() {
            return Err(ConfigError("oidc.issuer must not have a query or fragment".into()));
        }
        let client_id = oidc.client_id.trim();
        if client_id.is_empty() {
            return Err(ConfigError(
                "oidc.client_id must be set with oidc.issuer: the client id meldpunt is registered with at the provider"
                    .into(),
            ));
        }
        let scopes: Vec<String> = oidc.scopes.split_whitespace().map(str::to_owned).collect();
        if !scopes.iter().any(|s| s == "openid") {
            return Err(ConfigError(format!(
                "oidc.scopes must include openid (e.g. \"openid email profile\"), not '{}'",
                oidc.scopes
            )));
        }
        let email_claim = oidc.email_claim.trim();
        if email_claim.is_empty() {
            return Err(ConfigError(
                "oidc.email_claim must name the claim with the email address (e.g. email or preferred_username)".into(),
            ));
        }
        if !(1..=86_400).contains(&oidc.jwks_refresh_seconds) {
            return Err(ConfigError(format!(
                "oidc.jwks_refresh_seconds must be between 1 and 86400, not {}",
                oidc.jwks_refresh_seconds
            )));
        }
        let audience = Some(oidc.audience.trim()).filter(|a| !a.is_empty()).unwrap_or(client_id);
        Ok(Some(crate::oidc::OidcConfig {
            issuer: issuer.trim_end_matches('/').to_owned(),
            client_id: client_id.to_owned(),
            client_secret: Some(oidc.client_secret.trim().to_owned()).filter(|s| !s.is_empty()),
            audience: audience.to_owned(),
            email_claim: email_claim.to_owned(),
            scopes,
            jwks_refresh: std::time::Duration::from_secs(oidc.jwks_refresh_seconds),
        }))
    }

    /// Checks the `[oidc]` settings (see [`Settings::oidc_config`]) and that someone can log in.
    pub(super) fn check_oidc(&self) -> Result<(), ConfigError> {
        let configured = self.oidc_config()?.is_some();
        if !self.oidc.password_login && !configured {
            return Err(ConfigError(
                "oidc.password_login = false needs single sign-on: set oidc.issuer and oidc.client_id, or nobody can log in"
                    .into(),
            ));
        }
        if configured && url::Url::parse(&self.public_url).is_err() {
            return Err(ConfigError(format!(
                "public_url must be the service's public base URL with single sign-on (the redirect URI is \
                 {{public_url}}/console/login/oidc/callback), not '{}'",
                self.public_url
            )));
        }
        Ok(())
    }
}
