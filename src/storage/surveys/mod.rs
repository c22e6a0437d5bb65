//! The satisfaction survey after resolution (`crate::domain::survey`): the standard
//! answers (admin API), a survey opened with each resolution emailed to a reporter, the
//! answer (once, within the period), and the resident's request to reopen a report, which
//! moves it to `reopen_requested` with its history entry and an internal note.
//!
//! The survey link is signed from the survey id (no token is stored); the resident's text
//! is kept only as the internal note (see docs/privacy.md).

pub mod facts;

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use uuid::Uuid;

use super::connection::{DbTime, DbUuid};
use super::schema::{reporter_contacts, reports, survey_answers, surveys};
use super::{DbConnection, StorageError};
use crate::domain::report::{Report, ReportStatus};
use crate::domain::report_event::body::{EventData, ReopenVia, StatusChangedData};
use crate::domain::survey::{CheckedAnswer, DEMO_ANSWERS, StandardAnswer, SurveyState, survey_state};
use crate::domain::workflow::REOPEN_REQUEST_HOURS;

/// The actor of the history entries a resident's answer writes.
pub const ACTOR: &str = "reporter";

type AnswerRow = (DbUuid, bool, String, String, bool, i32, bool);

fn to_answer(row: AnswerRow) -> StandardAnswer {
    let (id, satisfied, text_nl, text_en, reopens, position, active) = row;
    StandardAnswer { id: id.0, satisfied, text_nl, text_en, reopens, position, active }
}

macro_rules! answer_columns {
    () => {
        (
            survey_answers::id,
            survey_answers::satisfied,
            survey_answers::text_nl,
            survey_answers::text_en,
            survey_answers::reopens,
            survey_answers::position,
            survey_answers::active,
        )
    };
}

/// Every standard answer, active or not: "yes" first, each side by position.
pub fn list_answers(conn: &mut DbConnection) -> Result<Vec<StandardAnswer>, StorageError> {
    Ok(survey_answers::table
        .order((survey_answers::satisfied.desc(), survey_answers::position, survey_answers::created_at))
        .select(answer_columns!())
        .load::<AnswerRow>(conn)?
        .into_iter()
        .map(to_answer)
        .collect())
}

/// One standard answer.
pub fn get_answer(conn: &mut DbConnection, id: Uuid) -> Result<Option<StandardAnswer>, StorageError> {
    Ok(survey_answers::table
        .find(DbUuid(id))
        .select(answer_columns!())
        .first::<AnswerRow>(conn)
        .optional()?
        .map(to_answer))
}

/// Stores a standard answer: a new one (`answer.id` unknown) or a change of an existing one.
pub fn save_answer(conn: &mut DbConnection, answer: &StandardAnswer) -> Result<StandardAnswer, StorageError> {
    conn.write_transaction(|c| -> Result<StandardAnswer, StorageError> {
        let changed = diesel::update(survey_answers::table.find(DbUuid(answer.id)))
            .set((
                survey_answers::satisfied.eq(answer.satisfied),
                survey_answers::text_nl.eq(&answer.text_nl),
                survey_answers::text_en.eq(&answer.text_en),
                survey_answers::reopens.eq(answer.reopens),
                survey_answers::position.eq(answer.position),
                survey_answers::active.eq(answer.active),
            ))
            .execute(c)?;
        if changed == 0 {
            insert_answer(c, answer, DbTime::new(Utc::now()))?;
        }
        Ok(answer.clone())
    })
}

fn insert_answer(conn: &mut DbConnection, answer: &StandardAnswer, now: DbTime) -> Result<(), StorageError> {
    diesel::insert_into(survey_answers::table)
        .values((
            survey_answers::id.eq(DbUuid(answer.id)),
            survey_answers::satisfied.eq(answer.satisfied),
            survey_answers::text_nl.eq(&answer.text_nl),
            survey_answers::text_en.eq(&answer.text_en),
            survey_answers::reopens.eq(answer.reopens),
            survey_answers::position.eq(answer.position),
            survey_answers::active.eq(answer.active),
            survey_answers::created_at.eq(now),
        ))
        .execute(conn)?;
    Ok(())
}

