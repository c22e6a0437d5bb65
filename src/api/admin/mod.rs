//! The admin API: configuration (areas and their CBS key figures, departments, categories,
//! routing rules and trying them out, the survey's standard answers), staff accounts and
//! API tokens, the audit log of views of personal data, importing the history of an earlier
//! system, the log of retention runs, anonymising a reporter on request, the outbox's dead
//! letters, and webhook endpoints for report events with their deliveries.

pub mod accounts;
pub mod anonymise;
pub mod areas;
pub mod audit;
pub mod categories;
pub mod departments;
pub mod events;
pub mod figures;
pub mod imports;
pub mod outbox;
pub mod retention;
pub mod routing;
pub mod survey_answers;

use utoipa_actix_web::service_config::ServiceConfig;

/// Registers the admin routes.
pub fn routes(config: &mut ServiceConfig) {
    config
        .service(areas::import_areas)
        .service(areas::list_imports)
        .service(figures::load_figures)
        .service(figures::list_figures)
        .service(imports::import_reports)
        .service(departments::list_departments)
        .service(departments::create_department)
        .service(departments::update_department)
        .service(departments::deactivate_department)
        .service(categories::list_categories)
        .service(categories::create_category)
        .service(categories::update_category)
        .service(survey_answers::list_survey_answers)
        .service(survey_answers::create_survey_answer)
        .service(survey_answers::update_survey_answer)
        .service(survey_answers::deactivate_survey_answer)
        .service(routing::list_rules)
        .service(routing::get_rule)
        .service(routing::create_rule)
        .service(routing::update_rule)
        .service(routing::delete_rule)
        .service(routing::explain)
        .service(accounts::list_accounts)
        .service(accounts::create_account)
        .service(accounts::update_account)
        .service(accounts::create_token)
        .service(accounts::list_tokens)
        .service(accounts::revoke_token)
        .service(audit::audit_log)
        .service(retention::retention_runs)
        .service(anonymise::anonymise_reporter)
        .service(outbox::list_messages)
        .service(outbox::requeue_messages)
        .service(outbox::requeue_message)
        .service(outbox::list_deliveries)
        .service(outbox::requeue_deliveries)
        .service(outbox::requeue_delivery)
        .service(events::endpoints::create_endpoint)
        .service(events::endpoints::list_endpoints)
        .service(events::endpoints::get_endpoint)
        .service(events::endpoints::delete_endpoint)
        .service(events::endpoints::change_endpoint)
        .service(events::settings::replace_endpoint)
        .service(events::settings::rotate_secret)
        .service(events::deliveries::list_deliveries)
        .service(events::deliveries::replay)
        .service(events::deliveries::requeue);
}
