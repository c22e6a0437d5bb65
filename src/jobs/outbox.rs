//! The outbox worker: a thread with its own Tokio runtime (lettre's async transport lives
//! in it) that claims a batch of due messages, renders and sends them side by side over
//! pooled SMTP connections (and webhook / push clients), records the delivered ones in one
//! transaction, and retries failures with exponential backoff until a limit, after which
//! the message is dead-lettered. Several workers (threads or `meldpunt worker` processes)
//! may run against one database: claims are leases, taken with `FOR UPDATE SKIP LOCKED` on
//! PostgreSQL.

use std::sync::Weak;

use chrono::Utc;
use futures_util::StreamExt;
use lettre::message::Mailbox;

pub use super::delivery::OutboxSettings;
use super::delivery::{DeliveryError, Outcome};
use crate::notify::mail::Mailer;
use crate::notify::templates::render;
use crate::storage::Database;
use crate::storage::outbox::{self, Claimed, MessageKey};

/// Starts the worker thread. It stops when `alive` can no longer be upgraded, after
/// recording the outcome of the batch in hand; join the handle to wait for that.
pub fn start<T: Send + Sync + 'static>(
    db: Database,
    settings: OutboxSettings,
    alive: Weak<T>,
) -> anyhow::Result<std::thread::JoinHandle<()>> {
    let from: Mailbox =
        settings.from.parse().map_err(|e| anyhow::anyhow!("MELDPUNT_MAIL_FROM is not a mail address: {e}"))?;
    if settings.smtp_url.trim().is_empty() {
        tracing::info!(folder = %settings.mail_dir, "no MELDPUNT_SMTP_URL: emails are written as .eml files to this folder");
    } else {
        tracing::info!(
            batch = settings.batch,
            concurrency = settings.concurrency,
            "emails are sent through the configured SMTP server"
        );
    }
    let handle = std::thread::Builder::new().name("outbox".into()).spawn(move || {
        let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
            Ok(runtime) => runtime,
            Err(error) => {
                tracing::error!(%error, "the outbox worker cannot start");
                return;
            }
        };
        runtime.block_on(run(db, settings, from, alive));
    })?;
    Ok(handle)
}

/// What to record about one message after an attempt.
enum Record {
    Sent,
    Cancelled,
    Failed { error: String, class: &'static str, retry_at: Option<chrono::DateTime<Utc>> },
}

impl Record {
    /// The outcome as the metric `meldpunt_outbox_attempts_total` names it.
    fn outcome(&self) -> &'static str {
        match self {
            Record::Sent => "sent",
            Record::Cancelled => "cancelled",
            Record::Failed { retry_at: Some(_), .. } => "retry",
            Record::Failed { retry_at: None, .. } => "dead",
        }
    }
}

/// Counts an attempt's outcome per queue and channel (a no-op without `metrics_listen`).
fn count_attempt(id: MessageKey, channel: &'static str, record: &Record) {
    let queue = match id {
        MessageKey::Outbox(_) => "outbox",
        MessageKey::Delivery(_) => "announcements",
    };
    metrics::counter!("meldpunt_outbox_attempts_total", "queue" => queue, "channel" => channel, "outcome" => record.outcome())
        .increment(1);
}

/// How long a claim keeps a batch from other workers: long enough to send the whole batch
/// even if every send runs into the SMTP timeout, so no other worker sends it twice.
fn lease_for(settings: &OutboxSettings) -> chrono::Duration {
    let rounds = settings.batch.div_ceil(settings.concurrency.max(1));
    let worst = i64::try_from(rounds).unwrap_or(i64::MAX / 60).saturating_mul(30);
    chrono::Duration::seconds(worst.max(300))
}

async fn run<T>(db: Database, settings: OutboxSettings, from: Mailbox, alive: Weak<T>) {
    let concurrency = settings.concurrency.max(1);
    let connections = u32::try_from(concurrency).unwrap_or(u32::MAX);
    let mailer = match Mailer::with_pool(&settings.smtp_url, &settings.mail_dir, connections, &settings.smtp_ca_file) {
        Ok(mailer) => mailer,
        Err(error) => {
            tracing::error!(%error, "the outbox worker cannot send mail");
            return;
        }
    };
    let lease = lease_for(&settings);
    let limit = i64::try_from(settings.batch.max(1)).unwrap_or(i64::MAX);
    // The previous batch's outcomes are recorded while the next batch is claimed and sent.
    let mut recording: Option<tokio::task::JoinHandle<()>> = None;
    while alive.strong_count() > 0 {
        let claimed = {
            let db = db.clone();
            tokio::task::spawn_blocking(move || outbox::claim(&mut *db.conn()?, Utc::now(), lease, limit)).await
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
            finish(recording.take()).await;
            tokio::time::sleep(settings.poll).await;
            continue;
        }
        // Every channel's sends run side by side, at most `concurrency` at once.
        let outcomes: Vec<(MessageKey, Record)> = futures_util::stream::iter(messages)
            .map(|message| attempt(&db, &settings, &mailer, &from, message))
            .buffer_unordered(concurrency)
            .collect()
            .await;
        finish(recording.take()).await;
        recording = Some(tokio::spawn(record(db.clone(), outcomes)));
    }
    finish(recording.take()).await;
}

