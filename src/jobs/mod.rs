//! Background jobs: the outbox worker (reporter emails and subscriber messages), the
//! publisher of scheduled announcements, and the retention job.

pub mod delivery;
pub mod event_payload;
pub mod outbox;
pub mod report_events;
pub mod retention;
pub mod scheduler;
pub mod subscriber_messages;
