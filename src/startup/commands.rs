//! The one-shot commands of the binary that work on the configured database without
//! serving: `meldpunt stats rebuild`, `meldpunt areas import`, `meldpunt import reports`.
//! Each migrates and seeds the database first, as a server start would.

use anyhow::Context;

use super::prepare;
use crate::config::Settings;

/// `meldpunt stats rebuild`: fills the statistics roll-up again from the reports (a repair;
/// changes wait meanwhile); the number of reports read.
pub fn rebuild_statistics(settings: &Settings) -> anyhow::Result<i64> {
    let prepared = prepare(settings)?;
    Ok(crate::storage::rollup::rebuild(&mut *prepared.db.conn()?)?)
}

/// Imports a CBS boundary file into the configured database (migrating and seeding it
/// first, as a server start would): the `meldpunt areas import` command. Returns what it
/// did; a refused file changes nothing and the error says why.
pub fn import_area_file(
    settings: &Settings,
    file: &std::path::Path,
    level: crate::domain::area::AreaLevel,
    year: i32,
) -> anyhow::Result<crate::storage::areas::ImportSummary> {
    let metadata = std::fs::metadata(file).with_context(|| format!("cannot read {}", file.display()))?;
    if metadata.len() > settings.max_import_bytes as u64 {
        anyhow::bail!(
            "{} is {} bytes; max_import_bytes allows {}",
            file.display(),
            metadata.len(),
            settings.max_import_bytes
        );
    }
    let text = std::fs::read_to_string(file).with_context(|| format!("cannot read {}", file.display()))?;
    let document: serde_json::Value =
        serde_json::from_str(&text).with_context(|| format!("{} is not JSON (GeoJSON expected)", file.display()))?;
    let areas = crate::domain::area::parse_area_file(&document, level, year)
        .with_context(|| format!("{} is refused", file.display()))?;
    let prepared = prepare(settings)?;
    let source = file.file_name().map_or_else(|| file.display().to_string(), |n| n.to_string_lossy().into_owned());
    let summary = crate::storage::areas::import(&mut *prepared.db.conn()?, level, year, &areas, &source, "cli")
        .with_context(|| format!("{} is refused", file.display()))?;
    Ok(summary)
}

/// Imports a history file (`meldpunt import reports`) into the configured database,
/// migrating and seeding it first as the server would. The outer error is a set-up problem
/// (file unreadable or too large, database unreachable); the inner one is the import's own
/// answer (refused rows, nothing stored).
pub fn import_report_file(
    settings: &Settings,
    file: &std::path::Path,
    category_map: Option<&std::path::Path>,
    mut options: crate::import::ImportOptions,
) -> anyhow::Result<Result<crate::import::ImportSummary, crate::import::ImportError>> {
    let read = |path: &std::path::Path| -> anyhow::Result<Vec<u8>> {
        let metadata = std::fs::metadata(path).with_context(|| format!("cannot read {}", path.display()))?;
        if metadata.len() > settings.max_import_bytes as u64 {
            anyhow::bail!(
                "{} is {} bytes; max_import_bytes allows {}",
                path.display(),
                metadata.len(),
                settings.max_import_bytes
            );
        }
        std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))
    };
    let bytes = read(file)?;
    options.category_map = category_map.map(read).transpose()?;
    options.file_name = file.file_name().map(|n| n.to_string_lossy().into_owned());
    let prepared = prepare(settings)?;
    let served = settings.served_municipalities();
    let mut conn = prepared.db.conn()?;
    Ok(crate::import::import_reports(&mut conn, &served, &bytes, &options, chrono::Utc::now()))
}
