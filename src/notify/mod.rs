//! Messages to residents: email templates (Dutch and English) and the mail transports.

pub mod mail;
pub mod templates;
