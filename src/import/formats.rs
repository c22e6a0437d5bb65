//! The two file formats a history import reads, into one row shape: the documented CSV
//! (`docs/import.md`) and an Open311 GeoReport v2 `requests.json` dump. Pure: bytes in, rows
//! and refusals out. Each row keeps the names its format gives the fields, so a refusal
//! points at the column or key the file really has.

use serde_json::Value;

use super::Refusal;

/// The format of an import file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// The documented CSV.
    Csv,
    /// An Open311 GeoReport v2 `requests.json` (an array of service requests).
    Open311,
}

impl Format {
    /// The name used on the command line and in the query (`csv`, `open311`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Csv => "csv",
            Self::Open311 => "open311",
        }
    }

    /// Parses `csv` or `open311`.
    pub fn parse(text: &str) -> Option<Self> {
        match text.trim().to_ascii_lowercase().as_str() {
            "csv" => Some(Self::Csv),
            "open311" => Some(Self::Open311),
            _ => None,
        }
    }

    /// The format of a file: by its name's extension (`.csv`, `.json`), else by its
    /// content (JSON starts with `[` or `{`).
    pub fn detect(name: Option<&str>, bytes: &[u8]) -> Self {
        let extension = name.and_then(|n| n.rsplit_once('.')).map(|(_, ext)| ext.to_ascii_lowercase());
        match extension.as_deref() {
            Some("csv") => Self::Csv,
            Some("json") => Self::Open311,
            _ => match without_bom(bytes).iter().find(|b| !b.is_ascii_whitespace()) {
                Some(b'[' | b'{') => Self::Open311,
                _ => Self::Csv,
            },
        }
    }
}

/// Which status words a format uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Vocabulary {
    /// meldpunt's statuses (`resolved`, `in_progress`, …).
    Meldpunt,
    /// Open311's `open` and `closed`.
    Open311,
}

/// What a format calls each field (the last segment of a refusal's pointer).
#[derive(Debug)]
pub struct FieldNames {
    pub source_id: &'static str,
    pub category: &'static str,
    pub description: &'static str,
    pub lat: &'static str,
    pub lon: &'static str,
    pub address: &'static str,
    pub created_at: &'static str,
    pub closed_at: &'static str,
    pub status: &'static str,
    pub department: &'static str,
    pub status_text: &'static str,
    /// The status words.
    pub vocabulary: Vocabulary,
}

/// The CSV's column names.
pub const CSV: FieldNames = FieldNames {
    source_id: "source_id",
    category: "category",
    description: "description",
    lat: "lat",
    lon: "lon",
    address: "address",
    created_at: "created_at",
    closed_at: "closed_at",
    status: "final_status",
    department: "department",
    status_text: "status_notes",
    vocabulary: Vocabulary::Meldpunt,
};

/// Open311's keys.
pub const OPEN311: FieldNames = FieldNames {
    source_id: "service_request_id",
    category: "service_code",
    description: "description",
    lat: "lat",
    lon: "long",
    address: "address",
    created_at: "requested_datetime",
    closed_at: "updated_datetime",
    status: "status",
    department: "department",
    status_text: "status_notes",
    vocabulary: Vocabulary::Open311,
};

/// CSV columns that must be in the header (their values may still be empty where allowed).
const CSV_REQUIRED: [&str; 7] = ["source_id", "category", "description", "lat", "lon", "created_at", "final_status"];
/// CSV columns that may be in the header.
const CSV_OPTIONAL: [&str; 4] = ["closed_at", "department", "address", "status_notes"];

/// One row as the file has it: trimmed text, `None` when empty or absent.
#[derive(Debug, Clone, Default)]
pub struct RawRow {
    /// CSV: the 1-based line of the file the row starts on; Open311: the index in the array.
    pub line: usize,
    pub source_id: Option<String>,
    pub category: Option<String>,
    pub description: Option<String>,
    pub lat: Option<String>,
    pub lon: Option<String>,
    pub address: Option<String>,
    pub created_at: Option<String>,
    pub closed_at: Option<String>,
    pub status: Option<String>,
    pub department: Option<String>,
    pub status_text: Option<String>,
}

