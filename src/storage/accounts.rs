//! Staff accounts, their departments and bearer tokens. Tokens are stored only as their
//! SHA-256 hash.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use uuid::Uuid;

use super::connection::{DbTime, DbUuid};
use super::schema::{account_departments, accounts, auth_tokens};
use super::{DbConnection, StorageError};
use crate::domain::auth::{Account, Role, StaffIdentity, TokenKind};

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = accounts)]
struct AccountRow {
    id: DbUuid,
    email: String,
    name: String,
    role: Option<String>,
    password_hash: Option<String>,
    active: bool,
    created_at: DbTime,
    updated_at: DbTime,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = auth_tokens)]
struct TokenRow {
    id: DbUuid,
    account_id: DbUuid,
    token_hash: String,
    kind: String,
    label: Option<String>,
    created_at: DbTime,
    expires_at: Option<DbTime>,
    revoked_at: Option<DbTime>,
}

/// A new account.
#[derive(Debug, Clone)]
pub struct NewAccount {
    /// Login email (lowercase).
    pub email: String,
    /// Display name.
    pub name: String,
    /// `None`: no access yet (an account made by a single sign-on login).
    pub role: Option<Role>,
    /// argon2id PHC string, if it may log in with a password.
    pub password_hash: Option<String>,
    pub departments: Vec<Uuid>,
}

/// Changes to an account; `None` leaves a field alone.
#[derive(Debug, Clone, Default)]
pub struct AccountChanges {
    /// New name.
    pub name: Option<String>,
    /// New role.
    pub role: Option<Role>,
    /// New password hash.
    pub password_hash: Option<String>,
    /// Active or deactivated (deactivating revokes every token).
    pub active: Option<bool>,
    /// The new full set of departments.
    pub departments: Option<Vec<Uuid>>,
}

/// What a login needs to know about an email address.
#[derive(Debug, Clone)]
pub struct Credentials {
    /// The account.
    pub account_id: Uuid,
    /// Its password hash, if any.
    pub password_hash: Option<String>,
    /// Whether it may log in.
    pub active: bool,
}

/// An issued token's metadata (never the token itself).
#[derive(Debug, Clone)]
pub struct TokenInfo {
    pub id: Uuid,
    /// The account it acts for.
    pub account_id: Uuid,
    /// What it is for.
    pub label: Option<String>,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Expiry.
    pub expires_at: Option<DateTime<Utc>>,
    /// Revocation.
    pub revoked_at: Option<DateTime<Utc>>,
    /// When it was last used, to within [`LAST_USED_EVERY`].
    pub last_used_at: Option<DateTime<Utc>>,
}

fn account(row: AccountRow, departments: Vec<Uuid>) -> Result<Account, StorageError> {
    let role = match &row.role {
        None => None,
        Some(name) => Some(
            Role::parse(name)
                .ok_or_else(|| StorageError::Corrupt(format!("account {} has role '{name}'", row.id.0)))?,
        ),
    };
    Ok(Account {
        id: row.id.0,
        email: row.email,
        name: row.name,
        role,
        active: row.active,
        departments,
        created_at: row.created_at.0,
    })
}

fn departments_of(conn: &mut DbConnection, id: Uuid) -> Result<Vec<Uuid>, StorageError> {
    Ok(account_departments::table
        .filter(account_departments::account_id.eq(DbUuid(id)))
        .select(account_departments::department_id)
        .order(account_departments::department_id)
        .load::<DbUuid>(conn)?
        .into_iter()
        .map(|d| d.0)
        .collect())
}

