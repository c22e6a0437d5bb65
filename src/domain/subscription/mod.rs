//! Neighbourhood subscriptions: channels, targets (area codes, a point with a radius, a
//! polygon) and their resolution to the finest area codes they cover, tag filters, and the
//! signed links that let a resident manage a subscription, leave it in one click or answer
//! a quick question without an account. Pure: no HTTP, no SQL.
//!
//! *Cells.* Every target resolves to "cells": the finest areas loaded for the place. Where
//! buurten are loaded (Heerlen) those are buurten; elsewhere the wijken, else the gemeente.
//! A subscription and an announcement match when their cell sets meet, so a buurt
//! subscription hears its wijk's and gemeente's announcements and the other way round, and
//! circles and polygons match by geometry.

use std::collections::{BTreeSet, HashSet};

use geo::{Centroid, Coord, LineString, MultiPolygon, Polygon};
use hmac::{Hmac, Mac};
use sha2::Sha256;
use uuid::Uuid;

use super::area::{Area, AreaLevel};
use super::spatial::AreaIndex;

mod contact;
mod subscriber;
pub mod webhook_body;
pub use contact::{Contact, PushKeys, PushKeysError, WebhookUrl, WebhookUrlError, decode_b64url, is_public};
pub use subscriber::{Subscription, SubscriptionStatus};

/// How a subscriber is reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Channel {
    /// Email with double opt-in.
    Email,
    /// A signed HTTPS POST to the subscriber's URL, verified by a challenge.
    Webhook,
    /// Web Push (RFC 8030/8291) to a browser's push service.
    Push,
}

impl Channel {
    /// The stored and wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Email => "email",
            Self::Webhook => "webhook",
            Self::Push => "push",
        }
    }

    /// Parses the stored name.
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "email" => Some(Self::Email),
            "webhook" => Some(Self::Webhook),
            "push" => Some(Self::Push),
            _ => None,
        }
    }
}

/// Smallest and largest radius around a point, in metres.
pub const RADIUS_RANGE: std::ops::RangeInclusive<f64> = 50.0..=20_000.0;
/// Most area codes in one target list.
pub const MAX_AREAS: usize = 100;
/// Most tags or categories in a filter.
pub const MAX_TAGS: usize = 20;

/// A point with a radius.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Circle {
    /// Latitude (WGS84).
    pub lat: f64,
    /// Longitude (WGS84).
    pub lon: f64,
    /// Radius in metres.
    pub radius_m: f64,
}

/// What a subscription or announcement is about, already validated.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Targets {
    /// Buurt, wijk or gemeente codes.
    pub areas: Vec<String>,
    /// A point with a radius.
    pub circle: Option<Circle>,
    pub polygon: Option<MultiPolygon<f64>>,
}

impl Targets {
    /// Whether nothing is targeted.
    pub fn is_empty(&self) -> bool {
        self.areas.is_empty() && self.circle.is_none() && self.polygon.is_none()
    }
}

/// Checks a list of area codes against the index: each must be a known buurt, wijk or
/// gemeente of the current boundary year. Returns the codes, deduplicated, in order.
pub fn check_area_codes(index: &AreaIndex, codes: &[String]) -> Result<Vec<String>, String> {
    if codes.len() > MAX_AREAS {
        return Err(format!("at most {MAX_AREAS} area codes; send fewer or a polygon"));
    }
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    for code in codes {
        let code = code.trim().to_ascii_uppercase();
        if AreaLevel::of_code(&code).is_none() {
            return Err(format!("'{code}' is not a CBS code; send e.g. BU09171000, WK091710 or GM0917"));
        }
        if index.area(&code).is_none() {
            return Err(format!(
                "area {code} is not known (current boundary year); look it up at /api/v1/areas/lookup"
            ));
        }
        if seen.insert(code.clone()) {
            out.push(code);
        }
    }
    Ok(out)
}

/// Why a circle is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CircleError {
    /// The centre is not a WGS84 position.
    #[error("lat must be within -90..90 and lon within -180..180 (WGS84)")]
    Centre,
    /// The radius is outside [`RADIUS_RANGE`].
    #[error("radius_m must be between {} and {} metres", RADIUS_RANGE.start(), RADIUS_RANGE.end())]
    Radius,
}

