//! Report events: a real receiving process (`event_receiver.py`) that checks signatures and
//! order, and helpers to register endpoints and read their deliveries.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use reqwest::Method;
use serde_json::{Value, json};

use super::app::TestApp;

/// The receiver process; killed when dropped.
pub struct Receiver {
    child: Option<Child>,
    pub port: u16,
    log: PathBuf,
    down: PathBuf,
    _dir: tempfile::TempDir,
}

impl Receiver {
    /// A receiver for `port`, not yet running (the endpoint is down until [`Receiver::start`]).
    pub fn new(port: u16) -> Self {
        let dir = tempfile::tempdir().unwrap();
        Receiver { child: None, port, log: dir.path().join("events.jsonl"), down: dir.path().join("down"), _dir: dir }
    }

    /// `http://127.0.0.1:<port>/events`.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}/events", self.port)
    }

    /// Starts the process, checking signatures with `secret`.
    pub async fn start(&mut self, secret: &str) {
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/api/support/event_receiver.py");
        let child = Command::new("python3")
            .arg(script)
            .args(["--port", &self.port.to_string(), "--secret", secret])
            .arg("--log")
            .arg(&self.log)
            .arg("--down")
            .arg(&self.down)
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("python3 runs the event receiver");
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            assert!(Instant::now() < deadline, "the event receiver did not start");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Stops the process (to start it again with another secret).
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", self.port)).is_ok() {
            assert!(Instant::now() < deadline, "the event receiver did not stop");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// While down, the running receiver answers 503.
    pub fn set_down(&self, down: bool) {
        if down {
            std::fs::write(&self.down, b"down").unwrap();
        } else {
            let _ = std::fs::remove_file(&self.down);
        }
    }

    /// Every event received so far, in arrival order.
    pub fn events(&self) -> Vec<Value> {
        std::fs::read_to_string(&self.log)
            .unwrap_or_default()
            .lines()
            .map(|line| serde_json::from_str(line).unwrap())
            .collect()
    }

    /// Waits (up to 30 s) until `want` events arrived; returns them.
    pub async fn wait_for(&self, want: usize) -> Vec<Value> {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let events = self.events();
            if events.len() >= want {
                return events;
            }
            assert!(Instant::now() < deadline, "waited for {want} events, have {}: {events:#?}", events.len());
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        if let Some(child) = &mut self.child {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// Fast retries for the tests: first retry after 100 ms, doubling; plain http to 127.0.0.1.
pub fn fast_retries(settings: &mut meldpunt::config::Settings) {
    settings.webhook_allow_insecure = true;
    settings.outbox_poll_ms = 50;
    settings.outbox_retry_ms = 100;
    settings.outbox_max_attempts = 30;
}

/// Registers an endpoint with the admin token; returns its view (with the secret).
pub async fn register(app: &TestApp, body: Value) -> Value {
    let (status, endpoint) = app.admin_json(Method::POST, "/api/v1/admin/event-endpoints", Some(&body)).await;
    assert_eq!(status, 201, "{endpoint}");
    endpoint
}

/// The deliveries of an endpoint in `state`, newest first.
pub async fn deliveries(app: &TestApp, endpoint: &str, state: &str) -> Vec<Value> {
    let path = format!("/api/v1/admin/event-endpoints/{endpoint}/deliveries?state={state}&limit=500");
    let (status, page) = app.admin_json(Method::GET, &path, None).await;
    assert_eq!(status, 200, "{page}");
    page["items"].as_array().unwrap().clone()
}

/// Waits (up to 30 s) until `check` holds for the endpoint's deliveries in `state`.
pub async fn wait_for_deliveries(
    app: &TestApp,
    endpoint: &str,
    state: &str,
    check: impl Fn(&[Value]) -> bool,
) -> Vec<Value> {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let items = deliveries(app, endpoint, state).await;
        if check(&items) {
            return items;
        }
        assert!(Instant::now() < deadline, "deliveries ({state}) never satisfied the check: {items:#?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Files a report and returns its id.
pub async fn file(app: &TestApp, body: &Value) -> String {
    let response = app.post_report(body, None).await;
    assert_eq!(response.status(), 201);
    let created: Value = response.json().await.unwrap();
    created["id"].as_str().unwrap().to_owned()
}

/// The event types received for `report`, in arrival order (replays left out).
pub fn types_of(events: &[Value], report: &str) -> Vec<String> {
    events
        .iter()
        .filter(|e| e["report"] == report && e["replay"] == json!(false))
        .map(|e| e["type"].as_str().unwrap().to_owned())
        .collect()
}
