//! Several processes on one PostgreSQL database, as a municipality scales out: three API
//! processes and two `meldpunt worker`s under concurrent intake, announcement publishing and
//! a configuration change. Every process answers a retried key the same, every message is
//! delivered once, and every process sees the change within `config_poll_ms`.

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::support::app::*;
use crate::support::net::{free_port, wait_for};
use crate::support::process::{Server, start, start_worker, stop};
use crate::support::smtp::{SmtpServer, token_after};
use crate::support::staff::{ADMIN_EMAIL, ADMIN_PASSWORD};

const REPORTS: usize = 60;
const SUBSCRIBERS: usize = 20;
const CONFIG_POLL_MS: u64 = 300;
/// What a refresh may take on top of its interval on a loaded 2-core machine: the catalog
/// is read in one transaction of a few milliseconds; the rest is scheduling, which under
/// this test's load (five processes, intake and publishing at once) and a parallel test
/// run can take a second or more. Typically seen: well under one interval.
const REFRESH_SLACK_MS: u64 = 1700;

fn reporter(i: usize) -> String {
    format!("melder.nummer{i}@example.nl")
}

fn subscriber(i: usize) -> String {
    format!("abonnee.nummer{i}@example.nl")
}

/// How many messages went to `to`.
fn messages_to(messages: &[String], to: &str) -> usize {
    let header = format!("To: {to}");
    messages.iter().filter(|m| m.lines().any(|line| line.trim_end() == header)).count()
}

fn report(i: usize) -> Value {
    json!({
        "category": "veeg-zwerfvuil",
        "description": format!("Zwerfvuil bij bank {i}"),
        "location": {"lat": 50.8882 + (i as f64) * 0.0001, "lon": 5.9795},
        "reporter": {"email": reporter(i)}
    })
}

/// Posts a report with an Idempotency-Key and returns the status, the report's id and
/// whether the answer says it is a replay.
async fn post_with_key(client: &reqwest::Client, base: &str, body: &Value, key: &str) -> (u16, String, bool) {
    let response =
        client.post(format!("{base}/api/v1/reports")).header("Idempotency-Key", key).json(body).send().await.unwrap();
    let status = response.status().as_u16();
    let replayed = response.headers().get("Idempotent-Replayed").is_some_and(|v| v == "true");
    let answer: Value = response.json().await.unwrap();
    (status, answer["id"].as_str().unwrap_or_default().to_owned(), replayed)
}

/// Files the reports round-robin over the processes; every fifth key is sent to all three
/// at once, as a client whose answers got lost and that retried everywhere. Returns each
/// key with the id it was answered.
async fn intake(bases: &[String]) -> Vec<(String, String)> {
    let client = reqwest::Client::new();
    let mut filed = Vec::new();
    for i in 0..REPORTS {
        let key = format!("cluster-{i}-{}", uuid::Uuid::new_v4());
        let body = report(i);
        if i % 5 == 0 {
            let answers =
                futures_util::future::join_all(bases.iter().map(|base| post_with_key(&client, base, &body, &key)))
                    .await;
            let ids: Vec<&str> = answers.iter().map(|(_, id, _)| id.as_str()).collect();
            assert!(answers.iter().all(|(status, _, _)| *status == 201), "{answers:?}");
            assert!(
                ids.iter().all(|id| *id == ids[0]),
                "one key sent to three processes at once is one report: {ids:?}"
            );
            assert_eq!(
                answers.iter().filter(|(_, _, replayed)| !replayed).count(),
                1,
                "one process stored it, two replayed"
            );
            filed.push((key, ids[0].to_owned()));
        } else {
            let (status, id, replayed) = post_with_key(&client, &bases[i % bases.len()], &body, &key).await;
            assert_eq!((status, replayed), (201, false));
            filed.push((key, id));
        }
    }
    filed
}