/// Checks a point with a radius.
pub fn check_circle(lat: f64, lon: f64, radius_m: f64) -> Result<Circle, CircleError> {
    if !((-90.0..=90.0).contains(&lat) && (-180.0..=180.0).contains(&lon)) {
        return Err(CircleError::Centre);
    }
    if !RADIUS_RANGE.contains(&radius_m) {
        return Err(CircleError::Radius);
    }
    Ok(Circle { lat, lon, radius_m })
}

/// A 48-gon approximating a circle on the map (good to a fraction of a percent at Dutch
/// latitudes).
pub fn circle_shape(circle: Circle) -> MultiPolygon<f64> {
    let meters_per_degree_lat = 111_320.0;
    let meters_per_degree_lon = 111_320.0 * circle.lat.to_radians().cos().max(0.01);
    let mut ring: Vec<Coord<f64>> = (0..48)
        .map(|i| {
            let angle = f64::from(i) * std::f64::consts::TAU / 48.0;
            Coord {
                x: circle.lon + circle.radius_m * angle.cos() / meters_per_degree_lon,
                y: circle.lat + circle.radius_m * angle.sin() / meters_per_degree_lat,
            }
        })
        .collect();
    if let Some(first) = ring.first().copied() {
        ring.push(first);
    }
    MultiPolygon(vec![Polygon::new(LineString(ring), Vec::new())])
}

/// The finest areas under `area`: its buurten, else its wijken, else itself.
fn finest_under<'a>(index: &'a AreaIndex, area: &'a Area) -> Vec<&'a Area> {
    let areas = index.areas();
    match area.level {
        AreaLevel::Buurt => vec![area],
        AreaLevel::Wijk => {
            let buurten: Vec<&Area> = areas
                .iter()
                .filter(|a| a.level == AreaLevel::Buurt && a.wijk_code.as_deref() == Some(area.code.as_str()))
                .collect();
            if buurten.is_empty() { vec![area] } else { buurten }
        }
        AreaLevel::Gemeente => {
            let buurten: Vec<&Area> =
                areas.iter().filter(|a| a.level == AreaLevel::Buurt && a.gemeente_code == area.code).collect();
            if !buurten.is_empty() {
                return buurten;
            }
            let wijken: Vec<&Area> =
                areas.iter().filter(|a| a.level == AreaLevel::Wijk && a.gemeente_code == area.code).collect();
            if wijken.is_empty() { vec![area] } else { wijken }
        }
    }
}

/// The finest areas a shape touches: buurten where buurten are loaded, wijken where only
/// wijken are, and gemeenten with neither.
fn finest_in_shape(index: &AreaIndex, shape: &MultiPolygon<f64>) -> Vec<String> {
    let mut has_buurten = HashSet::new();
    let mut has_wijken = HashSet::new();
    for area in index.areas() {
        match area.level {
            AreaLevel::Buurt => {
                has_buurten.insert(area.gemeente_code.as_str());
                if let Some(wijk) = area.wijk_code.as_deref() {
                    has_buurten.insert(wijk);
                }
            }
            AreaLevel::Wijk => {
                has_wijken.insert(area.gemeente_code.as_str());
            }
            AreaLevel::Gemeente => {}
        }
    }
    let mut cells: Vec<String> =
        index.intersecting(AreaLevel::Buurt, shape).into_iter().map(|a| a.code.clone()).collect();
    for wijk in index.intersecting(AreaLevel::Wijk, shape) {
        if !has_buurten.contains(wijk.code.as_str()) && !has_buurten.contains(wijk.gemeente_code.as_str()) {
            cells.push(wijk.code.clone());
        }
    }
    for gemeente in index.intersecting(AreaLevel::Gemeente, shape) {
        if !has_buurten.contains(gemeente.code.as_str()) && !has_wijken.contains(gemeente.code.as_str()) {
            cells.push(gemeente.code.clone());
        }
    }
    cells
}

