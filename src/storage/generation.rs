//! A counter pair that tells every process when configuration changed: `settings`
//! (departments, categories, routing rules) and `areas` (the area registry). Writers bump
//! it in the same transaction as the change; processes poll it and reload what changed.

use diesel::prelude::*;

use super::schema::config_generation;
use super::{DbConnection, StorageError};

/// The current generations.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Generation {
    /// Departments, categories and rules.
    pub settings: i64,
    /// The area registry.
    pub areas: i64,
}

/// Reads the current generations.
pub fn current(conn: &mut DbConnection) -> Result<Generation, StorageError> {
    let (settings, areas) = config_generation::table
        .find(1)
        .select((config_generation::settings, config_generation::areas))
        .first::<(i64, i64)>(conn)?;
    Ok(Generation { settings, areas })
}

/// Marks departments, categories or rules as changed (inside the change's transaction).
pub fn bump_settings(conn: &mut DbConnection) -> Result<(), StorageError> {
    diesel::update(config_generation::table.find(1))
        .set(config_generation::settings.eq(config_generation::settings + 1))
        .execute(conn)?;
    Ok(())
}

/// Marks the area registry as changed (inside the import's transaction).
pub fn bump_areas(conn: &mut DbConnection) -> Result<(), StorageError> {
    diesel::update(config_generation::table.find(1))
        .set(config_generation::areas.eq(config_generation::areas + 1))
        .execute(conn)?;
    Ok(())
}
