//! The small pages behind the one-click links in meldpunt's emails: confirming a
//! subscription, unsubscribing, confirming to follow a report ("me too") and answering a
//! quick question. A GET shows what the link will do, with one button, and changes nothing
//! (mail filters fetch links to scan them); the button posts to the same address, and the
//! answer is a page that says what happened. Each page is in the language of whoever the
//! link belongs to, when the link tells (`?lang=` switches).

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse};
use askama::Template;

use super::words::{self, Words};
use super::{Frame, Lang, message_in, page_lang, render};
use crate::api::error::ApiError;
use crate::api::state::AppState;

/// What a one-click link does.
pub enum OneClick {
    /// Confirms an email subscription (double opt-in).
    ConfirmSubscription,
    /// Ends a subscription.
    Unsubscribe,
    /// Confirms a supporter's address ("me too" with an email).
    ConfirmSupport,
    /// Answers a quick question with `option`.
    Answer { question: String, option: String },
}

impl OneClick {
    /// The page's title, its text, and the button's words.
    fn asking(&self, words: &Words) -> (String, Vec<String>, &'static str) {
        match self {
            Self::ConfirmSubscription => (
                words.confirm_subscription_title.into(),
                vec![words.confirm_subscription_text.into()],
                words.confirm_button,
            ),
            Self::Unsubscribe => {
                (words.unsubscribe_title.into(), vec![words.unsubscribe_text.into()], words.unsubscribe_button)
            }
            Self::ConfirmSupport => {
                (words.confirm_support_title.into(), vec![words.confirm_support_text.into()], words.confirm_button)
            }
            Self::Answer { question, option } => (
                words.answer_title.into(),
                vec![question.clone(), format!("{} {option}", words.answer_chosen)],
                words.answer_button,
            ),
        }
    }

    /// The title and text of the page after the change.
    fn done(&self, words: &Words) -> (&'static str, &'static str) {
        match self {
            Self::ConfirmSubscription => (words.subscription_confirmed_title, words.subscription_confirmed_text),
            Self::Unsubscribe => (words.unsubscribed_title, words.unsubscribed_text),
            Self::ConfirmSupport => (words.support_confirmed_title, words.support_confirmed_text),
            Self::Answer { .. } => (words.answered_title, words.answered_text),
        }
    }
}

/// The page with the button.
#[derive(Template)]
#[template(path = "resident/confirm.html")]
pub struct ConfirmPage {
    pub lang: &'static str,
    pub words: &'static Words,
    pub site: String,
    pub title: String,
    pub other_lang: &'static str,
    pub other_lang_href: String,
    pub paragraphs: Vec<String>,
    pub action: String,
    pub button: &'static str,
}

/// The page behind the link at `path`: what it will do, and the button that does it.
pub fn ask(
    request: &HttpRequest,
    state: &AppState,
    path: &str,
    own: Lang,
    click: &OneClick,
) -> Result<HttpResponse, ApiError> {
    let lang = page_lang(request, own);
    let (title, paragraphs, button) = click.asking(words::of(lang));
    let frame = Frame::new(state, lang, path, title);
    render(
        StatusCode::OK,
        &ConfirmPage {
            lang: frame.lang,
            words: frame.words,
            site: frame.site,
            title: frame.title,
            other_lang: frame.other_lang,
            other_lang_href: frame.other_lang_href,
            paragraphs,
            action: format!("{path}?lang={}", lang.tag()),
            button,
        },
    )
}

/// The page after the button: it was done.
pub fn done(
    request: &HttpRequest,
    state: &AppState,
    path: &str,
    own: Lang,
    click: &OneClick,
) -> Result<HttpResponse, ApiError> {
    let (title, text) = click.done(words::of(page_lang(request, own)));
    message_in(request, state, path, own, StatusCode::OK, title, text, None)
}

/// The page of a link that is unknown or used (404), the same whether or not it ever worked.
pub fn used(request: &HttpRequest, state: &AppState, path: &str, own: Lang) -> Result<HttpResponse, ApiError> {
    let words = words::of(page_lang(request, own));
    message_in(request, state, path, own, StatusCode::NOT_FOUND, words.link_used_title, words.link_used_text, None)
}

/// The page of a quick question that no longer takes answers (410).
pub fn question_closed(
    request: &HttpRequest,
    state: &AppState,
    path: &str,
    own: Lang,
) -> Result<HttpResponse, ApiError> {
    let words = words::of(page_lang(request, own));
    message_in(
        request,
        state,
        path,
        own,
        StatusCode::GONE,
        words.question_closed_title,
        words.question_closed_text,
        None,
    )
}
