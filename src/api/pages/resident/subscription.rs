//! "Your neighbourhood announcements": the page behind a subscription's management link.
//! It shows the subscription in words (area names, not codes) and lets the resident change
//! the language, the categories and the topics, or end it. The page reads and changes the
//! subscription through the same functions as the JSON API.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, post, web};
use askama::Template;
use uuid::Uuid;

use super::words::Words;
use super::{FormToken, Frame, Lang, field, form_fields, message, page_lang, render};
use crate::api::error::{ApiError, Problem};
use crate::api::public::subscriptions::{SubscriptionPatch, SubscriptionView, change, end, subscription_of, view};
use crate::api::responses::Unavailable;
use crate::api::state::AppState;
use crate::domain::area::AreaLevel;
use crate::domain::subscription::Channel;

const FORM_KIND: &str = "subscription";

/// The largest form accepted (a few hundred category slugs and topics fit).
const FORM_MAX_BYTES: usize = 64 * 1024;

/// A category to choose.
pub struct CategoryChoice {
    pub slug: String,
    pub name: String,
    pub chosen: bool,
}

/// The page of one subscription.
#[derive(Template)]
#[template(path = "resident/subscription.html")]
pub struct SubscriptionPage {
    pub lang: &'static str,
    pub words: &'static Words,
    pub site: String,
    pub title: String,
    pub other_lang: &'static str,
    pub other_lang_href: String,
    pub notice: Option<String>,
    /// Field id and message of each refused field.
    pub errors: Vec<(String, String)>,
    pub status: String,
    pub channel: String,
    pub since: String,
    pub places: Vec<String>,
    pub filter_summary: String,
    pub active: bool,
    pub action: String,
    pub form_token: String,
    pub language: String,
    pub categories: Vec<CategoryChoice>,
    pub tags: String,
}

fn path_of(token: &str) -> String {
    format!("/api/v1/subscriptions/manage/{token}")
}

/// The language of the page: `?lang=`, else the subscription's.
fn lang_of(request: &HttpRequest, subscription: &SubscriptionView) -> Lang {
    let own = if subscription.language == "en" { Lang::En } else { Lang::Nl };
    page_lang(request, own)
}

/// Renders the page of the subscription behind `token`.
pub async fn page(
    request: &HttpRequest,
    state: &AppState,
    token: &str,
    notice: Option<String>,
    errors: Vec<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let Some(id) = state.links.check_manage_token(token) else {
        return unknown_link(request, state, token);
    };
    let subscription = match view(state, id).await {
        Ok(subscription) => subscription,
        Err(ApiError::NotFound(_)) => return unknown_link(request, state, token),
        Err(other) => return Err(other),
    };
    let lang = lang_of(request, &subscription);
    let frame = Frame::new(state, lang, &path_of(token), frame_title(lang));
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    render(status, &build(state, frame, token, &subscription, notice, errors))
}

fn frame_title(lang: Lang) -> &'static str {
    super::words::of(lang).subscription_title
}

fn build(
    state: &AppState,
    frame: Frame,
    token: &str,
    subscription: &SubscriptionView,
    notice: Option<String>,
    errors: Vec<(String, String)>,
) -> SubscriptionPage {
    let words = frame.words;
    let english = frame.lang == "en";
    let snapshot = state.config.snapshot();
    let catalog = &snapshot.catalog;
    let name_of = |slug: &str| {
        catalog
            .categories()
            .iter()
            .find(|c| c.slug == slug)
            .map_or_else(|| slug.to_owned(), |c| if english { c.name_en.clone() } else { c.name_nl.clone() })
    };
    let categories = catalog
        .main_categories()
        .filter(|c| c.active && c.is_public)
        .map(|c| CategoryChoice {
            slug: c.slug.clone(),
            name: if english { c.name_en.clone() } else { c.name_nl.clone() },
            chosen: subscription.categories.contains(&c.slug),
        })
        .collect();
    let mut filter_summary = if subscription.tags.is_empty() {
        words.all_announcements.to_owned()
    } else {
        words.announcements_tagged.replace("{tags}", &subscription.tags.join(", "))
    };
    if !subscription.categories.is_empty() {
        let names: Vec<String> = subscription.categories.iter().map(|slug| name_of(slug)).collect();
        filter_summary =
            format!("{filter_summary} {}", words.and_reports_in.replace("{categories}", &names.join(", ")));
    }
    SubscriptionPage {
        lang: frame.lang,
        words,
        site: frame.site,
        title: frame.title,
        other_lang: frame.other_lang,
        other_lang_href: frame.other_lang_href,
        notice,
        errors,
        status: match subscription.status.as_str() {
            "pending" => words.pending,
            "active" => words.active,
            _ => words.ended,
        }
        .to_owned(),
        channel: match subscription.channel {
            Channel::Email => words.email,
            Channel::Webhook => words.webhook,
            Channel::Push => words.push,
        }
        .to_owned(),
        since: subscription.created_at.format("%d-%m-%Y").to_string(),
        places: places(&snapshot.areas, &subscription.targets, words),
        filter_summary,
        active: subscription.status != "ended",
        action: path_of(token),
        form_token: FormToken::issue(state, FORM_KIND, token),
        language: subscription.language.clone(),
        categories,
        tags: subscription.tags.join(", "),
    }
}

