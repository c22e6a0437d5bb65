//! Moderation of what residents type, as FixMyStreet's moderators do it: staff may hide a
//! report's description from the public, or publish a text of their own instead. The
//! resident's original stays for staff; the public view says that the text was moderated.
//! Together with [`super::masking`] this decides the public text of a report.

use serde::{Deserialize, Serialize};

use super::masking::mask;
use crate::domain::report::DESCRIPTION_MAX;
use crate::domain::validation::{FieldError, FieldErrors, bounded_text};

/// The longest reason a moderator may give.
pub const REASON_MAX: usize = 500;

/// How staff changed the public description of a report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Moderation {
    /// The public sees no description.
    Hidden,
    /// The public sees this text instead of the resident's.
    Rewritten(String),
}

/// How staff changed a report's public description, as the public view names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ModerationKind {
    /// The description is hidden.
    Hidden,
    /// The description was rewritten by the municipality.
    Rewritten,
}

impl ModerationKind {
    /// The stored and wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Hidden => "hidden",
            Self::Rewritten => "rewritten",
        }
    }
}

impl Moderation {
    /// Its kind.
    pub fn kind(&self) -> ModerationKind {
        match self {
            Self::Hidden => ModerationKind::Hidden,
            Self::Rewritten(_) => ModerationKind::Rewritten,
        }
    }

    /// The moderation as stored: its kind and, for a rewrite, the text. Anything else a
    /// moderator stored (an unknown kind, a rewrite without text) reads as hidden: when in
    /// doubt, publish nothing.
    pub fn from_stored(kind: Option<&str>, text: Option<String>) -> Option<Self> {
        match (kind?, text) {
            ("rewritten", Some(text)) => Some(Self::Rewritten(text)),
            _ => Some(Self::Hidden),
        }
    }

    /// The text stored with it (a rewrite's).
    pub fn text(&self) -> Option<&str> {
        match self {
            Self::Hidden => None,
            Self::Rewritten(text) => Some(text),
        }
    }
}

/// What a moderator asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ModerationAction {
    /// Hide the description from the public.
    Hide,
    /// Publish `text` instead of the resident's description.
    Rewrite,
    /// Publish the resident's description again (masked as always).
    Restore,
}

/// A moderator's checked request: the new moderation (`None`: restored) and the reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModerationChange {
    /// The moderation from now on.
    pub moderation: Option<Moderation>,
    /// Why, for the history (optional).
    pub reason: Option<String>,
}

/// Checks a moderator's request: `rewrite` needs a `text` of 1 to 5000 characters, `hide`
/// and `restore` take none; a `reason` is at most 500 characters. Problems by JSON Pointer.
pub fn check_change(
    action: ModerationAction,
    text: Option<&str>,
    reason: Option<&str>,
) -> Result<ModerationChange, Vec<FieldError>> {
    let mut errors = FieldErrors::default();
    let moderation = match (action, text) {
        (ModerationAction::Rewrite, Some(text)) => {
            errors.check("/text", bounded_text(text, "the text", DESCRIPTION_MAX)).map(Moderation::Rewritten)
        }
        (ModerationAction::Rewrite, None) => {
            errors.add("/text", "send the text the public should see instead of the resident's");
            None
        }
        (_, Some(_)) => {
            errors.add("/text", "only 'rewrite' takes a text; leave it out to hide or restore");
            None
        }
        (ModerationAction::Hide, None) => Some(Moderation::Hidden),
        (ModerationAction::Restore, None) => None,
    };
    let reason = reason.and_then(|r| errors.check("/reason", bounded_text(r, "the reason", REASON_MAX)));
    errors.finish(|| Some(ModerationChange { moderation, reason }))
}

/// The text of a report as the public sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicText {
    /// The description (`None` when hidden by a moderator).
    pub description: Option<String>,
    /// The address.
    pub address: Option<String>,
    /// Whether personal data was masked in description or address.
    pub masked: bool,
    /// How a moderator changed the description, if at all.
    pub moderation: Option<ModerationKind>,
}

