//! Messages to subscribers: the confirmation email (double opt-in), announcement emails in
//! Dutch and English with one-tap answer links, the management link and RFC 8058 one-click
//! unsubscribe headers, and the JSON documents sent to webhooks.

use chrono::{DateTime, Utc};

use super::Rendered;
use crate::domain::report::Language;
use crate::domain::subscription::webhook_body::{AnnouncementBody, AnnouncementType, AnswerOption, QuickQuestion};

/// Links of one subscriber, absolute.
#[derive(Debug, Clone)]
pub struct SubscriberLinks {
    /// Private management link (GET/PATCH/DELETE).
    pub manage: String,
    /// One-click unsubscribe (POST ends the subscription).
    pub unsubscribe: String,
}

impl SubscriberLinks {
    /// The links for management token `token` under `public_url`.
    pub fn new(public_url: &str, token: &str) -> Self {
        let base = public_url.trim_end_matches('/');
        Self {
            manage: format!("{base}/api/v1/subscriptions/manage/{token}"),
            unsubscribe: format!("{base}/api/v1/subscriptions/unsubscribe/{token}"),
        }
    }

    fn headers(&self) -> Vec<(&'static str, String)> {
        vec![
            ("List-Unsubscribe", format!("<{}>", self.unsubscribe)),
            ("List-Unsubscribe-Post", "List-Unsubscribe=One-Click".to_owned()),
        ]
    }
}

/// What an announcement message says.
#[derive(Debug, Clone)]
pub struct AnnouncementMessage {
    pub id: uuid::Uuid,
    pub title: String,
    /// Body text.
    pub body: String,
    pub tags: Vec<String>,
    pub valid_from: Option<DateTime<Utc>>,
    pub valid_until: Option<DateTime<Utc>>,
    /// The quick question and, per option, its text and one-tap answer link.
    pub question: Option<(String, Vec<(String, String)>)>,
}

/// The confirmation email of a new email subscription.
pub fn confirmation(language: Language, confirm_link: &str, links: &SubscriberLinks) -> Rendered {
    let (subject, body) = match language {
        Language::Nl => (
            "Bevestig uw aanmelding voor buurtberichten".to_owned(),
            format!(
                "Beste bewoner,\n\nU heeft zich aangemeld voor berichten van de gemeente over uw buurt.\n\
                 Bevestig dit via deze link (pas daarna sturen wij u berichten):\n{confirm_link}\n\n\
                 Heeft u zich niet aangemeld? Dan hoeft u niets te doen; u hoort niets meer van ons.\n\n\
                 Uw aanmelding beheren: {}\n\nMet vriendelijke groet,\nGemeente\n",
                links.manage
            ),
        ),
        Language::En => (
            "Confirm your subscription to neighbourhood announcements".to_owned(),
            format!(
                "Dear resident,\n\nYou subscribed to announcements from the municipality about your neighbourhood.\n\
                 Please confirm with this link (we send nothing before you do):\n{confirm_link}\n\n\
                 Did not subscribe? Then do nothing; you will not hear from us again.\n\n\
                 Manage your subscription: {}\n\nKind regards,\nThe municipality\n",
                links.manage
            ),
        ),
    };
    Rendered { subject, body, headers: links.headers() }
}

fn date(at: DateTime<Utc>) -> String {
    at.with_timezone(&chrono_tz::Europe::Amsterdam).format("%Y-%m-%d %H:%M").to_string()
}