/// The rows of a file, and the rows that could not even be read.
#[derive(Debug, Default)]
pub struct Parsed {
    pub rows: Vec<RawRow>,
    pub refused: Vec<Refusal>,
}

/// Why a file cannot be read at all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FileError {
    /// Not text of the format (not UTF-8, not JSON, not a list of requests): what to send.
    Unreadable(String),
    /// The CSV header is wrong (missing or unknown columns), each problem at line 1.
    Header(Vec<Refusal>),
}

fn without_bom(bytes: &[u8]) -> &[u8] {
    bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes)
}

/// Line numbers of byte offsets, counted as the reader moves forward through the file (the
/// csv crate's own line count skips blank lines and counts CRLF oddly).
struct LineCounter<'a> {
    bytes: &'a [u8],
    /// The offset counted up to.
    offset: usize,
    /// The line at `offset`, from 1.
    line: usize,
}

impl LineCounter<'_> {
    /// The line of the record the reader says starts at `byte`: its position may point at
    /// the line break before it, which a record never starts with.
    fn line_at(&mut self, byte: u64) -> usize {
        let from = usize::try_from(byte).unwrap_or(usize::MAX).min(self.bytes.len()).max(self.offset);
        let rest = self.bytes.get(from..).unwrap_or_default();
        let start = from + rest.iter().position(|b| *b != b'\r' && *b != b'\n').unwrap_or(rest.len());
        let skipped = self.bytes.get(self.offset..start).unwrap_or_default();
        self.line += skipped.iter().filter(|b| **b == b'\n').count();
        self.offset = start;
        self.line
    }
}

fn text(value: &str) -> Option<String> {
    let trimmed = value.trim();
    (!trimmed.is_empty()).then(|| trimmed.to_owned())
}

