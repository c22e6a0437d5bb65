//! One line of a key-figures file, read by column name and checked cell by cell: every
//! refused cell is recorded as a problem at `/rows/<line>/<column>`.

use super::file::{Columns, Problems};
use super::{AreaFigure, KERNCIJFERS_FIGURES, YEARS};
use crate::domain::area::AreaLevel;

/// Longest figure name and source.
const MAX_NAME: usize = 40;
const MAX_SOURCE: usize = 200;

/// One line of the file, read by column name.
pub(super) struct Row<'a> {
    /// The line in the file, from 1.
    pub(super) line: u64,
    pub(super) record: &'a csv::StringRecord,
    pub(super) columns: &'a Columns,
}

impl Row<'_> {
    fn cell(&self, column: &str) -> &str {
        self.columns.index(column).and_then(|index| self.record.get(index)).unwrap_or_default()
    }

    fn pointer(&self, column: &str) -> String {
        format!("/rows/{}/{column}", self.line)
    }

    /// A line of the simple layout: one figure.
    pub(super) fn simple(&self, problems: &mut Problems) -> Vec<AreaFigure> {
        let code = self.code(problems);
        let year = self.year(problems);
        let figure = self.figure_name(problems);
        let value = match self.value("value", problems) {
            Some(Some(value)) => Some(value),
            Some(None) => {
                problems.add(self.pointer("value"), "the value is empty; send a whole number of 0 or more");
                None
            }
            None => None,
        };
        let source = self.source(problems);
        match (code, year, figure, value, source) {
            (Some(code), Some(year), Some(figure), Some(value), Some(source)) => {
                vec![AreaFigure { code, year, figure, value, source }]
            }
            _ => Vec::new(),
        }
    }

    /// A line of a CBS kerncijfers file: a figure for each filled numeric column.
    pub(super) fn kerncijfers(&self, problems: &mut Problems) -> Vec<AreaFigure> {
        let code = self.code(problems);
        let year = self.year(problems);
        let level = self.cell("level");
        if let Some(code) = &code
            && !level.is_empty()
            && !AreaLevel::of_code(code).is_some_and(|of_code| of_code.as_str().eq_ignore_ascii_case(level))
        {
            problems.add(
                self.pointer("level"),
                format!(
                    "'{level}' does not match the code {code}; send gemeente for GM, wijk for WK, buurt for BU codes"
                ),
            );
        }
        let table = self.cell("cbs_table");
        if table.is_empty() {
            problems.add(
                self.pointer("cbs_table"),
                "the CBS table is empty; send the number of the table the figures come from, e.g. 85984NED",
            );
        }
        let mut refused = false;
        let mut values = Vec::new();
        for column in KERNCIJFERS_FIGURES.into_iter().filter(|column| self.columns.has(column)) {
            match self.value(column, problems) {
                Some(Some(value)) => values.push((column, value)),
                // Not published for this area.
                Some(None) => {}
                None => refused = true,
            }
        }
        let (Some(code), Some(year)) = (code, year) else { return Vec::new() };
        if refused || table.is_empty() {
            return Vec::new();
        }
        let source = format!("CBS {table}");
        values
            .into_iter()
            .map(|(column, value)| AreaFigure {
                code: code.clone(),
                year,
                figure: column.to_owned(),
                value,
                source: source.clone(),
            })
            .collect()
    }

    fn code(&self, problems: &mut Problems) -> Option<String> {
        let code = self.cell("code");
        if AreaLevel::of_code(code).is_some() {
            Some(code.to_owned())
        } else {
            problems.add(
                self.pointer("code"),
                format!(
                    "{} is not a CBS area code; send GM + 4 digits (GM0917), WK + 6 digits (WK091710) or \
                     BU + 8 digits (BU09171000)",
                    quoted(code)
                ),
            );
            None
        }
    }

    fn year(&self, problems: &mut Problems) -> Option<i32> {
        let text = self.cell("year");
        match text.parse::<i32>() {
            Ok(year) if YEARS.contains(&year) => Some(year),
            _ => {
                problems.add(
                    self.pointer("year"),
                    format!(
                        "{} is not a year from {} to {}; send the year the figure describes, e.g. 2024",
                        quoted(text),
                        YEARS.start(),
                        YEARS.end()
                    ),
                );
                None
            }
        }
    }

    fn figure_name(&self, problems: &mut Problems) -> Option<String> {
        let name = self.cell("figure");
        let well_formed = name.len() <= MAX_NAME
            && name.starts_with(|c: char| c.is_ascii_lowercase())
            && name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
        if well_formed {
            Some(name.to_owned())
        } else {
            problems.add(
                self.pointer("figure"),
                format!(
                    "{} is not a figure name; send lowercase letters, digits and _ (at most {MAX_NAME}, starting \
                     with a letter), e.g. population",
                    quoted(name)
                ),
            );
            None
        }
    }

    /// `None`: refused (recorded); `Some(None)`: empty; `Some(Some(n))`: a value.
    fn value(&self, column: &str, problems: &mut Problems) -> Option<Option<i64>> {
        let text = self.cell(column);
        if text.is_empty() {
            return Some(None);
        }
        match text.parse::<u64>().ok().and_then(|n| i64::try_from(n).ok()) {
            Some(value) if !text.starts_with('+') => Some(Some(value)),
            _ => {
                problems.add(
                    self.pointer(column),
                    format!(
                        "'{text}' is not a whole number of 0 or more; send digits only, without separators, \
                         decimals or sign, e.g. 87461"
                    ),
                );
                None
            }
        }
    }

    fn source(&self, problems: &mut Problems) -> Option<String> {
        let source = self.cell("source");
        if source.is_empty() || source.chars().count() > MAX_SOURCE || source.chars().any(char::is_control) {
            problems.add(
                self.pointer("source"),
                format!(
                    "{} is not a source; send the name of where the figure comes from (at most {MAX_SOURCE} \
                     characters), e.g. CBS 85984NED",
                    quoted(source)
                ),
            );
            None
        } else {
            Some(source.to_owned())
        }
    }
}

/// A cell as an error message quotes it.
fn quoted(cell: &str) -> String {
    if cell.is_empty() { "the empty cell".to_owned() } else { format!("'{cell}'") }
}
