//! Subscriptions: creation with their resolved cells and tags (and the confirmation email or
//! webhook challenge in the same transaction), confirmation, changes, ending, and the
//! secrets of signed links.

use std::collections::BTreeSet;

use chrono::Utc;
use diesel::prelude::*;
use uuid::Uuid;

use super::connection::{DbTime, DbUuid};
use super::schema::{
    link_secrets, outbox, subscription_areas, subscription_categories, subscription_tags, subscriptions,
};
use super::{DbConnection, StorageError, json_column};
use crate::domain::auth::{new_token, token_hash};
use crate::domain::message::Template;
use crate::domain::report::Language;
use crate::domain::subscription::{Channel, PushKeys, Subscription, SubscriptionStatus, WebhookUrl};

/// A `subscriptions` row.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = subscriptions)]
struct SubscriptionRow {
    id: DbUuid,
    channel: String,
    status: String,
    email: Option<String>,
    webhook_url: Option<String>,
    webhook_secret: Option<String>,
    push_endpoint: Option<String>,
    push_p256dh: Option<String>,
    push_auth: Option<String>,
    language: String,
    targets: String,
    home_area: Option<String>,
    tags: String,
    categories: String,
    challenge: Option<String>,
    created_at: DbTime,
    confirmed_at: Option<DbTime>,
    ended_at: Option<DbTime>,
}

pub use crate::domain::subscription::Contact;

impl TryFrom<SubscriptionRow> for Subscription {
    type Error = StorageError;

    fn try_from(row: SubscriptionRow) -> Result<Self, StorageError> {
        const TABLE: &str = "subscriptions";
        let id = row.id.0;
        let channel = Channel::parse(&row.channel).ok_or_else(|| {
            StorageError::corrupt(TABLE, "channel", format!("row {id}: unknown channel '{}'", row.channel))
        })?;
        let status = SubscriptionStatus::parse(&row.status).ok_or_else(|| {
            StorageError::corrupt(TABLE, "status", format!("row {id}: unknown status '{}'", row.status))
        })?;
        let url = |column: &'static str, text: String| {
            // Checked when subscribing; whether insecure targets are allowed is checked
            // again at send time.
            WebhookUrl::parse(&text, true).map_err(|e| StorageError::corrupt(TABLE, column, format!("row {id}: {e}")))
        };
        // An ended subscription has forgotten its contact: every contact column is empty.
        let contact = match channel {
            Channel::Email => row.email.map(Contact::Email),
            Channel::Webhook => match (row.webhook_url, row.webhook_secret) {
                (Some(address), Some(secret)) => Some(Contact::Webhook { url: url("webhook_url", address)?, secret }),
                _ => None,
            },
            Channel::Push => match (row.push_endpoint, row.push_p256dh, row.push_auth) {
                (Some(endpoint), Some(p256dh), Some(auth)) => Some(Contact::Push {
                    endpoint: url("push_endpoint", endpoint)?,
                    keys: PushKeys::parse(&p256dh, &auth)
                        .map_err(|e| StorageError::corrupt(TABLE, "push_p256dh", format!("row {id}: {e}")))?,
                }),
                _ => None,
            },
        };
        Ok(Subscription {
            id,
            channel,
            status,
            contact,
            language: Language::parse(&row.language),
            targets: json_column(TABLE, "targets", id, &row.targets)?,
            home_area: row.home_area,
            tags: json_column(TABLE, "tags", id, &row.tags)?,
            categories: json_column(TABLE, "categories", id, &row.categories)?,
            challenge: row.challenge,
            created_at: row.created_at.0,
            confirmed_at: row.confirmed_at.map(|t| t.0),
            ended_at: row.ended_at.map(|t| t.0),
        })
    }
}

/// A subscription to store.
#[derive(Debug, Clone)]
pub struct NewSubscription {
    pub id: Uuid,
    pub contact: Contact,
    pub language: Language,
    /// The targets as the subscriber sent them (JSON), shown back on the management link.
    pub targets: serde_json::Value,
    pub home_area: Option<String>,
    pub cells: BTreeSet<String>,
    pub tags: Vec<String>,
    pub categories: Vec<String>,
}

