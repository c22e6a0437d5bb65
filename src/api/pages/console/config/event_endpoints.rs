//! The event webhook pages (`/console/config/event-endpoints`): every webhook endpoint for
//! report events with its deliveries counted by state and the form that registers one (the
//! answer shows its secret, this once); and a page per endpoint with its deliveries, newest
//! first and filtered by state, each with why it failed, and the forms that pause or resume
//! it, requeue its dead deliveries, replay its events since a moment in Dutch time, and
//! delete it. Each calls the admin API's own function (`crate::api::admin::events`), so the
//! rules, validation included, are the API's.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use askama::Template;
use uuid::Uuid;

use super::super::reasons::{Reason, Reasons, refusal};
use super::super::session::ConsoleUser;
use super::super::{ConsoleError, Frame, console_lang, message, query_value, render, see_other};
use super::admin_only;
use super::catalogue::checked_form;
use super::event_rows::{DeliveryRow, EndpointRow};
use super::event_words::{self, EventWords};
use crate::api::admin::events::deliveries::{DeliveryQuery, delivery_page, replay_since, requeue_dead};
use crate::api::admin::events::endpoints::{
    EndpointInput, create_endpoint_from, delete_endpoint_by, endpoint_view, endpoint_views, set_endpoint_active,
};
use crate::api::error::ApiError;
use crate::api::pages::console::announcements::form::parse_local;
use crate::api::pages::resident::field;
use crate::api::responses::Unavailable;
use crate::api::state::AppState;
use crate::domain::report_event::EventType;

/// The list's address.
pub const PAGE: &str = "/console/config/event-endpoints";

/// The states a page of deliveries can be filtered by (the API's `state`).
const STATES: [&str; 5] = ["all", "delivered", "pending", "failing", "dead"];

/// Deliveries per page.
const PAGE_SIZE: i64 = 50;

fn words_of(request: &HttpRequest) -> &'static EventWords {
    event_words::of(console_lang(request).0)
}

/// The 404 page of an endpoint that does not exist.
fn gone(request: &HttpRequest, user: &ConsoleUser) -> Result<HttpResponse, ConsoleError> {
    let w = words_of(request);
    Ok(message(request, StatusCode::NOT_FOUND, w.not_found_title, w.gone, user.frame_user())?)
}

/// The register form as typed.
#[derive(Debug, Default)]
struct NewForm {
    url: String,
    description: String,
    /// The event types ticked.
    events: Vec<String>,
    departments: String,
    categories: String,
    areas: String,
    contact: bool,
}

impl NewForm {
    /// The form as posted.
    fn from_fields(fields: &[(String, String)]) -> Self {
        let text = |name: &str| field(fields, name).map(str::trim).unwrap_or_default().to_owned();
        NewForm {
            url: text("url"),
            description: text("description"),
            events: fields.iter().filter(|(k, _)| k == "events").map(|(_, v)| v.trim().to_owned()).collect(),
            departments: text("departments"),
            categories: text("categories"),
            areas: text("areas"),
            contact: field(fields, "include_reporter_contact") == Some("on"),
        }
    }

    /// What the admin API is asked: the lists split at commas (and spaces).
    fn input(&self) -> EndpointInput {
        let list = |text: &str| -> Vec<String> {
            text.split(|c: char| c == ',' || c.is_whitespace()).filter(|s| !s.is_empty()).map(str::to_owned).collect()
        };
        EndpointInput {
            url: self.url.clone(),
            description: self.description.clone(),
            events: self.events.clone(),
            departments: list(&self.departments),
            categories: list(&self.categories),
            areas: list(&self.areas),
            include_reporter_contact: self.contact,
        }
    }

    /// The event types as checkboxes: (name, words, ticked).
    fn event_choices(&self, w: &EventWords) -> Vec<(&'static str, &'static str, bool)> {
        EventType::ALL
            .iter()
            .map(|t| (t.as_str(), w.event_type(t.as_str()), self.events.iter().any(|e| e == t.as_str())))
            .collect()
    }
}

/// The list with the register form.
#[derive(Template)]
#[template(path = "console/config/event_endpoints.html")]
struct EndpointsPage<'a> {
    frame: &'a Frame,
    w: &'static EventWords,
    csrf: String,
    notice: Option<&'static str>,
    endpoints: Vec<EndpointRow>,
    form: NewForm,
    /// The event types of the register form: (name, words, ticked).
    event_choices: Vec<(&'static str, &'static str, bool)>,
    errors: Reasons,
    /// The secret of the endpoint just registered, shown this once.
    secret: Option<String>,
}

