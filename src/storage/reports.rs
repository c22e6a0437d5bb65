//! Reading reports.

use diesel::prelude::*;

use super::connection::DbUuid;
use super::rows::ReportRow;
use super::schema::reports;
use super::{DbConnection, StorageError};
use crate::domain::report::Report;

/// The report with this id, if any.
pub fn by_id(conn: &mut DbConnection, id: uuid::Uuid) -> Result<Option<Report>, StorageError> {
    reports::table
        .find(DbUuid(id))
        .select(ReportRow::as_select())
        .first(conn)
        .optional()?
        .map(Report::try_from)
        .transpose()
}

/// The report with this public reference (normalised form), if any.
pub fn by_reference(conn: &mut DbConnection, reference: &str) -> Result<Option<Report>, StorageError> {
    reports::table
        .filter(reports::reference.eq(reference))
        .select(ReportRow::as_select())
        .first(conn)
        .optional()?
        .map(Report::try_from)
        .transpose()
}

/// How many reports are stored (for tests of "nothing was stored" and for statistics).
pub fn count(conn: &mut DbConnection) -> Result<i64, StorageError> {
    Ok(reports::table.count().get_result(conn)?)
}
