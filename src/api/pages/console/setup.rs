//! `/console/setup`: the first admin of a new installation, made in the browser. While no
//! active admin exists, the server logs a setup code at start (`domain::auth::setup_code`,
//! derived from the deployment's signing key, so every process names the same one); whoever
//! can read the server's log types it here with the admin's email, name and password. The
//! account is made by the admin API's own `create_account_from`, and the new admin is
//! logged in. Once an active admin exists the page is gone (404), and the code with it.
//! Wrong codes count as failed logins (the login's back-off), so guessing is slow.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use askama::Template;

use super::reasons::{Reason, Reasons, by_field};
use super::session::session_cookie;
use super::{Frame, Lang, console_lang, csrf, message, render, see_other};
use crate::api::admin::accounts::{CreateAccount, create_account_from};
use crate::api::error::ApiError;
use crate::api::limits::ClientAddress;
use crate::api::pages::resident::{field, form_fields};
use crate::api::responses::Unavailable;
use crate::api::staff::auth::password_login;
use crate::api::state::AppState;
use crate::domain::auth::{Role, same_setup_code, setup_code};

/// Largest setup form, in bytes.
const FORM_MAX_BYTES: usize = 8 * 1024;

/// The key the setup's wrong codes are counted under, as failed logins are per account.
const LIMIT_KEY: &str = "console-setup";

/// The page's fixed words.
pub struct SetupWords {
    pub title: &'static str,
    pub intro: &'static str,
    pub code: &'static str,
    pub code_hint: &'static str,
    pub name: &'static str,
    pub email: &'static str,
    pub password: &'static str,
    pub password_hint: &'static str,
    pub sso_hint: &'static str,
    pub button: &'static str,
    pub problems: &'static str,
    pub wrong_code: &'static str,
    pub wait: &'static str,
    pub done_title: &'static str,
    pub done_text: &'static str,
}

const NL: SetupWords = SetupWords {
    title: "meldpunt inrichten",
    intro: "Er is nog geen beheerder. Maak hier het eerste beheerdersaccount; daarna maakt die beheerder de andere accounts.",
    code: "Inrichtingscode",
    code_hint: "De server schrijft deze code bij het starten in zijn log (“no active admin account yet … setup code”).",
    name: "Naam",
    email: "E-mailadres",
    password: "Wachtwoord",
    password_hint: "Minstens 12 tekens.",
    sso_hint: "Inloggen met een wachtwoord staat uit: de beheerder logt in met het gemeente-account van dit e-mailadres.",
    button: "Beheerder aanmaken",
    problems: "Het account is niet aangemaakt",
    wrong_code: "Deze inrichtingscode klopt niet. Neem de code over uit het log van de server.",
    wait: "Te veel verkeerde codes. Wacht een paar minuten en probeer het opnieuw.",
    done_title: "meldpunt is ingericht",
    done_text: "Er is al een beheerder. Log in, of vraag een beheerder om een account.",
};

const EN: SetupWords = SetupWords {
    title: "Set up meldpunt",
    intro: "There is no admin yet. Make the first admin account here; that admin then makes the other accounts.",
    code: "Setup code",
    code_hint: "The server writes this code to its log when it starts (“no active admin account yet … setup code”).",
    name: "Name",
    email: "Email address",
    password: "Password",
    password_hint: "At least 12 characters.",
    sso_hint: "Password login is off: the admin logs in with the municipality account of this email address.",
    button: "Make the admin",
    problems: "The account was not made",
    wrong_code: "This setup code is not right. Copy the code from the server's log.",
    wait: "Too many wrong codes. Wait a few minutes and try again.",
    done_title: "meldpunt is set up",
    done_text: "There is an admin already. Log in, or ask an admin for an account.",
};

fn words_of(lang: Lang) -> &'static SetupWords {
    match lang {
        Lang::Nl => &NL,
        Lang::En => &EN,
    }
}

#[derive(Template)]
#[template(path = "console/setup.html")]
struct SetupPage<'a> {
    frame: &'a Frame,
    w: &'static SetupWords,
    name: String,
    email: String,
    /// Whether the form asks for a password (password login is on).
    with_password: bool,
    /// At `code`, `name`, `email`, `password`, or `""` for the form.
    errors: Reasons,
}

/// The form's fields, as the API's pointers name them (and `code`).
const FIELDS: [&str; 4] = ["code", "name", "email", "password"];

/// The setup code while no active admin exists, else `None`.
async fn current_code(state: &AppState) -> Result<Option<String>, ApiError> {
    let accounts = state.db.run(crate::storage::accounts::without_admin).await?;
    Ok(accounts.map(|n| setup_code(&state.links, n)))
}

