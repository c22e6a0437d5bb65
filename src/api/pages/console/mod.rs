//! The staff console at `/console`: server-rendered pages (askama templates in
//! `templates/console/`) for the people who handle reports, on the same domain and storage
//! functions as the staff API. Dutch by default, English by `?lang=en` (remembered in a
//! cookie); every page works without scripts; one style sheet ([`console_css`]) and no
//! script at all.
//!
//! - [`session`]: the `meldpunt_session` cookie (a revocable session token), the
//!   [`session::ConsoleUser`] extractor and the redirect to the login page;
//! - [`csrf`]: the token in every form and the same-origin check of every POST;
//! - [`reasons`]: why a form was refused, each reason in its language (the API's English);
//! - [`login`]: logging in with a password and out;
//! - [`queue`]: the queue with its filters, counts, paging and map ([`map`]);
//! - [`report`] and [`actions`]: one report, and the forms that change it.
//!
//! Announcements and configuration pages slot in as further modules with their own
//! `routes` entries and a link in `templates/console/base.html`'s navigation.

pub mod actions;
pub mod analysis;
pub mod announcements;
pub mod config;
pub mod csrf;
pub mod history;
pub mod login;
pub mod map;
pub mod queue;
pub mod reasons;
pub mod report;
pub mod session;
pub mod setup;
pub mod tiles;
pub mod words;

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, ResponseError, get};
use askama::Template;

use crate::api::error::ApiError;
pub use crate::api::pages::dashboard::text::Lang;
use crate::domain::auth::StaffIdentity;
use words::Words;

/// The console's style sheet.
const CONSOLE_CSS: &str = include_str!("console.css");

/// The cookie that remembers the console's language.
pub const LANG_COOKIE: &str = "meldpunt_console_lang";

/// The content security policy of every console page: its own style sheet, no script at
/// all (`script-src 'self'` leaves room for one file of meldpunt's own), forms only to
/// meldpunt, never framed.
pub const CSP: &str = "default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self' data:; \
                       form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// The console's style sheet.
#[utoipa::path(
    tag = "console",
    responses((status = 200, description = "The style sheet", content_type = "text/css")),
)]
#[get("/console/assets/console.css")]
pub async fn console_css() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/css; charset=utf-8")
        .insert_header(("Cache-Control", "public, max-age=3600"))
        .insert_header(("X-Content-Type-Options", "nosniff"))
        .body(CONSOLE_CSS)
}

/// Registers the console's pages.
pub fn routes(config: &mut utoipa_actix_web::service_config::ServiceConfig) {
    config
        .service(console_css)
        .service(login::login_page)
        .service(login::login_submit)
        .service(login::logout)
        .service(queue::queue)
        .service(report::report_page)
        .service(actions::report_action)
        .service(analysis::analysis)
        .service(analysis::analysis_token)
        .service(setup::setup_page)
        .service(setup::setup_submit);
    announcements::routes(config);
    config::routes(config);
}

/// The (first) value of `name` in the request's query.
pub fn query_value(request: &HttpRequest, name: &str) -> Option<String> {
    url::form_urlencoded::parse(request.query_string().as_bytes())
        .find(|(key, _)| key == name)
        .map(|(_, value)| value.into_owned())
}

/// The language of a console page: `?lang=` when given and known, else the cookie, else
/// Dutch. Answers whether `?lang=` chose it (then the cookie is set).
pub fn console_lang(request: &HttpRequest) -> (Lang, bool) {
    let asked = query_value(request, "lang").and_then(|value| match value.as_str() {
        "nl" => Some(Lang::Nl),
        "en" => Some(Lang::En),
        _ => None,
    });
    if let Some(lang) = asked {
        return (lang, true);
    }
    let remembered = session::cookie(request, LANG_COOKIE).and_then(|value| match value.as_str() {
        "en" => Some(Lang::En),
        "nl" => Some(Lang::Nl),
        _ => None,
    });
    (remembered.unwrap_or(Lang::Nl), false)
}

/// What every console page shows around its content.
pub struct Frame {
    /// `nl` or `en`.
    pub lang: &'static str,
    /// The fixed words.
    pub words: &'static Words,
    /// The page's heading and title.
    pub title: String,
    /// The other language's tag and this page in it.
    pub other_lang: &'static str,
    pub other_lang_href: String,
    /// The page's path without its query (the navigation marks the current page).
    pub path: String,
    /// The signed-in member's role in words (`None` on the login page).
    pub role: Option<&'static str>,
    /// The signed-in member's role (`None` on the login page).
    pub staff_role: Option<crate::domain::auth::Role>,
    /// The form token of the logout form (`None` on the login page).
    pub logout_token: Option<String>,
    /// The origin of the background map's tiles when the page draws a map with them (the
    /// content security policy then allows images from it).
    pub tile_origin: Option<String>,
    /// Whether `?lang=` chose the language (the cookie is set with the answer).
    remember_lang: bool,
}

