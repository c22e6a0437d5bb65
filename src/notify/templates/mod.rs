//! The texts meldpunt sends, in Dutch and English: emails to reporters about their report
//! ([`reports`]), the emails of residents' privacy rights and consent ([`privacy`]), and
//! messages to subscribers ([`subscribers`]).

pub mod privacy;
pub mod reports;
pub mod subscribers;

pub use reports::RenderError;

/// Renders an email that is not to a subscriber: `template` with `params`; `public_url` is
/// the base of its links.
pub fn render(
    template: &str,
    language: crate::domain::report::Language,
    params: &serde_json::Value,
    public_url: &str,
) -> Result<Rendered, RenderError> {
    match template {
        "support_confirm" | "access_link" => privacy::render(template, language, params, public_url),
        _ => reports::render(template, language, params, public_url),
    }
}

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
