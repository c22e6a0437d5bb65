//! `meldpunt worker` processes beside a server whose own outbox worker is off: every email
//! arrives exactly once, with two workers on one PostgreSQL database and one on SQLite; so
//! does every subscriber's copy of an announcement (claimed from its own table by cursor).

use std::time::{Duration, Instant};

use crate::support::app::*;
use crate::support::net::{free_port, wait_for};
use crate::support::process::{Server, start, start_worker, stop};
use crate::support::smtp::{SmtpServer, token_after};
use crate::support::staff::{ADMIN_EMAIL, ADMIN_PASSWORD};

fn resident(i: usize) -> String {
    format!("bewoner.nummer{i}@example.nl")
}

/// Files `n` reports, each with its own reporter address (each queues one confirmation).
async fn file_reports(address: &str, n: usize) {
    let client = reqwest::Client::new();
    for i in 0..n {
        let body = serde_json::json!({
            "category": "veeg-zwerfvuil",
            "description": format!("Zwerfvuil bij bank {i}"),
            "location": {"lat": 50.8882 + (i as f64) * 0.0001, "lon": 5.9795},
            "reporter": {"email": resident(i)}
        });
        let response = client.post(format!("{address}/api/v1/reports")).json(&body).send().await.unwrap();
        assert_eq!(response.status(), 201, "{}", response.text().await.unwrap());
    }
}

fn per_resident(smtp: &SmtpServer, n: usize) -> Vec<usize> {
    let messages = smtp.messages();
    (0..n)
        .map(|i| {
            let to = format!("To: {}", resident(i));
            messages.iter().filter(|m| m.lines().any(|line| line.trim_end() == to)).count()
        })
        .collect()
}

