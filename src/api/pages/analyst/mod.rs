//! `GET /analyst/projects/{id}`: the analyst's page of a monitoring project. Staff sign in
//! with bearer tokens, so the page is a shell: a sign-in form, and a script of meldpunt's
//! own (`/analyst/assets/project.js`) that keeps the token in `sessionStorage` (a member
//! signed in to the console gets an hour's token from `POST /console/analysis/token`
//! instead of signing in again), reads
//! `GET /api/v1/projects/{id}/results` and shows the project area, baseline against
//! follow-up per buurt, the comparison areas, the intervals and the "too few to conclude"
//! verdicts as tables and a chart. Nothing about the project is in the page itself.

use actix_web::{HttpResponse, get, web};
use uuid::Uuid;

use super::dashboard::text::Lang;
use super::dashboard::view::html;

const SCRIPT: &str = include_str!("project.js");

/// The language query of the page.
#[derive(Debug, Default, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageLanguage {
    /// `nl` (default) or `en`.
    pub lang: Option<String>,
}

/// The analyst's page of a monitoring project (sign-in form; the results are read by the
/// page's script with the analyst's token).
#[utoipa::path(
    tag = "analyst",
    params(("id" = Uuid, Path, description = "Project id"), PageLanguage),
    responses(
        (status = 200, description = "The page (HTML); the results need an analyst's sign-in", content_type = "text/html"),
        (status = 404, description = "The id is not a UUID", body = crate::api::error::Problem, content_type = "application/problem+json"),
        crate::api::responses::QueryErrors,
    ),
)]
#[get("/analyst/projects/{id}")]
pub async fn project_page(id: web::Path<Uuid>, query: web::Query<PageLanguage>) -> HttpResponse {
    let lang = Lang::parse(query.lang.as_deref()).unwrap_or(Lang::Nl);
    let (title, email, password, sign_in, needs_script, other, other_tag) = match lang {
        Lang::Nl => (
            "Monitoringsproject",
            "E-mailadres",
            "Wachtwoord",
            "Inloggen",
            "Deze pagina heeft JavaScript nodig om na het inloggen de resultaten op te halen.",
            "English",
            "en",
        ),
        Lang::En => (
            "Monitoring project",
            "Email address",
            "Password",
            "Sign in",
            "This page needs JavaScript to fetch the results after signing in.",
            "Nederlands",
            "nl",
        ),
    };
    let id = id.into_inner();
    let body = format!(
        "<!doctype html><html lang=\"{tag}\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><meta name=\"robots\" content=\"noindex\">\
         <title>{title}</title><link rel=\"icon\" href=\"data:,\"><link rel=\"stylesheet\" href=\"/open/assets/dashboard.css\">\
         <script src=\"/analyst/assets/project.js\" defer></script></head>\
         <body><a class=\"skip\" href=\"#main\">{skip}</a>\
         <header class=\"top\"><p class=\"site\">meldpunt</p><p class=\"switch\"><a href=\"/analyst/projects/{id}?lang={other_tag}\" lang=\"{other_tag}\" hreflang=\"{other_tag}\">{other}</a></p></header>\
         <main id=\"main\" tabindex=\"-1\" data-project=\"{id}\"><h1>{title}</h1>\
         <noscript><p>{needs_script}</p></noscript>\
         <form id=\"login\" class=\"controls\" hidden><div class=\"field\"><label for=\"email\">{email}</label><input id=\"email\" name=\"email\" type=\"email\" autocomplete=\"username\" required></div>\
         <div class=\"field\"><label for=\"password\">{password}</label><input id=\"password\" name=\"password\" type=\"password\" autocomplete=\"current-password\" required></div>\
         <div class=\"field\"><button type=\"submit\">{sign_in}</button></div></form>\
         <p id=\"status\" role=\"status\"></p><div id=\"results\"></div></main></body></html>",
        tag = lang.tag(),
        title = html(title),
        skip = html(lang.texts().skip),
        other = html(other),
        needs_script = html(needs_script),
        email = html(email),
        password = html(password),
        sign_in = html(sign_in),
    );
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .insert_header(("Cache-Control", "no-store"))
        .insert_header(("Referrer-Policy", "no-referrer"))
        .insert_header((
            "Content-Security-Policy",
            "default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
        ))
        .body(body)
}

/// The analyst page's script.
#[utoipa::path(tag = "analyst", responses((status = 200, description = "JavaScript", content_type = "text/javascript")))]
#[get("/analyst/assets/project.js")]
pub async fn project_js() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/javascript; charset=utf-8")
        .insert_header(("Cache-Control", "public, max-age=3600"))
        .insert_header(("X-Content-Type-Options", "nosniff"))
        .body(SCRIPT)
}
