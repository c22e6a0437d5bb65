//! The emails to reporters, in Dutch and English. Plain text; every email names the
//! report's reference and carries a private follow link.

use super::Rendered;
use crate::domain::report::Language;

fn status_name(status: &str, language: Language) -> &str {
    match (language, status) {
        (Language::Nl, "new") => "ontvangen",
        (Language::Nl, "accepted") => "in behandeling genomen",
        (Language::Nl, "in_progress") => "in uitvoering",
        (Language::Nl, "on_hold") => "gepauzeerd",
        (Language::Nl, "scheduled") => "ingepland",
        (Language::Nl, "resolved") => "afgehandeld",
        (Language::Nl, "cancelled") => "geannuleerd",
        (Language::Nl, "reopened") => "heropend",
        (Language::Nl, "reopen_requested") => "in afwachting van heropening",
        (Language::En, "new") => "received",
        (Language::En, "accepted") => "accepted",
        (Language::En, "in_progress") => "in progress",
        (Language::En, "on_hold") => "on hold",
        (Language::En, "scheduled") => "scheduled",
        (Language::En, "resolved") => "resolved",
        (Language::En, "cancelled") => "cancelled",
        (Language::En, "reopened") => "reopened",
        (Language::En, "reopen_requested") => "awaiting reopening",
        (_, other) => other,
    }
}

/// The satisfaction question with its one-tap links (empty without a survey token).
fn survey_question(language: Language, token: &str, public_url: &str) -> String {
    if token.is_empty() {
        return String::new();
    }
    let link = format!("{}/api/v1/survey/{token}", public_url.trim_end_matches('/'));
    let question = crate::domain::survey::question(language);
    match language {
        Language::Nl => format!(
            "\n{question}\nJa: {link}?satisfied=yes\nNee: {link}?satisfied=no\n\
             Antwoordt u \"nee\", dan bekijken wij de melding opnieuw.\n"
        ),
        Language::En => format!(
            "\n{question}\nYes: {link}?satisfied=yes\nNo: {link}?satisfied=no\n\
             If you answer \"no\", we will look at the report again.\n"
        ),
    }
}

/// Why an email to a reporter could not be rendered.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RenderError {
    /// The parameters lack the report's reference.
    #[error("template {0} needs a reference")]
    NoReference(String),
    /// No such email to reporters.
    #[error("unknown email template '{0}'")]
    UnknownTemplate(String),
}

/// Renders `template` with `params`; `public_url` is the base of the follow link.
pub fn render(
    template: &str,
    language: Language,
    params: &serde_json::Value,
    public_url: &str,
) -> Result<Rendered, RenderError> {
    let text = |key: &str| params.get(key).and_then(|v| v.as_str()).unwrap_or_default().to_owned();
    let reference = text("reference");
    if reference.is_empty() {
        return Err(RenderError::NoReference(template.to_owned()));
    }
    let link = format!("{}/api/v1/follow/{}", public_url.trim_end_matches('/'), text("follow_token"));
    match (template, language) {
        ("confirmation", Language::Nl) => Ok(Rendered {
            subject: format!("Uw melding {reference} is ontvangen"),
            body: format!(
                "Beste melder,\n\nBedankt voor uw melding. Wij hebben hem ontvangen onder nummer {reference}.\n\
                 Via deze persoonlijke link volgt u de voortgang:\n{link}\n\n\
                 Deel deze link niet met anderen.\n\nMet vriendelijke groet,\nGemeente\n"
            ),
            headers: Vec::new(),
        }),
        ("confirmation", Language::En) => Ok(Rendered {
            subject: format!("Your report {reference} has been received"),
            body: format!(
                "Dear resident,\n\nThank you for your report. We received it under number {reference}.\n\
                 Follow its progress with this personal link:\n{link}\n\n\
                 Please do not share this link.\n\nKind regards,\nThe municipality\n"
            ),
            headers: Vec::new(),
        }),
        ("status_changed", _) => {
            let status = status_name(&text("status"), language).to_owned();
            let message = text("text");
            let survey = survey_question(language, &text("survey_token"), public_url);
            Ok(match language {
                Language::Nl => Rendered {
                    subject: format!("Uw melding {reference} is {status}"),
                    body: format!(
                        "Beste melder,\n\nUw melding {reference} is {status}.\n{}{survey}\nVolg uw melding:\n{link}\n\n\
                         Met vriendelijke groet,\nGemeente\n",
                        if message.is_empty() { String::new() } else { format!("\n{message}\n") }
                    ),
                    headers: Vec::new(),
                },
                Language::En => Rendered {
                    subject: format!("Your report {reference} is {status}"),
                    body: format!(
                        "Dear resident,\n\nYour report {reference} is {status}.\n{}{survey}\nFollow your report:\n{link}\n\n\
                         Kind regards,\nThe municipality\n",
                        if message.is_empty() { String::new() } else { format!("\n{message}\n") }
                    ),
                    headers: Vec::new(),
                },
            })
        }
        (other, _) => Err(RenderError::UnknownTemplate(other.to_owned())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_come_in_dutch_and_english_with_reference_and_follow_link() {
        let params = serde_json::json!({"reference": "K7QM-3XRD", "follow_token": "mpt_abc", "status": "resolved", "text": "Gerepareerd."});
        let nl = render("status_changed", Language::Nl, &params, "https://meldpunt.example/")
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(nl.subject, "Uw melding K7QM-3XRD is afgehandeld");
        assert!(nl.body.contains("Gerepareerd.") && nl.body.contains("https://meldpunt.example/api/v1/follow/mpt_abc"));
        let en =
            render("confirmation", Language::En, &params, "https://meldpunt.example").unwrap_or_else(|e| panic!("{e}"));
        assert!(en.subject.contains("received") && en.body.contains("K7QM-3XRD"));
        assert!(render("nonsense", Language::En, &params, "x").is_err());
        assert!(!nl.body.contains("/api/v1/survey/"), "no survey without a token");
        let surveyed = serde_json::json!({"reference": "K7QM-3XRD", "follow_token": "mpt_abc", "status": "resolved", "text": "Gerepareerd.", "survey_token": "mpq_x"});
        let nl = render("status_changed", Language::Nl, &surveyed, "https://meldpunt.example")
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(nl.body.contains("Is het probleem opgelost?"));
        assert!(nl.body.contains("https://meldpunt.example/api/v1/survey/mpq_x?satisfied=no"), "{}", nl.body);
    }
}
