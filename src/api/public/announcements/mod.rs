//! Announcements for residents: the current ones for a place (as JSON here, as Atom and
//! iCalendar in [`feeds`]), one-tap answers to their quick questions ([`answers`]), and
//! the results per area with small counts hidden. Staff write and publish them through
//! [`crate::api::staff::announcements`].

pub mod answers;
pub mod feeds;

use actix_web::{HttpResponse, get, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::api::error::{ApiError, Problem};
use crate::api::responses::Unavailable;
use crate::api::state::AppState;
use crate::domain::announcement::{Announcement, AnnouncementStatus};
use crate::domain::small_counts;
use crate::domain::subscription::{self, Targets};

/// A quick question.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct QuestionInput {
    /// The question (1-300 characters).
    pub text: String,
    /// 2 to 6 answer options (1-100 characters each).
    pub options: Vec<String>,
}

/// An announcement as the public sees it (no author).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct PublicAnnouncement {
    pub id: Uuid,
    pub title: String,
    /// Text.
    pub body: String,
    /// Area codes as given.
    pub areas: Vec<String>,
    pub tags: Vec<String>,
    /// Validity start.
    pub valid_from: Option<DateTime<Utc>>,
    /// Validity end.
    pub valid_until: Option<DateTime<Utc>>,
    /// Published.
    pub published_at: Option<DateTime<Utc>>,
    /// The quick question, if any.
    pub question: Option<QuestionInput>,
}

/// One option's count in one area.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct OptionCount {
    /// Option number (0-based).
    pub option: usize,
    /// Option text.
    pub text: String,
    /// The count, absent when fewer than 5.
    pub count: Option<i64>,
    /// The count as text: the number, or "fewer than 5".
    pub display: String,
}

/// Results of one area.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct AreaResult {
    /// The area (buurt code where known; else wijk or gemeente).
    pub area: String,
    /// Per option.
    pub options: Vec<OptionCount>,
}

/// Results of a quick question. Counts below 5 are never shown; totals add up only the
/// shown counts, so a hidden count cannot be derived from them.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct QuestionResults {
    /// The question.
    pub question: String,
    /// Whether answers are still taken.
    pub open: bool,
    /// Per area: every area the announcement covers, and any other area answers came from.
    pub areas: Vec<AreaResult>,
    /// Per option: the sum of the shown (not hidden) area counts.
    pub totals_of_shown_counts: Vec<OptionCount>,
}

pub(crate) fn question_of(row: &Announcement) -> Option<QuestionInput> {
    row.question.as_ref().map(|q| QuestionInput { text: q.text.clone(), options: q.options.clone() })
}

fn public_view(row: &Announcement) -> PublicAnnouncement {
    PublicAnnouncement {
        id: row.id,
        title: row.title.clone(),
        body: row.body.clone(),
        areas: row.areas.clone(),
        tags: row.tags.clone(),
        valid_from: row.valid_from,
        valid_until: row.valid_until,
        published_at: row.published_at,
        question: question_of(row),
    }
}

/// Turns raw answer counts into results with small counts hidden
/// ([`crate::domain::small_counts`]).
pub fn results(
    question: &str,
    open: bool,
    options: &[String],
    covered: &[String],
    counts: &[(String, i32, i64)],
) -> QuestionResults {
    let tally = small_counts::tally(options.len(), covered, counts);
    let text = |option: usize| options.get(option).cloned().unwrap_or_default();
    let areas = tally
        .areas
        .into_iter()
        .map(|(area, row)| AreaResult {
            area,
            options: row
                .into_iter()
                .enumerate()
                .map(|(option, count)| OptionCount {
                    option,
                    text: text(option),
                    count: small_counts::shown(count),
                    display: small_counts::display(count),
                })
                .collect(),
        })
        .collect();
    QuestionResults {
        question: question.to_owned(),
        open,
        areas,
        totals_of_shown_counts: tally
            .totals_of_shown
            .into_iter()
            .enumerate()
            .map(|(option, count)| OptionCount {
                option,
                text: text(option),
                count: Some(count),
                display: count.to_string(),
            })
            .collect(),
    }
}

/// The results of announcement `id`'s quick question with small counts hidden; `public`: only
/// a published announcement's (else 404).
pub async fn load_results(state: &AppState, id: Uuid, public: bool) -> Result<QuestionResults, ApiError> {
    let (row, cells, counts) = state
        .db
        .run(move |conn| -> Result<_, crate::storage::StorageError> {
            Ok((
                crate::storage::announcements::get(conn, id)?,
                crate::storage::announcements::cells(conn, id)?,
                crate::storage::announcements::answer_counts(conn, id)?,
            ))
        })
        .await?;
    let row = row
        .filter(|r| r.question.is_some() && (!public || r.status == AnnouncementStatus::Published))
        .ok_or_else(|| ApiError::NotFound("no published announcement with a question has this id".into()))?;
    Ok(results(
        row.question.as_ref().map(|q| q.text.as_str()).unwrap_or_default(),
        row.question_open(Utc::now()),
        row.options(),
        &cells,
        &counts,
    ))
}

