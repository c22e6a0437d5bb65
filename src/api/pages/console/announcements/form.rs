//! The announcement form: its fields as typed (kept to show the form again), their
//! conversion into the staff API's [`AnnouncementRequest`] (times in Dutch time, a polygon
//! as GeoJSON or as coordinates), and the area picker with its map: the wijken and
//! buurten of the served municipalities as check boxes beside an inline SVG of the buurten
//! with the chosen ones highlighted.

use std::fmt::Write;

use chrono::{DateTime, NaiveDateTime, Utc};

use super::words::AnnouncementWords;
use crate::api::pages::console::reasons::{Reason, Reasons};
use crate::api::pages::dashboard::svg::{Projection, WIDTH};
use crate::api::pages::html_escape;
use crate::api::pages::resident::field;
use crate::api::public::announcements::QuestionInput;
use crate::api::staff::announcements::{AnnouncementRequest, StaffAnnouncementView};
use crate::api::state::AppState;
use crate::domain::area::AreaLevel;

/// The form's fields as typed.
#[derive(Debug, Default, Clone)]
pub struct FormValues {
    pub title: String,
    pub body: String,
    pub tags: String,
    pub valid_from: String,
    pub valid_until: String,
    pub question: String,
    pub options: String,
    /// The chosen wijk and buurt codes.
    pub areas: Vec<String>,
    pub polygon: String,
}

/// A time as a `datetime-local` value in Dutch time.
pub fn local_input(at: DateTime<Utc>) -> String {
    at.with_timezone(&chrono_tz::Europe::Amsterdam).format("%Y-%m-%dT%H:%M").to_string()
}

/// A time for reading, in Dutch time.
pub fn local_text(at: DateTime<Utc>) -> String {
    at.with_timezone(&chrono_tz::Europe::Amsterdam).format("%d-%m-%Y %H:%M").to_string()
}

/// A form field that does not read as what it should be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Unreadable;

/// A `datetime-local` value (Dutch time) as a moment; `Ok(None)` when empty.
pub fn parse_local(text: &str) -> Result<Option<DateTime<Utc>>, Unreadable> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    let naive = NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M")
        .or_else(|_| NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S"))
        .map_err(|_| Unreadable)?;
    naive
        .and_local_timezone(chrono_tz::Europe::Amsterdam)
        .earliest()
        .map(|at| Some(at.with_timezone(&Utc)))
        .ok_or(Unreadable)
}

/// A polygon typed as GeoJSON, or as one `longitude latitude` pair per line (commas also
/// separate), closed if the last point differs from the first. `Ok(None)` when empty; the
/// shape itself is checked by the API's rules.
pub fn parse_polygon(text: &str) -> Result<Option<serde_json::Value>, Unreadable> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    if text.starts_with('{') {
        return serde_json::from_str(text).map(Some).map_err(|_| Unreadable);
    }
    let mut ring = Vec::new();
    for line in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
        let numbers: Vec<f64> = line
            .split(|c: char| c == ',' || c.is_whitespace())
            .filter(|p| !p.is_empty())
            .map(str::parse)
            .collect::<Result<_, _>>()
            .map_err(|_| Unreadable)?;
        let [lon, lat] = numbers.as_slice() else { return Err(Unreadable) };
        if !lon.is_finite() || !lat.is_finite() {
            return Err(Unreadable);
        }
        ring.push(serde_json::json!([lon, lat]));
    }
    if let Some(first) = ring.first().cloned()
        && ring.last() != Some(&first)
    {
        ring.push(first);
    }
    Ok(Some(serde_json::json!({"type": "Polygon", "coordinates": [ring]})))
}

impl FormValues {
    /// The fields of a posted form.
    pub fn from_form(fields: &[(String, String)]) -> Self {
        let text = |name: &str| field(fields, name).unwrap_or_default().to_owned();
        let mut areas: Vec<String> = fields
            .iter()
            .filter(|(key, value)| key == "area" && !value.trim().is_empty())
            .map(|(_, value)| value.trim().to_owned())
            .collect();
        areas.sort();
        areas.dedup();
        FormValues {
            title: text("title"),
            body: text("body"),
            tags: text("tags"),
            valid_from: text("valid_from"),
            valid_until: text("valid_until"),
            question: text("question"),
            options: text("options"),
            areas,
            polygon: text("polygon"),
        }
    }

