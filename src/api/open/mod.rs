//! The open-data API: public statistics per CBS area, category and period that identify
//! nobody, downloads of aggregates and report-level records, their data dictionaries, and
//! the DCAT catalogue. Unauthenticated.

use utoipa_actix_web::service_config::ServiceConfig;

/// Registers the open-data routes.
pub fn routes(_config: &mut ServiceConfig) {}
