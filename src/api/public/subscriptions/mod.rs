//! Neighbourhood subscriptions for residents, without an account: subscribe (email with
//! double opt-in, or a webhook verified by a challenge), confirm, manage and end through the
//! private management link, one-click unsubscribe (RFC 8058), and answering a quick question
//! through the API.
//!
//! Links in emails that change something (confirm, unsubscribe, one-tap answers) answer a
//! `GET` with a small page whose button POSTs: mail scanners that fetch every link change
//! nothing.
//!
//! Subscribing and managing share the request and view types and the target checks here;
//! the link pages are in [`links`], answering a quick question in [`answers`].

pub mod answers;
pub mod links;

use actix_web::{HttpRequest, HttpResponse, delete, get, patch, post, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::api::body::{parse, read_json};
use crate::api::error::{ApiError, Problem};
use crate::api::responses::{JsonBodyErrors, TooManyRequests, Unavailable};
use crate::api::state::AppState;
use crate::domain::report::Language;
use crate::domain::spatial::AreaIndex;
use crate::domain::subscription::{self, Channel, Targets};
use crate::domain::validation::{FieldErrors, email_address};
use crate::storage::subscriptions::{Contact, NewSubscription, SubscriptionChange};

/// A point with a radius.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PointTarget {
    /// Latitude (WGS84).
    pub lat: f64,
    /// Longitude (WGS84).
    pub lon: f64,
    /// Radius in metres (50 to 20000).
    pub radius_m: f64,
}

/// The keys of a browser's push subscription (base64url).
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PushKeys {
    /// The browser's P-256 public key.
    pub p256dh: String,
    /// The 16-byte authentication secret.
    pub auth: String,
}

/// A new subscription. Give at least one target: `areas`, `point` or `polygon`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SubscriptionRequest {
    /// `email`, `webhook` or `push` (when the server has VAPID keys).
    pub channel: Channel,
    /// The address (channel `email`).
    #[schema(example = "bewoner@example.nl")]
    pub email: Option<String>,
    /// The HTTPS URL to POST to (channel `webhook`).
    pub url: Option<String>,
    /// The push service URL (channel `push`, from `PushSubscription.toJSON()`).
    pub endpoint: Option<String>,
    /// The subscription's keys (channel `push`).
    pub keys: Option<PushKeys>,
    /// Ignored (part of `PushSubscription.toJSON()`).
    #[serde(rename = "expirationTime")]
    #[schema(value_type = Option<i64>)]
    pub expiration_time: Option<serde_json::Value>,
    /// CBS buurt, wijk or gemeente codes.
    #[serde(default)]
    #[schema(example = json!(["BU09171000"]))]
    pub areas: Vec<String>,
    /// A point with a radius.
    pub point: Option<PointTarget>,
    /// A GeoJSON Polygon or MultiPolygon (WGS84).
    #[schema(value_type = Option<Object>)]
    pub polygon: Option<serde_json::Value>,
    /// Only announcements with one of these tags (empty: all).
    #[serde(default)]
    pub tags: Vec<String>,
    /// Report categories (main or subcategory slugs): also hear about new public reports of
    /// these categories in the areas.
    #[serde(default)]
    pub categories: Vec<String>,
    /// `nl` (default) or `en`.
    pub language: Option<String>,
}

/// The answer to a new subscription.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SubscriptionCreated {
    pub id: Uuid,
    /// `pending` until confirmed (email link, webhook challenge).
    pub status: String,
    pub channel: Channel,
    /// The management token (webhook and push; email subscribers get it by email). Shown once.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub manage_token: Option<String>,
    /// The secret that signs webhook payloads (`Meldpunt-Signature`). Shown once.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
}

/// A subscription as its subscriber sees it (without the address).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SubscriptionView {
    pub id: Uuid,
    pub channel: Channel,
    /// `pending`, `active` or `ended`.
    pub status: String,
    /// Language of messages.
    pub language: String,
    /// The targets as given (`areas`, `point`, `polygon`).
    #[schema(value_type = Object)]
    pub targets: serde_json::Value,
    /// The finest area codes the targets cover.
    pub covered_areas: Vec<String>,
    /// Tag filter (empty: all).
    pub tags: Vec<String>,
    /// Category filter.
    pub categories: Vec<String>,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Confirmed.
    pub confirmed_at: Option<DateTime<Utc>>,
}

