//! The console's announcement pages, for admins and coordinators (the staff API's
//! `ANNOUNCERS`; others get a 403 page): the list with counts per status, writing and
//! changing a draft with its area picked on a map, the email preview and the reach,
//! publishing now or at a time, withdrawing, and the delivery counts and per-buurt results
//! of a published announcement. Every action calls the function the staff API's handler
//! calls (`crate::api::staff::announcements`, `crate::api::staff::announcement_reach`,
//! `crate::api::public::announcements::load_results`).
//!
//! - [`form`]: the form's fields, their conversion, the area picker and its map;
//! - [`page`]: one announcement (`GET`/`POST /console/announcements/{id}`) and the new one;
//! - [`words`]: the pages' words in Dutch and English.

pub mod form;
pub mod page;
pub mod words;

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, get, web};
use askama::Template;

use super::session::ConsoleUser;
use super::{ConsoleError, Frame, console_lang, message, render};
use crate::api::access::ANNOUNCERS;
use crate::api::responses::Unavailable;
use crate::api::state::AppState;
use crate::domain::auth::StaffIdentity;
use words::AnnouncementWords;

/// The script of the map picker: clicking a buurt on the map ticks its check box. The
/// pages work without it.
const PICKER_JS: &str = include_str!("picker.js");

/// Registers the announcement pages.
pub fn routes(config: &mut utoipa_actix_web::service_config::ServiceConfig) {
    config
        .service(picker_js)
        .service(list)
        .service(page::new_page)
        .service(page::new_submit)
        .service(page::announcement_page)
        .service(page::announcement_action);
}

/// The map picker's script (a progressive enhancement; the pages work without it).
#[utoipa::path(
    operation_id = "console_announcement_picker_js",
    tag = "console",
    responses((status = 200, description = "The script", content_type = "text/javascript")),
)]
#[get("/console/assets/announcement-picker.js")]
pub async fn picker_js() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/javascript; charset=utf-8")
        .insert_header(("Cache-Control", "public, max-age=3600"))
        .insert_header(("X-Content-Type-Options", "nosniff"))
        .body(PICKER_JS)
}

/// The identity of an announcer, or the 403 page for other roles.
pub fn announcer_of(request: &HttpRequest, user: &ConsoleUser) -> Result<StaffIdentity, Box<HttpResponse>> {
    crate::api::staff::auth::Staff(user.identity.clone()).require(ANNOUNCERS).cloned().map_err(|_| {
        let w = super::words::of(console_lang(request).0);
        let aw = words::of(console_lang(request).0);
        Box::new(
            message(request, StatusCode::FORBIDDEN, w.forbidden_title, aw.forbidden, user.frame_user())
                .unwrap_or_else(|e| actix_web::ResponseError::error_response(&e)),
        )
    })
}

/// A line of the list.
pub struct Line {
    pub href: String,
    pub title: String,
    pub status: &'static str,
    pub when: String,
    pub iso: String,
}

/// The list page.
#[derive(Template)]
#[template(path = "console/announcements/list.html")]
pub struct ListPage<'a> {
    pub frame: &'a Frame,
    pub aw: &'static AnnouncementWords,
    pub counts: Vec<(&'static str, usize)>,
    pub lines: Vec<Line>,
}

/// Every announcement (newest first, at most 500, as the API lists them), with the count
/// per status.
#[utoipa::path(
    operation_id = "console_announcements",
    tag = "console",
    params(("lang" = Option<String>, Query, description = "`nl` (default) or `en`")),
    responses(
        (status = 200, description = "The list", content_type = "text/html"),
        (status = 303, description = "Not signed in: to the login page"),
        (status = 403, description = "The role does not write announcements: a page says so", content_type = "text/html"),
        Unavailable,
    )
)]
#[get("/console/announcements")]
pub async fn list(
    request: HttpRequest,
    user: ConsoleUser,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ConsoleError> {
    if let Err(refused) = announcer_of(&request, &user) {
        return Ok(*refused);
    }
    let aw = words::of(console_lang(&request).0);
    let views = crate::api::staff::announcements::list_views(&state).await?;
    let counts = ["draft", "scheduled", "published", "withdrawn"]
        .into_iter()
        .map(|status| (aw.status(status), views.iter().filter(|v| v.status == status).count()))
        .collect();
    let lines = views
        .into_iter()
        .map(|v| Line {
            href: format!("/console/announcements/{}", v.id),
            title: v.title,
            status: aw.status(&v.status),
            when: form::local_text(v.created_at),
            iso: v.created_at.to_rfc3339(),
        })
        .collect();
    let frame = Frame::new(&request, "/console/announcements", aw.title_list, user.frame_user());
    Ok(render(StatusCode::OK, &frame, &ListPage { frame: &frame, aw, counts, lines })?)
}
