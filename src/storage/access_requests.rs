//! The resident's right of access (AVG art. 15) and erasure everywhere (art. 17) by email
//! address: a request stores the address with a link token (only its SHA-256) and queues
//! the link to that address, whether or not anything is held under it; the link shows
//! what is held (reports, supports, subscriptions, emails kept) and erases all of it at
//! once, with the same erasure as the retention job. Addresses match in any case of
//! letters. Expired requests are removed by retention (`retention::remove_tokens_batch`).

use chrono::{DateTime, Duration, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Nullable, Text};
use uuid::Uuid;

use super::connection::{DbTime, DbUuid};
use super::schema::{
    access_requests, categories, outbox, report_supporters, reporter_contacts, reports, subscriptions,
};
use super::{DbConnection, StorageError};
use crate::domain::auth::{new_token, token_hash};
use crate::domain::message::Template;
use crate::domain::report::Language;

/// How long an access link works.
pub const LINK_HOURS: i64 = 72;

diesel::define_sql_function! {
    /// SQL `lower`, on both backends.
    fn lower(x: Nullable<Text>) -> Nullable<Text>;
}

/// Records a request for what is held under `email` and queues the link to that address
/// (inside the caller's transaction). Always the same, whatever is held.
pub fn request(conn: &mut DbConnection, email: &str, language: Language) -> Result<(), StorageError> {
    let token = new_token();
    let now = Utc::now();
    diesel::insert_into(access_requests::table)
        .values((
            access_requests::token_hash.eq(token_hash(&token)),
            access_requests::email.eq(email),
            access_requests::language.eq(language.as_str()),
            access_requests::created_at.eq(DbTime::new(now)),
            access_requests::expires_at.eq(DbTime::new(now + Duration::hours(LINK_HOURS))),
        ))
        .execute(conn)?;
    let params = serde_json::json!({"access_token": token, "hours": LINK_HOURS});
    super::outbox::enqueue(conn, None, email, language, Template::AccessLink, params)
}

/// What an access link opens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Link {
    /// No request has this link.
    Unknown,
    /// The link expired, or was used to erase.
    Gone,
    /// The address it was sent to, and until when it works.
    Open { email: String, language: Language, expires_at: DateTime<Utc> },
}

/// The state of access link `token`.
pub fn link(conn: &mut DbConnection, token: &str) -> Result<Link, StorageError> {
    let found: Option<(String, String, DbTime, Option<DbTime>)> = access_requests::table
        .find(token_hash(token))
        .select((
            access_requests::email,
            access_requests::language,
            access_requests::expires_at,
            access_requests::used_at,
        ))
        .first(conn)
        .optional()?;
    Ok(match found {
        None => Link::Unknown,
        Some((_, _, expires, used)) if used.is_some() || expires.0 <= Utc::now() => Link::Gone,
        Some((email, language, expires, _)) => {
            Link::Open { email, language: Language::parse(&language), expires_at: expires.0 }
        }
    })
}

/// A report filed with the address.
#[derive(Debug, Clone)]
pub struct HeldReport {
    pub id: Uuid,
    pub reference: String,
    pub category: String,
    pub status: String,
    pub created_at: DateTime<Utc>,
    /// The reporter's name and phone as held, if given.
    pub name: Option<String>,
    pub phone: Option<String>,
}

/// A report the address supports ("me too").
#[derive(Debug, Clone)]
pub struct HeldSupport {
    pub report_id: Uuid,
    pub reference: String,
    pub status: String,
    pub since: DateTime<Utc>,
    pub confirmed: bool,
}

/// A subscription of the address.
#[derive(Debug, Clone)]
pub struct HeldSubscription {
    pub id: Uuid,
    pub status: String,
    pub created_at: DateTime<Utc>,
    /// Its areas as given (JSON).
    pub targets: String,
}

/// Everything held under one address.
#[derive(Debug, Clone, Default)]
pub struct Holdings {
    pub reports: Vec<HeldReport>,
    pub supports: Vec<HeldSupport>,
    pub subscriptions: Vec<HeldSubscription>,
    /// Emails to the address whose copy is kept (queued, sent or given up).
    pub emails: i64,
}

type ReportRow = (DbUuid, String, (String, String), String, DbTime, Option<String>, Option<String>);

