//! What the outbox worker and the delivery of subscriber messages share: the worker's
//! settings and what became of a message. Below both, so neither module needs the other.

use std::time::Duration;

use crate::domain::message::Template;
use crate::notify::mail::MailError;
use crate::notify::templates::reports::RenderError;
use crate::notify::webhook::WebhookError;
use crate::notify::webpush::PushError;
use crate::storage::StorageError;

/// Settings of the worker.
#[derive(Debug, Clone)]
pub struct OutboxSettings {
    /// `smtp://…`; empty: write `.eml` files to `mail_dir`.
    pub smtp_url: String,
    /// Extra trusted certificates for the SMTP server (PEM file); empty: none.
    pub smtp_ca_file: String,
    /// Folder for `.eml` files.
    pub mail_dir: String,
    pub from: String,
    /// Base URL of follow links.
    pub public_url: String,
    /// Pause when nothing is due.
    pub poll: Duration,
    /// First retry delay; doubles per attempt (capped at one hour).
    pub retry_base: Duration,
    /// Attempts before a message is dead-lettered.
    pub max_attempts: i32,
    /// Webhooks may use plain http and private or loopback addresses (tests, closed networks).
    pub webhook_allow_insecure: bool,
    /// VAPID keys for Web Push; `None`: push is off.
    pub vapid: Option<crate::notify::webpush::VapidKeys>,
    /// Signs subscribers' management and answer links (the secret is loaded once, at start).
    pub links: crate::domain::subscription::LinkSigner,
    /// Messages claimed at a time.
    pub batch: usize,
    /// Messages sent at once (and the most pooled SMTP connections).
    pub concurrency: usize,
}

/// When to try again after a failed attempt (exponential backoff from `retry_base`,
/// doubling per attempt, at most one hour), or `None` once `max_attempts` is reached.
pub fn retry_at(settings: &OutboxSettings, failed_before: i32) -> Option<chrono::DateTime<chrono::Utc>> {
    let attempts = failed_before + 1;
    (attempts < settings.max_attempts).then(|| {
        let factor = 2u32.saturating_pow(u32::try_from(failed_before).unwrap_or(0).min(20));
        let delay = settings.retry_base.saturating_mul(factor).min(Duration::from_secs(3600));
        chrono::Utc::now() + chrono::Duration::from_std(delay).unwrap_or(chrono::Duration::hours(1))
    })
}

/// What became of a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Sent,
    /// Not to be sent any more.
    Cancelled,
}

/// Why a message was not delivered. The text is recorded with the attempt (after
/// redaction of addresses): it says what went wrong, never the recipient.
#[derive(Debug, thiserror::Error)]
pub enum DeliveryError {
    /// The claimed row cannot be read.
    #[error("the stored message cannot be read: {0}")]
    Unreadable(StorageError),
    /// Reading the subscription or announcement, or recording a change, failed.
    #[error(transparent)]
    Storage(#[from] StorageError),
    /// A blocking task did not finish.
    #[error("a background task failed: {0}")]
    Task(#[from] tokio::task::JoinError),
    /// The email to a reporter could not be rendered.
    #[error(transparent)]
    Render(#[from] RenderError),
    /// The mail transport refused or failed.
    #[error("{0}")]
    Mail(MailError),
    /// The webhook was not delivered.
    #[error(transparent)]
    Webhook(#[from] WebhookError),
    /// The push message was not delivered.
    #[error("{}", match .0 { PushError::Failed(why) => why.as_str(), PushError::Gone => "the push subscription is gone" })]
    Push(PushError),
    /// The push endpoint's host resolves to an address that is not public.
    #[error("push endpoint: {0}")]
    PushEndpoint(WebhookError),
    /// The push endpoint is not a public https address.
    #[error("the push endpoint is not a public https address")]
    PushEndpointNotPublic,
    /// No VAPID keys are configured.
    #[error("Web Push is not configured (vapid_private_key)")]
    PushNotConfigured,
    /// The webhook answered, but not with the challenge.
    #[error("the webhook did not echo the challenge")]
    ChallengeNotEchoed,
    /// A subscriber message without a subscription.
    #[error("no subscription")]
    NoSubscription,
    /// A reporter email queued for a subscriber.
    #[error("unknown subscriber template '{0}'")]
    NotForSubscribers(Template),
}

impl DeliveryError {
    /// What kind of failure this is, as a fixed word for operators (the dead-letter list,
    /// metrics): unlike the error text it never holds an address.
    pub fn class(&self) -> &'static str {
        use MailError as M;
        match self {
            Self::Unreadable(_) => "unreadable",
            Self::Storage(_) | Self::Task(_) => "internal",
            Self::Render(_) | Self::NotForSubscribers(_) => "template",
            Self::Mail(M::Recipient(_)) => "mail_recipient",
            Self::Mail(M::ConnectTimeout { .. } | M::Connect { .. } | M::NoDelay(_) | M::GreetingTimeout(_)) => {
                "mail_unreachable"
            }
            Self::Mail(M::Tls { .. } | M::StartTls { .. }) => "mail_tls",
            Self::Mail(M::SendTimeout(_) | M::Smtp(_)) => "mail_refused",
            Self::Mail(
                M::Folder { .. }
                | M::FolderWrite(_)
                | M::Message(_)
                | M::CaFileUnreadable { .. }
                | M::CaFileNotPem { .. }
                | M::CaFileInvalid { .. }
                | M::Url(_),
            ) => "mail_setup",
            Self::Webhook(WebhookError::Status(_)) => "webhook_status",
            Self::Webhook(_) => "webhook_unreachable",
            Self::ChallengeNotEchoed => "webhook_challenge",
            Self::Push(PushError::Gone) => "push_gone",
            Self::Push(PushError::Failed(_)) => "push_failed",
            Self::PushEndpoint(_) | Self::PushEndpointNotPublic => "push_endpoint",
            Self::PushNotConfigured => "push_not_configured",
            Self::NoSubscription => "no_subscription",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failure_class_is_a_fixed_word_that_never_holds_an_address() {
        let refused = DeliveryError::Mail(MailError::Connect {
            host: "smtp.example.org".into(),
            port: 25,
            error: std::io::Error::from(std::io::ErrorKind::ConnectionRefused),
        });
        assert_eq!(refused.class(), "mail_unreachable");
        assert_eq!(DeliveryError::Webhook(WebhookError::Status(503)).class(), "webhook_status");
        assert_eq!(DeliveryError::Push(PushError::Gone).class(), "push_gone");
        assert_eq!(DeliveryError::ChallengeNotEchoed.class(), "webhook_challenge");
        let text = DeliveryError::Push(PushError::Failed("jan@example.nl".into()));
        assert!(text.to_string().contains('@') && !text.class().contains('@'));
    }
}