fn form_page(
    request: &HttpRequest,
    state: &AppState,
    status: StatusCode,
    typed: (String, String),
    errors: Reasons,
) -> Result<HttpResponse, ApiError> {
    let w = words_of(console_lang(request).0);
    let frame = Frame::new(request, "/console/setup", w.title, None);
    let (name, email) = typed;
    let page = SetupPage { frame: &frame, w, name, email, with_password: state.sso.password_login, errors };
    render(status, &frame, &page)
}

fn finished(request: &HttpRequest) -> Result<HttpResponse, ApiError> {
    let w = words_of(console_lang(request).0);
    message(request, StatusCode::NOT_FOUND, w.done_title, w.done_text, None)
}

/// The first-run setup form: while no active admin exists, the setup code, email, name and
/// password of the first admin.
#[utoipa::path(
    operation_id = "console_setup_page",
    tag = "console",
    params(("lang" = Option<String>, Query, description = "`nl` (default) or `en`")),
    responses(
        (status = 200, description = "The setup form (no active admin exists)", content_type = "text/html"),
        (status = 404, description = "An active admin exists: a page says to log in", content_type = "text/html"),
        Unavailable,
    )
)]
#[get("/console/setup")]
pub async fn setup_page(request: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    if current_code(&state).await?.is_none() {
        return finished(&request);
    }
    form_page(&request, &state, StatusCode::OK, (String::new(), String::new()), Reasons::default())
}

/// Makes the first admin: checks the setup code (wrong codes count as failed logins), makes
/// the account with the admin API's `create_account_from`, and logs the new admin in.
#[utoipa::path(
    operation_id = "console_setup",
    tag = "console",
    request_body(content = String, content_type = "application/x-www-form-urlencoded", description = "`code` (the setup code from the server's log), `email`, `name`, `password` (unless password login is off)"),
    responses(
        (status = 303, description = "Made: logged in as the new admin, on to the accounts page (or, with password login off, to the login page)"),
        (status = 403, description = "The form came from another site: a page says so", content_type = "text/html"),
        (status = 404, description = "An active admin exists: a page says to log in", content_type = "text/html"),
        (status = 413, description = "The form is too large", body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "A wrong code or an invalid field: the form again with the reasons", content_type = "text/html"),
        (status = 429, description = "Too many wrong codes: the form again, asking to wait", content_type = "text/html"),
        Unavailable,
    )
)]
#[post("/console/setup")]
pub async fn setup_submit(
    request: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
    client: ClientAddress,
) -> Result<HttpResponse, ApiError> {
    let lang = console_lang(&request).0;
    let w = words_of(lang);
    if !csrf::same_origin(&request, &state) {
        let words = super::words::of(console_lang(&request).0);
        return message(&request, StatusCode::FORBIDDEN, words.form_refused_title, words.form_refused_text, None);
    }
    let body = crate::api::body::read_limited(&request, payload, FORM_MAX_BYTES).await?;
    let fields = form_fields(&body);
    let Some(code) = current_code(&state).await? else { return finished(&request) };
    let text = |name: &str| field(&fields, name).unwrap_or_default().trim().to_owned();
    let typed = (text("name"), text("email"));
    if let Err(ApiError::TooManyRequests { .. }) = state.limits.login.check(LIMIT_KEY, client.0) {
        let errors = Reason::ours("code", w.wait, lang).into();
        return form_page(&request, &state, StatusCode::TOO_MANY_REQUESTS, typed, errors);
    }
    if !same_setup_code(&text("code"), &code) {
        state.limits.login.failed(LIMIT_KEY, client.0);
        tracing::warn!("console setup refused: a wrong setup code");
        let errors = Reason::ours("code", w.wrong_code, lang).into();
        return form_page(&request, &state, StatusCode::UNPROCESSABLE_ENTITY, typed, errors);
    }
    let password = field(&fields, "password").unwrap_or_default().to_owned();
    let input = CreateAccount {
        email: typed.1.clone(),
        name: typed.0.clone(),
        role: Role::Admin,
        password: state.sso.password_login.then(|| password.clone()),
        departments: Vec::new(),
    };
    let account = match create_account_from(&state, input).await {
        Ok(account) => account,
        Err(ApiError::Validation(problems)) => {
            let errors = by_field(problems, &FIELDS);
            return form_page(&request, &state, StatusCode::UNPROCESSABLE_ENTITY, typed, errors);
        }
        Err(other) => return Err(other),
    };
    state.limits.login.succeeded(LIMIT_KEY);
    tracing::info!(account_id = %account.id, "the first admin was made on the console's setup page");
    if !state.sso.password_login {
        return Ok(see_other("/console/login"));
    }
    let session = password_login(&state, &typed.1, &password, client.0).await?;
    Ok(HttpResponse::SeeOther()
        .insert_header(("Location", "/console/config/accounts"))
        .insert_header(("Cache-Control", "no-store"))
        .insert_header((
            "Set-Cookie",
            session_cookie(&session.token, state.session_hours, state.console_secure_cookies),
        ))
        .finish())
}