/// Seeds the demo's standard answers (inside the caller's transaction).
pub fn seed_demo_answers(conn: &mut DbConnection, now: DbTime) -> Result<(), StorageError> {
    for (position, (satisfied, nl, en, reopens)) in (0i32..).zip(DEMO_ANSWERS) {
        let id = Uuid::new_v5(&Uuid::NAMESPACE_OID, format!("meldpunt:survey-answer:{satisfied}:{nl}").as_bytes());
        let answer = StandardAnswer {
            id,
            satisfied,
            text_nl: nl.to_owned(),
            text_en: en.to_owned(),
            reopens,
            position,
            active: true,
        };
        insert_answer(conn, &answer, now)?;
    }
    Ok(())
}

/// Opens a survey for the resolution of `report_id` when its reporter left an email
/// address (inside the caller's transaction). The survey's id, to sign into the link.
pub fn open_for_resolution(
    conn: &mut DbConnection,
    report_id: Uuid,
    at: DateTime<Utc>,
    survey_days: i64,
) -> Result<Option<Uuid>, StorageError> {
    let with_email: i64 = reporter_contacts::table
        .find(DbUuid(report_id))
        .filter(reporter_contacts::email.is_not_null())
        .count()
        .get_result(conn)?;
    if with_email == 0 {
        return Ok(None);
    }
    let id = Uuid::now_v7();
    diesel::insert_into(surveys::table)
        .values((
            surveys::id.eq(DbUuid(id)),
            surveys::report_id.eq(Some(DbUuid(report_id))),
            surveys::sent_at.eq(DbTime::new(at)),
            surveys::expires_at.eq(DbTime::new(at + chrono::Duration::days(survey_days))),
            surveys::reopen_requested.eq(false),
        ))
        .execute(conn)?;
    Ok(Some(id))
}

/// A survey as the resident's link opens it.
#[derive(Debug, Clone)]
pub struct Survey {
    pub id: Uuid,
    pub report_id: Uuid,
    pub reference: String,
    pub sent_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub answered_at: Option<DateTime<Utc>>,
    /// The answer's side, once answered.
    pub satisfied: Option<bool>,
    /// The standard answer chosen, once answered.
    pub answer_id: Option<Uuid>,
    /// Whether the answer asked staff to reopen the report.
    pub reopen_requested: bool,
}

impl Survey {
    /// Where it stands at `now`.
    pub fn state(&self, now: DateTime<Utc>) -> SurveyState {
        survey_state(self.answered_at, self.expires_at, now)
    }
}

type SurveyRow = (DbUuid, Option<DbUuid>, DbTime, DbTime, Option<DbTime>, Option<bool>, Option<DbUuid>, bool);

macro_rules! survey_columns {
    () => {
        (
            surveys::id,
            surveys::report_id,
            surveys::sent_at,
            surveys::expires_at,
            surveys::answered_at,
            surveys::satisfied,
            surveys::answer_id,
            surveys::reopen_requested,
        )
    };
}

fn to_survey(conn: &mut DbConnection, row: SurveyRow) -> Result<Option<Survey>, StorageError> {
    let (id, report_id, sent_at, expires_at, answered_at, satisfied, answer_id, reopen_requested) = row;
    // A survey whose report was deleted is as unknown as a survey that never existed.
    let Some(report_id) = report_id else { return Ok(None) };
    let reference: Option<String> = reports::table.find(report_id).select(reports::reference).first(conn).optional()?;
    Ok(reference.map(|reference| Survey {
        id: id.0,
        report_id: report_id.0,
        reference,
        sent_at: sent_at.0,
        expires_at: expires_at.0,
        answered_at: answered_at.map(|t| t.0),
        satisfied,
        answer_id: answer_id.map(|a| a.0),
        reopen_requested,
    }))
}

