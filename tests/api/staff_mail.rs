//! Reporter emails through the outbox: against a real SMTP server process (aiosmtpd), in
//! Dutch and English, with a follow link; nothing lost or doubled while the server is down;
//! dead-lettering; the folder transport without a server.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{Backend, TestApp, spawn_app_with, street_light_report};
use crate::staff_helpers::*;

/// An aiosmtpd process storing every message in a maildir.
pub struct SmtpServer {
    child: Child,
    maildir: PathBuf,
    _dir: tempfile::TempDir,
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn ensure_aiosmtpd() {
    let present =
        Command::new("python3").args(["-c", "import aiosmtpd"]).status().map(|s| s.success()).unwrap_or(false);
    if present {
        return;
    }
    let installed = Command::new("python3")
        .args(["-m", "pip", "install", "--quiet", "aiosmtpd"])
        .status()
        .map(|s| s.success())
        .unwrap_or(false);
    assert!(
        installed,
        "these tests need a real SMTP server: install it with `python3 -m pip install aiosmtpd` (python3 and pip required)"
    );
}

/// A free port outside the kernel's ephemeral range, so that no server of a parallel test
/// (they listen on port 0) takes it while the SMTP server is meant to be down.
pub fn free_port() -> u16 {
    use rand::Rng;
    loop {
        let port = rand::rng().random_range(20_000..30_000);
        if std::net::TcpListener::bind(("127.0.0.1", port)).is_ok() {
            return port;
        }
    }
}

/// How an SMTP server speaks TLS.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ServerTls {
    /// Not at all.
    None,
    /// STARTTLS, required before mail.
    StartTls,
    /// TLS from the first byte (SMTPS).
    Implicit,
}

/// A private certificate authority and a server certificate it signed for 127.0.0.1, made
/// with the openssl command: `(ca.pem, server.pem, server.key)` in `dir`.
pub fn private_ca(dir: &Path) -> (PathBuf, PathBuf, PathBuf) {
    let run = |args: &[&str]| {
        let status = Command::new("openssl")
            .args(args)
            .current_dir(dir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .expect(
                "these tests make certificates with the openssl command: install it (Debian: apt-get install openssl)",
            );
        assert!(status.success(), "openssl {args:?} failed");
    };
    run(&[
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        "ca.key",
        "-out",
        "ca.pem",
        "-days",
        "2",
        "-subj",
        "/CN=meldpunt test CA",
    ]);
    run(&[
        "req",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        "server.key",
        "-out",
        "server.csr",
        "-subj",
        "/CN=127.0.0.1",
    ]);
    std::fs::write(
        dir.join("server.ext"),
        "basicConstraints=CA:FALSE\nsubjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n",
    )
    .unwrap();
    run(&[
        "x509",
        "-req",
        "-in",
        "server.csr",
        "-CA",
        "ca.pem",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-out",
        "server.pem",
        "-days",
        "2",
        "-extfile",
        "server.ext",
    ]);
    (dir.join("ca.pem"), dir.join("server.pem"), dir.join("server.key"))
}

impl SmtpServer {
    pub fn start(port: u16) -> SmtpServer {
        Self::start_with(port, ServerTls::None, None)
    }

    /// A server speaking `tls` with the certificate and key `identity`.
    pub fn start_with(port: u16, tls: ServerTls, identity: Option<(&Path, &Path)>) -> SmtpServer {
        ensure_aiosmtpd();
        let dir = tempfile::tempdir().unwrap();
        let maildir = dir.path().join("maildir");
        let mut command = Command::new("python3");
        command.args(["-m", "aiosmtpd", "-n", "-l", &format!("127.0.0.1:{port}"), "-c", "aiosmtpd.handlers.Mailbox"]);
        match (tls, identity) {
            (ServerTls::None, _) => {}
            (ServerTls::StartTls, Some((cert, key))) => {
                command.arg("--tlscert").arg(cert).arg("--tlskey").arg(key);
            }
            (ServerTls::Implicit, Some((cert, key))) => {
                command.arg("--smtpscert").arg(cert).arg("--smtpskey").arg(key);
            }
            (_, None) => panic!("a TLS server needs a certificate"),
        }
        // The maildir is the handler's argument: after the options.
        let child = command
            .arg(&maildir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("cannot start python3 -m aiosmtpd");
        let server = SmtpServer { child, maildir, _dir: dir };
        let deadline = Instant::now() + Duration::from_secs(15);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "aiosmtpd did not start listening on port {port}");
            std::thread::sleep(Duration::from_millis(50));
        }
        server
    }

    /// Every delivered message, decoded enough to search (soft line breaks joined).
    pub fn messages(&self) -> Vec<String> {
        read_all(&self.maildir.join("new"))
    }
}

