//! Duplicates: open reports of the same category nearby (for "me too" at intake),
//! supporters, and merging a duplicate into the original.

use chrono::{DateTime, Duration, Utc};
use diesel::prelude::*;
use uuid::Uuid;

use super::connection::{DbTime, DbUuid};
use super::followers::{NewSupporter, add_supporter};
use super::schema::{categories, report_supporters, reports};
use super::triage::{Change, append, visible};
use super::{DbConnection, StorageError};
use crate::domain::auth::StaffIdentity;
use crate::domain::message::Template;
use crate::domain::report::{Language, Location, Report, ReportStatus};
use crate::domain::report_event::body::{EventData, MergedData, ReportRef};
use crate::domain::workflow::{TransitionError, allowed_transitions, is_closed};

/// Most reports read from one box around a new report (a box of ~100 m rarely holds more).
const NEARBY_SCAN_MAX: i64 = 2000;

/// Metres per degree of latitude.
const METRES_PER_DEGREE: f64 = 111_320.0;

/// An open report near a new one.
#[derive(Debug, Clone)]
pub struct Nearby {
    pub id: Uuid,
    pub reference: String,
    pub status: String,
    /// Distance in metres.
    pub distance_m: f64,
    /// Received.
    pub created_at: DateTime<Utc>,
    /// Supporters.
    pub interest_count: i64,
}

/// Great-circle distance in metres (haversine).
pub fn distance_m(lat1: f64, lon1: f64, lat2: f64, lon2: f64) -> f64 {
    let (p1, p2) = (lat1.to_radians(), lat2.to_radians());
    let dp = (lat2 - lat1).to_radians();
    let dl = (lon2 - lon1).to_radians();
    let a = (dp / 2.0).sin().powi(2) + p1.cos() * p2.cos() * (dl / 2.0).sin().powi(2);
    2.0 * 6_371_008.8 * a.sqrt().asin()
}

/// How many supporters a report has.
pub fn interest(conn: &mut DbConnection, id: Uuid) -> Result<i64, StorageError> {
    Ok(report_supporters::table.filter(report_supporters::report_id.eq(DbUuid(id))).count().get_result(conn)?)
}

/// A category's duplicate radius (metres) and time window (days) for the intake answer;
/// zero turns the check off. It is off for categories the public may not see, or sees only
/// coarsened: the references and distances the answer lists would tell a resident of
/// reports they may not see, or (from a few filings) place them exactly.
pub fn duplicate_window(conn: &mut DbConnection, category_id: Uuid) -> Result<(i32, i32), StorageError> {
    let (radius, days, public, sensitive): (i32, i32, bool, bool) = categories::table
        .find(DbUuid(category_id))
        .select((
            categories::duplicate_radius_m,
            categories::duplicate_window_days,
            categories::is_public,
            categories::is_sensitive,
        ))
        .first(conn)?;
    Ok(if public && !sensitive { (radius, days) } else { (0, 0) })
}

/// Open reports of category `category_id` within `window` (radius in metres, days) of
/// `location`, nearest first (at most 10), without report `id` itself.
pub fn nearby(
    conn: &mut DbConnection,
    id: Uuid,
    category_id: Uuid,
    location: Location,
    (radius, days): (i32, i32),
    now: DateTime<Utc>,
) -> Result<Vec<Nearby>, StorageError> {
    if radius == 0 || days == 0 {
        return Ok(Vec::new());
    }
    let radius = f64::from(radius);
    let dlat = radius / METRES_PER_DEGREE;
    let dlon = radius / (METRES_PER_DEGREE * location.lat.to_radians().cos().max(0.01));
    let since = now - Duration::days(i64::from(days));
    // The category and the box are asked of the database, which fits the (category_id, lat,
    // lon) index: only that category's reports in the box's latitude band are read. Status and
    // time are checked here: asking for the time too would let planners walk
    // (category_id, created_at) instead, every report of the category in the window.
    let rows: Vec<(DbUuid, String, DbUuid, String, f64, f64, DbTime)> = reports::table
        .filter(reports::category_id.eq(DbUuid(category_id)))
        .filter(reports::lat.between(location.lat - dlat, location.lat + dlat))
        .filter(reports::lon.between(location.lon - dlon, location.lon + dlon))
        .select((
            reports::id,
            reports::reference,
            reports::category_id,
            reports::status,
            reports::lat,
            reports::lon,
            reports::created_at,
        ))
        .limit(NEARBY_SCAN_MAX)
        .load(conn)?;
    let mut found: Vec<Nearby> = rows
        .into_iter()
        .filter(|(other, _, category, status, _, _, created_at)| {
            other.0 != id
                && category.0 == category_id
                && status != "resolved"
                && status != "cancelled"
                && created_at.0 >= since
        })
        .filter_map(|(other, reference, _, status, lat, lon, created_at)| {
            let distance = distance_m(location.lat, location.lon, lat, lon);
            (distance <= radius).then_some(Nearby {
                id: other.0,
                reference,
                status,
                distance_m: distance,
                created_at: created_at.0,
                interest_count: 0,
            })
        })
        .collect();
    let ids: Vec<DbUuid> = found.iter().map(|n| DbUuid(n.id)).collect();
    if !ids.is_empty() {
        let counts: Vec<(DbUuid, i64)> = report_supporters::table
            .filter(report_supporters::report_id.eq_any(ids))
            .group_by(report_supporters::report_id)
            .select((report_supporters::report_id, diesel::dsl::count_star()))
            .load(conn)?;
        for nearby in &mut found {
            nearby.interest_count = counts.iter().find(|(id, _)| id.0 == nearby.id).map_or(0, |(_, count)| *count);
        }
    }
    found.sort_by(|a, b| a.distance_m.total_cmp(&b.distance_m));
    found.truncate(10);
    Ok(found)
}

