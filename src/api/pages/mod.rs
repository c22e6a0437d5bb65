//! The HTML pages meldpunt answers itself: the pages residents reach from their emails
//! ([`resident`], askama templates: their report, their subscription, and the one-click
//! confirm, unsubscribe, answer and survey links);
//! the public dashboard ([`dashboard`]), rendered on the server with its own assets; and the
//! analyst's project page ([`analyst`]); and the staff console ([`console`], `/console`).
//! Everything else the API answers is JSON.

/// Escapes text for HTML.
pub fn html_escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;").replace('\'', "&#39;")
}

pub mod analyst;
pub mod console;
pub mod dashboard;
pub mod resident;

/// Registers the pages meldpunt serves outside the JSON API: the public dashboard, the
/// analyst's project page, and their assets.
pub fn routes(config: &mut utoipa_actix_web::service_config::ServiceConfig) {
    config
        .service(dashboard::dashboard)
        .service(dashboard::assets::dashboard_css)
        .service(dashboard::assets::dashboard_js)
        .service(analyst::project_page)
        .service(analyst::project_js)
        .service(resident::resident_css)
        .service(resident::subscription::subscription_form)
        .service(resident::report::report_form);
    console::routes(config);
}
