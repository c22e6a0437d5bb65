//! Messages waiting in the outbox: which text they carry (the template), to whom, on which
//! channel. Pure: no HTTP, no SQL.

use uuid::Uuid;

use super::report::Language;
use super::subscription::Channel;

/// Which text a message carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Template {
    /// To a reporter: the report was received, with a follow link.
    Confirmation,
    /// To a reporter or supporter: the report's status changed or it got a public note.
    StatusChanged,
    /// To a new email subscriber: the double opt-in link.
    SubscriptionConfirm,
    /// To a new supporter ("me too") with an email address: the double opt-in link.
    SupportConfirm,
    /// To a resident who asked what meldpunt holds about their address: the access link.
    AccessLink,
    /// To a new webhook: the challenge it must echo.
    WebhookChallenge,
    /// To a subscriber: a published announcement.
    Announcement,
    /// To a subscriber: a new report in their area.
    ReportAlert,
}

impl Template {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Confirmation => "confirmation",
            Self::StatusChanged => "status_changed",
            Self::SubscriptionConfirm => "subscription_confirm",
            Self::SupportConfirm => "support_confirm",
            Self::AccessLink => "access_link",
            Self::WebhookChallenge => "webhook_challenge",
            Self::Announcement => "announcement",
            Self::ReportAlert => "report_alert",
        }
    }

    /// Parses the stored name; `None` for anything else.
    pub fn parse(text: &str) -> Option<Self> {
        [
            Self::Confirmation,
            Self::StatusChanged,
            Self::SubscriptionConfirm,
            Self::SupportConfirm,
            Self::AccessLink,
            Self::WebhookChallenge,
            Self::Announcement,
            Self::ReportAlert,
        ]
        .into_iter()
        .find(|t| t.as_str() == text)
    }
}

impl std::fmt::Display for Template {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An announcement delivery: (announcement number, subscription number).
pub type DeliveryKey = (i64, i64);

/// Which stored message this is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MessageKey {
    /// A message of the outbox.
    Outbox(Uuid),
    /// An announcement delivery.
    Delivery(DeliveryKey),
}

impl std::fmt::Display for MessageKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Outbox(id) => write!(f, "{id}"),
            Self::Delivery((announcement, subscription)) => {
                write!(f, "announcement {announcement} to subscription {subscription}")
            }
        }
    }
}

/// A message to deliver.
#[derive(Debug, Clone)]
pub struct OutboxMessage {
    pub id: MessageKey,
    /// The address of a reporter email; empty for subscriber messages (their address is
    /// read from the subscription when sending).
    pub recipient: String,
    pub language: Language,
    pub template: Template,
    /// What the template fills in.
    pub params: serde_json::Value,
    /// Failed attempts so far.
    pub attempts: i32,
    pub channel: Channel,
    /// The subscription it goes to.
    pub subscription_id: Option<Uuid>,
    /// The announcement it delivers.
    pub announcement_id: Option<Uuid>,
}
