//! Prometheus metrics ([operations.md](../../docs/operations.md#metrics-and-alerts)): the
//! process's recorder (`metrics` with `metrics-exporter-prometheus`, which writes the text
//! format), the middleware that counts HTTP requests per route template and status, and
//! the scrape endpoint `GET /metrics`, served on a listener of its own (`metrics_listen`),
//! never beside the public API.
//!
//! Counters and histograms are recorded where things happen (here, in the intake writer, the
//! outbox worker, the scheduler, the map cache). Gauges of shared state (the outbox backlog
//! and dead letters, the last retention run) are read from the database when scraped: the
//! values are fresh, nothing runs when nobody scrapes, and the queries only read what waits
//! or was given up, through partial indexes (`crate::storage::dead_letters`). Gauges of the
//! process (pool use, intake queue) are read from memory at the same moment.

use std::sync::Mutex;
use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{Server, ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::{App, HttpResponse, HttpServer, web};
use chrono::{DateTime, Utc};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

use crate::intake::writer::IntakeWriter;
use crate::storage::Database;
use crate::storage::dead_letters::Backlog;
use crate::storage::retention::runs::RunLog;

/// Buckets of every `_seconds` histogram: 1 ms to 10 s.
const SECONDS: &[f64] = &[0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0];
/// Buckets of the intake batch size (reports per transaction).
const BATCH: &[f64] = &[1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0, 256.0, 512.0, 1024.0];
/// The channels and states every backlog gauge is written for, so a count that fell to
/// zero shows zero instead of its last value.
const CHANNELS: &[&str] = &["email", "webhook", "push"];
const QUEUES: &[&str] = &["outbox", "announcements"];
const RETENTION_OUTCOMES: &[&str] = &["running", "finished", "stopped", "failed", "interrupted"];

/// The process's recorder, installed on first use. The `metrics` facade has one recorder
/// per process, so every application built in a process (tests build many) shares it.
pub fn recorder() -> anyhow::Result<PrometheusHandle> {
    static HANDLE: Mutex<Option<PrometheusHandle>> = Mutex::new(None);
    let mut handle = HANDLE.lock().map_err(|_| anyhow::anyhow!("the metrics recorder lock is poisoned"))?;
    if let Some(handle) = handle.as_ref() {
        return Ok(handle.clone());
    }
    let installed = PrometheusBuilder::new()
        .set_buckets_for_metric(Matcher::Suffix("_seconds".into()), SECONDS)?
        .set_buckets_for_metric(Matcher::Full("meldpunt_intake_batch_size".into()), BATCH)?
        .install_recorder()?;
    describe();
    *handle = Some(installed.clone());
    Ok(installed)
}

/// The help text of every metric (docs/operations.md lists them too).
fn describe() {
    use metrics::{describe_counter, describe_gauge, describe_histogram};
    describe_counter!("meldpunt_http_requests_total", "HTTP requests answered, by method, route template and status");
    describe_histogram!(
        "meldpunt_http_request_duration_seconds",
        "Time to answer an HTTP request, by method, route template and status"
    );
    describe_gauge!("meldpunt_intake_queue_depth", "Reports waiting for an intake writer");
    describe_gauge!("meldpunt_intake_queue_capacity", "Reports that may wait before intake answers 503 (intake_queue)");
    describe_histogram!("meldpunt_intake_batch_size", "Reports committed together in one intake transaction");
    describe_histogram!("meldpunt_intake_commit_seconds", "Time to store one intake batch, by outcome");
    describe_counter!(
        "meldpunt_outbox_attempts_total",
        "Delivery attempts by this process's outbox worker, by queue, channel and outcome (sent, cancelled, retry, dead)"
    );
    describe_gauge!("meldpunt_outbox_messages", "Messages waiting (pending) or given up (dead), by queue and channel");
    describe_gauge!("meldpunt_outbox_oldest_pending_age_seconds", "Age of the oldest pending message, by queue");
    describe_gauge!("meldpunt_retention_last_run_timestamp_seconds", "When the latest retention run started");
    describe_gauge!(
        "meldpunt_retention_last_success_timestamp_seconds",
        "When the latest finished retention run ended"
    );
    describe_gauge!(
        "meldpunt_retention_last_run_outcome",
        "1 for the outcome of the latest retention run, 0 for the others"
    );
    describe_counter!("meldpunt_scheduler_runs_total", "Runs of this process's scheduler tasks, by task and outcome");
    describe_gauge!("meldpunt_scheduler_last_run_timestamp_seconds", "When a scheduler task last ran in this process");
    describe_gauge!(
        "meldpunt_scheduler_last_success_timestamp_seconds",
        "When a scheduler task last succeeded in this process"
    );
    describe_gauge!("meldpunt_db_pool_connections", "Open connections of a database pool");
    describe_gauge!("meldpunt_db_pool_idle_connections", "Idle connections of a database pool");
    describe_gauge!("meldpunt_db_pool_max_connections", "Most connections a database pool opens");
    describe_counter!(
        "meldpunt_map_cache_requests_total",
        "Map answers served from this process's cache (hit) or made (miss)"
    );
    describe_counter!("meldpunt_metrics_refresh_errors_total", "Scrapes whose database gauges could not be read");
}

/// Counts and times every request by method, route template (`match_pattern`, never the
/// path: ids would make a series per report) and status.
pub async fn count_requests(
    request: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let started = Instant::now();
    let method: &'static str = match request.method().as_str() {
        "GET" => "GET",
        "HEAD" => "HEAD",
        "POST" => "POST",
        "PUT" => "PUT",
        "PATCH" => "PATCH",
        "DELETE" => "DELETE",
        "OPTIONS" => "OPTIONS",
        _ => "other",
    };
    let route = request.match_pattern().unwrap_or_else(|| "unmatched".to_owned());
    let result = next.call(request).await;
    let status = match &result {
        Ok(response) => response.status(),
        Err(error) => error.as_response_error().status_code(),
    };
    let labels = [("method", method.to_owned()), ("route", route), ("status", status.as_str().to_owned())];
    metrics::counter!("meldpunt_http_requests_total", &labels).increment(1);
    metrics::histogram!("meldpunt_http_request_duration_seconds", &labels).record(started.elapsed().as_secs_f64());
    result
}