fn read_all(folder: &Path) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(folder) else { return Vec::new() };
    let mut texts: Vec<String> = entries
        .filter_map(|e| e.ok())
        .filter_map(|e| std::fs::read_to_string(e.path()).ok())
        .map(|t| t.replace("=\r\n", "").replace("=\n", "").replace("=3D", "="))
        .collect();
    texts.sort();
    texts
}

pub async fn wait_for(what: &str, mut count: impl FnMut() -> usize, want: usize) {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let n = count();
        if n >= want {
            return;
        }
        assert!(Instant::now() < deadline, "waited for {want} {what}, have {n}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn follow_token(message: &str) -> String {
    let start = message.find("/api/v1/follow/").expect("a follow link") + "/api/v1/follow/".len();
    message[start..].chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect()
}

async fn file_with_email(app: &TestApp, email: &str, language: Option<&str>) -> Value {
    let mut body = street_light_report();
    body["reporter"] = json!({"email": email});
    if let Some(language) = language {
        body["language"] = json!(language);
    }
    let response = app.post_report(&body, None).await;
    assert_eq!(response.status(), 201);
    response.json().await.unwrap()
}

pub async fn smtp_app(backend: Backend, port: u16, retry_ms: u64, attempts: u32) -> TestApp {
    spawn_app_with(backend, |s| {
        s.bootstrap_admin_email = ADMIN_EMAIL.into();
        s.bootstrap_admin_password = ADMIN_PASSWORD.into();
        s.smtp_url = format!("smtp://127.0.0.1:{port}");
        s.public_url = "https://meldpunt.test".into();
        s.mail_from = "Gemeente Heerlen <meldingen@heerlen.example>".into();
        s.outbox_poll_ms = 50;
        s.outbox_retry_ms = retry_ms;
        s.outbox_max_attempts = attempts;
    })
    .await
}

async fn outbox_counts(app: &TestApp) -> meldpunt::storage::outbox::OutboxCounts {
    let url = app.database_url.clone();
    tokio::task::spawn_blocking(move || {
        let db = meldpunt::storage::Database::open(&meldpunt::storage::DatabaseSettings {
            url,
            pool_size: 2,
            pool_timeout: Duration::from_secs(5),
            sqlite_synchronous: meldpunt::storage::SqliteSynchronous::Full,
        })
        .unwrap();
        meldpunt::storage::outbox::counts(&mut db.conn().unwrap()).unwrap()
    })
    .await
    .unwrap()
}

async fn reporters_get_a_confirmation_and_every_public_status_change_by_smtp(backend: Backend) {
    let port = free_port();
    let smtp = SmtpServer::start(port);
    let app = smtp_app(backend, port, 1000, 5).await;
    let english = file_with_email(&app, "resident@example.org", Some("en")).await;
    let dutch = file_with_email(&app, "bewoner@example.nl", None).await;
    wait_for("confirmations", || smtp.messages().len(), 2).await;
    let messages = smtp.messages();
    let to_english = messages.iter().find(|m| m.contains("resident@example.org")).unwrap();
    let reference = english["reference"].as_str().unwrap();
    assert!(to_english.contains(&format!("Your report {reference} has been received")), "{to_english}");
    assert!(to_english.contains("meldingen@heerlen.example"));
    let to_dutch = messages.iter().find(|m| m.contains("bewoner@example.nl")).unwrap();
    assert!(
        to_dutch.contains(&format!("Uw melding {} is ontvangen", dutch["reference"].as_str().unwrap())),
        "{to_dutch}"
    );
    assert!(to_dutch.contains("https://meldpunt.test/api/v1/follow/mpt_"));

    let token = follow_token(to_english);
    let admin = admin_token(&app).await;
    let id = english["id"].as_str().unwrap();
    let moved = send(
        &app,
        Method::POST,
        &format!("/api/v1/staff/reports/{id}/transitions"),
        Some(&admin),
        Some(json!({"to": "resolved", "text": "The lamp has been replaced."})),
    )
    .await;
    assert_eq!(moved.status(), 200);
    send(
        &app,
        Method::POST,
        &format!("/api/v1/staff/reports/{id}/notes"),
        Some(&admin),
        Some(json!({"text": "Internal only: contractor X.", "visibility": "internal"})),
    )
    .await;
    wait_for("status emails", || smtp.messages().len(), 3).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let messages = smtp.messages();
    assert_eq!(messages.len(), 3, "an internal note sends nothing");
    let update = messages.iter().find(|m| m.contains("is resolved")).unwrap();
    assert!(update.contains("The lamp has been replaced.") && update.contains(reference));

    let followed = app.get(&format!("/api/v1/follow/{token}")).await;
    assert_eq!(followed.status(), 200);
    let followed = followed.text().await.unwrap();
    assert!(followed.contains("\"status\":\"resolved\"") && followed.contains("The lamp has been replaced."));
    assert!(
        !followed.contains("contractor") && !followed.contains("resident@example.org") && !followed.contains("staff:")
    );
    assert_eq!(app.get("/api/v1/follow/mpt_notatoken").await.status(), 404);
}

async fn no_email_is_lost_or_doubled_while_the_smtp_server_is_down(backend: Backend) {
    let port = free_port();
    let app = smtp_app(backend, port, 100, 50).await;
    let report = file_with_email(&app, "geduldig@example.nl", None).await;
    let admin = admin_token(&app).await;
    let id = report["id"].as_str().unwrap();
    let moved = send(
        &app,
        Method::POST,
        &format!("/api/v1/staff/reports/{id}/transitions"),
        Some(&admin),
        Some(json!({"to": "accepted"})),
    )
    .await;
    assert_eq!(moved.status(), 200);
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let waiting = outbox_counts(&app).await;
    assert_eq!((waiting.pending, waiting.sent), (2, 0), "both emails wait while the server is down");
    let smtp = SmtpServer::start(port);
    wait_for("emails after the server came back", || smtp.messages().len(), 2).await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(smtp.messages().len(), 2, "each email exactly once");
    assert_eq!(outbox_counts(&app).await.sent, 2);
}

async fn an_email_that_keeps_failing_is_dead_lettered(backend: Backend) {
    let port = free_port();
    let app = smtp_app(backend, port, 20, 3).await;
    file_with_email(&app, "nooit@example.nl", None).await;
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let counts = outbox_counts(&app).await;
        if counts.dead == 1 {
            assert_eq!(counts.pending, 0);
            break;
        }
        assert!(Instant::now() < deadline, "not dead-lettered: {counts:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn without_an_smtp_server_emails_are_written_to_the_mail_folder(backend: Backend) {
    let folder = tempfile::tempdir().unwrap();
    let path = folder.path().display().to_string();
    let app = spawn_app_with(backend, |s| {
        s.mail_dir = path.clone();
        s.outbox_poll_ms = 50;
    })
    .await;
    let report = file_with_email(&app, "bestand@example.nl", None).await;
    wait_for(".eml files", || read_all(folder.path()).len(), 1).await;
    let mail = &read_all(folder.path())[0];
    assert!(mail.contains(report["reference"].as_str().unwrap()) && mail.contains("bestand@example.nl"));
}

macro_rules! both {
    ($($name:ident),*) => {
        $(
            mod $name {
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn on_sqlite() {
                    super::$name(crate::helpers::Backend::Sqlite).await
                }
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn on_postgres() {
                    super::$name(crate::helpers::Backend::Postgres).await
                }
            }
        )*
    };
}

/// The confirmation email of a report reaches an SMTP server that speaks `tls`, with a
/// certificate of a private CA that meldpunt is told to trust; a server it is not told to
/// trust gets nothing.
async fn emails_travel_over_tls(backend: Backend, tls: ServerTls, url: impl Fn(u16) -> String) {
    let certificates = tempfile::tempdir().unwrap();
    let (ca, cert, key) = private_ca(certificates.path());
    let port = free_port();
    let smtp = SmtpServer::start_with(port, tls, Some((&cert, &key)));
    let app = spawn_app_with(backend, |s| {
        s.smtp_url = url(port);
        s.smtp_ca_file = ca.to_string_lossy().into_owned();
        s.outbox_poll_ms = 50;
    })
    .await;
    let report = file_with_email(&app, "versleuteld@example.nl", None).await;
    wait_for("the confirmation over TLS", || smtp.messages().len(), 1).await;
    assert!(smtp.messages()[0].contains(report["reference"].as_str().unwrap()));

    // Not told to trust the private CA: the certificate is refused and nothing is sent.
    let untrusting = spawn_app_with(backend, |s| {
        s.smtp_url = url(port);
        s.outbox_poll_ms = 50;
        s.outbox_retry_ms = 100;
    })
    .await;
    file_with_email(&untrusting, "niet-vertrouwd@example.nl", None).await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(smtp.messages().len(), 1, "sent to a server whose certificate is not trusted");
    let waiting = outbox_counts(&untrusting).await;
    assert_eq!((waiting.pending, waiting.sent), (1, 0));
}

async fn emails_reach_an_smtp_server_by_starttls_trusting_a_private_ca(backend: Backend) {
    emails_travel_over_tls(backend, ServerTls::StartTls, |port| format!("smtp://127.0.0.1:{port}?tls=required")).await;
}

async fn emails_reach_an_smtps_server_trusting_a_private_ca(backend: Backend) {
    emails_travel_over_tls(backend, ServerTls::Implicit, |port| format!("smtps://127.0.0.1:{port}")).await;
}

both!(
    emails_reach_an_smtp_server_by_starttls_trusting_a_private_ca,
    emails_reach_an_smtps_server_trusting_a_private_ca,
    reporters_get_a_confirmation_and_every_public_status_change_by_smtp,
    no_email_is_lost_or_doubled_while_the_smtp_server_is_down,
    an_email_that_keeps_failing_is_dead_lettered,
    without_an_smtp_server_emails_are_written_to_the_mail_folder
);
