//! History import (issue 14): reports of an earlier system, from the documented CSV or an
//! Open311 `requests.json`, stored as `source = import` so a baseline (nulmeting) can start
//! from the past. Shared by `meldpunt import reports` and
//! `POST /api/v1/admin/imports/reports`; it knows no HTTP.
//!
//! The steps: read the file ([`formats`]) and the optional category mapping ([`mapping`]),
//! check every row and place it as intake would have when it arrived ([`rows`]), refuse a
//! `source_id` used twice in the file, and store what is new in one transaction
//! (`crate::storage::history_import`), skipping rows imported before. All or nothing by
//! default: one refused row stores nothing. No email is queued and nobody is alerted.
//!
//! May use `domain` and `storage`; never `api`, actix or diesel (`scripts/check-layers.sh`).

pub mod formats;
pub mod mapping;
pub mod rows;

use std::collections::HashMap;
use std::collections::hash_map::Entry;

use chrono::{DateTime, Utc};

use crate::domain::category::pointer_escape;
use crate::domain::imported::ImportedReport;
use crate::storage::{DbConnection, StorageError};
use formats::{FileError, Format};
use mapping::CategoryMap;
use rows::{Context, YearIndexes};

/// One refused row (or header line, or mapping line): where, and what to change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// CSV: the 1-based line of the file; Open311: the index in the array.
    pub line: usize,
    /// JSON Pointer: `/rows/<line>/<field>` (or `/category_map/<line>/<field>`).
    pub pointer: String,
    /// What is wrong and what to change.
    pub detail: String,
}

impl Refusal {
    /// A problem with `field` of the row at `line`.
    pub fn at(line: usize, field: &str, detail: String) -> Self {
        Refusal { line, pointer: format!("/rows/{line}/{}", pointer_escape(field)), detail }
    }

    /// A problem with the row at `line` as a whole.
    pub fn row(line: usize, detail: String) -> Self {
        Refusal { line, pointer: format!("/rows/{line}"), detail }
    }
}

/// How to import.
#[derive(Debug, Clone, Default)]
pub struct ImportOptions {
    /// The format; `None`: from the file name, else the content.
    pub format: Option<Format>,
    /// The file's name, for the format.
    pub file_name: Option<String>,
    /// The category mapping file (`old_name,slug` lines).
    pub category_map: Option<Vec<u8>>,
    /// Import the valid rows and list the refused ones, instead of all or nothing.
    pub skip_invalid: bool,
}

/// What an import did.
#[derive(Debug, Clone)]
pub struct ImportSummary {
    /// The format read.
    pub format: Format,
    /// Rows in the file.
    pub rows: usize,
    /// Reports stored.
    pub imported: usize,
    /// Valid rows whose `source_id` was imported before (nothing stored for them).
    pub skipped_existing: usize,
    /// Every problem of the rows refused (only with `skip_invalid`; otherwise the import
    /// fails), ordered by line; a row may have several.
    pub refused: Vec<Refusal>,
}

impl ImportSummary {
    /// How many rows were refused (`rows` = `imported` + `skipped_existing` + this).
    pub fn refused_rows(&self) -> usize {
        let mut lines: Vec<usize> = self.refused.iter().map(|r| r.line).collect();
        lines.dedup();
        lines.len()
    }
}

/// Why nothing was imported.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// The file (or the mapping file) cannot be read as its format.
    #[error("{0}")]
    Unreadable(String),
    /// Rows, the header or the mapping file have problems; nothing is stored.
    #[error("{} problem(s) in {rows} row(s); nothing was imported", refused.len())]
    Refused {
        /// Rows in the file.
        rows: usize,
        /// Every problem.
        refused: Vec<Refusal>,
    },
    /// Storing failed.
    #[error(transparent)]
    Storage(#[from] StorageError),
}

/// Imports `file` into the database behind `conn` (blocking). `served` are the
/// municipalities served (empty: every loaded one); `now` bounds the times in the file.
pub fn import_reports(
    conn: &mut DbConnection,
    served: &[String],
    file: &[u8],
    options: &ImportOptions,
    now: DateTime<Utc>,
) -> Result<ImportSummary, ImportError> {
    let catalog = crate::storage::catalog::load(conn)?;
    let categories = match &options.category_map {
        None => CategoryMap::default(),
        Some(bytes) => {
            CategoryMap::parse(bytes, &catalog).map_err(|refused| ImportError::Refused { rows: 0, refused })?
        }
    };
    let format = options.format.unwrap_or_else(|| Format::detect(options.file_name.as_deref(), file));
    let (parsed, names) = match format {
        Format::Csv => (formats::parse_csv(file), &formats::CSV),
        Format::Open311 => (formats::parse_open311(file), &formats::OPEN311),
    };
    let parsed = parsed.map_err(|error| match error {
        FileError::Unreadable(reason) => ImportError::Unreadable(reason),
        FileError::Header(refused) => ImportError::Refused { rows: 0, refused },
    })?;
    let rules: Vec<_> = crate::storage::rules::load(conn)?.into_iter().map(|stored| stored.rule).collect();
    let areas = YearIndexes::new(crate::storage::areas::load_all(conn)?);
    let context = Context { catalog: &catalog, rules: &rules, areas: &areas, served, categories: &categories, now };
    let rows = parsed.rows.len() + parsed.refused.len();
    let mut refused = parsed.refused;
    let mut valid: Vec<ImportedReport> = Vec::with_capacity(parsed.rows.len());
    let mut first_line: HashMap<&str, usize> = HashMap::with_capacity(parsed.rows.len());
    for row in &parsed.rows {
        let checked = rows::check_row(&context, names, row);
        let duplicate = row.source_id.as_deref().and_then(|id| match first_line.entry(id) {
            Entry::Occupied(first) => Some(Refusal::at(
                row.line,
                names.source_id,
                format!("{} '{id}' is also on line {}; give each report its own", names.source_id, first.get()),
            )),
            Entry::Vacant(slot) => {
                slot.insert(row.line);
                None
            }
        });
        match (checked, duplicate) {
            (Ok(report), None) => valid.push(report),
            (Ok(_), Some(duplicate)) => refused.push(duplicate),
            (Err(problems), duplicate) => {
                refused.extend(problems);
                refused.extend(duplicate);
            }
        }
    }
    refused.sort_by_key(|r| r.line);
    if !refused.is_empty() && !options.skip_invalid {
        return Err(ImportError::Refused { rows, refused });
    }
    let stored = crate::storage::history_import::store(conn, &mut valid)?;
    tracing::info!(
        format = format.as_str(),
        rows,
        imported = stored.imported,
        skipped_existing = stored.skipped_existing,
        refused = refused.len(),
        "history imported"
    );
    Ok(ImportSummary { format, rows, imported: stored.imported, skipped_existing: stored.skipped_existing, refused })
}
