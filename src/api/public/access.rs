//! The resident's right of access (AVG art. 15) by email address, and erasure everywhere
//! (art. 17) from there: a request answers the same whatever is held, and the link goes to
//! the address only (`crate::storage::access_requests`).

use actix_web::{HttpRequest, HttpResponse, get, post, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::api::body::{parse, read_json};
use crate::api::error::{ApiError, Problem};
use crate::api::responses::{JsonBodyErrors, TooManyRequests, Unavailable};
use crate::api::state::AppState;
use crate::domain::report::Language;
use crate::domain::validation::{FieldError, email_address};
use crate::storage::access_requests::{self, Holdings, Link};

/// A request for what meldpunt holds about an email address.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AccessRequest {
    /// The address; the link is sent to it, and only to it.
    pub email: String,
    /// Language of the email: `nl` (default) or `en`.
    #[serde(default)]
    pub language: Option<Language>,
}

/// The answer to an access request: always the same.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct AccessRequested {
    /// What happens next.
    pub detail: String,
    /// How long the emailed link works, in hours.
    pub link_hours: i64,
}

/// Asks what meldpunt holds about an email address (AVG art. 15). A link is emailed to
/// that address; it shows the reports filed with it, the reports it supports, its
/// subscriptions and the emails kept, and can erase them all. The answer is the same
/// whether or not anything is held, so it tells the asker nothing.
#[utoipa::path(
    tag = "privacy",
    request_body(content = AccessRequest, content_type = "application/json"),
    responses(
        (status = 202, description = "Accepted; the link is emailed to the address", body = AccessRequested),
        (status = 422, description = "Invalid email or language", body = Problem, content_type = "application/problem+json"),
        Unavailable,
        JsonBodyErrors,
        TooManyRequests,
    )
)]
#[post("/api/v1/privacy/access-requests")]
pub async fn request_access(
    request: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let input: AccessRequest = parse(read_json(&request, payload, state.max_body_bytes).await?.value)?;
    let email = email_address(input.email.trim()).map_err(|detail| {
        ApiError::Validation(vec![FieldError { pointer: "/email".into(), detail: detail.to_string() }])
    })?;
    let language = input.language.unwrap_or_default();
    // Over the limit of emails to this address the answer is the same, but nothing is
    // recorded or queued.
    if state.limits.email_allowed(&email) {
        state.db.run(move |conn| conn.write_transaction(|c| access_requests::request(c, &email, language))).await?;
        tracing::info!("access request received");
    }
    Ok(HttpResponse::Accepted().json(AccessRequested {
        detail: "If meldpunt holds anything about this address, the link we emailed to it shows what, and lets you erase it. Check that inbox."
            .into(),
        link_hours: access_requests::LINK_HOURS,
    }))
}

/// A report filed with the address.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct HeldReportView {
    pub id: Uuid,
    pub reference: String,
    /// Category name.
    pub category: String,
    pub status: String,
    /// Received.
    pub created_at: DateTime<Utc>,
    /// The contact details held with it: the address itself, and name and phone if given.
    pub contact: HeldContact,
}

/// Contact details held with a report.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct HeldContact {
    pub email: String,
    pub name: Option<String>,
    pub phone: Option<String>,
}

/// A report the address supports ("me too").
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct HeldSupportView {
    pub report_id: Uuid,
    pub reference: String,
    pub status: String,
    /// Supported since.
    pub since: DateTime<Utc>,
    /// Whether the address was confirmed (it gets updates only then).
    pub confirmed: bool,
}

/// A subscription of the address.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct HeldSubscriptionView {
    pub id: Uuid,
    /// `pending`, `active` or `ended`.
    pub status: String,
    pub created_at: DateTime<Utc>,
    /// Its areas as given.
    #[schema(value_type = Object)]
    pub targets: serde_json::Value,
}

/// What meldpunt holds about the address of an access link.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct AccessView {
    /// The address the link was sent to.
    pub email: String,
    /// Until when the link works.
    pub expires_at: DateTime<Utc>,
    pub reports: Vec<HeldReportView>,
    pub supports: Vec<HeldSupportView>,
    pub subscriptions: Vec<HeldSubscriptionView>,
    /// Emails to the address whose copy is kept (erased by themselves after
    /// `retention_outbox_days`).
    pub emails_kept: i64,
    /// Where to erase all of it at once (POST).
    pub erase: String,
}

