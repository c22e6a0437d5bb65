//! "Your report": the page behind a report's follow link. It shows the report as residents
//! may see it (reference, category, status in words, the public timeline, public photos, a
//! map of its buurt drawn from meldpunt's own CBS polygons, no external tiles) and lets the
//! resident stop the emails, which erases their contact details at once (the same erasure
//! as `POST /api/v1/follow/{token}/erase`).

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, post, web};
use askama::Template;

use super::words::{self, Words};
use super::{FormToken, Frame, Lang, field, form_fields, message, page_lang, render};
use crate::api::error::{ApiError, Problem};
use crate::api::pages::dashboard::svg::Projection;
use crate::api::public::follow::{FollowView, followed, reopen};
use crate::api::responses::{TooManyRequests, Unavailable};
use crate::api::state::AppState;
use crate::domain::report::Language;
use crate::storage::retention::Erased;

pub(super) const FORM_KIND: &str = "report";
const FORM_MAX_BYTES: usize = 16 * 1024;

/// One step of the public timeline.
pub struct Step {
    pub iso: String,
    pub when: String,
    pub what: String,
    pub text: Option<String>,
}

/// The page of one followed report.
#[derive(Template)]
#[template(path = "resident/report.html")]
pub struct ReportPage {
    pub lang: &'static str,
    pub words: &'static Words,
    pub site: String,
    pub title: String,
    pub other_lang: &'static str,
    pub other_lang_href: String,
    pub notice: Option<String>,
    pub reference: String,
    pub category: String,
    pub status: String,
    pub reported_on: String,
    pub place: Option<String>,
    pub description: Option<String>,
    pub timeline: Vec<Step>,
    /// Photo address, thumbnail address, thumbnail width and height.
    pub photos: Vec<(String, String, u32, u32)>,
    /// The map as SVG markup (built here from numbers and escaped names only).
    pub map: Option<String>,
    pub action: String,
    pub form_token: String,
    /// Whether the form to ask to reopen is shown (a resolved report; the answer to a
    /// supporter's link or a late request says why not).
    pub can_reopen: bool,
    /// Whether the forms to add a remark or photos are shown (the reporter's link, while
    /// the report is open).
    pub can_add: bool,
    /// The open satisfaction survey's links, yes and no (the reporter's link to a resolved
    /// report whose survey waits for its answer).
    pub survey: Option<(String, String)>,
}

fn path_of(token: &str) -> String {
    format!("/api/v1/follow/{token}")
}

/// Renders the page of the report behind `token`.
pub async fn page(
    request: &HttpRequest,
    state: &AppState,
    token: &str,
    notice: Option<String>,
) -> Result<HttpResponse, ApiError> {
    let Some((view, language)) = followed(state, token.to_owned()).await? else {
        return unknown_link(request, state, token);
    };
    let own = if language == Language::En { Lang::En } else { Lang::Nl };
    let lang = page_lang(request, own);
    let frame = Frame::new(state, lang, &path_of(token), words::of(lang).report_title);
    let survey = open_survey(state, &view).await?.map(|survey| {
        let link = |side: &str| format!("/api/v1/survey/{survey}?satisfied={side}&lang={}", lang.tag());
        (link("yes"), link("no"))
    });
    let mut page = build(state, frame, token, &view, notice);
    page.survey = survey;
    render(StatusCode::OK, &page)
}

/// The token of the report's open satisfaction survey, for the reporter's link to a
/// resolved report.
async fn open_survey(state: &AppState, view: &FollowView) -> Result<Option<String>, ApiError> {
    if !view.reporter || view.report.status != crate::domain::report::ReportStatus::Resolved {
        return Ok(None);
    }
    let report_id = view.report.id;
    let surveys = state.db.run(move |conn| crate::storage::surveys::of_report(conn, report_id)).await?;
    let now = chrono::Utc::now();
    Ok(surveys
        .into_iter()
        .find(|s| s.state(now) == crate::domain::survey::SurveyState::Open)
        .map(|s| state.links.survey_token(s.id)))
}