/// The survey `id`, if it exists and its report still does.
pub fn get(conn: &mut DbConnection, id: Uuid) -> Result<Option<Survey>, StorageError> {
    let row = surveys::table.find(DbUuid(id)).select(survey_columns!()).first::<SurveyRow>(conn).optional()?;
    match row {
        Some(row) => to_survey(conn, row),
        None => Ok(None),
    }
}

/// The surveys of a report, newest first (for staff).
pub fn of_report(conn: &mut DbConnection, report_id: Uuid) -> Result<Vec<Survey>, StorageError> {
    let rows: Vec<SurveyRow> = surveys::table
        .filter(surveys::report_id.eq(Some(DbUuid(report_id))))
        .order(surveys::sent_at.desc())
        .select(survey_columns!())
        .load(conn)?;
    let mut out = Vec::new();
    for row in rows {
        out.extend(to_survey(conn, row)?);
    }
    Ok(out)
}

/// What answering a survey did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answered {
    /// No such survey (or its report is gone).
    Unknown,
    /// Answered before, or its period is over.
    Closed(SurveyState),
    /// Recorded; whether the report is now `reopen_requested` because of it.
    Recorded { reopen_requested: bool },
}

/// Records the answer to survey `id` (one per survey, within its period) in one write
/// transaction: the answer with the report's department, category and areas (for the
/// statistics), a `survey_answered` history entry, an internal note with the resident's
/// words when there are any or the answer reopens, and, when the answer reopens and the
/// report is still resolved, the move to `reopen_requested`.
pub fn answer(conn: &mut DbConnection, id: Uuid, checked: &CheckedAnswer) -> Result<Answered, StorageError> {
    conn.write_transaction(|c| -> Result<Answered, StorageError> {
        let now = Utc::now();
        let Some(survey) = get(c, id)? else { return Ok(Answered::Unknown) };
        let state = survey.state(now);
        if state != SurveyState::Open {
            return Ok(Answered::Closed(state));
        }
        let report = super::reports::by_id(c, survey.report_id)?
            .ok_or_else(|| StorageError::Corrupt(format!("report {} vanished", survey.report_id)))?;
        let reopens = checked.reopens() && report.status == ReportStatus::Resolved;
        let area = report.area.as_ref();
        let changed = diesel::update(surveys::table.find(DbUuid(id)).filter(surveys::answered_at.is_null()))
            .set((
                surveys::answered_at.eq(Some(DbTime::new(now))),
                surveys::satisfied.eq(Some(checked.satisfied)),
                surveys::answer_id.eq(checked.answer.as_ref().map(|a| DbUuid(a.id))),
                surveys::reopen_requested.eq(reopens),
                surveys::category_id.eq(Some(DbUuid(report.category_id))),
                surveys::department_id.eq(report.department_id.map(DbUuid)),
                surveys::source.eq(Some(report.source.clone())),
                surveys::gemeente_code.eq(area.map(|a| a.gemeente_code.clone())),
                surveys::wijk_code.eq(area.and_then(|a| a.wijk_code.clone())),
                surveys::buurt_code.eq(area.and_then(|a| a.buurt_code.clone())),
                surveys::area_year.eq(area.map(|a| a.year)),
            ))
            .execute(c)?;
        if changed == 0 {
            return Ok(Answered::Closed(SurveyState::Answered));
        }
        super::triage::append(
            c,
            report.id,
            ACTOR,
            "survey_answered",
            serde_json::json!({
                "survey_id": id,
                "satisfied": checked.satisfied,
                "answer_id": checked.answer.as_ref().map(|a| a.id),
                "answer": checked.answer.as_ref().map(|a| a.text_nl.clone()),
                "reopen_requested": reopens,
            }),
        )?;
        if checked.text.is_some() || checked.reopens() {
            note(c, report.id, &checked.note())?;
        }
        if reopens {
            request_reopen_in(c, &report, ReopenVia::Survey)?;
        }
        Ok(Answered::Recorded { reopen_requested: reopens })
    })
}