/// Reads the documented CSV: a header naming the columns (any order; comma or, when the
/// header has no comma, semicolon as separator), then one report per record.
pub fn parse_csv(bytes: &[u8]) -> Result<Parsed, FileError> {
    let bytes = without_bom(bytes);
    let first_line = bytes.split(|b| *b == b'\n').next().unwrap_or_default();
    let delimiter = if !first_line.contains(&b',') && first_line.contains(&b';') { b';' } else { b',' };
    let mut reader = csv::ReaderBuilder::new().delimiter(delimiter).flexible(true).from_reader(bytes);
    let header: Vec<String> = match reader.headers() {
        Ok(record) => record.iter().map(|h| h.trim().to_ascii_lowercase()).collect(),
        Err(e) => return Err(FileError::Unreadable(format!("the CSV header cannot be read: {e}; send UTF-8 text"))),
    };
    if header.iter().all(String::is_empty) {
        return Err(FileError::Unreadable(format!(
            "the file is empty; send a CSV whose first line names the columns {}",
            CSV_REQUIRED.join(",")
        )));
    }
    let mut problems = Vec::new();
    for name in CSV_REQUIRED {
        if !header.iter().any(|h| h == name) {
            problems.push(Refusal::at(
                1,
                name,
                format!("the header has no column {name}; add it (it may be empty only where docs/import.md says so)"),
            ));
        }
    }
    for (index, name) in header.iter().enumerate() {
        if !CSV_REQUIRED.contains(&name.as_str()) && !CSV_OPTIONAL.contains(&name.as_str()) {
            problems.push(Refusal::at(
                1,
                name,
                format!(
                    "column '{name}' is not known; remove or rename it (columns: {}; optional: {})",
                    CSV_REQUIRED.join(", "),
                    CSV_OPTIONAL.join(", ")
                ),
            ));
        } else if header.iter().position(|h| h == name) != Some(index) {
            problems.push(Refusal::at(1, name, format!("column {name} appears more than once; keep one")));
        }
    }
    if !problems.is_empty() {
        return Err(FileError::Header(problems));
    }
    let column = |name: &str| header.iter().position(|h| h == name);
    let columns = [
        "source_id",
        "category",
        "description",
        "lat",
        "lon",
        "address",
        "created_at",
        "closed_at",
        "final_status",
        "department",
        "status_notes",
    ]
    .map(column);
    let mut parsed = Parsed::default();
    let mut record = csv::StringRecord::new();
    let mut lines = LineCounter { bytes, offset: 0, line: 1 };
    loop {
        match reader.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => {
                let line = e.position().map_or(lines.line, |p| lines.line_at(p.byte()));
                parsed
                    .refused
                    .push(Refusal::row(line, format!("the line cannot be read ({e}); save the file as UTF-8")));
                if matches!(e.kind(), csv::ErrorKind::Utf8 { .. }) {
                    continue;
                }
                break;
            }
        }
        let line = record.position().map_or(lines.line, |p| lines.line_at(p.byte()));
        if record.iter().all(|field| field.trim().is_empty()) {
            continue;
        }
        if record.len() != header.len() {
            parsed.refused.push(Refusal::row(
                line,
                format!(
                    "the line has {} fields and the header {}; check the quoting of text with commas",
                    record.len(),
                    header.len()
                ),
            ));
            continue;
        }
        let [
            source_id,
            category,
            description,
            lat,
            lon,
            address,
            created_at,
            closed_at,
            status,
            department,
            status_text,
        ] = columns.map(|index| index.and_then(|i| record.get(i)).and_then(text));
        parsed.rows.push(RawRow {
            line,
            source_id,
            category,
            description,
            lat,
            lon,
            address,
            created_at,
            closed_at,
            status,
            department,
            status_text,
        });
    }
    Ok(parsed)
}

