//! What the departments and categories pages share: reading a posted form behind the
//! console's form protection and the admin check, the `?done=` notice, and the 404 page.
//! Their reasons are the console's [`super::super::reasons`].

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};

use super::super::session::ConsoleUser;
use super::super::{ConsoleError, console_lang, csrf, message};
use super::admin_only;
use super::catalogue_words::{self, CatalogueWords};
use crate::api::state::AppState;

/// Largest form, in bytes (a category with many questions and their choices).
const FORM_MAX_BYTES: usize = 128 * 1024;

/// The page's words.
pub fn words_of(request: &HttpRequest) -> &'static CatalogueWords {
    catalogue_words::of(console_lang(request).0)
}

/// The posted form's fields once its token and origin (the console's
/// [`csrf::checked_form`]) and the admin role are checked; else the 403 page to answer.
pub async fn checked_form(
    request: &HttpRequest,
    state: &AppState,
    user: &ConsoleUser,
    payload: web::Payload,
) -> Result<Result<Vec<(String, String)>, HttpResponse>, ConsoleError> {
    let fields = match csrf::checked_form(request, state, user, payload, FORM_MAX_BYTES).await? {
        Ok(fields) => fields,
        Err(refused) => return Ok(Err(refused)),
    };
    if let Err(refused) = admin_only(request, user) {
        return Ok(Err(*refused));
    }
    Ok(Ok(fields))
}

/// The `done` of the query (what the last form did).
pub fn done(request: &HttpRequest) -> Option<String> {
    super::super::query_value(request, "done")
}

/// The 404 page for a department or category that does not exist.
pub fn not_found(request: &HttpRequest, user: &ConsoleUser, text: &str) -> Result<HttpResponse, ConsoleError> {
    let title = words_of(request).not_found_title;
    Ok(message(request, StatusCode::NOT_FOUND, title, text, user.frame_user())?)
}
