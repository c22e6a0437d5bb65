//! The few HTML pages meldpunt answers itself (confirming a subscription, unsubscribing,
//! answering a quick question): a minimal page kit, so every page looks and escapes alike;
//! the pages residents reach from their emails ([`resident`], askama templates);
//! the public dashboard ([`dashboard`]), rendered on the server with its own assets; and the
//! analyst's project page ([`analyst`]); and the staff console ([`console`], `/console`).
//! Everything else the API answers is JSON.

use actix_web::HttpResponse;

/// Escapes text for HTML.
pub fn html_escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;").replace('\'', "&#39;")
}

/// A tiny HTML page.
pub fn page(status: actix_web::http::StatusCode, title: &str, content: &str) -> HttpResponse {
    HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .insert_header(("Cache-Control", "no-store"))
        .insert_header(("Referrer-Policy", "no-referrer"))
        .body(format!(
            "<!doctype html><html lang=\"nl\"><head><meta charset=\"utf-8\"><meta name=\"robots\" content=\"noindex\">\
             <meta name=\"viewport\" content=\"width=device-width\"><title>{title}</title></head>\
             <body><h1>{title}</h1>{content}</body></html>",
            title = html_escape(title)
        ))
}

/// A page whose one button POSTs to the same address (scanner-safe links).
pub fn confirm_page(title: &str, text: &str, button: &str) -> HttpResponse {
    page(
        actix_web::http::StatusCode::OK,
        title,
        &format!(
            "<p>{}</p><form method=\"post\"><button type=\"submit\">{}</button></form>",
            html_escape(text),
            html_escape(button)
        ),
    )
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
