//! Pure types and rules of the product: categories and their questions, reports and their
//! status, validation of what residents send, and what the public may see. Nothing here
//! knows about HTTP or SQL.

pub mod announcement;
pub mod area;
pub mod auth;
pub mod category;
pub mod figures;
pub mod imported;
pub mod map_grid;
pub mod message;
pub mod open311;
pub mod open_data;
pub mod photo;
pub mod photo_token;
pub mod placement;
pub mod privacy;
pub mod queue;
pub mod reference;
pub mod report;
pub mod report_event;
pub mod retention;
pub mod routing;
pub mod rule_spec;
pub mod small_counts;
pub mod spatial;
pub mod stats;
pub mod status;
pub mod subscription;
pub mod survey;
pub mod validation;
pub mod workflow;
