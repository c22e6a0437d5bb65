//! `GET /console/analysis`: the way from the console to the analyst pages. Lists the
//! monitoring projects (baseline and follow-up per area) with links to their analyst page
//! (`/analyst/projects/{id}`), and links to the public dashboard and the open data. For the
//! roles that read statistics (the API's `ANALYSTS`); an analyst who opens the console
//! lands here, as the queue is for those who handle reports.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use askama::Template;

use super::session::ConsoleUser;
use super::{ConsoleError, Frame, Lang, console_lang, message, render};
use crate::api::access::ANALYSTS;
use crate::api::responses::Unavailable;
use crate::api::state::AppState;

/// The page's address.
pub const PAGE: &str = "/console/analysis";

/// The page's fixed words.
pub struct AnalysisWords {
    pub title: &'static str,
    pub intro: &'static str,
    pub projects: &'static str,
    pub no_projects: &'static str,
    pub col_name: &'static str,
    pub col_status: &'static str,
    pub col_created: &'static str,
    pub col_frozen: &'static str,
    pub active: &'static str,
    pub closed: &'static str,
    pub not_yet: &'static str,
    pub sign_in_note: &'static str,
    pub open_heading: &'static str,
    pub dashboard: &'static str,
    pub catalogue: &'static str,
    pub aggregates: &'static str,
    pub records: &'static str,
    pub api_heading: &'static str,
    pub api_text: &'static str,
}

const NL: AnalysisWords = AnalysisWords {
    title: "Analyse",
    intro: "Monitoringsprojecten vergelijken een nulmeting met de periode erna, per buurt, met vergelijkingsgebieden. \
            De resultaten staan op de analysepagina van elk project.",
    projects: "Monitoringsprojecten",
    no_projects: "Er zijn nog geen monitoringsprojecten. Een analist maakt ze aan met POST /api/v1/projects.",
    col_name: "Project",
    col_status: "Status",
    col_created: "Aangemaakt",
    col_frozen: "Definitie vast sinds",
    active: "Actief",
    closed: "Gesloten",
    not_yet: "nog niet",
    sign_in_note: "De analysepagina leest de resultaten met uw inlog in deze console: u hoeft niet opnieuw in te loggen.",
    open_heading: "Open data",
    dashboard: "Openbaar dashboard: meldingen per buurt, met onderdrukking van kleine aantallen",
    catalogue: "Catalogus van de open data (DCAT-AP-NL, JSON-LD)",
    aggregates: "Aantallen per buurt, maand en categorie (CSV)",
    records: "Meldingen zonder persoonsgegevens (CSV)",
    api_heading: "Statistieken via de API",
    api_text: "Analisten lezen statistieken per buurt met GET /api/v1/stats/reports; het contract staat in",
};

const EN: AnalysisWords = AnalysisWords {
    title: "Analysis",
    intro: "Monitoring projects compare a baseline with the period after it, per buurt, against comparison areas. \
            The results are on each project's analyst page.",
    projects: "Monitoring projects",
    no_projects: "There are no monitoring projects yet. An analyst creates them with POST /api/v1/projects.",
    col_name: "Project",
    col_status: "Status",
    col_created: "Created",
    col_frozen: "Definition fixed since",
    active: "Active",
    closed: "Closed",
    not_yet: "not yet",
    sign_in_note: "The analyst page reads the results with your sign-in to this console: you need not sign in again.",
    open_heading: "Open data",
    dashboard: "Public dashboard: reports per buurt, with small counts suppressed",
    catalogue: "Catalogue of the open data (DCAT-AP-NL, JSON-LD)",
    aggregates: "Counts per buurt, month and category (CSV)",
    records: "Reports without personal data (CSV)",
    api_heading: "Statistics through the API",
    api_text: "Analysts read statistics per buurt with GET /api/v1/stats/reports; the contract is in",
};

/// One project in the list.
struct Line {
    name: String,
    href: String,
    status: &'static str,
    created: String,
    created_iso: String,
    frozen: Option<(String, String)>,
}

#[derive(Template)]
#[template(path = "console/analysis.html")]
struct AnalysisPage<'a> {
    frame: &'a Frame,
    w: &'static AnalysisWords,
    lines: Vec<Line>,
}

fn day(at: chrono::DateTime<chrono::Utc>) -> (String, String) {
    (super::announcements::form::local_text(at), at.to_rfc3339())
}

