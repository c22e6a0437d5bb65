//! The survey answers as the statistics read them (`crate::insight::statistics`): one row
//! per answer with the report's department, category, source and areas when it arrived.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use uuid::Uuid;

use super::super::connection::{DbTime, DbUuid};
use super::super::schema::{reports, surveys};
use super::super::{DbConnection, StorageError};

/// One answer as the statistics read it: when, which side, and the report's department,
/// category, source and areas when it arrived (never text or contact).
#[derive(Debug, Clone, PartialEq)]
pub struct AnswerFact {
    pub answered_at: DateTime<Utc>,
    pub satisfied: bool,
    pub category_id: Uuid,
    pub department_id: Option<Uuid>,
    pub source: String,
    pub area_year: i32,
    pub gemeente_code: String,
    pub wijk_code: Option<String>,
    pub buurt_code: Option<String>,
    /// The report's location while the report exists (to place an answer stamped in
    /// another boundary year).
    pub location: Option<(f64, f64)>,
}

type AnswerFactRow = (
    Option<DbUuid>,
    Option<DbTime>,
    Option<bool>,
    Option<DbUuid>,
    Option<DbUuid>,
    Option<String>,
    Option<i32>,
    Option<String>,
    Option<String>,
    Option<String>,
);

/// The survey answers received in the selection's window, of its municipalities per
/// stamped boundary year, categories, departments and sources.
pub fn answer_facts(
    conn: &mut DbConnection,
    selection: &super::super::stats::Selection,
    own_year: i32,
) -> Result<Vec<AnswerFact>, StorageError> {
    let mut out = Vec::new();
    for (year, gemeenten) in &selection.stamped {
        if gemeenten.is_empty() {
            continue;
        }
        let mut query = surveys::table
            .filter(surveys::answered_at.ge(DbTime::new(selection.start)))
            .filter(surveys::answered_at.lt(DbTime::new(selection.end)))
            .filter(surveys::area_year.eq(*year))
            .filter(surveys::gemeente_code.eq_any(gemeenten))
            .select((
                surveys::report_id,
                surveys::answered_at,
                surveys::satisfied,
                surveys::category_id,
                surveys::department_id,
                surveys::source,
                surveys::area_year,
                surveys::gemeente_code,
                surveys::wijk_code,
                surveys::buurt_code,
            ))
            .into_boxed();
        if !selection.categories.is_empty() {
            query = query.filter(surveys::category_id.eq_any(selection.categories.iter().map(|c| Some(DbUuid(*c)))));
        }
        if !selection.departments.is_empty() {
            query = query.filter(surveys::department_id.eq_any(selection.departments.iter().map(|d| Some(DbUuid(*d)))));
        }
        if !selection.sources.is_empty() {
            query = query.filter(surveys::source.eq_any(selection.sources.iter().map(|s| Some(s.clone()))));
        }
        let rows: Vec<AnswerFactRow> = query.load(conn)?;
        let elsewhere: Vec<DbUuid> =
            if *year == own_year { Vec::new() } else { rows.iter().filter_map(|r| r.0).collect() };
        let locations: std::collections::HashMap<Uuid, (f64, f64)> = if elsewhere.is_empty() {
            std::collections::HashMap::new()
        } else {
            reports::table
                .filter(reports::id.eq_any(&elsewhere))
                .select((reports::id, reports::lat, reports::lon))
                .load::<(DbUuid, f64, f64)>(conn)?
                .into_iter()
                .map(|(id, lat, lon)| (id.0, (lat, lon)))
                .collect()
        };
        for (report, at, satisfied, category, department, source, area_year, gemeente, wijk, buurt) in rows {
            let (Some(at), Some(satisfied), Some(category), Some(area_year), Some(gemeente)) =
                (at, satisfied, category, area_year, gemeente)
            else {
                continue;
            };
            out.push(AnswerFact {
                answered_at: at.0,
                satisfied,
                category_id: category.0,
                department_id: department.map(|d| d.0),
                source: source.unwrap_or_default(),
                area_year,
                gemeente_code: gemeente,
                wijk_code: wijk,
                buurt_code: buurt,
                location: report.and_then(|r| locations.get(&r.0).copied()),
            });
        }
    }
    Ok(out)
}
