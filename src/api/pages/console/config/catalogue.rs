//! What the departments and categories pages share: reading a posted form behind the
//! console's form protection and the admin check, the reasons by field for the templates,
//! the `?done=` notice, and the 404 page.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};

use super::super::session::ConsoleUser;
use super::super::{ConsoleError, console_lang, csrf, message};
use super::admin_only;
use super::catalogue_words::{self, CatalogueWords};
use crate::api::error::ApiError;
use crate::api::state::AppState;
use crate::domain::validation::FieldError;

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
    url::form_urlencoded::parse(request.query_string().as_bytes())
        .find(|(key, _)| key == "done")
        .map(|(_, value)| value.into_owned())
}

/// The 404 page for a department or category that does not exist.
pub fn not_found(request: &HttpRequest, user: &ConsoleUser, text: &str) -> Result<HttpResponse, ConsoleError> {
    let title = words_of(request).not_found_title;
    Ok(message(request, StatusCode::NOT_FOUND, title, text, user.frame_user())?)
}

/// The reasons a form is refused, by field name (`""`: the form as a whole).
#[derive(Debug, Default, Clone)]
pub struct Reasons(pub Vec<(String, String)>);

impl Reasons {
    /// The reasons for field `name`, one sentence each.
    pub fn of(&self, name: &str) -> Vec<&str> {
        self.0.iter().filter(|(f, _)| f == name).map(|(_, e)| e.as_str()).collect()
    }

    /// `aria-describedby` of field `name`: its hint (when `hint`) and its reasons, if any.
    pub fn described(&self, name: &str, hint: bool) -> String {
        let mut ids = Vec::new();
        if hint {
            ids.push(format!("{name}-hint"));
        }
        if self.0.iter().any(|(f, _)| f == name) {
            ids.push(format!("{name}-error"));
        }
        ids.join(" ")
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Every reason: (field, text).
    pub fn all(&self) -> &[(String, String)] {
        &self.0
    }
}

/// The API's reasons by form field: each reason's JSON pointer, first segment, is the
/// field's name (`/name_nl` → `name_nl`); `known` lists the fields the form has, anything
/// else goes to the form as a whole.
pub fn by_field(errors: Vec<FieldError>, known: &[&str]) -> Reasons {
    Reasons(
        errors
            .into_iter()
            .map(|e| {
                let first = e.pointer.trim_start_matches('/').split('/').next().unwrap_or_default();
                let field = if known.contains(&first) { first } else { "" };
                (field.to_owned(), e.detail)
            })
            .collect(),
    )
}

/// What a refused save answers: the status and the reasons (422 for fields, 409 for a
/// conflict at `conflict_field`); any other error is passed on.
pub fn refusal(error: ApiError, known: &[&str], conflict_field: &str) -> Result<(StatusCode, Reasons), ApiError> {
    match error {
        ApiError::Validation(errors) => Ok((StatusCode::UNPROCESSABLE_ENTITY, by_field(errors, known))),
        ApiError::Conflict(detail) => Ok((StatusCode::CONFLICT, Reasons(vec![(conflict_field.to_owned(), detail)]))),
        other => Err(other),
    }
}
