//! The platform under the features: probes, the OpenAPI contract, robustness against any
//! input, the binary as a process, crash safety under SIGKILL, separate outbox workers, and the
//! Web Push transport.

mod basics;
mod crash;
mod dead_letters;
mod metrics;
mod openapi;
mod process;
mod robustness;
mod web_push;
mod worker;
mod worker_crash;
