//! The worker that delivers report events to admins' endpoints: a thread with its own Tokio
//! runtime that claims due deliveries (only the head of each endpoint's queue per report,
//! see `storage::event_deliveries`), reads each report as it is now, signs the body with the
//! endpoint's secret (`Meldpunt-Signature`, as subscriber webhooks), POSTs it, and records
//! the outcome: delivered, retried with exponential backoff (`outbox_retry_ms` doubling,
//! at most one hour), or dead after `outbox_max_attempts`. Several workers may run against
//! one database, as for the outbox.

use std::collections::HashMap;
use std::sync::Weak;

use chrono::Utc;
use futures_util::StreamExt;
use uuid::Uuid;

use super::delivery::{DeliveryError, OutboxSettings, retry_at};
use crate::domain::category::Catalog;
use crate::domain::subscription::WebhookUrl;
use crate::notify::webhook;
use crate::storage::Database;
use crate::storage::event_deliveries::{self, ClaimedEvent};
use crate::storage::event_endpoints::{self, Endpoint};

/// Starts the worker thread; it stops when `alive` can no longer be upgraded, after
/// recording the batch in hand.
pub fn start<T: Send + Sync + 'static>(
    db: Database,
    settings: OutboxSettings,
    alive: Weak<T>,
) -> anyhow::Result<std::thread::JoinHandle<()>> {
    let handle = std::thread::Builder::new().name("report-events".into()).spawn(move || {
        let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
            Ok(runtime) => runtime,
            Err(error) => {
                tracing::error!(%error, "the report-event worker cannot start");
                return;
            }
        };
        runtime.block_on(run(db, settings, alive));
    })?;
    Ok(handle)
}

