//! Mail transports: SMTP when `smtp_url` is set, else a folder that receives one `.eml`
//! file per message (so a first start needs no mail server).
//!
//! SMTP goes through a pool of our own around lettre's connections rather than lettre's
//! `AsyncSmtpTransport`: lettre (0.11.23) leaves Nagle's algorithm on, and it writes a
//! message's body and the closing `.` separately, so every message waited for the server's
//! delayed ACK (40 ms on Linux): 16 connections carried about 340 messages a second. Our
//! pool opens the sockets itself, with `TCP_NODELAY`, and hands them to lettre, which then
//! speaks SMTP (EHLO, STARTTLS, AUTH, the message) as before.

use std::io;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::Mutex;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use lettre::Message;
use lettre::message::Mailbox;
use lettre::message::header::{ContentType, HeaderName, HeaderValue};
use lettre::transport::smtp::authentication::{Credentials, DEFAULT_MECHANISMS};
#[allow(deprecated)]
use lettre::transport::smtp::client::AsyncNetworkStream;
use lettre::transport::smtp::client::{AsyncSmtpConnection, AsyncTokioStream, Certificate, Tls, TlsParameters};
use lettre::transport::smtp::extension::ClientId;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

use super::templates::Rendered;

/// How long connecting, and each SMTP reply, may take.
const TIMEOUT: Duration = Duration::from_secs(20);

/// A pooled connection idle for longer than this is checked with a `NOOP` before use (the
/// server may have closed it meanwhile).
const CHECK_AFTER: Duration = Duration::from_secs(2);

/// A pooled connection idle for longer than this is closed instead of used: servers close
/// idle sessions after a few minutes anyway.
const IDLE_MAX: Duration = Duration::from_secs(60);

/// Why mail cannot be set up or sent. Each says what went wrong as the log and the
/// outbox show it; the cause's text is part of the message, so none is chained as a source.
#[derive(Debug, thiserror::Error)]
pub enum MailError {
    /// The mail folder cannot be created.
    #[error("cannot create the mail folder {folder}: {error}")]
    Folder { folder: String, error: io::Error },
    /// The message cannot be written into the mail folder.
    #[error("{0}")]
    FolderWrite(io::Error),
    /// The recipient is not an email address.
    #[error("invalid recipient: {0}")]
    Recipient(lettre::address::AddressError),
    /// The message cannot be put together.
    #[error("cannot build the message: {0}")]
    Message(lettre::error::Error),
    /// `MELDPUNT_SMTP_CA_FILE` cannot be read.
    #[error("cannot read MELDPUNT_SMTP_CA_FILE {path}: {error}")]
    CaFileUnreadable { path: String, error: io::Error },
    /// `MELDPUNT_SMTP_CA_FILE` holds no PEM certificate.
    #[error("MELDPUNT_SMTP_CA_FILE {path} holds no PEM certificate")]
    CaFileNotPem { path: String },
    /// `MELDPUNT_SMTP_CA_FILE` holds a certificate lettre cannot use.
    #[error("MELDPUNT_SMTP_CA_FILE {path} cannot be read: {error}")]
    CaFileInvalid { path: String, error: lettre::transport::smtp::Error },
    /// `MELDPUNT_SMTP_URL` cannot be used, and why.
    #[error("MELDPUNT_SMTP_URL is not usable: {0}")]
    Url(String),
    /// Connecting to the SMTP server took too long.
    #[error("connecting to {host}:{port} timed out")]
    ConnectTimeout { host: String, port: u16 },
    /// The SMTP server cannot be reached.
    #[error("cannot connect to {host}:{port}: {error}")]
    Connect { host: String, port: u16, error: io::Error },
    /// The socket refused `TCP_NODELAY`.
    #[error("cannot set TCP_NODELAY: {0}")]
    NoDelay(io::Error),
    /// TLS from the start (`smtps://`) failed.
    #[error("TLS with {host}: {error}")]
    Tls { host: String, error: lettre::transport::smtp::Error },
    /// The server did not greet within the timeout.
    #[error("{0} did not greet in time")]
    GreetingTimeout(String),
    #[error("STARTTLS with {host}: {error}")]
    StartTls { host: String, error: lettre::transport::smtp::Error },
    /// The server did not accept the message within the timeout.
    #[error("{0} did not accept the message in time")]
    SendTimeout(String),
    /// The SMTP conversation failed (greeting, AUTH or the message).
    #[error("{0}")]
    Smtp(lettre::transport::smtp::Error),
}

/// Where emails go.
pub enum Mailer {
    Smtp(SmtpPool),
    /// `.eml` files in a folder.
    Folder(PathBuf),
}

