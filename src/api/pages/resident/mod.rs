//! The pages residents reach from meldpunt's emails, rendered on the server with askama
//! templates (`templates/resident/`): readable without scripts and on a phone, in Dutch and
//! English, with one style sheet served by meldpunt ([`resident_css`]).
//!
//! The same address answers JSON to apps and a page to browsers ([`wants_html`]). Forms
//! post to the address of their link, whose token is the only credential: meldpunt sets no
//! cookies, so a page on another site cannot make a browser post with authority it holds,
//! and it cannot know the token. Each form also carries a signed form token
//! ([`FormToken`]) bound to the link and valid for a few hours, so a form is only accepted
//! from a page meldpunt rendered recently for that link.

pub mod additions;
pub mod links;
pub mod report;
pub mod subscription;
pub mod survey;
pub mod words;

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, get};
use askama::Template;

use crate::api::error::ApiError;
pub use crate::api::pages::dashboard::text::Lang;
use crate::api::state::AppState;
use words::Words;

/// The style sheet of the resident pages.
const RESIDENT_CSS: &str = include_str!("resident.css");

/// How long a rendered form may be posted, in seconds.
const FORM_SECONDS: i64 = 4 * 3600;

/// The style sheet of the pages for residents.
#[utoipa::path(
    tag = "pages",
    responses((status = 200, description = "The style sheet", content_type = "text/css")),
)]
#[get("/assets/resident.css")]
pub async fn resident_css() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/css; charset=utf-8")
        .insert_header(("Cache-Control", "public, max-age=3600"))
        .body(RESIDENT_CSS)
}

/// Whether the client asks for a page: its `Accept` names `text/html` and does not rank
/// JSON before it. Apps that send no `Accept`, `*/*` or `application/json` get JSON.
pub fn wants_html(request: &HttpRequest) -> bool {
    let Some(accept) = request.headers().get(actix_web::http::header::ACCEPT).and_then(|v| v.to_str().ok()) else {
        return false;
    };
    let accept = accept.to_ascii_lowercase();
    match (accept.find("text/html"), accept.find("application/json")) {
        (Some(html), Some(json)) => html < json,
        (Some(_), None) => true,
        _ => false,
    }
}

/// The page language of a resident's message language.
pub fn lang_of(language: crate::domain::report::Language) -> Lang {
    match language {
        crate::domain::report::Language::En => Lang::En,
        crate::domain::report::Language::Nl => Lang::Nl,
    }
}

/// The language of a page: `?lang=` when given and known, else `fallback`.
pub fn page_lang(request: &HttpRequest, fallback: Lang) -> Lang {
    let query = request.query_string();
    url::form_urlencoded::parse(query.as_bytes())
        .find(|(key, _)| key == "lang")
        .and_then(|(_, value)| Lang::parse(Some(&value)))
        .unwrap_or(fallback)
}

/// What every page shows around its content.
pub struct Frame {
    /// `nl` or `en`.
    pub lang: &'static str,
    /// The page's fixed words.
    pub words: &'static Words,
    /// The municipality's meldpunt, e.g. "Meldpunt Heerlen".
    pub site: String,
    /// The heading and title.
    pub title: String,
    /// The other language's tag.
    pub other_lang: &'static str,
    /// This page in the other language.
    pub other_lang_href: String,
}

impl Frame {
    /// The frame of a page at `path` (without query) in `lang`.
    pub fn new(state: &AppState, lang: Lang, path: &str, title: impl Into<String>) -> Frame {
        let other = match lang {
            Lang::Nl => Lang::En,
            Lang::En => Lang::Nl,
        };
        Frame {
            lang: lang.tag(),
            words: words::of(lang),
            site: site_name(state, lang),
            title: title.into(),
            other_lang: other.tag(),
            other_lang_href: format!("{path}?lang={}", other.tag()),
        }
    }
}

/// "Meldpunt <municipality>" from the served municipalities' names.
fn site_name(state: &AppState, lang: Lang) -> String {
    let snapshot = state.config.snapshot();
    let names: Vec<&str> =
        state.served.iter().filter_map(|code| snapshot.areas.area(code)).map(|area| area.name.as_str()).collect();
    let base = match lang {
        Lang::Nl => "Meldpunt",
        Lang::En => "Meldpunt",
    };
    if names.is_empty() { base.to_owned() } else { format!("{base} {}", names.join(", ")) }
}

/// A page with a message: the outcome of an action, or why a link does not work.
#[derive(Template)]
#[template(path = "resident/message.html")]
pub struct MessagePage {
    pub lang: &'static str,
    pub words: &'static Words,
    pub site: String,
    pub title: String,
    pub other_lang: &'static str,
    pub other_lang_href: String,
    /// `notice` (done) or `error`.
    pub tone: &'static str,
    pub paragraphs: Vec<String>,
    /// A link onwards: address and text.
    pub back: Option<(String, String)>,
}

