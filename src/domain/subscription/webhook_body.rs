//! What a subscriber's webhook receives (docs/api-guide.md, subscriptions): the challenge
//! that activates it, announcements, and alerts of new reports in its area. One set of types
//! for what is sent and what the OpenAPI document's `webhooks` describe.

use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

/// The `type` of a challenge.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ChallengeType {
    Challenge,
}

/// The first POST to a new webhook: it is active once it answers with the challenge (as
/// the plain body, or as `{"challenge": "…"}`).
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
#[schema(as = SubscriberChallenge)]
pub struct ChallengeBody {
    #[serde(rename = "type")]
    #[schema(inline)]
    pub kind: ChallengeType,
    pub challenge: String,
    pub subscription_id: Uuid,
}

/// The `type` of an announcement.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AnnouncementType {
    Announcement,
}

/// One option of a quick question with its signed one-tap answer link (a POST records the
/// answer; a GET shows a page with a button).
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
#[schema(as = SubscriberAnswerOption)]
pub struct AnswerOption {
    pub text: String,
    pub answer_url: String,
}

/// An announcement's quick question.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
#[schema(as = SubscriberQuickQuestion)]
pub struct QuickQuestion {
    pub text: String,
    pub options: Vec<AnswerOption>,
}

/// A published announcement for the subscriber's area.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
#[schema(as = SubscriberAnnouncement)]
pub struct AnnouncementBody {
    #[serde(rename = "type")]
    #[schema(inline)]
    pub kind: AnnouncementType,
    pub id: Uuid,
    pub title: String,
    pub body: String,
    pub tags: Vec<String>,
    #[schema(required = true)]
    pub valid_from: Option<DateTime<Utc>>,
    #[schema(required = true)]
    pub valid_until: Option<DateTime<Utc>>,
    #[schema(required = true)]
    pub question: Option<QuickQuestion>,
    /// The subscription's private management link.
    pub manage_url: String,
    /// One-click unsubscribe: a POST ends the subscription.
    pub unsubscribe_url: String,
}

/// The `type` of a report alert.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ReportAlertType {
    Report,
}

/// A new report in the subscriber's area (for subscriptions that asked for reports).
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
#[schema(as = SubscriberReportAlert)]
pub struct ReportAlertBody {
    #[serde(rename = "type")]
    #[schema(inline)]
    pub kind: ReportAlertType,
    pub reference: String,
    /// The slug of the report's category.
    pub category: String,
    /// The report's public page.
    pub url: String,
    pub manage_url: String,
    /// Not in push messages, which have no room for it.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub unsubscribe_url: Option<String>,
}
