//! Admins' webhook endpoints for report events (`event_endpoints`): their URL and secret,
//! the filter of the events they receive, and whether they may receive the reporter's
//! contact (and which admin account allowed it, in whose name every such delivery is
//! audited).

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use uuid::Uuid;

use super::connection::{DbTime, DbUuid};
use super::schema::{event_deliveries, event_endpoints};
use super::{DbConnection, StorageError, json_column};
use crate::domain::report_event::{EventFilter, EventType};

/// A stored endpoint. Its `Debug` leaves out the secret.
#[derive(Clone)]
pub struct Endpoint {
    pub id: Uuid,
    /// Where events are POSTed (configuration, not personal data).
    pub url: String,
    /// The signing secret.
    pub secret: String,
    pub description: String,
    pub filter: EventFilter,
    /// Whether events carry the reporter's contact.
    pub include_reporter_contact: bool,
    /// The admin account that allowed the contact.
    pub contact_allowed_by: Option<Uuid>,
    pub active: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// The secret before the last rotation, and until when it signs beside the new one.
    pub previous_secret: Option<(String, DateTime<Utc>)>,
}

impl Endpoint {
    /// The secrets that sign a delivery at `now`: the current one, and the previous one
    /// while its overlap lasts.
    pub fn signing_secrets(&self, now: DateTime<Utc>) -> Vec<&str> {
        let mut secrets = vec![self.secret.as_str()];
        if let Some((previous, until)) = &self.previous_secret
            && *until > now
        {
            secrets.push(previous.as_str());
        }
        secrets
    }
}

impl std::fmt::Debug for Endpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Endpoint").field("id", &self.id).field("active", &self.active).finish_non_exhaustive()
    }
}

/// What an admin registers.
#[derive(Clone)]
pub struct NewEndpoint {
    pub url: String,
    pub secret: String,
    pub description: String,
    pub filter: EventFilter,
    pub include_reporter_contact: bool,
    pub contact_allowed_by: Option<Uuid>,
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = event_endpoints)]
struct EndpointRow {
    id: DbUuid,
    url: String,
    secret: String,
    description: String,
    event_types: String,
    departments: String,
    categories: String,
    areas: String,
    include_reporter_contact: bool,
    contact_allowed_by: Option<DbUuid>,
    active: bool,
    created_at: DbTime,
    updated_at: DbTime,
    previous_secret: Option<String>,
    previous_secret_until: Option<DbTime>,
}

impl TryFrom<EndpointRow> for Endpoint {
    type Error = StorageError;

    fn try_from(row: EndpointRow) -> Result<Self, StorageError> {
        let id = row.id.0;
        let names: Vec<String> = json_column("event_endpoints", "event_types", id, &row.event_types)?;
        let event_types = names
            .iter()
            .map(|name| {
                EventType::parse(name).ok_or_else(|| {
                    StorageError::corrupt("event_endpoints", "event_types", format!("row {id}: '{name}'"))
                })
            })
            .collect::<Result<_, _>>()?;
        Ok(Endpoint {
            id,
            url: row.url,
            secret: row.secret,
            description: row.description,
            filter: EventFilter {
                event_types,
                departments: json_column("event_endpoints", "departments", id, &row.departments)?,
                categories: json_column("event_endpoints", "categories", id, &row.categories)?,
                areas: json_column("event_endpoints", "areas", id, &row.areas)?,
            },
            include_reporter_contact: row.include_reporter_contact,
            contact_allowed_by: row.contact_allowed_by.map(|a| a.0),
            active: row.active,
            created_at: row.created_at.0,
            updated_at: row.updated_at.0,
            previous_secret: row.previous_secret.zip(row.previous_secret_until.map(|t| t.0)),
        })
    }
}

fn load(conn: &mut DbConnection, only_active: bool) -> Result<Vec<Endpoint>, StorageError> {
    let mut query =
        event_endpoints::table.select(EndpointRow::as_select()).order(event_endpoints::created_at).into_boxed();
    if only_active {
        query = query.filter(event_endpoints::active.eq(true));
    }
    query.load(conn)?.into_iter().map(Endpoint::try_from).collect()
}

/// The active endpoints (read at every event: a small table).
pub fn active(conn: &mut DbConnection) -> Result<Vec<Endpoint>, StorageError> {
    load(conn, true)
}

/// Every endpoint, oldest first.
pub fn list(conn: &mut DbConnection) -> Result<Vec<Endpoint>, StorageError> {
    load(conn, false)
}

/// One endpoint.
pub fn get(conn: &mut DbConnection, id: Uuid) -> Result<Option<Endpoint>, StorageError> {
    event_endpoints::table
        .find(DbUuid(id))
        .select(EndpointRow::as_select())
        .first(conn)
        .optional()?
        .map(Endpoint::try_from)
        .transpose()
}

