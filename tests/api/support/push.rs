//! A real Web Push service for tests: `tests/push_service/push_service.py`, one process per
//! test process (started by the first [`push_service`] call, stopped by its watchdog when
//! the test process ends). It verifies each message's VAPID signature, `aud` and `exp`,
//! decrypts it with the subscriber's private key, and records what it got.
//!
//! ```ignore
//! let service = push_service();
//! let subscriber = service.subscriber().await;        // endpoint, p256dh, auth
//! // … subscribe with subscriber.endpoint / .p256dh / .auth and publish …
//! let messages = service.wait_for_messages(&subscriber, 1).await;
//! assert_eq!(messages[0].text, "…");
//! service.make_gone(&subscriber).await;             // the endpoint answers 410 from now on
//! ```

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use base64::Engine;
use meldpunt::config::Settings;
use meldpunt::notify::webpush::VapidKeys;
use serde::Deserialize;
use serde_json::Value;

/// A fixed VAPID key pair for tests (made with `meldpunt vapid-keys`), and its contact.
pub const TEST_VAPID_PRIVATE_KEY: &str = "x_Z-_Aqi-wVqpwm7-SCWjHuiC_2_NBnJYDp4QzND_Ss";
pub const TEST_VAPID_PUBLIC_KEY: &str =
    "BNK6d52UnGvr8v_2OoqsamHBWURQxTTEmKLxiOQoGjd_Bt7pGpghcjzzjqck40Q_ppIgIRPsTAyw8IRo_TG4SJ8";
pub const TEST_VAPID_SUBJECT: &str = "mailto:push-test@meldpunt.example";

pub fn test_vapid_keys() -> VapidKeys {
    VapidKeys::from_settings(TEST_VAPID_PRIVATE_KEY, TEST_VAPID_SUBJECT).unwrap()
}

/// Puts the test VAPID keys into server settings (for `spawn_app_with`).
pub fn with_test_vapid_keys(settings: &mut Settings) {
    settings.vapid_private_key = TEST_VAPID_PRIVATE_KEY.into();
    settings.vapid_subject = TEST_VAPID_SUBJECT.into();
}

pub struct PushService {
    /// `http://127.0.0.1:<port>`, also the `aud` every VAPID token for it must carry.
    pub origin: String,
    client: reqwest::Client,
}

/// A subscription as a browser would hand it to meldpunt.
#[derive(Debug, Clone, Deserialize)]
pub struct Subscriber {
    pub id: String,
    pub endpoint: String,
    pub p256dh: String,
    pub auth: String,
}

/// A push request the service received: an accepted message (`status` 201, with the
/// decrypted payload) or a refused one (`reason` says why).
#[derive(Debug, Clone, Deserialize)]
pub struct PushRecord {
    pub status: u16,
    pub reason: String,
    /// The subscriber id (refused requests only).
    pub subscriber: Option<String>,
    pub ttl: Option<String>,
    pub urgency: Option<String>,
    pub content_encoding: Option<String>,
    /// VAPID claims and key, when the token could be read.
    pub aud: Option<String>,
    pub sub: Option<String>,
    pub exp: Option<u64>,
    pub k: Option<String>,
    /// The decrypted payload (accepted messages only).
    pub payload_b64: Option<String>,
    #[serde(default)]
    pub text: String,
}

impl PushRecord {
    pub fn payload(&self) -> Vec<u8> {
        base64::engine::general_purpose::STANDARD.decode(self.payload_b64.as_deref().unwrap_or_default()).unwrap()
    }

    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.payload()).unwrap()
    }
}

fn ensure_python_packages() {
    let present = || {
        Command::new("python3")
            .args(["-c", "import http_ece, cryptography"])
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    };
    if present() {
        return;
    }
    let installed = Command::new("python3")
        .args(["-m", "pip", "install", "--quiet", "http_ece", "cryptography"])
        .status()
        .is_ok_and(|s| s.success());
    assert!(
        installed && present(),
        "the Web Push tests need a push service peer: `python3 -m pip install http_ece cryptography` failed; install them by hand"
    );
}

