//! Registering, listing, reading and deleting webhook endpoints for report events.

use actix_web::{HttpRequest, HttpResponse, delete, get, patch, post, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::api::access::AdminAccess;
use crate::api::body::{parse, read_json};
use crate::api::error::{ApiError, Problem};
use crate::api::responses::{AdminErrors, JsonBodyErrors, Unavailable};
use crate::api::state::{AppState, Snapshot};
use crate::domain::report_event::{EventFilter, EventType};
use crate::domain::subscription::WebhookUrl;
use crate::domain::validation::{FieldErrors, bounded_text};
use crate::storage::event_endpoints::{Endpoint, NewEndpoint};

/// How many deliveries of an endpoint are in each state.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct DeliveryCounts {
    /// Waiting: not yet tried, retrying, or held back by an earlier delivery of the same report.
    pub pending: i64,
    /// Pending after at least one failed attempt.
    pub failing: i64,
    /// Received (the endpoint answered 2xx).
    pub delivered: i64,
    /// Given up after `outbox_max_attempts`; they hold back later events of their report.
    pub dead: i64,
}

/// A webhook endpoint for report events. The secret is shown once, at creation.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct EndpointView {
    pub id: Uuid,
    /// Where events are POSTed.
    #[schema(example = "https://zaaksysteem.heerlen.example/meldpunt/events")]
    pub url: String,
    /// What it is for.
    pub description: String,
    /// The event types it receives (empty: all).
    pub events: Vec<EventType>,
    /// Department slugs it is limited to (empty: all).
    pub departments: Vec<String>,
    /// Category slugs (main or sub) it is limited to (empty: all).
    pub categories: Vec<String>,
    /// CBS codes (gemeente, wijk or buurt) it is limited to (empty: all).
    pub areas: Vec<String>,
    /// Whether events carry the reporter's contact (audited per delivery).
    pub include_reporter_contact: bool,
    /// The admin account that allowed the contact, in whose name each delivery carrying it
    /// is audited.
    pub contact_allowed_by: Option<Uuid>,
    /// Whether it receives events.
    pub active: bool,
    pub created_at: DateTime<Utc>,
    /// Its deliveries by state.
    pub deliveries: DeliveryCounts,
    /// Until when the secret before the last rotation still signs beside the current one
    /// (absent: no rotation overlap).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub previous_secret_until: Option<DateTime<Utc>>,
    /// The signing secret (`Meldpunt-Signature`): only in the answer to the creation and
    /// to a rotation.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
}

impl EndpointView {
    pub(super) fn new(endpoint: Endpoint, snapshot: &Snapshot, counts: (i64, i64, i64, i64)) -> Self {
        let catalog = &snapshot.catalog;
        let previous_secret_until =
            endpoint.previous_secret.as_ref().map(|(_, until)| *until).filter(|until| *until > Utc::now());
        let (pending, failing, delivered, dead) = counts;
        EndpointView {
            id: endpoint.id,
            url: endpoint.url,
            description: endpoint.description,
            events: endpoint.filter.event_types,
            departments: endpoint
                .filter
                .departments
                .iter()
                .map(|id| catalog.department(*id).map_or_else(|| id.to_string(), |d| d.slug.clone()))
                .collect(),
            categories: endpoint
                .filter
                .categories
                .iter()
                .map(|id| catalog.category(*id).map_or_else(|| id.to_string(), |c| c.slug.clone()))
                .collect(),
            areas: endpoint.filter.areas,
            include_reporter_contact: endpoint.include_reporter_contact,
            contact_allowed_by: endpoint.contact_allowed_by,
            active: endpoint.active,
            created_at: endpoint.created_at,
            deliveries: DeliveryCounts { pending, failing, delivered, dead },
            previous_secret_until,
            secret: None,
        }
    }
}

/// An endpoint to register.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EndpointInput {
    /// An absolute `https` URL on a public address (at most 2000 characters).
    #[schema(example = "https://zaaksysteem.heerlen.example/meldpunt/events")]
    pub url: String,
    /// What it is for (at most 200 characters).
    #[serde(default)]
    pub description: String,
    /// Event types to receive: `report.created`, `report.status_changed`,
    /// `report.note_added`, `report.rerouted`, `report.merged` (absent or empty: all).
    #[serde(default)]
    pub events: Vec<String>,
    /// Only reports of these departments (slugs).
    #[serde(default)]
    pub departments: Vec<String>,
    /// Only reports of these categories (slugs; a main category covers its subcategories).
    #[serde(default)]
    pub categories: Vec<String>,
    /// Only reports in these CBS areas (gemeente, wijk or buurt codes of the area registry).
    #[serde(default)]
    pub areas: Vec<String>,
    /// Send the reporter's name, email and phone with each event (default false). Only an
    /// admin account may allow it (not the admin token): every delivery that carries the
    /// contact is recorded in the audit log in that account's name.
    #[serde(default)]
    pub include_reporter_contact: bool,
}

