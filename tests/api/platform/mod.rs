//! The platform under the features: probes, the OpenAPI contract, robustness against any
//! input, abuse limits, request ids, CORS, slow clients, the binary as a process, several
//! processes on one database, crash safety under SIGKILL, separate outbox workers, metrics,
//! dead letters, and the Web Push transport.

mod basics;
mod cluster;
mod cors;
mod crash;
mod dead_letters;
mod limits;
mod metrics;
mod openapi;
mod process;
mod request_ids;
mod robustness;
mod slow_clients;
mod web_push;
mod worker;
mod worker_crash;