async fn list(
    request: &HttpRequest,
    state: &AppState,
    user: &ConsoleUser,
    status: StatusCode,
    (form, errors): (NewForm, Reasons),
    secret: Option<String>,
) -> Result<HttpResponse, ConsoleError> {
    let w = words_of(request);
    let frame = Frame::new(request, PAGE, w.title, user.frame_user());
    let notice = match (&secret, query_value(request, "done").as_deref()) {
        (Some(_), _) => Some(w.done_registered),
        (None, Some("deleted")) => Some(w.done_deleted),
        _ => None,
    };
    let endpoints = endpoint_views(state).await?.into_iter().map(|v| EndpointRow::new(v, w)).collect();
    let csrf = user.form_token.clone();
    let event_choices = form.event_choices(w);
    let body = EndpointsPage { frame: &frame, w, csrf, notice, endpoints, form, event_choices, errors, secret };
    Ok(render(status, &frame, &body)?)
}

/// One endpoint's page.
#[derive(Template)]
#[template(path = "console/config/event_endpoint.html")]
struct EndpointPage<'a> {
    frame: &'a Frame,
    w: &'static EventWords,
    csrf: String,
    address: String,
    notice: Option<String>,
    endpoint: EndpointRow,
    /// The page of deliveries (`None`: the filter was refused).
    deliveries: Option<Vec<DeliveryRow>>,
    /// The filter's choices: value, words, chosen.
    states: Vec<(&'static str, &'static str, bool)>,
    /// The next (older) page and the first page, when there are.
    older: Option<String>,
    newest: Option<String>,
    /// The replay form's moment as typed.
    since: String,
    errors: Reasons,
}

/// What an endpoint's page shows besides the endpoint and its deliveries.
struct Shown {
    status: StatusCode,
    notice: Option<String>,
    since: String,
    errors: Reasons,
}

impl Shown {
    fn refused(status: StatusCode, since: String, errors: Reasons) -> Self {
        Shown { status, notice: None, since, errors }
    }
}

/// What the last form did, from the query of the page it was sent back to.
fn notice_of(request: &HttpRequest, w: &EventWords) -> Option<String> {
    let n = query_value(request, "n").and_then(|n| n.parse::<usize>().ok()).unwrap_or(0);
    match query_value(request, "done").as_deref() {
        Some("paused") => Some(w.done_paused.to_owned()),
        Some("resumed") => Some(w.done_resumed.to_owned()),
        Some("requeued") => Some(w.counted(w.done_requeued, n)),
        Some("replayed") => Some(w.counted(w.done_replayed, n)),
        _ => None,
    }
}

async fn detail(
    request: &HttpRequest,
    state: &AppState,
    user: &ConsoleUser,
    id: Uuid,
    shown: Shown,
) -> Result<HttpResponse, ConsoleError> {
    let w = words_of(request);
    let view = match endpoint_view(state, id).await {
        Ok(view) => view,
        Err(ApiError::NotFound(_)) => return gone(request, user),
        Err(error) => return Err(error.into()),
    };
    let address = format!("{PAGE}/{id}");
    let which = query_value(request, "state").unwrap_or_else(|| "all".to_owned());
    let before = query_value(request, "before").and_then(|b| b.parse::<i64>().ok());
    let query = DeliveryQuery { state: Some(which.clone()), limit: Some(PAGE_SIZE), before };
    let (mut status, mut errors) = (shown.status, shown.errors);
    let (deliveries, older) = match delivery_page(state, id, query).await {
        Ok(page) => {
            let older = page.next_before.map(|b| format!("{address}?state={which}&before={b}"));
            (Some(page.items.into_iter().map(|d| DeliveryRow::new(d, w)).collect()), older)
        }
        Err(ApiError::NotFound(_)) => return gone(request, user),
        Err(error) => {
            let (refused, reasons) = refusal(error, &["state"], "")?;
            (status, errors) = (refused, reasons.into_iter().chain(errors).collect());
            (None, None)
        }
    };
    let words = [w.all, w.delivered, w.pending, w.failing, w.dead];
    let states = STATES.iter().zip(words).map(|(value, words)| (*value, words, *value == which)).collect();
    let newest = before.filter(|_| deliveries.is_some()).map(|_| format!("{address}?state={which}"));
    // The host only: the title goes into the browser's history, and a URL's user, path or
    // query may hold the receiver's own token.
    let host = view.url.split_once("://").map_or(view.url.as_str(), |(_, rest)| rest);
    let host = host.split(['/', '?', '#']).next().unwrap_or_default();
    let host = host.rsplit_once('@').map_or(host, |(_, host)| host);
    let title = format!("{}: {host}", w.title);
    let frame = Frame::new(request, &address, title, user.frame_user());
    let body = EndpointPage {
        frame: &frame,
        w,
        csrf: user.form_token.clone(),
        address,
        notice: shown.notice.or_else(|| notice_of(request, w)),
        endpoint: EndpointRow::new(view, w),
        deliveries,
        states,
        older,
        newest,
        since: shown.since,
        errors,
    };
    Ok(render(status, &frame, &body)?)
}

