//! Who hears about a report's public changes: its reporter and supporters with an email
//! address, and those of every report merged into it. Read by the outbox when it queues an
//! update; a module of its own below both `outbox` and `duplicates`, so neither needs the
//! other.

use diesel::prelude::*;
use uuid::Uuid;

use super::connection::DbUuid;
use super::schema::{report_supporters, reporter_contacts, reports};
use super::{DbConnection, StorageError};
use crate::domain::report::Language;

/// Everyone to tell about public changes of `report_id`: the reporters and supporters
/// (with an email) of the report and of every report merged into it, each address once.
pub fn recipients(conn: &mut DbConnection, report_id: Uuid) -> Result<Vec<(String, Language)>, StorageError> {
    let mut reports = vec![report_id];
    reports.extend(merged_into(conn, report_id)?);
    let mut all = reporters(conn, &reports)?;
    all.extend(supporter_emails(conn, &reports)?);
    let mut seen = std::collections::HashSet::new();
    all.retain(|(email, _)| seen.insert(email.to_ascii_lowercase()));
    Ok(all)
}

fn reporters(conn: &mut DbConnection, ids: &[Uuid]) -> Result<Vec<(String, Language)>, StorageError> {
    Ok(reporter_contacts::table
        .filter(reporter_contacts::report_id.eq_any(ids.iter().copied().map(DbUuid).collect::<Vec<_>>()))
        .filter(reporter_contacts::email.is_not_null())
        .select((reporter_contacts::email, reporter_contacts::language))
        .load::<(Option<String>, String)>(conn)?
        .into_iter()
        .filter_map(|(email, language)| email.map(|e| (e, Language::parse(&language))))
        .collect())
}

/// Supporters with an email address, for updates.
pub fn supporter_emails(conn: &mut DbConnection, ids: &[Uuid]) -> Result<Vec<(String, Language)>, StorageError> {
    Ok(report_supporters::table
        .filter(report_supporters::report_id.eq_any(ids.iter().copied().map(DbUuid).collect::<Vec<_>>()))
        .filter(report_supporters::email.is_not_null())
        .select((report_supporters::email, report_supporters::language))
        .load::<(Option<String>, String)>(conn)?
        .into_iter()
        .filter_map(|(email, language)| email.map(|e| (e, Language::parse(&language))))
        .collect())
}

/// The reports merged into `id`.
pub fn merged_into(conn: &mut DbConnection, id: Uuid) -> Result<Vec<Uuid>, StorageError> {
    Ok(reports::table
        .filter(reports::merged_into_id.eq(DbUuid(id)))
        .select(reports::id)
        .load::<DbUuid>(conn)?
        .into_iter()
        .map(|r| r.0)
        .collect())
}
