//! Background jobs: the outbox worker (reporter emails and subscriber messages) and the
//! publisher of scheduled announcements.

pub mod delivery;
pub mod outbox;
pub mod scheduler;
pub mod subscriber_messages;
