//! The staff API: logging in, the queue, handling one report (triage: detail, status
//! transitions, notes, assignment, merging), changing it with re-routing, moderating its
//! public text, and writing announcements. Callers send a
//! bearer token; what each role may do is in [`crate::api::access`].

pub mod announcement_reach;
pub mod announcements;
pub mod auth;
pub mod changes;
pub mod handling;
pub mod moderation;
pub mod queue;
pub mod triage;

use utoipa_actix_web::service_config::ServiceConfig;

/// Registers the staff routes.
pub fn routes(config: &mut ServiceConfig) {
    config
        .service(auth::login)
        .service(auth::logout)
        .service(queue::list_staff_reports)
        .service(triage::get_staff_report)
        .service(triage::transition_report)
        .service(triage::add_note)
        .service(triage::assign_report)
        .service(triage::merge_report)
        .service(changes::update_report)
        .service(changes::report_history)
        .service(moderation::moderate_report)
        .service(announcements::create_announcement)
        .service(announcements::list_announcements)
        .service(announcements::get_announcement)
        .service(announcements::update_announcement)
        .service(announcements::publish_announcement)
        .service(announcements::withdraw_announcement)
        .service(announcements::close_question)
        .service(announcements::announcement_deliveries)
        .service(announcements::staff_results)
        .service(announcement_reach::announcement_reach);
}
