//! `POST requests.{format}`: files a service request through the same intake pipeline as
//! the JSON API. The service is checked first (an unknown one is a 404, as for
//! `services/{code}`), then the api_key, the jurisdiction and the other fields.

use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, post, web};
use futures_util::StreamExt;
use sha2::{Digest, Sha256};

use super::dto::PostedDoc;
use super::{ErrorEntry, Format, Open311Error, OrOpen311, Params, jurisdiction};
use crate::api::error::ApiError;
use crate::api::public::reports::idempotency_key;
use crate::api::state::AppState;
use crate::domain::category::{Catalog, IntakeCategoryError};
use crate::domain::open311::{AttributeField, answers_from_form, attribute_code};
use crate::domain::report::{ContactInput, IntakeInput, ReportSource};
use crate::domain::validation::FieldErrors;
use crate::intake::writer::IdempotencyClaim;

/// Files a service request (form-encoded, as the spec says). Answers go in
/// `attribute[code]=value`, multi-value answers in repeated `attribute[code][]=value`.
/// Contact fields (`email`, `first_name`, `last_name`, `phone`) are stored apart and never
/// shown; `device_id` and `account_id` are accepted and ignored; `media_url` (an http(s)
/// link) is stored and shown. Send an `Idempotency-Key` header to make retries safe.
/// The request is stored before the answer (the services are realtime), so the answer
/// carries `service_request_id` and no `token`. An unknown `service_code` is a 404
/// whatever else is wrong with the request.
#[utoipa::path(
    tag = "open311",
    params(
        ("format" = String, Path, description = "`json` or `xml`"),
        ("Idempotency-Key" = Option<String>, Header, description = "Client-chosen key; a retry with the same key and fields returns the original request"),
    ),
    request_body(content = String, content_type = "application/x-www-form-urlencoded",
        description = "api_key, jurisdiction_id, service_code, lat, long, address_string, address_id, description, email, first_name, last_name, phone, device_id, account_id, media_url, attribute[code]=value, attribute[code][]=value"),
    responses(
        (status = 200, description = "Stored; its service_request_id (no token: the services are realtime)", content((Vec<PostedDoc> = "application/json"), (Vec<PostedDoc> = "text/xml")),
            headers(("Idempotent-Replayed" = String, description = "`true` when this answers a retry"))),
        (status = 400, description = "Missing or invalid fields (each named), a missing location, or a location outside the jurisdiction", content((Vec<ErrorEntry> = "application/json"), (Vec<ErrorEntry> = "text/xml"))),
        (status = 403, description = "api_key missing (when anonymous POST is off) or not valid", content((Vec<ErrorEntry> = "application/json"), (Vec<ErrorEntry> = "text/xml"))),
        (status = 404, description = "Unknown service_code (checked before anything else in the request), format or jurisdiction", content((Vec<ErrorEntry> = "application/json"), (Vec<ErrorEntry> = "text/xml"))),
        (status = 413, description = "The body is larger than the limit", content((Vec<ErrorEntry> = "application/json"), (Vec<ErrorEntry> = "text/xml"))),
        (status = 422, description = "Idempotency-Key reused with other fields", content((Vec<ErrorEntry> = "application/json"), (Vec<ErrorEntry> = "text/xml"))),
        (status = 429, description = "Too many requests from this address; retry after the Retry-After header's seconds", content((Vec<ErrorEntry> = "application/json"), (Vec<ErrorEntry> = "text/xml")),
            headers(("Retry-After" = String, description = "Seconds to wait"))),
        (status = 503, description = "Overloaded or the database is unreachable; retry with the same Idempotency-Key", content((Vec<ErrorEntry> = "application/json"), (Vec<ErrorEntry> = "text/xml"))),
    )
)]
#[post("/open311/v2/requests.{format}")]
pub async fn create_request(
    request: HttpRequest,
    path: web::Path<String>,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, Open311Error> {
    let format = Format::parse(&path.into_inner())?;
    let mut params = Params::parse(format, request.query_string().as_bytes())?;
    let body = read_form(&request, payload, state.max_body_bytes, format).await?;
    params.0.extend(body.0);
    check_service(&state, &params, format).await?;
    check_api_key(&state, &params, format)?;
    let gemeente = jurisdiction(&state, &params, format)?;
    let claim_key = idempotency_key(&request).or_open311(format)?;
    let input = intake_input(&state.config.snapshot().catalog, &params, format)?;
    let claim = claim_key.map(|key| IdempotencyClaim { key, request_hash: fingerprint(&params) });
    let filed = state
        .intake()
        .file(input, ReportSource::Open311, claim, gemeente.as_deref(), Vec::new())
        .await
        .or_open311(format)?;
    let report = filed.report;
    let document = vec![PostedDoc {
        service_request_id: report.reference.clone(),
        service_notice: report
            .deadline_at
            .map(|at| format!("We streven ernaar dit af te handelen vóór {}", crate::domain::open311::w3c(at))),
        account_id: None,
    }];
    let mut response = format.render(StatusCode::OK, "service_requests", &document);
    if filed.replayed {
        response
            .headers_mut()
            .insert(header::HeaderName::from_static("idempotent-replayed"), header::HeaderValue::from_static("true"));
    }
    Ok(response)
}

/// Refuses a POST whose `service_code` names no service with a 404, as `services/{code}`
/// does (GeoReport v2), before any other field is looked at. A missing `service_code` is a
/// field problem (400) reported with the others.
async fn check_service(state: &AppState, params: &Params, format: Format) -> Result<(), Open311Error> {
    let Some(code) = params.get("service_code") else { return Ok(()) };
    if state.config.snapshot().catalog.category_for_intake(code).is_ok() {
        return Ok(());
    }
    // A service added a moment ago (perhaps through another instance) is not refused.
    let fresh = state.config.refreshed().await.or_open311(format)?;
    let Err(refusal) = fresh.catalog.category_for_intake(code) else { return Ok(()) };
    let list = match format {
        Format::Json => "services.json",
        Format::Xml => "services.xml",
    };
    let description = match refusal {
        IntakeCategoryError::Inactive(_) => {
            format!("service_code: service '{code}' no longer takes requests; {list} lists those that do")
        }
        IntakeCategoryError::MainCategory { subcategories, .. } => {
            format!("service_code: '{code}' is a group of services, not a service; use one of: {subcategories}")
        }
        IntakeCategoryError::Unknown(_) => {
            format!("service_code: there is no service '{code}'; {list} lists the codes")
        }
    };
    Err(Open311Error::not_found(format, description))
}

/// Refuses a POST without a valid `api_key` (unless anonymous POST is allowed).
fn check_api_key(state: &AppState, params: &Params, format: Format) -> Result<(), Open311Error> {
    match params.get("api_key") {
        Some(key) if state.open311_api_keys.iter().any(|k| k == key) => Ok(()),
        Some(_) => {
            Err(Open311Error::new(format, StatusCode::FORBIDDEN, "api_key is not valid; ask the municipality for one"))
        }
        None if state.open311_anonymous_post => Ok(()),
        None => Err(Open311Error::new(
            format,
            StatusCode::FORBIDDEN,
            "api_key is required to post requests; ask the municipality for one",
        )),
    }
}

/// Reads a form-encoded body of at most `limit` bytes.
async fn read_form(
    request: &HttpRequest,
    mut payload: web::Payload,
    limit: usize,
    format: Format,
) -> Result<Params, Open311Error> {
    let content_type = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_ascii_lowercase();
    let essence = content_type.split(';').next().unwrap_or_default().trim().to_owned();
    let mut bytes = web::BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|e| Open311Error::bad_request(format, format!("the body could not be read: {e}")))?;
        if bytes.len() + chunk.len() > limit {
            return Err(Open311Error::from_api(format, ApiError::PayloadTooLarge(limit)));
        }
        bytes.extend_from_slice(&chunk);
    }
    if bytes.is_empty() {
        return Ok(Params::default());
    }
    if essence != "application/x-www-form-urlencoded" {
        return Err(Open311Error::bad_request(
            format,
            format!(
                "Content-Type '{essence}' is not accepted; send the fields as application/x-www-form-urlencoded \
                 (media is accepted as a media_url, not as an upload)"
            ),
        ));
    }
    Params::parse(format, &bytes)
}

