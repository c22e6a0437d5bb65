//! Report events to admins' webhook endpoints, against a real receiving process that checks
//! signatures and order: every event type, filters, a receiver that is down for a while,
//! dead deliveries that hold back later ones, the reporter's contact only where allowed
//! (audited), replay from a point in time, and bad input.

mod contact;
mod delivery;
mod endpoints;
mod settings;
