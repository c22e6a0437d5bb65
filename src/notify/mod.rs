//! Messages to residents: email templates (Dutch and English), the mail transports, and Web
//! Push.

pub mod mail;
pub mod templates;
pub mod webpush;
