//! The language of whoever a one-click link belongs to, so that the link's page speaks it.
//! Reads only: a GET of such a link changes nothing.

use diesel::prelude::*;
use uuid::Uuid;

use super::connection::DbUuid;
use super::schema::{report_supporters, subscriptions};
use super::{DbConnection, StorageError};
use crate::domain::auth::token_hash;
use crate::domain::report::Language;

/// The language of the pending subscription a confirmation token belongs to.
pub fn of_subscription_confirmation(conn: &mut DbConnection, token: &str) -> Result<Option<Language>, StorageError> {
    let found: Option<String> = subscriptions::table
        .filter(subscriptions::confirm_token_hash.eq(token_hash(token)))
        .filter(subscriptions::status.eq("pending"))
        .select(subscriptions::language)
        .first(conn)
        .optional()?;
    Ok(found.as_deref().map(Language::parse))
}

/// The language of subscription `id`.
pub fn of_subscription(conn: &mut DbConnection, id: Uuid) -> Result<Option<Language>, StorageError> {
    let found: Option<String> =
        subscriptions::table.find(DbUuid(id)).select(subscriptions::language).first(conn).optional()?;
    Ok(found.as_deref().map(Language::parse))
}

/// The language of the supporter a confirmation token belongs to (while it is unused).
pub fn of_supporter_confirmation(conn: &mut DbConnection, token: &str) -> Result<Option<Language>, StorageError> {
    let found: Option<String> = report_supporters::table
        .filter(report_supporters::confirm_token_hash.eq(token_hash(token)))
        .filter(report_supporters::email.is_not_null())
        .select(report_supporters::language)
        .first(conn)
        .optional()?;
    Ok(found.as_deref().map(Language::parse))
}
