//! One announcement in the console: the new one (`GET`/`POST /console/announcements/new`)
//! and a stored one (`GET`/`POST /console/announcements/{id}`): the form while it is a draft
//! or scheduled, with the email preview (the outbox's renderer) and the reach; publishing,
//! scheduling, withdrawing; the delivery counts and the per-area results once published.
//! Each action calls the staff API's own function and answers a 303 back here with a
//! message, or the page again (`409`, `422`) with the reasons.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use askama::Template;
use uuid::Uuid;

use super::announcer_of;
use super::form::{FormValues, Picker, local_text, parse_local, picker};
use super::words::{self, AnnouncementWords};
use crate::api::error::ApiError;
use crate::api::pages::console::reasons::{Reason, Reasons, refusal_by};
use crate::api::pages::console::session::ConsoleUser;
use crate::api::pages::console::{ConsoleError, Frame, console_lang, csrf, message, see_other};
use crate::api::pages::resident::field;
use crate::api::public::announcements::{QuestionResults, load_results};
use crate::api::responses::Unavailable;
use crate::api::staff::announcement_reach::reach;
use crate::api::staff::announcements::{self as staff, StaffAnnouncementView};
use crate::api::state::AppState;
use crate::domain::report::Language;

/// Largest form, in bytes (a 5000-character text and a polygon, encoded).
const FORM_MAX_BYTES: usize = 256 * 1024;

/// An email as a subscriber would get it: language, subject, text.
pub struct Preview {
    pub language: &'static str,
    pub subject: String,
    pub body: String,
}

/// The announcement page (new or stored).
#[derive(Template)]
#[template(path = "console/announcements/page.html")]
pub struct AnnouncementPage<'a> {
    pub frame: &'a Frame,
    pub aw: &'static AnnouncementWords,
    pub problem_heading: &'static str,
    pub csrf: String,
    pub action: String,
    pub notice: Option<&'static str>,
    /// Why a form was refused (for the form as a whole).
    pub errors: Reasons,
    pub status: String,
    pub status_text: &'static str,
    pub editable: bool,
    pub stored: bool,
    pub facts: Vec<(&'static str, String)>,
    pub values: FormValues,
    pub picker: Picker,
    pub covered: Vec<String>,
    pub previews: Vec<Preview>,
    pub reach: Option<usize>,
    pub schedule_at: String,
    pub deliveries: Vec<(String, String, i64)>,
    pub results: Option<QuestionResults>,
}

/// What the page shows besides the stored announcement.
#[derive(Default)]
struct Extras {
    notice: Option<&'static str>,
    errors: Reasons,
    /// The form as typed (after "update map" or a refused save).
    values: Option<FormValues>,
}

fn area_name(state: &AppState, code: &str) -> String {
    let snapshot = state.config.snapshot();
    snapshot
        .areas
        .areas()
        .iter()
        .find(|a| a.code == code)
        .map_or_else(|| code.to_owned(), |a| format!("{} ({code})", a.name))
}

