//! Crash rounds: intake under load with Idempotency-Keys, the server killed with SIGKILL at a
//! random moment and restarted, every unanswered request retried with the same key and body,
//! then the database compared with what the clients were told.
//!
//! Used by `tests/api/platform/crash.rs` (a few rounds) and `benches/crash.sh` (many rounds,
//! `MELDPUNT_CRASH_ROUNDS`).

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::Value;

use super::app::{Backend, open_database};
use super::process::{Server, start};

/// How a round's load is shaped.
#[derive(Debug, Clone, Copy)]
pub struct CrashPlan {
    pub rounds: usize,
    /// Reports offered per second (an open loop: sent on a clock, not when answered).
    pub rate: u32,
    /// The kill comes at a random moment between these times after the load starts.
    pub kill_after: (Duration, Duration),
}

/// What the clients were told and what the database holds, over all rounds.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct CrashTally {
    pub rounds: usize,
    /// Requests sent (first attempts).
    pub sent: usize,
    /// First attempts answered 201.
    pub acknowledged: usize,
    /// First attempts without an answer (or answered 503), retried after the restart.
    pub retried: usize,
    /// Retries answered 201 with `Idempotent-Replayed: true`: stored before the kill.
    pub replayed: usize,
    /// Reports stored (distinct).
    pub stored: usize,
    /// Acknowledged or retried keys with no report.
    pub lost: usize,
    /// Reports stored more than once (by body), keys pointing at two reports, or extra
    /// confirmation emails.
    pub duplicated: usize,
    /// Reports with a reporter email whose confirmation is missing from the outbox.
    pub missing_confirmations: usize,
    /// Answers other than 201 (and 503) to first attempts or retries.
    pub unexpected: Vec<String>,
}

impl std::fmt::Display for CrashTally {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "rounds={} sent={} acknowledged={} retried={} replayed={} stored={} lost={} duplicated={} \
             missing_confirmations={} unexpected={}",
            self.rounds,
            self.sent,
            self.acknowledged,
            self.retried,
            self.replayed,
            self.stored,
            self.lost,
            self.duplicated,
            self.missing_confirmations,
            self.unexpected.len()
        )
    }
}

#[derive(Debug, Clone)]
struct Request {
    key: String,
    body: Value,
}

/// What became of one attempt.
enum Answer {
    /// 201; `replayed`: the server had stored it before (`Idempotent-Replayed`).
    Created { replayed: bool },
    /// 503: the intake queue was full; the client retries.
    Unavailable,
    /// No answer: the connection failed or broke before the whole answer arrived.
    Lost,
    /// Anything else (status and body).
    Other(String),
}

async fn send(client: &reqwest::Client, address: &str, request: &Request) -> Answer {
    let sent = client
        .post(format!("{address}/api/v1/reports"))
        .header("Idempotency-Key", &request.key)
        .json(&request.body)
        .send()
        .await;
    match sent {
        Err(_) => Answer::Lost,
        Ok(response) => {
            let status = response.status().as_u16();
            let replayed = response.headers().contains_key("idempotent-replayed");
            // The body is read too: a 201 whose body never arrives is no answer.
            match (status, response.bytes().await) {
                (_, Err(_)) => Answer::Lost,
                (201, Ok(_)) => Answer::Created { replayed },
                (503, Ok(_)) => Answer::Unavailable,
                (_, Ok(body)) => Answer::Other(format!("{status}: {}", String::from_utf8_lossy(&body))),
            }
        }
    }
}

/// A valid report, unique by its description (which names the key); every other one has a
/// reporter email, so its confirmation is queued in the outbox.
fn report(round: usize, n: usize) -> Request {
    let key = format!("crash-{round}-{n}-{}", uuid::Uuid::new_v4().simple());
    let mut body = serde_json::json!({
        "category": "veeg-zwerfvuil",
        "description": format!("Zwerfvuil bij de bushalte, melding {key}"),
        "location": {"lat": 50.8882 + (n % 50) as f64 * 0.0001, "lon": 5.9795 + (n % 37) as f64 * 0.0001},
    });
    if n.is_multiple_of(2) {
        body["reporter"] = serde_json::json!({"email": format!("melder.{n}@example.nl")});
    }
    Request { key, body }
}

/// A random duration in `range`, from a fresh UUID's random bits.
fn random_between((low, high): (Duration, Duration)) -> Duration {
    let bits = uuid::Uuid::new_v4().as_u128() as u64;
    let span = high.saturating_sub(low).as_millis().max(1) as u64;
    low + Duration::from_millis(bits % span)
}

/// Runs `plan.rounds` crash rounds against the `meldpunt` binary on `database_url` (migrated
/// by the first start), in `dir`, and compares the database with the answers.
pub async fn crash_rounds(backend: Backend, database_url: &str, dir: &std::path::Path, plan: CrashPlan) -> CrashTally {
    // One client address sends the whole load: the per-address limit on reports is off.
    let env = [
        ("DATABASE_URL", database_url),
        ("MELDPUNT_LOG", "warn"),
        ("MELDPUNT_OUTBOX_IN_SERVER", "false"),
        ("MELDPUNT_LIMIT_REPORTS_PER_HOUR", "0"),
    ];
    let client = reqwest::Client::builder().timeout(Duration::from_secs(10)).build().unwrap();
    let mut tally = CrashTally { rounds: plan.rounds, ..CrashTally::default() };
    let mut promised: Vec<Request> = Vec::new();
    for round in 0..plan.rounds {
        let mut server = start(dir, &env).await;
        let answers = load_until_killed(&client, &mut server, round, plan).await;
        drop(server);
        let restarted = start(dir, &env).await;
        for (request, answer) in answers {
            tally.sent += 1;
            match answer {
                Answer::Created { .. } => {
                    tally.acknowledged += 1;
                    promised.push(request);
                }
                Answer::Lost | Answer::Unavailable => {
                    tally.retried += 1;
                    match retry(&client, &restarted.address, &request).await {
                        Answer::Created { replayed } => tally.replayed += usize::from(replayed),
                        Answer::Other(text) => tally.unexpected.push(format!("retry {}: {text}", request.key)),
                        _ => tally.unexpected.push(format!("retry {}: no answer", request.key)),
                    }
                    promised.push(request);
                }
                Answer::Other(text) => tally.unexpected.push(format!("{}: {text}", request.key)),
            }
        }
        drop(restarted);
    }
    compare(backend, database_url, &promised, &mut tally).await;
    tally
}

