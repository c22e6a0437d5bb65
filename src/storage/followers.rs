//! Who hears about a report's public changes, and through which private link: its
//! reporter and its confirmed supporters with an email address, and those of every report
//! merged into it. Each email carries a follow link of its own that knows whose it is (the
//! reporter of which report, or which supporter), so that erasing through it erases that
//! person only. Supporters' addresses need double opt-in: they get nothing but the
//! confirmation link until they confirm it.
//!
//! Read by the outbox when it queues an update; a module of its own below both `outbox`
//! and `duplicates`, so neither needs the other. Only SHA-256 hashes of tokens are stored.

use chrono::Utc;
use diesel::prelude::*;
use uuid::Uuid;

use super::connection::{DbTime, DbUuid};
use super::schema::{follow_tokens, report_supporters, reporter_contacts, reports};
use super::{DbConnection, StorageError};
use crate::domain::auth::{new_token, token_hash};
use crate::domain::report::Language;

/// Whose contact a follow link belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Holder {
    /// The reporter of this report (the followed one, or one merged into it).
    Reporter(Uuid),
    /// This supporter ("me too" with an email address).
    Supporter(Uuid),
}

/// One address to tell about a report's public changes.
#[derive(Debug, Clone)]
pub struct Recipient {
    pub email: String,
    pub language: Language,
    pub holder: Holder,
}

/// Everyone to tell about public changes of `report_id`: the reporters and confirmed
/// supporters (with an email) of the report and of every report merged into it, each
/// address once (a reporter before a supporter).
pub fn recipients(conn: &mut DbConnection, report_id: Uuid) -> Result<Vec<Recipient>, StorageError> {
    let mut ids = vec![report_id];
    ids.extend(merged_into(conn, report_id)?);
    let keys = || ids.iter().copied().map(DbUuid).collect::<Vec<_>>();
    let reporters: Vec<(DbUuid, Option<String>, String)> = reporter_contacts::table
        .filter(reporter_contacts::report_id.eq_any(keys()))
        .filter(reporter_contacts::email.is_not_null())
        .select((reporter_contacts::report_id, reporter_contacts::email, reporter_contacts::language))
        .load(conn)?;
    let supporters: Vec<(DbUuid, Option<String>, String)> = report_supporters::table
        .filter(report_supporters::report_id.eq_any(keys()))
        .filter(report_supporters::email.is_not_null())
        .filter(report_supporters::confirmed_at.is_not_null())
        .select((report_supporters::id, report_supporters::email, report_supporters::language))
        .order(report_supporters::created_at)
        .load(conn)?;
    let mut seen = std::collections::HashSet::new();
    Ok(reporters
        .into_iter()
        .map(|(id, email, language)| (Holder::Reporter(id.0), email, language))
        .chain(supporters.into_iter().map(|(id, email, language)| (Holder::Supporter(id.0), email, language)))
        .filter_map(|(holder, email, language)| {
            let email = email?;
            seen.insert(email.to_ascii_lowercase()).then(|| Recipient {
                email,
                language: Language::parse(&language),
                holder,
            })
        })
        .collect())
}

/// The language of the emails about a report (its reporter's), Dutch when no contact is
/// kept (none given, or erased).
pub fn language_of(conn: &mut DbConnection, report_id: Uuid) -> Result<Language, StorageError> {
    let language: Option<String> = reporter_contacts::table
        .filter(reporter_contacts::report_id.eq(DbUuid(report_id)))
        .select(reporter_contacts::language)
        .first(conn)
        .optional()?;
    Ok(language.map_or(Language::Nl, |l| Language::parse(&l)))
}

/// The reports merged into `id`.
pub fn merged_into(conn: &mut DbConnection, id: Uuid) -> Result<Vec<Uuid>, StorageError> {
    Ok(reports::table
        .filter(reports::merged_into_id.eq(DbUuid(id)))
        .select(reports::id)
        .load::<DbUuid>(conn)?
        .into_iter()
        .map(|r| r.0)
        .collect())
}

/// A fresh follow link token for `report_id`, held by `holder` (stored hashed; inside the
/// caller's transaction).
pub fn new_follow_token(conn: &mut DbConnection, report_id: Uuid, holder: Holder) -> Result<String, StorageError> {
    let token = new_token();
    let (supporter, reporter_of) = match holder {
        Holder::Supporter(id) => (Some(DbUuid(id)), None),
        Holder::Reporter(id) if id == report_id => (None, None),
        Holder::Reporter(id) => (None, Some(DbUuid(id))),
    };
    diesel::insert_into(follow_tokens::table)
        .values((
            follow_tokens::token_hash.eq(token_hash(&token)),
            follow_tokens::report_id.eq(DbUuid(report_id)),
            follow_tokens::created_at.eq(DbTime::new(Utc::now())),
            follow_tokens::supporter_id.eq(supporter),
            follow_tokens::reporter_of.eq(reporter_of),
        ))
        .execute(conn)?;
    Ok(token)
}