/// The intake input of a POST, or the field problems found before intake.
fn intake_input(catalog: &Catalog, params: &Params, format: Format) -> Result<IntakeInput, Open311Error> {
    let mut problems = Vec::new();
    let service_code = params.get("service_code").unwrap_or_default().to_owned();
    if service_code.is_empty() {
        problems.push("service_code: is required; services.json lists the codes".to_owned());
    }
    let coordinate = |name: &str| params.get(name).map(|text| (text, text.parse::<f64>().ok()));
    let (lat, lon) = match (coordinate("lat"), coordinate("long")) {
        (Some((_, Some(lat))), Some((_, Some(lon)))) => (lat, lon),
        (None, None) => {
            if params.get("address_string").is_some() || params.get("address_id").is_some() {
                problems.push(
                    "lat/long: are required; this server does not geocode address_string or address_id, so send \
                     lat and long (WGS84) as well"
                        .to_owned(),
                );
            } else {
                problems.push("lat/long: a location is required; send lat and long (WGS84 degrees)".to_owned());
            }
            (0.0, 0.0)
        }
        (lat, lon) => {
            for (name, value) in [("lat", lat), ("long", lon)] {
                match value {
                    None => problems.push(format!("{name}: is required together with the other coordinate")),
                    Some((text, None)) => problems.push(format!("{name}: '{text}' is not a number in WGS84 degrees")),
                    Some(_) => {}
                }
            }
            (0.0, 0.0)
        }
    };
    let questions = catalog.subcategory(&service_code).map(|c| c.questions.clone()).unwrap_or_default();
    let fields: Vec<AttributeField> = params
        .0
        .iter()
        .filter_map(|(name, value)| {
            attribute_code(name).map(|code| AttributeField { code: code.to_owned(), value: value.clone() })
        })
        .collect();
    let mut errors = FieldErrors::default();
    let answers = answers_from_form(&questions, &fields, &mut errors);
    if let Err(field_errors) = errors.finish(|| Some(())) {
        problems.extend(
            field_errors
                .into_iter()
                .map(|e| format!("{}: {}", crate::domain::open311::field_name(&e.pointer), e.detail)),
        );
    }
    if !problems.is_empty() {
        return Err(Open311Error::many(format, StatusCode::BAD_REQUEST, problems));
    }
    let name = [params.get("first_name"), params.get("last_name")].into_iter().flatten().collect::<Vec<_>>().join(" ");
    let contact = ContactInput {
        email: params.get("email").map(str::to_owned),
        phone: params.get("phone").map(str::to_owned),
        name: Some(name).filter(|n| !n.is_empty()),
        consent_to_contact: false,
    };
    let has_contact = contact.email.is_some() || contact.phone.is_some() || contact.name.is_some();
    Ok(IntakeInput {
        category: service_code,
        description: params.get("description").unwrap_or_default().to_owned(),
        lat,
        lon,
        address: params.get("address_string").map(str::to_owned),
        reporter: has_contact.then_some(contact),
        answers,
        media_url: params.get("media_url").map(str::to_owned),
        // Open311 has no language field; the `locale` some clients send (`en`, `en_US`) picks English mails.
        language: params.get("locale").map_or_else(Default::default, |locale| {
            crate::domain::report::Language::parse(&locale.get(..2).unwrap_or_default().to_ascii_lowercase())
        }),
    })
}

