//! Reading a CSV file of key figures, in one of two layouts (header line required, columns
//! in any order):
//! - simple: `code,year,figure,value,source`, one figure per line;
//! - a CBS kerncijfers file as in `data/seed/heerlen-kerncijfers.csv`
//!   (`year,level,code,name,wijk_code,population,…,cbs_table`): each numeric column in
//!   [`super::KERNCIJFERS_FIGURES`] is a figure of that name, with source
//!   `CBS <cbs_table>`; empty cells are figures CBS does not publish for that area and are
//!   skipped.
//!
//! Problems are field errors whose pointer is `/rows/<line>/<column>`, the line counted from
//! 1 as an editor shows it (the header is line 1), with what to send instead.

use std::collections::HashMap;
use std::collections::hash_map::Entry;

use super::row::Row;
use super::{FigureFile, FigureLayout, SIMPLE_COLUMNS};
use crate::domain::validation::FieldError;

/// Columns that make a header a CBS kerncijfers header.
const KERNCIJFERS_COLUMNS: [&str; 4] = ["year", "code", "population", "cbs_table"];

/// Most problems listed in one answer; the rest are counted.
const MAX_PROBLEMS: usize = 100;

/// Reads a CSV file of key figures (UTF-8, an optional byte order mark, cells trimmed).
/// Nothing is returned unless every row is right: the error lists each bad cell by pointer,
/// with what to send instead.
pub fn parse_figure_file(bytes: &[u8]) -> Result<FigureFile, Vec<FieldError>> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let mut reader = csv::ReaderBuilder::new().has_headers(true).flexible(true).trim(csv::Trim::All).from_reader(bytes);
    let mut lines = LineCounter { bytes, at: 0, line: 1 };
    let header = reader.headers().map_err(|e| vec![csv_problem(&e, &mut lines)])?.clone();
    let columns = Columns::of(&header)?;
    let layout = columns.layout()?;
    let mut problems = Problems::default();
    let mut figures = Vec::new();
    let mut first_line: HashMap<(String, i32, String), u64> = HashMap::new();
    for record in reader.records() {
        let record = match record {
            Ok(record) => record,
            Err(error) => {
                problems.push(csv_problem(&error, &mut lines));
                continue;
            }
        };
        let line = lines.line_at(record.position().map_or(0, csv::Position::byte));
        if record.len() != header.len() {
            problems.add(
                format!("/rows/{line}"),
                format!(
                    "line {line} has {} cells but the header has {}; check for a missing or extra comma",
                    record.len(),
                    header.len()
                ),
            );
            continue;
        }
        let row = Row { line, record: &record, columns: &columns };
        let found = match layout {
            FigureLayout::Simple => row.simple(&mut problems),
            FigureLayout::Kerncijfers => row.kerncijfers(&mut problems),
        };
        for figure in found {
            match first_line.entry((figure.code.clone(), figure.year, figure.figure.clone())) {
                Entry::Occupied(earlier) => problems.add(
                    format!("/rows/{line}/code"),
                    format!(
                        "{} already has a {} figure for {} on line {}; give each area, year and figure once per file",
                        figure.code,
                        figure.figure,
                        figure.year,
                        earlier.get()
                    ),
                ),
                Entry::Vacant(slot) => {
                    slot.insert(line);
                    figures.push(figure);
                }
            }
        }
    }
    if problems.is_empty() && figures.is_empty() {
        problems.add("/rows", "the file has a header but no figures; add a line for each figure to load");
    }
    problems.finish()?;
    Ok(FigureFile { layout, figures })
}

/// Problems found so far, at most [`MAX_PROBLEMS`] kept.
#[derive(Default)]
pub(super) struct Problems {
    kept: Vec<FieldError>,
    more: usize,
}

impl Problems {
    pub(super) fn add(&mut self, pointer: impl Into<String>, detail: impl Into<String>) {
        self.push(FieldError { pointer: pointer.into(), detail: detail.into() });
    }

    fn push(&mut self, problem: FieldError) {
        if self.kept.len() < MAX_PROBLEMS {
            self.kept.push(problem);
        } else {
            self.more += 1;
        }
    }

    fn is_empty(&self) -> bool {
        self.kept.is_empty()
    }

    fn finish(mut self) -> Result<(), Vec<FieldError>> {
        if self.more > 0 {
            self.kept.push(FieldError {
                pointer: "/rows".into(),
                detail: format!("{} more problems are not listed; correct these and send the file again", self.more),
            });
        }
        if self.kept.is_empty() { Ok(()) } else { Err(self.kept) }
    }
}

/// The line (from 1) of a byte offset. The csv crate's own line count leaves out blank
/// lines, so an editor would show another line than the one named.
struct LineCounter<'a> {
    bytes: &'a [u8],
    /// The offset counted up to, and the line it is on.
    at: usize,
    line: u64,
}

