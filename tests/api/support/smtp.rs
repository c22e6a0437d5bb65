//! A real SMTP server process (aiosmtpd, installed from PyPI when missing), with or without
//! TLS, and reading the mail it or the mail folder transport received.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::app::{Backend, TestApp, spawn_app_with};
use super::staff::with_bootstrap_admin;

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

    /// How many messages were delivered (the files counted, none read: cheap to poll).
    pub fn count(&self) -> usize {
        std::fs::read_dir(self.maildir.join("new")).map_or(0, |entries| entries.count())
    }

    /// Every delivered message, decoded enough to search (soft line breaks joined).
    pub fn messages(&self) -> Vec<String> {
        mails_in(&self.maildir.join("new"))
    }
}

/// Every message in a mail folder (a maildir's `new`, or `mail_dir`), decoded enough to
/// search (soft line breaks joined), in name order.
pub fn mails_in(folder: &Path) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(folder) else { return Vec::new() };
    let mut texts: Vec<String> = entries
        .filter_map(|e| e.ok())
        // Only whole messages: a maildir's `new` holds them, `mail_dir` names them `*.eml`
        // once written.
        .filter(|e| e.path().extension().is_none_or(|x| x != "part"))
        .filter_map(|e| std::fs::read_to_string(e.path()).ok())
        .map(|t| t.replace("=\r\n", "").replace("=\n", "").replace("=3D", "="))
        .collect();
    texts.sort();
    texts
}

/// The token after `marker` in `text` (a link's last path segment).
pub fn token_after(text: &str, marker: &str) -> String {
    let start = text.find(marker).unwrap_or_else(|| panic!("no {marker} in {text}")) + marker.len();
    text[start..].chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect()
}

/// A server with a bootstrap admin that sends mail to the SMTP server on `port`, polling
/// the outbox every 50 ms and retrying every `retry_ms`, at most `attempts` times.
pub async fn smtp_app(backend: Backend, port: u16, retry_ms: u64, attempts: u32) -> TestApp {
    spawn_app_with(backend, |s| {
        with_bootstrap_admin(s);
        s.smtp_url = format!("smtp://127.0.0.1:{port}");
        s.public_url = "https://meldpunt.test".into();
        s.mail_from = "Gemeente Heerlen <meldingen@heerlen.example>".into();
        s.outbox_poll_ms = 50;
        s.outbox_retry_ms = retry_ms;
        s.outbox_max_attempts = attempts;
    })
    .await
}
