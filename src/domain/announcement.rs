//! Announcements as the rest of the product sees them: their life cycle (draft, scheduled,
//! published, withdrawn), what they target, and their optional quick question. Pure: no
//! HTTP, no SQL.

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::domain::subscription::check_tags;
use crate::domain::validation::{FieldErrors, bounded_text};

/// Where an announcement is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AnnouncementStatus {
    /// Being written; only staff see it.
    Draft,
    /// To be published at `publish_at`.
    Scheduled,
    /// Public and delivered to subscribers.
    Published,
    /// Taken back: gone from public reading, pending deliveries cancelled.
    Withdrawn,
}

impl AnnouncementStatus {
    /// The stored and wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Draft => "draft",
            Self::Scheduled => "scheduled",
            Self::Published => "published",
            Self::Withdrawn => "withdrawn",
        }
    }

    /// Parses the stored name; `None` for anything else.
    pub fn parse(text: &str) -> Option<Self> {
        [Self::Draft, Self::Scheduled, Self::Published, Self::Withdrawn].into_iter().find(|s| s.as_str() == text)
    }

    /// Whether its content may still change and it may be published.
    pub fn is_editable(self) -> bool {
        matches!(self, Self::Draft | Self::Scheduled)
    }
}

impl std::fmt::Display for AnnouncementStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The quick question of an announcement: one tap on an option answers it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuickQuestion {
    pub text: String,
    /// The options, in the order shown (answers refer to them by 0-based position).
    pub options: Vec<String>,
}

/// An announcement.
#[derive(Debug, Clone, PartialEq)]
pub struct Announcement {
    pub id: Uuid,
    pub status: AnnouncementStatus,
    pub title: String,
    pub body: String,
    /// Area codes as staff gave them.
    pub areas: Vec<String>,
    /// The polygon as staff gave it (a GeoJSON geometry).
    pub polygon: Option<serde_json::Value>,
    pub tags: Vec<String>,
    pub valid_from: Option<DateTime<Utc>>,
    pub valid_until: Option<DateTime<Utc>>,
    pub question: Option<QuickQuestion>,
    /// When the quick question was closed by hand.
    pub question_closed_at: Option<DateTime<Utc>>,
    /// When a scheduled announcement is to be published.
    pub publish_at: Option<DateTime<Utc>>,
    pub published_at: Option<DateTime<Utc>>,
    pub withdrawn_at: Option<DateTime<Utc>>,
    /// Who wrote it (`admin` or `staff:<account id>`).
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Announcement {
    /// The quick question's options (empty without a question).
    pub fn options(&self) -> &[String] {
        self.question.as_ref().map_or(&[], |q| q.options.as_slice())
    }

    /// Whether the quick question takes answers at `now`: published, not closed by hand,
    /// and still valid.
    pub fn question_open(&self, now: DateTime<Utc>) -> bool {
        self.question.is_some()
            && self.status == AnnouncementStatus::Published
            && self.question_closed_at.is_none_or(|t| t > now)
            && self.valid_until.is_none_or(|t| t > now)
    }
}

/// A complete, checked announcement as it is stored: its text, what it targets, and the
/// finest area cells those targets cover.
#[derive(Debug, Clone)]
pub struct AnnouncementContent {
    pub title: String,
    pub body: String,
    /// Area codes as given.
    pub areas: Vec<String>,
    /// The polygon as given (GeoJSON geometry).
    pub polygon: Option<serde_json::Value>,
    pub tags: Vec<String>,
    pub valid_from: Option<DateTime<Utc>>,
    pub valid_until: Option<DateTime<Utc>>,
    /// Question text and options.
    pub question: Option<(String, Vec<String>)>,
    /// The cells the targets cover.
    pub cells: BTreeSet<String>,
}

/// What staff send for an announcement's text, before checking (its targets are checked
/// apart, as subscriptions' are).
#[derive(Debug, Clone, Copy)]
pub struct TextDraft<'a> {
    pub title: Option<&'a str>,
    pub body: Option<&'a str>,
    pub tags: &'a [String],
    pub valid_from: Option<DateTime<Utc>>,
    pub valid_until: Option<DateTime<Utc>>,
    /// Question text and options.
    pub question: Option<(&'a str, &'a [String])>,
}

/// An announcement's checked text, tags and quick question.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckedText {
    pub title: String,
    pub body: String,
    pub tags: Vec<String>,
    pub question: Option<(String, Vec<String>)>,
}

/// Longest title, in characters.
pub const TITLE_MAX: usize = 200;
/// Longest text, in characters.
pub const BODY_MAX: usize = 5000;
/// Longest quick question, in characters.
pub const QUESTION_MAX: usize = 300;
/// Longest answer option, in characters.
pub const OPTION_MAX: usize = 100;
/// How many answer options a quick question has.
pub const OPTIONS: std::ops::RangeInclusive<usize> = 2..=6;

/// Checks an announcement's text: a title and a body of bounded length, known tags, a
/// validity window that ends after it starts, and a quick question of 2 to 6 options.
/// `check_targets` checks what it targets, between the body and the tags, so problems are
/// listed in the order of the request's fields. Problems are recorded in `errors` under
/// JSON Pointers of the request; `None` when there is any.
pub fn check_text<T>(
    draft: &TextDraft<'_>,
    errors: &mut FieldErrors,
    check_targets: impl FnOnce(&mut FieldErrors) -> Option<T>,
) -> Option<(CheckedText, T)> {
    let title = match draft.title {
        Some(title) => errors.check("/title", bounded_text(title, "the title", TITLE_MAX)),
        None => {
            errors.add("/title", "a title is required (1-200 characters)");
            None
        }
    };
    let body = match draft.body {
        Some(body) => errors.check("/body", bounded_text(body, "the text", BODY_MAX)),
        None => {
            errors.add("/body", "a body text is required (1-5000 characters)");
            None
        }
    };
    let targets = check_targets(errors);
    let tags = errors.check("/tags", check_tags(draft.tags));
    if let (Some(from), Some(until)) = (draft.valid_from, draft.valid_until)
        && until <= from
    {
        errors.add("/valid_until", "valid_until must lie after valid_from");
    }
    let question = match draft.question {
        None => Some(None),
        Some((text, options)) => {
            let text = errors.check("/question/text", bounded_text(text, "the question", QUESTION_MAX));
            if !OPTIONS.contains(&options.len()) {
                errors.add("/question/options", "give 2 to 6 answer options");
            }
            let options: Vec<Option<String>> = options
                .iter()
                .enumerate()
                .map(|(i, o)| errors.check(&format!("/question/options/{i}"), bounded_text(o, "an option", OPTION_MAX)))
                .collect();
            text.zip(options.into_iter().collect::<Option<Vec<String>>>()).map(Some)
        }
    };
    let text = CheckedText { title: title?, body: body?, tags: tags?, question: question? };
    Some((text, targets?))
}