impl LineCounter<'_> {
    /// The line of the record that the csv crate says starts at `byte`; offsets asked for
    /// only grow, so the file is counted once.
    fn line_at(&mut self, byte: u64) -> u64 {
        let mut byte = usize::try_from(byte).unwrap_or(usize::MAX).min(self.bytes.len());
        // The crate's offset is where it began to look, before the blank lines it skipped.
        while self.bytes.get(byte).is_some_and(|b| matches!(b, b'\r' | b'\n')) {
            byte += 1;
        }
        if byte < self.at {
            self.at = 0;
            self.line = 1;
        }
        let newlines = self.bytes.get(self.at..byte).map_or(0, |span| span.iter().filter(|&&b| b == b'\n').count());
        self.line += u64::try_from(newlines).unwrap_or(u64::MAX);
        self.at = byte;
        self.line
    }
}

/// A CSV reading error (not UTF-8, broken quoting) as a problem on its line.
fn csv_problem(error: &csv::Error, lines: &mut LineCounter<'_>) -> FieldError {
    let line = error.position().map(|position| lines.line_at(position.byte()));
    let pointer = line.map_or_else(|| "/rows".to_owned(), |line| format!("/rows/{line}"));
    let detail = match (error.kind(), line) {
        (csv::ErrorKind::Utf8 { .. }, Some(line)) => {
            format!("line {line} is not UTF-8 text; save the file as CSV in UTF-8")
        }
        (_, Some(line)) => format!("line {line} cannot be read as CSV ({error}); check its quotes and commas"),
        (_, None) => format!("the file cannot be read as CSV ({error}); send comma-separated UTF-8 text"),
    };
    FieldError { pointer, detail }
}

/// Where each column of the header is, by lowercase name.
pub(super) struct Columns(HashMap<String, usize>);

impl Columns {
    fn of(header: &csv::StringRecord) -> Result<Self, Vec<FieldError>> {
        if header.iter().all(str::is_empty) {
            return Err(vec![FieldError {
                pointer: "/rows/1".into(),
                detail: format!("the file is empty; start it with the header line {}", SIMPLE_COLUMNS.join(",")),
            }]);
        }
        let mut columns = HashMap::new();
        for (index, name) in header.iter().enumerate() {
            if columns.insert(name.to_ascii_lowercase(), index).is_some() {
                return Err(vec![FieldError {
                    pointer: "/rows/1".into(),
                    detail: format!("the header names the column '{name}' twice; name each column once"),
                }]);
            }
        }
        Ok(Columns(columns))
    }

    pub(super) fn has(&self, name: &str) -> bool {
        self.0.contains_key(name)
    }

    /// Where the column `name` is.
    pub(super) fn index(&self, name: &str) -> Option<usize> {
        self.0.get(name).copied()
    }

