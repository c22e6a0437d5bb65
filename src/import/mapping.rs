//! The category mapping file: a CSV of `old_name,slug` lines that turns the category names
//! of an earlier system (or foreign Open311 service codes) into meldpunt category slugs.
//! An optional header line `old_name,slug` is skipped. Names match without regard to case
//! or surrounding spaces.

use std::collections::HashMap;

use crate::domain::category::Catalog;

use super::Refusal;
use super::rows::resolve_slug;

/// Old names and the slugs they stand for.
#[derive(Debug, Default)]
pub struct CategoryMap {
    slugs: HashMap<String, String>,
}

fn key(name: &str) -> String {
    name.trim().to_lowercase()
}

impl CategoryMap {
    /// Reads a mapping file, checking every slug against the catalog (a main category
    /// stands for its `overig…` subcategory). Problems point at `/category_map/<line>/…`.
    pub fn parse(bytes: &[u8], catalog: &Catalog) -> Result<Self, Vec<Refusal>> {
        let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
        let mut reader = csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(bytes);
        let mut map = CategoryMap::default();
        let mut lines: HashMap<String, usize> = HashMap::new();
        let mut problems = Vec::new();
        let at = |line: usize, field: &str, detail: String| Refusal {
            line,
            pointer: format!(
                "/category_map/{line}{}",
                if field.is_empty() { String::new() } else { format!("/{field}") }
            ),
            detail,
        };
        for (index, record) in reader.records().enumerate() {
            let line = record.as_ref().ok().and_then(|r| r.position()).map_or(index + 1, |p| p.line() as usize);
            let record = match record {
                Ok(record) => record,
                Err(e) => {
                    problems.push(at(line, "", format!("the line cannot be read ({e}); save the file as UTF-8")));
                    continue;
                }
            };
            let fields: Vec<&str> = record.iter().map(str::trim).collect();
            match fields.as_slice() {
                [] | [""] => continue,
                ["old_name", "slug"] if index == 0 => continue,
                [old, slug] if !old.is_empty() && !slug.is_empty() => {
                    if let Err(detail) = resolve_slug(catalog, slug) {
                        problems.push(at(line, "slug", detail));
                    } else if let Some(first) = lines.get(&key(old)) {
                        if map.slugs.get(&key(old)).map(String::as_str) != Some(*slug) {
                            problems.push(at(
                                line,
                                "old_name",
                                format!("'{old}' is mapped on line {first} to another slug; keep one line per name"),
                            ));
                        }
                    } else {
                        lines.insert(key(old), line);
                        map.slugs.insert(key(old), (*slug).to_owned());
                    }
                }
                _ => problems.push(at(
                    line,
                    "",
                    "each line must be old_name,slug (two fields, neither empty); quote a name that holds a comma"
                        .into(),
                )),
            }
        }
        if problems.is_empty() { Ok(map) } else { Err(problems) }
    }

    /// The slug an old name is mapped to.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.slugs.get(&key(name)).map(String::as_str)
    }

    /// How many names are mapped.
    pub fn len(&self) -> usize {
        self.slugs.len()
    }

    /// Whether nothing is mapped.
    pub fn is_empty(&self) -> bool {
        self.slugs.is_empty()
    }
}
