//! The analyst API: statistics per CBS area, category and period, and baseline and
//! monitoring projects. Analysts, coordinators and admins; department staff and residents
//! may not.

pub mod stats;

use utoipa_actix_web::service_config::ServiceConfig;

/// Registers the analyst routes.
pub fn routes(config: &mut ServiceConfig) {
    config.service(stats::report_statistics);
}