async fn show(
    request: &HttpRequest,
    state: &AppState,
    user: &ConsoleUser,
    view: Option<StaffAnnouncementView>,
    status: StatusCode,
    extras: Extras,
) -> Result<HttpResponse, ConsoleError> {
    let aw = words::of(console_lang(request).0);
    let w = crate::api::pages::console::words::of(console_lang(request).0);
    let values = extras.values.unwrap_or_else(|| view.as_ref().map(FormValues::from_view).unwrap_or_default());
    let covered_codes = view.as_ref().map(|v| v.covered_areas.clone()).unwrap_or_default();
    let picker = picker(state, &values.areas, &covered_codes, aw.map_title);
    let (path, title) = match &view {
        Some(view) => (format!("/console/announcements/{}", view.id), view.title.clone()),
        None => ("/console/announcements/new".to_owned(), aw.title_new.to_owned()),
    };
    let frame = Frame::new(request, &path, title, user.frame_user()).with_tiles(state);
    let mut page = AnnouncementPage {
        frame: &frame,
        aw,
        problem_heading: w.problem_heading,
        csrf: user.form_token.clone(),
        action: "/console/announcements/new".to_owned(),
        notice: extras.notice,
        errors: extras.errors,
        status: String::new(),
        status_text: aw.draft,
        editable: true,
        stored: false,
        facts: Vec::new(),
        values,
        picker,
        covered: covered_codes.iter().map(|c| area_name(state, c)).collect(),
        previews: Vec::new(),
        reach: None,
        schedule_at: String::new(),
        deliveries: Vec::new(),
        results: None,
    };
    if let Some(view) = view {
        let id = view.id;
        page.action = format!("/console/announcements/{id}");
        page.status_text = aw.status(&view.status);
        page.editable = view.status == "draft" || view.status == "scheduled";
        page.stored = true;
        let times =
            [(aw.scheduled, view.publish_at), (aw.published, view.published_at), (aw.withdrawn, view.withdrawn_at)];
        page.facts = times.into_iter().filter_map(|(label, at)| at.map(|at| (label, local_text(at)))).collect();
        if page.editable {
            let row =
                state.db.run(move |conn| crate::storage::announcements::get(conn, id)).await.map_err(ApiError::from)?;
            if let Some(row) = row {
                page.previews = [(Language::Nl, aw.email_nl), (Language::En, aw.email_en)]
                    .into_iter()
                    .map(|(language, label)| {
                        let (subject, body) =
                            (state.announcement_preview)(&row, language, &state.links, &state.public_url);
                        Preview { language: label, subject, body }
                    })
                    .collect();
            }
            page.reach = Some(reach(state, id).await?.subscriptions);
            page.schedule_at = view.publish_at.map(super::form::local_input).unwrap_or_default();
        } else {
            page.deliveries =
                staff::delivery_counts(state, id).await?.into_iter().map(|d| (d.channel, d.state, d.count)).collect();
            if view.question.is_some() {
                let mut results = load_results(state, id, false).await?;
                for area in &mut results.areas {
                    area.area = area_name(state, &area.area);
                }
                page.results = Some(results);
            }
        }
        page.status = view.status;
    }
    Ok(crate::api::pages::console::render(status, &frame, &page)?)
}

fn not_found(request: &HttpRequest, user: &ConsoleUser) -> Result<HttpResponse, ConsoleError> {
    let w = crate::api::pages::console::words::of(console_lang(request).0);
    Ok(message(request, StatusCode::NOT_FOUND, w.not_found_title, w.not_found_text, user.frame_user())?)
}

/// The errors a person can fix, with the page's status; other errors pass on.
fn fixable(error: ApiError) -> Result<(StatusCode, Reasons), ApiError> {
    refusal_by(error, |_| String::new(), "")
}

