//! Report-level open data: one line per report in a public category, with nothing that can
//! identify the reporter. The columns are defined once, in [`COLUMNS`]: the CSV header, the
//! GeoJSON properties and the Table Schema (the data dictionary) are all made from it, so
//! they cannot drift apart.
//!
//! What a record holds is decided here from what storage read ([`StoredRecord`], which
//! holds no text, address, contact or answers to begin with): reports in non-public
//! categories give no record, and those in sensitive categories are placed at the centre of
//! their ~280 m grid cell by the same rule as every public view ([`privacy::disclose`]).

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use uuid::Uuid;

use crate::domain::category::Catalog;
use crate::domain::privacy::{self, Audience};
use crate::domain::report::Location;
use crate::domain::stats::period::{local_date, local_midnight};
use crate::domain::validation::FieldError;

/// The first year that can be asked for.
pub const FIRST_YEAR: i32 = 2000;

/// What storage reads of a report for the records (never text, address, contact or answers).
#[derive(Debug, Clone, PartialEq)]
pub struct StoredRecord {
    pub id: Uuid,
    pub reference: String,
    pub category_id: Uuid,
    pub status: String,
    pub created_at: DateTime<Utc>,
    /// When it was last resolved or cancelled (`None` while open).
    pub settled_at: Option<DateTime<Utc>>,
    pub gemeente_code: Option<String>,
    pub wijk_code: Option<String>,
    pub buurt_code: Option<String>,
    /// The boundary year its areas were stamped with.
    pub area_year: Option<i32>,
    /// The exact place (coarsened here where the category asks for it).
    pub lat: f64,
    pub lon: f64,
}

/// How precise a record's location is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LocationPrecision {
    /// Where the report was made.
    Exact,
    /// The centre of the ~280 m grid cell it lies in (sensitive categories).
    Cell280m,
}

impl LocationPrecision {
    /// The published name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Exact => "exact",
            Self::Cell280m => "cell_280m",
        }
    }
}

/// One published record.
#[derive(Debug, Clone, PartialEq)]
pub struct Record {
    pub reference: String,
    pub category: String,
    pub main_category: String,
    pub status: String,
    pub received_on: NaiveDate,
    pub resolved_on: Option<NaiveDate>,
    pub gemeente_code: Option<String>,
    pub wijk_code: Option<String>,
    pub buurt_code: Option<String>,
    pub boundary_year: Option<i32>,
    pub location: Location,
    pub precision: LocationPrecision,
}

/// A column's Table Schema type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldType {
    String,
    Integer,
    Number,
    Date,
}

impl FieldType {
    /// The Table Schema name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::String => "string",
            Self::Integer => "integer",
            Self::Number => "number",
            Self::Date => "date",
        }
    }
}

/// Which value a column holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    Reference,
    Category,
    MainCategory,
    Status,
    ReceivedOn,
    ResolvedOn,
    GemeenteCode,
    WijkCode,
    BuurtCode,
    BoundaryYear,
    Longitude,
    Latitude,
    LocationPrecision,
}

/// One column of the records: its stable name, type and documentation.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Column {
    pub field: Field,
    pub name: &'static str,
    pub field_type: FieldType,
    /// Table Schema `format` (`default` unless said otherwise).
    pub format: &'static str,
    pub description: &'static str,
    /// Whether every record has a value.
    pub required: bool,
    /// A pattern every value matches (Table Schema `constraints.pattern`).
    pub pattern: Option<&'static str>,
    /// The values it can take (Table Schema `constraints.enum`).
    pub allowed: &'static [&'static str],
    /// Smallest and largest value of a number.
    pub range: Option<(f64, f64)>,
}

const STATUSES: &[&str] = &[
    "new",
    "accepted",
    "in_progress",
    "on_hold",
    "scheduled",
    "resolved",
    "cancelled",
    "reopened",
    "reopen_requested",
];

const fn column(field: Field, name: &'static str, field_type: FieldType, description: &'static str) -> Column {
    Column {
        field,
        name,
        field_type,
        format: "default",
        description,
        required: true,
        pattern: None,
        allowed: &[],
        range: None,
    }
}