/// A change of a subscription; absent fields stay as they are. Targets (`areas`, `point`,
/// `polygon`) replace the old targets together when any is given.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SubscriptionPatch {
    /// CBS codes.
    pub areas: Option<Vec<String>>,
    /// A point with a radius.
    pub point: Option<PointTarget>,
    /// A GeoJSON polygon.
    #[schema(value_type = Option<Object>)]
    pub polygon: Option<serde_json::Value>,
    /// Tag filter.
    pub tags: Option<Vec<String>>,
    /// Category filter.
    pub categories: Option<Vec<String>>,
    /// `nl` or `en`.
    pub language: Option<String>,
}

/// Checks targets; records problems under the given pointers. Returns the targets and
/// their JSON as given.
pub fn check_targets(
    index: &AreaIndex,
    areas: &[String],
    point: Option<PointTarget>,
    polygon: Option<&serde_json::Value>,
    errors: &mut FieldErrors,
) -> Option<(Targets, serde_json::Value)> {
    let codes = errors.check("/areas", subscription::check_area_codes(index, areas));
    let circle = match point {
        Some(p) => errors.check("/point", subscription::check_circle(p.lat, p.lon, p.radius_m)).map(Some),
        None => Some(None),
    };
    let shape = match polygon {
        Some(geometry) => errors.check("/polygon", crate::domain::area::parse_geometry(geometry)).map(Some),
        None => Some(None),
    };
    let targets = Targets { areas: codes?, circle: circle?, polygon: shape? };
    if targets.is_empty() {
        errors.add("/areas", "give at least one target: areas (CBS codes), point {lat, lon, radius_m} or polygon");
        return None;
    }
    let json = serde_json::json!({"areas": targets.areas, "point": point, "polygon": polygon});
    Some((targets, json))
}

/// Checks report category slugs (main or sub categories) against the catalog.
fn check_categories(catalog: &crate::domain::category::Catalog, slugs: &[String]) -> Result<Vec<String>, String> {
    let slugs = subscription::check_tags(slugs)?;
    match slugs.iter().find(|s| catalog.subcategory(s).is_none() && catalog.main_category(s).is_none()) {
        Some(unknown) => Err(format!("'{unknown}' is not a category; see GET /api/v1/categories for the slugs")),
        None => Ok(slugs),
    }
}

fn language(text: Option<&str>, errors: &mut FieldErrors) -> Option<Language> {
    match text {
        None | Some("nl") => Some(Language::Nl),
        Some("en") => Some(Language::En),
        Some(other) => {
            errors.add("/language", format!("language '{other}' is not offered; send nl or en"));
            None
        }
    }
}