/// Reads an Open311 GeoReport v2 `requests.json`: an array of service requests (or an
/// object with such an array under `service_requests`). Numbers and strings are both taken
/// where servers differ (ids, coordinates). `updated_datetime` is the closing time of a
/// closed request.
pub fn parse_open311(bytes: &[u8]) -> Result<Parsed, FileError> {
    let document: Value = serde_json::from_slice(without_bom(bytes)).map_err(|e| {
        FileError::Unreadable(format!(
            "the file is not valid JSON (line {}, column {}): {e}; send an Open311 requests.json",
            e.line(),
            e.column()
        ))
    })?;
    let requests =
        match document {
            Value::Array(items) => items,
            Value::Object(mut object) => match object.remove("service_requests") {
                Some(Value::Array(items)) => items,
                _ => return Err(FileError::Unreadable(
                    "the JSON is not a list of service requests; send the array GET /open311/v2/requests.json answers"
                        .into(),
                )),
            },
            _ => {
                return Err(FileError::Unreadable(
                    "the JSON is not a list of service requests; send the array GET /open311/v2/requests.json answers"
                        .into(),
                ));
            }
        };
    let mut parsed = Parsed::default();
    for (index, request) in requests.into_iter().enumerate() {
        let Value::Object(fields) = request else {
            parsed.refused.push(Refusal::row(index, "a service request must be a JSON object".into()));
            continue;
        };
        let get = |key: &str| match fields.get(key) {
            Some(Value::String(s)) => text(s),
            Some(Value::Number(n)) => Some(n.to_string()),
            _ => None,
        };
        let status = get("status");
        let closed = status.as_deref().is_some_and(|s| s.eq_ignore_ascii_case("closed"));
        parsed.rows.push(RawRow {
            line: index,
            source_id: get("service_request_id"),
            category: get("service_code"),
            description: get("description"),
            lat: get("lat"),
            lon: get("long"),
            address: get("address"),
            created_at: get("requested_datetime"),
            closed_at: if closed { get("updated_datetime") } else { None },
            status,
            department: None,
            status_text: get("status_notes"),
        });
    }
    Ok(parsed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_format_follows_the_extension_else_the_content() {
        assert_eq!(Format::detect(Some("export.CSV"), b"[]"), Format::Csv);
        assert_eq!(Format::detect(Some("requests.json"), b"a,b"), Format::Open311);
        assert_eq!(Format::detect(None, b"\xEF\xBB\xBF  [{}]"), Format::Open311);
        assert_eq!(Format::detect(Some("dump"), b"source_id,category"), Format::Csv);
    }

    #[test]
    fn csv_rows_carry_the_line_they_start_on_even_with_quoted_line_breaks() {
        let file = "source_id,category,description,lat,lon,created_at,final_status,closed_at\n\
                    A1,grofvuil,\"twee\nregels\",50.88,5.98,2024-03-01 09:30:00,resolved,2024-03-02 10:00:00\n\
                    \n\
                    A2,grofvuil,,50.88,5.98,2024-03-01T09:30:00Z,new,\n";
        let parsed = parse_csv(file.as_bytes()).unwrap_or_default();
        let lines: Vec<usize> = parsed.rows.iter().map(|r| r.line).collect();
        assert_eq!(lines, vec![2, 5]);
        assert_eq!(parsed.rows.first().and_then(|r| r.description.clone()).as_deref(), Some("twee\nregels"));
        assert_eq!(parsed.rows.get(1).and_then(|r| r.description.clone()), None);
        let crlf = file.replace('\n', "\r\n");
        let lines: Vec<usize> = parse_csv(crlf.as_bytes()).unwrap().rows.iter().map(|r| r.line).collect();
        assert_eq!(lines, vec![2, 5]);
    }

    #[test]
    fn a_csv_header_with_a_missing_or_unknown_column_is_refused_at_line_1() {
        let Err(FileError::Header(problems)) =
            parse_csv(b"source_id,category,lat,lon,created_at,final_status,colour\n")
        else {
            panic!("expected a header problem");
        };
        let pointers: Vec<&str> = problems.iter().map(|p| p.pointer.as_str()).collect();
        assert_eq!(pointers, ["/rows/1/description", "/rows/1/colour"]);
    }

    #[test]
    fn a_semicolon_separated_csv_is_read_too() {
        let parsed = parse_csv(b"source_id;category;description;lat;lon;created_at;final_status\nX;a;b;1;2;3;new\n")
            .unwrap_or_default();
        assert_eq!(parsed.rows.first().and_then(|r| r.lat.clone()).as_deref(), Some("1"));
    }

    #[test]
    fn open311_requests_take_numbers_or_strings_and_close_at_updated_datetime() {
        let file = br#"[{"service_request_id": 17, "service_code": "grofvuil", "lat": "50.88", "long": 5.98,
            "requested_datetime": "2024-03-01T09:30:00+01:00", "updated_datetime": "2024-03-02T09:30:00+01:00",
            "status": "closed"}, 3, {"service_request_id": "B", "status": "open", "updated_datetime": "2024-03-05"}]"#;
        let parsed = parse_open311(file).unwrap_or_default();
        assert_eq!(parsed.rows.len(), 2);
        let first = parsed.rows.first().cloned().unwrap_or_default();
        assert_eq!((first.source_id.as_deref(), first.lon.as_deref()), (Some("17"), Some("5.98")));
        assert_eq!(first.closed_at.as_deref(), Some("2024-03-02T09:30:00+01:00"));
        assert_eq!(parsed.rows.get(1).and_then(|r| r.closed_at.clone()), None);
        assert_eq!(parsed.refused.first().map(|r| r.pointer.as_str()), Some("/rows/1"));
        assert!(matches!(parse_open311(b"{\"a\": 1}"), Err(FileError::Unreadable(_))));
    }
}
