//! The areas page (`/console/config/areas`): the area import log and the form that
//! uploads a new CBS boundary file. The upload calls the admin API's own functions
//! (`import_target`, `import_area_file` in `crate::api::admin::areas`), so a file is checked
//! and stored exactly as `POST /api/v1/admin/areas/import` does it, all or nothing.
//!
//! The form is `multipart/form-data` with the parts `csrf`, `level`, `year` and `file`, in
//! that order (browsers send the fields in document order): a form without the session's
//! token is refused before the file is read.

use std::collections::HashMap;

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use askama::Template;

use super::super::reasons::{Reason, Reasons};
use super::super::session::ConsoleUser;
use super::super::{ConsoleError, Frame, console_lang, csrf, render};
use super::admin_only;
use super::people_form::api_reasons;
use super::people_words::{self, PeopleWords};
use crate::api::admin::accounts::{AccountView, account_views};
use crate::api::admin::areas::{ImportOrigin, ImportResult, import_area_file, import_log, import_target};
use crate::api::body::json_from_bytes;
use crate::api::error::ApiError;
use crate::api::pages::console::announcements::form::local_text;
use crate::api::responses::Unavailable;
use crate::api::state::AppState;

/// The page's address.
const PAGE: &str = "/console/config/areas";

/// The longest text part (`csrf`, `level`, `year`), in bytes.
const TEXT_PART_MAX: usize = 512;

/// The longest file name kept in the log.
const FILE_NAME_MAX: usize = 120;

/// The upload form as it is posted.
#[derive(utoipa::ToSchema)]
pub struct AreaUpload {
    /// The session's form token (first).
    pub csrf: String,
    /// `gemeente`, `wijk` or `buurt`.
    pub level: String,
    /// The boundary year, e.g. 2025.
    pub year: String,
    /// The GeoJSON FeatureCollection (last).
    #[schema(value_type = String, format = Binary)]
    pub file: Vec<u8>,
}

/// One past import.
struct LogRow {
    when: String,
    level: String,
    year: i32,
    features: i32,
    source: String,
    /// Who imported, in words.
    by: String,
}

/// What was imported, in words.
struct Outcome {
    level: String,
    year: i32,
    imported: usize,
    replaced: usize,
}

/// The areas page.
#[derive(Template)]
#[template(path = "console/config/areas.html")]
struct AreasPage<'a> {
    frame: &'a Frame,
    w: &'static PeopleWords,
    csrf: String,
    log: Vec<LogRow>,
    level: String,
    year: String,
    levels: Vec<(&'static str, &'static str)>,
    max_kb: usize,
    errors: Reasons,
    outcome: Option<Outcome>,
}

/// Who imported, in words: an account by its name, else what `imported_by` names.
fn importer(by: &str, accounts: &[AccountView], w: &PeopleWords) -> String {
    if let Some(id) = by.strip_prefix("staff:") {
        return accounts
            .iter()
            .find(|a| a.id.to_string() == id)
            .map_or_else(|| w.by_unknown.to_owned(), |a| a.name.clone());
    }
    match by {
        "admin" => w.by_admin_token,
        "cli" => w.by_command,
        "seed" => w.by_seed,
        _ => w.by_unknown,
    }
    .to_owned()
}

async fn page(
    request: &HttpRequest,
    state: &AppState,
    user: &ConsoleUser,
    status: StatusCode,
    form: &HashMap<String, String>,
    errors: Reasons,
    result: Option<ImportResult>,
) -> Result<HttpResponse, ConsoleError> {
    let w = people_words::of(console_lang(request).0);
    let frame = Frame::new(request, PAGE, w.areas_title, user.frame_user());
    let accounts = account_views(state).await?;
    let log = import_log(state)
        .await?
        .into_iter()
        .map(|e| LogRow {
            when: local_text(e.imported_at),
            level: w.level_name(&e.level).to_owned(),
            year: e.year,
            features: e.features,
            by: importer(&e.imported_by, &accounts, w),
            source: e.source,
        })
        .collect();
    let text = |name: &str| form.get(name).cloned().unwrap_or_default();
    let body = AreasPage {
        frame: &frame,
        w,
        csrf: user.form_token.clone(),
        log,
        level: text("level"),
        year: text("year"),
        levels: ["gemeente", "wijk", "buurt"].into_iter().map(|l| (l, w.level_name(l))).collect(),
        max_kb: state.max_import_bytes.div_ceil(1024),
        errors,
        outcome: result.map(|r| Outcome {
            level: w.level_name(r.level.as_str()).to_owned(),
            year: r.year,
            imported: r.imported,
            replaced: r.replaced,
        }),
    };
    Ok(render(status, &frame, &body)?)
}