/// Offers reports at `plan.rate` per second until the server is killed at a random moment,
/// then waits for every request's fate.
async fn load_until_killed(
    client: &reqwest::Client,
    server: &mut Server,
    round: usize,
    plan: CrashPlan,
) -> Vec<(Request, Answer)> {
    let kill_at = Instant::now() + random_between(plan.kill_after);
    let answers = Arc::new(Mutex::new(Vec::new()));
    let mut tasks = Vec::new();
    let tick = Duration::from_millis(10);
    let per_tick = (plan.rate as usize / 100).max(1);
    let mut interval = tokio::time::interval(tick);
    let mut n = 0;
    while Instant::now() < kill_at {
        interval.tick().await;
        for _ in 0..per_tick {
            let request = report(round, n);
            n += 1;
            let (client, address, answers) = (client.clone(), server.address.clone(), answers.clone());
            tasks.push(tokio::spawn(async move {
                let answer = send(&client, &address, &request).await;
                answers.lock().unwrap().push((request, answer));
            }));
        }
    }
    // SIGKILL: no shutdown, no flush; requests in flight lose their connection.
    server.child.kill().unwrap();
    server.child.wait().unwrap();
    for task in tasks {
        task.await.unwrap();
    }
    std::mem::take(&mut *answers.lock().unwrap())
}

/// Sends `request` again until it is answered (the restarted server may still be warming up).
async fn retry(client: &reqwest::Client, address: &str, request: &Request) -> Answer {
    for _ in 0..20 {
        match send(client, address, request).await {
            Answer::Lost | Answer::Unavailable => tokio::time::sleep(Duration::from_millis(100)).await,
            answer => return answer,
        }
    }
    Answer::Lost
}

/// Reads what the database holds and counts the lost, the duplicated and the missing.
async fn compare(backend: Backend, database_url: &str, promised: &[Request], tally: &mut CrashTally) {
    let url = database_url.to_owned();
    let (keys, descriptions, with_email, confirmations) = tokio::task::spawn_blocking(move || read_rows(&url))
        .await
        .unwrap_or_else(|e| panic!("reading the {backend:?} database: {e}"));
    let mut reports_by_description: HashMap<&str, usize> = HashMap::new();
    for description in descriptions.values() {
        *reports_by_description.entry(description.as_str()).or_default() += 1;
    }
    tally.stored = descriptions.len();
    tally.duplicated += reports_by_description.values().filter(|&&n| n > 1).map(|n| n - 1).sum::<usize>();
    for request in promised {
        let description = request.body["description"].as_str().unwrap_or_default();
        let stored = keys.get(&request.key).and_then(|id| descriptions.get(id));
        if stored.map(String::as_str) != Some(description) {
            tally.lost += 1;
        }
    }
    let mut confirmed: HashMap<uuid::Uuid, usize> = HashMap::new();
    for report in &confirmations {
        *confirmed.entry(*report).or_default() += 1;
    }
    tally.duplicated += confirmed.values().filter(|&&n| n > 1).map(|n| n - 1).sum::<usize>();
    tally.missing_confirmations = with_email.iter().filter(|id| !confirmed.contains_key(id)).count();
}

type Rows = (HashMap<String, uuid::Uuid>, HashMap<uuid::Uuid, String>, HashSet<uuid::Uuid>, Vec<uuid::Uuid>);

fn read_rows(url: &str) -> Rows {
    use diesel::prelude::*;
    use meldpunt::storage::connection::DbUuid;
    use meldpunt::storage::schema::{idempotency_keys, outbox, reporter_contacts, reports};
    let db = open_database(url);
    let mut conn = db.conn().unwrap();
    let keys = idempotency_keys::table
        .select((idempotency_keys::key, idempotency_keys::report_id))
        .load::<(String, DbUuid)>(&mut *conn)
        .unwrap()
        .into_iter()
        .map(|(key, id)| (key, id.0))
        .collect();
    let descriptions = reports::table
        .select((reports::id, reports::description))
        .load::<(DbUuid, String)>(&mut *conn)
        .unwrap()
        .into_iter()
        .map(|(id, description)| (id.0, description))
        .collect();
    let with_email = reporter_contacts::table
        .filter(reporter_contacts::email.is_not_null())
        .select(reporter_contacts::report_id)
        .load::<DbUuid>(&mut *conn)
        .unwrap()
        .into_iter()
        .map(|id| id.0)
        .collect();
    let confirmations = outbox::table
        .filter(outbox::template.eq("confirmation"))
        .select(outbox::report_id)
        .load::<Option<DbUuid>>(&mut *conn)
        .unwrap()
        .into_iter()
        .flatten()
        .map(|id| id.0)
        .collect();
    (keys, descriptions, with_email, confirmations)
}
