//! Webhook endpoints for report events (admins, or the admin token): registering, listing,
//! reading, turning off or on and deleting endpoints (`endpoints`), changing them and
//! rotating their secret (`settings`), and per endpoint what was delivered, what
//! is failing and why, replaying from a point in time and requeueing dead deliveries
//! (`deliveries`). docs/api-guide.md#report-events describes the events themselves.

pub mod deliveries;
pub mod endpoints;
pub mod settings;