/// The cells (finest area codes) the targets cover. Codes must have been checked with
/// [`check_area_codes`].
pub fn cells(index: &AreaIndex, targets: &Targets) -> BTreeSet<String> {
    let mut cells = BTreeSet::new();
    for code in &targets.areas {
        if let Some(area) = index.area(code) {
            cells.extend(finest_under(index, area).into_iter().map(|a| a.code.clone()));
        }
    }
    if let Some(circle) = targets.circle {
        cells.extend(finest_in_shape(index, &circle_shape(circle)));
    }
    if let Some(polygon) = &targets.polygon {
        cells.extend(finest_in_shape(index, polygon));
    }
    cells
}

/// The cell of a point: its buurt, else its wijk, else its gemeente.
pub fn cell_of_point(index: &AreaIndex, lon: f64, lat: f64) -> Option<String> {
    let located = index.locate(lon, lat)?;
    Some(
        located
            .buurt
            .map(|b| b.code.clone())
            .or_else(|| located.wijk.map(|w| w.code.clone()))
            .unwrap_or_else(|| located.gemeente_code.to_owned()),
    )
}

/// Where a subscriber's quick-question answers are counted: the first area code as given,
/// else the cell of the circle's centre, else the cell of the polygon's centroid.
pub fn home_area(index: &AreaIndex, targets: &Targets) -> Option<String> {
    if let Some(code) = targets.areas.first() {
        return Some(code.clone());
    }
    if let Some(circle) = targets.circle {
        return cell_of_point(index, circle.lon, circle.lat);
    }
    let centre = targets.polygon.as_ref()?.centroid()?;
    cell_of_point(index, centre.x(), centre.y())
}

/// Checks a tag or category filter: lowercase words of letters, digits and dashes.
pub fn check_tags(tags: &[String]) -> Result<Vec<String>, String> {
    if tags.len() > MAX_TAGS {
        return Err(format!("at most {MAX_TAGS} entries"));
    }
    let mut out: Vec<String> = Vec::new();
    for tag in tags {
        let tag = tag.trim().to_lowercase();
        let valid = (1..=60).contains(&tag.len())
            && tag.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_');
        if !valid {
            return Err(format!(
                "'{tag}' is not a tag: use 1-60 lowercase letters, digits, '-' or '_' (e.g. roadworks)"
            ));
        }
        if !out.contains(&tag) {
            out.push(tag);
        }
    }
    Ok(out)
}

/// Signs and checks the private links of subscriptions. The management token is derived
/// from the subscription id with a server secret, so it is never stored (not even hashed)
/// and every email can carry it.
#[derive(Clone)]
pub struct LinkSigner {
    secret: Vec<u8>,
}

impl std::fmt::Debug for LinkSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("LinkSigner(..)")
    }
}

/// What a one-tap answer link says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AnswerLink {
    /// The subscription that answers.
    pub subscription_id: Uuid,
    /// The announcement whose question it answers.
    pub announcement_id: Uuid,
    /// The option (0-based).
    pub option: usize,
}

impl LinkSigner {
    /// A signer with this secret.
    pub fn new(secret: &[u8]) -> Self {
        Self { secret: secret.to_vec() }
    }

    fn mac(&self, message: &str) -> String {
        // HMAC takes keys of any length; new_from_slice cannot fail for it.
        let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(&self.secret) else { return String::new() };
        mac.update(message.as_bytes());
        hex::encode(mac.finalize().into_bytes().get(..16).unwrap_or_default())
    }

    fn verify(&self, message: &str, given: &str) -> bool {
        let expected = self.mac(message);
        expected.len() == given.len()
            && expected.bytes().zip(given.bytes()).fold(0u8, |difference, (a, b)| difference | (a ^ b)) == 0
    }

    /// A signature of `message` with the link key (for other signed values, such as the
    /// form tokens of the resident pages).
    pub fn sign(&self, message: &str) -> String {
        self.mac(message)
    }

    /// Whether `given` is the signature of `message` (compared in constant time).
    pub fn verify_signature(&self, message: &str, given: &str) -> bool {
        self.verify(message, given)
    }

