//! Announcements: drafts, scheduling, publication with fan-out to every matching confirmed
//! subscription in the same transaction, withdrawal, delivery counts, public reading, and
//! quick-question answers.
//!
//! Fan-out and the deliveries it queues live in `deliveries`: one narrow row per
//! (announcement, subscription) in `announcement_deliveries`, whose primary key guarantees
//! once per subscription.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use uuid::Uuid;

use super::connection::{DbTime, DbUuid};
use super::schema::{announcement_areas, announcements, answers, subscriptions};
use super::{DbConnection, StorageError, json_column};
use crate::domain::announcement::{Announcement, AnnouncementStatus, QuickQuestion};

/// An `announcements` row.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = announcements)]
struct AnnouncementRow {
    id: DbUuid,
    status: String,
    title: String,
    body: String,
    areas: String,
    polygon: Option<String>,
    tags: String,
    valid_from: Option<DbTime>,
    valid_until: Option<DbTime>,
    question_text: Option<String>,
    question_options: Option<String>,
    question_closed_at: Option<DbTime>,
    publish_at: Option<DbTime>,
    published_at: Option<DbTime>,
    withdrawn_at: Option<DbTime>,
    created_by: String,
    created_at: DbTime,
    updated_at: DbTime,
}

impl TryFrom<AnnouncementRow> for Announcement {
    type Error = StorageError;

    fn try_from(row: AnnouncementRow) -> Result<Self, StorageError> {
        const TABLE: &str = "announcements";
        let id = row.id.0;
        let status = AnnouncementStatus::parse(&row.status).ok_or_else(|| {
            StorageError::corrupt(TABLE, "status", format!("row {id}: unknown status '{}'", row.status))
        })?;
        let question = match (row.question_text, row.question_options) {
            (Some(text), Some(options)) => {
                Some(QuickQuestion { text, options: json_column(TABLE, "question_options", id, &options)? })
            }
            (Some(text), None) => Some(QuickQuestion { text, options: Vec::new() }),
            (None, _) => None,
        };
        Ok(Announcement {
            id,
            status,
            title: row.title,
            body: row.body,
            areas: json_column(TABLE, "areas", id, &row.areas)?,
            polygon: row.polygon.map(|p| json_column(TABLE, "polygon", id, &p)).transpose()?,
            tags: json_column(TABLE, "tags", id, &row.tags)?,
            valid_from: row.valid_from.map(|t| t.0),
            valid_until: row.valid_until.map(|t| t.0),
            question,
            question_closed_at: row.question_closed_at.map(|t| t.0),
            publish_at: row.publish_at.map(|t| t.0),
            published_at: row.published_at.map(|t| t.0),
            withdrawn_at: row.withdrawn_at.map(|t| t.0),
            created_by: row.created_by,
            created_at: row.created_at.0,
            updated_at: row.updated_at.0,
        })
    }
}

fn announcements(rows: Vec<AnnouncementRow>) -> Result<Vec<Announcement>, StorageError> {
    rows.into_iter().map(Announcement::try_from).collect()
}

pub use crate::domain::announcement::AnnouncementContent;

/// Stores a draft.
pub fn create(
    conn: &mut DbConnection,
    id: Uuid,
    content: &AnnouncementContent,
    actor: &str,
) -> Result<(), StorageError> {
    conn.write_transaction(|conn| -> Result<(), StorageError> {
        let now = DbTime::new(Utc::now());
        diesel::insert_into(announcements::table)
            .values((
                announcements::id.eq(DbUuid(id)),
                announcements::status.eq("draft"),
                announcements::created_by.eq(actor),
                announcements::created_at.eq(now),
                announcements::updated_at.eq(now),
                announcements::title.eq(""),
                announcements::body.eq(""),
            ))
            .execute(conn)?;
        write_content(conn, id, content)
    })
}

fn write_content(conn: &mut DbConnection, id: Uuid, content: &AnnouncementContent) -> Result<(), StorageError> {
    let (question_text, options) = match &content.question {
        Some((text, options)) => (Some(text.clone()), Some(serde_json::json!(options).to_string())),
        None => (None, None),
    };
    diesel::update(announcements::table.find(DbUuid(id)))
        .set((
            announcements::title.eq(&content.title),
            announcements::body.eq(&content.body),
            announcements::areas.eq(serde_json::json!(content.areas).to_string()),
            announcements::polygon.eq(content.polygon.as_ref().map(|p| p.to_string())),
            announcements::tags.eq(serde_json::json!(content.tags).to_string()),
            announcements::valid_from.eq(content.valid_from.map(DbTime::new)),
            announcements::valid_until.eq(content.valid_until.map(DbTime::new)),
            announcements::question_text.eq(question_text),
            announcements::question_options.eq(options),
            announcements::updated_at.eq(DbTime::new(Utc::now())),
        ))
        .execute(conn)?;
    diesel::delete(announcement_areas::table.filter(announcement_areas::announcement_id.eq(DbUuid(id))))
        .execute(conn)?;
    // One row at a time: the multi-backend connection has no batch insert.
    for code in &content.cells {
        diesel::insert_into(announcement_areas::table)
            .values((announcement_areas::announcement_id.eq(DbUuid(id)), announcement_areas::area_code.eq(code)))
            .execute(conn)?;
    }
    Ok(())
}