    /// The fields of a stored announcement.
    pub fn from_view(view: &StaffAnnouncementView) -> Self {
        FormValues {
            title: view.title.clone(),
            body: view.body.clone(),
            tags: view.tags.join(", "),
            valid_from: view.valid_from.map(local_input).unwrap_or_default(),
            valid_until: view.valid_until.map(local_input).unwrap_or_default(),
            question: view.question.as_ref().map(|q| q.text.clone()).unwrap_or_default(),
            options: view.question.as_ref().map(|q| q.options.join("\n")).unwrap_or_default(),
            areas: view.areas.clone(),
            polygon: view.polygon.as_ref().map(|p| p.to_string()).unwrap_or_default(),
        }
    }

    /// The API's request, or what to fix in the form before the API can judge it. Every
    /// field is given, so on a change empty fields clear the stored ones.
    pub fn request(&self, w: &AnnouncementWords) -> Result<AnnouncementRequest, Reasons> {
        let mut errors = Reasons::default();
        let mut time = |text: &str| {
            parse_local(text).unwrap_or_else(|Unreadable| {
                errors.push(Reason::ours("", w.bad_time, w.lang));
                None
            })
        };
        let valid_from = time(&self.valid_from);
        let valid_until = time(&self.valid_until);
        let polygon = parse_polygon(&self.polygon).unwrap_or_else(|Unreadable| {
            errors.push(Reason::ours("", w.bad_polygon, w.lang));
            None
        });
        if !errors.is_empty() {
            return Err(errors);
        }
        let question = Some(self.question.trim()).filter(|q| !q.is_empty()).map(|text| QuestionInput {
            text: text.to_owned(),
            options: self.options.lines().map(str::trim).filter(|o| !o.is_empty()).map(str::to_owned).collect(),
        });
        let tags = self.tags.split(',').map(str::trim).filter(|t| !t.is_empty()).map(str::to_owned).collect::<Vec<_>>();
        Ok(AnnouncementRequest {
            title: Some(self.title.clone()),
            body: Some(self.body.clone()),
            areas: Some(self.areas.clone()),
            polygon,
            tags: Some(tags),
            valid_from,
            valid_until,
            question,
        })
    }
}

/// A check box of the area picker.
pub struct AreaChoice {
    pub code: String,
    pub name: String,
    pub checked: bool,
}

/// The area picker: wijken, buurten, and the map with the chosen area highlighted.
pub struct Picker {
    pub wijken: Vec<AreaChoice>,
    pub buurten: Vec<AreaChoice>,
    pub map: Option<String>,
}

/// The picker for the chosen `codes`; `covered` (a stored announcement's finest areas,
/// which include a polygon's) are highlighted too.
pub fn picker(state: &AppState, codes: &[String], covered: &[String], map_title: &str) -> Picker {
    let snapshot = state.config.snapshot();
    let served = |gemeente: &str| state.served.is_empty() || state.served.iter().any(|s| s == gemeente);
    let of_level = |level: AreaLevel| {
        let mut areas: Vec<_> =
            snapshot.areas.areas().iter().filter(|area| area.level == level && served(&area.gemeente_code)).collect();
        areas.sort_by(|a, b| a.name.cmp(&b.name).then_with(|| a.code.cmp(&b.code)));
        areas
    };
    let chosen = |code: &str| codes.iter().any(|c| c == code);
    let buurten = of_level(AreaLevel::Buurt);
    let choices = |areas: &[&crate::domain::area::Area]| {
        areas
            .iter()
            .map(|area| AreaChoice { code: area.code.clone(), name: area.name.clone(), checked: chosen(&area.code) })
            .collect::<Vec<_>>()
    };
    let map = Projection::fit(buurten.iter().map(|area| &area.geometry)).map(|projection| {
        let mut svg = format!(
            "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"-12 -12 {w} {h}\" role=\"img\" aria-labelledby=\"map-title\">\
             <title id=\"map-title\">{title}</title><g class=\"areas\">",
            w = WIDTH + 24.0,
            h = projection.height + 24.0,
            title = html_escape(map_title),
        );
        for area in &buurten {
            let lit = chosen(&area.code)
                || area.wijk_code.as_deref().is_some_and(chosen)
                || chosen(&area.gemeente_code)
                || covered.iter().any(|c| c == &area.code);
            let _ = write!(
                svg,
                "<path class=\"area{lit}\" data-code=\"{code}\" d=\"{d}\"><title>{name}</title></path>",
                lit = if lit { " chosen" } else { "" },
                code = html_escape(&area.code),
                d = projection.path(&area.geometry),
                name = html_escape(&area.name),
            );
        }
        svg.push_str("</g></svg>");
        crate::api::pages::console::map::background(state, svg, &projection)
    });
    Picker { wijken: choices(&of_level(AreaLevel::Wijk)), buurten: choices(&buurten), map }
}