/// Subscribes to announcements for one or more areas. Nothing is sent to an email address
/// before its confirmation link is used; a webhook is active once it echoes the challenge
/// meldpunt POSTs to it.
#[utoipa::path(
    tag = "subscriptions",
    request_body(content = SubscriptionRequest, content_type = "application/json"),
    responses(
        (status = 202, description = "Accepted; confirm by the emailed link or the webhook challenge", body = SubscriptionCreated),
        (status = 422, description = "Invalid fields (unknown area, bad address or URL, no target)", body = Problem, content_type = "application/problem+json"),
        Unavailable,
        JsonBodyErrors,
        TooManyRequests,
    )
)]
#[post("/api/v1/subscriptions")]
pub async fn create_subscription(
    request: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let body = read_json(&request, payload, state.max_body_bytes).await?;
    let input: SubscriptionRequest = parse(body.value)?;
    let snapshot = state.config.snapshot();
    let mut errors = FieldErrors::default();
    let contact = match input.channel {
        Channel::Email => match input.email.as_deref() {
            Some(email) => errors.check("/email", email_address(email)).map(Contact::Email),
            None => {
                errors.add("/email", "channel email needs an email address");
                None
            }
        },
        Channel::Webhook => match input.url.as_deref() {
            Some(url) => {
                errors.check("/url", subscription::WebhookUrl::parse(url, state.webhook_allow_insecure)).map(|url| {
                    Contact::Webhook { url, secret: crate::domain::auth::new_token().replacen("mpt_", "whsec_", 1) }
                })
            }
            None => {
                errors.add("/url", "channel webhook needs an https url");
                None
            }
        },
        Channel::Push => match (&state.push_public_key, input.endpoint.as_deref(), &input.keys) {
            (None, ..) => {
                errors.add("/channel", "Web Push is not configured on this server; use email or webhook");
                None
            }
            (Some(_), Some(endpoint), Some(keys)) => {
                let endpoint =
                    errors.check("/endpoint", subscription::WebhookUrl::parse(endpoint, state.webhook_allow_insecure));
                let keys = errors.check("/keys", subscription::PushKeys::parse(&keys.p256dh, &keys.auth));
                endpoint.zip(keys).map(|(endpoint, keys)| Contact::Push { endpoint, keys })
            }
            (Some(_), ..) => {
                errors.add(
                    "/endpoint",
                    "channel push needs endpoint and keys {p256dh, auth} from PushSubscription.toJSON()",
                );
                None
            }
        },
    };
    let targets = check_targets(&snapshot.areas, &input.areas, input.point, input.polygon.as_ref(), &mut errors);
    let tags = errors.check("/tags", subscription::check_tags(&input.tags));
    let categories = errors.check("/categories", check_categories(&snapshot.catalog, &input.categories));
    let language = language(input.language.as_deref(), &mut errors);
    let (Some(contact), Some((targets, targets_json)), Some(tags), Some(categories), Some(language), true) =
        (contact, targets, tags, categories, language, errors.is_empty())
    else {
        return Err(ApiError::Validation(errors.finish(|| None::<()>).err().unwrap_or_default()));
    };
    let cells = subscription::cells(&snapshot.areas, &targets);
    let home_area = subscription::home_area(&snapshot.areas, &targets);
    let id = Uuid::now_v7();
    let secret = match &contact {
        Contact::Webhook { secret, .. } => Some(secret.clone()),
        _ => None,
    };
    let channel = input.channel;
    // Over the limit of emails to this address the answer is the same, but nothing is stored
    // and no confirmation email is queued.
    let withheld = matches!(&contact, Contact::Email(email) if !state.limits.email_allowed(email));
    let new = NewSubscription { id, contact, language, targets: targets_json, home_area, cells, tags, categories };
    if !withheld {
        state.db.run(move |conn| crate::storage::subscriptions::create(conn, &new)).await?;
        tracing::info!(subscription_id = %id, channel = channel.as_str(), "subscription created");
    }
    let manage_token = (channel != Channel::Email).then(|| state.links.manage_token(id));
    Ok(HttpResponse::Accepted().json(SubscriptionCreated {
        id,
        status: "pending".into(),
        channel,
        manage_token,
        secret,
    }))
}

/// The server's Web Push key.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct PushKey {
    /// The VAPID public key, base64url: the `applicationServerKey` for
    /// `PushManager.subscribe`.
    pub application_server_key: String,
}

/// The key browsers subscribe to Web Push with.
#[utoipa::path(
    tag = "subscriptions",
    responses(
        (status = 200, description = "The VAPID public key", body = PushKey),
        (status = 404, description = "Web Push is not configured", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/api/v1/subscriptions/push-key")]
pub async fn push_key(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let key = state
        .push_public_key
        .clone()
        .ok_or_else(|| ApiError::NotFound("Web Push is not configured on this server".into()))?;
    Ok(HttpResponse::Ok().json(PushKey { application_server_key: key }))
}

pub(crate) fn subscription_of(state: &AppState, token: &str) -> Result<Uuid, ApiError> {
    state
        .links
        .check_manage_token(token)
        .ok_or_else(|| ApiError::NotFound("this management link is unknown; check that it was copied whole".into()))
}

/// A subscription by its private management link.
#[utoipa::path(
    tag = "subscriptions",
    params(
        ("token" = String, Path, description = "The management token (from the emails, or the webhook answer)"),
        ("lang" = Option<String>, Query, description = "The page's language, `nl` or `en` (the page only; default: the subscription's)"),
    ),
    responses(
        (status = 200, description = "The subscription (without its address): JSON, or with an `Accept` that prefers `text/html` the page \"Your neighbourhood announcements\" (in the subscription's language, `?lang=nl|en` switches) with forms to change or end it", content(
            (SubscriptionView = "application/json"),
            (String = "text/html"),
        )),
        (status = 404, description = "Unknown link (for browsers a page that says so)", content(
            (Problem = "application/problem+json"),
            (String = "text/html"),
        )),
        Unavailable,
    )
)]
#[get("/api/v1/subscriptions/manage/{token}")]
pub async fn get_subscription(
    request: HttpRequest,
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    if crate::api::pages::resident::wants_html(&request) {
        return crate::api::pages::resident::subscription::page(&request, &state, &path, None, Vec::new()).await;
    }
    let id = subscription_of(&state, &path.into_inner())?;
    Ok(HttpResponse::Ok().json(view(&state, id).await?))
}

