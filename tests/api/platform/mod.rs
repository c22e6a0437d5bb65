//! The platform under the features: probes, the OpenAPI contract, robustness against any
//! input, abuse limits, request ids, CORS, slow clients, the binary as a process, separate
//! outbox workers, and the Web Push transport.

mod basics;
mod cors;
mod limits;
mod openapi;
mod process;
mod request_ids;
mod robustness;
mod slow_clients;
mod web_push;
mod worker;
