//! The map's query parameters, checked, turned into a storage query and its normalised
//! form (the cache key), and the opaque paging cursor.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::{MAX_BOX_DEGREES, MapParams};
use crate::api::error::ApiError;
use crate::domain::category::Catalog;
use crate::domain::report::ReportStatus;
use crate::domain::validation::FieldError;
use crate::storage::map::{CategoryFilter, MapQuery};

/// Checks the parameters; returns the query and its normalised form (the cache key).
pub(super) fn parse(
    params: &MapParams,
    catalog: &Catalog,
    max_features: usize,
) -> Result<(MapQuery, String), ApiError> {
    let mut errors = Vec::new();
    let mut problem = |pointer: &str, detail: String| errors.push(FieldError { pointer: pointer.into(), detail });
    let bbox = match params.bbox.as_deref() {
        None => {
            problem("/bbox", "bbox is required: minLon,minLat,maxLon,maxLat in WGS84 degrees".into());
            None
        }
        Some(text) => match parse_bbox(text) {
            Ok(bbox) => Some(bbox),
            Err(detail) => {
                problem("/bbox", detail);
                None
            }
        },
    };
    let statuses = match params.status.as_deref() {
        None => None,
        Some(text) => {
            let mut statuses = Vec::new();
            let mut invalid = false;
            for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
                invalid |= ReportStatus::parse(part).is_none();
                match ReportStatus::parse(part) {
                    Some(status) => statuses.push(status.as_str().to_owned()),
                    None => problem(
                        "/status",
                        format!(
                            "'{part}' is not a status; use new, accepted, in_progress, on_hold, scheduled, resolved, cancelled, reopened or reopen_requested"
                        ),
                    ),
                }
            }
            statuses.sort();
            statuses.dedup();
            if statuses.is_empty() && !invalid {
                problem("/status", "status must name at least one status".into());
            }
            Some(statuses)
        }
    };
    let public: Vec<Uuid> =
        catalog.categories().iter().filter(|c| c.is_public && c.parent_id.is_some()).map(|c| c.id).collect();
    let categories = match params.category.as_deref().map(str::trim) {
        None | Some("") => {
            CategoryFilter::AllBut(catalog.categories().iter().filter(|c| !c.is_public).map(|c| c.id).collect())
        }
        Some(slug) => {
            let chosen: Vec<Uuid> = if let Some(main) = catalog.main_category(slug) {
                catalog.subcategories_of(main.id).map(|c| c.id).collect()
            } else if let Some(sub) = catalog.subcategory(slug) {
                vec![sub.id]
            } else {
                problem("/category", format!("there is no category '{slug}'; see GET /api/v1/categories"));
                Vec::new()
            };
            CategoryFilter::Only(chosen.into_iter().filter(|id| public.contains(id)).collect())
        }
    };
    let since = match params.since.as_deref() {
        None => None,
        Some(text) => match DateTime::parse_from_rfc3339(text.trim()) {
            Ok(at) => Some(at.with_timezone(&Utc)),
            Err(_) => {
                problem("/since", format!("'{text}' is not an RFC 3339 instant such as 2026-11-01T00:00:00Z"));
                None
            }
        },
    };
    let limit = match params.limit.as_deref() {
        None => max_features,
        Some(text) => match text.trim().parse::<usize>() {
            Ok(n) if (1..=max_features).contains(&n) => n,
            _ => {
                problem("/limit", format!("limit must be a whole number from 1 to {max_features}"));
                max_features
            }
        },
    };
    let after = match params.cursor.as_deref() {
        None => None,
        Some(text) => match decode_cursor(text) {
            Some(after) => Some(after),
            None => {
                problem(
                    "/cursor",
                    "the cursor is not one this server handed out; follow the `next` link as given".into(),
                );
                None
            }
        },
    };
    let Some((min_lon, min_lat, max_lon, max_lat)) = bbox.filter(|_| errors.is_empty()) else {
        return Err(ApiError::Validation(errors));
    };
    // Shown coarsened: whether such a report is in the box is decided by its shown centre.
    let sensitive = catalog
        .categories()
        .iter()
        .filter(|c| c.is_public && c.is_sensitive)
        .map(|c| c.id)
        .filter(|id| match &categories {
            CategoryFilter::Only(ids) => ids.contains(id),
            CategoryFilter::AllBut(ids) => !ids.contains(id),
        })
        .collect();
    let query = MapQuery {
        min_lon,
        min_lat,
        max_lon,
        max_lat,
        statuses,
        categories,
        sensitive,
        since,
        after,
        limit: i64::try_from(limit).unwrap_or(500),
    };
    let key = format!(
        "{:?}|{:?}|{:?}|{:?}|{:?}|{:?}",
        (min_lon, min_lat, max_lon, max_lat),
        query.statuses,
        params.category.as_deref().map(str::trim),
        since.map(|s| s.timestamp_micros()),
        after.map(|(at, id)| (at.timestamp_micros(), id)),
        limit
    );
    Ok((query, key))
}