    fn layout(&self) -> Result<FigureLayout, Vec<FieldError>> {
        if SIMPLE_COLUMNS.iter().all(|c| self.has(c)) {
            Ok(FigureLayout::Simple)
        } else if KERNCIJFERS_COLUMNS.iter().all(|c| self.has(c)) {
            Ok(FigureLayout::Kerncijfers)
        } else {
            let missing: Vec<&str> = SIMPLE_COLUMNS.iter().copied().filter(|c| !self.has(c)).collect();
            Err(vec![FieldError {
                pointer: "/rows/1".into(),
                detail: format!(
                    "the header lacks the column(s) {}; send the header {} (any order), or a CBS kerncijfers \
                     file with at least the columns {}",
                    missing.join(", "),
                    SIMPLE_COLUMNS.join(","),
                    KERNCIJFERS_COLUMNS.join(",")
                ),
            }])
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::figures::{AreaFigure, POPULATION};

    const SEED: &str = include_str!("../../../data/seed/heerlen-kerncijfers.csv");

    fn pointers(result: Result<FigureFile, Vec<FieldError>>) -> Vec<String> {
        result.err().unwrap_or_default().into_iter().map(|e| e.pointer).collect()
    }

    #[test]
    fn the_simple_layout_is_read_in_any_column_order() {
        let file = "source,code,year,figure,value\nCBS 85984NED,GM0917,2024,population,87461\n\
                    eigen telling,BU09171000, 2023 ,dwellings,1500\n";
        let parsed = parse_figure_file(file.as_bytes()).unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(parsed.layout, FigureLayout::Simple);
        assert_eq!(
            parsed.figures,
            [
                AreaFigure {
                    code: "GM0917".into(),
                    year: 2024,
                    figure: "population".into(),
                    value: 87_461,
                    source: "CBS 85984NED".into()
                },
                AreaFigure {
                    code: "BU09171000".into(),
                    year: 2023,
                    figure: "dwellings".into(),
                    value: 1500,
                    source: "eigen telling".into()
                },
            ]
        );
    }

    #[test]
    fn the_cbs_kerncijfers_file_gives_every_filled_figure_with_its_table_as_source() {
        let parsed = parse_figure_file(SEED.as_bytes()).unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(parsed.layout, FigureLayout::Kerncijfers);
        let count =
            |figure: &str, year: i32| parsed.figures.iter().filter(|f| f.figure == figure && f.year == year).count();
        assert_eq!((count(POPULATION, 2024), count(POPULATION, 2023)), (81, 57));
        assert_eq!((count("men", 2024), count("dwellings", 2024), count("land_area_ha", 2023)), (24, 24, 57));
        assert_eq!(parsed.figures.len(), 138 + 3 * 24 + (24 + 57) + 2 * 24);
        let heerlen = parsed.figures.iter().find(|f| f.code == "GM0917" && f.figure == POPULATION);
        assert_eq!(heerlen.map(|f| (f.value, f.source.as_str())), Some((87_461, "CBS 85984NED")));
        assert!(!parsed.figures.iter().any(|f| f.figure == "pop_density_per_km2"));
    }

    #[test]
    fn every_bad_cell_is_named_by_line_and_column() {
        let file = "code,year,figure,value,source\n\
                    GM0917,2024,population,87461,CBS 85984NED\n\
                    GM917,2024,population,1,CBS\n\
                    WK091710,1850,population,2,CBS\n\
                    BU09171000,2024,population,12a,CBS\n\
                    BU09171001,2024,Population,-4,\n\
                    BU09171002,2024,population,,CBS\n";
        let problems = parse_figure_file(file.as_bytes()).err().unwrap_or_default();
        let found: Vec<&str> = problems.iter().map(|p| p.pointer.as_str()).collect();
        assert_eq!(
            found,
            [
                "/rows/3/code",
                "/rows/4/year",
                "/rows/5/value",
                "/rows/6/figure",
                "/rows/6/value",
                "/rows/6/source",
                "/rows/7/value"
            ]
        );
        assert!(problems.iter().all(|p| p.detail.contains("send")), "{problems:?}");
        assert!(problems.first().is_some_and(|p| p.detail.starts_with("'GM917' is not a CBS area code")));
    }

    #[test]
    fn a_kerncijfers_line_with_a_bad_number_or_level_is_refused_and_empty_cells_are_skipped() {
        let file = "year,level,code,population,men,cbs_table\n\
                    2024,buurt,BU09171000,3420,,85984NED\n\
                    2024,wijk,BU09171001,x,,85984NED\n\
                    2024,wijk,WK091710,3915,2035,\n";
        assert_eq!(
            pointers(parse_figure_file(file.as_bytes())),
            ["/rows/3/level", "/rows/3/population", "/rows/4/cbs_table"]
        );
        let good = "year,level,code,population,men,cbs_table\n2024,buurt,BU09171000,3420,,85984NED\n";
        let parsed = parse_figure_file(good.as_bytes()).unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(parsed.figures.len(), 1);
    }

    #[test]
    fn the_same_area_year_and_figure_twice_is_refused_at_the_second_line() {
        let file =
            "code,year,figure,value,source\r\nGM0917,2024,population,1,CBS\r\n\r\nGM0917,2024,population,2,CBS\r\n";
        let problems = parse_figure_file(file.as_bytes()).err().unwrap_or_default();
        assert_eq!(problems.iter().map(|p| p.pointer.as_str()).collect::<Vec<_>>(), ["/rows/4/code"]);
        assert!(problems.iter().any(|p| p.detail.contains("on line 2")), "{problems:?}");
    }

    #[test]
    fn a_line_with_too_few_cells_an_unknown_header_and_an_empty_file_are_refused() {
        let short = "code,year,figure,value,source\nGM0917,2024,population\n";
        assert_eq!(pointers(parse_figure_file(short.as_bytes())), ["/rows/2"]);
        assert_eq!(pointers(parse_figure_file(b"gemeente,inwoners\nHeerlen,87461\n")), ["/rows/1"]);
        assert_eq!(pointers(parse_figure_file(b"")), ["/rows/1"]);
        assert_eq!(pointers(parse_figure_file(b"code,year,figure,value,source\n")), ["/rows"]);
    }

    #[test]
    fn a_byte_order_mark_is_ignored_and_text_that_is_not_utf8_is_named_by_line() {
        let with_bom = b"\xEF\xBB\xBFcode,year,figure,value,source\nGM0917,2024,population,1,CBS\n";
        assert!(parse_figure_file(with_bom).is_ok());
        let latin1 = b"code,year,figure,value,source\nGM0917,2024,population,1,CBS \xe9\n";
        assert_eq!(pointers(parse_figure_file(latin1)), ["/rows/2"]);
    }

    #[test]
    fn at_most_a_hundred_problems_are_listed_and_the_rest_counted() {
        let mut file = String::from("code,year,figure,value,source\n");
        for _ in 0..150 {
            file.push_str("XX,2024,population,1,CBS\n");
        }
        let problems = parse_figure_file(file.as_bytes()).err().unwrap_or_default();
        assert_eq!(problems.len(), 101);
        assert!(problems.last().is_some_and(|p| p.detail.starts_with("50 more problems")));
    }
}