async fn login(base: &str) -> String {
    let client = reqwest::Client::new();
    let login = json!({"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD});
    let response = client.post(format!("{base}/api/v1/auth/login")).json(&login).send().await.unwrap();
    assert_eq!(response.status(), 200);
    response.json::<Value>().await.unwrap()["token"].as_str().unwrap().to_owned()
}

async fn draft(base: &str, token: &str, title: &str) -> String {
    let body = json!({"title": title, "body": "De straat gaat open.", "areas": ["GM0917"]});
    let response = reqwest::Client::new()
        .post(format!("{base}/api/v1/staff/announcements"))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201, "{}", response.text().await.unwrap());
    response.json::<Value>().await.unwrap()["id"].as_str().unwrap().to_owned()
}

/// Publishes two announcements, each on another process, while intake runs.
async fn publish(bases: &[String], token: &str, drafts: &[String]) {
    let client = reqwest::Client::new();
    for (n, id) in drafts.iter().enumerate() {
        tokio::time::sleep(Duration::from_millis(150)).await;
        let base = &bases[(n + 1) % bases.len()];
        let response = client
            .post(format!("{base}/api/v1/staff/announcements/{id}/publish"))
            .bearer_auth(token)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "{}", response.text().await.unwrap());
        assert_eq!(response.json::<Value>().await.unwrap()["deliveries"], SUBSCRIBERS);
    }
}

