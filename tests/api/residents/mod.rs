//! The pages residents reach from meldpunt's emails: server-rendered HTML at the same
//! addresses that answer JSON to apps, with forms, in Dutch and English, and in a real
//! headless Chromium with axe-core.

mod additions;
mod links;
mod report;
mod subscription;
