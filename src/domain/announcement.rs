//! Announcements as the rest of the product sees them: their life cycle (draft, scheduled,
//! published, withdrawn), what they target, and their optional quick question. Pure: no
//! HTTP, no SQL.

use chrono::{DateTime, Utc};
use uuid::Uuid;

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
