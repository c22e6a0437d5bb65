//! Messages to residents: the texts (Dutch and English) for reporters and subscribers, the
//! mail transports, signed webhooks and Web Push.

pub mod mail;
pub mod templates;
pub mod webhook;
pub mod webpush;