/// Every webhook endpoint for report events with its deliveries by state, and the form that
/// registers one. Admins only.
#[utoipa::path(
    operation_id = "console_config_event_endpoints",
    tag = "console",
    params(
        ("done" = Option<String>, Query, description = "What the last form did, for the message at the top"),
        ("lang" = Option<String>, Query, description = "`nl` (default) or `en`"),
    ),
    responses(
        (status = 200, description = "The event webhooks page", content_type = "text/html"),
        (status = 303, description = "Not signed in: to the login page"),
        (status = 403, description = "The role is not admin: a page says so", content_type = "text/html"),
        Unavailable,
    )
)]
#[get("/console/config/event-endpoints")]
pub async fn event_endpoints_page(
    request: HttpRequest,
    user: ConsoleUser,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ConsoleError> {
    if let Err(refused) = admin_only(&request, &user) {
        return Ok(*refused);
    }
    list(&request, &state, &user, StatusCode::OK, Default::default(), None).await
}

/// The register form: `csrf`, `action=create`, `url`, `description`, `events` (once per
/// ticked type), `departments`, `categories`, `areas` (comma-separated) and
/// `include_reporter_contact=on`. The answer is the list with the new endpoint's secret,
/// shown this once.
#[utoipa::path(
    operation_id = "console_config_event_endpoints_action",
    tag = "console",
    request_body(content = String, content_type = "application/x-www-form-urlencoded", description = "`csrf`, `action` (`create`), `url`, `description`, `events` (repeated, one per event type; none: all), `departments`, `categories` and `areas` (comma-separated slugs or CBS codes; empty: all) and `include_reporter_contact` (`on` to send the contact, allowed in the signed-in admin's name)"),
    responses(
        (status = 200, description = "Registered: the list with the secret, shown this once", content_type = "text/html"),
        (status = 303, description = "Not signed in: to the login page"),
        (status = 403, description = "The form token is missing or wrong, the form came from another site, or the role is not admin: a page says so", content_type = "text/html"),
        (status = 413, description = "The form is too large", body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "A bad address, description or filter: the page with the API's reasons next to the fields", content_type = "text/html"),
        Unavailable,
    )
)]
#[post("/console/config/event-endpoints")]
pub async fn event_endpoints_action(
    request: HttpRequest,
    user: ConsoleUser,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ConsoleError> {
    let fields = match checked_form(&request, &state, &user, payload).await? {
        Ok(fields) => fields,
        Err(refused) => return Ok(refused),
    };
    let form = NewForm::from_fields(&fields);
    if field(&fields, "action") != Some("create") {
        let w = words_of(&request);
        let unknown = Reason::ours("", w.unknown_action, w.lang).into();
        return list(&request, &state, &user, StatusCode::UNPROCESSABLE_ENTITY, (form, unknown), None).await;
    }
    let identity = &user.identity;
    match create_endpoint_from(&state, form.input(), Some(identity.account_id), &identity.actor()).await {
        Ok(view) => list(&request, &state, &user, StatusCode::OK, Default::default(), view.secret).await,
        Err(error) => {
            let known =
                ["url", "description", "events", "departments", "categories", "areas", "include_reporter_contact"];
            let (status, errors) = refusal(error, &known, "url")?;
            list(&request, &state, &user, status, (form, errors), None).await
        }
    }
}

/// One endpoint's page: its deliveries, newest first, and its forms. Admins only.
#[utoipa::path(
    operation_id = "console_config_event_endpoint",
    tag = "console",
    params(
        ("id" = String, Path, description = "Endpoint id"),
        ("state" = Option<String>, Query, description = "`all` (default), `delivered`, `pending`, `failing` or `dead`, as the API's `state`"),
        ("before" = Option<i64>, Query, description = "Older than this delivery (the link to older deliveries)"),
        ("done" = Option<String>, Query, description = "What the last form did, for the message at the top"),
        ("n" = Option<usize>, Query, description = "How many deliveries the last form queued"),
        ("lang" = Option<String>, Query, description = "`nl` (default) or `en`"),
    ),
    responses(
        (status = 200, description = "The endpoint's page", content_type = "text/html"),
        (status = 303, description = "Not signed in: to the login page"),
        (status = 403, description = "The role is not admin: a page says so", content_type = "text/html"),
        (status = 404, description = "No such endpoint: a page says so", content_type = "text/html"),
        (status = 422, description = "An unknown state: the page with the API's reason at the filter", content_type = "text/html"),
        Unavailable,
    )
)]
#[get("/console/config/event-endpoints/{id}")]
pub async fn event_endpoint_page(
    request: HttpRequest,
    user: ConsoleUser,
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ConsoleError> {
    if let Err(refused) = admin_only(&request, &user) {
        return Ok(*refused);
    }
    let Ok(id) = Uuid::parse_str(path.trim()) else { return gone(&request, &user) };
    let shown = Shown { status: StatusCode::OK, notice: None, since: String::new(), errors: Reasons::default() };
    detail(&request, &state, &user, id, shown).await
}

/// The forms of an endpoint: `csrf` and `action`: `pause`, `resume`, `requeue`, `replay`
/// (with `since`, a `datetime-local` value in Dutch time) or `delete`.
#[utoipa::path(
    operation_id = "console_config_event_endpoint_action",
    tag = "console",
    params(("id" = String, Path, description = "Endpoint id")),
    request_body(content = String, content_type = "application/x-www-form-urlencoded", description = "`csrf`, `action` and for a replay `since`"),
    responses(
        (status = 303, description = "Done: to the endpoint's page (or after deleting, the list) with what was done; or not signed in: to the login page"),
        (status = 403, description = "The form token is missing or wrong, the form came from another site, or the role is not admin: a page says so", content_type = "text/html"),
        (status = 404, description = "No such endpoint: a page says so", content_type = "text/html"),
        (status = 413, description = "The form is too large", body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "An empty, unreadable or future moment to replay from: the page with the reason at the field", content_type = "text/html"),
        Unavailable,
    )
)]
#[post("/console/config/event-endpoints/{id}")]
pub async fn event_endpoint_action(
    request: HttpRequest,
    user: ConsoleUser,
    path: web::Path<String>,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ConsoleError> {
    let fields = match checked_form(&request, &state, &user, payload).await? {
        Ok(fields) => fields,
        Err(refused) => return Ok(refused),
    };
    let Ok(id) = Uuid::parse_str(path.trim()) else { return gone(&request, &user) };
    let w = words_of(&request);
    let actor = user.identity.actor();
    let since = field(&fields, "since").map(str::trim).unwrap_or_default().to_owned();
    let ours = |text: &str| -> Reasons { Reason::ours("since", text, w.lang).into() };
    let outcome = match field(&fields, "action").unwrap_or_default() {
        "pause" => set_endpoint_active(&state, id, false, &actor).await.map(|_| "done=paused".to_owned()),
        "resume" => set_endpoint_active(&state, id, true, &actor).await.map(|_| "done=resumed".to_owned()),
        "requeue" => requeue_dead(&state, id).await.map(|n| format!("done=requeued&n={n}")),
        "replay" => match parse_local(&since) {
            Ok(Some(at)) => replay_since(&state, id, at, &actor).await.map(|n| format!("done=replayed&n={n}")),
            Ok(None) => {
                let shown = Shown::refused(StatusCode::UNPROCESSABLE_ENTITY, since, ours(w.since_empty));
                return detail(&request, &state, &user, id, shown).await;
            }
            Err(_) => {
                let shown = Shown::refused(StatusCode::UNPROCESSABLE_ENTITY, since, ours(w.since_unreadable));
                return detail(&request, &state, &user, id, shown).await;
            }
        },
        "delete" => {
            return match delete_endpoint_by(&state, id, &actor).await {
                Ok(()) => Ok(see_other(&format!("{PAGE}?done=deleted"))),
                Err(ApiError::NotFound(_)) => gone(&request, &user),
                Err(error) => Err(error.into()),
            };
        }
        _ => {
            let unknown = Reason::ours("", w.unknown_action, w.lang).into();
            let shown = Shown::refused(StatusCode::UNPROCESSABLE_ENTITY, since, unknown);
            return detail(&request, &state, &user, id, shown).await;
        }
    };
    match outcome {
        Ok(query) => Ok(see_other(&format!("{PAGE}/{id}?{query}"))),
        Err(ApiError::NotFound(_)) => gone(&request, &user),
        Err(error) => {
            let (status, errors) = refusal(error, &["since"], "")?;
            detail(&request, &state, &user, id, Shown::refused(status, since, errors)).await
        }
    }
}
