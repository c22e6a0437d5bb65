//! The map answer as GeoJSON (RFC 7946), written by hand into one buffer: the map is a
//! hot path, and a generic serialiser cost more than the query.

use std::fmt::Write as _;
use std::io::Write as _;

use chrono::{DateTime, Utc};

use uuid::Uuid;

use super::params::encode_cursor;
use super::{GEO_JSON, MapParams};
use crate::domain::category::Catalog;
use crate::domain::photo::shown_publicly;
use crate::domain::privacy::coarsen;
use crate::domain::report::Location;
use crate::storage::map::MapPage;

/// The map answer as GeoJSON, written straight into one buffer: a FeatureCollection of
/// Point features with the properties listed on [`map_reports`], then `numberReturned`,
/// `links` and `next_cursor`. (Written by hand rather than through serde structs: this runs
/// for every new box, and building a value per feature, with its strings, costs several
/// times the writing.)
pub(super) fn feature_collection(page: &MapPage, catalog: &Catalog, params: &MapParams) -> Vec<u8> {
    let points = &page.points;
    // About 400 bytes a feature: one allocation instead of a dozen doublings and copies.
    let mut body = Vec::with_capacity(512 + 448 * points.len());
    body.extend_from_slice(br#"{"type":"FeatureCollection","features":["#);
    let mut returned = 0usize;
    for point in points {
        // A category unknown to this snapshot (created a moment ago) cannot be judged: leave it out.
        let Some(category) = catalog.category(point.category_id) else { continue };
        if !category.is_public {
            continue;
        }
        if returned > 0 {
            body.push(b',');
        }
        returned += 1;
        let exact = Location { lat: point.lat, lon: point.lon };
        let location = if category.is_sensitive { coarsen(exact) } else { exact };
        let mut id = Uuid::encode_buffer();
        let id = point.id.hyphenated().encode_lower(&mut id).as_bytes();
        body.extend_from_slice(br#"{"type":"Feature","id":""#);
        body.extend_from_slice(id);
        body.extend_from_slice(br#"","geometry":{"type":"Point","coordinates":["#);
        push_number(&mut body, location.lon);
        body.push(b',');
        push_number(&mut body, location.lat);
        body.extend_from_slice(br#"]},"properties":{"reference":"#);
        push_string(&mut body, &point.reference);
        body.extend_from_slice(br#","category":"#);
        push_string(&mut body, &category.slug);
        body.extend_from_slice(br#","main_category":"#);
        match category.parent_id.and_then(|id| catalog.category(id)) {
            Some(main) => push_string(&mut body, &main.slug),
            None => body.extend_from_slice(b"null"),
        }
        body.extend_from_slice(br#","status":"#);
        push_string(&mut body, &point.status);
        body.extend_from_slice(br#","created_at":""#);
        push_instant(&mut body, point.created_at);
        body.extend_from_slice(br#"","thumbnail_url":"#);
        match point.first_photo_id.filter(|_| shown_publicly(category)) {
            Some(photo) => push_string(&mut body, &crate::api::public::photos::thumbnail_url(point.id, photo)),
            None => body.extend_from_slice(b"null"),
        }
        body.extend_from_slice(br#","url":"/api/v1/reports/"#);
        body.extend_from_slice(id);
        body.extend_from_slice(br#"","coarsened":"#);
        body.extend_from_slice(if category.is_sensitive { b"true" } else { b"false" });
        body.extend_from_slice(b"}}");
    }
    let next = page.next.map(|(at, id)| encode_cursor(at, id));
    let _ = write!(body, r#"],"numberReturned":{returned},"links":["#);
    if let Some(cursor) = &next {
        let mut href = format!("/api/v1/reports?bbox={}", percent_encode(params.bbox.as_deref().unwrap_or_default()));
        for (name, value) in [
            ("status", &params.status),
            ("category", &params.category),
            ("since", &params.since),
            ("limit", &params.limit),
        ] {
            if let Some(value) = value {
                let _ = write!(href, "&{name}={}", percent_encode(value));
            }
        }
        let _ = write!(href, "&cursor={cursor}");
        body.extend_from_slice(br#"{"rel":"next","href":"#);
        push_string(&mut body, &href);
        body.extend_from_slice(br#","type":"#);
        push_string(&mut body, GEO_JSON);
        body.push(b'}');
    }
    body.extend_from_slice(br#"],"next_cursor":"#);
    match &next {
        Some(cursor) => push_string(&mut body, cursor),
        None => body.extend_from_slice(b"null"),
    }
    body.push(b'}');
    body
}

/// A JSON string. Text that needs no escaping (slugs, references, statuses: the usual
/// case) is copied as is; anything else goes through serde_json.
fn push_string(body: &mut Vec<u8>, text: &str) {
    if text.bytes().all(|b| (0x20..0x7F).contains(&b) && b != b'"' && b != b'\\') {
        body.push(b'"');
        body.extend_from_slice(text.as_bytes());
        body.push(b'"');
    } else if serde_json::to_writer(&mut *body, text).is_err() {
        body.extend_from_slice(b"null");
    }
}

/// A JSON number as serde_json writes it (shortest form that reads back the same).
fn push_number(body: &mut Vec<u8>, value: f64) {
    if serde_json::to_writer(&mut *body, &value).is_err() {
        body.extend_from_slice(b"null");
    }
}

/// An instant as `to_rfc3339_opts(SecondsFormat::Micros, true)` writes it
/// (`2026-11-25T18:04:50.123456Z`), without its formatting machinery.
fn push_instant(body: &mut Vec<u8>, at: DateTime<Utc>) {
    use chrono::{Datelike as _, Timelike as _};
    let (year, time) = (at.year(), at.time());
    // Years beyond four digits and leap seconds are left to chrono.
    if !(0..=9999).contains(&year) || time.nanosecond() >= 1_000_000_000 {
        body.extend_from_slice(at.to_rfc3339_opts(chrono::SecondsFormat::Micros, true).as_bytes());
        return;
    }
    push_digits(body, year.unsigned_abs(), 4);
    for (separator, value) in
        [(b'-', at.month()), (b'-', at.day()), (b'T', time.hour()), (b':', time.minute()), (b':', time.second())]
    {
        body.push(separator);
        push_digits(body, value, 2);
    }
    body.push(b'.');
    push_digits(body, time.nanosecond() / 1000, 6);
    body.push(b'Z');
}

/// `value` in decimal, zero-padded to `width` digits (its last `width` digits).
fn push_digits(body: &mut Vec<u8>, value: u32, width: u32) {
    for power in (0..width).rev() {
        let digit = (value / 10u32.pow(power)) % 10;
        body.push(b'0' + u8::try_from(digit).unwrap_or(0));
    }
}

fn percent_encode(value: &str) -> String {
    value
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.~,".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instants_are_written_as_chrono_writes_them_with_microseconds() {
        use chrono::TimeZone as _;
        let instants = [
            Utc.with_ymd_and_hms(2026, 11, 25, 18, 4, 50).unwrap() + chrono::Duration::microseconds(123_456),
            Utc.with_ymd_and_hms(2026, 1, 2, 3, 4, 5).unwrap(),
            Utc.with_ymd_and_hms(999, 12, 31, 23, 59, 59).unwrap() + chrono::Duration::nanoseconds(999_999_999),
            Utc.with_ymd_and_hms(12345, 6, 7, 8, 9, 10).unwrap(),
        ];
        for at in instants {
            let mut written = Vec::new();
            push_instant(&mut written, at);
            assert_eq!(
                String::from_utf8(written).unwrap(),
                at.to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
                "{at:?}"
            );
        }
    }
}