fn build(state: &AppState, frame: Frame, token: &str, view: &FollowView, notice: Option<String>) -> ReportPage {
    let words = frame.words;
    let english = frame.lang == "en";
    let report = &view.report;
    let amsterdam = |at: chrono::DateTime<chrono::Utc>| at.with_timezone(&chrono_tz::Europe::Amsterdam);
    let timeline = view
        .updates
        .iter()
        .map(|update| Step {
            iso: update.at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            when: amsterdam(update.at).format("%d-%m-%Y %H:%M").to_string(),
            what: update.status.map_or(words.note, |status| words::status(words, status)).to_owned(),
            text: update.text.clone(),
        })
        .collect();
    let buurt = report.area.as_ref().and_then(|area| area.buurt.as_ref());
    let place = report.address.clone().or_else(|| {
        let area = report.area.as_ref()?;
        let buurt = area.buurt.as_ref().and_then(|b| b.name.clone());
        let gemeente = area.gemeente.name.clone();
        Some([buurt, gemeente].into_iter().flatten().collect::<Vec<_>>().join(", ")).filter(|p| !p.is_empty())
    });
    ReportPage {
        lang: frame.lang,
        words,
        site: frame.site,
        title: frame.title,
        other_lang: frame.other_lang,
        other_lang_href: frame.other_lang_href,
        notice,
        reference: report.reference.clone(),
        category: if english { report.category.name_en.clone() } else { report.category.name_nl.clone() },
        status: words::status(words, report.status).to_owned(),
        reported_on: amsterdam(report.created_at).format("%d-%m-%Y").to_string(),
        place,
        description: report.description.clone(),
        timeline,
        photos: report
            .photos
            .iter()
            .map(|p| {
                let (w, h) = thumbnail_size(p.width, p.height);
                (p.url.clone(), p.thumbnail_url.clone(), w, h)
            })
            .collect(),
        map: buurt.and_then(|b| {
            let label = words.map_label.replace("{area}", b.name.as_deref().unwrap_or(&b.code));
            buurt_map(state, &b.code, &label, report.location)
        }),
        action: format!("{}?lang={}", path_of(token), frame.lang),
        form_token: FormToken::issue(state, FORM_KIND, token),
        can_reopen: view.can_reopen,
        can_add: view.can_add,
        survey: None,
    }
}

/// The thumbnail's size: the longest side at most 320 pixels.
fn thumbnail_size(width: u32, height: u32) -> (u32, u32) {
    let longest = width.max(height).max(1);
    if longest <= 320 {
        return (width, height);
    }
    let scale = 320.0 / f64::from(longest);
    ((f64::from(width) * scale).round() as u32, (f64::from(height) * scale).round() as u32)
}

/// The buurt's outline with the report's place as a dot, as an SVG image whose text
/// alternative is `label`; `None` when the buurt is not in the registry. The console's
/// report page draws the same.
pub fn buurt_map(
    state: &AppState,
    code: &str,
    label: &str,
    location: Option<crate::domain::report::Location>,
) -> Option<String> {
    let snapshot = state.config.snapshot();
    let area = snapshot.areas.area(code)?;
    let projection = Projection::fit(std::iter::once(&area.geometry))?;
    let label = crate::api::pages::html_escape(label);
    let dot = location
        .map(|at| {
            let (x, y) = projection.point(at.lon, at.lat);
            format!("<circle class=\"spot\" cx=\"{x:.1}\" cy=\"{y:.1}\" r=\"9\"/>")
        })
        .unwrap_or_default();
    Some(format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"-12 -12 {w} {h}\" role=\"img\" aria-labelledby=\"map-title\">\
         <title id=\"map-title\">{label}</title><path class=\"area\" d=\"{path}\"/>{dot}</svg>",
        w = crate::api::pages::dashboard::svg::WIDTH + 24.0,
        h = projection.height + 24.0,
        path = projection.path(&area.geometry),
    ))
}

/// The page for a follow link that does not work (404): the same words whether or not a
/// report ever had it.
fn unknown_link(request: &HttpRequest, state: &AppState, token: &str) -> Result<HttpResponse, ApiError> {
    let words = words::of(page_lang(request, Lang::Nl));
    message(
        request,
        state,
        &path_of(token),
        StatusCode::NOT_FOUND,
        words.unknown_link_title,
        words.unknown_follow_text,
        None,
    )
}