    /// The management token of a subscription (`mps_…`): manage and unsubscribe links.
    pub fn manage_token(&self, subscription_id: Uuid) -> String {
        let id = subscription_id.simple();
        format!("mps_{id}_{}", self.mac(&format!("manage:{id}")))
    }

    /// The subscription a management token belongs to, when its signature holds.
    pub fn check_manage_token(&self, token: &str) -> Option<Uuid> {
        let rest = token.strip_prefix("mps_")?;
        let (id, mac) = rest.split_once('_')?;
        let uuid = Uuid::try_parse(id).ok()?;
        self.verify(&format!("manage:{}", uuid.simple()), mac).then_some(uuid)
    }

    /// A one-tap answer token (`mpa_…`) for one subscription, question and option.
    pub fn answer_token(&self, link: AnswerLink) -> String {
        let message =
            format!("answer:{}:{}:{}", link.subscription_id.simple(), link.announcement_id.simple(), link.option);
        format!(
            "mpa_{}_{}_{}_{}",
            link.subscription_id.simple(),
            link.announcement_id.simple(),
            link.option,
            self.mac(&message)
        )
    }

    /// The token of a satisfaction survey (`mpq_…`, `crate::domain::survey`): signed, so
    /// never stored.
    pub fn survey_token(&self, survey_id: Uuid) -> String {
        let id = survey_id.simple();
        format!("mpq_{id}_{}", self.mac(&format!("survey:{id}")))
    }

    /// The survey a survey token belongs to, when its signature holds.
    pub fn check_survey_token(&self, token: &str) -> Option<Uuid> {
        let (id, mac) = token.strip_prefix("mpq_")?.split_once('_')?;
        let uuid = Uuid::try_parse(id).ok()?;
        self.verify(&format!("survey:{}", uuid.simple()), mac).then_some(uuid)
    }

    /// What an answer token says, when its signature holds.
    pub fn check_answer_token(&self, token: &str) -> Option<AnswerLink> {
        let mut parts = token.strip_prefix("mpa_")?.split('_');
        let subscription_id = Uuid::try_parse(parts.next()?).ok()?;
        let announcement_id = Uuid::try_parse(parts.next()?).ok()?;
        let option: usize = parts.next()?.parse().ok()?;
        let mac = parts.next()?;
        if parts.next().is_some() {
            return None;
        }
        let link = AnswerLink { subscription_id, announcement_id, option };
        let message = format!("answer:{}:{}:{}", subscription_id.simple(), announcement_id.simple(), option);
        self.verify(&message, mac).then_some(link)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signed_links_hold_only_with_the_right_secret_and_unchanged_parts() {
        let signer = LinkSigner::new(b"secret one");
        let other = LinkSigner::new(b"secret two");
        let id = Uuid::now_v7();
        let token = signer.manage_token(id);
        assert_eq!(signer.check_manage_token(&token), Some(id));
        assert_eq!(other.check_manage_token(&token), None);
        assert_eq!(signer.check_manage_token(&token.replace("mps_", "mpx_")), None);
        let link = AnswerLink { subscription_id: id, announcement_id: Uuid::now_v7(), option: 2 };
        let answer = signer.answer_token(link);
        assert_eq!(signer.check_answer_token(&answer), Some(link));
        let forged = answer.replacen("_2_", "_1_", 1);
        assert_eq!(signer.check_answer_token(&forged), None);
        let survey = signer.survey_token(id);
        assert_eq!(signer.check_survey_token(&survey), Some(id));
        assert_eq!(LinkSigner::new(b"secret two").check_survey_token(&survey), None);
        assert_eq!(signer.check_survey_token(&signer.manage_token(id).replace("mps_", "mpq_")), None);
    }

    #[test]
    fn tags_are_lowercase_words_and_circles_have_bounds() {
        assert_eq!(check_tags(&["Roadworks".into(), "roadworks".into()]), Ok(vec!["roadworks".into()]));
        assert!(check_tags(&["road works".into()]).is_err());
        assert!(check_circle(50.88, 5.98, 10.0).is_err());
        assert!(check_circle(95.0, 5.98, 100.0).is_err());
        assert!(check_circle(50.88, 5.98, 300.0).is_ok());
    }
}
