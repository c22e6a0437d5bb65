//! The texts meldpunt sends, in Dutch and English: emails to reporters about their report
//! ([`reports`]) and messages to subscribers ([`subscribers`]).

pub mod reports;
pub mod subscribers;

pub use reports::render;

/// A rendered email.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    /// Subject line.
    pub subject: String,
    /// Plain-text body.
    pub body: String,
    /// Extra headers (name, value), e.g. `List-Unsubscribe`.
    pub headers: Vec<(&'static str, String)>,
}
