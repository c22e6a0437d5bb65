//! Open311 GeoReport v2: discovery and services, requests, and off-the-shelf clients.

mod clients;
mod requests;
mod services;
