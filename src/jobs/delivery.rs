//! What the outbox worker and the delivery of subscriber messages share: the worker's
//! settings and what became of a message. Below both, so neither module needs the other.

use std::time::Duration;

/// Settings of the worker.
#[derive(Debug, Clone)]
pub struct OutboxSettings {
    /// `smtp://…`; empty: write `.eml` files to `mail_dir`.
    pub smtp_url: String,
    /// Extra trusted certificates for the SMTP server (PEM file); empty: none.
    pub smtp_ca_file: String,
    /// Folder for `.eml` files.
    pub mail_dir: String,
    /// Sender.
    pub from: String,
    /// Base URL of follow links.
    pub public_url: String,
    /// Pause when nothing is due.
    pub poll: Duration,
    /// First retry delay; doubles per attempt (capped at one hour).
    pub retry_base: Duration,
    /// Attempts before a message is dead-lettered.
    pub max_attempts: i32,
    /// Webhooks may use plain http and private or loopback addresses (tests, closed networks).
    pub webhook_allow_insecure: bool,
    /// VAPID keys for Web Push; `None`: push is off.
    pub vapid: Option<crate::notify::webpush::VapidKeys>,
    /// Signs subscribers' management and answer links (the secret is loaded once, at start).
    pub links: crate::domain::subscription::LinkSigner,
    /// Messages claimed at a time.
    pub batch: usize,
    /// Messages sent at once (and the most pooled SMTP connections).
    pub concurrency: usize,
}

/// What became of a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Delivered.
    Sent,
    /// Not to be sent any more.
    Cancelled,
}