/// What became of one attempt.
enum Record {
    Delivered { contact: bool },
    Failed { error: String, class: &'static str, retry_at: Option<chrono::DateTime<Utc>> },
}

/// A claim leases the batch long enough for every send to run into the 10 s timeout.
fn lease(settings: &OutboxSettings) -> chrono::Duration {
    let rounds = settings.batch.div_ceil(settings.concurrency.max(1));
    chrono::Duration::seconds(i64::try_from(rounds).unwrap_or(i64::MAX / 60).saturating_mul(15).max(120))
}

async fn run<T>(db: Database, settings: OutboxSettings, alive: Weak<T>) {
    let lease = lease(&settings);
    let limit = i64::try_from(settings.batch.max(1)).unwrap_or(i64::MAX);
    while alive.strong_count() > 0 {
        let claimed = {
            let db = db.clone();
            tokio::task::spawn_blocking(move || -> Result<_, crate::storage::StorageError> {
                let mut conn = db.conn()?;
                let claimed = event_deliveries::claim(&mut conn, Utc::now(), lease, limit)?;
                if claimed.is_empty() {
                    return Ok(None);
                }
                let endpoints: HashMap<Uuid, Endpoint> =
                    event_endpoints::list(&mut conn)?.into_iter().map(|e| (e.id, e)).collect();
                let catalog = crate::storage::catalog::load(&mut conn)?;
                Ok(Some((claimed, endpoints, catalog)))
            })
            .await
        };
        let (claimed, endpoints, catalog) = match claimed {
            Ok(Ok(Some(batch))) => batch,
            Ok(Ok(None)) => {
                tokio::time::sleep(settings.poll).await;
                continue;
            }
            Ok(Err(error)) => {
                tracing::warn!(%error, "report events: cannot claim deliveries");
                tokio::time::sleep(settings.poll).await;
                continue;
            }
            Err(error) => {
                tracing::warn!(%error, "report events: claim task failed");
                tokio::time::sleep(settings.poll).await;
                continue;
            }
        };
        let outcomes: Vec<(i64, Record)> = futures_util::stream::iter(claimed)
            .map(|event| attempt(&db, &settings, &endpoints, &catalog, event))
            .buffer_unordered(settings.concurrency.max(1))
            .collect()
            .await;
        record(db.clone(), outcomes).await;
    }
}

/// Sends one delivery and says what to record.
async fn attempt(
    db: &Database,
    settings: &OutboxSettings,
    endpoints: &HashMap<Uuid, Endpoint>,
    catalog: &Catalog,
    event: ClaimedEvent,
) -> (i64, Record) {
    let id = event.delivery_id;
    let attempts = event.attempts;
    let record = match send(db, settings, endpoints, catalog, event).await {
        Ok(contact) => Record::Delivered { contact },
        Err(error) => {
            let retry_at = retry_at(settings, attempts);
            let class = error.class();
            // Webhook errors never hold the URL; the report's data is not in them either.
            let text = error.to_string();
            if retry_at.is_some() {
                tracing::warn!(delivery_id = id, attempts = attempts + 1, class, error = %text, "report event not delivered; will retry");
            } else {
                tracing::error!(delivery_id = id, attempts = attempts + 1, class, error = %text, "report event not delivered; dead");
            }
            Record::Failed { error: text, class, retry_at }
        }
    };
    let outcome = match &record {
        Record::Delivered { .. } => "sent",
        Record::Failed { retry_at: Some(_), .. } => "retry",
        Record::Failed { retry_at: None, .. } => "dead",
    };
    metrics::counter!("meldpunt_outbox_attempts_total", "queue" => "events", "channel" => "webhook", "outcome" => outcome)
        .increment(1);
    (id, record)
}

/// Builds and POSTs the body; returns whether it carried the reporter's contact.
async fn send(
    db: &Database,
    settings: &OutboxSettings,
    endpoints: &HashMap<Uuid, Endpoint>,
    catalog: &Catalog,
    event: ClaimedEvent,
) -> Result<bool, DeliveryError> {
    let endpoint = endpoints.get(&event.endpoint_id).ok_or(DeliveryError::NoSubscription)?;
    let allowed_by = endpoint.contact_allowed_by.filter(|_| endpoint.include_reporter_contact);
    let report_id = event.report_id;
    let (report, contact) = {
        let db = db.clone();
        tokio::task::spawn_blocking(move || -> Result<_, crate::storage::StorageError> {
            let mut conn = db.conn()?;
            let report = crate::storage::reports::by_id(&mut conn, report_id)?;
            let contact = match (&report, allowed_by) {
                (Some(_), Some(account)) => event_deliveries::contact_for_delivery(&mut conn, report_id, account)?,
                _ => None,
            };
            Ok((report, contact))
        })
        .await??
    };
    let report = report.ok_or(DeliveryError::NoSubscription)?;
    let body = super::event_payload::body(&event, &report, catalog, contact.as_ref()).map_err(|e| {
        DeliveryError::Unreadable(crate::storage::StorageError::corrupt("report_events", "data", e.to_string()))
    })?;
    let url = WebhookUrl::parse(&endpoint.url, settings.webhook_allow_insecure)
        .map_err(|_| DeliveryError::Webhook(webhook::WebhookError::NotHttps))?;
    let secrets = endpoint.signing_secrets(chrono::Utc::now());
    webhook::post_signed(&url, &secrets, &body, settings.webhook_allow_insecure).await?;
    Ok(contact.is_some())
}

/// Records a batch's outcomes. A delivery whose outcome cannot be recorded is tried again
/// when its lease ends (at least once).
async fn record(db: Database, outcomes: Vec<(i64, Record)>) {
    let stored = tokio::task::spawn_blocking(move || -> Result<(), crate::storage::StorageError> {
        let mut conn = db.conn()?;
        for (id, record) in outcomes {
            let done = match record {
                Record::Delivered { contact } => event_deliveries::mark_delivered(&mut conn, id, contact),
                Record::Failed { error, class, retry_at } => {
                    event_deliveries::mark_failed(&mut conn, id, &error, class, retry_at)
                }
            };
            if let Err(error) = done {
                tracing::warn!(delivery_id = id, %error, "report events: cannot record an outcome");
            }
        }
        Ok(())
    })
    .await;
    match stored {
        Ok(Ok(())) => {}
        Ok(Err(error)) => tracing::warn!(%error, "report events: cannot record outcomes"),
        Err(error) => tracing::warn!(%error, "report events: record task failed"),
    }
}
