//! Reports as residents file and see them: intake, idempotency, bad input, photos and where
//! they are kept, the public map, and privacy.

mod bad_input;
mod idempotency;
mod intake;
mod map;
mod photo_store;
mod photos;
mod privacy;
