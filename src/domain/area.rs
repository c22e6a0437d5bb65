//! CBS areas: gemeente, wijk and buurt polygons by boundary year, parsed from GeoJSON and
//! checked before anything is stored.

use geo::{BoundingRect, Coord, LineString, MultiPolygon, Polygon, Validation};
use serde_json::{Map, Value, json};

/// The three CBS levels.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize, utoipa::ToSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum AreaLevel {
    /// Municipality (`GM` + 4 digits).
    Gemeente,
    /// District (`WK` + 6 digits: gemeente digits + 2).
    Wijk,
    /// Neighbourhood (`BU` + 8 digits: wijk digits + 2).
    Buurt,
}

impl AreaLevel {
    /// The stored and wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Gemeente => "gemeente",
            Self::Wijk => "wijk",
            Self::Buurt => "buurt",
        }
    }

    /// Parses a level name.
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "gemeente" => Some(Self::Gemeente),
            "wijk" => Some(Self::Wijk),
            "buurt" => Some(Self::Buurt),
            _ => None,
        }
    }

    /// The level a code belongs to, when the code is well formed.
    pub fn of_code(code: &str) -> Option<Self> {
        let digits = |prefix: &str, n: usize| {
            code.strip_prefix(prefix).is_some_and(|rest| rest.len() == n && rest.bytes().all(|b| b.is_ascii_digit()))
        };
        if digits("GM", 4) {
            Some(Self::Gemeente)
        } else if digits("WK", 6) {
            Some(Self::Wijk)
        } else if digits("BU", 8) {
            Some(Self::Buurt)
        } else {
            None
        }
    }

    fn example(self) -> &'static str {
        match self {
            Self::Gemeente => "GM0917",
            Self::Wijk => "WK091710",
            Self::Buurt => "BU09171000",
        }
    }
}

/// The gemeente code a wijk or buurt code belongs to (CBS coding rule).
pub fn gemeente_of(code: &str) -> Option<String> {
    code.get(2..6).map(|digits| format!("GM{digits}"))
}

/// The wijk code a buurt code belongs to (CBS coding rule).
pub fn wijk_of(buurt_code: &str) -> Option<String> {
    buurt_code.get(2..8).map(|digits| format!("WK{digits}"))
}

/// One area with its polygon.
#[derive(Debug, Clone, PartialEq)]
pub struct Area {
    pub level: AreaLevel,
    /// CBS code, e.g. `BU09171000`.
    pub code: String,
    pub name: String,
    /// Boundary year.
    pub year: i32,
    /// The municipality it lies in (itself for a gemeente).
    pub gemeente_code: String,
    /// The wijk of a buurt; `None` for other levels.
    pub wijk_code: Option<String>,
    /// Its shape (WGS84 lon/lat).
    pub geometry: MultiPolygon<f64>,
}

/// Why an area file was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct AreaFileError(pub String);

const MAX_FEATURES: usize = 100_000;

/// Parses a GeoJSON FeatureCollection of areas of one level and year. Every feature needs a
/// Polygon or MultiPolygon with closed rings and a valid shape, and a code of the level
/// (property `code`, or CBS's `statcode`, `buurtcode`, `wijkcode`, `gemeentecode`); names come
/// from `name` or `statnaam` (or the code). Codes must be unique in the file.
pub fn parse_area_file(document: &Value, level: AreaLevel, year: i32) -> Result<Vec<Area>, AreaFileError> {
    let fail = |message: String| Err(AreaFileError(message));
    if !(1900..=2200).contains(&year) {
        return fail(format!("year {year} is not a boundary year; send e.g. 2025"));
    }
    let Some(object) = document.as_object() else {
        return fail("the file is not GeoJSON: expected a JSON object of type FeatureCollection".into());
    };
    if object.get("type").and_then(Value::as_str) != Some("FeatureCollection") {
        return fail("the file is not a GeoJSON FeatureCollection (its \"type\" must be \"FeatureCollection\")".into());
    }
    let Some(features) = object.get("features").and_then(Value::as_array) else {
        return fail("the FeatureCollection has no \"features\" array".into());
    };
    if features.is_empty() {
        return fail("the FeatureCollection has no features".into());
    }
    if features.len() > MAX_FEATURES {
        return fail(format!("the file has {} features; at most {MAX_FEATURES} are accepted", features.len()));
    }
    let mut areas: Vec<Area> = Vec::with_capacity(features.len());
    let mut seen = std::collections::HashSet::new();
    for (index, feature) in features.iter().enumerate() {
        let area = parse_feature(feature, level, year).map_err(|e| AreaFileError(format!("feature {index}: {e}")))?;
        if !seen.insert(area.code.clone()) {
            return fail(format!("feature {index}: code {} appears more than once", area.code));
        }
        areas.push(area);
    }
    Ok(areas)
}