/// The forms of the report page: `action=stop_emails` erases the contact details of
/// whoever holds the link (the reporter's, or a supporter's address); `action=reopen` (with
/// an optional `text`) asks to reopen a resolved report, as the reporter, within
/// `survey_days`. Each answers a page that says what happened.
#[utoipa::path(
    tag = "reports",
    params(
        ("token" = String, Path, description = "The token from the follow link"),
        ("lang" = Option<String>, Query, description = "The language of the answering page, `nl` or `en` (default `nl`)"),
    ),
    request_body(description = "The page's forms. `application/x-www-form-urlencoded`: `form` (the form token of the page), `action` (`stop_emails`, `reopen` or `remark`) and for `reopen` an optional, for `remark` a required `text` (at most 1,000 characters). `multipart/form-data`: the photo form, with the parts `form`, `action` (`photo`) and one or more `photo` files, in that order", content(
        (String = "application/x-www-form-urlencoded"),
        (super::additions::PhotoFormUpload = "multipart/form-data"),
    )),
    responses(
        (status = 200, description = "A page that says what happened", content_type = "text/html"),
        (status = 400, description = "The form token is missing or expired, the action unknown, or no photo chosen: a page says so", content_type = "text/html"),
        (status = 403, description = "Reopen, remark, photo: a supporter's link (only the reporter may): a page says so", content_type = "text/html"),
        (status = 404, description = "Unknown link: a page says so", content_type = "text/html"),
        (status = 409, description = "Reopen: the report is not resolved, or a request waits already; remark, photo: the report is closed or has the most allowed: a page says so", content_type = "text/html"),
        (status = 410, description = "Reopen: the period for asking is over: a page says so", content_type = "text/html"),
        (status = 413, description = "The form is too large (problem), or a photo is (a page says so)", content(
            (Problem = "application/problem+json"),
            (String = "text/html"),
        )),
        (status = 415, description = "A photo is not JPEG, PNG or WebP: a page says so", content_type = "text/html"),
        (status = 422, description = "Reopen, remark: the text is empty, too long or not plain text; photo: it cannot be read: a page says so", content_type = "text/html"),
        Unavailable,
        TooManyRequests,
    )
)]
#[post("/api/v1/follow/{token}")]
pub async fn report_form(
    request: HttpRequest,
    path: web::Path<String>,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let token = path.into_inner();
    if crate::api::public::photos::is_multipart(&request) {
        let stale = || stale_form(&request, &state, &token);
        return super::additions::photos(&request, payload, &state, &token, &path_of(&token), stale).await;
    }
    let body = crate::api::body::read_limited(&request, payload, FORM_MAX_BYTES).await?;
    let fields = form_fields(&body);
    let fresh = field(&fields, "form").is_some_and(|form| FormToken::holds(&state, FORM_KIND, &token, form));
    match field(&fields, "action") {
        Some("reopen") if fresh => return reopened(&request, &state, &token, field(&fields, "text")).await,
        Some("remark") if fresh => {
            return super::additions::remark(&request, &state, &token, &path_of(&token), field(&fields, "text")).await;
        }
        _ => {}
    }
    if !fresh || field(&fields, "action") != Some("stop_emails") {
        if followed(&state, token.clone()).await?.is_none() {
            return unknown_link(&request, &state, &token);
        }
        return stale_form(&request, &state, &token);
    }
    let erasing = token.clone();
    let erased = state.db.run(move |conn| crate::storage::retention::erase_by_follow_token(conn, &erasing)).await?;
    let lang = page_lang(&request, Lang::Nl);
    let words = words::of(lang);
    let text = match erased {
        None => return unknown_link(&request, &state, &token),
        Some(Erased::Reporter(id)) => {
            tracing::info!(report_id = %id, "reporter erased their contact details");
            words.stopped_reporter
        }
        Some(Erased::Supporter(id)) => {
            tracing::info!(report_id = %id, "supporter erased their email address");
            words.stopped_supporter
        }
    };
    message(&request, &state, &path_of(&token), StatusCode::OK, words.stopped_title, text, None)
}

/// Asks to reopen (the same request as `POST /api/v1/follow/{token}/reopen`) and answers a
/// page that says what happened or why it cannot.
async fn reopened(
    request: &HttpRequest,
    state: &AppState,
    token: &str,
    text: Option<&str>,
) -> Result<HttpResponse, ApiError> {
    let lang = page_lang(request, Lang::Nl);
    let words = words::of(lang);
    let back = Some((path_of(token), words.back_to_report.to_owned()));
    let (status, title, text) = match reopen(state, token.to_owned(), text).await {
        Ok(()) => (StatusCode::OK, words.reopened_title, words.reopened_text.to_owned()),
        Err(ApiError::NotFound(_)) => return unknown_link(request, state, token),
        Err(ApiError::Forbidden(_)) => {
            (StatusCode::FORBIDDEN, words.reopen_refused_title, words.reopen_only_reporter.to_owned())
        }
        Err(ApiError::Conflict(_)) => {
            (StatusCode::CONFLICT, words.reopen_refused_title, words.reopen_not_resolved.to_owned())
        }
        Err(ApiError::Gone(_)) => (StatusCode::GONE, words.reopen_refused_title, words.reopen_too_late.to_owned()),
        // The one thing the API checks of the form is the text's length; said in the page's words.
        Err(ApiError::Validation(_)) => {
            (StatusCode::UNPROCESSABLE_ENTITY, words.reopen_refused_title, words.reopen_text_too_long.to_owned())
        }
        Err(other) => return Err(other),
    };
    message(request, state, &path_of(token), status, title, &text, back)
}

/// A form whose token is missing or too old: nothing changed; reload.
fn stale_form(request: &HttpRequest, state: &AppState, token: &str) -> Result<HttpResponse, ApiError> {
    let words = words::of(page_lang(request, Lang::Nl));
    let back = Some((path_of(token), words.back_to_report.to_owned()));
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