fn access_view(token: &str, email: String, expires_at: DateTime<Utc>, held: Holdings) -> AccessView {
    AccessView {
        expires_at,
        reports: held
            .reports
            .into_iter()
            .map(|r| HeldReportView {
                id: r.id,
                reference: r.reference,
                category: r.category,
                status: r.status,
                created_at: r.created_at,
                contact: HeldContact { email: email.clone(), name: r.name, phone: r.phone },
            })
            .collect(),
        supports: held
            .supports
            .into_iter()
            .map(|s| HeldSupportView {
                report_id: s.report_id,
                reference: s.reference,
                status: s.status,
                since: s.since,
                confirmed: s.confirmed,
            })
            .collect(),
        subscriptions: held
            .subscriptions
            .into_iter()
            .map(|s| HeldSubscriptionView {
                id: s.id,
                status: s.status,
                created_at: s.created_at,
                targets: serde_json::from_str(&s.targets).unwrap_or(serde_json::Value::Null),
            })
            .collect(),
        emails_kept: held.emails,
        erase: format!("/api/v1/privacy/access/{token}/erase"),
        email,
    }
}

fn closed(link: Link) -> ApiError {
    match link {
        Link::Gone => ApiError::Gone(
            "this access link has expired or was used to erase; ask again at /api/v1/privacy/access-requests".into(),
        ),
        Link::Unknown | Link::Open { .. } => {
            ApiError::NotFound("this access link is unknown; check that it was copied whole".into())
        }
    }
}

/// What meldpunt holds about the address an access link was sent to.
#[utoipa::path(
    tag = "privacy",
    params(("token" = String, Path, description = "The token from the emailed access link")),
    responses(
        (status = 200, description = "What is held", body = AccessView),
        (status = 404, description = "No request has this link", body = Problem, content_type = "application/problem+json"),
        (status = 410, description = "The link expired or was used to erase", body = Problem, content_type = "application/problem+json"),
        Unavailable,
    )
)]
#[get("/api/v1/privacy/access/{token}")]
pub async fn show_access(path: web::Path<String>, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let token = path.into_inner();
    let lookup = token.clone();
    let found = state
        .db
        .run(move |conn| -> Result<_, crate::storage::StorageError> {
            match access_requests::link(conn, &lookup)? {
                Link::Open { email, language, expires_at } => {
                    let held = access_requests::holdings(conn, &email, language)?;
                    Ok(Ok((email, expires_at, held)))
                }
                other => Ok(Err(other)),
            }
        })
        .await?;
    let (email, expires_at, held) = found.map_err(closed)?;
    Ok(HttpResponse::Ok().json(access_view(&token, email, expires_at, held)))
}

/// What an erasure everywhere did.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ErasedEverywhereView {
    /// Reports whose reporter contact (email, name, phone) was erased; the reports stay.
    pub reports: i64,
    /// Supports whose address was erased; the supports still count.
    pub supports: i64,
    /// Subscriptions ended.
    pub subscriptions: i64,
    /// Emails whose address and body were erased (queued ones are not sent).
    pub emails: i64,
    /// What it means, in words.
    pub detail: String,
}

/// Erases the contact details of the access link's address everywhere at once: as
/// reporter, as supporter, its subscriptions, and the emails kept. The link then stops
/// working (410), and so do the address's follow links.
#[utoipa::path(
    tag = "privacy",
    params(("token" = String, Path, description = "The token from the emailed access link")),
    responses(
        (status = 200, description = "Erased", body = ErasedEverywhereView),
        (status = 404, description = "No request has this link", body = Problem, content_type = "application/problem+json"),
        (status = 410, description = "The link expired or was used to erase", body = Problem, content_type = "application/problem+json"),
        Unavailable,
    )
)]
#[post("/api/v1/privacy/access/{token}/erase")]
pub async fn erase_everywhere(path: web::Path<String>, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let token = path.into_inner();
    let done = state.db.run(move |conn| access_requests::erase_everywhere(conn, &token)).await?.map_err(closed)?;
    tracing::info!(
        reports = done.reports,
        supports = done.supports,
        subscriptions = done.subscriptions,
        emails = done.emails,
        "resident erased their contact details everywhere"
    );
    Ok(HttpResponse::Ok().json(ErasedEverywhereView {
        reports: done.reports,
        supports: done.supports,
        subscriptions: done.subscriptions,
        emails: done.emails,
        detail: "Your contact details were erased everywhere: you get no more emails from meldpunt, and your links no longer work. Your reports and supports stay, without them."
            .into(),
    }))
}