/// The secret for signed links of `purpose`, created on first use.
pub fn link_secret(conn: &mut DbConnection, purpose: &str) -> Result<String, StorageError> {
    let existing = |conn: &mut DbConnection| {
        link_secrets::table.find(purpose).select(link_secrets::secret).first::<String>(conn).optional()
    };
    if let Some(secret) = existing(conn)? {
        return Ok(secret);
    }
    let fresh = new_token();
    // Two processes may race to create it: the loser's insert fails and it reads the winner's.
    let inserted = diesel::insert_into(link_secrets::table)
        .values((link_secrets::purpose.eq(purpose), link_secrets::secret.eq(&fresh)))
        .execute(conn);
    match (inserted, existing(conn)?) {
        (_, Some(secret)) => Ok(secret),
        (Err(error), None) => Err(error.into()),
        (Ok(_), None) => Err(StorageError::Corrupt("the link secret vanished".into())),
    }
}

/// Stores a subscription with its cells and tags, and queues what the channel needs first
/// (a confirmation email or a webhook challenge), in one transaction. Push subscriptions
/// are active at once (the browser's permission prompt is the opt-in). Returns the
/// confirmation token of an email subscription (to put in the email; stored hashed).
pub fn create(conn: &mut DbConnection, new: &NewSubscription) -> Result<(), StorageError> {
    conn.write_transaction(|conn| -> Result<(), StorageError> {
        let now = DbTime::new(Utc::now());
        let id = DbUuid(new.id);
        let (channel, email, url, secret, endpoint, p256dh, auth) = match &new.contact {
            Contact::Email(email) => (Channel::Email, Some(email.clone()), None, None, None, None, None),
            Contact::Webhook { url, secret } => {
                (Channel::Webhook, None, Some(url.as_str().to_owned()), Some(secret.clone()), None, None, None)
            }
            Contact::Push { endpoint, keys } => (
                Channel::Push,
                None,
                None,
                None,
                Some(endpoint.as_str().to_owned()),
                Some(keys.p256dh().to_owned()),
                Some(keys.auth().to_owned()),
            ),
        };
        let confirm = (channel == Channel::Email).then(new_token);
        let challenge = (channel == Channel::Webhook).then(new_token);
        let status = if channel == Channel::Push { "active" } else { "pending" };
        diesel::insert_into(subscriptions::table)
            .values((
                subscriptions::id.eq(id),
                subscriptions::channel.eq(channel.as_str()),
                subscriptions::status.eq(status),
                subscriptions::email.eq(email),
                subscriptions::webhook_url.eq(url),
                subscriptions::webhook_secret.eq(secret),
                subscriptions::push_endpoint.eq(endpoint),
                subscriptions::push_p256dh.eq(p256dh),
                subscriptions::push_auth.eq(auth),
                subscriptions::language.eq(new.language.as_str()),
                subscriptions::targets.eq(new.targets.to_string()),
                subscriptions::home_area.eq(&new.home_area),
                subscriptions::all_tags.eq(new.tags.is_empty()),
                subscriptions::tags.eq(serde_json::json!(new.tags).to_string()),
                subscriptions::categories.eq(serde_json::json!(new.categories).to_string()),
                subscriptions::confirm_token_hash.eq(confirm.as_deref().map(token_hash)),
                subscriptions::challenge.eq(&challenge),
                subscriptions::created_at.eq(now),
                subscriptions::confirmed_at.eq((channel == Channel::Push).then_some(now)),
            ))
            .execute(conn)?;
        replace_cells_and_tags(conn, new.id, &new.cells, &new.tags)?;
        replace_categories(conn, new.id, &new.categories)?;
        if let Some(token) = confirm {
            enqueue(
                conn,
                new.id,
                Channel::Email,
                new.language,
                Template::SubscriptionConfirm,
                serde_json::json!({"confirm_token": token}),
            )?;
        }
        if challenge.is_some() {
            enqueue(conn, new.id, Channel::Webhook, new.language, Template::WebhookChallenge, serde_json::json!({}))?;
        }
        Ok(())
    })
}

