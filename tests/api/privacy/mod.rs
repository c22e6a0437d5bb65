//! The privacy lifecycle: the retention job (`meldpunt retention run` and the daily run)
//! anonymises and deletes what is past its term, leaves statistics and project results as
//! they were, and runs once however many processes try; a reporter erases their contact
//! through the follow link, and admins anonymise one on request. `logs` proves the scan of
//! everything the servers log for personal data (see `support::logs`).

mod access;
mod consent;
mod erasure;
mod logs;
mod photos;
mod retention;
mod retention_job;
mod support;
