//! The DCAT catalogue of the open data (`application/ld+json`), in the DCAT-AP-NL (DONL)
//! profile data.overheid.nl harvests.

use actix_web::http::header;
use actix_web::{HttpResponse, get, web};
use uuid::Uuid;

use crate::api::error::ApiError;
use crate::api::responses::Unavailable;
use crate::api::state::AppState;
use crate::domain::open_data::catalog::{self, CatalogInput};
use crate::domain::open_data::{LICENCES, licence};
use crate::storage::open_records;

/// The media type of the catalogue.
pub const JSON_LD: &str = "application/ld+json";

/// The DCAT catalogue (JSON-LD): the datasets "Meldingen openbare ruimte (records)", with
/// a CSV and a GeoJSON distribution per year that has reports in public categories, and
/// "Statistieken meldingen per buurt en wijk (aggregates)", with CSV and GeoJSON per year
/// and level (buurt, wijk). Each distribution has an absolute download URL, media type,
/// licence, modification date, period and the Table Schema it conforms to; the aggregates
/// name the CC BY 4.0 licence and attribution of the CBS boundaries they carry.
#[utoipa::path(
    tag = "open data",
    responses(
        (status = 200, description = "The catalogue as JSON-LD (a `dcat:Catalog`)", content_type = "application/ld+json", body = Object),
        Unavailable,
    )
)]
#[get("/api/v1/open/catalog.jsonld")]
pub async fn open_data_catalog(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let snapshot = state.config.snapshot();
    let categories: Vec<Uuid> = snapshot.catalog.categories().iter().filter(|c| c.is_public).map(|c| c.id).collect();
    let served = state.served.clone();
    let (years, mut gemeenten, boundary_year) = state
        .db
        .run(move |conn| {
            let years = open_records::years(conn, &categories)?;
            let gemeenten = open_records::gemeente_names(conn, &served)?;
            let boundary_year = crate::storage::areas::years(conn)?.last().copied();
            Ok::<_, ApiError>((years, gemeenten, boundary_year))
        })
        .await?;
    // A served municipality without loaded boundaries is named by its code.
    for code in &state.served {
        if !gemeenten.iter().any(|(known, _)| known == code) {
            gemeenten.push((code.clone(), code.clone()));
        }
    }
    let publisher = match state.open.publisher.trim() {
        "" => catalog::default_publisher(&gemeenten),
        configured => configured.to_owned(),
    };
    let [default_licence, ..] = LICENCES;
    let input = CatalogInput {
        base_url: state.public_url.trim_end_matches('/').to_owned(),
        publisher,
        licence: licence(&state.open.licence).unwrap_or(default_licence),
        gemeenten,
        years,
        boundary_year,
    };
    Ok(HttpResponse::Ok()
        .content_type(JSON_LD)
        .insert_header((header::CACHE_CONTROL, "public, max-age=300"))
        .body(catalog::catalog(&input).to_string()))
}
