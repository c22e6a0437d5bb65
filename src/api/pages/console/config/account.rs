//! One staff account's page (`/console/config/accounts/{id}`): its facts, the form that
//! changes its name, role, departments, password and whether it is active, and its API
//! tokens: the list (never a token itself), revoking one, and creating one, whose answer is
//! the only page that ever shows the token (with `Cache-Control: no-store`, never in an
//! address). Each form calls the admin API's own function (`update_account_from`,
//! `create_token_for`, `remove_token` in `crate::api::admin::accounts`).

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use askama::Template;
use uuid::Uuid;

use super::super::reasons::{Reason, Reasons};
use super::super::report::Choice;
use super::super::session::ConsoleUser;
use super::super::{ConsoleError, Frame, console_lang, csrf, message, render, see_other};
use super::accounts::{FORM_MAX_BYTES, PAGE};
use super::admin_only;
use super::catalogue::done;
use super::people_form::{
    AccountForm, AccountRow, TokenForm, TokenRow, api_reasons, department_choices, role_choices, token_rows,
};
use super::people_words::{self, PeopleWords};
use crate::api::admin::accounts::{
    AccountView, CreatedToken, account_views, create_token_for, remove_token, token_views, update_account_from,
};
use crate::api::error::ApiError;
use crate::api::pages::console::announcements::form::local_text;
use crate::api::pages::resident::field;
use crate::api::responses::Unavailable;
use crate::api::state::AppState;

/// A token just created, shown this once.
struct NewToken {
    token: String,
    expires: Option<String>,
}

/// An account's page.
#[derive(Template)]
#[template(path = "console/config/account.html")]
struct AccountPage<'a> {
    frame: &'a Frame,
    w: &'static PeopleWords,
    csrf: String,
    address: String,
    notice: Option<&'static str>,
    account: AccountRow,
    form: AccountForm,
    errors: Reasons,
    roles: Vec<Choice>,
    departments: Vec<Choice>,
    tokens: Vec<TokenRow>,
    token_form: TokenForm,
    new_token: Option<NewToken>,
}

/// What the page shows besides the account.
struct Shown {
    status: StatusCode,
    notice: Option<&'static str>,
    /// The change form as typed (`None`: as the account is).
    form: Option<AccountForm>,
    token_form: TokenForm,
    errors: Reasons,
    new_token: Option<CreatedToken>,
}

impl Shown {
    fn plain(status: StatusCode, notice: Option<&'static str>) -> Self {
        Shown {
            status,
            notice,
            form: None,
            token_form: TokenForm::default(),
            errors: Reasons::default(),
            new_token: None,
        }
    }

    fn refused(status: StatusCode, form: Option<AccountForm>, token_form: TokenForm, errors: Reasons) -> Self {
        Shown { status, notice: None, form, token_form, errors, new_token: None }
    }
}

/// The account with `id`, if there is one.
async fn find(state: &AppState, id: Uuid) -> Result<Option<AccountView>, ApiError> {
    Ok(account_views(state).await?.into_iter().find(|a| a.id == id))
}

/// The 404 page of an account that does not exist.
fn gone(request: &HttpRequest, user: &ConsoleUser) -> Result<HttpResponse, ConsoleError> {
    let w = people_words::of(console_lang(request).0);
    Ok(message(request, StatusCode::NOT_FOUND, w.account_gone_title, w.account_gone_text, user.frame_user())?)
}

async fn page(
    request: &HttpRequest,
    state: &AppState,
    user: &ConsoleUser,
    id: Uuid,
    shown: Shown,
) -> Result<HttpResponse, ConsoleError> {
    let Some(account) = find(state, id).await? else {
        return gone(request, user);
    };
    let lang = console_lang(request).0;
    let w = people_words::of(lang);
    let address = format!("{PAGE}/{id}");
    let frame = Frame::new(request, &address, format!("{}: {}", w.accounts_title, account.email), user.frame_user());
    let snapshot = state.config.snapshot();
    let tokens = token_views(state).await?;
    let form = shown.form.unwrap_or_else(|| AccountForm::of(&account));
    let body = AccountPage {
        frame: &frame,
        w,
        csrf: user.form_token.clone(),
        address,
        notice: shown.notice,
        account: AccountRow::of(&account, &tokens, &snapshot, lang),
        departments: department_choices(&snapshot, lang, &account.departments),
        form,
        errors: shown.errors,
        roles: role_choices(lang),
        tokens: token_rows(&tokens, id, w),
        token_form: shown.token_form,
        new_token: shown.new_token.map(|t| NewToken { token: t.token, expires: t.expires_at.map(local_text) }),
    };
    Ok(render(shown.status, &frame, &body)?)
}