/// Waits for a batch's outcomes to be recorded.
async fn finish(recording: Option<tokio::task::JoinHandle<()>>) {
    if let Some(recording) = recording
        && let Err(error) = recording.await
    {
        tracing::warn!(%error, "outbox: record task failed");
    }
}

/// Sends one message and says what to record.
async fn attempt(
    db: &Database,
    settings: &OutboxSettings,
    mailer: &Mailer,
    from: &Mailbox,
    claimed: Claimed,
) -> (MessageKey, Record) {
    let message = match claimed {
        Ok(message) => message,
        Err(unreadable) => {
            let error = DeliveryError::Unreadable(unreadable.error);
            let record = failure(settings, unreadable.id, unreadable.attempts, &error);
            count_attempt(unreadable.id, "unknown", &record);
            return (unreadable.id, record);
        }
    };
    // Messages to subscribers (any channel) read their address when sent; reporter emails
    // carry theirs.
    let result = if message.subscription_id.is_some() {
        super::subscriber_messages::deliver(db, settings, mailer, from, &message).await
    } else if matches!(message.id, MessageKey::Delivery(_)) {
        // An announcement delivery whose subscription no longer exists.
        Ok(Outcome::Cancelled)
    } else {
        let params = with_survey_token(&message.params, &settings.links);
        match render(message.template.as_str(), message.language, &params, &settings.public_url) {
            Ok(email) => {
                mailer.send(from, &message.recipient, &email).await.map(|()| Outcome::Sent).map_err(DeliveryError::Mail)
            }
            Err(error) => Err(error.into()),
        }
    };
    let id = message.id;
    let record = match &result {
        Ok(Outcome::Sent) => Record::Sent,
        Ok(Outcome::Cancelled) => Record::Cancelled,
        Err(error) => failure(settings, id, message.attempts, error),
    };
    count_attempt(id, message.channel.as_str(), &record);
    (id, record)
}

/// The parameters with the signed survey token added when they name a survey: the token
/// is signed here, when the email is sent, so that the outbox never holds it.
fn with_survey_token(params: &serde_json::Value, links: &crate::domain::subscription::LinkSigner) -> serde_json::Value {
    let mut params = params.clone();
    let survey = params.get("survey_id").and_then(|v| v.as_str()).and_then(|id| uuid::Uuid::try_parse(id).ok());
    if let (Some(survey), Some(map)) = (survey, params.as_object_mut()) {
        map.insert("survey_token".into(), serde_json::Value::String(links.survey_token(survey)));
    }
    params
}

/// What to record about a failed attempt: retried with exponential backoff, or
/// dead-lettered once `max_attempts` is reached.
fn failure(settings: &OutboxSettings, id: MessageKey, failed_before: i32, error: &DeliveryError) -> Record {
    let attempts = failed_before + 1;
    let retry_at = super::delivery::retry_at(settings, failed_before);
    let class = error.class();
    // SMTP servers may echo the recipient's address in their answer: never log it.
    let error = redact(&error.to_string());
    if retry_at.is_some() {
        tracing::warn!(message_id = %id, attempts, class, %error, "outbox: delivery failed; will retry");
    } else {
        tracing::error!(message_id = %id, attempts, class, %error, "outbox: delivery failed; dead-lettered");
    }
    Record::Failed { error, class, retry_at }
}

/// Records a batch's outcomes: the delivered ones in one transaction, the cancelled ones in
/// another, each failure on its own (its attempt count and retry time are its own). A
/// message whose outcome cannot be recorded is tried again when its lease ends
/// (at-least-once).
async fn record(db: Database, outcomes: Vec<(MessageKey, Record)>) {
    let stored = tokio::task::spawn_blocking(move || {
        let mut sent = Vec::new();
        let mut cancelled = Vec::new();
        let mut failed = Vec::new();
        for (id, record) in outcomes {
            match record {
                Record::Sent => sent.push(id),
                Record::Cancelled => cancelled.push(id),
                Record::Failed { error, class, retry_at } => failed.push((id, error, class, retry_at)),
            }
        }
        let mut conn = match db.conn() {
            Ok(conn) => conn,
            Err(error) => {
                tracing::warn!(%error, "outbox: cannot record deliveries");
                return;
            }
        };
        if !sent.is_empty() {
            match outbox::mark_sent_many(&mut conn, &sent) {
                Ok(()) => tracing::debug!(count = sent.len(), "outbox: messages delivered"),
                Err(error) => tracing::warn!(count = sent.len(), %error, "outbox: cannot record deliveries"),
            }
        }
        if !cancelled.is_empty()
            && let Err(error) = outbox::mark_cancelled_many(&mut conn, &cancelled)
        {
            tracing::warn!(count = cancelled.len(), %error, "outbox: cannot record cancelled messages");
        }
        for (id, error, class, retry_at) in failed {
            if let Err(error) = outbox::mark_failed(&mut conn, id, &error, class, retry_at) {
                tracing::warn!(message_id = %id, %error, "outbox: cannot record the failed attempt");
            }
        }
    })
    .await;
    if let Err(error) = stored {
        tracing::warn!(%error, "outbox: record task failed");
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
