//! Background jobs: the outbox worker.

pub mod outbox;
