//! `GET /open311/v2/services.{format}` and `services/{service_code}.{format}`: the
//! subcategories residents can report in, and the attributes (questions) each asks.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, get, web};

use super::dto::{ServiceDefinitionDoc, ServiceDoc};
use super::{ErrorEntry, Format, Open311Error, Params, jurisdiction};
use crate::api::state::AppState;

/// Every service (active subcategory).
#[utoipa::path(
    tag = "open311",
    params(
        ("format" = String, Path, description = "`json` or `xml`"),
        ("jurisdiction_id" = Option<String>, Query, description = "CBS gemeente code; required when the server serves several municipalities"),
    ),
    responses(
        (status = 200, description = "The services", content((Vec<ServiceDoc> = "application/json"), (Vec<ServiceDoc> = "text/xml"))),
        (status = 400, description = "jurisdiction_id missing or malformed", content((Vec<ErrorEntry> = "application/json"), (Vec<ErrorEntry> = "text/xml"))),
        (status = 404, description = "Unknown format or jurisdiction", content((Vec<ErrorEntry> = "application/json"), (Vec<ErrorEntry> = "text/xml"))),
    )
)]
#[get("/open311/v2/services.{format}")]
pub async fn list_services(
    request: HttpRequest,
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, Open311Error> {
    let format = Format::parse(&path.into_inner())?;
    let params = Params::parse(format, request.query_string().as_bytes())?;
    jurisdiction(&state, &params, format)?;
    let snapshot = state.config.snapshot();
    let catalog = &snapshot.catalog;
    let services: Vec<ServiceDoc> = catalog
        .categories()
        .iter()
        .filter(|c| c.parent_id.is_some() && catalog.category_for_intake(&c.slug).is_ok())
        .map(|c| ServiceDoc::build(c, catalog))
        .collect();
    Ok(format.render(StatusCode::OK, "services", &services))
}

/// The definition of one service: its attributes with their datatypes and values.
#[utoipa::path(
    tag = "open311",
    params(
        ("service_code" = String, Path, description = "A service code from `services`"),
        ("format" = String, Path, description = "`json` or `xml`"),
        ("jurisdiction_id" = Option<String>, Query, description = "CBS gemeente code; required when the server serves several municipalities"),
    ),
    responses(
        (status = 200, description = "The service definition", content((ServiceDefinitionDoc = "application/json"), (ServiceDefinitionDoc = "text/xml"))),
        (status = 400, description = "jurisdiction_id missing or malformed", content((Vec<ErrorEntry> = "application/json"), (Vec<ErrorEntry> = "text/xml"))),
        (status = 404, description = "Unknown service, format or jurisdiction", content((Vec<ErrorEntry> = "application/json"), (Vec<ErrorEntry> = "text/xml"))),
    )
)]
#[get("/open311/v2/services/{service_code}.{format}")]
pub async fn service_definition(
    request: HttpRequest,
    path: web::Path<(String, String)>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, Open311Error> {
    let (code, extension) = path.into_inner();
    let format = Format::parse(&extension)?;
    let params = Params::parse(format, request.query_string().as_bytes())?;
    jurisdiction(&state, &params, format)?;
    let snapshot = state.config.snapshot();
    let category = snapshot.catalog.category_for_intake(&code).map_err(|_| {
        Open311Error::not_found(format, format!("there is no service '{code}'; services.{extension} lists them"))
    })?;
    Ok(format.render(StatusCode::OK, "service_definition", &ServiceDefinitionDoc::build(category)))
}
