//! Messages to residents: email templates (Dutch and English), the mail transports,
//! subscriber messages, signed webhooks and Web Push.

pub mod mail;
pub mod subscriptions;
pub mod templates;
pub mod webhook;
pub mod webpush;
