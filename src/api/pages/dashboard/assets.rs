//! The dashboard's style sheet and script, compiled into the binary so that the page needs
//! nothing from elsewhere (no CDN, no fonts, no tiles).

use actix_web::{HttpResponse, get};

const STYLE: &str = include_str!("assets/dashboard.css");
const SCRIPT: &str = include_str!("assets/dashboard.js");

fn asset(content_type: &str, body: &'static str) -> HttpResponse {
    HttpResponse::Ok()
        .content_type(content_type)
        .insert_header(("Cache-Control", "public, max-age=3600"))
        .insert_header(("X-Content-Type-Options", "nosniff"))
        .body(body)
}

/// The dashboard's style sheet.
#[utoipa::path(tag = "open data", responses((status = 200, description = "CSS", content_type = "text/css")))]
#[get("/open/assets/dashboard.css")]
pub async fn dashboard_css() -> HttpResponse {
    asset("text/css; charset=utf-8", STYLE)
}

/// The dashboard's script: optional, the page works without it.
#[utoipa::path(tag = "open data", responses((status = 200, description = "JavaScript", content_type = "text/javascript")))]
#[get("/open/assets/dashboard.js")]
pub async fn dashboard_js() -> HttpResponse {
    asset("text/javascript; charset=utf-8", SCRIPT)
}