pub(crate) async fn view(state: &AppState, id: Uuid) -> Result<SubscriptionView, ApiError> {
    let (row, cells) = state
        .db
        .run(move |conn| -> Result<_, crate::storage::StorageError> {
            let row = crate::storage::subscriptions::get(conn, id)?;
            Ok((row, crate::storage::subscriptions::cells(conn, id)?))
        })
        .await?;
    let row = row.ok_or_else(|| ApiError::NotFound("this subscription does not exist".into()))?;
    Ok(SubscriptionView {
        id,
        channel: row.channel,
        status: row.status.as_str().to_owned(),
        language: row.language.as_str().to_owned(),
        targets: row.targets,
        covered_areas: cells,
        tags: row.tags,
        categories: row.categories,
        created_at: row.created_at,
        confirmed_at: row.confirmed_at,
    })
}

/// Changes targets, filters or language of a subscription.
#[utoipa::path(
    tag = "subscriptions",
    params(("token" = String, Path, description = "The management token")),
    request_body(content = SubscriptionPatch, content_type = "application/json"),
    responses(
        (status = 200, description = "Changed", body = SubscriptionView),
        (status = 400, description = "The body is not JSON", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "Unknown link, or the subscription has ended", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "The body is not application/json", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields", body = Problem, content_type = "application/problem+json"),
        Unavailable,
    )
)]
#[patch("/api/v1/subscriptions/manage/{token}")]
pub async fn update_subscription(
    request: HttpRequest,
    payload: web::Payload,
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let id = subscription_of(&state, &path.into_inner())?;
    let body = read_json(&request, payload, state.max_body_bytes).await?;
    let input: SubscriptionPatch = parse(body.value)?;
    change(&state, id, &input).await?;
    Ok(HttpResponse::Ok().json(view(&state, id).await?))
}

/// Checks and applies a change of a subscription (the API's PATCH and the page's form);
/// nothing is stored when a field is refused.
pub(crate) async fn change(state: &AppState, id: Uuid, input: &SubscriptionPatch) -> Result<(), ApiError> {
    let snapshot = state.config.snapshot();
    let mut errors = FieldErrors::default();
    let mut change = SubscriptionChange::default();
    if input.areas.is_some() || input.point.is_some() || input.polygon.is_some() {
        let areas = input.areas.clone().unwrap_or_default();
        if let Some((targets, json)) =
            check_targets(&snapshot.areas, &areas, input.point, input.polygon.as_ref(), &mut errors)
        {
            let cells = subscription::cells(&snapshot.areas, &targets);
            change.targets = Some((json, subscription::home_area(&snapshot.areas, &targets), cells));
        }
    }
    if let Some(tags) = &input.tags {
        change.tags = errors.check("/tags", subscription::check_tags(tags));
    }
    if let Some(categories) = &input.categories {
        change.categories = errors.check("/categories", check_categories(&snapshot.catalog, categories));
    }
    if input.language.is_some() {
        change.language = language(input.language.as_deref(), &mut errors);
    }
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors.finish(|| None::<()>).err().unwrap_or_default()));
    }
    let changed = state.db.run(move |conn| crate::storage::subscriptions::change(conn, id, &change)).await?;
    if !changed {
        return Err(ApiError::NotFound("this subscription has ended".into()));
    }
    Ok(())
}

pub(crate) async fn end(state: &AppState, id: Uuid) -> Result<bool, ApiError> {
    let ended = state.db.run(move |conn| crate::storage::subscriptions::end(conn, id)).await?;
    if ended {
        tracing::info!(subscription_id = %id, "subscription ended");
    }
    Ok(ended)
}

/// Ends a subscription; meldpunt forgets the address at once.
#[utoipa::path(
    tag = "subscriptions",
    params(("token" = String, Path, description = "The management token")),
    responses(
        (status = 204, description = "Ended (also when it had ended before)"),
        (status = 404, description = "Unknown link", body = Problem, content_type = "application/problem+json"),
        Unavailable,
    )
)]
#[delete("/api/v1/subscriptions/manage/{token}")]
pub async fn delete_subscription(
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let id = subscription_of(&state, &path.into_inner())?;
    end(&state, id).await?;
    Ok(HttpResponse::NoContent().finish())
}