/// Writes an internal note by the resident (inside the caller's transaction).
fn note(conn: &mut DbConnection, report_id: Uuid, text: &str) -> Result<(), StorageError> {
    super::triage::append(conn, report_id, ACTOR, "note", serde_json::json!({"visibility": "internal", "text": text}))
}

/// Moves a resolved report to `reopen_requested` with its history entry and its own
/// handling term (inside the caller's transaction). The statistics still count it as
/// resolved until staff reopen it.
fn request_reopen_in(conn: &mut DbConnection, report: &Report, via: ReopenVia) -> Result<(), StorageError> {
    let now = Utc::now();
    let due = now + chrono::Duration::hours(REOPEN_REQUEST_HOURS);
    diesel::update(reports::table.find(DbUuid(report.id)).filter(reports::status.eq(ReportStatus::Resolved.as_str())))
        .set((
            reports::status.eq(ReportStatus::ReopenRequested.as_str()),
            reports::reopen_due_at.eq(Some(DbTime::new(due))),
            reports::updated_at.eq(DbTime::new(now)),
        ))
        .execute(conn)?;
    let change = EventData::StatusChanged(StatusChangedData {
        from: ReportStatus::Resolved,
        to: ReportStatus::ReopenRequested,
        text: None,
        via: Some(via),
    });
    super::triage::append(conn, report.id, ACTOR, "status_changed", change.to_value())?;
    // Back-office systems hear of the request as of any status change (the resident's
    // words are an internal note, not in the event).
    super::report_events::record(conn, report.id, &change)
}

/// What a resident's request to reopen from the follow link did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReopenRequest {
    /// No such report.
    Unknown,
    /// Refused by the rule (not resolved, or too late).
    Refused(crate::domain::survey::ReopenRefusal),
    /// The report is now `reopen_requested`.
    Requested,
}

/// When report `report_id` was last resolved or cancelled (`None`: it is open, or no such
/// report).
pub fn settled_at(conn: &mut DbConnection, report_id: Uuid) -> Result<Option<DateTime<Utc>>, StorageError> {
    Ok(reports::table
        .find(DbUuid(report_id))
        .select(reports::settled_at)
        .first::<Option<DbTime>>(conn)
        .optional()?
        .flatten()
        .map(|at| at.0))
}

/// A reporter asks to reopen their resolved report from the follow link, within
/// `survey_days` of the resolution, with an optional text (kept as an internal note).
pub fn request_reopen(
    conn: &mut DbConnection,
    report_id: Uuid,
    text: Option<&str>,
    survey_days: i64,
) -> Result<ReopenRequest, StorageError> {
    conn.write_transaction(|c| -> Result<ReopenRequest, StorageError> {
        let Some(report) = super::reports::by_id(c, report_id)? else { return Ok(ReopenRequest::Unknown) };
        let settled = settled_at(c, report_id)?;
        let now = Utc::now();
        if let Err(refused) = crate::domain::survey::may_request_reopen(report.status, settled, survey_days, now) {
            return Ok(ReopenRequest::Refused(refused));
        }
        let mut words = "Verzoek van de melder om de melding te heropenen (via de volglink).".to_owned();
        if let Some(text) = text {
            words.push_str(&format!(" Toelichting van de melder: {text}"));
        }
        note(c, report_id, &words)?;
        request_reopen_in(c, &report, ReopenVia::FollowLink)?;
        Ok(ReopenRequest::Requested)
    })
}

/// Closes the open surveys of `reports` (their reporter's contact is being erased; inside
/// the caller's transaction): their links answer `410` from now on.
pub fn close_open(conn: &mut DbConnection, reports: &[Uuid]) -> Result<usize, StorageError> {
    let now = DbTime::new(Utc::now());
    Ok(diesel::update(
        surveys::table
            .filter(surveys::report_id.eq_any(reports.iter().copied().map(|id| Some(DbUuid(id)))))
            .filter(surveys::answered_at.is_null())
            .filter(surveys::expires_at.gt(now)),
    )
    .set(surveys::expires_at.eq(now))
    .execute(conn)?)
}
