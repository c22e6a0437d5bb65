//! Mail transports: SMTP (lettre, pooled connections) when `smtp_url` is set, else a
//! folder that receives one `.eml` file per message (so a first start needs no mail server).

use std::path::PathBuf;

use lettre::message::Mailbox;
use lettre::message::header::{ContentType, HeaderName, HeaderValue};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use super::templates::Rendered;

/// Where emails go.
pub enum Mailer {
    /// An SMTP server.
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
    /// `.eml` files in a folder.
    Folder(PathBuf),
}

impl Mailer {
    /// The SMTP transport for `url` (`smtp://host:port`, `smtps://…`, `?tls=required`), or
    /// the folder when `url` is empty. Must be called inside a Tokio runtime.
    pub fn new(url: &str, folder: &str) -> Result<Self, String> {
        Self::with_pool(url, folder, 10)
    }

    /// As [`Mailer::new`], keeping up to `connections` SMTP connections open for reuse (one
    /// per message sent at the same time).
    pub fn with_pool(url: &str, folder: &str, connections: u32) -> Result<Self, String> {
        if url.trim().is_empty() {
            std::fs::create_dir_all(folder).map_err(|e| format!("cannot create the mail folder {folder}: {e}"))?;
            return Ok(Mailer::Folder(PathBuf::from(folder)));
        }
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
            .map_err(|e| format!("MELDPUNT_SMTP_URL is not usable: {e}"))?
            .timeout(Some(std::time::Duration::from_secs(20)))
            .pool_config(lettre::transport::smtp::PoolConfig::new().max_size(connections.max(1)))
            .build();
        Ok(Mailer::Smtp(transport))
    }

    /// Sends one email.
    pub async fn send(&self, from: &Mailbox, to: &str, email: &Rendered) -> Result<(), String> {
        let to: Mailbox = to.parse().map_err(|e| format!("invalid recipient: {e}"))?;
        let mut builder = Message::builder().from(from.clone()).to(to).subject(email.subject.clone());
        for (name, value) in &email.headers {
            builder = builder.raw_header(HeaderValue::new(HeaderName::new_from_ascii_str(name), value.clone()));
        }
        let message = builder
            .header(ContentType::TEXT_PLAIN)
            .body(email.body.clone())
            .map_err(|e| format!("cannot build the message: {e}"))?;
        match self {
            Mailer::Smtp(transport) => transport.send(message).await.map(|_| ()).map_err(|e| e.to_string()),
            Mailer::Folder(folder) => {
                let path = folder.join(format!("{}.eml", uuid::Uuid::now_v7()));
                std::fs::write(&path, message.formatted()).map_err(|e| e.to_string())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Mailer;

    #[test]
    fn smtp_urls_with_and_without_tls_give_a_transport_and_nonsense_is_refused() {
        let runtime =
            tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap_or_else(|e| panic!("{e}"));
        runtime.block_on(async {
            for url in
                ["smtp://127.0.0.1:2525", "smtp://mail.example.nl:587?tls=required", "smtps://u:p@mail.example.nl"]
            {
                assert!(matches!(Mailer::new(url, "unused"), Ok(Mailer::Smtp(_))), "{url}");
            }
            assert!(Mailer::new("http://mail.example.nl", "unused").is_err());
        });
    }
}
