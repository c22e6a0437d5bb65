//! The settings that protect the service from abuse and slow clients: trusted proxies,
//! abuse limits, CORS and timeouts, read into the types the HTTP layer uses and checked at
//! start.

use std::time::Duration;

use super::{ConfigError, Settings};
use crate::api::limits::{ClientAddressing, LimitSettings, ProxyHeader};

impl Settings {
    /// The reverse proxies whose forwarded header is believed, and which header they set.
    pub fn client_addressing(&self) -> Result<ClientAddressing, ConfigError> {
        let mut proxies = Vec::new();
        for item in self.trusted_proxies.split(',').map(str::trim).filter(|i| !i.is_empty()) {
            let net = item
                .parse::<ipnet::IpNet>()
                .or_else(|_| item.parse::<std::net::IpAddr>().map(ipnet::IpNet::from))
                .map_err(|_| {
                    ConfigError(format!(
                        "trusted_proxies: '{item}' is not an IP address or CIDR block (such as 10.0.0.5 or 10.0.0.0/24)"
                    ))
                })?;
            proxies.push(net.trunc());
        }
        let header = match self.trusted_proxy_header.trim().to_ascii_lowercase().as_str() {
            "x-forwarded-for" => ProxyHeader::XForwardedFor,
            "forwarded" => ProxyHeader::Forwarded,
            other => {
                return Err(ConfigError(format!(
                    "trusted_proxy_header must be x-forwarded-for or forwarded, not '{other}'"
                )));
            }
        };
        Ok(ClientAddressing { proxies, header })
    }

    /// The abuse limits (0: off).
    pub fn limit_settings(&self) -> LimitSettings {
        LimitSettings {
            reports_per_hour: self.limit_reports_per_hour,
            supports_per_hour: self.limit_supports_per_hour,
            subscriptions_per_hour: self.limit_subscriptions_per_hour,
            access_requests_per_hour: self.limit_access_requests_per_hour,
            answers_per_hour: self.limit_answers_per_hour,
            emails_per_address_per_hour: self.limit_emails_per_address_per_hour,
            login_failures_per_account: self.limit_login_failures_per_account,
            login_failures_per_address: self.limit_login_failures_per_address,
            login_backoff_max: Duration::from_secs(u64::from(self.limit_login_backoff_max_seconds.max(1))),
        }
    }

    /// The origins allowed to call the API from a browser: empty (no CORS), `["*"]` (any
    /// origin), or exact origins such as `https://meldingen.heerlen.nl`.
    pub fn cors_origins(&self) -> Result<Vec<String>, ConfigError> {
        let origins: Vec<String> =
            self.cors_allowed_origins.split(',').map(str::trim).filter(|o| !o.is_empty()).map(str::to_owned).collect();
        if origins.iter().any(|o| o == "*") {
            if origins.len() > 1 {
                return Err(ConfigError(
                    "cors_allowed_origins: '*' (any origin) cannot be combined with origins".into(),
                ));
            }
            return Ok(origins);
        }
        for origin in &origins {
            let parsed = url::Url::parse(origin).ok();
            let exact = parsed.as_ref().is_some_and(|url| {
                matches!(url.scheme(), "http" | "https")
                    && url.host_str().is_some()
                    && url.origin().ascii_serialization() == *origin
            });
            if !exact {
                return Err(ConfigError(format!(
                    "cors_allowed_origins: '{origin}' is not an origin; write scheme://host[:port] without a path or \
                     trailing slash, such as https://meldingen.heerlen.nl"
                )));
            }
        }
        Ok(origins)
    }

    pub(super) fn check_hardening(&self) -> Result<(), ConfigError> {
        self.client_addressing()?;
        self.cors_origins()?;
        if self.limit_login_backoff_max_seconds == 0 || self.limit_login_backoff_max_seconds > 86_400 {
            return Err(ConfigError(format!(
                "limit_login_backoff_max_seconds must be between 1 and 86400, not {}",
                self.limit_login_backoff_max_seconds
            )));
        }
        if self.request_head_timeout_seconds > 3600 || self.request_body_timeout_seconds > 3600 {
            return Err(ConfigError(
                "request_head_timeout_seconds and request_body_timeout_seconds must be at most 3600".into(),
            ));
        }
        Ok(())
    }
}
