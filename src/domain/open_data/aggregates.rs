//! The aggregates as published: their columns (one list, read by the CSV writer, the
//! GeoJSON writer and the Table Schema), and the method note every answer carries.

use serde_json::{Value, json};

use super::disclosure::Rule;
use super::grid::{OpenGrid, OpenRow};
use crate::domain::area::AreaLevel;
use crate::domain::spatial::AreaIndex;

/// The disclosure control, in one line.
pub const METHOD: &str = "counts below min_count are published as \"fewer than N\" (primary suppression), zeros too; the others are rounded to the nearest multiple of rounding_base (never to 0; 1: exact) and every cell is rounded on its own, so parts need not add up to their total; then secondary suppression over the area, category and period hierarchies of the whole grid until no hidden count can be worked out from the published ones";

/// Where the method is explained with its reasoning.
pub const METHOD_DOC: &str = "docs/open-data.md#disclosure-control";

/// A column of a published table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Field {
    /// Its name (stable across versions and municipalities).
    pub name: &'static str,
    /// Its Table Schema type.
    pub kind: &'static str,
    /// What it holds.
    pub description: &'static str,
    /// The values it may take, where they are few.
    pub values: &'static [&'static str],
}

const fn field(name: &'static str, kind: &'static str, description: &'static str) -> Field {
    Field { name, kind, description, values: &[] }
}

/// The columns of the aggregates, in file order.
pub const FIELDS: [Field; 12] = [
    field("gemeente_code", "string", "CBS code of the municipality (GM....)"),
    field("boundary_year", "integer", "The CBS boundary year of the area codes"),
    Field {
        name: "level",
        kind: "string",
        description: "Area level of the row",
        values: &["gemeente", "wijk", "buurt"],
    },
    field("area_code", "string", "CBS code of the area (GM...., WK......, BU........)"),
    field("area_name", "string", "Name of the area in that boundary year"),
    Field {
        name: "period_type",
        kind: "string",
        description: "Length of the period; only ended periods are published",
        values: &["month", "quarter", "year"],
    },
    field("period", "string", "The period in Europe/Amsterdam: 2025-03, 2025-Q1 or 2025"),
    field("category", "string", "Slug of the public category, or all for every public category together"),
    field(
        "received",
        "integer",
        "Reports received in the period, rounded to a multiple of the rounding base (5 unless the publisher chose otherwise); empty when hidden (see received_suppressed)",
    ),
    field(
        "received_suppressed",
        "string",
        "Empty when received is published; else why it is hidden: \"fewer than N\" or \"hidden to protect a small count\"",
    ),
    field(
        "resolved",
        "integer",
        "Reports resolved in the period, rounded as received; empty when hidden (see resolved_suppressed)",
    ),
    field(
        "resolved_suppressed",
        "string",
        "Empty when resolved is published; else why it is hidden, as received_suppressed",
    ),
];

fn record(grid: &OpenGrid, row: &OpenRow) -> [String; 12] {
    let number = |n: Option<i64>| n.map(|n| n.to_string()).unwrap_or_default();
    [
        grid.gemeente.clone(),
        grid.boundary_year.to_string(),
        row.level.to_owned(),
        row.area_code.clone(),
        row.area_name.clone(),
        row.period_type.to_owned(),
        row.period.clone(),
        row.category.clone(),
        number(row.received),
        row.received_suppressed.clone().unwrap_or_default(),
        number(row.resolved),
        row.resolved_suppressed.clone().unwrap_or_default(),
    ]
}

/// The rows as CSV with the columns of [`FIELDS`].
pub fn csv(grid: &OpenGrid, rows: &[OpenRow]) -> Result<String, csv::Error> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    writer.write_record(FIELDS.iter().map(|f| f.name))?;
    for row in rows {
        writer.write_record(record(grid, row))?;
    }
    let bytes = writer.into_inner().map_err(|e| csv::Error::from(e.into_error()))?;
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

/// The Frictionless Table Schema of the aggregates.
pub fn table_schema() -> Value {
    let fields: Vec<Value> = FIELDS
        .iter()
        .map(|f| {
            let counted = f.name == "received" || f.name == "resolved";
            let constraints = if !f.values.is_empty() {
                json!({ "required": true, "enum": f.values })
            } else if counted {
                json!({ "minimum": 0 })
            } else if f.name.ends_with("suppressed") {
                json!({})
            } else {
                json!({ "required": true })
            };
            json!({ "name": f.name, "type": f.kind, "description": f.description, "constraints": constraints })
        })
        .collect();
    json!({
        "$schema": "https://frictionlessdata.io/schemas/table-schema.json",
        "name": "meldpunt-aggregates",
        "title": "Meldingen openbare ruimte per gebied, categorie en periode",
        "description": "Counts of reports about public space per CBS area, public category and ended period, protected so that they identify nobody (see method). Files of different municipalities and years stack.",
        "method": METHOD,
        "fields": fields,
        "missingValues": [""],
        "primaryKey": ["gemeente_code", "boundary_year", "area_code", "category", "period"],
    })
}

/// The rows of one period kind and category as a GeoJSON FeatureCollection: one feature per
/// area of `level` with its polygon, and per period the counts (`received_2025_03`, …).
pub fn geojson(
    grid: &OpenGrid,
    level: AreaLevel,
    rows: &[OpenRow],
    areas: &AreaIndex,
    rule: Rule,
) -> Result<Vec<u8>, serde_json::Error> {
    let mut features = Vec::new();
    for area in grid.areas.iter().filter(|a| a.level == level) {
        let mut properties = serde_json::Map::new();
        properties.insert("area_code".into(), json!(area.code));
        properties.insert("area_name".into(), json!(area.name));
        properties.insert("level".into(), json!(level.as_str()));
        properties.insert("gemeente_code".into(), json!(grid.gemeente));
        properties.insert("boundary_year".into(), json!(grid.boundary_year));
        for row in rows.iter().filter(|r| r.area_code == area.code) {
            properties.entry("category").or_insert_with(|| json!(row.category));
            let key = row.period.replace('-', "_");
            properties.insert(format!("received_{key}"), json!(row.received));
            properties.insert(format!("received_{key}_suppressed"), json!(row.received_suppressed));
            properties.insert(format!("resolved_{key}"), json!(row.resolved));
            properties.insert(format!("resolved_{key}_suppressed"), json!(row.resolved_suppressed));
        }
        let geometry = areas
            .areas()
            .iter()
            .find(|a| a.level == level && a.code == area.code)
            .map(|a| serde_json::to_value(geojson::Geometry::new(geojson::GeometryValue::from(&a.geometry))))
            .transpose()?
            .unwrap_or(Value::Null);
        features.push(json!({ "type": "Feature", "id": area.code, "geometry": geometry, "properties": properties }));
    }
    serde_json::to_vec(&json!({
        "type": "FeatureCollection",
        "boundary_year": grid.boundary_year,
        "year": grid.year,
        "min_count": rule.min_count,
        "rounding_base": rule.base,
        "method": METHOD,
        "attribution": super::boundary_attribution(grid.boundary_year),
        "features": features,
    }))
}
