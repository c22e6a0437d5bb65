//! The records as files: CSV lines, GeoJSON features and the Frictionless Table Schema
//! (the machine-readable data dictionary), all made from [`COLUMNS`] so that the files and
//! their documentation cannot drift apart. The writers append to a buffer, one page of
//! records at a time, so a download never holds more than a page.

use serde_json::{Map, Value as Json, json};

use super::records::{COLUMNS, Column, FieldType, PRIMARY_KEY, Record, Value};

/// The CSV header line (column names in order, CRLF-terminated as RFC 4180 asks).
pub fn csv_header() -> String {
    let names: Vec<&str> = COLUMNS.iter().map(|c| c.name).collect();
    format!("{}\r\n", names.join(","))
}

/// Appends one CSV line per record.
pub fn write_csv(out: &mut Vec<u8>, records: &[Record]) {
    for record in records {
        for (n, column) in COLUMNS.iter().enumerate() {
            if n > 0 {
                out.push(b',');
            }
            push_csv_value(out, &record.value(column.field));
        }
        out.extend_from_slice(b"\r\n");
    }
}

fn push_csv_value(out: &mut Vec<u8>, value: &Value<'_>) {
    match value {
        Value::Text(text) if text.bytes().any(|b| matches!(b, b',' | b'"' | b'\r' | b'\n')) => {
            out.push(b'"');
            out.extend_from_slice(text.replace('"', "\"\"").as_bytes());
            out.push(b'"');
        }
        Value::Text(text) => out.extend_from_slice(text.as_bytes()),
        Value::Date(date) => out.extend_from_slice(date.format("%Y-%m-%d").to_string().as_bytes()),
        Value::Integer(number) => out.extend_from_slice(number.to_string().as_bytes()),
        Value::Number(number) => push_json(out, &json!(number)),
        Value::Empty => {}
    }
}

/// The start of the GeoJSON FeatureCollection (the features follow).
pub const GEOJSON_START: &str = r#"{"type":"FeatureCollection","features":["#;
/// The end of the GeoJSON FeatureCollection.
pub const GEOJSON_END: &str = "]}\n";

