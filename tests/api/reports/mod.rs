//! Reports as residents file and see them: intake, idempotency, bad input, photos and where
//! they are kept, the public map, privacy, masking of what residents type, and what the log
//! says about rejected input.

mod bad_input;
mod idempotency;
mod intake;
mod logs;
mod map;
pub(crate) mod masking;
mod photo_store;
mod photos;
mod privacy;