impl EndpointInput {
    pub(super) fn validate(
        self,
        snapshot: &Snapshot,
        allow_insecure: bool,
        account: Option<Uuid>,
    ) -> Result<NewEndpoint, ApiError> {
        let mut errors = FieldErrors::default();
        let url = errors.check("/url", WebhookUrl::parse(&self.url, allow_insecure));
        let description = if self.description.is_empty() {
            Some(String::new())
        } else {
            errors.check("/description", bounded_text(&self.description, "the description", 200))
        };
        let mut filter = EventFilter::default();
        for (i, name) in self.events.iter().enumerate() {
            match EventType::parse(name) {
                Some(t) if !filter.event_types.contains(&t) => filter.event_types.push(t),
                Some(_) => {}
                None => errors.add(
                    format!("/events/{i}"),
                    format!("'{name}' is not an event type: use report.created, report.status_changed, report.note_added, report.rerouted or report.merged"),
                ),
            }
        }
        let catalog = &snapshot.catalog;
        for (i, slug) in self.departments.iter().enumerate() {
            match catalog.department_by_slug(slug) {
                Some(d) => filter.departments.push(d.id),
                None => errors.add(format!("/departments/{i}"), format!("there is no department '{slug}'")),
            }
        }
        for (i, slug) in self.categories.iter().enumerate() {
            match catalog.subcategory(slug).or_else(|| catalog.main_category(slug)) {
                Some(c) => filter.categories.push(c.id),
                None => errors.add(format!("/categories/{i}"), format!("there is no category '{slug}'")),
            }
        }
        for (i, code) in self.areas.iter().enumerate() {
            if snapshot.areas.area(code).is_some() {
                filter.areas.push(code.clone());
            } else {
                errors.add(format!("/areas/{i}"), format!("'{code}' is not a CBS area in the registry"));
            }
        }
        if self.include_reporter_contact && account.is_none() {
            errors.add(
                "/include_reporter_contact",
                "only an admin account may allow the reporter's contact (each delivery carrying it is audited in that account's name); log in as an admin instead of using the admin token",
            );
        }
        errors
            .finish(|| {
                Some(NewEndpoint {
                    url: url?.as_str().to_owned(),
                    secret: crate::domain::auth::new_token(),
                    description: description?,
                    filter,
                    include_reporter_contact: self.include_reporter_contact,
                    contact_allowed_by: account.filter(|_| self.include_reporter_contact),
                })
            })
            .map_err(ApiError::Validation)
    }
}

pub(super) fn not_found(id: Uuid) -> ApiError {
    ApiError::NotFound(format!("there is no event endpoint with id {id}"))
}

/// The endpoint `id` with its deliveries counted by state; 404 when there is none.
pub(super) async fn with_counts(state: &AppState, id: Uuid) -> Result<(Endpoint, (i64, i64, i64, i64)), ApiError> {
    let found = state
        .db
        .run(move |conn| -> Result<_, crate::storage::StorageError> {
            match crate::storage::event_endpoints::get(conn, id)? {
                Some(endpoint) => Ok(Some((endpoint, crate::storage::event_delivery_log::counts(conn, id)?))),
                None => Ok(None),
            }
        })
        .await?;
    found.ok_or_else(|| not_found(id))
}

/// Registers the endpoint `input` describes, allowed by `account` (`None`: the admin
/// token) and logged as done by `actor`; the view holds its signing secret, shown this
/// once. The API's handler and the console's page both call this.
pub async fn create_endpoint_from(
    state: &AppState,
    input: EndpointInput,
    account: Option<Uuid>,
    actor: &str,
) -> Result<EndpointView, ApiError> {
    let snapshot = state.config.snapshot();
    let new = input.validate(&snapshot, state.webhook_allow_insecure, account)?;
    let secret = new.secret.clone();
    let endpoint = state.db.run(move |conn| crate::storage::event_endpoints::create(conn, new)).await?;
    tracing::info!(endpoint_id = %endpoint.id, actor, contact = endpoint.include_reporter_contact, "event endpoint registered");
    let mut view = EndpointView::new(endpoint, &snapshot, (0, 0, 0, 0));
    view.secret = Some(secret);
    Ok(view)
}

/// Registers a webhook endpoint for report events; the answer holds its signing secret,
/// shown this once.
#[utoipa::path(
    tag = "admin",
    security(("bearer" = []), ("admin_token" = [])),
    request_body(content = EndpointInput, content_type = "application/json"),
    responses(
        (status = 201, description = "Registered; with the secret, shown this once", body = EndpointView),
        (status = 422, description = "A bad URL, an unknown event type, department, category or area, or the contact allowed by the admin token (named by JSON Pointer)", body = Problem, content_type = "application/problem+json"),
        JsonBodyErrors,
        Unavailable,
        AdminErrors,
    )
)]
#[post("/api/v1/admin/event-endpoints")]
pub async fn create_endpoint(
    admin: AdminAccess,
    request: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let body = read_json(&request, payload, state.max_body_bytes).await?;
    let input = parse::<EndpointInput>(body.value)?;
    let view = create_endpoint_from(&state, input, admin.account(), admin.actor()).await?;
    Ok(HttpResponse::Created().json(view))
}