/// Adds a supporter (inside the caller's write transaction) and, for an address, queues
/// the email that asks to confirm it (double opt-in: nothing else is sent to it before).
/// An address that supports the report already changes nothing. `None` when there is no
/// such report; otherwise the interest count.
pub fn support(
    conn: &mut DbConnection,
    id: Uuid,
    email: Option<&str>,
    language: Language,
) -> Result<Option<i64>, StorageError> {
    let Some(report) = super::reports::by_id(conn, id)? else {
        return Ok(None);
    };
    let NewSupporter::Added { confirm_token, .. } = add_supporter(conn, id, email, language)? else {
        return Ok(Some(interest(conn, id)?));
    };
    let counted = super::rollup::view(conn, id)?;
    diesel::update(reports::table.find(DbUuid(id))).set(reports::me_too.eq(reports::me_too + 1)).execute(conn)?;
    super::rollup::refresh(conn, id, counted)?;
    let count = interest(conn, id)?;
    append(conn, id, "reporter", "supported", serde_json::json!({"count": count}))?;
    if let (Some(email), Some(token)) = (email, confirm_token) {
        let params = serde_json::json!({"reference": report.reference, "confirm_token": token});
        super::outbox::enqueue(conn, Some(id), email, language, Template::SupportConfirm, params)?;
    }
    Ok(Some(count))
}

/// Why a merge is refused.
#[derive(Debug)]
pub enum MergeRefused {
    /// The original is missing or not visible.
    NoOriginal,
    /// A report cannot be merged into itself.
    Itself,
    /// The duplicate is closed already, or the original is closed.
    Closed(TransitionError),
}

/// Merges `duplicate` into `original` (inside the caller's write transaction): the
/// duplicate is cancelled with a text naming the original's reference, records
/// `merged_into`, and from now on its reporter and supporters hear about the original.
pub fn merge(
    conn: &mut DbConnection,
    staff: &StaffIdentity,
    duplicate: Uuid,
    original: Uuid,
) -> Result<Change<Result<Report, MergeRefused>>, StorageError> {
    let Some(dup) = visible(conn, staff, duplicate)? else {
        return Ok(Change::Hidden);
    };
    if duplicate == original {
        return Ok(Change::Done(Err(MergeRefused::Itself)));
    }
    let Some(orig) = visible(conn, staff, original)? else {
        return Ok(Change::Done(Err(MergeRefused::NoOriginal)));
    };
    for report in [&dup, &orig] {
        if is_closed(report.status) {
            return Ok(Change::Done(Err(MergeRefused::Closed(TransitionError::NotAllowed {
                from: report.status,
                allowed: allowed_transitions(report.status),
            }))));
        }
    }
    let text = format!(
        "Deze melding is samengevoegd met melding {} / This report was merged into report {}.",
        orig.reference, orig.reference
    );
    let change = super::triage::transition(conn, staff, duplicate, ReportStatus::Cancelled, Some(&text))?;
    let Change::Done(_) = change else {
        return Ok(Change::Done(Err(MergeRefused::Closed(TransitionError::NotAllowed {
            from: dup.status,
            allowed: allowed_transitions(dup.status),
        }))));
    };
    let counted = (super::rollup::view(conn, duplicate)?, super::rollup::view(conn, original)?);
    diesel::update(reports::table.find(DbUuid(duplicate)))
        .set(reports::merged_into_id.eq(Some(DbUuid(original))))
        .execute(conn)?;
    // Statistics count the duplicate once, as the original: its reporter and its own
    // supporters become "me too" of the original.
    let carried: i32 = reports::table.find(DbUuid(duplicate)).select(reports::me_too).first(conn)?;
    diesel::update(reports::table.find(DbUuid(original)))
        .set(reports::me_too.eq(reports::me_too + 1 + carried))
        .execute(conn)?;
    super::rollup::refresh(conn, duplicate, counted.0)?;
    super::rollup::refresh(conn, original, counted.1)?;
    append(
        conn,
        duplicate,
        &staff.actor(),
        "merged_into",
        serde_json::json!({"report_id": original, "reference": orig.reference}),
    )?;
    let into = ReportRef { id: original, reference: orig.reference.clone() };
    super::report_events::record(conn, duplicate, &EventData::Merged(MergedData { into }))?;
    let merged = super::reports::by_id(conn, duplicate)?
        .ok_or_else(|| StorageError::Corrupt(format!("report {duplicate} vanished")))?;
    Ok(Change::Done(Ok(merged)))
}