/// The analysis page: monitoring projects with links to their analyst pages, and the
/// public dashboard and open data. For analysts, coordinators and admins.
#[utoipa::path(
    operation_id = "console_analysis",
    tag = "console",
    params(("lang" = Option<String>, Query, description = "`nl` (default) or `en`")),
    responses(
        (status = 200, description = "The page", content_type = "text/html"),
        (status = 303, description = "Not signed in: to the login page"),
        (status = 403, description = "The role does not read statistics: a page says so", content_type = "text/html"),
        Unavailable,
    )
)]
#[get("/console/analysis")]
pub async fn analysis(
    request: HttpRequest,
    user: ConsoleUser,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ConsoleError> {
    let lang = console_lang(&request).0;
    if crate::api::staff::auth::Staff(user.identity.clone()).require(ANALYSTS).is_err() {
        let words = super::words::of(lang);
        return Ok(message(
            &request,
            StatusCode::FORBIDDEN,
            words.forbidden_title,
            words.forbidden_text,
            user.frame_user(),
        )?);
    }
    let w = match lang {
        Lang::Nl => &NL,
        Lang::En => &EN,
    };
    // The list the API's `GET /api/v1/projects` answers.
    let projects = state.db.run(crate::storage::projects::list).await.map_err(crate::api::error::ApiError::from)?;
    let lines = projects
        .into_iter()
        .map(|p| {
            let (created, created_iso) = day(p.created_at);
            Line {
                href: format!("/analyst/projects/{}?lang={}", p.id, lang.tag()),
                name: p.name,
                status: if p.status == "closed" { w.closed } else { w.active },
                created,
                created_iso,
                frozen: p.frozen_at.map(day),
            }
        })
        .collect();
    let frame = Frame::new(&request, PAGE, w.title, user.frame_user());
    Ok(render(StatusCode::OK, &frame, &AnalysisPage { frame: &frame, w, lines })?)
}

/// The header the analyst page's script sends with [`analysis_token`]: a form of another
/// site cannot send it, and a script of another site cannot without a CORS preflight that
/// meldpunt does not grant for this address.
pub const TOKEN_HEADER: &str = "x-meldpunt-console";

/// How long a token handed to the analyst page lasts, in minutes.
pub const TOKEN_MINUTES: i64 = 60;

/// The label of the tokens handed to the analyst page; logging out of the console revokes
/// the account's tokens with it.
pub const TOKEN_LABEL: &str = "analyst page (console)";

/// A token handed to the analyst page.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct AnalystPageToken {
    /// A session token for `Authorization: Bearer`, revocable like every token.
    pub token: String,
    /// When it stops working (an hour from now).
    pub expires_at: chrono::DateTime<chrono::Utc>,
}

/// Hands the analyst page's script a short-lived token of the member signed in to the
/// console, so the page needs no second sign-in (and works when password login is off).
/// Only for a same-origin request with the header `X-Meldpunt-Console: analysis`, and for
/// the roles that read statistics. The console's own session token never leaves its
/// HttpOnly cookie: this is a new token of one hour, which logging out of the console
/// revokes (with the account's other tokens of this kind).
#[utoipa::path(
    operation_id = "console_analysis_token",
    tag = "console",
    params(("X-Meldpunt-Console" = String, Header, description = "`analysis`: only meldpunt's own script sends it")),
    responses(
        (status = 200, description = "A token of one hour", body = AnalystPageToken),
        (status = 303, description = "Not signed in to the console: to the login page"),
        (status = 403, description = "Not from meldpunt's own page (header or origin), or the role does not read statistics", body = crate::api::error::Problem, content_type = "application/problem+json"),
        Unavailable,
    )
)]
#[post("/console/analysis/token")]
pub async fn analysis_token(
    request: HttpRequest,
    user: ConsoleUser,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ConsoleError> {
    let asked = request.headers().get(TOKEN_HEADER).and_then(|v| v.to_str().ok()) == Some("analysis");
    if !asked || !super::csrf::same_origin(&request, &state) {
        return Err(crate::api::error::ApiError::Forbidden(
            "only meldpunt's analyst page may ask for a token (same origin, with X-Meldpunt-Console: analysis)".into(),
        )
        .into());
    }
    let identity = crate::api::staff::auth::Staff(user.identity.clone()).require(ANALYSTS)?.clone();
    let (token, expires_at) =
        crate::api::staff::auth::short_session(&state, &identity, TOKEN_MINUTES, TOKEN_LABEL).await?;
    tracing::info!(account_id = %identity.account_id, "a console session handed a token to the analyst page");
    Ok(HttpResponse::Ok().insert_header(("Cache-Control", "no-store")).json(AnalystPageToken { token, expires_at }))
}

impl Frame {
    /// Whether the member reads statistics (the API's `ANALYSTS`), for the navigation.
    pub fn can_analyse(&self) -> bool {
        self.staff_role.is_some_and(|role| ANALYSTS.contains(&role))
    }

    /// Whether the member handles reports (the API's `HANDLERS`): the queue is theirs.
    pub fn can_handle(&self) -> bool {
        self.staff_role.is_some_and(|role| crate::api::access::HANDLERS.contains(&role))
    }
}
