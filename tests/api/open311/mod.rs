//! Open311 GeoReport v2: discovery and services, filing and listing requests, updates, and
//! off-the-shelf clients.

mod clients;
mod filing;
mod requests;
mod services;
mod updates;
