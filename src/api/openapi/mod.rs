//! The OpenAPI 3.1 document: the parts not collected from handlers (info, tags, security
//! schemes, the webhooks meldpunt sends), the document itself, and the endpoint that serves
//! it.

use actix_web::{HttpResponse, get, web};
use utoipa::OpenApi;
use utoipa_actix_web::AppExt;

use crate::api::error::Problem;
use crate::api::state::AppState;

mod webhooks;
use webhooks::Webhooks;

/// The parts of the OpenAPI document that are not collected from handlers.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "meldpunt",
        description = "Citizen issue reporting for municipalities: residents report problems in public space, \
            staff handle them, residents hear back. Errors are RFC 9457 `application/problem+json` documents.",
        license(name = "EUPL-1.2", identifier = "EUPL-1.2"),
    ),
    components(schemas(
        Problem,
        crate::domain::report_event::body::EventBody,
        crate::domain::report_event::body::CreatedData,
        crate::domain::report_event::body::StatusChangedData,
        crate::domain::report_event::body::NoteAddedData,
        crate::domain::report_event::body::ReroutedData,
        crate::domain::report_event::body::MergedData,
        crate::domain::subscription::webhook_body::ChallengeBody,
        crate::domain::subscription::webhook_body::AnnouncementBody,
        crate::domain::subscription::webhook_body::ReportAlertBody,
    )),
    modifiers(&SecurityAddon, &Webhooks),
    tags(
        (name = "health", description = "Probes for load balancers and orchestrators"),
        (name = "categories", description = "What residents can report"),
        (name = "reports", description = "Filing and following reports"),
        (name = "privacy", description = "The resident's rights: what meldpunt holds about an email address (AVG art. 15), and erasing it everywhere (art. 17)"),
        (name = "meta", description = "The API description itself"),
        (name = "open311", description = "Open311 GeoReport v2 (JSON and XML; errors are GeoReport error documents, not problem+json)"),
        (name = "areas", description = "CBS gemeenten, wijken and buurten"),
        (name = "admin", description = "Configuration: areas and their CBS key figures, departments, categories, routing rules; importing the history of an earlier system (admin role)"),
        (name = "routing", description = "Routing rules and trying them out (admin role)"),
        (name = "staff", description = "Changing reports with re-routing, and their history (staff who handle the report)"),
        (name = "auth", description = "Staff login and logout; staff calls send `Authorization: Bearer <token>`"),
        (name = "accounts", description = "Staff accounts, roles and API tokens (admins)"),
        (name = "triage", description = "Handling reports (staff): queue, detail, workflow, notes, assignment"),
        (name = "subscriptions", description = "Residents subscribe to announcements for their area, without an account"),
        (name = "announcements", description = "Announcements to neighbourhoods with quick questions: staff write and publish; residents read, answer and follow feeds"),
        (name = "open data", description = "Public statistics and open-data downloads that identify nobody, their data dictionaries and the DCAT catalogue (no login)"),
        (name = "analyst", description = "Statistics per CBS area, category and period, and baseline (nulmeting) and monitoring projects (analysts, coordinators, admins)"),
        (name = "console", description = "The staff console's HTML pages and forms (session cookie `meldpunt_session`, a form token in every POST; docs/console.md)"),
    )
)]
struct ApiDoc;

/// Adds the bearer-token security scheme (`bearer`) that staff operations name.
pub struct SecurityAddon;

impl utoipa::Modify for SecurityAddon {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                Http::builder()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some("A token from POST /api/v1/auth/login, or an API token created by an admin"))
                    .build(),
            ),
        );
    }
}

/// The OpenAPI document of this version of the code.
pub fn openapi() -> utoipa::openapi::OpenApi {
    let (_, mut document) =
        actix_web::App::new().into_utoipa_app().openapi(ApiDoc::openapi()).configure(super::routes).split_for_parts();
    document.info.version = env!("CARGO_PKG_VERSION").to_owned();
    document.components.get_or_insert_with(Default::default).add_security_scheme(
        "admin_token",
        utoipa::openapi::security::SecurityScheme::Http(utoipa::openapi::security::Http::new(
            utoipa::openapi::security::HttpAuthScheme::Bearer,
        )),
    );
    document
}

/// The OpenAPI document as YAML, exactly as committed in `api-spec/openapi.yaml`.
pub fn openapi_yaml() -> Result<String, String> {
    openapi().to_yaml().map_err(|e| e.to_string())
}

/// This API's OpenAPI 3.1 document.
#[utoipa::path(tag = "meta", responses((status = 200, description = "The OpenAPI document", content_type = "application/json")))]
#[get("/api/v1/openapi.json")]
pub async fn openapi_json(state: web::Data<AppState>) -> HttpResponse {
    HttpResponse::Ok().content_type("application/json").body(state.openapi_json.clone())
}