/// Queues a message to a subscription (inside the caller's transaction). The recipient is
/// read from the subscription when the message is sent.
pub fn enqueue(
    conn: &mut DbConnection,
    subscription_id: Uuid,
    channel: Channel,
    language: Language,
    template: Template,
    params: serde_json::Value,
) -> Result<(), StorageError> {
    let now = DbTime::new(Utc::now());
    diesel::insert_into(outbox::table)
        .values((
            outbox::id.eq(DbUuid(Uuid::now_v7())),
            outbox::recipient.eq(""),
            outbox::language.eq(language.as_str()),
            outbox::template.eq(template.as_str()),
            outbox::params.eq(params.to_string()),
            outbox::status.eq("pending"),
            outbox::attempts.eq(0),
            outbox::next_attempt_at.eq(now),
            outbox::created_at.eq(now),
            outbox::channel.eq(channel.as_str()),
            outbox::subscription_id.eq(Some(DbUuid(subscription_id))),
        ))
        .execute(conn)?;
    Ok(())
}

fn replace_cells_and_tags(
    conn: &mut DbConnection,
    id: Uuid,
    cells: &BTreeSet<String>,
    tags: &[String],
) -> Result<(), StorageError> {
    diesel::delete(subscription_areas::table.filter(subscription_areas::subscription_id.eq(DbUuid(id))))
        .execute(conn)?;
    diesel::delete(subscription_tags::table.filter(subscription_tags::subscription_id.eq(DbUuid(id)))).execute(conn)?;
    // Fan-out matches cells by the subscription's number, not its id.
    let seq: i64 = subscriptions::table.find(DbUuid(id)).select(subscriptions::seq).first(conn)?;
    // One row at a time: the multi-backend connection has no batch insert.
    for code in cells {
        diesel::insert_into(subscription_areas::table)
            .values((
                subscription_areas::subscription_id.eq(DbUuid(id)),
                subscription_areas::area_code.eq(code),
                subscription_areas::subscription_seq.eq(seq),
            ))
            .execute(conn)?;
    }
    for tag in tags {
        diesel::insert_into(subscription_tags::table)
            .values((subscription_tags::subscription_id.eq(DbUuid(id)), subscription_tags::tag.eq(tag)))
            .execute(conn)?;
    }
    Ok(())
}