/// What is held under `email` (any case of letters); category names in `language`.
pub fn holdings(conn: &mut DbConnection, email: &str, language: Language) -> Result<Holdings, StorageError> {
    let address = Some(email.to_lowercase());
    let reports: Vec<ReportRow> = reporter_contacts::table
        .inner_join(reports::table.on(reports::id.eq(reporter_contacts::report_id)))
        .inner_join(categories::table.on(categories::id.eq(reports::category_id)))
        .filter(lower(reporter_contacts::email).eq(&address))
        .select((
            reports::id,
            reports::reference,
            (categories::name_nl, categories::name_en),
            reports::status,
            reports::created_at,
            reporter_contacts::name,
            reporter_contacts::phone,
        ))
        .order(reports::created_at)
        .load(conn)?;
    let supports: Vec<(DbUuid, String, String, DbTime, Option<DbTime>)> = report_supporters::table
        .inner_join(reports::table.on(reports::id.eq(report_supporters::report_id)))
        .filter(lower(report_supporters::email).eq(&address))
        .select((
            reports::id,
            reports::reference,
            reports::status,
            report_supporters::created_at,
            report_supporters::confirmed_at,
        ))
        .order(report_supporters::created_at)
        .load(conn)?;
    let subscriptions: Vec<(DbUuid, String, DbTime, String)> = subscriptions::table
        .filter(lower(subscriptions::email).eq(&address))
        .select((subscriptions::id, subscriptions::status, subscriptions::created_at, subscriptions::targets))
        .order(subscriptions::created_at)
        .load(conn)?;
    let emails: i64 =
        outbox::table.filter(lower(outbox::recipient.nullable()).eq(&address)).count().get_result(conn)?;
    Ok(Holdings {
        reports: reports
            .into_iter()
            .map(|(id, reference, (nl, en), status, created, name, phone)| HeldReport {
                id: id.0,
                reference,
                category: if language == Language::En { en } else { nl },
                status,
                created_at: created.0,
                name,
                phone,
            })
            .collect(),
        supports: supports
            .into_iter()
            .map(|(id, reference, status, since, confirmed)| HeldSupport {
                report_id: id.0,
                reference,
                status,
                since: since.0,
                confirmed: confirmed.is_some(),
            })
            .collect(),
        subscriptions: subscriptions
            .into_iter()
            .map(|(id, status, created, targets)| HeldSubscription { id: id.0, status, created_at: created.0, targets })
            .collect(),
        emails,
    })
}

/// What an erasure by access link did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ErasedEverywhere {
    /// Reports whose reporter contact was erased.
    pub reports: i64,
    /// Supports whose address was erased (the supports still count).
    pub supports: i64,
    /// Subscriptions ended.
    pub subscriptions: i64,
    /// Emails whose address and body were erased (queued ones cancelled).
    pub emails: i64,
}

/// The history actor of an erasure by access link.
pub const RESIDENT_ACTOR: &str = "resident";

/// Erases everything held under the address of access link `token`, in one transaction,
/// and ends the link. `Err(link)` when the link is not open.
pub fn erase_everywhere(conn: &mut DbConnection, token: &str) -> Result<Result<ErasedEverywhere, Link>, StorageError> {
    let done = conn.write_transaction(|c| -> Result<Result<ErasedEverywhere, Link>, StorageError> {
        let email = match link(c, token)? {
            Link::Open { email, .. } => email,
            other => return Ok(Err(other)),
        };
        let address = Some(email.to_lowercase());
        let to = || outbox::table.filter(lower(outbox::recipient.nullable()).eq(&address));
        let mut done = ErasedEverywhere { emails: to().count().get_result(c)?, ..ErasedEverywhere::default() };
        let reports: Vec<DbUuid> = reporter_contacts::table
            .filter(lower(reporter_contacts::email).eq(&address))
            .select(reporter_contacts::report_id)
            .load(c)?;
        let details = serde_json::json!({"reason": "access_request", "text": super::retention::ERASED_TEXT});
        for id in &reports {
            super::retention::anonymise_now(c, id.0, RESIDENT_ACTOR, details.clone())?;
        }
        done.reports = i64::try_from(reports.len()).unwrap_or(i64::MAX);
        let supporters: Vec<DbUuid> = report_supporters::table
            .filter(lower(report_supporters::email).eq(&address))
            .select(report_supporters::id)
            .load(c)?;
        for id in &supporters {
            if super::retention::erase_supporter_now(c, id.0, RESIDENT_ACTOR)?.is_some() {
                done.supports += 1;
            }
        }
        let subscriptions: Vec<DbUuid> =
            subscriptions::table.filter(lower(subscriptions::email).eq(&address)).select(subscriptions::id).load(c)?;
        for id in &subscriptions {
            if super::subscriptions::end_in(c, id.0)? {
                done.subscriptions += 1;
            }
        }
        diesel::update(to().filter(outbox::status.eq("pending"))).set(outbox::status.eq("cancelled")).execute(c)?;
        diesel::update(to())
            .set((outbox::recipient.eq(""), outbox::params.eq("{}"), outbox::last_error.eq(None::<String>)))
            .execute(c)?;
        // Every request of the address ends: its links would now show nothing anyway.
        diesel::update(access_requests::table.filter(lower(access_requests::email.nullable()).eq(&address)))
            .set((access_requests::used_at.eq(Some(DbTime::new(Utc::now()))), access_requests::email.eq("")))
            .execute(c)?;
        Ok(Ok(done))
    })?;
    super::retention::runs::forget_old_versions(conn);
    Ok(done)
}