/// Appends one Point feature per record, its properties the columns in order;
/// `first`: whether no feature was written before (no comma ahead of the first).
pub fn write_features(out: &mut Vec<u8>, records: &[Record], mut first: bool) {
    for record in records {
        if !first {
            out.push(b',');
        }
        first = false;
        out.extend_from_slice(br#"{"type":"Feature","geometry":{"type":"Point","coordinates":["#);
        push_json(out, &json!(record.location.lon));
        out.push(b',');
        push_json(out, &json!(record.location.lat));
        out.extend_from_slice(br#"]},"properties":{"#);
        for (n, column) in COLUMNS.iter().enumerate() {
            if n > 0 {
                out.push(b',');
            }
            push_json(out, &Json::from(column.name));
            out.push(b':');
            let value = match record.value(column.field) {
                Value::Text(text) => Json::from(text),
                Value::Date(date) => Json::from(date.format("%Y-%m-%d").to_string()),
                Value::Integer(number) => Json::from(number),
                Value::Number(number) => json!(number),
                Value::Empty => Json::Null,
            };
            push_json(out, &value);
        }
        out.extend_from_slice(b"}}");
    }
}

fn push_json(out: &mut Vec<u8>, value: &Json) {
    if serde_json::to_writer(&mut *out, value).is_err() {
        out.extend_from_slice(b"null");
    }
}

/// One field of the Table Schema.
fn schema_field(column: &Column) -> Json {
    let mut constraints = Map::new();
    constraints.insert("required".into(), Json::from(column.required));
    if column.name == PRIMARY_KEY {
        constraints.insert("unique".into(), Json::from(true));
    }
    if let Some(pattern) = column.pattern {
        constraints.insert("pattern".into(), Json::from(pattern));
    }
    if !column.allowed.is_empty() {
        constraints.insert("enum".into(), Json::from(column.allowed.to_vec()));
    }
    if let Some((minimum, maximum)) = column.range {
        constraints.insert("minimum".into(), json!(minimum));
        constraints.insert("maximum".into(), json!(maximum));
    }
    let mut field = json!({
        "name": column.name,
        "type": column.field_type.as_str(),
        "format": column.format,
        "description": column.description,
        "constraints": constraints,
    });
    if column.field_type == FieldType::Integer
        && let Some(object) = field.as_object_mut()
    {
        object.insert("bareNumber".into(), Json::from(true));
    }
    field
}

/// The Frictionless Table Schema of the records CSV (and of the GeoJSON properties).
pub fn table_schema() -> Json {
    json!({
        "$schema": "https://frictionlessdata.io/schemas/table-schema.json",
        "name": "meldpunt-records",
        "title": "Meldingen openbare ruimte (records)",
        "description": "One line per report in a public category, received in the year of the file (Europe/Amsterdam). \
            No text, address, photos, contact details or answers of any report; reports in categories whose exact \
            place is sensitive are placed at the centre of their ~280 m grid cell. Reports merged into another as \
            duplicates are left out (they count as the report they were merged into).",
        "fields": COLUMNS.iter().map(schema_field).collect::<Vec<_>>(),
        "primaryKey": PRIMARY_KEY,
        "missingValues": [""],
    })
}

#[cfg(test)]
mod tests {
    use chrono::NaiveDate;

    use super::*;
    use crate::domain::open_data::records::LocationPrecision;
    use crate::domain::report::Location;

    fn record() -> Record {
        Record {
            reference: "K7QM-3XRD".into(),
            category: "veeg-zwerfvuil".into(),
            main_category: "afval".into(),
            status: "resolved".into(),
            received_on: NaiveDate::from_ymd_opt(2025, 3, 1).unwrap_or_default(),
            resolved_on: NaiveDate::from_ymd_opt(2025, 3, 4),
            gemeente_code: Some("GM0917".into()),
            wijk_code: Some("WK091710".into()),
            buurt_code: None,
            boundary_year: Some(2025),
            location: Location { lat: 50.88875, lon: 5.978 },
            precision: LocationPrecision::Cell280m,
        }
    }

    #[test]
    fn a_csv_line_has_a_value_per_column_of_the_header() {
        let mut out = Vec::new();
        write_csv(&mut out, &[record()]);
        let line = String::from_utf8(out).unwrap_or_default();
        assert_eq!(
            line,
            "K7QM-3XRD,veeg-zwerfvuil,afval,resolved,2025-03-01,2025-03-04,GM0917,WK091710,,2025,5.978,50.88875,cell_280m\r\n"
        );
        assert_eq!(csv_header().split(',').count(), line.split(',').count());
    }

    #[test]
    fn a_feature_carries_the_columns_as_typed_properties() {
        let mut out = GEOJSON_START.as_bytes().to_vec();
        write_features(&mut out, &[record(), record()], true);
        out.extend_from_slice(GEOJSON_END.as_bytes());
        let parsed: Json = serde_json::from_slice(&out).unwrap_or_default();
        let features = parsed["features"].as_array().cloned().unwrap_or_default();
        assert_eq!(features.len(), 2);
        let properties = &features[0]["properties"];
        assert_eq!(properties["boundary_year"], 2025);
        assert_eq!(properties["buurt_code"], Json::Null);
        assert_eq!(properties["received_on"], "2025-03-01");
        assert_eq!(features[0]["geometry"]["coordinates"], json!([5.978, 50.88875]));
        let names: Vec<&str> =
            properties.as_object().map(|o| o.keys().map(String::as_str).collect()).unwrap_or_default();
        assert_eq!(names.len(), COLUMNS.len());
    }

    #[test]
    fn the_schema_lists_every_column_in_order_with_its_type() {
        let schema = table_schema();
        let names: Vec<&str> = schema["fields"]
            .as_array()
            .map(|f| f.iter().filter_map(|f| f["name"].as_str()).collect())
            .unwrap_or_default();
        assert_eq!(csv_header().trim_end(), names.join(","));
        assert_eq!(schema["primaryKey"], "reference");
    }
}