/// One account: its facts, the change form and its API tokens. Admins only.
#[utoipa::path(
    operation_id = "console_config_account",
    tag = "console",
    params(
        ("id" = uuid::Uuid, Path, description = "Account id"),
        ("done" = Option<String>, Query, description = "What the last form did, for the message at the top"),
        ("lang" = Option<String>, Query, description = "`nl` (default) or `en`"),
    ),
    responses(
        (status = 200, description = "The account's page", content_type = "text/html"),
        (status = 303, description = "Not signed in: to the login page"),
        (status = 403, description = "The role is not admin: a page says so", content_type = "text/html"),
        (status = 404, description = "No such account: a page says so", content_type = "text/html"),
        Unavailable,
    )
)]
#[get("/console/config/accounts/{id}")]
pub async fn account_page(
    request: HttpRequest,
    user: ConsoleUser,
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ConsoleError> {
    if let Err(refused) = admin_only(&request, &user) {
        return Ok(*refused);
    }
    let Ok(id) = Uuid::parse_str(&path.into_inner()) else {
        return gone(&request, &user);
    };
    let w = people_words::of(console_lang(&request).0);
    let notice = match done(&request).as_deref() {
        Some("created") => Some(w.done_created),
        Some("saved") => Some(w.done_saved),
        Some("revoked") => Some(w.done_revoked),
        Some("token-gone") => Some(w.token_gone),
        _ => None,
    };
    page(&request, &state, &user, id, Shown::plain(StatusCode::OK, notice)).await
}

/// The forms of an account's page: `csrf` and `action`: `update` (`name`, `role`,
/// `departments` repeated, `active`, `password`: empty keeps it), `token` (`label`,
/// `expires_in_days`: empty never expires) or `revoke` (`token`, the token's id).
#[utoipa::path(
    operation_id = "console_config_account_action",
    tag = "console",
    params(("id" = uuid::Uuid, Path, description = "Account id")),
    request_body(content = String, content_type = "application/x-www-form-urlencoded", description = "`csrf`, `action` and the action's fields"),
    responses(
        (status = 200, description = "`token`: the page with the new token, shown only this once", content_type = "text/html"),
        (status = 303, description = "Changed or revoked: back to the account's page with a message; or not signed in: to the login page"),
        (status = 403, description = "The form token is missing or wrong, the form came from another site, or the role is not admin: a page says so", content_type = "text/html"),
        (status = 404, description = "No such account: a page says so", content_type = "text/html"),
        (status = 409, description = "The change would leave no active admin: the page with the reason", content_type = "text/html"),
        (status = 413, description = "The form is too large", body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields: the page with the API's reasons next to the fields", content_type = "text/html"),
        Unavailable,
    )
)]
#[post("/console/config/accounts/{id}")]
pub async fn account_action(
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
    if let Err(refused) = admin_only(&request, &user) {
        return Ok(*refused);
    }
    let Ok(id) = Uuid::parse_str(&path.into_inner()) else {
        return gone(&request, &user);
    };
    let w = people_words::of(console_lang(&request).0);
    let back =
        |done: &str| -> Result<HttpResponse, ConsoleError> { Ok(see_other(&format!("{PAGE}/{id}?done={done}"))) };
    let show = |shown| page(&request, &state, &user, id, shown);
    match field(&fields, "action").unwrap_or_default() {
        "update" => {
            let (form, password) = AccountForm::read(&fields);
            let refused = |status, errors| Shown::refused(status, Some(form.clone()), TokenForm::default(), errors);
            let input = match form.update(password, w) {
                Ok(input) => input,
                Err(errors) => return show(refused(StatusCode::UNPROCESSABLE_ENTITY, errors)).await,
            };
            match update_account_from(&state, id, input).await {
                Ok(_) => back("saved"),
                Err(ApiError::Validation(errors)) => {
                    show(refused(StatusCode::UNPROCESSABLE_ENTITY, api_reasons(errors))).await
                }
                Err(ApiError::Conflict(why)) => show(refused(StatusCode::CONFLICT, Reason::api("", why).into())).await,
                Err(ApiError::NotFound(_)) => gone(&request, &user),
                Err(other) => Err(other.into()),
            }
        }
        "token" => {
            let form = TokenForm::read(&fields);
            let refused = |errors| Shown::refused(StatusCode::UNPROCESSABLE_ENTITY, None, form.clone(), errors);
            let input = match form.spec(w) {
                Ok(input) => input,
                Err(errors) => return show(refused(errors)).await,
            };
            match create_token_for(&state, id, input).await {
                Ok(created) => {
                    tracing::info!(account_id = %id, token_id = %created.id, "API token created in the console");
                    let shown = Shown { new_token: Some(created), ..Shown::plain(StatusCode::OK, None) };
                    show(shown).await
                }
                Err(ApiError::Validation(errors)) => show(refused(api_reasons(errors))).await,
                Err(ApiError::NotFound(_)) => gone(&request, &user),
                Err(other) => Err(other.into()),
            }
        }
        "revoke" => {
            let Some(token) = field(&fields, "token").and_then(|v| Uuid::parse_str(v.trim()).ok()) else {
                return back("token-gone");
            };
            match remove_token(&state, token).await {
                Ok(()) => back("revoked"),
                Err(ApiError::NotFound(_)) => back("token-gone"),
                Err(other) => Err(other.into()),
            }
        }
        _ => {
            let errors = Reason::ours("", w.unknown_action, w.lang).into();
            show(Shown::refused(StatusCode::UNPROCESSABLE_ENTITY, None, TokenForm::default(), errors)).await
        }
    }
}