/// Runs a form body through what `POST requests.{format}` does with it before intake:
/// parsing, the fields into an intake input, the fingerprint. For the fuzz targets in
/// `fuzz/` only (feature `fuzzing`); the server calls the parts itself.
#[cfg(feature = "fuzzing")]
#[doc(hidden)]
pub fn read_form_fields(catalog: &Catalog, format: Format, body: &[u8]) -> Result<String, Open311Error> {
    let params = Params::parse(format, body)?;
    let _ = params.date(format, "start_date");
    let _ = params.number(format, "page_size", 50, 1000);
    let _ = params.list("service_request_id");
    let input = intake_input(catalog, &params, format)?;
    Ok(format!("{}:{}", input.category, fingerprint(&params)))
}

/// SHA-256 of the request's fields in a canonical order (the api_key left out), so a retry
/// with the same fields matches its Idempotency-Key.
fn fingerprint(params: &Params) -> String {
    let mut pairs: Vec<&(String, String)> = params.0.iter().filter(|(k, _)| k != "api_key").collect();
    pairs.sort();
    let mut hasher = Sha256::new();
    hasher.update(b"open311\n");
    for (key, value) in pairs {
        hasher.update(serde_urlencoded::to_string([(key, value)]).unwrap_or_default().as_bytes());
        hasher.update(b"\n");
    }
    hex::encode(hasher.finalize())
}
