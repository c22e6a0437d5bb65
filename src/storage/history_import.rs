//! The SQL of a history import: in one write transaction, skip the reports whose
//! `(source, source_id)` is stored already, draw new references for any that are taken,
//! and insert the rest with their historical history entries, a statement per thousand rows.
//! Nothing goes into the outbox or the reporter contacts: an import sends no email.

use std::collections::HashSet;

use diesel::prelude::*;
use diesel::result::{DatabaseErrorKind, Error as DieselError};

use super::connection::{DbTime, DbUuid};
use super::rows::{NewHistoryRow, ReportRow};
use super::schema::{report_history, reports};
use super::{DbConnection, ROWS_PER_STATEMENT, StorageError};
use crate::domain::imported::{IMPORT_ACTOR, ImportedReport};
use crate::domain::report::ReportSource;

/// What storing did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Stored {
    /// Reports inserted.
    pub imported: usize,
    /// Reports whose `source_id` was imported before.
    pub skipped_existing: usize,
}

/// A `reports` row of an imported report: the intake row plus the columns intake leaves at
/// their defaults.
#[derive(Insertable)]
#[diesel(table_name = reports, treat_none_as_default_value = false)]
struct ImportedRow {
    #[diesel(embed)]
    report: ReportRow,
    lifecycle: String,
    settled_at: Option<DbTime>,
    source_id: Option<String>,
}

impl ImportedRow {
    fn new(imported: &ImportedReport) -> Self {
        let mut report = ReportRow::new(&imported.report);
        report.status = imported.status.as_str().to_owned();
        report.updated_at = DbTime::new(imported.updated_at());
        report.department_locked = imported.department_locked;
        ImportedRow {
            report,
            lifecycle: imported.lifecycle(),
            settled_at: imported.settled_at().map(DbTime::new),
            source_id: Some(imported.source_id.clone()),
        }
    }
}

/// Stores the reports not imported before, all in one transaction. A concurrent import or
/// intake that takes one of the same `source_id`s or references first makes the
/// transaction start over (at most three times), seeing what it stored.
pub fn store(conn: &mut DbConnection, reports: &mut [ImportedReport]) -> Result<Stored, StorageError> {
    let mut attempt = 0;
    loop {
        attempt += 1;
        match conn.write_transaction(|c| store_new(c, reports)) {
            Err(StorageError::Query(DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, _)))
                if attempt < 3 => {}
            other => return other,
        }
    }
}

fn store_new(conn: &mut DbConnection, reports: &mut [ImportedReport]) -> Result<Stored, StorageError> {
    let total = reports.len();
    let ids: Vec<&str> = reports.iter().map(|r| r.source_id.as_str()).collect();
    let existing = existing_source_ids(conn, &ids)?;
    let mut new: Vec<&mut ImportedReport> =
        reports.iter_mut().filter(|r| !existing.contains(r.source_id.as_str())).collect();
    let skipped_existing = total - new.len();
    redraw_taken_references(conn, &mut new)?;
    let rows: Vec<ImportedRow> = new.iter().map(|r| ImportedRow::new(r)).collect();
    insert_rows!(conn, reports::table, &rows)?;
    let ids: Vec<uuid::Uuid> = new.iter().map(|r| r.report.id).collect();
    super::rollup::on_insert(conn, &ids)?;
    let history: Vec<NewHistoryRow> = new
        .iter()
        .flat_map(|imported| {
            imported.history().into_iter().map(|entry| NewHistoryRow {
                report_id: DbUuid(imported.report.id),
                at: DbTime::new(entry.at),
                actor: IMPORT_ACTOR.to_owned(),
                action: entry.action.to_owned(),
                details: entry.details.to_string(),
            })
        })
        .collect();
    insert_rows!(conn, report_history::table, &history)?;
    Ok(Stored { imported: rows.len(), skipped_existing })
}

/// Which of `source_ids` imported reports already have.
pub fn existing_source_ids(conn: &mut DbConnection, source_ids: &[&str]) -> Result<HashSet<String>, StorageError> {
    let mut found = HashSet::new();
    for chunk in source_ids.chunks(ROWS_PER_STATEMENT) {
        let stored: Vec<Option<String>> = reports::table
            .filter(reports::source.eq(ReportSource::Import.as_str()))
            .filter(reports::source_id.eq_any(chunk))
            .select(reports::source_id)
            .load(conn)?;
        found.extend(stored.into_iter().flatten());
    }
    Ok(found)
}

/// Gives a fresh reference to every report whose random one is stored already or used
/// twice in the batch (rare: 31^8 references), until none is.
fn redraw_taken_references(conn: &mut DbConnection, reports: &mut [&mut ImportedReport]) -> Result<(), StorageError> {
    for _ in 0..5 {
        let references: Vec<&str> = reports.iter().map(|r| r.report.reference.as_str()).collect();
        let mut taken: HashSet<String> = HashSet::new();
        for chunk in references.chunks(ROWS_PER_STATEMENT) {
            let stored: Vec<String> =
                reports::table.filter(reports::reference.eq_any(chunk)).select(reports::reference).load(conn)?;
            taken.extend(stored);
        }
        let mut seen: HashSet<String> = HashSet::with_capacity(reports.len());
        let mut redrawn = 0;
        for report in reports.iter_mut() {
            if taken.contains(&report.report.reference) || !seen.insert(report.report.reference.clone()) {
                report.report.reference = crate::domain::reference::new_reference();
                redrawn += 1;
            }
        }
        if redrawn == 0 {
            return Ok(());
        }
    }
    Err(StorageError::Contended)
}