/// The push service of this test process, started on first use.
pub fn push_service() -> &'static PushService {
    static SERVICE: OnceLock<PushService> = OnceLock::new();
    SERVICE.get_or_init(|| {
        ensure_python_packages();
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/push_service/push_service.py");
        let mut child = Command::new("python3")
            .arg(script)
            .args(["--port", "0", "--parent-pid", &std::process::id().to_string()])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start the push service peer (python3 {script}): {e}"));
        // The script prints its port once, then closes stdout; it stops itself (watchdog)
        // when this process is gone, so the child is never waited for here.
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
        let port: u16 = line
            .trim()
            .strip_prefix("listening on ")
            .and_then(|p| p.parse().ok())
            .unwrap_or_else(|| panic!("the push service peer did not start: {line:?}"));
        std::mem::forget(child);
        PushService {
            origin: format!("http://127.0.0.1:{port}"),
            // No pooled connections: each test has its own runtime, and a connection made on
            // the runtime of a test that has ended is dead.
            client: reqwest::Client::builder()
                .timeout(Duration::from_secs(10))
                .pool_max_idle_per_host(0)
                .build()
                .unwrap(),
        }
    })
}

impl PushService {
    async fn get<T: serde::de::DeserializeOwned>(&self, path: &str) -> T {
        let response = self.client.get(format!("{}{path}", self.origin)).send().await.unwrap();
        assert!(response.status().is_success(), "push service {path}: {}", response.status());
        response.json().await.unwrap()
    }

    /// A new subscriber (like a browser's `pushManager.subscribe`), for any application server.
    pub async fn subscriber(&self) -> Subscriber {
        self.get("/subscribers/new").await
    }

    /// A new subscriber that accepts only messages signed with `application_server_key`
    /// (what a browser does when it subscribed with that key).
    pub async fn subscriber_for(&self, application_server_key: &str) -> Subscriber {
        self.get(&format!("/subscribers/new?key={application_server_key}")).await
    }

    /// The messages accepted for `subscriber`, decrypted, oldest first.
    pub async fn messages(&self, subscriber: &Subscriber) -> Vec<PushRecord> {
        self.get(&format!("/subscribers/{}/messages", subscriber.id)).await
    }

    /// Every push request to `subscriber`'s endpoint, accepted or refused, oldest first.
    pub async fn attempts(&self, subscriber: &Subscriber) -> Vec<PushRecord> {
        self.get(&format!("/subscribers/{}/attempts", subscriber.id)).await
    }

    /// Every refused push request, of any subscriber.
    pub async fn refused(&self) -> Vec<PushRecord> {
        self.get("/refused").await
    }

    /// From now on `subscriber`'s endpoint answers 410 Gone (the browser unsubscribed).
    pub async fn make_gone(&self, subscriber: &Subscriber) {
        let _: Value = self.get(&format!("/subscribers/{}/gone", subscriber.id)).await;
    }

    /// From now on `subscriber`'s endpoint answers `status` (e.g. 500, 429); 0 restores it.
    pub async fn answer_with(&self, subscriber: &Subscriber, status: u16) {
        let _: Value = self.get(&format!("/subscribers/{}/answer/{status}", subscriber.id)).await;
    }

    /// Waits (up to 20 s) until `subscriber` has at least `count` accepted messages.
    pub async fn wait_for_messages(&self, subscriber: &Subscriber, count: usize) -> Vec<PushRecord> {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let messages = self.messages(subscriber).await;
            if messages.len() >= count {
                return messages;
            }
            assert!(
                Instant::now() < deadline,
                "waited for {count} push messages, have {}; attempts: {:?}",
                messages.len(),
                self.attempts(subscriber).await
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}