impl Frame {
    /// The frame of a page at `path` (with the query to keep when switching language) for
    /// `user` (`None`: signed out).
    pub fn new(
        request: &HttpRequest,
        path: &str,
        title: impl Into<String>,
        user: Option<(&StaffIdentity, String)>,
    ) -> Self {
        let (lang, remember_lang) = console_lang(request);
        let other = match lang {
            Lang::Nl => Lang::En,
            Lang::En => Lang::Nl,
        };
        let words = words::of(lang);
        Frame {
            lang: lang.tag(),
            words,
            title: title.into(),
            other_lang: other.tag(),
            other_lang_href: format!("{path}{}lang={}", if path.contains('?') { '&' } else { '?' }, other.tag()),
            path: path.split('?').next().unwrap_or_default().to_owned(),
            role: user.as_ref().map(|(identity, _)| words.role(identity.role)),
            staff_role: user.as_ref().map(|(identity, _)| identity.role),
            logout_token: user.map(|(_, token)| token),
            tile_origin: None,
            remember_lang,
        }
    }
}

impl Frame {
    /// Whether the member writes announcements (the API's `ANNOUNCERS`), for the navigation.
    pub fn can_announce(&self) -> bool {
        self.staff_role.is_some_and(|role| crate::api::access::ANNOUNCERS.contains(&role))
    }

    /// Allows the background map's tiles on this page (it draws a map with them).
    pub fn with_tiles(mut self, state: &crate::api::state::AppState) -> Self {
        self.tile_origin = state.console_tiles.as_ref().map(|tiles| tiles.origin.clone());
        self
    }

    /// The page's content security policy: [`CSP`], with the tiles' origin as an image
    /// source when the page shows them.
    fn csp(&self) -> String {
        match &self.tile_origin {
            Some(origin) => CSP.replacen("img-src 'self' data:", &format!("img-src 'self' data: {origin}"), 1),
            None => CSP.to_owned(),
        }
    }
}

/// Renders a console page with its headers: no caching (staff data), the console's
/// content security policy, and the language cookie when `?lang=` chose the language.
pub fn render(status: StatusCode, frame: &Frame, page: &impl Template) -> Result<HttpResponse, ApiError> {
    let html = page.render().map_err(|e| ApiError::Internal(format!("cannot render a console page: {e}")))?;
    let mut response = HttpResponse::build(status);
    response
        .content_type("text/html; charset=utf-8")
        .insert_header(("Cache-Control", "no-store"))
        .insert_header(("Referrer-Policy", "same-origin"))
        .insert_header(("X-Content-Type-Options", "nosniff"))
        .insert_header(("X-Frame-Options", "DENY"))
        .insert_header(("Content-Security-Policy", frame.csp()));
    if frame.remember_lang {
        response.insert_header((
            "Set-Cookie",
            format!("{LANG_COOKIE}={}; Path=/console; Max-Age=31536000; SameSite=Lax; HttpOnly", frame.lang),
        ));
    }
    Ok(response.body(html))
}

/// A page with a message: why something was refused, or that it is gone.
#[derive(Template)]
#[template(path = "console/message.html")]
pub struct MessagePage<'a> {
    pub frame: &'a Frame,
    /// `notice` or `error`.
    pub tone: &'static str,
    pub text: String,
    /// A link onwards: address and text.
    pub back: Option<(String, &'static str)>,
}

/// Answers a message page.
pub fn message(
    request: &HttpRequest,
    status: StatusCode,
    title: &str,
    text: &str,
    user: Option<(&StaffIdentity, String)>,
) -> Result<HttpResponse, ApiError> {
    let frame = Frame::new(request, request.path(), title, user);
    let back = Some(("/console".to_owned(), frame.words.back_to_queue));
    let tone = if status.is_success() { "notice" } else { "error" };
    render(status, &frame, &MessagePage { frame: &frame, tone, text: text.to_owned(), back })
}

/// How a console request fails: not signed in (a redirect to the login page), or an error
/// of the API's kind, answered as a page for a person.
#[derive(Debug)]
pub enum ConsoleError {
    /// No valid session: 303 to `/console/login?next=<this page>`.
    SignIn(String),
    /// Any other failure.
    Api(ApiError),
}

impl std::fmt::Display for ConsoleError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::SignIn(_) => write!(f, "not signed in to the console"),
            Self::Api(error) => write!(f, "{error}"),
        }
    }
}

impl From<ApiError> for ConsoleError {
    fn from(error: ApiError) -> Self {
        Self::Api(error)
    }
}

impl ResponseError for ConsoleError {
    fn status_code(&self) -> StatusCode {
        match self {
            Self::SignIn(_) => StatusCode::SEE_OTHER,
            Self::Api(error) => error.status_code(),
        }
    }

    fn error_response(&self) -> HttpResponse {
        match self {
            Self::SignIn(next) => see_other(&session::login_address(next)),
            // Server errors keep the API's problem document (nothing internal in it);
            // what a person can fix is answered as a page by the handlers themselves.
            Self::Api(error) => error.error_response(),
        }
    }
}

/// A 303 to `location` (a path of this site), the answer to every successful form.
pub fn see_other(location: &str) -> HttpResponse {
    HttpResponse::SeeOther().insert_header(("Location", location)).insert_header(("Cache-Control", "no-store")).finish()
}
