//! Duplicates for residents: the open reports near a new one (listed in the intake
//! answer) and "me too" support.

use actix_web::{HttpRequest, HttpResponse, get, post, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::api::body::optional_json;
use crate::api::error::{ApiError, Problem};
use crate::api::pages::resident::links::{OneClick, ask, done, used};
use crate::api::pages::resident::{Lang, lang_of, wants_html};
use crate::api::responses::{JsonBodyErrors, TooManyRequests, Unavailable};
use crate::api::state::AppState;
use crate::domain::report::Language;
use crate::domain::validation::{FieldError, email_address};
use crate::storage::duplicates::Nearby;

/// An open report of the same category near a new one: perhaps the same problem.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct NearbyView {
    /// Id (support it with `POST /api/v1/reports/{id}/support`).
    pub id: Uuid,
    pub reference: String,
    pub status: String,
    /// Distance from the new report, in metres.
    pub distance_m: f64,
    /// Received.
    pub created_at: DateTime<Utc>,
    /// How many residents support it.
    pub interest_count: i64,
}

impl From<Nearby> for NearbyView {
    fn from(n: Nearby) -> Self {
        NearbyView {
            id: n.id,
            reference: n.reference,
            status: n.status,
            distance_m: (n.distance_m * 10.0).round() / 10.0,
            created_at: n.created_at,
            interest_count: n.interest_count,
        }
    }
}

/// "Me too": optionally with an email address to hear about the report's progress. The
/// address gets a link to confirm it first (double opt-in); until it is confirmed it gets
/// nothing else, and it is erased when it is not confirmed within
/// `retention_unconfirmed_days`.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SupportRequest {
    /// Email address for updates, after it is confirmed by the emailed link; stored apart
    /// from the report, never shown.
    #[serde(default)]
    pub email: Option<String>,
    /// Language of those emails: `nl` (default) or `en`.
    #[serde(default)]
    pub language: Option<Language>,
}

/// The interest in a report.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SupportView {
    /// The report.
    pub report_id: Uuid,
    /// How many residents support it (an address that supports it already is not counted
    /// twice).
    pub interest_count: i64,
    /// With an email address: what happens next, the same whether or not the address was
    /// known (it says nothing about who supports what).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

/// Supports a report ("me too"). The body may be empty. With an email address, a link to
/// confirm it is emailed; updates follow only after it is confirmed.
#[utoipa::path(
    tag = "reports",
    params(("id" = Uuid, Path, description = "Report id")),
    request_body(content = Option<SupportRequest>, content_type = "application/json"),
    responses(
        (status = 201, description = "Counted", body = SupportView),
        (status = 404, description = "No such report", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid email or language", body = Problem, content_type = "application/problem+json"),
        Unavailable,
        JsonBodyErrors,
        TooManyRequests,
    )
)]
#[post("/api/v1/reports/{id}/support")]
pub async fn support_report(
    path: web::Path<Uuid>,
    request: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    let input: SupportRequest = optional_json(&request, payload, state.max_body_bytes).await?;
    let email = match input.email.as_deref().map(str::trim).filter(|e| !e.is_empty()) {
        Some(email) => Some(email_address(email).map_err(|detail| {
            ApiError::Validation(vec![FieldError { pointer: "/email".into(), detail: detail.to_string() }])
        })?),
        None => None,
    };
    let language = input.language.unwrap_or_default();
    let detail = email.as_ref().map(|_| {
        "Thank you. To hear about this report, confirm your email address with the link we sent to it (unless it confirmed this report before).".to_owned()
    });
    // Over the limit of emails to this address the support still counts and the answer is
    // the same, but no confirmation email is queued (the address is not kept either).
    let email = email.filter(|email| state.limits.email_allowed(email));
    let count = state
        .db
        .run(move |conn| {
            conn.write_transaction(|c| crate::storage::duplicates::support(c, id, email.as_deref(), language))
        })
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("there is no report {id}")))?;
    Ok(HttpResponse::Created().json(SupportView { report_id: id, interest_count: count, detail }))
}

fn confirm_path(token: &str) -> String {
    format!("/api/v1/support/confirm/{token}")
}

/// The page behind a supporter's confirmation link: a button that confirms (a GET changes
/// nothing: mail filters fetch links to scan them). In the supporter's language (`?lang=`
/// switches).
#[utoipa::path(
    tag = "reports",
    params(
        ("token" = String, Path, description = "The token from the confirmation email"),
        ("lang" = Option<String>, Query, description = "The page's language, `nl` or `en` (default: the supporter's)"),
    ),
    responses(
        (status = 200, description = "A page with a button that confirms", content_type = "text/html"),
        (status = 404, description = "The link is unknown or already used: a page for browsers, a problem otherwise", content(
            (Problem = "application/problem+json"),
            (String = "text/html"),
        )),
        Unavailable,
    ),
)]
#[get("/api/v1/support/confirm/{token}")]
pub async fn confirm_support_page(
    request: HttpRequest,
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let token = path.into_inner();
    let looked_up = token.clone();
    let language =
        state.db.run(move |conn| crate::storage::link_languages::of_supporter_confirmation(conn, &looked_up)).await?;
    match language {
        Some(language) => ask(&request, &state, &confirm_path(&token), lang_of(language), &OneClick::ConfirmSupport),
        None if wants_html(&request) => used(&request, &state, &confirm_path(&token), Lang::Nl),
        None => Err(ApiError::NotFound("this confirmation link is unknown or was already used".into())),
    }
}

/// Confirms a supporter's email address (double opt-in): from now on it hears about the
/// report's public changes, each email with a link to erase the address again.
#[utoipa::path(
    tag = "reports",
    params(
        ("token" = String, Path, description = "The token from the confirmation email"),
        ("lang" = Option<String>, Query, description = "The answering page's language, `nl` or `en` (default: the supporter's)"),
    ),
    responses(
        (status = 200, description = "Confirmed: a page says so", content_type = "text/html"),
        (status = 404, description = "The link is unknown or already used: a page for browsers, a problem otherwise", content(
            (Problem = "application/problem+json"),
            (String = "text/html"),
        )),
        Unavailable,
    )
)]
#[post("/api/v1/support/confirm/{token}")]
pub async fn confirm_support(
    request: HttpRequest,
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let token = path.into_inner();
    let confirming = token.clone();
    let confirmed = state
        .db
        .run(move |conn| -> Result<_, crate::storage::StorageError> {
            let language = crate::storage::link_languages::of_supporter_confirmation(conn, &confirming)?;
            let report = crate::storage::followers::confirm_supporter(conn, &confirming)?;
            Ok(report.map(|report| (report, language.unwrap_or_default())))
        })
        .await?;
    let Some((report, language)) = confirmed else {
        if wants_html(&request) {
            return used(&request, &state, &confirm_path(&token), Lang::Nl);
        }
        return Err(ApiError::NotFound("this confirmation link is unknown or was already used".into()));
    };
    tracing::info!(report_id = %report, "supporter confirmed their address");
    done(&request, &state, &confirm_path(&token), lang_of(language), &OneClick::ConfirmSupport)
}