/// What a follow link opens: the followed report, and whose link it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FollowLink {
    pub report_id: Uuid,
    pub holder: Holder,
}

/// The report and holder of a follow token; `None` for an unknown token, and for a
/// supporter's token whose supporter has erased their address.
pub fn follow_link(conn: &mut DbConnection, token: &str) -> Result<Option<FollowLink>, StorageError> {
    let found: Option<(DbUuid, Option<DbUuid>, Option<DbUuid>)> = follow_tokens::table
        .find(token_hash(token))
        .select((follow_tokens::report_id, follow_tokens::supporter_id, follow_tokens::reporter_of))
        .first(conn)
        .optional()?;
    let Some((report, supporter, reporter_of)) = found else { return Ok(None) };
    let holder = match (supporter, reporter_of) {
        (Some(supporter), _) => {
            let held: i64 = report_supporters::table
                .find(supporter)
                .filter(report_supporters::email.is_not_null())
                .count()
                .get_result(conn)?;
            if held == 0 {
                return Ok(None);
            }
            Holder::Supporter(supporter.0)
        }
        (None, Some(reporter)) => {
            // On SQLite this column has no foreign key: a merged report deleted since
            // leaves its reporter's links, which then lead nowhere.
            if reports::table.find(reporter).count().get_result::<i64>(conn)? == 0 {
                return Ok(None);
            }
            Holder::Reporter(reporter.0)
        }
        (None, None) => Holder::Reporter(report.0),
    };
    Ok(Some(FollowLink { report_id: report.0, holder }))
}

/// The report a follow token belongs to.
pub fn followed_report(conn: &mut DbConnection, token: &str) -> Result<Option<Uuid>, StorageError> {
    Ok(follow_link(conn, token)?.map(|link| link.report_id))
}

/// What supporting a report with an email address did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NewSupporter {
    /// A new supporter: its id and the confirmation token to email (none without address).
    Added { id: Uuid, confirm_token: Option<String> },
    /// The address supports the report already (confirmed or not): nothing changed.
    Known,
}

/// Adds a supporter of `report_id` (inside the caller's transaction). An address is
/// stored unconfirmed, with a confirmation token; an address that already supports the
/// report (in any case of letters) is not added twice, and gets no second email.
pub fn add_supporter(
    conn: &mut DbConnection,
    report_id: Uuid,
    email: Option<&str>,
    language: Language,
) -> Result<NewSupporter, StorageError> {
    if let Some(email) = email {
        let known: Vec<Option<String>> = report_supporters::table
            .filter(report_supporters::report_id.eq(DbUuid(report_id)))
            .filter(report_supporters::email.is_not_null())
            .select(report_supporters::email)
            .load(conn)?;
        if known.iter().flatten().any(|k| k.eq_ignore_ascii_case(email)) {
            return Ok(NewSupporter::Known);
        }
    }
    let id = Uuid::now_v7();
    let confirm_token = email.map(|_| new_token());
    diesel::insert_into(report_supporters::table)
        .values((
            report_supporters::id.eq(DbUuid(id)),
            report_supporters::report_id.eq(DbUuid(report_id)),
            report_supporters::email.eq(email),
            report_supporters::language.eq(language.as_str()),
            report_supporters::created_at.eq(DbTime::new(Utc::now())),
            report_supporters::confirm_token_hash.eq(confirm_token.as_deref().map(token_hash)),
        ))
        .execute(conn)?;
    Ok(NewSupporter::Added { id, confirm_token })
}

/// Confirms a supporter's address by the token from its confirmation email: from now on
/// it hears about the report. Returns the supported report; `None` for an unknown or used
/// token.
pub fn confirm_supporter(conn: &mut DbConnection, token: &str) -> Result<Option<Uuid>, StorageError> {
    conn.write_transaction(|c| {
        let found: Option<(DbUuid, DbUuid)> = report_supporters::table
            .filter(report_supporters::confirm_token_hash.eq(token_hash(token)))
            .filter(report_supporters::email.is_not_null())
            .select((report_supporters::id, report_supporters::report_id))
            .first(c)
            .optional()?;
        let Some((id, report)) = found else { return Ok(None) };
        diesel::update(report_supporters::table.find(id))
            .set((
                report_supporters::confirmed_at.eq(Some(DbTime::new(Utc::now()))),
                report_supporters::confirm_token_hash.eq(None::<String>),
            ))
            .execute(c)?;
        Ok(Some(report.0))
    })
}