fn parse_bbox(text: &str) -> Result<(f64, f64, f64, f64), String> {
    const SHAPE: &str = "bbox must be minLon,minLat,maxLon,maxLat: four numbers in WGS84 degrees";
    let numbers: Vec<f64> =
        text.split(',').map(|p| p.trim().parse::<f64>()).collect::<Result<_, _>>().map_err(|_| SHAPE.to_owned())?;
    let [min_lon, min_lat, max_lon, max_lat] = numbers.as_slice() else {
        return Err(SHAPE.into());
    };
    let (min_lon, min_lat, max_lon, max_lat) = (*min_lon, *min_lat, *max_lon, *max_lat);
    if ![min_lon, min_lat, max_lon, max_lat].iter().all(|v| v.is_finite()) {
        return Err(format!("{SHAPE}; NaN and infinity are not numbers here"));
    }
    if !(-180.0..=180.0).contains(&min_lon) || !(-180.0..=180.0).contains(&max_lon) {
        return Err("bbox longitudes must be between -180 and 180".into());
    }
    if !(-90.0..=90.0).contains(&min_lat) || !(-90.0..=90.0).contains(&max_lat) {
        return Err("bbox latitudes must be between -90 and 90".into());
    }
    if min_lon >= max_lon || min_lat >= max_lat {
        return Err("bbox must be minLon,minLat,maxLon,maxLat with min < max (west, south, east, north)".into());
    }
    if max_lon - min_lon > MAX_BOX_DEGREES || max_lat - min_lat > MAX_BOX_DEGREES {
        return Err(format!("bbox may be at most {MAX_BOX_DEGREES} degrees wide and tall; zoom in"));
    }
    Ok((min_lon, min_lat, max_lon, max_lat))
}

pub(super) fn encode_cursor(at: DateTime<Utc>, id: Uuid) -> String {
    hex::encode(format!("{}.{id}", at.timestamp_micros()))
}

fn decode_cursor(text: &str) -> Option<(DateTime<Utc>, Uuid)> {
    let raw = String::from_utf8(hex::decode(text.trim()).ok()?).ok()?;
    let (micros, id) = raw.split_once('.')?;
    Some((DateTime::from_timestamp_micros(micros.parse().ok()?)?, Uuid::parse_str(id).ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_boxes_are_refused_with_a_reason() {
        assert!(parse_bbox("5.9,50.8,6.0,50.9").is_ok());
        for bad in [
            "",
            "5.9,50.8,6.0",
            "6.0,50.8,5.9,50.9",
            "5.9,50.9,6.0,50.8",
            "NaN,50.8,6.0,50.9",
            "5,50,6,51",
            "5.9,91,6.0,92",
            "x,1,2,3",
        ] {
            assert!(parse_bbox(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_cursor_survives_the_round_trip() {
        let at = DateTime::from_timestamp_micros(1_764_000_000_123_456).unwrap_or_default();
        let id = Uuid::now_v7();
        assert_eq!(decode_cursor(&encode_cursor(at, id)), Some((at, id)));
        assert_eq!(decode_cursor("zz"), None);
    }
}