impl Mailer {
    /// The SMTP transport for `url` (see [`SmtpServer::parse`]), keeping up to `connections`
    /// SMTP connections open for reuse (one per message sent at the same time) and trusting
    /// the certificates in the PEM file `ca_file` besides the usual roots (none when empty);
    /// or the folder when `url` is empty.
    pub fn with_pool(url: &str, folder: &str, connections: u32, ca_file: &str) -> Result<Self, MailError> {
        if url.trim().is_empty() {
            std::fs::create_dir_all(folder).map_err(|error| MailError::Folder { folder: folder.to_owned(), error })?;
            return Ok(Mailer::Folder(PathBuf::from(folder)));
        }
        let server = SmtpServer::parse(url, read_ca_file(ca_file)?.as_deref())?;
        Ok(Mailer::Smtp(SmtpPool { server, idle: Mutex::new(Vec::new()), max_idle: connections.max(1) as usize }))
    }

    /// Sends one email.
    pub async fn send(&self, from: &Mailbox, to: &str, email: &Rendered) -> Result<(), MailError> {
        let to: Mailbox = to.parse().map_err(MailError::Recipient)?;
        let mut builder = Message::builder().from(from.clone()).to(to).subject(email.subject.clone());
        for (name, value) in &email.headers {
            builder = builder.raw_header(HeaderValue::new(HeaderName::new_from_ascii_str(name), value.clone()));
        }
        let message = builder.header(ContentType::TEXT_PLAIN).body(email.body.clone()).map_err(MailError::Message)?;
        match self {
            Mailer::Smtp(pool) => pool.send(&message).await,
            Mailer::Folder(folder) => {
                // Written under another name and renamed, so a reader of `*.eml` never sees
                // half a message.
                let id = uuid::Uuid::now_v7();
                let part = folder.join(format!("{id}.eml.part"));
                std::fs::write(&part, message.formatted())
                    .and_then(|()| std::fs::rename(&part, folder.join(format!("{id}.eml"))))
                    .map_err(|error| {
                        // The retry writes under a new name: leave no half message behind.
                        let _ = std::fs::remove_file(&part);
                        MailError::FolderWrite(error)
                    })
            }
        }
    }
}

/// The PEM text of the CA file, checked (empty name: none).
fn read_ca_file(path: &str) -> Result<Option<Vec<u8>>, MailError> {
    if path.trim().is_empty() {
        return Ok(None);
    }
    let pem = std::fs::read(path).map_err(|error| MailError::CaFileUnreadable { path: path.to_owned(), error })?;
    if !String::from_utf8_lossy(&pem).contains("-----BEGIN CERTIFICATE-----") {
        return Err(MailError::CaFileNotPem { path: path.to_owned() });
    }
    Certificate::from_pem(&pem).map_err(|error| MailError::CaFileInvalid { path: path.to_owned(), error })?;
    Ok(Some(pem))
}

/// Checks an SMTP URL (and the CA file) as the mailer would read them, so that a wrong
/// setting stops the start instead of the mail.
pub fn check_settings(url: &str, ca_file: &str) -> Result<(), MailError> {
    if url.trim().is_empty() {
        return Ok(());
    }
    SmtpServer::parse(url, read_ca_file(ca_file)?.as_deref()).map(|_| ())
}

/// Where and how to reach the SMTP server.
pub struct SmtpServer {
    host: String,
    port: u16,
    tls: Tls,
    credentials: Option<Credentials>,
    hello: ClientId,
}

impl std::fmt::Debug for SmtpServer {
    // Without the credentials.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let tls = match self.tls {
            Tls::None => "none",
            Tls::Opportunistic(_) => "opportunistic",
            Tls::Required(_) => "required",
            Tls::Wrapper(_) => "wrapper",
        };
        f.debug_struct("SmtpServer")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("tls", &tls)
            .field("authenticated", &self.credentials.is_some())
            .finish()
    }
}

