//! Staff at work: accounts and roles, the queue, triage, re-routing, duplicates, reporter
//! emails, moderation of public text, the authorisation matrix, and the binary with staff logging nothing personal.

mod accounts;
mod duplicates;
mod mail;
mod matrix;
mod moderation;
mod process;
mod queue;
mod rerouting;
mod triage;
