//! The first admin of a fresh installation, from `MELDPUNT_BOOTSTRAP_ADMIN_EMAIL` and
//! `MELDPUNT_BOOTSTRAP_ADMIN_PASSWORD`.

use super::accounts::{self, AccountChanges, NewAccount};
use super::{DbConnection, StorageError};
use crate::domain::auth::{Role, hash_password};

/// Creates (or re-activates as admin) the account `email` when no active admin exists.
/// Does nothing when `email` is empty or an active admin exists. Returns whether it acted.
pub fn admin_if_none(conn: &mut DbConnection, email: &str, password: &str) -> Result<bool, StorageError> {
    let email = email.trim().to_ascii_lowercase();
    if email.is_empty() {
        return Ok(false);
    }
    let hash = hash_password(password).map_err(|e| StorageError::Setup(e.to_string()))?;
    let acted = conn.write_transaction(|conn| -> Result<bool, StorageError> {
        if accounts::has_active_admin(conn)? {
            return Ok(false);
        }
        match accounts::credentials(conn, &email)? {
            Some(existing) => {
                let changes = AccountChanges {
                    role: Some(Role::Admin),
                    password_hash: Some(hash.clone()),
                    active: Some(true),
                    ..AccountChanges::default()
                };
                accounts::update(conn, existing.account_id, &changes)?;
            }
            None => {
                let new = NewAccount {
                    email: email.clone(),
                    name: "Administrator".into(),
                    role: Some(Role::Admin),
                    password_hash: Some(hash.clone()),
                    departments: Vec::new(),
                };
                accounts::create(conn, &new)?;
            }
        }
        Ok(true)
    })?;
    if acted {
        // The address is personal data: it is not logged.
        tracing::info!("created the first admin account from MELDPUNT_BOOTSTRAP_ADMIN_EMAIL");
    }
    Ok(acted)
}