/// The area import log and the upload form. Admins only.
#[utoipa::path(
    operation_id = "console_config_areas",
    tag = "console",
    params(("lang" = Option<String>, Query, description = "`nl` (default) or `en`")),
    responses(
        (status = 200, description = "The areas page", content_type = "text/html"),
        (status = 303, description = "Not signed in: to the login page"),
        (status = 403, description = "The role is not admin: a page says so", content_type = "text/html"),
        Unavailable,
    )
)]
#[get("/console/config/areas")]
pub async fn areas_page(
    request: HttpRequest,
    user: ConsoleUser,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ConsoleError> {
    if let Err(refused) = admin_only(&request, &user) {
        return Ok(*refused);
    }
    page(&request, &state, &user, StatusCode::OK, &HashMap::new(), Reasons::default(), None).await
}

/// What the upload form brought.
enum Upload {
    /// The form token is missing, wrong or after the file; or the form has other parts.
    Stale,
    /// The text fields and the file's name and bytes (empty: no file chosen).
    Form { fields: HashMap<String, String>, name: String, file: web::BytesMut },
}

/// Reads the parts of the upload form; the form token must come before the file.
async fn read(
    request: &HttpRequest,
    payload: web::Payload,
    state: &AppState,
    user: &ConsoleUser,
) -> Result<Upload, ApiError> {
    let mut parts = crate::api::multipart::Parts::new(request, payload);
    let mut fresh = false;
    let mut fields = HashMap::new();
    let mut name = String::new();
    let mut file = web::BytesMut::new();
    while let Some(mut part) = parts.next().await? {
        let part_name = part.name().unwrap_or_default().to_owned();
        let limit = match part_name.as_str() {
            "csrf" => TEXT_PART_MAX,
            "level" | "year" if fresh => TEXT_PART_MAX,
            "file" if fresh => state.max_import_bytes,
            _ => return Ok(Upload::Stale),
        };
        if part_name == "file" {
            name = part.content_disposition().and_then(|d| d.get_filename()).map(file_name).unwrap_or_default();
        }
        let mut bytes = web::BytesMut::new();
        while let Some(chunk) = parts.chunk(&mut part).await? {
            if bytes.len() + chunk.len() > limit {
                if part_name == "file" {
                    return Err(ApiError::PayloadTooLarge(limit));
                }
                return Ok(Upload::Stale);
            }
            bytes.extend_from_slice(&chunk);
        }
        let text = String::from_utf8_lossy(&bytes).trim().to_owned();
        match part_name.as_str() {
            "csrf" => fresh = csrf::holds(state, &user.identity, Some(&text)),
            "file" => file = bytes,
            _ => {
                fields.insert(part_name, text);
            }
        }
    }
    Ok(if fresh { Upload::Form { fields, name, file } } else { Upload::Stale })
}

/// The uploaded file's name for the log: its last path segment, without control
/// characters, shortened.
fn file_name(given: &str) -> String {
    let last = given.rsplit(['/', '\\']).next().unwrap_or_default();
    last.chars().filter(|c| !c.is_control()).take(FILE_NAME_MAX).collect()
}

/// The upload form: `multipart/form-data` with the parts `csrf`, `level`, `year` and
/// `file`, in that order. Answers the page with what was imported, or with the file's
/// problems (the API's reasons, naming the feature).
#[utoipa::path(
    operation_id = "console_config_areas_import",
    tag = "console",
    request_body(content = AreaUpload, content_type = "multipart/form-data", description = "The parts `csrf`, `level`, `year` and `file`, in that order"),
    responses(
        (status = 200, description = "Imported: the page with the result and the log", content_type = "text/html"),
        (status = 303, description = "Not signed in: to the login page"),
        (status = 400, description = "The form cannot be read: a page says so", content_type = "text/html"),
        (status = 403, description = "The form token is missing, wrong or after the file, the form came from another site, or the role is not admin: a page says so", content_type = "text/html"),
        (status = 409, description = "The areas do not fit the registry (e.g. a buurt whose wijk is unknown): the page with the reason", content_type = "text/html"),
        (status = 413, description = "The file is larger than max_import_bytes: the page with the limit", content_type = "text/html"),
        (status = 422, description = "A bad level or year, no file, or not a valid area file: the page with the reasons next to the fields", content_type = "text/html"),
        Unavailable,
    )
)]
#[post("/console/config/areas")]
pub async fn areas_import(
    request: HttpRequest,
    user: ConsoleUser,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ConsoleError> {
    if let Err(refused) = admin_only(&request, &user) {
        return Ok(*refused);
    }
    if !csrf::same_origin(&request, &state) {
        return csrf::refused(&request, &user);
    }
    let w = people_words::of(console_lang(&request).0);
    let none = HashMap::new();
    let refused = |status, form, errors| page(&request, &state, &user, status, form, errors, None);
    let (fields, name, file) = match read(&request, payload, &state, &user).await {
        Ok(Upload::Form { fields, name, file }) => (fields, name, file),
        Ok(Upload::Stale) => return csrf::refused(&request, &user),
        Err(ApiError::PayloadTooLarge(limit)) => {
            let reason = format!("{} {} kB", w.file_too_large, limit.div_ceil(1024));
            return refused(StatusCode::PAYLOAD_TOO_LARGE, &none, Reason::ours("file", reason, w.lang).into()).await;
        }
        Err(ApiError::MalformedBody(_)) => {
            return refused(StatusCode::BAD_REQUEST, &none, Reason::ours("", w.form_unreadable, w.lang).into()).await;
        }
        Err(other) => return Err(other.into()),
    };
    let (level, year) = match import_target(&fields) {
        Ok(target) => target,
        Err(ApiError::Validation(errors)) => {
            return refused(StatusCode::UNPROCESSABLE_ENTITY, &fields, api_reasons(errors)).await;
        }
        Err(other) => return Err(other.into()),
    };
    if file.is_empty() {
        return refused(StatusCode::UNPROCESSABLE_ENTITY, &fields, Reason::ours("file", w.no_file, w.lang).into())
            .await;
    }
    let document = match json_from_bytes(&file, "file") {
        Ok(body) => body.value,
        Err(ApiError::MalformedBody(why)) => {
            return refused(StatusCode::UNPROCESSABLE_ENTITY, &fields, Reason::api("file", why).into()).await;
        }
        Err(other) => return Err(other.into()),
    };
    let source = if name.is_empty() { "console".to_owned() } else { format!("console: {name}") };
    let origin = ImportOrigin { source, by: format!("staff:{}", user.identity.account_id) };
    match import_area_file(state.clone().into_inner(), level, year, document, origin).await {
        Ok(result) => page(&request, &state, &user, StatusCode::OK, &fields, Reasons::default(), Some(result)).await,
        Err(ApiError::Validation(errors)) => {
            // The file's problems name the feature; they belong to the file field.
            let errors = Reasons::from_api(errors, |_| "file".to_owned());
            refused(StatusCode::UNPROCESSABLE_ENTITY, &fields, errors).await
        }
        Err(ApiError::Conflict(why)) => refused(StatusCode::CONFLICT, &fields, Reason::api("file", why).into()).await,
        Err(other) => Err(other.into()),
    }
}
