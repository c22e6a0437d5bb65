//! Single sign-on over HTTP: the staff API accepts the identity provider's access tokens
//! (JWTs) as bearer tokens ([`bearer`]), and the console logs staff in with the
//! authorization code flow with PKCE ([`login`]: `GET /console/login/oidc` and its
//! callback), which ends in a console session: an ordinary, revocable session token in the
//! cookie `meldpunt_session` ([`cookies`]). The OpenID Connect work itself is
//! `crate::oidc`; matching the email to an account is `crate::storage::sso`.

use std::sync::Arc;

use utoipa_actix_web::service_config::ServiceConfig;

use crate::domain::subscription::LinkSigner;
use crate::oidc::{OidcError, Provider};

pub mod bearer;
pub mod cookies;
pub mod login;
mod page;

/// The single sign-on part of the application state.
#[derive(Debug)]
pub struct Sso {
    /// The identity provider; `None`: single sign-on is off.
    pub provider: Option<Arc<Provider>>,
    /// Whether password login (`POST /api/v1/auth/login`) works.
    pub password_login: bool,
    /// Whether a login with an unknown email makes an account without a role.
    pub create_accounts: bool,
    /// Signs the short-lived login cookie (its own secret, not the subscribers' links').
    pub cookies: LinkSigner,
    /// `{public_url}/console/login/oidc/callback`, registered at the provider.
    pub redirect_uri: String,
    /// `{public_url}/console/login`, where the provider sends the browser back after a
    /// logout there (registered at the provider as its post-logout redirect URI).
    pub post_logout_redirect_uri: String,
}

impl Sso {
    /// Single sign-on settings with OIDC off (password login only).
    pub fn off(cookies: LinkSigner) -> Self {
        Sso {
            provider: None,
            password_login: true,
            create_accounts: false,
            cookies,
            redirect_uri: String::new(),
            post_logout_redirect_uri: String::new(),
        }
    }
}

/// The API error of an OIDC failure: the provider unusable is a 503, a refused token a 401
/// that says why.
pub fn api_error(error: OidcError) -> crate::api::error::ApiError {
    use crate::api::error::ApiError;
    match error {
        OidcError::Provider(why) => ApiError::IdentityProviderUnavailable(why),
        OidcError::Exchange(why) => ApiError::Unauthorized(format!("the identity provider refused: {why}")),
        OidcError::Rejected(rejection) => ApiError::Unauthorized(rejection.to_string()),
    }
}

/// Registers the console's single sign-on endpoints.
pub fn routes(config: &mut ServiceConfig) {
    config.service(login::start_sso_login).service(login::sso_login_callback);
}
