//! The emails of consent and of residents' privacy rights, in Dutch and English: the link
//! that confirms a "me too" address (double opt-in), and the link that answers a request
//! for what meldpunt holds about an address (AVG art. 15). Plain text.

use super::Rendered;
use super::reports::RenderError;
use crate::domain::report::Language;

/// Renders `support_confirm` (needs `reference` and `confirm_token`) or `access_link`
/// (needs `access_token` and `hours`, how long the link works).
pub fn render(
    template: &str,
    language: Language,
    params: &serde_json::Value,
    public_url: &str,
) -> Result<Rendered, RenderError> {
    let text = |key: &str| params.get(key).and_then(|v| v.as_str()).unwrap_or_default().to_owned();
    let base = public_url.trim_end_matches('/');
    match template {
        "support_confirm" => {
            let reference = text("reference");
            if reference.is_empty() {
                return Err(RenderError::NoReference(template.to_owned()));
            }
            let link = format!("{base}/api/v1/support/confirm/{}", text("confirm_token"));
            Ok(match language {
                Language::Nl => Rendered {
                    subject: format!("Bevestig dat u de voortgang van melding {reference} wilt volgen"),
                    body: format!(
                        "Beste bewoner,\n\nIemand heeft dit e-mailadres opgegeven om de voortgang van melding {reference} \
                         te volgen.\nWilt u berichten over deze melding ontvangen? Bevestig dat dan via deze link:\n{link}\n\n\
                         Heeft u dit niet zelf gedaan? Dan hoeft u niets te doen: u ontvangt geen berichten en het \
                         adres wordt binnen enkele dagen gewist.\n\nMet vriendelijke groet,\nGemeente\n"
                    ),
                    headers: Vec::new(),
                },
                Language::En => Rendered {
                    subject: format!("Confirm that you want to follow report {reference}"),
                    body: format!(
                        "Dear resident,\n\nSomeone gave this email address to follow the progress of report {reference}.\n\
                         Do you want to hear about this report? Then confirm it with this link:\n{link}\n\n\
                         Was it not you? Then do nothing: you will get no messages, and the address is erased \
                         within a few days.\n\nKind regards,\nThe municipality\n"
                    ),
                    headers: Vec::new(),
                },
            })
        }
        "access_link" => {
            let link = format!("{base}/api/v1/privacy/access/{}", text("access_token"));
            let hours = params.get("hours").and_then(serde_json::Value::as_i64).unwrap_or_default();
            Ok(match language {
                Language::Nl => Rendered {
                    subject: "Uw gegevens bij het meldpunt van de gemeente".to_owned(),
                    body: format!(
                        "Beste bewoner,\n\nU heeft gevraagd welke gegevens het meldpunt over dit e-mailadres bewaart.\n\
                         Via deze persoonlijke link ziet u uw meldingen, de meldingen die u volgt en uw aanmeldingen \
                         voor buurtberichten, en kunt u uw contactgegevens overal in één keer laten wissen:\n{link}\n\n\
                         De link werkt {hours} uur. Deel hem niet met anderen.\n\
                         Heeft u dit niet zelf gevraagd? Dan hoeft u niets te doen.\n\nMet vriendelijke groet,\nGemeente\n"
                    ),
                    headers: Vec::new(),
                },
                Language::En => Rendered {
                    subject: "Your data held by the municipality's reporting service".to_owned(),
                    body: format!(
                        "Dear resident,\n\nYou asked what the reporting service holds about this email address.\n\
                         This personal link shows your reports, the reports you follow and your neighbourhood \
                         subscriptions, and lets you erase your contact details everywhere at once:\n{link}\n\n\
                         The link works for {hours} hours. Please do not share it.\n\
                         Did you not ask for this? Then do nothing.\n\nKind regards,\nThe municipality\n"
                    ),
                    headers: Vec::new(),
                },
            })
        }
        other => Err(RenderError::UnknownTemplate(other.to_owned())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_support_confirmation_carries_the_reference_and_the_confirmation_link() {
        let params = serde_json::json!({"reference": "K7QM-3XRD", "confirm_token": "mpt_abc"});
        let nl = render("support_confirm", Language::Nl, &params, "https://meldpunt.example/")
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(nl.subject.contains("K7QM-3XRD"), "{}", nl.subject);
        assert!(nl.body.contains("https://meldpunt.example/api/v1/support/confirm/mpt_abc"), "{}", nl.body);
        assert!(render("support_confirm", Language::En, &serde_json::json!({}), "x").is_err());
    }

    #[test]
    fn the_access_link_says_how_long_it_works() {
        let params = serde_json::json!({"access_token": "mpt_def", "hours": 72});
        let en =
            render("access_link", Language::En, &params, "https://meldpunt.example").unwrap_or_else(|e| panic!("{e}"));
        assert!(en.body.contains("https://meldpunt.example/api/v1/privacy/access/mpt_def"), "{}", en.body);
        assert!(en.body.contains("72 hours"), "{}", en.body);
        assert!(render("nonsense", Language::Nl, &params, "x").is_err());
    }
}