/// Every endpoint, oldest first, with its deliveries by state.
pub async fn endpoint_views(state: &AppState) -> Result<Vec<EndpointView>, ApiError> {
    let rows = state
        .db
        .run(|conn| {
            let endpoints = crate::storage::event_endpoints::list(conn)?;
            endpoints
                .into_iter()
                .map(|e| {
                    let counts = crate::storage::event_delivery_log::counts(conn, e.id)?;
                    Ok((e, counts))
                })
                .collect::<Result<Vec<_>, crate::storage::StorageError>>()
        })
        .await?;
    let snapshot = state.config.snapshot();
    Ok(rows.into_iter().map(|(e, c)| EndpointView::new(e, &snapshot, c)).collect())
}

/// The endpoint `id` with its deliveries by state; 404 when there is none.
pub async fn endpoint_view(state: &AppState, id: Uuid) -> Result<EndpointView, ApiError> {
    let (endpoint, counts) = with_counts(state, id).await?;
    Ok(EndpointView::new(endpoint, &state.config.snapshot(), counts))
}

/// Lists every endpoint with its deliveries by state.
#[utoipa::path(
    tag = "admin",
    security(("bearer" = []), ("admin_token" = [])),
    responses((status = 200, description = "Every endpoint, oldest first", body = Vec<EndpointView>), Unavailable, AdminErrors)
)]
#[get("/api/v1/admin/event-endpoints")]
pub async fn list_endpoints(_admin: AdminAccess, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(endpoint_views(&state).await?))
}

/// Reads one endpoint with its deliveries by state.
#[utoipa::path(
    tag = "admin",
    security(("bearer" = []), ("admin_token" = [])),
    params(("id" = Uuid, Path, description = "Endpoint id")),
    responses(
        (status = 200, description = "The endpoint", body = EndpointView),
        (status = 404, description = "No such endpoint", body = Problem, content_type = "application/problem+json"),
        Unavailable,
        AdminErrors,
    )
)]
#[get("/api/v1/admin/event-endpoints/{id}")]
pub async fn get_endpoint(
    _admin: AdminAccess,
    path: web::Path<Uuid>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(endpoint_view(&state, path.into_inner()).await?))
}

/// Deletes the endpoint `id` with its deliveries, logged as done by `actor`; 404 when
/// there is none.
pub async fn delete_endpoint_by(state: &AppState, id: Uuid, actor: &str) -> Result<(), ApiError> {
    if !state.db.run(move |conn| crate::storage::event_endpoints::delete(conn, id)).await? {
        return Err(not_found(id));
    }
    tracing::info!(endpoint_id = %id, actor, "event endpoint deleted");
    Ok(())
}

/// Deletes an endpoint with its deliveries (events queued for it are not sent).
#[utoipa::path(
    tag = "admin",
    security(("bearer" = []), ("admin_token" = [])),
    params(("id" = Uuid, Path, description = "Endpoint id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 404, description = "No such endpoint", body = Problem, content_type = "application/problem+json"),
        Unavailable,
        AdminErrors,
    )
)]
#[delete("/api/v1/admin/event-endpoints/{id}")]
pub async fn delete_endpoint(
    admin: AdminAccess,
    path: web::Path<Uuid>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    delete_endpoint_by(&state, path.into_inner(), admin.actor()).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// What to change of an endpoint.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EndpointChange {
    /// Off: the endpoint gets no new events and its queued deliveries wait; on again: they
    /// are sent, in order.
    pub active: bool,
}

/// Turns the endpoint `id` off (`active` false) or on, logged as done by `actor`; 404 when
/// there is none.
pub async fn set_endpoint_active(
    state: &AppState,
    id: Uuid,
    active: bool,
    actor: &str,
) -> Result<EndpointView, ApiError> {
    if !state.db.run(move |conn| crate::storage::event_endpoints::set_active(conn, id, active)).await? {
        return Err(not_found(id));
    }
    let (endpoint, counts) = with_counts(state, id).await?;
    tracing::info!(endpoint_id = %id, actor, active = endpoint.active, "event endpoint changed");
    Ok(EndpointView::new(endpoint, &state.config.snapshot(), counts))
}

/// Turns an endpoint off or on.
#[utoipa::path(
    tag = "admin",
    security(("bearer" = []), ("admin_token" = [])),
    params(("id" = Uuid, Path, description = "Endpoint id")),
    request_body(content = EndpointChange, content_type = "application/json"),
    responses(
        (status = 200, description = "Changed", body = EndpointView),
        (status = 404, description = "No such endpoint", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`active` is missing or not a boolean", body = Problem, content_type = "application/problem+json"),
        JsonBodyErrors,
        Unavailable,
        AdminErrors,
    )
)]
#[patch("/api/v1/admin/event-endpoints/{id}")]
pub async fn change_endpoint(
    admin: AdminAccess,
    path: web::Path<Uuid>,
    request: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    let body = read_json(&request, payload, state.max_body_bytes).await?;
    let change: EndpointChange = parse(body.value)?;
    Ok(HttpResponse::Ok().json(set_endpoint_active(&state, id, change.active, admin.actor()).await?))
}
