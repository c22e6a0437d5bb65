//! A stored subscription as the rest of the product sees it.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::{Channel, Contact};
use crate::domain::report::Language;

/// Where a subscription is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SubscriptionStatus {
    /// Waiting for the email confirmation or the webhook's echo.
    Pending,
    /// Receives messages.
    Active,
    /// Ended by the subscriber or because the push service dropped it; its contact is
    /// forgotten.
    Ended,
}

impl SubscriptionStatus {
    /// The stored and wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Active => "active",
            Self::Ended => "ended",
        }
    }

    /// Parses the stored name; `None` for anything else.
    pub fn parse(text: &str) -> Option<Self> {
        [Self::Pending, Self::Active, Self::Ended].into_iter().find(|s| s.as_str() == text)
    }
}

/// A subscription.
#[derive(Debug, Clone, PartialEq)]
pub struct Subscription {
    pub id: Uuid,
    pub channel: Channel,
    pub status: SubscriptionStatus,
    /// How to reach the subscriber; `None` once the subscription has ended.
    pub contact: Option<Contact>,
    pub language: Language,
    /// The targets as the subscriber sent them, shown back on the management link.
    pub targets: serde_json::Value,
    /// Where quick-question answers are counted.
    pub home_area: Option<String>,
    pub tags: Vec<String>,
    pub categories: Vec<String>,
    /// The challenge a pending webhook must echo.
    pub challenge: Option<String>,
    pub created_at: DateTime<Utc>,
    pub confirmed_at: Option<DateTime<Utc>>,
    pub ended_at: Option<DateTime<Utc>>,
}
