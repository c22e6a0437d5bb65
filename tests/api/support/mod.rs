//! What the tests share: the test server and its databases, the one way to run a test on
//! both backends, and the peers tests talk to (SMTP, Web Push, the binary as a process).

pub mod app;
pub mod backends;
pub mod browser;
pub mod contract;
pub mod crash;
pub mod events;
pub mod history;
pub mod logs;
pub mod net;
pub mod oidc;
pub mod open311;
pub mod photos;
pub mod pii;
pub mod postgres;
pub mod process;
pub mod prometheus;
pub mod push;
pub mod routing;
pub mod smtp;
pub mod staff;
pub mod subscriptions;
