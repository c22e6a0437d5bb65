//! The public API, for residents and the apps they use: no account needed. Filing and
//! following reports, photos, the map, "me too", areas, subscriptions, announcements and
//! their quick questions, and the probes and the OpenAPI document.

pub mod access;
pub mod additions;
pub mod announcements;
pub mod areas;
pub mod categories;
pub mod erasure;
pub mod follow;
pub mod health;
pub mod map;
pub mod photos;
pub mod reports;
pub mod subscriptions;
pub mod support;
pub mod survey;

use utoipa_actix_web::service_config::ServiceConfig;

/// Registers the public routes.
pub fn routes(config: &mut ServiceConfig) {
    config
        .service(health::healthz)
        .service(health::readyz)
        .service(crate::api::openapi::openapi_json)
        .service(categories::list_categories)
        .service(reports::create_report)
        .service(reports::get_report)
        .service(map::map_reports)
        .service(photos::add_photos)
        .service(photos::get_photo)
        .service(photos::get_thumbnail)
        .service(support::support_report)
        .service(support::confirm_support_page)
        .service(support::confirm_support)
        .service(follow::follow_report)
        .service(follow::request_reopen)
        .service(additions::post_remark)
        .service(additions::post_photos)
        .service(survey::survey_page_or_view)
        .service(survey::answer_survey)
        .service(erasure::erase_contact)
        .service(access::request_access)
        .service(access::show_access)
        .service(access::erase_everywhere)
        .service(areas::lookup)
        .service(areas::list_areas)
        .service(subscriptions::create_subscription)
        .service(subscriptions::push_key)
        .service(subscriptions::links::confirm_subscription_page)
        .service(subscriptions::links::confirm_subscription)
        .service(subscriptions::get_subscription)
        .service(subscriptions::update_subscription)
        .service(subscriptions::delete_subscription)
        .service(subscriptions::links::unsubscribe_page)
        .service(subscriptions::links::unsubscribe)
        .service(subscriptions::answers::answer_question)
        .service(announcements::list_public)
        .service(announcements::public_results)
        .service(announcements::feeds::atom_feed)
        .service(announcements::feeds::ical_feed)
        .service(announcements::answers::answer_page)
        .service(announcements::answers::answer_by_link);
}
