//! The HTTP API: one module per resource, one function per operation. Handlers are
//! registered through utoipa-actix-web, so every route is in the OpenAPI document.

pub mod access;
pub mod admin;
pub mod announcements;
pub mod areas;
pub mod auth;
pub mod body;
pub mod categories;
pub mod duplicates;
pub mod follow;
pub mod health;
pub mod map;
pub mod open311;
pub mod photos;
pub mod reports;
pub mod routing;
pub mod staff;
pub mod subscriptions;
pub mod views;

use actix_web::{HttpRequest, HttpResponse, get, web};
use utoipa::OpenApi;
use utoipa_actix_web::AppExt;
use utoipa_actix_web::service_config::ServiceConfig;

use crate::error::{ApiError, Problem};
use crate::state::AppState;
use auth::SecurityAddon;

/// The parts of the OpenAPI document that are not collected from handlers.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "meldpunt",
        description = "Citizen issue reporting for municipalities: residents report problems in public space, \
            staff handle them, residents hear back. Errors are RFC 9457 `application/problem+json` documents.",
        license(name = "EUPL-1.2", identifier = "EUPL-1.2"),
    ),
    components(schemas(Problem)),
    modifiers(&SecurityAddon),
    tags(
        (name = "health", description = "Probes for load balancers and orchestrators"),
        (name = "categories", description = "What residents can report"),
        (name = "reports", description = "Filing and following reports"),
        (name = "meta", description = "The API description itself"),
        (name = "open311", description = "Open311 GeoReport v2 (JSON and XML; errors are GeoReport error documents, not problem+json)"),
        (name = "areas", description = "CBS gemeenten, wijken and buurten"),
        (name = "admin", description = "Configuration: areas, departments, categories, routing rules (admin role)"),
        (name = "routing", description = "Routing rules and trying them out (admin role)"),
        (name = "staff", description = "Changing reports with re-routing, and their history (staff who handle the report)"),
        (name = "auth", description = "Staff login and logout; staff calls send `Authorization: Bearer <token>`"),
        (name = "accounts", description = "Staff accounts, roles and API tokens (admins)"),
        (name = "triage", description = "Handling reports (staff): queue, detail, workflow, notes, assignment"),
        (name = "subscriptions", description = "Residents subscribe to announcements for their area, without an account"),
        (name = "announcements", description = "Announcements to neighbourhoods with quick questions: staff write and publish; residents read, answer and follow feeds"),
    )
)]
struct ApiDoc;

/// Registers every route.
pub fn configure(config: &mut ServiceConfig) {
    config
        .service(health::healthz)
        .service(health::readyz)
        .service(categories::list_categories)
        .service(reports::create_report)
        .service(reports::get_report)
        .service(openapi_json)
        .service(open311::discovery::discovery)
        .service(open311::services::list_services)
        .service(open311::services::service_definition)
        .service(open311::requests::list_requests)
        .service(open311::requests::create_request)
        .service(open311::requests::get_request)
        .service(open311::tokens::token)
        .service(open311::updates::list_updates)
        .service(areas::lookup)
        .service(areas::list_areas)
        .service(areas::import_areas)
        .service(areas::list_imports)
        .service(admin::list_departments)
        .service(admin::create_department)
        .service(admin::update_department)
        .service(admin::deactivate_department)
        .service(admin::list_categories)
        .service(admin::create_category)
        .service(admin::update_category)
        .service(routing::list_rules)
        .service(routing::get_rule)
        .service(routing::create_rule)
        .service(routing::update_rule)
        .service(routing::delete_rule)
        .service(routing::explain)
        .service(staff::changes::update_report)
        .service(staff::changes::report_history)
        .service(auth::login)
        .service(auth::logout)
        .service(staff::accounts::list_accounts)
        .service(staff::accounts::create_account)
        .service(staff::accounts::update_account)
        .service(staff::accounts::create_token)
        .service(staff::accounts::list_tokens)
        .service(staff::accounts::revoke_token)
        .service(staff::reports::get_staff_report)
        .service(staff::reports::transition_report)
        .service(staff::reports::add_note)
        .service(staff::reports::assign_report)
        .service(staff::reports::audit_log)
        .service(staff::queue::list_staff_reports)
        .service(follow::follow_report)
        .service(photos::add_photos)
        .service(photos::get_photo)
        .service(photos::get_thumbnail)
        .service(map::map_reports)
        .service(duplicates::support_report)
        .service(staff::reports::merge_report)
        .service(subscriptions::create_subscription)
        .service(subscriptions::push_key)
        .service(subscriptions::confirm_subscription_page)
        .service(subscriptions::confirm_subscription)
        .service(subscriptions::get_subscription)
        .service(subscriptions::update_subscription)
        .service(subscriptions::delete_subscription)
        .service(subscriptions::unsubscribe_page)
        .service(subscriptions::unsubscribe)
        .service(subscriptions::answer_question)
        .service(announcements::create_announcement)
        .service(announcements::list_announcements)
        .service(announcements::get_announcement)
        .service(announcements::update_announcement)
        .service(announcements::publish_announcement)
        .service(announcements::withdraw_announcement)
        .service(announcements::close_question)
        .service(announcements::announcement_deliveries)
        .service(announcements::staff_results)
        .service(announcements::atom_feed)
        .service(announcements::ical_feed)
        .service(announcements::list_public)
        .service(announcements::public_results)
        .service(announcements::answer_page)
        .service(announcements::answer_by_link);
}

/// The OpenAPI document of this version of the code.
pub fn openapi() -> utoipa::openapi::OpenApi {
    let (_, mut document) =
        actix_web::App::new().into_utoipa_app().openapi(ApiDoc::openapi()).configure(configure).split_for_parts();
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

/// Answers requests no route took: 405 when the path exists with another method, else 404.
pub async fn fallback(request: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let path = request.path();
    if path.starts_with("/open311/") {
        return Ok(open311::fallback(path, &state.route_templates));
    }
    if state.route_templates.iter().any(|template| path_matches(template, path)) {
        Err(ApiError::MethodNotAllowed)
    } else {
        Err(ApiError::NotFound(format!("nothing is at {path}; see /api/v1/openapi.json for the API")))
    }
}

/// Whether `path` fits an OpenAPI path template such as `/api/v1/reports/{id}`.
pub fn path_matches(template: &str, path: &str) -> bool {
    let mut wanted = template.split('/');
    let mut given = path.split('/');
    loop {
        match (wanted.next(), given.next()) {
            (None, None) => return true,
            (Some(w), Some(g)) if w.starts_with('{') && w.ends_with('}') && !g.is_empty() => {}
            (Some(w), Some(g)) if w == g => {}
            _ => return false,
        }
    }
}

/// Turns actix's own extractor errors (bad path or query) into problem documents.
pub fn path_error(error: actix_web::error::PathError, _: &HttpRequest) -> actix_web::Error {
    ApiError::NotFound(format!("invalid path parameter: {error}")).into()
}

/// Turns actix's query-string errors into problem documents (400).
pub fn query_error(error: actix_web::error::QueryPayloadError, _: &HttpRequest) -> actix_web::Error {
    ApiError::MalformedBody(format!("invalid query string: {error}")).into()
}