fn set_departments(conn: &mut DbConnection, id: Uuid, departments: &[Uuid]) -> Result<(), StorageError> {
    diesel::delete(account_departments::table.filter(account_departments::account_id.eq(DbUuid(id)))).execute(conn)?;
    for department in departments {
        diesel::insert_into(account_departments::table)
            .values((
                account_departments::account_id.eq(DbUuid(id)),
                account_departments::department_id.eq(DbUuid(*department)),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// Whether an account with this email exists.
pub fn email_taken(conn: &mut DbConnection, email: &str) -> Result<bool, StorageError> {
    Ok(accounts::table.filter(accounts::email.eq(email)).count().get_result::<i64>(conn)? > 0)
}

/// Creates an account (inside the caller's write transaction). `None` when the email is
/// taken.
pub fn create(conn: &mut DbConnection, new: &NewAccount) -> Result<Option<Account>, StorageError> {
    if email_taken(conn, &new.email)? {
        return Ok(None);
    }
    let now = DbTime::new(Utc::now());
    let row = AccountRow {
        id: DbUuid(Uuid::now_v7()),
        email: new.email.clone(),
        name: new.name.clone(),
        role: new.role.map(|role| role.as_str().into()),
        password_hash: new.password_hash.clone(),
        active: true,
        created_at: now,
        updated_at: now,
    };
    diesel::insert_into(accounts::table).values(&row).execute(conn)?;
    let mut departments = new.departments.clone();
    departments.sort();
    departments.dedup();
    set_departments(conn, row.id.0, &departments)?;
    let id = row.id.0;
    Ok(Some(account(row, departments_of(conn, id)?)?))
}

/// Every account, oldest first.
pub fn list(conn: &mut DbConnection) -> Result<Vec<Account>, StorageError> {
    let rows = accounts::table.order(accounts::created_at).select(AccountRow::as_select()).load(conn)?;
    let links: Vec<(DbUuid, DbUuid)> = account_departments::table
        .select((account_departments::account_id, account_departments::department_id))
        .order((account_departments::account_id, account_departments::department_id))
        .load(conn)?;
    rows.into_iter()
        .map(|row| {
            let departments = links.iter().filter(|(a, _)| *a == row.id).map(|(_, d)| d.0).collect();
            account(row, departments)
        })
        .collect()
}

/// The account with this id.
pub fn get(conn: &mut DbConnection, id: Uuid) -> Result<Option<Account>, StorageError> {
    let Some(row) = accounts::table.find(DbUuid(id)).select(AccountRow::as_select()).first(conn).optional()? else {
        return Ok(None);
    };
    let departments = departments_of(conn, id)?;
    Ok(Some(account(row, departments)?))
}

/// Applies `changes` (inside the caller's write transaction). Deactivating revokes every
/// token of the account. `None` when there is no such account.
pub fn update(conn: &mut DbConnection, id: Uuid, changes: &AccountChanges) -> Result<Option<Account>, StorageError> {
    if get(conn, id)?.is_none() {
        return Ok(None);
    }
    let now = DbTime::new(Utc::now());
    let target = accounts::table.find(DbUuid(id));
    diesel::update(target).set(accounts::updated_at.eq(now)).execute(conn)?;
    if let Some(name) = &changes.name {
        diesel::update(target).set(accounts::name.eq(name)).execute(conn)?;
    }
    if let Some(role) = changes.role {
        diesel::update(target).set(accounts::role.eq(role.as_str())).execute(conn)?;
    }
    if let Some(hash) = &changes.password_hash {
        diesel::update(target).set(accounts::password_hash.eq(hash)).execute(conn)?;
    }
    if let Some(active) = changes.active {
        diesel::update(target).set(accounts::active.eq(active)).execute(conn)?;
        if !active {
            revoke_all(conn, id)?;
        }
    }
    if let Some(departments) = &changes.departments {
        let mut departments = departments.clone();
        departments.sort();
        departments.dedup();
        set_departments(conn, id, &departments)?;
    }
    get(conn, id)
}

/// What a login needs for `email`.
pub fn credentials(conn: &mut DbConnection, email: &str) -> Result<Option<Credentials>, StorageError> {
    Ok(accounts::table
        .filter(accounts::email.eq(email))
        .select((accounts::id, accounts::password_hash, accounts::active))
        .first::<(DbUuid, Option<String>, bool)>(conn)
        .optional()?
        .map(|(id, password_hash, active)| Credentials { account_id: id.0, password_hash, active }))
}

/// Whether any active admin exists.
pub fn has_active_admin(conn: &mut DbConnection) -> Result<bool, StorageError> {
    Ok(accounts::table
        .filter(accounts::role.eq(Role::Admin.as_str()))
        .filter(accounts::active.eq(true))
        .count()
        .get_result::<i64>(conn)?
        > 0)
}

/// `None` when an active admin exists; else how many accounts there are (which the
/// first-run setup code depends on, see `domain::auth::setup_code`).
pub fn without_admin(conn: &mut DbConnection) -> Result<Option<i64>, StorageError> {
    if has_active_admin(conn)? {
        return Ok(None);
    }
    Ok(Some(accounts::table.count().get_result::<i64>(conn)?))
}

/// Stores a token (by its hash) for `account_id`; returns its id.
pub fn issue_token(
    conn: &mut DbConnection,
    account_id: Uuid,
    hash: &str,
    kind: TokenKind,
    label: Option<&str>,
    expires_at: Option<DateTime<Utc>>,
) -> Result<Uuid, StorageError> {
    let id = Uuid::now_v7();
    diesel::insert_into(auth_tokens::table)
        .values(TokenRow {
            id: DbUuid(id),
            account_id: DbUuid(account_id),
            token_hash: hash.to_owned(),
            kind: kind.as_str().into(),
            label: label.map(str::to_owned),
            created_at: DbTime::new(Utc::now()),
            expires_at: expires_at.map(DbTime::new),
            revoked_at: None,
        })
        .execute(conn)?;
    Ok(id)
}

/// The identity a token hash stands for at `now`: the token is neither revoked nor expired
/// and its account is active.
pub fn identity(
    conn: &mut DbConnection,
    hash: &str,
    now: DateTime<Utc>,
) -> Result<Option<StaffIdentity>, StorageError> {
    let now = DbTime::new(now);
    let found = auth_tokens::table
        .inner_join(accounts::table)
        .filter(auth_tokens::token_hash.eq(hash))
        .filter(auth_tokens::revoked_at.is_null())
        .filter(auth_tokens::expires_at.is_null().or(auth_tokens::expires_at.gt(now)))
        .filter(accounts::active.eq(true))
        .select((auth_tokens::id, accounts::id, accounts::role, auth_tokens::last_used_at))
        .first::<(DbUuid, DbUuid, Option<String>, Option<DbTime>)>(conn)
        .optional()?;
    // An account without a role (made by a single sign-on login) has no access yet.
    let Some((token_id, account_id, Some(role), last_used)) = found else {
        return Ok(None);
    };
    let due = now.0 - LAST_USED_EVERY;
    if last_used.is_none_or(|at| at.0 <= due) {
        // A failed note of use must not refuse the request it belongs to.
        if let Err(error) = mark_used(conn, token_id.0, now, DbTime::new(due)) {
            tracing::warn!(token_id = %token_id.0, %error, "cannot note when a token was used");
        }
    }
    let role = Role::parse(&role)
        .ok_or_else(|| StorageError::Corrupt(format!("account {} has role '{role}'", account_id.0)))?;
    let departments = departments_of(conn, account_id.0)?;
    Ok(Some(StaffIdentity { account_id: account_id.0, role, departments, token_id: token_id.0 }))
}

/// How often a token's `last_used_at` is written: once per this long at most, so that
/// reading with a token stays a read.
pub const LAST_USED_EVERY: chrono::Duration = chrono::Duration::minutes(15);

/// Notes that token `token_id` was used at `now`, unless another request did since `due`.
fn mark_used(conn: &mut DbConnection, token_id: Uuid, now: DbTime, due: DbTime) -> Result<(), StorageError> {
    conn.write_transaction(|c| {
        diesel::update(
            auth_tokens::table
                .find(DbUuid(token_id))
                .filter(auth_tokens::last_used_at.is_null().or(auth_tokens::last_used_at.le(due))),
        )
        .set(auth_tokens::last_used_at.eq(now))
        .execute(c)
    })?;
    Ok(())
}

/// Revokes one token. Returns whether it existed and was not yet revoked.
pub fn revoke_token(conn: &mut DbConnection, token_id: Uuid) -> Result<bool, StorageError> {
    let changed = diesel::update(auth_tokens::table.find(DbUuid(token_id)).filter(auth_tokens::revoked_at.is_null()))
        .set(auth_tokens::revoked_at.eq(DbTime::new(Utc::now())))
        .execute(conn)?;
    Ok(changed > 0)
}

/// The label of token `token_id` (`None`: none, or no such token).
pub fn token_label(conn: &mut DbConnection, token_id: Uuid) -> Result<Option<String>, StorageError> {
    Ok(auth_tokens::table
        .find(DbUuid(token_id))
        .select(auth_tokens::label)
        .first::<Option<String>>(conn)
        .optional()?
        .flatten())
}

/// Revokes the unrevoked session tokens of `account_id` labelled `label` (the tokens the
/// console handed to the analyst page, at logout). Returns how many.
pub fn revoke_labelled_sessions(conn: &mut DbConnection, account_id: Uuid, label: &str) -> Result<usize, StorageError> {
    Ok(diesel::update(
        auth_tokens::table
            .filter(auth_tokens::account_id.eq(DbUuid(account_id)))
            .filter(auth_tokens::kind.eq(TokenKind::Session.as_str()))
            .filter(auth_tokens::label.eq(label))
            .filter(auth_tokens::revoked_at.is_null()),
    )
    .set(auth_tokens::revoked_at.eq(DbTime::new(Utc::now())))
    .execute(conn)?)
}

/// Revokes every token of an account.
pub fn revoke_all(conn: &mut DbConnection, account_id: Uuid) -> Result<usize, StorageError> {
    Ok(diesel::update(
        auth_tokens::table
            .filter(auth_tokens::account_id.eq(DbUuid(account_id)))
            .filter(auth_tokens::revoked_at.is_null()),
    )
    .set(auth_tokens::revoked_at.eq(DbTime::new(Utc::now())))
    .execute(conn)?)
}

type TokenInfoRow = (DbUuid, DbUuid, Option<String>, DbTime, Option<DbTime>, Option<DbTime>, Option<DbTime>);

/// The API tokens (not sessions) of every account, newest first.
pub fn api_tokens(conn: &mut DbConnection) -> Result<Vec<TokenInfo>, StorageError> {
    let rows = auth_tokens::table
        .filter(auth_tokens::kind.eq(TokenKind::Api.as_str()))
        .order(auth_tokens::created_at.desc())
        .select((
            auth_tokens::id,
            auth_tokens::account_id,
            auth_tokens::label,
            auth_tokens::created_at,
            auth_tokens::expires_at,
            auth_tokens::revoked_at,
            auth_tokens::last_used_at,
        ))
        .load::<TokenInfoRow>(conn)?;
    Ok(rows
        .into_iter()
        .map(|(id, account_id, label, created_at, expires_at, revoked_at, last_used_at)| TokenInfo {
            id: id.0,
            account_id: account_id.0,
            label,
            created_at: created_at.0,
            expires_at: expires_at.map(|t| t.0),
            revoked_at: revoked_at.map(|t| t.0),
            last_used_at: last_used_at.map(|t| t.0),
        })
        .collect())
}
