//! `GET /open311/v2/discovery.{format}`: where the endpoint is and what it speaks.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, get, web};

use super::dto::{DiscoveryDoc, EndpointDoc};
use super::{ErrorEntry, Format, Open311Error};

/// When the Open311 interface last changed.
const CHANGESET: &str = "2026-11-25T00:00:00+01:00";

/// The Open311 discovery document.
#[utoipa::path(
    tag = "open311",
    params(("format" = String, Path, description = "`json` or `xml`")),
    responses(
        (status = 200, description = "The discovery document", content((DiscoveryDoc = "application/json"), (DiscoveryDoc = "text/xml"))),
        (status = 404, description = "Unknown format", content((Vec<ErrorEntry> = "application/json"), (Vec<ErrorEntry> = "text/xml"))),
    )
)]
#[get("/open311/v2/discovery.{format}")]
pub async fn discovery(request: HttpRequest, path: web::Path<String>) -> Result<HttpResponse, Open311Error> {
    let format = Format::parse(&path.into_inner())?;
    let info = request.connection_info();
    let document = DiscoveryDoc {
        changeset: CHANGESET.into(),
        contact: "The municipality's service desk".into(),
        key_service: "Ask the municipality for an api_key; anonymous POST may be allowed (see the server's settings)"
            .into(),
        endpoints: vec![EndpointDoc {
            specification: "http://wiki.open311.org/GeoReport_v2".into(),
            url: format!("{}://{}/open311/v2", info.scheme(), info.host()),
            changeset: CHANGESET.into(),
            endpoint_type: "production".into(),
            formats: vec!["application/json".into(), "text/xml".into()],
        }],
    };
    Ok(format.render(StatusCode::OK, "discovery", &document))
}