/// The public text of a report: the moderator's choice if there is one, the resident's
/// otherwise, and either masked ([`mask`]): a moderator's text is masked too, so a slip
/// does not publish what masking would have caught.
pub fn public_text(description: &str, address: Option<&str>, moderation: Option<&Moderation>) -> PublicText {
    let shown = match moderation {
        Some(Moderation::Hidden) => None,
        Some(Moderation::Rewritten(text)) => Some(mask(text)),
        None => Some(mask(description)),
    };
    let address = address.map(mask);
    let masked =
        shown.as_ref().is_some_and(|text| text.masked) || address.as_ref().is_some_and(|address| address.masked);
    PublicText {
        description: shown.map(|text| text.text.into_owned()),
        address: address.map(|address| address.text.into_owned()),
        masked,
        moderation: moderation.map(Moderation::kind),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_resident_text_is_published_masked() {
        let shown = public_text("bel 06-12345678", Some("Akerstraat 12"), None);
        assert_eq!(shown.description.as_deref(), Some("bel [telefoonnummer verborgen]"));
        assert_eq!(shown.address.as_deref(), Some("Akerstraat 12"));
        assert!(shown.masked && shown.moderation.is_none());
    }

    #[test]
    fn a_hidden_description_is_not_published_and_says_so() {
        let shown = public_text("Piet Klaassen zet zijn afval hier", None, Some(&Moderation::Hidden));
        assert_eq!(shown.description, None);
        assert_eq!(shown.moderation, Some(ModerationKind::Hidden));
        assert!(!shown.masked);
    }

    #[test]
    fn a_rewritten_description_replaces_the_resident_text_and_is_masked_too() {
        let rewrite = Moderation::Rewritten("Afval naast de container; zie 06-12345678".into());
        let shown = public_text("Piet Klaassen zet zijn afval hier", None, Some(&rewrite));
        assert_eq!(shown.description.as_deref(), Some("Afval naast de container; zie [telefoonnummer verborgen]"));
        assert_eq!(shown.moderation, Some(ModerationKind::Rewritten));
        assert!(shown.masked);
    }

    #[test]
    fn a_rewrite_needs_a_text_and_hide_and_restore_take_none() {
        let change = check_change(ModerationAction::Rewrite, Some("  Afval  "), Some("naam"));
        assert_eq!(
            change,
            Ok(ModerationChange {
                moderation: Some(Moderation::Rewritten("Afval".into())),
                reason: Some("naam".into())
            })
        );
        let pointers = |result: Result<ModerationChange, Vec<FieldError>>| {
            result.err().unwrap_or_default().into_iter().map(|e| e.pointer).collect::<Vec<_>>()
        };
        assert_eq!(pointers(check_change(ModerationAction::Rewrite, None, None)), ["/text"]);
        assert_eq!(pointers(check_change(ModerationAction::Rewrite, Some(" "), None)), ["/text"]);
        assert_eq!(pointers(check_change(ModerationAction::Hide, Some("x"), None)), ["/text"]);
        assert_eq!(pointers(check_change(ModerationAction::Restore, None, Some(&"x".repeat(501)))), ["/reason"]);
        assert_eq!(
            check_change(ModerationAction::Restore, None, None),
            Ok(ModerationChange { moderation: None, reason: None })
        );
    }

    #[test]
    fn a_stored_moderation_reads_back() {
        assert_eq!(Moderation::from_stored(Some("hidden"), None), Some(Moderation::Hidden));
        assert_eq!(
            Moderation::from_stored(Some("rewritten"), Some("x".into())),
            Some(Moderation::Rewritten("x".into()))
        );
        assert_eq!(Moderation::from_stored(None, Some("x".into())), None);
        assert_eq!(Moderation::from_stored(Some("rewritten"), None), Some(Moderation::Hidden));
        assert_eq!(Moderation::from_stored(Some("other"), None), Some(Moderation::Hidden));
    }
}