/// The targets in words: each area by level and name, a circle by radius and centre, a
/// drawn polygon as such.
fn places(index: &crate::domain::spatial::AreaIndex, targets: &serde_json::Value, words: &Words) -> Vec<String> {
    let mut out = Vec::new();
    for code in targets["areas"].as_array().into_iter().flatten().filter_map(|c| c.as_str()) {
        out.push(match index.area(code) {
            Some(area) => {
                let level = match area.level {
                    AreaLevel::Buurt => words.buurt,
                    AreaLevel::Wijk => words.wijk,
                    AreaLevel::Gemeente => words.gemeente,
                };
                format!("{level} {} ({code})", area.name)
            }
            None => code.to_owned(),
        });
    }
    let point = &targets["point"];
    if let (Some(lat), Some(lon), Some(radius)) =
        (point["lat"].as_f64(), point["lon"].as_f64(), point["radius_m"].as_f64())
    {
        out.push(
            words
                .circle
                .replace("{radius}", &format!("{radius:.0}"))
                .replace("{lat}", &format!("{lat:.5}"))
                .replace("{lon}", &format!("{lon:.5}")),
        );
    }
    if !targets["polygon"].is_null() {
        out.push(words.drawn_area.to_owned());
    }
    out
}

/// The page for a management link that does not work (404), in the language asked for.
fn unknown_link(request: &HttpRequest, state: &AppState, token: &str) -> Result<HttpResponse, ApiError> {
    let words = super::words::of(page_lang(request, Lang::Nl));
    message(
        request,
        state,
        &path_of(token),
        StatusCode::NOT_FOUND,
        words.unknown_link_title,
        words.unknown_link_text,
        None,
    )
}

/// The form of the subscription page: change language, categories and topics
/// (`action=change`), or end the subscription (`action=end`). Answers a page that says what
/// happened; a refused field shows the form again with the reason (422).
#[utoipa::path(
    tag = "subscriptions",
    params(("token" = String, Path, description = "The management token")),
    request_body(content = String, content_type = "application/x-www-form-urlencoded", description = "The page's form: `form` (the form token of the page), `action` (`change` or `end`), and for `change`: `language` (`nl`, `en`), `categories` (repeated slugs), `tags` (comma-separated)"),
    responses(
        (status = 200, description = "A page that says what happened", content_type = "text/html"),
        (status = 400, description = "The form token is missing or expired: a page asks to reload", content_type = "text/html"),
        (status = 404, description = "Unknown link: a page says so", content_type = "text/html"),
        (status = 413, description = "The form is too large", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A refused field: the page again with the reason", content_type = "text/html"),
        Unavailable,
    )
)]
#[post("/api/v1/subscriptions/manage/{token}")]
pub async fn subscription_form(
    request: HttpRequest,
    path: web::Path<String>,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let token = path.into_inner();
    let Ok(id) = subscription_of(&state, &token) else {
        return unknown_link(&request, &state, &token);
    };
    let body = crate::api::body::read_limited(&request, payload, FORM_MAX_BYTES).await?;
    let fields = form_fields(&body);
    if !field(&fields, "form").is_some_and(|form| FormToken::holds(&state, FORM_KIND, &token, form)) {
        return stale_form(&request, &state, &token);
    }
    match field(&fields, "action") {
        Some("end") => ended(&request, &state, &token, id).await,
        _ => changed(&request, &state, &token, id, &fields).await,
    }
}

async fn ended(request: &HttpRequest, state: &AppState, token: &str, id: Uuid) -> Result<HttpResponse, ApiError> {
    end(state, id).await?;
    let words = super::words::of(page_lang(request, Lang::Nl));
    message(request, state, &path_of(token), StatusCode::OK, words.ended_title, words.ended_text, None)
}

async fn changed(
    request: &HttpRequest,
    state: &AppState,
    token: &str,
    id: Uuid,
    fields: &[(String, String)],
) -> Result<HttpResponse, ApiError> {
    let patch = SubscriptionPatch {
        areas: None,
        point: None,
        polygon: None,
        tags: Some(
            field(fields, "tags")
                .unwrap_or_default()
                .split(',')
                .map(str::trim)
                .filter(|tag| !tag.is_empty())
                .map(str::to_owned)
                .collect(),
        ),
        categories: Some(fields.iter().filter(|(key, _)| key == "categories").map(|(_, slug)| slug.clone()).collect()),
        language: field(fields, "language").map(str::to_owned),
    };
    match change(state, id, &patch).await {
        Ok(()) => {
            let lang = Lang::parse(patch.language.as_deref()).unwrap_or(Lang::Nl);
            page(request, state, token, Some(super::words::of(lang).saved.to_owned()), Vec::new()).await
        }
        Err(ApiError::Validation(refused)) => {
            let errors =
                refused.into_iter().map(|e| (e.pointer.trim_start_matches('/').to_owned(), e.detail)).collect();
            page(request, state, token, None, errors).await
        }
        Err(ApiError::NotFound(_)) => page(request, state, token, None, Vec::new()).await,
        Err(other) => Err(other),
    }
}

/// A form whose token is missing or too old: nothing changed; reload.
fn stale_form(request: &HttpRequest, state: &AppState, token: &str) -> Result<HttpResponse, ApiError> {
    let words = super::words::of(page_lang(request, Lang::Nl));
    let back = Some((path_of(token), words.back_to_subscription.to_owned()));
    message(
        request,
        state,
        &path_of(token),
        StatusCode::BAD_REQUEST,
        words.stale_form_title,
        words.stale_form_text,
        back,
    )
}
