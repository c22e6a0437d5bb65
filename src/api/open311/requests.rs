//! `requests.{format}` (GET: list with filters; POST: file a request) and
//! `requests/{id}.{format}`. POST goes through the same intake pipeline as the JSON API.

use std::collections::HashMap;

use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use chrono::{Duration, Utc};
use futures_util::StreamExt;
use sha2::{Digest, Sha256};

use super::dto::{PostedDoc, RequestDoc};
use super::{ErrorEntry, Format, Open311Error, OrOpen311, PAGE_SIZE_MAX, Params, jurisdiction};
use crate::api::error::ApiError;
use crate::api::public::reports::idempotency_key;
use crate::api::state::AppState;
use crate::domain::open311::{
    AttributeField, answers_from_form, attribute_code, parse_w3c, status_notes, statuses_for,
};
use crate::domain::reference::normalise_reference;
use crate::domain::report::{ContactInput, IntakeInput, Report, ReportSource};
use crate::domain::validation::FieldErrors;
use crate::intake::writer::IdempotencyClaim;
use crate::storage::open311::RequestFilter;

/// The longest span `start_date`..`end_date` may cover (the spec's 90 days).
const WINDOW_DAYS: i64 = 90;

/// Lists service requests, newest first. `service_request_id` overrides every other filter.
#[utoipa::path(
    tag = "open311",
    params(
        ("format" = String, Path, description = "`json` or `xml`"),
        ("jurisdiction_id" = Option<String>, Query, description = "CBS gemeente code; required when the server serves several municipalities"),
        ("service_request_id" = Option<String>, Query, description = "Comma-separated request ids; overrides the other filters"),
        ("service_code" = Option<String>, Query, description = "Comma-separated service codes"),
        ("start_date" = Option<String>, Query, description = "Earliest requested_datetime (W3C); default 90 days before end_date"),
        ("end_date" = Option<String>, Query, description = "Latest requested_datetime (W3C); default now. The window spans at most 90 days"),
        ("status" = Option<String>, Query, description = "Comma-separated: open, closed"),
        ("page" = Option<i64>, Query, description = "Page, from 1 (extension)"),
        ("page_size" = Option<i64>, Query, description = "Requests per page, 1-1000, default 1000 (extension)"),
    ),
    responses(
        (status = 200, description = "The requests", content((Vec<RequestDoc> = "application/json"), (Vec<RequestDoc> = "text/xml"))),
        (status = 400, description = "A malformed filter or a missing jurisdiction_id", content((Vec<ErrorEntry> = "application/json"), (Vec<ErrorEntry> = "text/xml"))),
        (status = 404, description = "Unknown format or jurisdiction", content((Vec<ErrorEntry> = "application/json"), (Vec<ErrorEntry> = "text/xml"))),
    )
)]
#[get("/open311/v2/requests.{format}")]
pub async fn list_requests(
    request: HttpRequest,
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, Open311Error> {
    let format = Format::parse(&path.into_inner())?;
    let params = Params::parse(format, request.query_string().as_bytes())?;
    let gemeente = jurisdiction(&state, &params, format)?;
    let reports = if let Some(ids) = params.list("service_request_id") {
        let ids: Vec<String> = ids.into_iter().take(PAGE_SIZE_MAX as usize).collect();
        state
            .db
            .run(move |conn| -> Result<Vec<Report>, ApiError> {
                let mut found = Vec::new();
                for id in ids {
                    if let Some(report) = lookup(conn, &id)? {
                        found.push(report);
                    }
                }
                Ok(found)
            })
            .await
            .or_open311(format)?
            .into_iter()
            .filter(|report| in_jurisdiction(report, gemeente.as_deref()))
            .collect()
    } else {
        let filter = filter(&state, &params, gemeente, format)?;
        state.db.run(move |conn| crate::storage::open311::list(conn, &filter)).await.or_open311(format)?
    };
    let documents = documents(&state, reports).await.or_open311(format)?;
    Ok(format.render(StatusCode::OK, "service_requests", &documents))
}

/// One service request, by id (its reference) or by the token a POST answered.
#[utoipa::path(
    tag = "open311",
    params(
        ("id" = String, Path, description = "The service_request_id (reference such as K7QM-3XRD)"),
        ("format" = String, Path, description = "`json` or `xml`"),
        ("jurisdiction_id" = Option<String>, Query, description = "CBS gemeente code; required when the server serves several municipalities"),
    ),
    responses(
        (status = 200, description = "A list with the one request", content((Vec<RequestDoc> = "application/json"), (Vec<RequestDoc> = "text/xml"))),
        (status = 400, description = "jurisdiction_id missing or malformed", content((Vec<ErrorEntry> = "application/json"), (Vec<ErrorEntry> = "text/xml"))),
        (status = 404, description = "Unknown request, format or jurisdiction", content((Vec<ErrorEntry> = "application/json"), (Vec<ErrorEntry> = "text/xml"))),
    )
)]
#[get("/open311/v2/requests/{id}.{format}")]
pub async fn get_request(
    request: HttpRequest,
    path: web::Path<(String, String)>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, Open311Error> {
    let (id, extension) = path.into_inner();
    let format = Format::parse(&extension)?;
    let params = Params::parse(format, request.query_string().as_bytes())?;
    let gemeente = jurisdiction(&state, &params, format)?;
    let wanted = id.clone();
    let report = state
        .db
        .run(move |conn| -> Result<Option<Report>, ApiError> { lookup(conn, &wanted) })
        .await
        .or_open311(format)?
        .filter(|report| in_jurisdiction(report, gemeente.as_deref()))
        .ok_or_else(|| Open311Error::not_found(format, format!("there is no service request '{id}'")))?;
    let documents = documents(&state, vec![report]).await.or_open311(format)?;
    Ok(format.render(StatusCode::OK, "service_requests", &documents))
}

/// Files a service request (form-encoded, as the spec says). Answers go in
/// `attribute[code]=value`, multi-value answers in repeated `attribute[code][]=value`.
/// Contact fields (`email`, `first_name`, `last_name`, `phone`) are stored apart and never
/// shown; `device_id` and `account_id` are accepted and ignored; `media_url` (an http(s)
/// link) is stored and shown. Send an `Idempotency-Key` header to make retries safe.
#[utoipa::path(
    tag = "open311",
    params(
        ("format" = String, Path, description = "`json` or `xml`"),
        ("Idempotency-Key" = Option<String>, Header, description = "Client-chosen key; a retry with the same key and fields returns the original request"),
    ),
    request_body(content = String, content_type = "application/x-www-form-urlencoded",
        description = "api_key, jurisdiction_id, service_code, lat, long, address_string, address_id, description, email, first_name, last_name, phone, device_id, account_id, media_url, attribute[code]=value, attribute[code][]=value"),
    responses(
        (status = 200, description = "Stored; the id and a token", content((Vec<PostedDoc> = "application/json"), (Vec<PostedDoc> = "text/xml")),
            headers(("Idempotent-Replayed" = String, description = "`true` when this answers a retry"))),
        (status = 400, description = "Missing or invalid fields (each named), a missing location, or a location outside the jurisdiction", content((Vec<ErrorEntry> = "application/json"), (Vec<ErrorEntry> = "text/xml"))),
        (status = 403, description = "api_key missing (when anonymous POST is off) or not valid", content((Vec<ErrorEntry> = "application/json"), (Vec<ErrorEntry> = "text/xml"))),
        (status = 404, description = "Unknown format or jurisdiction", content((Vec<ErrorEntry> = "application/json"), (Vec<ErrorEntry> = "text/xml"))),
        (status = 413, description = "The body is larger than the limit", content((Vec<ErrorEntry> = "application/json"), (Vec<ErrorEntry> = "text/xml"))),
        (status = 422, description = "Idempotency-Key reused with other fields", content((Vec<ErrorEntry> = "application/json"), (Vec<ErrorEntry> = "text/xml"))),
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
    check_api_key(&state, &params, format)?;
    let gemeente = jurisdiction(&state, &params, format)?;
    let claim_key = idempotency_key(&request).or_open311(format)?;
    let input = intake_input(&state, &params, format)?;
    let claim = claim_key.map(|key| IdempotencyClaim { key, request_hash: fingerprint(&params) });
    let filed = state
        .intake()
        .file(input, ReportSource::Open311, claim, gemeente.as_deref(), Vec::new())
        .await
        .or_open311(format)?;
    let report = filed.report;
    let document = vec![PostedDoc {
        service_request_id: report.reference.clone(),
        token: report.id.to_string(),
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

/// Whether a report lies in the gemeente asked for (`None`: no filter).
fn in_jurisdiction(report: &Report, gemeente: Option<&str>) -> bool {
    gemeente.is_none_or(|code| report.area.as_ref().is_some_and(|area| area.gemeente_code == code))
}

/// A report by reference (any case, dash optional) or id.
fn lookup(conn: &mut crate::storage::DbConnection, id: &str) -> Result<Option<Report>, ApiError> {
    if let Ok(uuid) = uuid::Uuid::parse_str(id) {
        return Ok(crate::storage::reports::by_id(conn, uuid)?);
    }
    match normalise_reference(id) {
        Some(reference) => Ok(crate::storage::reports::by_reference(conn, &reference)?),
        None => Ok(None),
    }
}

/// The documents of `reports`, with their latest public status notes.
async fn documents(state: &web::Data<AppState>, reports: Vec<Report>) -> Result<Vec<RequestDoc>, ApiError> {
    let ids: Vec<uuid::Uuid> = reports.iter().map(|r| r.id).collect();
    let (history, photos) = state
        .db
        .run(move |conn| -> Result<_, crate::storage::StorageError> {
            Ok((
                crate::storage::open311::public_history(conn, &ids)?,
                crate::storage::photos::first_photos(conn, &ids)?,
            ))
        })
        .await?;
    let mut by_report: HashMap<uuid::Uuid, Vec<_>> = HashMap::new();
    for entry in history {
        by_report.entry(entry.report_id).or_default().push(entry);
    }
    let mut snapshot = state.config.snapshot();
    if reports.iter().any(|r| snapshot.catalog.category(r.category_id).is_none()) {
        snapshot = state.config.refreshed().await?;
    }
    Ok(reports
        .iter()
        .filter_map(|report| {
            let notes = by_report.get(&report.id).and_then(|entries| status_notes(entries));
            let mut document = RequestDoc::build(report, &snapshot.catalog, notes)?;
            // A photo filed with the report is its media: the served copy, without metadata,
            // when the public may see the category's photos.
            let shown = snapshot.catalog.category(report.category_id).is_some_and(crate::domain::photo::shown_publicly);
            if let Some(photo) = photos.get(&report.id).filter(|_| shown) {
                document.media_url =
                    Some(format!("{}{}", state.public_url, crate::api::public::photos::photo_url(report.id, *photo)));
            }
            Some(document)
        })
        .collect())
}

/// The list filter of a `GET requests`.
fn filter(
    state: &AppState,
    params: &Params,
    gemeente: Option<String>,
    format: Format,
) -> Result<RequestFilter, Open311Error> {
    let date = |name: &str| -> Result<Option<chrono::DateTime<Utc>>, Open311Error> {
        params
            .get(name)
            .map(|text| {
                parse_w3c(text).ok_or_else(|| {
                    Open311Error::bad_request(
                        format,
                        format!("{name} '{text}' is not a W3C datetime such as 2026-11-25T00:00:00+01:00"),
                    )
                })
            })
            .transpose()
    };
    let start = date("start_date")?;
    let end = date("end_date")?;
    let to = end.unwrap_or_else(Utc::now);
    let from = start.unwrap_or(to - Duration::days(WINDOW_DAYS));
    if from > to {
        return Err(Open311Error::bad_request(format, "start_date is after end_date"));
    }
    if to - from > Duration::days(WINDOW_DAYS) {
        return Err(Open311Error::bad_request(
            format,
            format!("start_date to end_date spans more than {WINDOW_DAYS} days; ask for a shorter window"),
        ));
    }
    let statuses = match params.list("status") {
        None => None,
        Some(names) => {
            let mut statuses = Vec::new();
            for name in names {
                let found = statuses_for(&name).ok_or_else(|| {
                    Open311Error::bad_request(format, format!("status '{name}' is not open or closed"))
                })?;
                statuses.extend(found.into_iter().map(|s| s.as_str().to_owned()));
            }
            Some(statuses)
        }
    };
    let snapshot = state.config.snapshot();
    let category_ids = params.list("service_code").map(|codes| {
        codes.iter().filter_map(|code| snapshot.catalog.subcategory(code)).map(|c| c.id).collect::<Vec<_>>()
    });
    let number = |name: &str, default: i64, max: i64| -> Result<i64, Open311Error> {
        match params.get(name) {
            None => Ok(default),
            Some(text) => text.parse::<i64>().ok().filter(|n| (1..=max).contains(n)).ok_or_else(|| {
                Open311Error::bad_request(format, format!("{name} '{text}' must be a whole number from 1 to {max}"))
            }),
        }
    };
    let page_size = number("page_size", PAGE_SIZE_MAX, PAGE_SIZE_MAX)?;
    let page = number("page", 1, 1_000_000)?;
    Ok(RequestFilter {
        category_ids,
        statuses,
        from: Some(from),
        to: Some(to),
        gemeente,
        limit: page_size,
        offset: (page - 1) * page_size,
    })
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
fn intake_input(state: &AppState, params: &Params, format: Format) -> Result<IntakeInput, Open311Error> {
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
    let snapshot = state.config.snapshot();
    let questions = snapshot.catalog.subcategory(&service_code).map(|c| c.questions.clone()).unwrap_or_default();
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