fn text<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_string(value).unwrap_or_else(|_| "[]".into())
}

/// Stores a new endpoint.
pub fn create(conn: &mut DbConnection, new: NewEndpoint) -> Result<Endpoint, StorageError> {
    let id = Uuid::now_v7();
    let now = DbTime::new(Utc::now());
    let types: Vec<&str> = new.filter.event_types.iter().map(|t| t.as_str()).collect();
    conn.write_transaction(|c| -> Result<(), StorageError> {
        diesel::insert_into(event_endpoints::table)
            .values((
                event_endpoints::id.eq(DbUuid(id)),
                event_endpoints::url.eq(&new.url),
                event_endpoints::secret.eq(&new.secret),
                event_endpoints::description.eq(&new.description),
                event_endpoints::event_types.eq(text(&types)),
                event_endpoints::departments.eq(text(&new.filter.departments)),
                event_endpoints::categories.eq(text(&new.filter.categories)),
                event_endpoints::areas.eq(text(&new.filter.areas)),
                event_endpoints::include_reporter_contact.eq(new.include_reporter_contact),
                event_endpoints::contact_allowed_by.eq(new.contact_allowed_by.map(DbUuid)),
                event_endpoints::active.eq(true),
                event_endpoints::created_at.eq(now),
                event_endpoints::updated_at.eq(now),
            ))
            .execute(c)?;
        Ok(())
    })?;
    get(conn, id)?.ok_or_else(|| StorageError::Corrupt(format!("endpoint {id} vanished")))
}

/// Turns an endpoint on or off; an inactive endpoint gets no new events and its queued
/// deliveries wait. Returns whether it exists.
pub fn set_active(conn: &mut DbConnection, id: Uuid, active: bool) -> Result<bool, StorageError> {
    let changed = diesel::update(event_endpoints::table.find(DbUuid(id)))
        .set((event_endpoints::active.eq(active), event_endpoints::updated_at.eq(DbTime::new(Utc::now()))))
        .execute(conn)?;
    Ok(changed > 0)
}

/// Changes an endpoint's URL, description, filter and contact allowance (its secret, its
/// state and its deliveries stay; queued deliveries go to the new URL, and the filter
/// decides for events from now on). Returns whether it exists.
pub fn update(conn: &mut DbConnection, id: Uuid, settings: &NewEndpoint) -> Result<bool, StorageError> {
    let types: Vec<&str> = settings.filter.event_types.iter().map(|t| t.as_str()).collect();
    let changed = diesel::update(event_endpoints::table.find(DbUuid(id)))
        .set((
            event_endpoints::url.eq(&settings.url),
            event_endpoints::description.eq(&settings.description),
            event_endpoints::event_types.eq(text(&types)),
            event_endpoints::departments.eq(text(&settings.filter.departments)),
            event_endpoints::categories.eq(text(&settings.filter.categories)),
            event_endpoints::areas.eq(text(&settings.filter.areas)),
            event_endpoints::include_reporter_contact.eq(settings.include_reporter_contact),
            event_endpoints::contact_allowed_by.eq(settings.contact_allowed_by.map(DbUuid)),
            event_endpoints::updated_at.eq(DbTime::new(Utc::now())),
        ))
        .execute(conn)?;
    Ok(changed > 0)
}

/// Gives an endpoint the new secret `secret`; the old one keeps signing beside it until
/// `overlap_until`. Returns whether it exists.
pub fn rotate_secret(
    conn: &mut DbConnection,
    id: Uuid,
    secret: &str,
    overlap_until: DateTime<Utc>,
) -> Result<bool, StorageError> {
    conn.write_transaction(|c| -> Result<bool, StorageError> {
        let Some(old) = get(c, id)? else { return Ok(false) };
        diesel::update(event_endpoints::table.find(DbUuid(id)))
            .set((
                event_endpoints::previous_secret.eq(Some(old.secret)),
                event_endpoints::previous_secret_until.eq(Some(DbTime::new(overlap_until))),
                event_endpoints::secret.eq(secret),
                event_endpoints::updated_at.eq(DbTime::new(Utc::now())),
            ))
            .execute(c)?;
        Ok(true)
    })
}

/// Deletes an endpoint with its deliveries. Returns whether it existed.
pub fn delete(conn: &mut DbConnection, id: Uuid) -> Result<bool, StorageError> {
    conn.write_transaction(|c| -> Result<bool, StorageError> {
        diesel::delete(event_deliveries::table.filter(event_deliveries::endpoint_id.eq(DbUuid(id)))).execute(c)?;
        Ok(diesel::delete(event_endpoints::table.find(DbUuid(id))).execute(c)? > 0)
    })
}
