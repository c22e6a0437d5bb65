//! The identity provider's access tokens as bearer tokens on the staff API. A JWT is
//! validated against the provider's keys on every request (`crate::oidc`), its email claim
//! is matched to an active staff account with a role — read from the database every time,
//! so deactivating an account or taking its role ends its access at once — and roles and
//! departments come from meldpunt. The request's `token_id` is a UUID v5 of the token's
//! hash: stable per token, so a logout can end that one token for meldpunt
//! ([`end_access_token`]).

use uuid::Uuid;

use super::api_error;
use crate::api::error::ApiError;
use crate::api::state::AppState;
use crate::domain::auth::{StaffIdentity, token_hash};
use crate::oidc::{Provider, tokens};
use crate::storage::sso::{self, SsoAccount};

/// The namespace of the token ids of the provider's access tokens.
const TOKEN_ID_NAMESPACE: Uuid = Uuid::from_u128(0x6d65_6c64_7075_6e74_2d6a_7774_2d69_6473);

/// Whether a bearer token is a JWT (three base64url parts) rather than a meldpunt token.
pub fn looks_like_jwt(token: &str) -> bool {
    let parts: Vec<&str> = token.split('.').collect();
    !token.starts_with("mpt_")
        && parts.len() == 3
        && parts.iter().take(2).all(|p| !p.is_empty())
        && token.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'='))
}

/// The `token_id` of a provider's access token: a UUID v5 of its SHA-256.
pub fn token_id(token: &str) -> Uuid {
    Uuid::new_v5(&TOKEN_ID_NAMESPACE, token_hash(token).as_bytes())
}

/// The staff member an access token of the provider stands for, or why not (401; 403 for
/// an account without a role).
pub async fn staff_from_jwt(state: &AppState, provider: &Provider, token: &str) -> Result<StaffIdentity, ApiError> {
    let claims = provider.validate_access_token(token).await.map_err(api_error)?;
    let claim = provider.config().email_claim.clone();
    let email = tokens::email(&claims, &claim).map_err(|rejection| {
        ApiError::Unauthorized(format!(
            "{rejection}; meldpunt matches the '{claim}' claim (oidc.email_claim) to a staff account's email"
        ))
    })?;
    let name = tokens::display_name(&claims).unwrap_or_else(|| email.clone());
    let id = token_id(token);
    let create = state.sso.create_accounts;
    let found = state
        .db
        .run(move |conn| -> Result<SsoAccount, ApiError> {
            if sso::external_token_ended(conn, id)? {
                return Err(ApiError::Unauthorized(
                    "this access token was logged out; get a new one from the identity provider".into(),
                ));
            }
            let found = sso::account_by_email(conn, &email, id)?;
            if found == SsoAccount::Unknown && create {
                let account = conn.write_transaction(|c| sso::create_without_role(c, &email, &name))?;
                tracing::info!(account_id = %account, "made an account without a role for a single sign-on user");
                return Ok(sso::account_by_email(conn, &email, id)?);
            }
            Ok(found)
        })
        .await?;
    identity(found, &claim)
}

/// The identity of what the email stands for, or the refusal that says why.
pub fn identity(found: SsoAccount, claim: &str) -> Result<StaffIdentity, ApiError> {
    match found {
        SsoAccount::Staff(identity) => Ok(identity),
        SsoAccount::Unknown => Err(ApiError::Unauthorized(format!(
            "no staff account has the email address of the token's '{claim}' claim; ask an admin to create one \
             with that address"
        ))),
        SsoAccount::Deactivated => Err(ApiError::Unauthorized(
            "the staff account with the token's email address is deactivated; ask an admin".into(),
        )),
        SsoAccount::NoRole(_) => Err(ApiError::Forbidden(
            "your account has no role yet, so it may do nothing; ask an admin to give it one".into(),
        )),
    }
}

/// Ends a provider's access token for meldpunt (logout): validated once more for its expiry,
/// then kept as a revoked token until then.
pub async fn end_access_token(
    state: &AppState,
    provider: &Provider,
    token: &str,
    who: &StaffIdentity,
) -> Result<(), ApiError> {
    let claims = provider.validate_access_token(token).await.map_err(api_error)?;
    let expires_at = tokens::expiry(&claims);
    let (id, account, hash) = (token_id(token), who.account_id, token_hash(token));
    state
        .db
        .run(move |conn| conn.write_transaction(|c| sso::end_external_token(c, id, account, &hash, expires_at)))
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jwts_are_told_from_meldpunt_tokens() {
        assert!(looks_like_jwt("eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl"));
        assert!(!looks_like_jwt("mpt_0123abcd"));
        assert!(!looks_like_jwt("test-admin-token-0123456789"));
        assert!(!looks_like_jwt("a.b"));
        assert!(!looks_like_jwt("a b.c.d"));
    }

    #[test]
    fn a_token_id_is_stable_per_token_and_differs_between_tokens() {
        assert_eq!(token_id("a.b.c"), token_id("a.b.c"));
        assert_ne!(token_id("a.b.c"), token_id("a.b.d"));
        assert_eq!(token_id("a.b.c").get_version_num(), 5);
    }
}
