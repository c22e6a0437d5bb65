//! `GET /open311/v2/tokens/{token}.{format}`: the request id a token stands for. POST no
//! longer answers tokens (the services are realtime: it answers the id itself); the tokens
//! it answered before (each the report's UUID) keep resolving, as any report's UUID does.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, get, web};

use super::dto::TokenDoc;
use super::{ErrorEntry, Format, Open311Error, OrOpen311, Params, jurisdiction};
use crate::api::state::AppState;

/// Resolves a token an earlier POST answered (the report's UUID) to its service request id.
#[utoipa::path(
    tag = "open311",
    params(
        ("token" = String, Path, description = "A token an earlier POST answered (the report's UUID); POST now answers the service_request_id and no token"),
        ("format" = String, Path, description = "`json` or `xml`"),
        ("jurisdiction_id" = Option<String>, Query, description = "CBS gemeente code; required when the server serves several municipalities"),
    ),
    responses(
        (status = 200, description = "The request id", content((Vec<TokenDoc> = "application/json"), (Vec<TokenDoc> = "text/xml"))),
        (status = 400, description = "jurisdiction_id missing or malformed", content((Vec<ErrorEntry> = "application/json"), (Vec<ErrorEntry> = "text/xml"))),
        (status = 404, description = "Unknown token, format or jurisdiction", content((Vec<ErrorEntry> = "application/json"), (Vec<ErrorEntry> = "text/xml"))),
    )
)]
#[get("/open311/v2/tokens/{token}.{format}")]
pub async fn token(
    request: HttpRequest,
    path: web::Path<(String, String)>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, Open311Error> {
    let (token, extension) = path.into_inner();
    let format = Format::parse(&extension)?;
    let params = Params::parse(format, request.query_string().as_bytes())?;
    jurisdiction(&state, &params, format)?;
    let not_found = || Open311Error::not_found(format, format!("there is no request with token '{token}'"));
    let id = uuid::Uuid::parse_str(&token).map_err(|_| not_found())?;
    let report = crate::api::public::reports::load(&state, id).await.or_open311(format)?.ok_or_else(not_found)?;
    let document = vec![TokenDoc { service_request_id: report.reference, token: report.id.to_string() }];
    Ok(format.render(StatusCode::OK, "service_requests", &document))
}
