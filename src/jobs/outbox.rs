//! The outbox worker: a thread with its own Tokio runtime (lettre's async transport lives
//! in it) that claims due messages, renders and sends them, and retries failures with
//! exponential backoff until a limit, after which the message is dead-lettered.

use std::sync::Weak;
use std::time::Duration;

use chrono::Utc;
use lettre::message::Mailbox;

use super::subscribers::Outcome;
use crate::notify::mail::Mailer;
use crate::notify::templates::render;
use crate::storage::Database;
use crate::storage::outbox::{self, OutboxMessage};

/// Settings of the worker.
#[derive(Debug, Clone)]
pub struct OutboxSettings {
    /// `smtp://…`; empty: write `.eml` files to `mail_dir`.
    pub smtp_url: String,
    /// Folder for `.eml` files.
    pub mail_dir: String,
    /// Sender.
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
}

/// Starts the worker thread. It stops when `alive` can no longer be upgraded.
pub fn start<T: Send + Sync + 'static>(db: Database, settings: OutboxSettings, alive: Weak<T>) -> anyhow::Result<()> {
    let from: Mailbox =
        settings.from.parse().map_err(|e| anyhow::anyhow!("MELDPUNT_MAIL_FROM is not a mail address: {e}"))?;
    if settings.smtp_url.trim().is_empty() {
        tracing::info!(folder = %settings.mail_dir, "no MELDPUNT_SMTP_URL: emails are written as .eml files to this folder");
    } else {
        tracing::info!("emails are sent through the configured SMTP server");
    }
    std::thread::Builder::new().name("outbox".into()).spawn(move || {
        let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
            Ok(runtime) => runtime,
            Err(error) => {
                tracing::error!(%error, "the outbox worker cannot start");
                return;
            }
        };
        runtime.block_on(run(db, settings, from, alive));
    })?;
    Ok(())
}

async fn run<T>(db: Database, settings: OutboxSettings, from: Mailbox, alive: Weak<T>) {
    let mailer = match Mailer::new(&settings.smtp_url, &settings.mail_dir) {
        Ok(mailer) => mailer,
        Err(error) => {
            tracing::error!(%error, "the outbox worker cannot send mail");
            return;
        }
    };
    while alive.strong_count() > 0 {
        let claimed = {
            let db = db.clone();
            tokio::task::spawn_blocking(move || {
                outbox::claim(&mut *db.conn()?, Utc::now(), chrono::Duration::minutes(5), 20)
            })
            .await
        };
        let messages = match claimed {
            Ok(Ok(messages)) => messages,
            Ok(Err(error)) => {
                tracing::warn!(%error, "outbox: cannot claim messages");
                Vec::new()
            }
            Err(error) => {
                tracing::warn!(%error, "outbox: claim task failed");
                Vec::new()
            }
        };
        if messages.is_empty() {
            tokio::time::sleep(settings.poll).await;
            continue;
        }
        for message in messages {
            deliver(&db, &settings, &mailer, &from, message).await;
        }
    }
}

async fn deliver(db: &Database, settings: &OutboxSettings, mailer: &Mailer, from: &Mailbox, message: OutboxMessage) {
    // Messages to subscribers (any channel) read their address when sent; reporter emails
    // carry theirs.
    let result = if message.subscription_id.is_some() {
        super::subscribers::deliver(db, settings, mailer, from, &message).await
    } else {
        match render(&message.template, message.language, &message.params, &settings.public_url) {
            Ok(email) => mailer.send(from, &message.recipient, &email).await.map(|()| Outcome::Sent),
            Err(error) => Err(error),
        }
    };
    let id = message.id;
    let attempts = message.attempts + 1;
    let outcome = match &result {
        Ok(Outcome::Sent) => None,
        Ok(Outcome::Cancelled) => Some((String::new(), None, true)),
        Err(error) => {
            let retry_at = (attempts < settings.max_attempts).then(|| {
                let factor = 2u32.saturating_pow(u32::try_from(message.attempts).unwrap_or(0).min(20));
                let delay = settings.retry_base.saturating_mul(factor).min(Duration::from_secs(3600));
                Utc::now() + chrono::Duration::from_std(delay).unwrap_or(chrono::Duration::hours(1))
            });
            // SMTP servers may echo the recipient's address in their answer: never log it.
            let error = redact(error);
            if retry_at.is_some() {
                tracing::warn!(message_id = %id, attempts, %error, "outbox: delivery failed; will retry");
            } else {
                tracing::error!(message_id = %id, attempts, %error, "outbox: delivery failed; dead-lettered");
            }
            Some((error, retry_at, false))
        }
    };
    let db = db.clone();
    let stored = tokio::task::spawn_blocking(move || -> Result<(), crate::storage::StorageError> {
        let mut conn = db.conn()?;
        match outcome {
            None => outbox::mark_sent(&mut conn, id),
            Some((_, _, true)) => outbox::mark_cancelled(&mut conn, id),
            Some((error, retry_at, false)) => outbox::mark_failed(&mut conn, id, &error, retry_at),
        }
    })
    .await;
    match stored {
        Ok(Ok(())) => tracing::debug!(message_id = %id, "outbox: message handled"),
        Ok(Err(error)) => tracing::warn!(message_id = %id, %error, "outbox: cannot record the delivery"),
        Err(error) => tracing::warn!(message_id = %id, %error, "outbox: record task failed"),
    }
}

/// `text` with every word that looks like an email address replaced.
fn redact(text: &str) -> String {
    text.split(' ').map(|word| if word.contains('@') { "[address]" } else { word }).collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    #[test]
    fn addresses_in_smtp_errors_are_redacted() {
        assert_eq!(super::redact("550 <jan@example.nl>: rejected"), "550 [address] rejected");
    }
}
