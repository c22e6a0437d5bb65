//! The staff accounts page (`/console/config/accounts`): every account with its role (an
//! account made by single sign-on has none, and the page says so), departments, whether it
//! is active and how many API tokens work, and the form that adds one. Adding calls the
//! admin API's own `create_account_from`, so an account is checked exactly as
//! `POST /api/v1/admin/accounts` checks it. Each account's own page is [`super::account`].

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use askama::Template;

use super::super::reasons::{Reason, Reasons};
use super::super::report::Choice;
use super::super::session::ConsoleUser;
use super::super::{ConsoleError, Frame, console_lang, csrf, render, see_other};
use super::admin_only;
use super::people_form::{AccountForm, AccountRow, api_reasons, department_choices, role_choices};
use super::people_words::{self, PeopleWords};
use crate::api::admin::accounts::{account_views, create_account_from, token_views};
use crate::api::error::ApiError;
use crate::api::pages::resident::field;
use crate::api::responses::Unavailable;
use crate::api::state::AppState;

/// The page's address.
pub const PAGE: &str = "/console/config/accounts";

/// Largest form, in bytes.
pub const FORM_MAX_BYTES: usize = 16 * 1024;

/// The accounts page.
#[derive(Template)]
#[template(path = "console/config/accounts.html")]
struct AccountsPage<'a> {
    frame: &'a Frame,
    w: &'static PeopleWords,
    csrf: String,
    notice: Option<&'static str>,
    accounts: Vec<AccountRow>,
    form: AccountForm,
    errors: Reasons,
    roles: Vec<Choice>,
    departments: Vec<Choice>,
}

async fn page(
    request: &HttpRequest,
    state: &AppState,
    user: &ConsoleUser,
    status: StatusCode,
    notice: Option<&'static str>,
    form: AccountForm,
    errors: Reasons,
) -> Result<HttpResponse, ConsoleError> {
    let lang = console_lang(request).0;
    let w = people_words::of(lang);
    let frame = Frame::new(request, PAGE, w.accounts_title, user.frame_user());
    let snapshot = state.config.snapshot();
    let tokens = token_views(state).await?;
    let accounts = account_views(state).await?.iter().map(|a| AccountRow::of(a, &tokens, &snapshot, lang)).collect();
    let body = AccountsPage {
        frame: &frame,
        w,
        csrf: user.form_token.clone(),
        notice,
        accounts,
        departments: department_choices(&snapshot, lang, &form.departments),
        form,
        errors,
        roles: role_choices(lang),
    };
    Ok(render(status, &frame, &body)?)
}

/// The staff accounts and the form for a new one. Admins only.
#[utoipa::path(
    operation_id = "console_config_accounts",
    tag = "console",
    params(
        ("done" = Option<String>, Query, description = "What the last form did, for the message at the top"),
        ("lang" = Option<String>, Query, description = "`nl` (default) or `en`"),
    ),
    responses(
        (status = 200, description = "The accounts page", content_type = "text/html"),
        (status = 303, description = "Not signed in: to the login page"),
        (status = 403, description = "The role is not admin: a page says so", content_type = "text/html"),
        Unavailable,
    )
)]
#[get("/console/config/accounts")]
pub async fn accounts_page(
    request: HttpRequest,
    user: ConsoleUser,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ConsoleError> {
    if let Err(refused) = admin_only(&request, &user) {
        return Ok(*refused);
    }
    let form = AccountForm { active: true, ..AccountForm::default() };
    page(&request, &state, &user, StatusCode::OK, None, form, Reasons::default()).await
}

/// The new account form: `csrf`, `action` (`create`), `email`, `name`, `role`,
/// `departments` (repeated, slugs) and `password` (empty: none). Created: `303` to the
/// account's page.
#[utoipa::path(
    operation_id = "console_config_accounts_action",
    tag = "console",
    request_body(content = String, content_type = "application/x-www-form-urlencoded", description = "`csrf`, `action` (`create`) and the account's fields"),
    responses(
        (status = 303, description = "Created: to the account's page with a message; or not signed in: to the login page"),
        (status = 403, description = "The form token is missing or wrong, the form came from another site, or the role is not admin: a page says so", content_type = "text/html"),
        (status = 409, description = "An account with this email exists: the page with the reason at the field", content_type = "text/html"),
        (status = 413, description = "The form is too large", body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields: the page with the API's reasons next to the fields", content_type = "text/html"),
        Unavailable,
    )
)]
#[post("/console/config/accounts")]
pub async fn accounts_action(
    request: HttpRequest,
    user: ConsoleUser,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ConsoleError> {
    let fields = match csrf::checked_form(&request, &state, &user, payload, FORM_MAX_BYTES).await? {
        Ok(fields) => fields,
        Err(refused) => return Ok(refused),
    };
    if let Err(refused) = admin_only(&request, &user) {
        return Ok(*refused);
    }
    let w = people_words::of(console_lang(&request).0);
    let (form, password) = AccountForm::read(&fields);
    let refused = |status, form, errors| page(&request, &state, &user, status, None, form, errors);
    if field(&fields, "action") != Some("create") {
        return refused(StatusCode::UNPROCESSABLE_ENTITY, form, Reason::ours("", w.unknown_action, w.lang).into())
            .await;
    }
    let input = match form.create(password, w) {
        Ok(input) => input,
        Err(errors) => return refused(StatusCode::UNPROCESSABLE_ENTITY, form, errors).await,
    };
    match create_account_from(&state, input).await {
        Ok(account) => Ok(see_other(&format!("{PAGE}/{}?done=created", account.id))),
        Err(ApiError::Validation(errors)) => refused(StatusCode::UNPROCESSABLE_ENTITY, form, api_reasons(errors)).await,
        Err(ApiError::Conflict(why)) => refused(StatusCode::CONFLICT, form, Reason::api("email", why).into()).await,
        Err(other) => Err(other.into()),
    }
}
