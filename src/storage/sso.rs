//! What single sign-on stores and reads: the account of a token's email address (active,
//! with a role), accounts made by a login (without a role), the provider's access tokens
//! that a logout ended, and the audit entry of a console login.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use uuid::Uuid;

use super::connection::{DbTime, DbUuid};
use super::schema::{accounts, audit_log, auth_tokens};
use super::{DbConnection, StorageError};
use crate::domain::auth::{Role, StaffIdentity, TokenKind};
use crate::domain::privacy::audit::AuditAction;

/// What an email address from the identity provider stands for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SsoAccount {
    /// No account has this email.
    Unknown,
    /// The account is deactivated.
    Deactivated,
    /// The account has no role yet (made by a login; an admin must give it one).
    NoRole(Uuid),
    /// An active account with a role, as a request sees it (with the given token id).
    Staff(StaffIdentity),
}

/// The account with `email` (lowercase), as a request with token id `token_id` sees it.
pub fn account_by_email(conn: &mut DbConnection, email: &str, token_id: Uuid) -> Result<SsoAccount, StorageError> {
    let found = accounts::table
        .filter(accounts::email.eq(email))
        .select((accounts::id, accounts::role, accounts::active))
        .first::<(DbUuid, Option<String>, bool)>(conn)
        .optional()?;
    let Some((id, role, active)) = found else { return Ok(SsoAccount::Unknown) };
    if !active {
        return Ok(SsoAccount::Deactivated);
    }
    let Some(role) = role else { return Ok(SsoAccount::NoRole(id.0)) };
    let role =
        Role::parse(&role).ok_or_else(|| StorageError::Corrupt(format!("account {} has role '{role}'", id.0)))?;
    let departments = super::accounts::get(conn, id.0)?.map(|a| a.departments).unwrap_or_default();
    Ok(SsoAccount::Staff(StaffIdentity { account_id: id.0, role, departments, token_id }))
}

/// Makes an account without a role for `email` (inside the caller's write transaction);
/// when another login made it meanwhile, answers that one. Answers its id.
pub fn create_without_role(conn: &mut DbConnection, email: &str, name: &str) -> Result<Uuid, StorageError> {
    let new = super::accounts::NewAccount {
        email: email.to_owned(),
        name: name.to_owned(),
        role: None,
        password_hash: None,
        departments: Vec::new(),
    };
    if let Some(account) = super::accounts::create(conn, &new)? {
        return Ok(account.id);
    }
    let id = accounts::table.filter(accounts::email.eq(email)).select(accounts::id).first::<DbUuid>(conn)?;
    Ok(id.0)
}

/// Whether a logout ended the provider's access token with id `token_id`.
pub fn external_token_ended(conn: &mut DbConnection, token_id: Uuid) -> Result<bool, StorageError> {
    Ok(auth_tokens::table
        .find(DbUuid(token_id))
        .filter(auth_tokens::revoked_at.is_not_null())
        .count()
        .get_result::<i64>(conn)?
        > 0)
}

/// Ends the provider's access token with id `token_id` (and hash `hash`) for meldpunt: it is
/// kept as a revoked token of `account_id` until `expires_at`, when the retention sweep
/// removes expired tokens. Answers whether it was not ended before.
pub fn end_external_token(
    conn: &mut DbConnection,
    token_id: Uuid,
    account_id: Uuid,
    hash: &str,
    expires_at: Option<DateTime<Utc>>,
) -> Result<bool, StorageError> {
    let known = auth_tokens::table.find(DbUuid(token_id)).count().get_result::<i64>(conn)? > 0;
    if known {
        return Ok(false);
    }
    let now = DbTime::new(Utc::now());
    diesel::insert_into(auth_tokens::table)
        .values((
            auth_tokens::id.eq(DbUuid(token_id)),
            auth_tokens::account_id.eq(DbUuid(account_id)),
            auth_tokens::token_hash.eq(hash),
            auth_tokens::kind.eq(TokenKind::Session.as_str()),
            auth_tokens::label.eq(Some("identity provider access token, logged out")),
            auth_tokens::created_at.eq(now),
            auth_tokens::expires_at.eq(Some(DbTime::new(expires_at.unwrap_or_else(Utc::now)))),
            auth_tokens::revoked_at.eq(Some(now)),
        ))
        .execute(conn)?;
    Ok(true)
}

/// Records a console login with single sign-on in the audit log (no report).
pub fn record_sign_in(conn: &mut DbConnection, account_id: Uuid) -> Result<(), StorageError> {
    diesel::insert_into(audit_log::table)
        .values((
            audit_log::at.eq(DbTime::new(Utc::now())),
            audit_log::account_id.eq(DbUuid(account_id)),
            audit_log::action.eq(AuditAction::SignedInWithSso.as_str()),
            audit_log::report_id.eq(None::<DbUuid>),
        ))
        .execute(conn)?;
    Ok(())
}
