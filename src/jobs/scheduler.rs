//! Publishes scheduled announcements when their time comes, and queues alerts about new
//! public reports for subscribers of their categories. Every process runs it: the state
//! change from `scheduled` to `published` (a conditional update inside the fan-out
//! transaction) decides which one fans out, and the alert cursor is advanced in the
//! transaction that queues the alerts (SQLite: one writer; PostgreSQL: the cursor row's
//! lock), so several processes never send twice.

use std::sync::Weak;
use std::time::Duration;

use crate::storage::Database;

/// Starts the publisher thread; it stops when `alive` can no longer be upgraded.
pub fn start<T: Send + Sync + 'static>(db: Database, every: Duration, alive: Weak<T>) -> anyhow::Result<()> {
    std::thread::Builder::new().name("announcements".into()).spawn(move || {
        while alive.strong_count() > 0 {
            let published = db
                .conn()
                .and_then(|mut conn| crate::storage::announcements::publish_due(&mut conn, chrono::Utc::now()));
            if let Err(error) = &published {
                tracing::warn!(%error, "scheduled announcements: cannot publish");
            }
            record_run("publish", published.is_ok());
            let alerted = db.conn().and_then(|mut conn| {
                crate::storage::report_alerts::advance(&mut conn, chrono::Utc::now(), chrono::Duration::seconds(2))
            });
            if let Err(error) = &alerted {
                tracing::warn!(%error, "report alerts: cannot queue");
            }
            record_run("report_alerts", alerted.is_ok());
            std::thread::sleep(every);
        }
    })?;
    Ok(())
}

/// Records a scheduler task's run for the metrics (a no-op without `metrics_listen`): when it
/// last ran, and how often it succeeded or failed.
fn record_run(task: &'static str, ok: bool) {
    let outcome = if ok { "ok" } else { "error" };
    metrics::counter!("meldpunt_scheduler_runs_total", "task" => task, "outcome" => outcome).increment(1);
    let now = chrono::Utc::now().timestamp_micros() as f64 / 1e6;
    metrics::gauge!("meldpunt_scheduler_last_run_timestamp_seconds", "task" => task).set(now);
    if ok {
        metrics::gauge!("meldpunt_scheduler_last_success_timestamp_seconds", "task" => task).set(now);
    }
}
