//! `meldpunt worker` killed with SIGKILL while it delivers to a real SMTP server: after a
//! restart every message is delivered, and delivery is at least once: the only duplicates
//! are messages of the batch that was in flight (sent, not yet recorded).

use std::time::Duration;

use crate::support::app::{fresh_database, open_database};
use crate::support::backends::on_both_backends;
use crate::support::net::{free_port, wait_for};
use crate::support::process::{start, start_worker};
use crate::support::smtp::SmtpServer;

const REPORTS: usize = 120;
const BATCH: usize = 20;

fn resident(i: usize) -> String {
    format!("bewoner.crash{i}@example.nl")
}

/// Files the reports concurrently, each with its own reporter address.
async fn file_reports(address: &str) {
    let client = reqwest::Client::new();
    let mut tasks = Vec::new();
    for i in 0..REPORTS {
        let (client, address) = (client.clone(), address.to_owned());
        tasks.push(tokio::spawn(async move {
            let body = serde_json::json!({
                "category": "veeg-zwerfvuil",
                "description": format!("Zwerfvuil bij bank {i}"),
                "location": {"lat": 50.8882 + (i as f64) * 0.0001, "lon": 5.9795},
                "reporter": {"email": resident(i)}
            });
            let response = client.post(format!("{address}/api/v1/reports")).json(&body).send().await.unwrap();
            assert_eq!(response.status(), 201);
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
}

fn per_resident(smtp: &SmtpServer) -> Vec<usize> {
    let messages = smtp.messages();
    (0..REPORTS)
        .map(|i| {
            let to = format!("To: {}", resident(i));
            messages.iter().filter(|m| m.lines().any(|line| line.trim_end() == to)).count()
        })
        .collect()
}

/// Simulates the time a dead worker's lease takes to end (at least five minutes): the
/// pending messages it claimed become due now.
fn end_leases(url: &str) {
    use diesel::prelude::*;
    use meldpunt::storage::connection::DbTime;
    use meldpunt::storage::schema::outbox;
    let db = open_database(url);
    let mut conn = db.conn().unwrap();
    diesel::update(outbox::table.filter(outbox::status.eq("pending")))
        .set(outbox::next_attempt_at.eq(DbTime(chrono::Utc::now())))
        .execute(&mut *conn)
        .unwrap();
}

on_both_backends! {
    async fn a_worker_killed_during_delivery_delivers_every_message_after_a_restart_with_duplicates_only_from_its_batch(
        backend: Backend
    ) {
        let port = free_port();
        let smtp = SmtpServer::start(port);
        let smtp_url = format!("smtp://127.0.0.1:{port}");
        let dir = tempfile::tempdir().unwrap();
        let (url, _guard) = fresh_database(backend);
        let batch = BATCH.to_string();
        let common = [
            ("DATABASE_URL", url.as_str()),
            ("MELDPUNT_SMTP_URL", smtp_url.as_str()),
            ("MELDPUNT_OUTBOX_POLL_MS", "20"),
            ("MELDPUNT_OUTBOX_BATCH", batch.as_str()),
            ("MELDPUNT_OUTBOX_CONCURRENCY", "2"),
            ("MELDPUNT_LOG", "warn"),
        ];
        let mut server_env = common.to_vec();
        server_env.push(("MELDPUNT_OUTBOX_IN_SERVER", "false"));
        let server = start(dir.path(), &server_env).await;
        file_reports(&server.address).await;

        let mut worker = start_worker(dir.path(), &common);
        wait_for("messages before the kill", || smtp.messages().len(), REPORTS / 3).await;
        worker.child.kill().unwrap();
        worker.child.wait().unwrap();
        let before = smtp.messages().len();
        assert!(before < REPORTS, "the worker was killed before it had sent everything ({before})");

        end_leases(&url);
        let _restarted = start_worker(dir.path(), &common);
        wait_for("residents with their confirmation", || per_resident(&smtp).iter().filter(|&&n| n > 0).count(), REPORTS)
            .await;
        tokio::time::sleep(Duration::from_millis(1000)).await;
        let counts = per_resident(&smtp);
        let duplicates: usize = counts.iter().map(|n| n.saturating_sub(1)).sum();
        println!(
            "MELDPUNT_WORKER_CRASH backend={backend:?} messages={REPORTS} batch={BATCH} sent_before_kill={before} \
             delivered={} duplicates={duplicates}",
            counts.iter().filter(|&&n| n > 0).count()
        );
        assert!(counts.iter().all(|&n| n >= 1), "every message is delivered: {counts:?}");
        assert!(duplicates <= BATCH, "duplicates only from the batch in flight: {duplicates} > {BATCH}");
        drop(server);
    }
}