/// Why a change of state was refused.
#[derive(Debug, thiserror::Error)]
pub enum StateError {
    /// No such announcement.
    #[error("no announcement with this id")]
    NotFound,
    /// Not allowed in its current state.
    #[error("the announcement is {0}")]
    WrongState(String),
    /// The database failed.
    #[error(transparent)]
    Storage(#[from] StorageError),
}

impl From<diesel::result::Error> for StateError {
    fn from(error: diesel::result::Error) -> Self {
        Self::Storage(error.into())
    }
}

/// Replaces the content of a draft or scheduled announcement.
pub fn update(conn: &mut DbConnection, id: Uuid, content: &AnnouncementContent) -> Result<(), StateError> {
    conn.write_transaction(|conn| -> Result<(), StateError> {
        let announcement = get(conn, id)?.ok_or(StateError::NotFound)?;
        if !announcement.status.is_editable() {
            return Err(StateError::WrongState(announcement.status.as_str().to_owned()));
        }
        write_content(conn, id, content)?;
        Ok(())
    })
}

/// An announcement by id.
pub fn get(conn: &mut DbConnection, id: Uuid) -> Result<Option<Announcement>, StorageError> {
    let row: Option<AnnouncementRow> =
        announcements::table.find(DbUuid(id)).select(AnnouncementRow::as_select()).first(conn).optional()?;
    row.map(Announcement::try_from).transpose()
}

/// Every announcement, newest first (staff).
pub fn list(conn: &mut DbConnection, limit: i64) -> Result<Vec<Announcement>, StorageError> {
    announcements(
        announcements::table
            .order(announcements::created_at.desc())
            .limit(limit)
            .select(AnnouncementRow::as_select())
            .load(conn)?,
    )
}

/// Published announcements sent to any of `codes` with a publication time in `[from, to)`,
/// oldest first (for projects).
pub fn published_to(
    conn: &mut DbConnection,
    codes: &[String],
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Vec<Announcement>, StorageError> {
    use super::schema::announcement_areas;
    let ids = announcement_areas::table
        .filter(announcement_areas::area_code.eq_any(codes.to_vec()))
        .select(announcement_areas::announcement_id);
    announcements(
        announcements::table
            .filter(announcements::id.eq_any(ids))
            .filter(announcements::published_at.ge(DbTime::new(from)))
            .filter(announcements::published_at.lt(DbTime::new(to)))
            .order(announcements::published_at)
            .select(AnnouncementRow::as_select())
            .load(conn)?,
    )
}

/// What publishing did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Published {
    /// Published now; this many deliveries were queued.
    Now(usize),
    /// Scheduled for later.
    Scheduled,
}

/// Publishes a draft or scheduled announcement now (fanning out in the same transaction),
/// or schedules it for `at` when that lies in the future.
pub fn publish(
    conn: &mut DbConnection,
    id: Uuid,
    at: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Result<Published, StateError> {
    conn.write_transaction(|conn| -> Result<Published, StateError> {
        let announcement = get(conn, id)?.ok_or(StateError::NotFound)?;
        if !announcement.status.is_editable() {
            return Err(StateError::WrongState(announcement.status.as_str().to_owned()));
        }
        if let Some(at) = at.filter(|at| *at > now) {
            diesel::update(announcements::table.find(DbUuid(id)))
                .set((
                    announcements::status.eq("scheduled"),
                    announcements::publish_at.eq(Some(DbTime::new(at))),
                    announcements::updated_at.eq(DbTime::new(now)),
                ))
                .execute(conn)?;
            return Ok(Published::Scheduled);
        }
        Ok(Published::Now(publish_now(conn, id, &announcement.tags, now)?.unwrap_or(0)))
    })
}

/// Moves the announcement to `published` if it is still a draft or scheduled, and fans it
/// out; `None` when another process got there first. Inside the caller's transaction.
fn publish_now(
    conn: &mut DbConnection,
    id: Uuid,
    tags: &[String],
    now: DateTime<Utc>,
) -> Result<Option<usize>, StorageError> {
    let moved = diesel::update(
        announcements::table
            .find(DbUuid(id))
            .filter(announcements::status.eq("draft").or(announcements::status.eq("scheduled"))),
    )
    .set((
        announcements::status.eq("published"),
        announcements::published_at.eq(Some(DbTime::new(now))),
        announcements::updated_at.eq(DbTime::new(now)),
    ))
    .execute(conn)?;
    if moved == 0 {
        return Ok(None);
    }
    Ok(Some(fan_out(conn, id, tags)?))
}

/// Queues the announcement for every matching active subscription, once each (inside the
/// caller's transaction). Returns how many deliveries were queued.
pub fn fan_out(conn: &mut DbConnection, id: Uuid, tags: &[String]) -> Result<usize, StorageError> {
    super::deliveries::fan_out(conn, id, tags)
}

/// How many subscriptions publishing the announcement now would reach: the fan-out itself
/// ([`fan_out`], the one matching rule) run in a transaction that is rolled back, so the
/// count is exactly what publishing would queue at this moment. `None`: no such
/// announcement.
pub fn reach(conn: &mut DbConnection, id: Uuid) -> Result<Option<usize>, StorageError> {
    /// Carries the count out of the transaction, which rolls back because it is an error.
    enum DryRun {
        Counted(usize),
        Failed(StorageError),
    }
    impl From<diesel::result::Error> for DryRun {
        fn from(error: diesel::result::Error) -> Self {
            Self::Failed(error.into())
        }
    }
    let Some(announcement) = get(conn, id)? else { return Ok(None) };
    let outcome = conn.write_transaction(|conn| -> Result<(), DryRun> {
        let count = fan_out(conn, id, &announcement.tags).map_err(DryRun::Failed)?;
        Err(DryRun::Counted(count))
    });
    match outcome {
        Err(DryRun::Counted(count)) => Ok(Some(count)),
        Err(DryRun::Failed(error)) => Err(error),
        Ok(()) => Ok(Some(0)),
    }
}

/// Publishes scheduled announcements whose time has come, each in its own transaction; safe
/// with several processes (the state change decides who fans out). Returns how many.
pub fn publish_due(conn: &mut DbConnection, now: DateTime<Utc>) -> Result<usize, StorageError> {
    let due: Vec<(DbUuid, String)> = announcements::table
        .filter(announcements::status.eq("scheduled"))
        .filter(announcements::publish_at.le(DbTime::new(now)))
        .order(announcements::publish_at)
        .limit(20)
        .select((announcements::id, announcements::tags))
        .load(conn)?;
    let mut published = 0;
    for (id, tags) in due {
        let tags: Vec<String> = json_column("announcements", "tags", id.0, &tags)?;
        let done = conn.write_transaction(|conn| publish_now(conn, id.0, &tags, now))?;
        if let Some(count) = done {
            tracing::info!(announcement_id = %id.0, deliveries = count, "scheduled announcement published");
            published += 1;
        }
    }
    Ok(published)
}

/// Withdraws an announcement: gone from public reading, pending deliveries cancelled.
pub fn withdraw(conn: &mut DbConnection, id: Uuid) -> Result<usize, StateError> {
    conn.write_transaction(|conn| -> Result<usize, StateError> {
        let announcement = get(conn, id)?.ok_or(StateError::NotFound)?;
        if announcement.status == AnnouncementStatus::Withdrawn {
            return Err(StateError::WrongState(announcement.status.as_str().to_owned()));
        }
        let now = DbTime::new(Utc::now());
        diesel::update(announcements::table.find(DbUuid(id)))
            .set((
                announcements::status.eq("withdrawn"),
                announcements::withdrawn_at.eq(Some(now)),
                announcements::updated_at.eq(now),
            ))
            .execute(conn)?;
        Ok(super::deliveries::cancel_pending(conn, id)?)
    })
}

/// Closes the quick question now.
pub fn close_question(conn: &mut DbConnection, id: Uuid) -> Result<(), StateError> {
    let announcement = get(conn, id)?.ok_or(StateError::NotFound)?;
    if announcement.question.is_none() {
        return Err(StateError::WrongState("without a question".into()));
    }
    diesel::update(announcements::table.find(DbUuid(id)).filter(announcements::question_closed_at.is_null()))
        .set(announcements::question_closed_at.eq(Some(DbTime::new(Utc::now()))))
        .execute(conn)?;
    Ok(())
}

/// Delivery counts of an announcement: (channel, state, count).
pub fn delivery_counts(conn: &mut DbConnection, id: Uuid) -> Result<Vec<(String, String, i64)>, StorageError> {
    super::deliveries::counts(conn, id)
}

/// Published announcements for any of `cells` valid at `now` (with `upcoming`: also those
/// whose validity starts later), newest first.
pub fn current_for(
    conn: &mut DbConnection,
    cells: &[String],
    now: DateTime<Utc>,
    limit: i64,
    upcoming: bool,
) -> Result<Vec<Announcement>, StorageError> {
    let at = DbTime::new(now);
    let ids = announcement_areas::table
        .filter(announcement_areas::area_code.eq_any(cells))
        .select(announcement_areas::announcement_id);
    let starts_by = if upcoming { DbTime::new(now + chrono::Duration::days(36_500)) } else { at };
    announcements(
        announcements::table
            .filter(announcements::status.eq("published"))
            .filter(announcements::id.eq_any(ids))
            .filter(announcements::valid_from.is_null().or(announcements::valid_from.le(starts_by)))
            .filter(announcements::valid_until.is_null().or(announcements::valid_until.gt(at)))
            .order(announcements::published_at.desc())
            .limit(limit)
            .select(AnnouncementRow::as_select())
            .load(conn)?,
    )
}

/// The cells an announcement covers.
pub fn cells(conn: &mut DbConnection, id: Uuid) -> Result<Vec<String>, StorageError> {
    Ok(announcement_areas::table
        .filter(announcement_areas::announcement_id.eq(DbUuid(id)))
        .select(announcement_areas::area_code)
        .order(announcement_areas::area_code)
        .load(conn)?)
}

/// Why an answer was refused.
#[derive(Debug, thiserror::Error)]
pub enum AnswerError {
    /// No such announcement, no question, or the subscription did not receive it.
    #[error("{0}")]
    NotFound(String),
    /// The question is closed.
    #[error("the question is closed")]
    Closed,
    /// The option does not exist.
    #[error("option {0} does not exist")]
    NoSuchOption(usize),
    /// The database failed.
    #[error(transparent)]
    Storage(#[from] StorageError),
}

impl From<diesel::result::Error> for AnswerError {
    fn from(error: diesel::result::Error) -> Self {
        Self::Storage(error.into())
    }
}

/// Records (or changes) the answer of a subscription that received the announcement.
pub fn answer(
    conn: &mut DbConnection,
    announcement_id: Uuid,
    subscription_id: Uuid,
    option: usize,
    now: DateTime<Utc>,
) -> Result<(), AnswerError> {
    conn.write_transaction(|conn| -> Result<(), AnswerError> {
        let announcement = get(conn, announcement_id)?
            .filter(|a| a.question.is_some() && a.status != AnnouncementStatus::Draft)
            .ok_or_else(|| AnswerError::NotFound("no announcement with a question has this id".into()))?;
        if !announcement.question_open(now) {
            return Err(AnswerError::Closed);
        }
        if option >= announcement.options().len() {
            return Err(AnswerError::NoSuchOption(option));
        }
        let home: Option<(Option<String>, i64)> = subscriptions::table
            .find(DbUuid(subscription_id))
            .filter(subscriptions::status.ne("ended"))
            .select((subscriptions::home_area, subscriptions::seq))
            .first(conn)
            .optional()?;
        let Some((home, subscription_seq)) = home else {
            return Err(AnswerError::NotFound("the subscription has ended or does not exist".into()));
        };
        if !super::deliveries::was_queued(conn, announcement_id, subscription_seq)? {
            return Err(AnswerError::NotFound("this announcement was not sent to this subscription".into()));
        }
        diesel::delete(
            answers::table
                .filter(answers::announcement_id.eq(DbUuid(announcement_id)))
                .filter(answers::subscription_id.eq(DbUuid(subscription_id))),
        )
        .execute(conn)?;
        diesel::insert_into(answers::table)
            .values((
                answers::announcement_id.eq(DbUuid(announcement_id)),
                answers::subscription_id.eq(DbUuid(subscription_id)),
                answers::option.eq(i32::try_from(option).unwrap_or(i32::MAX)),
                answers::area_code.eq(home.unwrap_or_else(|| "unknown".into())),
                answers::answered_at.eq(DbTime::new(now)),
            ))
            .execute(conn)?;
        Ok(())
    })
}

/// Answer counts of an announcement: (area code, option, count).
pub fn answer_counts(conn: &mut DbConnection, id: Uuid) -> Result<Vec<(String, i32, i64)>, StorageError> {
    Ok(answers::table
        .filter(answers::announcement_id.eq(DbUuid(id)))
        .group_by((answers::area_code, answers::option))
        .select((answers::area_code, answers::option, diesel::dsl::count_star()))
        .load(conn)?)
}