/// Adds a category on the first process and returns how long each other process took to
/// show it in its public tree.
async fn change_configuration(bases: &[String], admin_token: &str) -> Vec<Duration> {
    let client = reqwest::Client::new();
    tokio::time::sleep(Duration::from_millis(100)).await;
    let category = json!({"parent": "afval", "slug": "bladafval", "name_nl": "Bladafval", "name_en": "Fallen leaves",
        "default_department": "afval-en-reiniging", "is_public": true, "handling_hours": 48});
    let response = client
        .post(format!("{}/api/v1/admin/categories", bases[0]))
        .bearer_auth(admin_token)
        .json(&category)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201, "{}", response.text().await.unwrap());
    let changed = Instant::now();
    let mut seen = Vec::new();
    for base in &bases[1..] {
        loop {
            let tree = client.get(format!("{base}/api/v1/categories")).send().await.unwrap().text().await.unwrap();
            if tree.contains("\"bladafval\"") {
                seen.push(changed.elapsed());
                break;
            }
            assert!(changed.elapsed() < Duration::from_secs(10), "{base} never saw the new category");
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
    seen
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_api_processes_and_two_workers_on_one_postgresql_answer_retries_alike_deliver_once_and_share_configuration()
 {
    let port = free_port();
    let smtp = SmtpServer::start(port);
    let smtp_url = format!("smtp://127.0.0.1:{port}");
    let dir = tempfile::tempdir().unwrap();
    let (url, _guard) = fresh_database(Backend::Postgres);
    let poll = CONFIG_POLL_MS.to_string();
    let common = [
        ("DATABASE_URL", url.as_str()),
        ("MELDPUNT_SMTP_URL", smtp_url.as_str()),
        ("MELDPUNT_OUTBOX_POLL_MS", "20"),
        ("MELDPUNT_OUTBOX_BATCH", "5"),
        ("MELDPUNT_OUTBOX_CONCURRENCY", "2"),
        ("MELDPUNT_CONFIG_POLL_MS", poll.as_str()),
    ];
    let mut api_env = common.to_vec();
    api_env.extend([
        ("MELDPUNT_OUTBOX_IN_SERVER", "false"),
        ("MELDPUNT_BOOTSTRAP_ADMIN_EMAIL", ADMIN_EMAIL),
        ("MELDPUNT_BOOTSTRAP_ADMIN_PASSWORD", ADMIN_PASSWORD),
        ("MELDPUNT_ADMIN_TOKEN", ADMIN_TOKEN),
        // All clients of this test share one address.
        ("MELDPUNT_LIMIT_REPORTS_PER_HOUR", "0"),
        ("MELDPUNT_LIMIT_SUBSCRIPTIONS_PER_HOUR", "0"),
    ]);
    // The first process migrates and seeds; the others start on the prepared database at once.
    let first = start(dir.path(), &api_env).await;
    let (second, third) = tokio::join!(start(dir.path(), &api_env), start(dir.path(), &api_env));
    let apis = vec![first, second, third];
    let bases: Vec<String> = apis.iter().map(|server| server.address.clone()).collect();
    let workers: Vec<Server> = (0..2).map(|_| start_worker(dir.path(), &common)).collect();

    // Residents subscribe and confirm, each request on another process.
    let client = reqwest::Client::new();
    for i in 0..SUBSCRIBERS {
        let body = json!({"channel": "email", "email": subscriber(i), "areas": ["GM0917"]});
        let base = &bases[i % bases.len()];
        let response = client.post(format!("{base}/api/v1/subscriptions")).json(&body).send().await.unwrap();
        assert_eq!(response.status(), 202, "{}", response.text().await.unwrap());
    }
    wait_for("subscription confirmations", || smtp.messages().len(), SUBSCRIBERS).await;
    let marker = "/api/v1/subscriptions/confirm/";
    for (n, message) in smtp.messages().iter().enumerate() {
        let token = token_after(message, marker);
        let base = &bases[(n + 1) % bases.len()];
        let response = client.post(format!("{base}{marker}{token}")).send().await.unwrap();
        assert_eq!(response.status(), 200);
    }
    let staff = login(&bases[1]).await;
    let drafts = vec![draft(&bases[0], &staff, "Werkzaamheden").await, draft(&bases[2], &staff, "Markt").await];

    let (filed, (), seen) =
        tokio::join!(intake(&bases), publish(&bases, &staff, &drafts), change_configuration(&bases, ADMIN_TOKEN));

    let limit = Duration::from_millis(CONFIG_POLL_MS + REFRESH_SLACK_MS);
    eprintln!("the new category was seen by the other processes after {seen:?} (config_poll_ms {CONFIG_POLL_MS})");
    assert!(seen.iter().all(|took| *took <= limit), "seen after {seen:?}, allowed {limit:?}");
    let mut leaves = report(REPORTS);
    leaves["category"] = json!("bladafval");
    leaves["answers"] = json!({});
    leaves.as_object_mut().unwrap().remove("reporter");
    let response = client.post(format!("{}/api/v1/reports", bases[2])).json(&leaves).send().await.unwrap();
    assert_eq!(response.status(), 201, "another process files in the new category: {}", response.text().await.unwrap());

    // Every key retried on another process is answered with the report it made, as a replay.
    for (n, (key, id)) in filed.iter().enumerate() {
        let base = &bases[(n + 2) % bases.len()];
        let (status, again, replayed) = post_with_key(&client, base, &report(n), key).await;
        assert_eq!((status, again.as_str(), replayed), (201, id.as_str(), true), "key {key} on {base}");
    }
    let mut ids: Vec<&str> = filed.iter().map(|(_, id)| id.as_str()).collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), REPORTS, "every key made its own report");
    let database = url.clone();
    let stored = tokio::task::spawn_blocking(move || {
        let mut conn = open_database(&database).conn().unwrap_or_else(|e| panic!("{e}"));
        meldpunt::storage::reports::count(&mut conn).unwrap_or_else(|e| panic!("{e}"))
    })
    .await
    .unwrap();
    assert_eq!(stored, REPORTS as i64 + 1, "no report is stored twice");

    // One confirmation per report, one confirmation and two announcements per subscriber.
    let expected = REPORTS + 3 * SUBSCRIBERS;
    wait_for("emails", || smtp.messages().len(), expected).await;
    tokio::time::sleep(Duration::from_millis(1000)).await;
    let messages = smtp.messages();
    let per_reporter: Vec<usize> = (0..REPORTS).map(|i| messages_to(&messages, &reporter(i))).collect();
    let per_subscriber: Vec<usize> = (0..SUBSCRIBERS).map(|i| messages_to(&messages, &subscriber(i))).collect();
    assert_eq!(per_reporter, vec![1; REPORTS], "every reporter gets one confirmation");
    assert_eq!(
        per_subscriber,
        vec![3; SUBSCRIBERS],
        "every subscriber gets one confirmation and each announcement once"
    );
    assert_eq!(messages.len(), expected);

    for worker in workers {
        let (clean, logs) = stop(worker);
        assert!(clean, "a worker stops cleanly: {logs}");
    }
    for api in apis {
        let (clean, logs) = stop(api);
        assert!(clean, "an API process stops cleanly: {logs}");
    }
}