/// Public results of a published announcement's quick question: per area, counts below 5
/// shown as "fewer than 5".
#[utoipa::path(
    tag = "announcements",
    params(("id" = Uuid, Path, description = "Announcement id")),
    responses(
        (status = 200, description = "Results per area", body = QuestionResults),
        (status = 404, description = "No published announcement with a question", body = Problem, content_type = "application/problem+json"),
        Unavailable,
    )
)]
#[get("/api/v1/announcements/{id}/results")]
pub async fn public_results(path: web::Path<Uuid>, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(load_results(&state, path.into_inner(), true).await?))
}

/// Where to read announcements.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PlaceQuery {
    /// Latitude (with `lon`).
    pub lat: Option<f64>,
    /// Longitude (with `lat`).
    pub lon: Option<f64>,
    /// A buurt, wijk or gemeente code instead of a point.
    pub area: Option<String>,
}

fn place_cells(state: &AppState, query: &PlaceQuery) -> Result<(String, Vec<String>), ApiError> {
    let snapshot = state.config.snapshot();
    let invalid = |pointer: &str, detail: String| {
        ApiError::Validation(vec![crate::domain::validation::FieldError { pointer: pointer.into(), detail }])
    };
    match (query.lat, query.lon, query.area.as_deref()) {
        (None, None, Some(area)) => {
            let codes =
                subscription::check_area_codes(&snapshot.areas, &[area.to_owned()]).map_err(|e| invalid("/area", e))?;
            let label = codes.first().cloned().unwrap_or_default();
            let targets = Targets { areas: codes, ..Targets::default() };
            Ok((label, subscription::cells(&snapshot.areas, &targets).into_iter().collect()))
        }
        (Some(lat), Some(lon), None) => {
            let cell = subscription::cell_of_point(&snapshot.areas, lon, lat)
                .ok_or_else(|| invalid("/lat", "the point is in no known municipality".into()))?;
            Ok((cell.clone(), vec![cell]))
        }
        _ => Err(invalid("/area", "give either lat and lon, or area (a buurt, wijk or gemeente code)".into())),
    }
}

async fn current(state: &AppState, cells: Vec<String>, upcoming: bool) -> Result<Vec<Announcement>, ApiError> {
    Ok(state
        .db
        .run(move |conn| crate::storage::announcements::current_for(conn, &cells, Utc::now(), 200, upcoming))
        .await?)
}

/// Current announcements for a place: published, within their validity, for the point's
/// buurt (or wijk, gemeente) or the given area (a wijk includes its buurten).
#[utoipa::path(
    tag = "announcements",
    params(PlaceQuery),
    responses(
        crate::api::responses::QueryErrors,
        (status = 200, description = "Announcements, newest first", body = Vec<PublicAnnouncement>),
        (status = 422, description = "No place, an unknown area, or a point outside every municipality", body = Problem, content_type = "application/problem+json"),
        Unavailable,
    )
)]
#[get("/api/v1/announcements")]
pub async fn list_public(query: web::Query<PlaceQuery>, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let (_, cells) = place_cells(&state, &query)?;
    let rows = current(&state, cells, false).await?;
    Ok(HttpResponse::Ok().json(rows.iter().map(public_view).collect::<Vec<_>>()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_counts_are_hidden_and_totals_add_only_shown_counts() {
        let options = vec!["ja".to_owned(), "nee".to_owned()];
        let counts = vec![("BU1".to_owned(), 0, 7), ("BU1".to_owned(), 1, 2), ("BU2".to_owned(), 0, 3)];
        let results = results("?", true, &options, &["BU1".into(), "BU2".into(), "BU3".into()], &counts);
        let bu1 = &results.areas[0];
        assert_eq!((bu1.options[0].count, bu1.options[1].count), (Some(7), None));
        assert_eq!(bu1.options[1].display, "fewer than 5");
        assert_eq!(results.areas.len(), 3, "areas without answers are listed too, so presence reveals nothing");
        assert_eq!(results.totals_of_shown_counts[0].count, Some(7));
        assert_eq!(results.totals_of_shown_counts[1].count, Some(0));
        assert!(!serde_json::to_string(&results).unwrap_or_default().contains("\"count\":3"));
    }
}