async fn separate_workers_deliver_every_email_exactly_once(backend: Backend, workers: usize) {
    const N: usize = 60;
    let port = free_port();
    let smtp = SmtpServer::start(port);
    let smtp_url = format!("smtp://127.0.0.1:{port}");
    let dir = tempfile::tempdir().unwrap();
    let (url, _guard) = fresh_database(backend);
    let common = [
        ("DATABASE_URL", url.as_str()),
        ("MELDPUNT_SMTP_URL", smtp_url.as_str()),
        ("MELDPUNT_OUTBOX_POLL_MS", "20"),
        ("MELDPUNT_OUTBOX_BATCH", "7"),
        ("MELDPUNT_OUTBOX_CONCURRENCY", "3"),
    ];
    let mut server_env = common.to_vec();
    server_env.push(("MELDPUNT_OUTBOX_IN_SERVER", "false"));
    let server = start(dir.path(), &server_env).await;
    file_reports(&server.address, N).await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(smtp.messages().len(), 0, "the server's own worker is off: it sends nothing");

    let started: Vec<Server> = (0..workers).map(|_| start_worker(dir.path(), &common)).collect();
    wait_for("confirmations", || smtp.messages().len(), N).await;
    // Give a doubled send time to show up before counting.
    let settle = Instant::now() + Duration::from_millis(1000);
    while Instant::now() < settle {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(per_resident(&smtp, N), vec![1; N], "every resident gets exactly one confirmation");
    assert_eq!(smtp.messages().len(), N);

    for worker in started {
        let (clean, logs) = stop(worker);
        assert!(clean, "a worker stops cleanly on SIGTERM: {logs}");
        assert!(logs.contains("meldpunt worker is running") && logs.contains("meldpunt worker stopped"), "{logs}");
        assert!(!logs.contains("@example.nl"), "no address in a worker's log:\n{logs}");
    }
    let (clean, logs) = stop(server);
    assert!(clean, "{logs}");
    assert!(!logs.contains("@example.nl"), "no address in the server's log:\n{logs}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_worker_processes_on_postgresql_deliver_every_email_exactly_once() {
    separate_workers_deliver_every_email_exactly_once(Backend::Postgres, 2).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_worker_process_on_sqlite_delivers_every_email_exactly_once() {
    separate_workers_deliver_every_email_exactly_once(Backend::Sqlite, 1).await;
}

async fn separate_workers_deliver_an_announcement_to_every_subscriber_exactly_once(backend: Backend, workers: usize) {
    const N: usize = 30;
    let port = free_port();
    let smtp = SmtpServer::start(port);
    let smtp_url = format!("smtp://127.0.0.1:{port}");
    let dir = tempfile::tempdir().unwrap();
    let (url, _guard) = fresh_database(backend);
    let common = [
        ("DATABASE_URL", url.as_str()),
        ("MELDPUNT_SMTP_URL", smtp_url.as_str()),
        ("MELDPUNT_OUTBOX_POLL_MS", "20"),
        ("MELDPUNT_OUTBOX_BATCH", "4"),
        ("MELDPUNT_OUTBOX_CONCURRENCY", "2"),
    ];
    let mut server_env = common.to_vec();
    server_env.extend([
        ("MELDPUNT_OUTBOX_IN_SERVER", "false"),
        ("MELDPUNT_BOOTSTRAP_ADMIN_EMAIL", ADMIN_EMAIL),
        ("MELDPUNT_BOOTSTRAP_ADMIN_PASSWORD", ADMIN_PASSWORD),
    ]);
    let server = start(dir.path(), &server_env).await;
    let started: Vec<Server> = (0..workers).map(|_| start_worker(dir.path(), &common)).collect();
    let client = reqwest::Client::new();
    let base = server.address.clone();
    for i in 0..N {
        let body = serde_json::json!({"channel": "email", "email": resident(i), "areas": ["GM0917"]});
        let response = client.post(format!("{base}/api/v1/subscriptions")).json(&body).send().await.unwrap();
        assert_eq!(response.status(), 202, "{}", response.text().await.unwrap());
    }
    wait_for("subscription confirmations", || smtp.messages().len(), N).await;
    let marker = "/api/v1/subscriptions/confirm/";
    for message in smtp.messages() {
        let token = token_after(&message, marker);
        let response = client.post(format!("{base}{marker}{token}")).send().await.unwrap();
        assert_eq!(response.status(), 200);
    }
    let login = serde_json::json!({"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD});
    let response = client.post(format!("{base}/api/v1/auth/login")).json(&login).send().await.unwrap();
    assert_eq!(response.status(), 200);
    let admin = response.json::<serde_json::Value>().await.unwrap()["token"].as_str().unwrap().to_owned();
    let draft = serde_json::json!({"title": "Werkzaamheden", "body": "De straat gaat open.", "areas": ["GM0917"]});
    let response = client
        .post(format!("{base}/api/v1/staff/announcements"))
        .bearer_auth(&admin)
        .json(&draft)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201, "{}", response.text().await.unwrap());
    let id = response.json::<serde_json::Value>().await.unwrap()["id"].as_str().unwrap().to_owned();
    let response = client
        .post(format!("{base}/api/v1/staff/announcements/{id}/publish"))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200, "{}", response.text().await.unwrap());
    assert_eq!(response.json::<serde_json::Value>().await.unwrap()["deliveries"], N);

    wait_for("announcements", || smtp.messages().len(), 2 * N).await;
    let settle = Instant::now() + Duration::from_millis(1000);
    while Instant::now() < settle {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(per_resident(&smtp, N), vec![2; N], "every subscriber gets one confirmation and one announcement");
    for worker in started {
        let (clean, logs) = stop(worker);
        assert!(clean, "a worker stops cleanly on SIGTERM: {logs}");
        assert!(!logs.contains("@example.nl"), "no address in a worker's log:\n{logs}");
    }
    let (clean, logs) = stop(server);
    assert!(clean, "{logs}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_worker_processes_on_postgresql_deliver_an_announcement_to_every_subscriber_exactly_once() {
    separate_workers_deliver_an_announcement_to_every_subscriber_exactly_once(Backend::Postgres, 2).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_worker_process_on_sqlite_delivers_an_announcement_to_every_subscriber_exactly_once() {
    separate_workers_deliver_an_announcement_to_every_subscriber_exactly_once(Backend::Sqlite, 1).await;
}