impl SmtpServer {
    /// Reads an SMTP URL as lettre's `from_url` does: `smtp://host[:port]` (plain, port
    /// 25), `smtp://host[:port]?tls=required` or `?tls=opportunistic` (STARTTLS, port 587),
    /// `smtps://host[:port]` (TLS from the start, port 465); `user:password@` (percent-encoded)
    /// for AUTH PLAIN or LOGIN; a path names this client in EHLO (default: the host name).
    /// The certificates in the PEM text `roots` are trusted besides the usual authorities.
    pub fn parse(url: &str, roots: Option<&[u8]>) -> Result<Self, MailError> {
        let bad = MailError::Url;
        let parsed = url::Url::parse(url.trim()).map_err(|e| bad(e.to_string()))?;
        let host = parsed.host_str().filter(|h| !h.is_empty()).ok_or_else(|| bad("it names no host".into()))?;
        let host = host.trim_start_matches('[').trim_end_matches(']').to_owned();
        let tls_parameters = || {
            let mut builder = TlsParameters::builder(host.clone());
            if let Some(pem) = roots {
                builder = builder.add_root_certificate(Certificate::from_pem(pem).map_err(|e| bad(e.to_string()))?);
            }
            builder.build().map_err(|e| bad(format!("TLS: {e}")))
        };
        let tls_mode = parsed.query_pairs().find(|(k, _)| k == "tls").map(|(_, v)| v.into_owned());
        let (tls, default_port) = match (parsed.scheme(), tls_mode.as_deref()) {
            ("smtp", None) => (Tls::None, 25),
            ("smtp", Some("required")) => (Tls::Required(tls_parameters()?), 587),
            ("smtp", Some("opportunistic")) => (Tls::Opportunistic(tls_parameters()?), 587),
            ("smtps", None) => (Tls::Wrapper(tls_parameters()?), 465),
            (scheme, mode) => {
                return Err(bad(format!(
                    "use smtp://, smtp://…?tls=required, smtp://…?tls=opportunistic or smtps://, not {scheme}:// with tls={}",
                    mode.unwrap_or("(none)")
                )));
            }
        };
        let decode = |text: &str| {
            percent_encoding::percent_decode_str(text)
                .decode_utf8()
                .map(|t| t.into_owned())
                .map_err(|_| bad("the user or password is not UTF-8 once percent-decoded".into()))
        };
        let credentials = match parsed.password() {
            Some(password) => Some(Credentials::new(decode(parsed.username())?, decode(password)?)),
            None if !parsed.username().is_empty() => {
                return Err(bad("a user without a password; write smtp://user:password@host".into()));
            }
            None => None,
        };
        let name = parsed.path().trim_matches('/');
        let hello = if name.is_empty() { ClientId::default() } else { ClientId::Domain(name.to_owned()) };
        Ok(SmtpServer { port: parsed.port().unwrap_or(default_port), host, tls, credentials, hello })
    }

    /// A new connection: the socket with `TCP_NODELAY`, then the greeting and EHLO,
    /// STARTTLS where asked for, and AUTH where credentials are given.
    async fn connect(&self) -> Result<AsyncSmtpConnection, MailError> {
        let tcp = tokio::time::timeout(TIMEOUT, tokio::net::TcpStream::connect((self.host.as_str(), self.port)))
            .await
            .map_err(|_| MailError::ConnectTimeout { host: self.host.clone(), port: self.port })?
            .map_err(|error| MailError::Connect { host: self.host.clone(), port: self.port, error })?;
        tcp.set_nodelay(true).map_err(MailError::NoDelay)?;
        let stream: Box<dyn AsyncTokioStream> = match &self.tls {
            Tls::Wrapper(parameters) => {
                #[allow(deprecated)]
                let mut tls = AsyncNetworkStream::use_existing_tokio1(Box::new(tcp));
                tls.upgrade_tls(parameters.clone())
                    .await
                    .map_err(|error| MailError::Tls { host: self.host.clone(), error })?;
                Box::new(Wrapped(tls))
            }
            _ => Box::new(tcp),
        };
        let greeting = AsyncSmtpConnection::connect_with_transport(stream, &self.hello);
        let mut connection = tokio::time::timeout(TIMEOUT, greeting)
            .await
            .map_err(|_| MailError::GreetingTimeout(self.host.clone()))?
            .map_err(MailError::Smtp)?;
        match &self.tls {
            Tls::Required(parameters) => connection.starttls(parameters.clone(), &self.hello).await,
            Tls::Opportunistic(parameters) if connection.can_starttls() => {
                connection.starttls(parameters.clone(), &self.hello).await
            }
            _ => Ok(()),
        }
        .map_err(|error| MailError::StartTls { host: self.host.clone(), error })?;
        if let Some(credentials) = &self.credentials {
            connection.auth(DEFAULT_MECHANISMS, credentials).await.map_err(MailError::Smtp)?;
        }
        Ok(connection)
    }
}

/// Open SMTP connections for reuse, at most `max_idle` kept.
pub struct SmtpPool {
    server: SmtpServer,
    idle: Mutex<Vec<(AsyncSmtpConnection, Instant)>>,
    max_idle: usize,
}

impl SmtpPool {
    /// Sends one message on a pooled connection (or a new one), and keeps the connection
    /// if it is still good.
    async fn send(&self, message: &Message) -> Result<(), MailError> {
        let mut connection = self.checkout().await?;
        let sent = tokio::time::timeout(TIMEOUT * 3, connection.send(message.envelope(), &message.formatted())).await;
        match sent {
            Ok(Ok(_)) => {
                self.checkin(connection);
                Ok(())
            }
            Ok(Err(error)) => {
                if connection.has_broken() {
                    connection.abort().await;
                } else {
                    // Refused before the transaction began (e.g. no SMTPUTF8): still usable.
                    self.checkin(connection);
                }
                Err(MailError::Smtp(error))
            }
            Err(_) => {
                connection.abort().await;
                Err(MailError::SendTimeout(self.server.host.clone()))
            }
        }
    }

