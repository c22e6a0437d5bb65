//! `meldpunt worker` killed with SIGKILL while it delivers to a real SMTP server, once during
//! the confirmations of reports and once during an announcement's fan-out: after a restart
//! every message is delivered, and delivery is at least once: the only duplicates are
//! messages of the batch that was in flight (sent, not yet recorded).

use std::time::Duration;

use crate::support::app::{Backend, fresh_database, open_database};
use crate::support::backends::on_both_backends;
use crate::support::net::{free_port, wait_for};
use crate::support::process::{start, start_worker, stop};
use crate::support::smtp::{SmtpServer, token_after};
use crate::support::staff::{ADMIN_EMAIL, ADMIN_PASSWORD};

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

/// How many messages each resident got whose text holds `containing`.
fn per_resident(smtp: &SmtpServer, containing: &str) -> Vec<usize> {
    let messages = smtp.messages();
    (0..REPORTS)
        .map(|i| {
            let to = format!("To: {}", resident(i));
            messages.iter().filter(|m| m.contains(containing) && m.lines().any(|line| line.trim_end() == to)).count()
        })
        .collect()
}

/// What both cases run on: a real SMTP server, a fresh database and a folder, and the
/// settings the server and its workers share (batch [`BATCH`], 2 SMTP connections).
struct Rig {
    smtp: SmtpServer,
    smtp_url: String,
    dir: tempfile::TempDir,
    url: String,
    _guard: crate::support::app::DatabaseGuard,
    batch: String,
}

impl Rig {
    fn new(backend: Backend) -> Rig {
        let port = free_port();
        let (url, _guard) = fresh_database(backend);
        Rig {
            smtp: SmtpServer::start(port),
            smtp_url: format!("smtp://127.0.0.1:{port}"),
            dir: tempfile::tempdir().unwrap(),
            url,
            _guard,
            batch: BATCH.to_string(),
        }
    }

    fn common(&self) -> [(&str, &str); 6] {
        [
            ("DATABASE_URL", self.url.as_str()),
            ("MELDPUNT_SMTP_URL", self.smtp_url.as_str()),
            ("MELDPUNT_OUTBOX_POLL_MS", "20"),
            ("MELDPUNT_OUTBOX_BATCH", self.batch.as_str()),
            ("MELDPUNT_OUTBOX_CONCURRENCY", "2"),
            ("MELDPUNT_LOG", "warn"),
        ]
    }
}

/// Simulates the time a dead worker's lease takes to end (at least five minutes): the
/// pending messages it claimed become due now.
fn end_leases(url: &str) {
    use diesel::prelude::*;
    use meldpunt::storage::connection::DbTime;
    use meldpunt::storage::schema::outbox;
    let db = open_database(url);
    let mut conn = db.conn().unwrap();
    use meldpunt::storage::schema::announcement_deliveries as deliveries;
    let now = DbTime(chrono::Utc::now());
    diesel::update(outbox::table.filter(outbox::status.eq("pending")))
        .set(outbox::next_attempt_at.eq(now))
        .execute(&mut *conn)
        .unwrap();
    diesel::update(
        deliveries::table.filter(deliveries::status.eq("pending")).filter(deliveries::next_attempt_at.is_not_null()),
    )
    .set(deliveries::next_attempt_at.eq(now))
    .execute(&mut *conn)
    .unwrap();
}

/// Kills `worker` once `before_kill` messages matching `containing` arrived, ends its leases,
/// starts another, and checks every resident gets one such message, with duplicates only
/// from the batch in flight. Prints the figures.
async fn kill_and_restart(
    mut worker: crate::support::process::Server,
    smtp: &SmtpServer,
    containing: &str,
    what: &str,
    (backend, url, dir, env): (Backend, &str, &std::path::Path, &[(&str, &str)]),
) {
    let arrived = || per_resident(smtp, containing).iter().sum::<usize>();
    // A worker sends a hundred messages in a few tens of milliseconds: watch closely, by
    // counting files rather than reading them.
    let baseline = smtp.count() - arrived();
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while smtp.count() - baseline < REPORTS / 3 {
        assert!(std::time::Instant::now() < deadline, "waited for messages before the kill, have {}", arrived());
        std::thread::sleep(Duration::from_millis(1));
    }
    worker.child.kill().unwrap();
    worker.child.wait().unwrap();
    let before = arrived();
    assert!(before < REPORTS, "the worker was killed before it had sent everything ({before})");

    end_leases(url);
    let _restarted = start_worker(dir, env);
    wait_for(
        "residents with their message",
        || per_resident(smtp, containing).iter().filter(|&&n| n > 0).count(),
        REPORTS,
    )
    .await;
    tokio::time::sleep(Duration::from_millis(1000)).await;
    let counts = per_resident(smtp, containing);
    let duplicates: usize = counts.iter().map(|n| n.saturating_sub(1)).sum();
    println!(
        "MELDPUNT_WORKER_CRASH backend={backend:?} during={what} messages={REPORTS} batch={BATCH} \
         sent_before_kill={before} delivered={} duplicates={duplicates}",
        counts.iter().filter(|&&n| n > 0).count()
    );
    assert!(counts.iter().all(|&n| n >= 1), "every message is delivered: {counts:?}");
    assert!(duplicates <= BATCH, "duplicates only from the batch in flight: {duplicates} > {BATCH}");
}

