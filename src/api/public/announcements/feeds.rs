//! Current announcements for a place as feeds: Atom (RFC 4287) and iCalendar (RFC 5545).

use actix_web::{HttpResponse, get, web};
use chrono::{DateTime, Utc};
use serde::Deserialize;

use crate::api::error::{ApiError, Problem};
use crate::api::pages::html_escape;
use crate::api::responses::Unavailable;
use crate::api::state::AppState;

use super::{PlaceQuery, current, place_cells};

/// An area's feed query.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FeedQuery {
    /// A buurt or wijk (or gemeente) code.
    pub area: String,
}

/// The Atom feed (RFC 4287) of a buurt or wijk: published announcements that have not
/// expired (also those that start later).
#[utoipa::path(
    tag = "announcements",
    params(FeedQuery),
    responses(
        crate::api::responses::QueryErrors,
        (status = 200, description = "Atom feed", content_type = "application/atom+xml"),
        (status = 422, description = "Unknown area", body = Problem, content_type = "application/problem+json"),
        Unavailable,
    )
)]
#[get("/api/v1/announcements/feed.atom")]
pub async fn atom_feed(query: web::Query<FeedQuery>, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let place = PlaceQuery { lat: None, lon: None, area: Some(query.area.clone()) };
    let (area, cells) = place_cells(&state, &place)?;
    let rows = current(&state, cells, true).await?;
    let updated = rows.iter().filter_map(|r| r.published_at).max().unwrap_or(DateTime::UNIX_EPOCH);
    let mut xml = format!(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<feed xmlns=\"http://www.w3.org/2005/Atom\">\n\
         <id>urn:meldpunt:announcements:{area}</id>\n<title>Berichten voor {area}</title>\n\
         <updated>{}</updated>\n<author><name>Gemeente</name></author>\n\
         <link rel=\"self\" href=\"{}/api/v1/announcements/feed.atom?area={area}\"/>\n",
        updated.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        html_escape(&state.public_url)
    );
    for row in &rows {
        let published = row.published_at.unwrap_or(updated).to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        xml.push_str(&format!(
            "<entry>\n<id>urn:uuid:{}</id>\n<title>{}</title>\n<updated>{published}</updated>\n<published>{published}</published>\n\
             <content type=\"text\">{}</content>\n",
            row.id,
            html_escape(&row.title),
            html_escape(&row.body)
        ));
        for tag in &row.tags {
            xml.push_str(&format!("<category term=\"{}\"/>\n", html_escape(tag)));
        }
        xml.push_str("</entry>\n");
    }
    xml.push_str("</feed>\n");
    Ok(HttpResponse::Ok().content_type("application/atom+xml; charset=utf-8").body(xml))
}

/// Escapes a TEXT value for iCalendar (RFC 5545 3.3.11).
pub fn ical_escape(text: &str) -> String {
    text.replace('\\', "\\\\")
        .replace(';', "\\;")
        .replace(',', "\\,")
        .replace("\r\n", "\\n")
        .replace(['\n', '\r'], "\\n")
}

/// Folds a content line at 75 octets (RFC 5545 3.1), never inside a UTF-8 character, and
/// ends it with CRLF.
pub fn ical_fold(line: &str) -> String {
    let mut out = String::new();
    let mut width = 0;
    for c in line.chars() {
        let size = c.len_utf8();
        if width + size > 75 {
            out.push_str("\r\n ");
            width = 1;
        }
        out.push(c);
        width += size;
    }
    out.push_str("\r\n");
    out
}

fn ical_time(at: DateTime<Utc>) -> String {
    at.format("%Y%m%dT%H%M%SZ").to_string()
}

/// The iCalendar feed (RFC 5545) of a buurt or wijk: one event per announcement, from its
/// validity start (or publication) to its end.
#[utoipa::path(
    tag = "announcements",
    params(FeedQuery),
    responses(
        crate::api::responses::QueryErrors,
        (status = 200, description = "iCalendar feed", content_type = "text/calendar"),
        (status = 422, description = "Unknown area", body = Problem, content_type = "application/problem+json"),
        Unavailable,
    )
)]
#[get("/api/v1/announcements/feed.ics")]
pub async fn ical_feed(query: web::Query<FeedQuery>, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let place = PlaceQuery { lat: None, lon: None, area: Some(query.area.clone()) };
    let (area, cells) = place_cells(&state, &place)?;
    let rows = current(&state, cells, true).await?;
    let now = Utc::now();
    let mut ics = String::new();
    for line in [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//meldpunt//announcements//NL",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
    ] {
        ics.push_str(&ical_fold(line));
    }
    ics.push_str(&ical_fold(&format!("X-WR-CALNAME:{}", ical_escape(&format!("Berichten voor {area}")))));
    for row in &rows {
        let start = row.valid_from.or(row.published_at).unwrap_or(now);
        ics.push_str(&ical_fold("BEGIN:VEVENT"));
        ics.push_str(&ical_fold(&format!("UID:{}@meldpunt", row.id)));
        ics.push_str(&ical_fold(&format!("DTSTAMP:{}", ical_time(row.published_at.unwrap_or(now)))));
        ics.push_str(&ical_fold(&format!("DTSTART:{}", ical_time(start))));
        if let Some(until) = row.valid_until.filter(|u| *u > start) {
            ics.push_str(&ical_fold(&format!("DTEND:{}", ical_time(until))));
        }
        ics.push_str(&ical_fold(&format!("SUMMARY:{}", ical_escape(&row.title))));
        ics.push_str(&ical_fold(&format!("DESCRIPTION:{}", ical_escape(&row.body))));
        let tags = &row.tags;
        if !tags.is_empty() {
            let escaped: Vec<String> = tags.iter().map(|t| ical_escape(t)).collect();
            ics.push_str(&ical_fold(&format!("CATEGORIES:{}", escaped.join(","))));
        }
        ics.push_str(&ical_fold("END:VEVENT"));
    }
    ics.push_str(&ical_fold("END:VCALENDAR"));
    Ok(HttpResponse::Ok().content_type("text/calendar; charset=utf-8").body(ics))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ical_lines_are_escaped_and_folded_at_75_octets_without_splitting_characters() {
        assert_eq!(ical_escape("a,b;c\\d\ne"), "a\\,b\\;c\\\\d\\ne");
        let long = format!("DESCRIPTION:{}", "é".repeat(60));
        let folded = ical_fold(&long);
        for line in folded.split("\r\n") {
            assert!(line.len() <= 75, "{line}");
        }
        assert_eq!(folded.replace("\r\n ", "").trim_end(), long);
    }
}