/// The columns of the records, in the order of the CSV file. Names are stable: a new
/// column is added at the end, none is renamed or removed.
pub const COLUMNS: [Column; 13] = [
    Column {
        pattern: Some("^[A-Z0-9]{4}-[A-Z0-9]{4}$"),
        ..column(
            Field::Reference,
            "reference",
            FieldType::String,
            "The report's public reference, as the API and the emails show it (unique).",
        )
    },
    column(Field::Category, "category", FieldType::String, "The slug of the report's (sub)category."),
    column(
        Field::MainCategory,
        "main_category",
        FieldType::String,
        "The slug of its main category (the category itself when it is a main category).",
    ),
    Column { allowed: STATUSES, ..column(Field::Status, "status", FieldType::String, "The report's current status.") },
    column(
        Field::ReceivedOn,
        "received_on",
        FieldType::Date,
        "The day the report was received, in Europe/Amsterdam (a date, no time).",
    ),
    Column {
        required: false,
        ..column(
            Field::ResolvedOn,
            "resolved_on",
            FieldType::Date,
            "The day it was resolved, in Europe/Amsterdam; empty unless its status is resolved.",
        )
    },
    Column {
        required: false,
        pattern: Some("^GM[0-9]{4}$"),
        ..column(
            Field::GemeenteCode,
            "gemeente_code",
            FieldType::String,
            "CBS code of the municipality the report lies in, in boundary_year.",
        )
    },
    Column {
        required: false,
        pattern: Some("^WK[0-9]{6}$"),
        ..column(Field::WijkCode, "wijk_code", FieldType::String, "CBS code of the wijk (district), in boundary_year.")
    },
    Column {
        required: false,
        pattern: Some("^BU[0-9]{8}$"),
        ..column(
            Field::BuurtCode,
            "buurt_code",
            FieldType::String,
            "CBS code of the buurt (neighbourhood), in boundary_year.",
        )
    },
    Column {
        required: false,
        ..column(
            Field::BoundaryYear,
            "boundary_year",
            FieldType::Integer,
            "The year of the CBS boundaries the area codes are of (the boundaries in force when the report was received).",
        )
    },
    Column {
        range: Some((-180.0, 180.0)),
        ..column(
            Field::Longitude,
            "longitude",
            FieldType::Number,
            "WGS84 longitude in degrees: exact, or the centre of a ~280 m grid cell (see location_precision).",
        )
    },
    Column {
        range: Some((-90.0, 90.0)),
        ..column(
            Field::Latitude,
            "latitude",
            FieldType::Number,
            "WGS84 latitude in degrees: exact, or the centre of a ~280 m grid cell (see location_precision).",
        )
    },
    Column {
        allowed: &["exact", "cell_280m"],
        ..column(
            Field::LocationPrecision,
            "location_precision",
            FieldType::String,
            "exact: where the report was made; cell_280m: the centre of the ~280 m grid cell it lies in (categories whose exact place is sensitive), as the public map shows it.",
        )
    },
];

/// The column the records are identified by.
pub const PRIMARY_KEY: &str = "reference";

/// A typed value of a record's column.
#[derive(Debug, Clone, PartialEq)]
pub enum Value<'a> {
    Text(&'a str),
    Date(NaiveDate),
    Integer(i64),
    Number(f64),
    Empty,
}

impl Record {
    /// What is published of `stored`, or `None` when its category is not public (or not
    /// known to `catalog`).
    pub fn publish(stored: &StoredRecord, catalog: &Catalog) -> Option<Record> {
        let category = catalog.category(stored.category_id)?;
        let exact = Location { lat: stored.lat, lon: stored.lon };
        let location = privacy::disclose(category, exact, Audience::Public).location?;
        let main = category.parent_id.and_then(|id| catalog.category(id)).unwrap_or(category);
        let resolved = stored.status == "resolved";
        Some(Record {
            reference: stored.reference.clone(),
            category: category.slug.clone(),
            main_category: main.slug.clone(),
            status: stored.status.clone(),
            received_on: local_date(stored.created_at.timestamp()),
            resolved_on: stored.settled_at.filter(|_| resolved).map(|at| local_date(at.timestamp())),
            gemeente_code: stored.gemeente_code.clone(),
            wijk_code: stored.wijk_code.clone(),
            buurt_code: stored.buurt_code.clone(),
            boundary_year: stored.area_year,
            location,
            precision: if category.is_sensitive { LocationPrecision::Cell280m } else { LocationPrecision::Exact },
        })
    }