/// Why one feature of an area file is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
enum FeatureError {
    #[error("not a GeoJSON Feature object")]
    NotObject,
    #[error("its \"type\" is not \"Feature\"")]
    NotFeature,
    #[error("has no code (property \"code\" such as {example})")]
    NoCode { example: &'static str },
    /// A code of another level (or none at all).
    #[error("code '{code}' is not a {level} code such as {example}")]
    WrongLevel { code: String, level: &'static str, example: &'static str },
    /// `context` is the code and name of the area.
    #[error("{context} has no geometry")]
    NoGeometry { context: String },
    #[error("{context}: {why}")]
    Geometry { context: String, why: String },
}

fn parse_feature(feature: &Value, level: AreaLevel, year: i32) -> Result<Area, FeatureError> {
    let object = feature.as_object().ok_or(FeatureError::NotObject)?;
    if object.get("type").and_then(Value::as_str) != Some("Feature") {
        return Err(FeatureError::NotFeature);
    }
    let empty = Map::new();
    let properties = object.get("properties").and_then(Value::as_object).unwrap_or(&empty);
    let code_keys: &[&str] = match level {
        AreaLevel::Gemeente => &["code", "statcode", "gemeentecode"],
        AreaLevel::Wijk => &["code", "statcode", "wijkcode"],
        AreaLevel::Buurt => &["code", "statcode", "buurtcode"],
    };
    let code = code_keys
        .iter()
        .find_map(|key| properties.get(*key).and_then(Value::as_str))
        .or_else(|| object.get("id").and_then(Value::as_str))
        .ok_or_else(|| FeatureError::NoCode { example: level.example() })?
        .trim()
        .to_owned();
    if AreaLevel::of_code(&code) != Some(level) {
        return Err(FeatureError::WrongLevel { code, level: level.as_str(), example: level.example() });
    }
    let name = ["name", "statnaam", "buurtnaam", "wijknaam", "gemeentenaam"]
        .iter()
        .find_map(|key| properties.get(*key).and_then(Value::as_str))
        .map_or_else(|| code.clone(), |n| n.trim().to_owned());
    let context = format!("{code} ({name})");
    let Some(geometry) = object.get("geometry") else { return Err(FeatureError::NoGeometry { context }) };
    let geometry = match parse_geometry(geometry) {
        Ok(geometry) => geometry,
        Err(why) => return Err(FeatureError::Geometry { context, why }),
    };
    let (gemeente_code, wijk_code) = match level {
        AreaLevel::Gemeente => (code.clone(), None),
        AreaLevel::Wijk => (gemeente_of(&code).unwrap_or_default(), None),
        AreaLevel::Buurt => (gemeente_of(&code).unwrap_or_default(), wijk_of(&code)),
    };
    Ok(Area { level, code, name, year, gemeente_code, wijk_code, geometry })
}

/// Parses a GeoJSON Polygon or MultiPolygon geometry, checking ring closure and validity.
pub fn parse_geometry(geometry: &Value) -> Result<MultiPolygon<f64>, String> {
    let kind = geometry.get("type").and_then(Value::as_str).ok_or("the geometry has no \"type\"")?;
    let coordinates =
        geometry.get("coordinates").and_then(Value::as_array).ok_or("the geometry has no coordinates array")?;
    let polygons = match kind {
        "Polygon" => vec![parse_polygon(coordinates, "")?],
        "MultiPolygon" => coordinates
            .iter()
            .enumerate()
            .map(|(i, p)| {
                parse_polygon(p.as_array().ok_or(format!("polygon {i} is not an array"))?, &format!("polygon {i}, "))
            })
            .collect::<Result<Vec<_>, _>>()?,
        other => return Err(format!("the geometry is a {other}; send a Polygon or MultiPolygon")),
    };
    if polygons.is_empty() {
        return Err("the MultiPolygon has no polygons".into());
    }
    let shape = MultiPolygon(polygons);
    if let Err(problem) = shape.check_validation() {
        return Err(format!("the shape is invalid: {problem}"));
    }
    Ok(shape)
}

fn parse_polygon(rings: &[Value], context: &str) -> Result<Polygon<f64>, String> {
    let mut parsed = Vec::with_capacity(rings.len());
    for (index, ring) in rings.iter().enumerate() {
        let positions = ring.as_array().ok_or_else(|| format!("{context}ring {index} is not an array of positions"))?;
        let mut coords = Vec::with_capacity(positions.len());
        for position in positions {
            let pair = position.as_array().filter(|p| p.len() >= 2);
            let lon = pair.and_then(|p| p.first()).and_then(Value::as_f64);
            let lat = pair.and_then(|p| p.get(1)).and_then(Value::as_f64);
            match (lon, lat) {
                (Some(x), Some(y)) if (-180.0..=180.0).contains(&x) && (-90.0..=90.0).contains(&y) => {
                    coords.push(Coord { x, y })
                }
                _ => {
                    return Err(format!(
                        "{context}ring {index} has a position that is not [lon, lat] in WGS84: {position}"
                    ));
                }
            }
        }
        if coords.len() < 4 {
            return Err(format!(
                "{context}ring {index} has {} positions; a closed ring needs at least 4",
                coords.len()
            ));
        }
        if coords.first() != coords.last() {
            return Err(format!("{context}ring {index} is open: its first and last positions differ"));
        }
        parsed.push(LineString(coords));
    }
    let mut rings = parsed.into_iter();
    let exterior = rings.next().ok_or_else(|| format!("{context}the polygon has no rings"))?;
    Ok(Polygon::new(exterior, rings.collect()))
}

/// The GeoJSON geometry object of a shape.
pub fn geometry_json(shape: &MultiPolygon<f64>) -> Value {
    let ring = |line: &LineString<f64>| Value::Array(line.0.iter().map(|c| json!([c.x, c.y])).collect());
    let polygon = |p: &Polygon<f64>| {
        let mut rings = vec![ring(p.exterior())];
        rings.extend(p.interiors().iter().map(ring));
        Value::Array(rings)
    };
    match shape.0.as_slice() {
        [single] => json!({"type": "Polygon", "coordinates": polygon(single)}),
        many => json!({"type": "MultiPolygon", "coordinates": many.iter().map(polygon).collect::<Vec<_>>()}),
    }
}

/// The bounding box `[min_lon, min_lat, max_lon, max_lat]` of a shape.
pub fn bounding_box(shape: &MultiPolygon<f64>) -> [f64; 4] {
    shape.bounding_rect().map_or([0.0; 4], |r| [r.min().x, r.min().y, r.max().x, r.max().y])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn collection(features: Value) -> Value {
        json!({"type": "FeatureCollection", "features": features})
    }

    fn square(code: &str) -> Value {
        json!({"type": "Feature", "properties": {"code": code, "name": "Test"},
            "geometry": {"type": "Polygon", "coordinates": [[[5.9, 50.8], [5.91, 50.8], [5.91, 50.81], [5.9, 50.81], [5.9, 50.8]]]}})
    }

    #[test]
    fn a_well_formed_buurt_file_is_parsed_with_its_wijk_and_gemeente() {
        let areas =
            parse_area_file(&collection(json!([square("BU09171000")])), AreaLevel::Buurt, 2025).unwrap_or_default();
        assert_eq!(areas.len(), 1);
        assert_eq!(
            areas.first().map(|a| (a.wijk_code.clone(), a.gemeente_code.clone())),
            Some((Some("WK091710".into()), "GM0917".into()))
        );
    }

    #[test]
    fn broken_files_are_refused_with_the_reason() {
        let reason = |doc: Value, level| parse_area_file(&doc, level, 2025).err().map(|e| e.0).unwrap_or_default();
        assert!(reason(json!([1, 2]), AreaLevel::Buurt).contains("not GeoJSON"));
        assert!(reason(json!({"type": "Feature"}), AreaLevel::Buurt).contains("FeatureCollection"));
        assert!(reason(collection(json!([square("WK091710")])), AreaLevel::Buurt).contains("not a buurt code"));
        assert!(
            reason(collection(json!([square("BU09171000"), square("BU09171000")])), AreaLevel::Buurt)
                .contains("more than once")
        );
        let mut open = square("BU09171000");
        open["geometry"]["coordinates"] = json!([[[5.9, 50.8], [5.91, 50.8], [5.91, 50.81], [5.9, 50.81]]]);
        assert!(reason(collection(json!([open])), AreaLevel::Buurt).contains("open"));
        let mut bowtie = square("BU09171000");
        bowtie["geometry"]["coordinates"] =
            json!([[[5.9, 50.8], [5.91, 50.81], [5.91, 50.8], [5.9, 50.81], [5.9, 50.8]]]);
        assert!(reason(collection(json!([bowtie])), AreaLevel::Buurt).contains("invalid"));
        let mut point = square("BU09171000");
        point["geometry"] = json!({"type": "Point", "coordinates": [5.9, 50.8]});
        assert!(reason(collection(json!([point])), AreaLevel::Buurt).contains("Point"));
        let mut nameless = square("BU09171000");
        nameless["properties"] = json!({});
        assert!(reason(collection(json!([nameless])), AreaLevel::Buurt).contains("no code"));
    }
}