    /// A connection to send on: the most recently used idle one that is still good, else a
    /// new one.
    async fn checkout(&self) -> Result<AsyncSmtpConnection, MailError> {
        loop {
            let taken = self.idle.lock().map(|mut idle| idle.pop()).unwrap_or(None);
            let Some((mut connection, since)) = taken else { return self.server.connect().await };
            let idle_for = since.elapsed();
            if idle_for > IDLE_MAX {
                connection.abort().await;
                continue;
            }
            if idle_for > CHECK_AFTER
                && !tokio::time::timeout(TIMEOUT, connection.test_connected()).await.unwrap_or(false)
            {
                connection.abort().await;
                continue;
            }
            return Ok(connection);
        }
    }

    fn checkin(&self, connection: AsyncSmtpConnection) {
        if let Ok(mut idle) = self.idle.lock()
            && idle.len() < self.max_idle
        {
            idle.push((connection, Instant::now()));
        }
        // Beyond the limit, or with a poisoned lock: dropped, which closes the socket.
    }
}

/// A TLS stream made by lettre (for `smtps://`), which speaks futures' I/O traits, as the
/// tokio stream lettre takes for a connection.
#[allow(deprecated)]
#[derive(Debug)]
struct Wrapped(AsyncNetworkStream);

impl AsyncRead for Wrapped {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        let unfilled = buf.initialize_unfilled();
        match futures_io::AsyncRead::poll_read(Pin::new(&mut self.0), cx, unfilled) {
            Poll::Ready(Ok(read)) => {
                buf.advance(read);
                Poll::Ready(Ok(()))
            }
            Poll::Ready(Err(error)) => Poll::Ready(Err(error)),
            Poll::Pending => Poll::Pending,
        }
    }
}

impl AsyncWrite for Wrapped {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, data: &[u8]) -> Poll<io::Result<usize>> {
        futures_io::AsyncWrite::poll_write(Pin::new(&mut self.0), cx, data)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        futures_io::AsyncWrite::poll_flush(Pin::new(&mut self.0), cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        futures_io::AsyncWrite::poll_close(Pin::new(&mut self.0), cx)
    }
}

impl AsyncTokioStream for Wrapped {
    fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.0.peer_addr()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn smtp_urls_are_read_as_lettre_reads_them_and_nonsense_is_refused() {
        let server = SmtpServer::parse("smtp://127.0.0.1:2525", None).unwrap();
        assert_eq!((server.host.as_str(), server.port, server.credentials.is_none()), ("127.0.0.1", 2525, true));
        assert!(matches!(server.tls, Tls::None));
        let server = SmtpServer::parse("smtp://mail.example.nl?tls=required", None).unwrap();
        assert_eq!(server.port, 587);
        assert!(matches!(server.tls, Tls::Required(_)));
        let server = SmtpServer::parse("smtp://mail.example.nl:2587?tls=opportunistic", None).unwrap();
        assert_eq!(server.port, 2587);
        assert!(matches!(server.tls, Tls::Opportunistic(_)));
        let server = SmtpServer::parse("smtps://u%40x:p%2Fw@mail.example.nl/meldpunt.heerlen.nl", None).unwrap();
        assert_eq!(server.port, 465);
        assert!(matches!(server.tls, Tls::Wrapper(_)));
        assert_eq!(server.credentials, Some(Credentials::new("u@x".into(), "p/w".into())));
        assert_eq!(server.hello, ClientId::Domain("meldpunt.heerlen.nl".into()));
        assert!(!format!("{server:?}").contains("p/w"), "no password in logs");
        for bad in [
            "http://mail.example.nl",
            "smtp://mail.example.nl?tls=maybe",
            "smtp://",
            "mail.example.nl",
            "smtp://user@host",
        ] {
            assert!(SmtpServer::parse(bad, None).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_ca_file_without_certificates_is_refused() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let path = dir.path().join("ca.pem");
        std::fs::write(&path, "not a certificate").unwrap_or_else(|e| panic!("{e}"));
        let path = path.to_string_lossy().into_owned();
        assert!(check_settings("smtp://mail.example.nl?tls=required", &path).is_err());
        assert!(check_settings("smtp://mail.example.nl?tls=required", "missing/ca.pem").is_err());
        assert!(check_settings("smtp://mail.example.nl?tls=required", "").is_ok());
        assert!(check_settings("", "").is_ok());
    }
}