    /// The value of one column.
    pub fn value(&self, field: Field) -> Value<'_> {
        match field {
            Field::Reference => Value::Text(&self.reference),
            Field::Category => Value::Text(&self.category),
            Field::MainCategory => Value::Text(&self.main_category),
            Field::Status => Value::Text(&self.status),
            Field::ReceivedOn => Value::Date(self.received_on),
            Field::ResolvedOn => self.resolved_on.map_or(Value::Empty, Value::Date),
            Field::GemeenteCode => optional_text(self.gemeente_code.as_deref()),
            Field::WijkCode => optional_text(self.wijk_code.as_deref()),
            Field::BuurtCode => optional_text(self.buurt_code.as_deref()),
            Field::BoundaryYear => self.boundary_year.map_or(Value::Empty, |y| Value::Integer(i64::from(y))),
            Field::Longitude => Value::Number(self.location.lon),
            Field::Latitude => Value::Number(self.location.lat),
            Field::LocationPrecision => Value::Text(self.precision.as_str()),
        }
    }
}

fn optional_text(value: Option<&str>) -> Value<'_> {
    value.map_or(Value::Empty, Value::Text)
}

/// The year asked for, checked: given, a whole number, from [`FIRST_YEAR`] to `this_year`.
pub fn check_year(year: Option<&str>, this_year: i32) -> Result<i32, FieldError> {
    let wrong = |detail: String| FieldError { pointer: "/year".into(), detail };
    let expected =
        format!("send the year of receipt as a whole number from {FIRST_YEAR} to {this_year}, e.g. year={this_year}");
    let Some(text) = year.map(str::trim).filter(|t| !t.is_empty()) else {
        return Err(wrong(format!("year is required: {expected}")));
    };
    match text.parse::<i32>() {
        Ok(year) if (FIRST_YEAR..=this_year).contains(&year) => Ok(year),
        Ok(year) => Err(wrong(format!("{year} is out of range: {expected}"))),
        Err(_) => Err(wrong(format!("{text:?} is not a year: {expected}"))),
    }
}

/// The year in Europe/Amsterdam that `at` falls in.
pub fn local_year(at: DateTime<Utc>) -> i32 {
    local_date(at.timestamp()).year()
}

/// The instants a year of receipt spans in Europe/Amsterdam: start (inclusive) and end
/// (exclusive).
pub fn year_span(year: i32) -> (DateTime<Utc>, DateTime<Utc>) {
    let first = |year: i32| NaiveDate::from_ymd_opt(year, 1, 1).unwrap_or(NaiveDate::MIN);
    (local_midnight(first(year)), local_midnight(first(year.saturating_add(1))))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_field_has_exactly_one_column_and_names_are_unique() {
        let names: std::collections::BTreeSet<&str> = COLUMNS.iter().map(|c| c.name).collect();
        assert_eq!(names.len(), COLUMNS.len());
        assert!(COLUMNS.iter().any(|c| c.name == PRIMARY_KEY && c.required));
    }

    #[test]
    fn a_year_is_required_and_must_lie_between_the_first_year_and_now() {
        assert_eq!(check_year(Some("2025"), 2026), Ok(2025));
        for bad in [None, Some(""), Some("1999"), Some("2027"), Some("twintig"), Some("2025.5")] {
            let error = check_year(bad, 2026).err().map(|e| (e.pointer, e.detail.contains("2000 to 2026")));
            assert_eq!(error, Some(("/year".into(), true)), "{bad:?}");
        }
    }

    #[test]
    fn a_year_spans_local_midnight_to_local_midnight() {
        let (start, end) = year_span(2025);
        assert_eq!(start.to_rfc3339(), "2024-12-31T23:00:00+00:00");
        assert_eq!(end.to_rfc3339(), "2025-12-31T23:00:00+00:00");
        assert_eq!(local_year(start), 2025);
        assert_eq!(local_year(end), 2026);
    }
}