/// What a scrape reads besides the recorder.
#[derive(Clone)]
pub struct Sources {
    /// The database (backlog, dead letters, retention runs, pool use).
    pub db: Database,
    /// The intake writer of a server process (`None` in a worker).
    pub intake: Option<IntakeWriter>,
    /// The recorder's handle.
    pub handle: PrometheusHandle,
}

/// Serves `GET /metrics` (and nothing else) on `listener`, with one worker.
pub fn server(listener: std::net::TcpListener, sources: Sources) -> std::io::Result<Server> {
    let sources = web::Data::new(sources);
    Ok(HttpServer::new(move || App::new().app_data(sources.clone()).route("/metrics", web::get().to(scrape)))
        .listen(listener)?
        .workers(1)
        .shutdown_timeout(5)
        .run())
}

/// `GET /metrics`: refreshes the gauges and renders every metric in the Prometheus text
/// format.
async fn scrape(sources: web::Data<Sources>) -> HttpResponse {
    refresh(&sources).await;
    sources.handle.run_upkeep();
    HttpResponse::Ok().content_type("text/plain; version=0.0.4; charset=utf-8").body(sources.handle.render())
}

/// Seconds since the Unix epoch, as Prometheus timestamps are.
fn epoch_seconds(at: DateTime<Utc>) -> f64 {
    at.timestamp_micros() as f64 / 1e6
}

