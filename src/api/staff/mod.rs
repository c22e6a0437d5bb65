//! Endpoints for signed-in staff: account management (admin), the triage API.

pub mod accounts;
pub mod changes;
pub mod queue;
pub mod reports;
