//! The analyst API: statistics per CBS area, category and period, and baseline and
//! monitoring projects. Analysts, coordinators and admins; department staff and residents
//! may not.

pub mod projects;
pub mod stats;

use actix_web::web;
use utoipa_actix_web::service_config::ServiceConfig;

use crate::api::error::ApiError;
use crate::api::state::AppState;
use crate::insight::statistics::{Context, StatsError};
use crate::storage::DbConnection;

/// Registers the analyst routes.
pub fn routes(config: &mut ServiceConfig) {
    config
        .service(stats::report_statistics)
        .service(projects::create_project)
        .service(projects::list_projects)
        .service(projects::get_project)
        .service(projects::update_project)
        .service(projects::close_project)
        .service(projects::project_results)
        .service(projects::project_changes);
}

impl From<StatsError> for ApiError {
    fn from(error: StatsError) -> Self {
        match error {
            StatsError::Invalid(fields) => ApiError::Validation(fields),
            StatsError::Storage(storage) => storage.into(),
        }
    }
}

/// Runs `work` off the executor with a connection and the statistics context of this
/// process (configuration snapshot, boundary-year cache, served municipalities).
pub async fn with_insight<T: Send + 'static>(
    state: &web::Data<AppState>,
    work: impl FnOnce(&mut DbConnection, &Context<'_>) -> Result<T, StatsError> + Send + 'static,
) -> Result<T, ApiError> {
    let snapshot = state.config.snapshot();
    let shared = state.clone();
    Ok(state
        .db
        .run(move |conn| {
            let ctx = Context {
                years: &shared.boundary_years,
                catalog: &snapshot.catalog,
                areas_generation: snapshot.generation.areas,
                served: &shared.served,
                min_count: shared.stats_min_count,
            };
            work(conn, &ctx)
        })
        .await?)
}