impl MessagePage {
    /// A message page in `frame`.
    pub fn new(frame: Frame, tone: &'static str, paragraphs: Vec<String>, back: Option<(String, String)>) -> Self {
        MessagePage {
            lang: frame.lang,
            words: frame.words,
            site: frame.site,
            title: frame.title,
            other_lang: frame.other_lang,
            other_lang_href: frame.other_lang_href,
            tone,
            paragraphs,
            back,
        }
    }
}

/// Answers a message page in the language asked for (`?lang=`, else Dutch) at `path`.
pub fn message(
    request: &HttpRequest,
    state: &AppState,
    path: &str,
    status: StatusCode,
    title: &str,
    text: &str,
    back: Option<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    message_in(request, state, path, Lang::Nl, status, title, text, back)
}

/// Answers a message page in the language asked for (`?lang=`, else `own`) at `path`.
#[expect(clippy::too_many_arguments, reason = "the parts of one message page")]
pub fn message_in(
    request: &HttpRequest,
    state: &AppState,
    path: &str,
    own: Lang,
    status: StatusCode,
    title: &str,
    text: &str,
    back: Option<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let lang = page_lang(request, own);
    let frame = Frame::new(state, lang, path, title);
    let tone = if status.is_success() { "notice" } else { "error" };
    render(status, &MessagePage::new(frame, tone, vec![text.to_owned()], back))
}

/// Renders a page with the headers every resident page has: no caching (it shows private
/// data), no referrer (the address holds the link's token), and a content security policy
/// that allows the page's own style sheet and forms only.
pub fn render(status: StatusCode, page: &impl Template) -> Result<HttpResponse, ApiError> {
    let html = page.render().map_err(|e| ApiError::Internal(format!("cannot render a page: {e}")))?;
    Ok(HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .insert_header(("Cache-Control", "no-store"))
        .insert_header(("Referrer-Policy", "no-referrer"))
        .insert_header(("X-Content-Type-Options", "nosniff"))
        .insert_header((
            "Content-Security-Policy",
            "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
        ))
        .body(html))
}

/// A signed, expiring token in every form: bound to one link (`subject`) and one kind of
/// form, so a form is accepted only when meldpunt rendered it for that link lately.
pub struct FormToken;

impl FormToken {
    /// A token for a form of `kind` on the page of `subject`, issued now.
    pub fn issue(state: &AppState, kind: &str, subject: &str) -> String {
        let at = chrono::Utc::now().timestamp();
        format!("{at}.{}", state.links.sign(&format!("form:{kind}:{subject}:{at}")))
    }

    /// Whether `token` was issued for this form and link less than a few hours ago.
    pub fn holds(state: &AppState, kind: &str, subject: &str, token: &str) -> bool {
        let Some((at, mac)) = token.split_once('.') else { return false };
        let Ok(issued) = at.parse::<i64>() else { return false };
        let age = chrono::Utc::now().timestamp() - issued;
        (0..FORM_SECONDS).contains(&age) && state.links.verify_signature(&format!("form:{kind}:{subject}:{at}"), mac)
    }
}

/// The fields of a posted form (`application/x-www-form-urlencoded`), repeated names kept.
pub fn form_fields(body: &[u8]) -> Vec<(String, String)> {
    url::form_urlencoded::parse(body).map(|(k, v)| (k.into_owned(), v.into_owned())).collect()
}

/// The first value of `name` in a form.
pub fn field<'a>(fields: &'a [(String, String)], name: &str) -> Option<&'a str> {
    fields.iter().find(|(key, _)| key == name).map(|(_, value)| value.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::test::TestRequest;

    #[test]
    fn browsers_get_pages_and_apps_get_json() {
        let browser = TestRequest::default()
            .insert_header(("Accept", "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"))
            .to_http_request();
        assert!(wants_html(&browser));
        assert!(!wants_html(&TestRequest::default().to_http_request()));
        assert!(!wants_html(&TestRequest::default().insert_header(("Accept", "*/*")).to_http_request()));
        let app = TestRequest::default().insert_header(("Accept", "application/json, text/html")).to_http_request();
        assert!(!wants_html(&app));
    }

    #[test]
    fn form_fields_keep_repeated_names() {
        let fields = form_fields(b"categories=afval&categories=wegen&tags=a%2C+b");
        assert_eq!(fields.iter().filter(|(k, _)| k == "categories").count(), 2);
        assert_eq!(field(&fields, "tags"), Some("a, b"));
    }
}
