//! `GET /console/analysis`: the way from the console to the analyst pages. Lists the
//! monitoring projects (baseline and follow-up per area) with links to their analyst page
//! (`/analyst/projects/{id}`), and links to the public dashboard and the open data. For the
//! roles that read statistics (the API's `ANALYSTS`); an analyst who opens the console
//! lands here, as the queue is for those who handle reports.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, get, web};
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
    sign_in_note: "De analysepagina haalt de resultaten op met uw eigen inlog; hij vraagt daarom opnieuw om uw e-mailadres en wachtwoord.",
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
    sign_in_note: "The analyst page reads the results with your own sign-in, so it asks for your email address and password again.",
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
