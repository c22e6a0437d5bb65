//! The satisfaction survey's page behind the one-tap links of the resolution email: the
//! question with the tapped side chosen, the standard answers, a free text and a button
//! (a GET records nothing: mail scanners fetch links), and the pages that say what became
//! of the answer. In the report's language (`?lang=` switches). The JSON for apps and the
//! recording are in `crate::api::public::survey`.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse};
use askama::Template;

use super::words::{self, Words};
use super::{Frame, Lang, MessagePage, page_lang, render};
use crate::api::error::ApiError;
use crate::api::state::AppState;
use crate::domain::survey::question;

fn path_of(token: &str) -> String {
    format!("/api/v1/survey/{token}")
}

/// What the page offers.
pub struct SurveyForm {
    /// The report's public reference.
    pub reference: String,
    /// The side the tapped link chose.
    pub satisfied: Option<bool>,
    /// The standard answers: id, Dutch text, English text, side.
    pub answers: Vec<(String, String, String, bool)>,
    /// The longest free text, in characters.
    pub text_max: usize,
}

/// The survey page.
#[derive(Template)]
#[template(path = "resident/survey.html")]
pub struct SurveyPage {
    pub lang: &'static str,
    pub words: &'static Words,
    pub site: String,
    pub title: String,
    pub other_lang: &'static str,
    pub other_lang_href: String,
    pub reference: String,
    pub satisfied: Option<bool>,
    /// Id and text of each standard answer, in the page's language.
    pub answers: Vec<(String, String)>,
    pub action: String,
    pub text_max: usize,
}

/// The page of an open survey.
pub fn page(
    request: &HttpRequest,
    state: &AppState,
    token: &str,
    own: Lang,
    form: SurveyForm,
) -> Result<HttpResponse, ApiError> {
    let lang = page_lang(request, own);
    let language =
        if lang == Lang::En { crate::domain::report::Language::En } else { crate::domain::report::Language::Nl };
    let path = path_of(token);
    let frame = Frame::new(state, lang, &path, question(language));
    let words = frame.words;
    let answers = form
        .answers
        .into_iter()
        .map(|(id, nl, en, satisfied)| {
            let text = if lang == Lang::En { en } else { nl };
            let text = match form.satisfied {
                Some(_) => text,
                None => format!("{text} ({})", if satisfied { words.yes } else { words.no }),
            };
            (id, text)
        })
        .collect();
    render(
        StatusCode::OK,
        &SurveyPage {
            lang: frame.lang,
            words,
            site: frame.site,
            title: frame.title,
            other_lang: frame.other_lang,
            other_lang_href: frame.other_lang_href,
            reference: form.reference,
            satisfied: form.satisfied,
            answers,
            action: format!("{path}?lang={}", lang.tag()),
            text_max: form.text_max,
        },
    )
}

/// The page after a recorded answer; it says when staff will look at the report again.
pub fn thanks(
    request: &HttpRequest,
    state: &AppState,
    token: &str,
    own: Lang,
    reopen_requested: bool,
) -> Result<HttpResponse, ApiError> {
    let lang = page_lang(request, own);
    let words = words::of(lang);
    let frame = Frame::new(state, lang, &path_of(token), words.answered_title);
    let mut paragraphs = vec![words.survey_thanks_text.to_owned()];
    if reopen_requested {
        paragraphs.push(words.survey_reopen_text.to_owned());
    }
    render(StatusCode::OK, &MessagePage::new(frame, "notice", paragraphs, None))
}

/// Why a survey answer was not taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// The link is unknown or altered (404).
    Unknown,
    /// The survey took its answer already (410).
    Answered,
    /// Its period is over (410).
    Expired,
    /// No side, a standard answer of the other side, or too long a text (422).
    Invalid,
}

/// The page that says why an answer was not taken.
pub fn refused(
    request: &HttpRequest,
    state: &AppState,
    token: &str,
    own: Lang,
    why: Refusal,
) -> Result<HttpResponse, ApiError> {
    let lang = page_lang(request, own);
    let words = words::of(lang);
    let (status, text) = match why {
        Refusal::Unknown => (StatusCode::NOT_FOUND, words.survey_unknown_text),
        Refusal::Answered => (StatusCode::GONE, words.survey_answered_text),
        Refusal::Expired => (StatusCode::GONE, words.survey_expired_text),
        Refusal::Invalid => (StatusCode::UNPROCESSABLE_ENTITY, words.survey_invalid_text),
    };
    let frame = Frame::new(state, lang, &path_of(token), words.survey_refused_title);
    let back = (why == Refusal::Invalid)
        .then(|| (format!("{}?lang={}", path_of(token), lang.tag()), words.survey_back.to_owned()));
    render(status, &MessagePage::new(frame, "error", vec![text.to_owned()], back))
}
