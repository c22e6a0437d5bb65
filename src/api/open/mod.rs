//! The open-data API: public statistics per CBS area, category and period that identify
//! nobody, downloads of aggregates and report-level records, their data dictionaries, and
//! the DCAT catalogue. Unauthenticated.

pub mod catalog;
pub mod conditional;
pub mod records;
pub mod stats;

use utoipa_actix_web::service_config::ServiceConfig;

/// Registers the open-data routes.
pub fn routes(config: &mut ServiceConfig) {
    config
        .service(stats::open_statistics)
        .service(stats::aggregates_csv)
        .service(stats::aggregates_geojson)
        .service(stats::aggregates_schema)
        .service(records::records_csv)
        .service(records::records_geojson)
        .service(records::records_schema)
        .service(catalog::open_data_catalog);
}
