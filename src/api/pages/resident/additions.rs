//! The report page's forms to add a remark or photos. They call the same functions as the
//! JSON API (`POST /api/v1/follow/{token}/remarks` and `…/photos`) and answer a page that
//! says what happened, in the page's language.
//!
//! The photo form is `multipart/form-data` with the parts `form` (the form token), `action`
//! (`photo`) and one or more `photo` files, in that order, as browsers send the form's
//! fields in document order: the form token is checked before a photo is read.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use bytes::Bytes;

use super::words::{self, Words};
use super::{FormToken, Lang, message, page_lang};
use crate::api::error::ApiError;
use crate::api::public::additions::{add_photos, add_remark};
use crate::api::state::AppState;

/// The longest text part (`form`, `action`) of the photo form, in bytes.
const TEXT_PART_MAX: usize = 512;

/// Adds the remark of the page's form and answers a page that says what happened.
pub(super) async fn remark(
    request: &HttpRequest,
    state: &AppState,
    token: &str,
    path: &str,
    text: Option<&str>,
) -> Result<HttpResponse, ApiError> {
    let words = words::of(page_lang(request, Lang::Nl));
    match add_remark(state, token.to_owned(), text.unwrap_or_default()).await {
        Ok(()) => done(request, state, path, words.remark_added_title, words.remark_added_text),
        Err(ApiError::Validation(_)) => {
            refused(request, state, path, StatusCode::UNPROCESSABLE_ENTITY, words.remark_invalid)
        }
        Err(error) => refusal(request, state, path, error, words),
    }
}

/// The photo form of the report page, as it is posted.
#[derive(utoipa::ToSchema)]
pub struct PhotoFormUpload {
    /// The form token of the page.
    pub form: String,
    /// `photo`.
    pub action: String,
    /// The photo files (JPEG, PNG or WebP), repeated.
    #[schema(value_type = Vec<String>, format = Binary)]
    pub photo: Vec<Vec<u8>>,
}

/// What the photo form brought: whether its form token holds, and its photos.
enum PhotoForm {
    /// The form token is missing, old, or another link's; or the form has other fields.
    Stale,
    /// The photos, in order (empty when none was chosen).
    Photos(Vec<Bytes>),
}

/// Reads the photo form and adds its photos; answers a page that says what happened.
/// `stale` answers a form whose token does not hold.
pub(super) async fn photos(
    request: &HttpRequest,
    payload: web::Payload,
    state: &AppState,
    token: &str,
    path: &str,
    stale: impl FnOnce() -> Result<HttpResponse, ApiError>,
) -> Result<HttpResponse, ApiError> {
    let words = words::of(page_lang(request, Lang::Nl));
    let form = match read(request, payload, state, token).await {
        Ok(form) => form,
        Err(error) => return refusal(request, state, path, error, words),
    };
    let uploads = match form {
        PhotoForm::Stale => return stale(),
        PhotoForm::Photos(uploads) if uploads.is_empty() => {
            return refused(request, state, path, StatusCode::BAD_REQUEST, words.photo_missing);
        }
        PhotoForm::Photos(uploads) => uploads,
    };
    match add_photos(state, token.to_owned(), uploads).await {
        Ok(_) => done(request, state, path, words.photos_added_title, words.photos_added_text),
        Err(error) => refusal(request, state, path, error, words),
    }
}

/// Reads the parts of the photo form; the form token must come before any photo.
async fn read(
    request: &HttpRequest,
    payload: web::Payload,
    state: &AppState,
    token: &str,
) -> Result<PhotoForm, ApiError> {
    let mut parts = crate::api::multipart::Parts::new(request, payload);
    let mut fresh = false;
    let mut photos = Vec::new();
    while let Some(mut field) = parts.next().await? {
        let name = field.name().unwrap_or_default().to_owned();
        let limit = match name.as_str() {
            "form" | "action" => TEXT_PART_MAX,
            "photo" if fresh => state.photos.max_bytes,
            _ => return Ok(PhotoForm::Stale),
        };
        let mut bytes = web::BytesMut::new();
        while let Some(chunk) = parts.chunk(&mut field).await? {
            if bytes.len() + chunk.len() > limit {
                if name == "photo" {
                    return Err(ApiError::PayloadTooLarge(limit));
                }
                return Ok(PhotoForm::Stale);
            }
            bytes.extend_from_slice(&chunk);
        }
        let text = || std::str::from_utf8(&bytes).unwrap_or_default();
        match name.as_str() {
            "form" => fresh = FormToken::holds(state, super::report::FORM_KIND, token, text()),
            "action" if text() != "photo" => return Ok(PhotoForm::Stale),
            "action" => {}
            // A file input left empty sends an empty part.
            _ if bytes.is_empty() => {}
            _ => {
                if photos.len() >= state.photos.max_count {
                    return Err(ApiError::Conflict("too many photos".into()));
                }
                photos.push(bytes.freeze());
            }
        }
    }
    Ok(if fresh { PhotoForm::Photos(photos) } else { PhotoForm::Stale })
}

/// The page of an addition that was stored, with a link back to the report.
fn done(
    request: &HttpRequest,
    state: &AppState,
    path: &str,
    title: &str,
    text: &str,
) -> Result<HttpResponse, ApiError> {
    let words = words::of(page_lang(request, Lang::Nl));
    let back = Some((back_href(request, path), words.back_to_report.to_owned()));
    message(request, state, path, StatusCode::OK, title, text, back)
}

/// The page of an addition that was refused for `text`.
fn refused(
    request: &HttpRequest,
    state: &AppState,
    path: &str,
    status: StatusCode,
    text: &str,
) -> Result<HttpResponse, ApiError> {
    let words = words::of(page_lang(request, Lang::Nl));
    let back = Some((back_href(request, path), words.back_to_report.to_owned()));
    message(request, state, path, status, words.add_refused_title, text, back)
}

/// The page for an error of the JSON API's functions: what it means for the resident.
fn refusal(
    request: &HttpRequest,
    state: &AppState,
    path: &str,
    error: ApiError,
    words: &Words,
) -> Result<HttpResponse, ApiError> {
    let (status, text) = match error {
        ApiError::NotFound(_) => {
            let back = None;
            return message(
                request,
                state,
                path,
                StatusCode::NOT_FOUND,
                words.unknown_link_title,
                words.unknown_follow_text,
                back,
            );
        }
        ApiError::Forbidden(_) => (StatusCode::FORBIDDEN, words.add_only_reporter),
        ApiError::Conflict(_) => (StatusCode::CONFLICT, words.add_closed_or_full),
        ApiError::PayloadTooLarge(_) => (StatusCode::PAYLOAD_TOO_LARGE, words.photo_too_large),
        ApiError::UnsupportedMediaType(_) => (StatusCode::UNSUPPORTED_MEDIA_TYPE, words.photo_wrong_type),
        ApiError::Validation(_) => (StatusCode::UNPROCESSABLE_ENTITY, words.photo_unreadable),
        ApiError::MalformedBody(_) => (StatusCode::BAD_REQUEST, words.photo_missing),
        other => return Err(other),
    };
    refused(request, state, path, status, text)
}

/// The report page's address in the page's language.
fn back_href(request: &HttpRequest, path: &str) -> String {
    format!("{path}?lang={}", page_lang(request, Lang::Nl).tag())
}