async fn refresh(sources: &Sources) {
    let (connections, idle, max) = sources.db.pool_use();
    metrics::gauge!("meldpunt_db_pool_connections", "pool" => "main").set(f64::from(connections));
    metrics::gauge!("meldpunt_db_pool_idle_connections", "pool" => "main").set(f64::from(idle));
    metrics::gauge!("meldpunt_db_pool_max_connections", "pool" => "main").set(f64::from(max));
    if let Some(intake) = &sources.intake {
        metrics::gauge!("meldpunt_intake_queue_depth").set(intake.queue_depth() as f64);
        metrics::gauge!("meldpunt_intake_queue_capacity").set(intake.queue_capacity() as f64);
    }
    let read = sources
        .db
        .run(|conn| -> Result<_, crate::storage::StorageError> {
            let backlog = crate::storage::dead_letters::backlog(conn)?;
            let latest = crate::storage::retention::runs::latest(conn, 1)?.into_iter().next();
            let finished = crate::storage::retention::runs::last_finished(conn)?;
            let events = crate::storage::event_delivery_log::backlog(conn)?;
            Ok((backlog, latest, finished, events))
        })
        .await;
    match read {
        Ok((backlog, latest, finished, events)) => {
            set_backlog(&backlog, Utc::now());
            // Report events to admins' endpoints: queue `events`, always webhooks.
            for state in ["pending", "dead"] {
                let n = events.iter().find(|(s, _)| s == state).map_or(0, |(_, n)| *n);
                metrics::gauge!("meldpunt_outbox_messages", "queue" => "events", "channel" => "webhook", "state" => state)
                    .set(n as f64);
            }
            set_retention(latest.as_ref(), finished.as_ref());
        }
        Err(error) => {
            tracing::warn!(%error, "metrics: cannot read the outbox backlog and retention runs");
            metrics::counter!("meldpunt_metrics_refresh_errors_total").increment(1);
        }
    }
}

fn set_backlog(backlog: &Backlog, now: DateTime<Utc>) {
    for queue in QUEUES {
        for channel in CHANNELS {
            for state in ["pending", "dead"] {
                let found = backlog
                    .counts
                    .iter()
                    .filter(|(q, c, s, _)| q == queue && c == channel && *s == state)
                    .map(|(.., n)| *n)
                    .sum::<i64>();
                metrics::gauge!("meldpunt_outbox_messages", "queue" => *queue, "channel" => *channel, "state" => state)
                    .set(found as f64);
            }
        }
    }
    for (queue, channel, state, n) in &backlog.counts {
        if !CHANNELS.contains(&channel.as_str()) {
            metrics::gauge!("meldpunt_outbox_messages", "queue" => *queue, "channel" => channel.clone(), "state" => *state)
                .set(*n as f64);
        }
    }
    let age = |oldest: Option<DateTime<Utc>>| oldest.map_or(0.0, |at| (now - at).as_seconds_f64().max(0.0));
    metrics::gauge!("meldpunt_outbox_oldest_pending_age_seconds", "queue" => "outbox").set(age(backlog.oldest_outbox));
    metrics::gauge!("meldpunt_outbox_oldest_pending_age_seconds", "queue" => "announcements")
        .set(age(backlog.oldest_delivery));
}

fn set_retention(latest: Option<&RunLog>, finished: Option<&RunLog>) {
    if let Some(run) = latest {
        metrics::gauge!("meldpunt_retention_last_run_timestamp_seconds").set(epoch_seconds(run.started_at));
        for outcome in RETENTION_OUTCOMES {
            let value = if run.outcome == *outcome { 1.0 } else { 0.0 };
            metrics::gauge!("meldpunt_retention_last_run_outcome", "outcome" => *outcome).set(value);
        }
    }
    if let Some(at) = finished.map(|run| run.finished_at.unwrap_or(run.started_at)) {
        metrics::gauge!("meldpunt_retention_last_success_timestamp_seconds").set(epoch_seconds(at));
    }
}
