//! Messages to residents: email templates (Dutch and English), the mail transports,
//! subscriber messages and signed webhooks.

pub mod mail;
pub mod subscriptions;
pub mod templates;
pub mod webhook;