fn replace_categories(conn: &mut DbConnection, id: Uuid, categories: &[String]) -> Result<(), StorageError> {
    diesel::delete(subscription_categories::table.filter(subscription_categories::subscription_id.eq(DbUuid(id))))
        .execute(conn)?;
    for slug in categories {
        diesel::insert_into(subscription_categories::table)
            .values((
                subscription_categories::subscription_id.eq(DbUuid(id)),
                subscription_categories::category_slug.eq(slug),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// A subscription by id.
pub fn get(conn: &mut DbConnection, id: Uuid) -> Result<Option<Subscription>, StorageError> {
    let row: Option<SubscriptionRow> =
        subscriptions::table.find(DbUuid(id)).select(SubscriptionRow::as_select()).first(conn).optional()?;
    row.map(Subscription::try_from).transpose()
}

/// Activates the pending email subscription of a confirmation token; `None` when the token
/// is unknown or already used.
pub fn confirm(conn: &mut DbConnection, token: &str) -> Result<Option<Uuid>, StorageError> {
    conn.write_transaction(|conn| -> Result<Option<Uuid>, StorageError> {
        let found: Option<DbUuid> = subscriptions::table
            .filter(subscriptions::confirm_token_hash.eq(token_hash(token)))
            .filter(subscriptions::status.eq("pending"))
            .select(subscriptions::id)
            .first(conn)
            .optional()?;
        let Some(id) = found else { return Ok(None) };
        diesel::update(subscriptions::table.find(id))
            .set((
                subscriptions::status.eq("active"),
                subscriptions::confirm_token_hash.eq(None::<String>),
                subscriptions::confirmed_at.eq(Some(DbTime::new(Utc::now()))),
            ))
            .execute(conn)?;
        Ok(Some(id.0))
    })
}

/// Activates a webhook subscription whose URL echoed the challenge.
pub fn activate_webhook(conn: &mut DbConnection, id: Uuid) -> Result<(), StorageError> {
    diesel::update(subscriptions::table.find(DbUuid(id)).filter(subscriptions::status.eq("pending")))
        .set((
            subscriptions::status.eq("active"),
            subscriptions::challenge.eq(None::<String>),
            subscriptions::confirmed_at.eq(Some(DbTime::new(Utc::now()))),
        ))
        .execute(conn)?;
    Ok(())
}

/// What a subscriber may change.
#[derive(Debug, Clone, Default)]
pub struct SubscriptionChange {
    pub language: Option<Language>,
    /// New targets (as sent), home area and cells.
    pub targets: Option<(serde_json::Value, Option<String>, BTreeSet<String>)>,
    pub tags: Option<Vec<String>>,
    pub categories: Option<Vec<String>>,
}

/// Changes a subscription that has not ended; `false` when there is none.
pub fn change(conn: &mut DbConnection, id: Uuid, change: &SubscriptionChange) -> Result<bool, StorageError> {
    conn.write_transaction(|conn| -> Result<bool, StorageError> {
        let Some(subscription) = get(conn, id)? else { return Ok(false) };
        if subscription.status == SubscriptionStatus::Ended {
            return Ok(false);
        }
        let target = subscriptions::table.find(DbUuid(id));
        if let Some(language) = change.language {
            diesel::update(target).set(subscriptions::language.eq(language.as_str())).execute(conn)?;
        }
        if let Some(categories) = &change.categories {
            diesel::update(target)
                .set(subscriptions::categories.eq(serde_json::json!(categories).to_string()))
                .execute(conn)?;
            replace_categories(conn, id, categories)?;
        }
        let tags = match &change.tags {
            Some(tags) => {
                diesel::update(target)
                    .set((
                        subscriptions::all_tags.eq(tags.is_empty()),
                        subscriptions::tags.eq(serde_json::json!(tags).to_string()),
                    ))
                    .execute(conn)?;
                tags.clone()
            }
            None => subscription.tags,
        };
        let cells = match &change.targets {
            Some((targets, home, cells)) => {
                diesel::update(target)
                    .set((subscriptions::targets.eq(targets.to_string()), subscriptions::home_area.eq(home)))
                    .execute(conn)?;
                cells.clone()
            }
            None => subscription_areas::table
                .filter(subscription_areas::subscription_id.eq(DbUuid(id)))
                .select(subscription_areas::area_code)
                .load::<String>(conn)?
                .into_iter()
                .collect(),
        };
        replace_cells_and_tags(conn, id, &cells, &tags)?;
        Ok(true)
    })
}

/// Ends a subscription and forgets how to reach the subscriber. `false` when it had already ended or does not exist.
pub fn end(conn: &mut DbConnection, id: Uuid) -> Result<bool, StorageError> {
    conn.write_transaction(|conn| end_in(conn, id))
}

/// [`end`], inside the caller's transaction.
pub fn end_in(conn: &mut DbConnection, id: Uuid) -> Result<bool, StorageError> {
    let ended = diesel::update(subscriptions::table.find(DbUuid(id)).filter(subscriptions::status.ne("ended")))
        .set((
            subscriptions::status.eq("ended"),
            subscriptions::ended_at.eq(Some(DbTime::new(Utc::now()))),
            subscriptions::email.eq(None::<String>),
            subscriptions::webhook_url.eq(None::<String>),
            subscriptions::webhook_secret.eq(None::<String>),
            subscriptions::push_endpoint.eq(None::<String>),
            subscriptions::push_p256dh.eq(None::<String>),
            subscriptions::push_auth.eq(None::<String>),
            subscriptions::confirm_token_hash.eq(None::<String>),
            subscriptions::challenge.eq(None::<String>),
        ))
        .execute(conn)?;
    // Pending messages to it are not touched here (that would scan the outbox): the
    // worker finds the subscription ended and cancels each one instead of sending it.
    Ok(ended > 0)
}

/// The cells a subscription covers.
pub fn cells(conn: &mut DbConnection, id: Uuid) -> Result<Vec<String>, StorageError> {
    Ok(subscription_areas::table
        .filter(subscription_areas::subscription_id.eq(DbUuid(id)))
        .select(subscription_areas::area_code)
        .order(subscription_areas::area_code)
        .load(conn)?)
}