/// The form for a new announcement.
#[utoipa::path(
    operation_id = "console_announcement_new",
    tag = "console",
    params(("lang" = Option<String>, Query, description = "`nl` (default) or `en`")),
    responses(
        (status = 200, description = "The empty form", content_type = "text/html"),
        (status = 303, description = "Not signed in: to the login page"),
        (status = 403, description = "The role does not write announcements: a page says so", content_type = "text/html"),
        Unavailable,
    )
)]
#[get("/console/announcements/new")]
pub async fn new_page(
    request: HttpRequest,
    user: ConsoleUser,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ConsoleError> {
    if let Err(refused) = announcer_of(&request, &user) {
        return Ok(*refused);
    }
    show(&request, &state, &user, None, StatusCode::OK, Extras::default()).await
}

/// Saves a new draft (`action=save`, then 303 to its page) or shows the form again with the
/// chosen areas on the map (`action=map`). Fields: `csrf`, `title`, `body`, `tags`
/// (comma-separated), `valid_from` and `valid_until` (`YYYY-MM-DDTHH:MM`, Dutch time),
/// `question`, `options` (one per line), `area` (repeated: wijk or buurt codes), `polygon`
/// (GeoJSON, or `longitude latitude` per line).
#[utoipa::path(
    operation_id = "console_announcement_create",
    tag = "console",
    request_body(content = String, content_type = "application/x-www-form-urlencoded", description = "`csrf`, `action` and the announcement's fields"),
    responses(
        (status = 200, description = "`map`: the form again with the chosen areas on the map", content_type = "text/html"),
        (status = 303, description = "Saved: to the draft's page; or not signed in: to the login page"),
        (status = 403, description = "The form token is missing or wrong, the form came from another site, or the role does not write announcements: a page says so", content_type = "text/html"),
        (status = 413, description = "The form is too large", body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "A field is missing or invalid: the form again with the reasons", content_type = "text/html"),
        Unavailable,
    )
)]
#[post("/console/announcements/new")]
pub async fn new_submit(
    request: HttpRequest,
    user: ConsoleUser,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ConsoleError> {
    let fields = match csrf::checked_form(&request, &state, &user, payload, FORM_MAX_BYTES).await? {
        Ok(fields) => fields,
        Err(refused) => return Ok(refused),
    };
    let identity = match announcer_of(&request, &user) {
        Ok(identity) => identity,
        Err(refused) => return Ok(*refused),
    };
    let aw = words::of(console_lang(&request).0);
    let values = FormValues::from_form(&fields);
    if field(&fields, "action") == Some("map") {
        let extras = Extras { values: Some(values), ..Extras::default() };
        return show(&request, &state, &user, None, StatusCode::OK, extras).await;
    }
    let outcome = match values.request(aw) {
        Ok(input) => staff::create(&state, &input, &identity.actor()).await.map_err(fixable),
        Err(errors) => Err(Ok((StatusCode::UNPROCESSABLE_ENTITY, errors))),
    };
    match outcome {
        Ok(id) => Ok(see_other(&format!("/console/announcements/{id}?done=saved"))),
        Err(Ok((status, errors))) => {
            show(&request, &state, &user, None, status, Extras { errors, values: Some(values), ..Extras::default() })
                .await
        }
        Err(Err(other)) => Err(other.into()),
    }
}

/// One announcement: the form, preview and reach while draft or scheduled; the delivery
/// counts and per-area results once published.
#[utoipa::path(
    operation_id = "console_announcement",
    tag = "console",
    params(
        ("id" = String, Path, description = "Announcement id"),
        ("done" = Option<String>, Query, description = "What the last form did, for the message at the top"),
        ("lang" = Option<String>, Query, description = "`nl` (default) or `en`"),
    ),
    responses(
        (status = 200, description = "The announcement page", content_type = "text/html"),
        (status = 303, description = "Not signed in: to the login page"),
        (status = 403, description = "The role does not write announcements: a page says so", content_type = "text/html"),
        (status = 404, description = "No such announcement: a page says so", content_type = "text/html"),
        Unavailable,
    )
)]
#[get("/console/announcements/{id}")]
pub async fn announcement_page(
    request: HttpRequest,
    user: ConsoleUser,
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ConsoleError> {
    if let Err(refused) = announcer_of(&request, &user) {
        return Ok(*refused);
    }
    let Ok(id) = Uuid::parse_str(&path.into_inner()) else { return not_found(&request, &user) };
    let view = match staff::load_staff_view(&state, id).await {
        Ok(view) => view,
        Err(ApiError::NotFound(_)) => return not_found(&request, &user),
        Err(other) => return Err(other.into()),
    };
    let aw = words::of(console_lang(&request).0);
    let done = url::form_urlencoded::parse(request.query_string().as_bytes()).find(|(key, _)| key == "done").and_then(
        |(_, value)| match value.as_ref() {
            "saved" => Some(aw.done_saved),
            "published" => Some(aw.done_published),
            "scheduled" => Some(aw.done_scheduled),
            "withdrawn" => Some(aw.done_withdrawn),
            _ => None,
        },
    );
    show(&request, &state, &user, Some(view), StatusCode::OK, Extras { notice: done, ..Extras::default() }).await
}

/// The forms of an announcement's page: `csrf` and `action`: `save` (the fields of the new
/// form), `map` (show the chosen areas), `publish`, `schedule` (`at`, Dutch time) or
/// `withdraw`.
#[utoipa::path(
    operation_id = "console_announcement_action",
    tag = "console",
    params(("id" = String, Path, description = "Announcement id")),
    request_body(content = String, content_type = "application/x-www-form-urlencoded", description = "`csrf`, `action` and the action's fields"),
    responses(
        (status = 200, description = "`map`: the form again with the chosen areas on the map", content_type = "text/html"),
        (status = 303, description = "Done: back to the announcement with a message; or not signed in: to the login page"),
        (status = 403, description = "The form token is missing or wrong, the form came from another site, or the role does not write announcements: a page says so", content_type = "text/html"),
        (status = 404, description = "No such announcement: a page says so", content_type = "text/html"),
        (status = 409, description = "Not possible in the announcement's state (e.g. already withdrawn): the page with the reason", content_type = "text/html"),
        (status = 413, description = "The form is too large", body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "A field is missing or invalid: the page with the reasons", content_type = "text/html"),
        Unavailable,
    )
)]
#[post("/console/announcements/{id}")]
pub async fn announcement_action(
    request: HttpRequest,
    user: ConsoleUser,
    path: web::Path<String>,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ConsoleError> {
    let fields = match csrf::checked_form(&request, &state, &user, payload, FORM_MAX_BYTES).await? {
        Ok(fields) => fields,
        Err(refused) => return Ok(refused),
    };
    let identity = match announcer_of(&request, &user) {
        Ok(identity) => identity,
        Err(refused) => return Ok(*refused),
    };
    let Ok(id) = Uuid::parse_str(&path.into_inner()) else { return not_found(&request, &user) };
    let view = match staff::load_staff_view(&state, id).await {
        Ok(view) => view,
        Err(ApiError::NotFound(_)) => return not_found(&request, &user),
        Err(other) => return Err(other.into()),
    };
    let aw = words::of(console_lang(&request).0);
    let back = |done: &str| see_other(&format!("/console/announcements/{id}?done={done}"));
    let values = FormValues::from_form(&fields);
    let outcome: Result<HttpResponse, Result<(StatusCode, Reasons), ApiError>> =
        match field(&fields, "action").unwrap_or_default() {
            "map" => {
                let extras = Extras { values: Some(values), ..Extras::default() };
                return show(&request, &state, &user, Some(view), StatusCode::OK, extras).await;
            }
            "save" => match values.request(aw) {
                Ok(input) => staff::update(&state, id, input).await.map(|()| back("saved")).map_err(fixable),
                Err(errors) => Err(Ok((StatusCode::UNPROCESSABLE_ENTITY, errors))),
            },
            "publish" => {
                staff::publish(&state, id, None, &identity.actor()).await.map(|_| back("published")).map_err(fixable)
            }
            "schedule" => match parse_local(field(&fields, "at").unwrap_or_default()) {
                Ok(Some(at)) => staff::publish(&state, id, Some(at), &identity.actor())
                    .await
                    .map(|change| back(&change.status))
                    .map_err(fixable),
                _ => Err(Ok((StatusCode::UNPROCESSABLE_ENTITY, Reason::ours("", aw.bad_time, aw.lang).into()))),
            },
            "withdraw" => staff::withdraw(&state, id).await.map(|_| back("withdrawn")).map_err(fixable),
            _ => Err(Ok((StatusCode::UNPROCESSABLE_ENTITY, Reason::ours("", aw.unknown_action, aw.lang).into()))),
        };
    match outcome {
        Ok(answer) => Ok(answer),
        Err(Ok((status, errors))) => {
            // A refused save keeps what was typed; other refusals show the stored version.
            let typed = (field(&fields, "action") == Some("save")).then_some(values);
            let view = staff::load_staff_view(&state, id).await?;
            show(&request, &state, &user, Some(view), status, Extras { errors, values: typed, ..Extras::default() })
                .await
        }
        Err(Err(ApiError::NotFound(_))) => not_found(&request, &user),
        Err(Err(other)) => Err(other.into()),
    }
}