/// An announcement email.
pub fn announcement_email(language: Language, message: &AnnouncementMessage, links: &SubscriberLinks) -> Rendered {
    let mut body = format!("{}\n\n{}\n", message.title, message.body);
    match (message.valid_from, message.valid_until, language) {
        (Some(from), Some(until), Language::Nl) => {
            body.push_str(&format!("\nGeldig van {} tot {}.\n", date(from), date(until)))
        }
        (Some(from), Some(until), Language::En) => {
            body.push_str(&format!("\nValid from {} until {}.\n", date(from), date(until)))
        }
        (None, Some(until), Language::Nl) => body.push_str(&format!("\nGeldig tot {}.\n", date(until))),
        (None, Some(until), Language::En) => body.push_str(&format!("\nValid until {}.\n", date(until))),
        _ => {}
    }
    if let Some((question, options)) = &message.question {
        body.push_str(match language {
            Language::Nl => "\nKorte vraag: ",
            Language::En => "\nQuick question: ",
        });
        body.push_str(question);
        body.push_str(match language {
            Language::Nl => "\nKies uw antwoord met één klik:\n",
            Language::En => "\nAnswer with one click:\n",
        });
        for (text, link) in options {
            body.push_str(&format!("- {text}: {link}\n"));
        }
    }
    body.push_str(&match language {
        Language::Nl => format!(
            "\nU ontvangt dit bericht omdat u zich heeft aangemeld voor buurtberichten.\n\
             Aanmelding beheren: {}\nAfmelden: {}\n",
            links.manage, links.unsubscribe
        ),
        Language::En => format!(
            "\nYou receive this because you subscribed to neighbourhood announcements.\n\
             Manage your subscription: {}\nUnsubscribe: {}\n",
            links.manage, links.unsubscribe
        ),
    });
    Rendered { subject: message.title.clone(), body, headers: links.headers() }
}

/// An alert about a new public report of a category the subscriber chose.
pub fn report_alert(
    language: Language,
    reference: &str,
    category: &str,
    url: &str,
    links: &SubscriberLinks,
) -> Rendered {
    let (subject, body) = match language {
        Language::Nl => (
            format!("Nieuwe melding in uw buurt: {reference}"),
            format!(
                "Er is een nieuwe melding ({category}) gedaan in uw buurt, nummer {reference}:\n{url}\n\n\
                 Aanmelding beheren: {}\nAfmelden: {}\n",
                links.manage, links.unsubscribe
            ),
        ),
        Language::En => (
            format!("New report in your neighbourhood: {reference}"),
            format!(
                "A new report ({category}) was filed in your neighbourhood, number {reference}:\n{url}\n\n\
                 Manage your subscription: {}\nUnsubscribe: {}\n",
                links.manage, links.unsubscribe
            ),
        ),
    };
    Rendered { subject, body, headers: links.headers() }
}

/// The JSON document of an announcement for webhooks (and push).
pub fn announcement_json(message: &AnnouncementMessage, links: &SubscriberLinks) -> serde_json::Value {
    let body = AnnouncementBody {
        kind: AnnouncementType::Announcement,
        id: message.id,
        title: message.title.clone(),
        body: message.body.clone(),
        tags: message.tags.clone(),
        valid_from: message.valid_from,
        valid_until: message.valid_until,
        question: message.question.as_ref().map(|(text, options)| QuickQuestion {
            text: text.clone(),
            options: options
                .iter()
                .map(|(text, link)| AnswerOption { text: text.clone(), answer_url: link.clone() })
                .collect(),
        }),
        manage_url: links.manage.clone(),
        unsubscribe_url: links.unsubscribe.clone(),
    };
    // Strings, a UUID and times: serializing cannot fail.
    serde_json::to_value(body).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn announcement_emails_carry_one_click_unsubscribe_and_answer_links_in_both_languages() {
        let links = SubscriberLinks::new("https://meldpunt.example/", "mps_x");
        let message = AnnouncementMessage {
            id: uuid::Uuid::nil(),
            title: "Werk aan de weg".into(),
            body: "De Akerstraat is dicht.".into(),
            tags: vec!["roadworks".into()],
            valid_from: None,
            valid_until: None,
            question: Some(("Welke?".into(), vec![("A".into(), "https://a".into()), ("B".into(), "https://b".into())])),
        };
        let nl = announcement_email(Language::Nl, &message, &links);
        assert!(nl.body.contains("Korte vraag: Welke?") && nl.body.contains("- B: https://b"));
        assert!(nl.headers.contains(&(
            "List-Unsubscribe",
            "<https://meldpunt.example/api/v1/subscriptions/unsubscribe/mps_x>".to_owned()
        )));
        let en = announcement_email(Language::En, &message, &links);
        assert!(en.body.contains("Quick question") && en.body.contains("Unsubscribe: https://"));
    }
}