on_both_backends! {
    async fn a_worker_killed_during_delivery_delivers_every_message_after_a_restart_with_duplicates_only_from_its_batch(
        backend: Backend
    ) {
        let rig = Rig::new(backend);
        let (smtp, dir, url) = (&rig.smtp, &rig.dir, &rig.url);
        let common = rig.common();
        let mut server_env = common.to_vec();
        server_env.push(("MELDPUNT_OUTBOX_IN_SERVER", "false"));
        let server = start(dir.path(), &server_env).await;
        file_reports(&server.address).await;

        let worker = start_worker(dir.path(), &common);
        kill_and_restart(worker, smtp, "", "confirmations", (backend, url, dir.path(), &common)).await;
        drop(server);
    }
}

/// Subscribes every resident to the municipality and confirms, with a worker that is then
/// stopped cleanly; returns a staff token.
async fn confirmed_subscribers(base: &str, smtp: &SmtpServer, dir: &std::path::Path, env: &[(&str, &str)]) -> String {
    let client = reqwest::Client::new();
    let confirming = start_worker(dir, env);
    for i in 0..REPORTS {
        let body = serde_json::json!({"channel": "email", "email": resident(i), "areas": ["GM0917"]});
        let response = client.post(format!("{base}/api/v1/subscriptions")).json(&body).send().await.unwrap();
        assert_eq!(response.status(), 202, "{}", response.text().await.unwrap());
    }
    wait_for("subscription confirmations", || smtp.messages().len(), REPORTS).await;
    let (clean, logs) = stop(confirming);
    assert!(clean, "{logs}");
    let marker = "/api/v1/subscriptions/confirm/";
    for message in smtp.messages() {
        let token = token_after(&message, marker);
        let response = client.post(format!("{base}{marker}{token}")).send().await.unwrap();
        assert_eq!(response.status(), 200);
    }
    let login = serde_json::json!({"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD});
    let response = client.post(format!("{base}/api/v1/auth/login")).json(&login).send().await.unwrap();
    assert_eq!(response.status(), 200);
    response.json::<serde_json::Value>().await.unwrap()["token"].as_str().unwrap().to_owned()
}

on_both_backends! {
    async fn a_worker_killed_during_an_announcement_fan_out_delivers_it_to_every_subscriber_after_a_restart_with_duplicates_only_from_its_batch(
        backend: Backend
    ) {
        let rig = Rig::new(backend);
        let (smtp, dir, url) = (&rig.smtp, &rig.dir, &rig.url);
        let common = rig.common();
        let mut server_env = common.to_vec();
        server_env.extend([
            ("MELDPUNT_OUTBOX_IN_SERVER", "false"),
            ("MELDPUNT_BOOTSTRAP_ADMIN_EMAIL", ADMIN_EMAIL),
            ("MELDPUNT_BOOTSTRAP_ADMIN_PASSWORD", ADMIN_PASSWORD),
            // All subscribers of this test come from one address.
            ("MELDPUNT_LIMIT_SUBSCRIPTIONS_PER_HOUR", "0"),
        ]);
        let server = start(dir.path(), &server_env).await;
        let base = server.address.clone();
        let staff = confirmed_subscribers(&base, smtp, dir.path(), &common).await;

        let client = reqwest::Client::new();
        let draft = serde_json::json!({"title": "Rioolwerkzaamheden", "body": "De straat gaat open.", "areas": ["GM0917"]});
        let response =
            client.post(format!("{base}/api/v1/staff/announcements")).bearer_auth(&staff).json(&draft).send().await.unwrap();
        assert_eq!(response.status(), 201, "{}", response.text().await.unwrap());
        let id = response.json::<serde_json::Value>().await.unwrap()["id"].as_str().unwrap().to_owned();
        let response = client
            .post(format!("{base}/api/v1/staff/announcements/{id}/publish"))
            .bearer_auth(&staff)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "{}", response.text().await.unwrap());
        let worker = start_worker(dir.path(), &common);
        kill_and_restart(worker, smtp, "Rioolwerkzaamheden", "announcement", (backend, url, dir.path(), &common)).await;
        drop(server);
    }
}
