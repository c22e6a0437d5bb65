//! Filing a report and reading it back.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use serde::Deserialize;
use serde_json::{Map, Value};

use crate::api::body::{object_only, optional_object_only, parse, read_json};
use crate::api::error::{ApiError, Problem};
use crate::api::public::photos::PhotoView;
use crate::api::state::AppState;
use crate::api::views::ReportView;
use crate::domain::privacy::Audience;
use crate::domain::reference::normalise_reference;
use crate::domain::report::{ContactInput, IntakeInput, Report, ReportSource};
use crate::intake::writer::IdempotencyClaim;

/// Longest accepted `Idempotency-Key`.
const IDEMPOTENCY_KEY_MAX: usize = 255;

/// A new report from a resident.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateReport {
    /// Slug of an active subcategory (see `GET /api/v1/categories`).
    #[schema(example = "straatverlichting-openbare-klok")]
    pub category: String,
    /// What is wrong: 1 to 5000 characters.
    #[schema(example = "De lantaarnpaal voor nummer 12 is al drie dagen uit.")]
    pub description: String,
    /// Where, in WGS84.
    #[serde(deserialize_with = "object_only")]
    pub location: LocationInput,
    /// Optional address or place description, at most 300 characters.
    #[serde(default)]
    #[schema(example = "Akerstraat 12, Heerlen")]
    pub address: Option<String>,
    /// Optional contact details for updates; never shown publicly.
    #[serde(default, deserialize_with = "optional_object_only")]
    pub reporter: Option<ReporterInput>,
    /// Answers to the category's questions, by question key.
    #[serde(default)]
    #[schema(value_type = Option<Object>, example = json!({"probleem": "uit"}))]
    pub answers: Option<Map<String, Value>>,
    /// Language of the emails to the reporter: `nl` (default) or `en`.
    #[serde(default)]
    pub language: Option<crate::domain::report::Language>,
}

/// A WGS84 position.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LocationInput {
    /// Latitude in degrees, -90 to 90.
    #[schema(example = 50.8882)]
    pub lat: f64,
    /// Longitude in degrees, -180 to 180.
    #[schema(example = 5.9795)]
    pub lon: f64,
}

/// How to reach the reporter. All fields optional.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReporterInput {
    /// Email address for a confirmation and status updates.
    #[schema(example = "bewoner@example.nl")]
    pub email: Option<String>,
    /// Phone number: 8 to 15 digits, optionally with + and separators.
    #[schema(example = "+31 45 560 0000")]
    pub phone: Option<String>,
    /// Name, at most 200 characters.
    pub name: Option<String>,
    /// Whether staff may contact the reporter with questions (needs email or phone).
    #[serde(default)]
    pub consent_to_contact: bool,
}

/// Files a report. A `201` means it is durably stored. Send an `Idempotency-Key` so that a
/// retry after a lost answer returns the same report instead of filing a second one.
///
/// Photos can come along: send `multipart/form-data` with a part `report` (the JSON body)
/// and one part `photo` per photo (see `POST /api/v1/reports/{id}/photos` for what is
/// accepted). Every photo is checked before anything is stored: one refused photo refuses
/// the request. Or file the JSON alone and add photos afterwards with the
/// `Photo-Upload-Token` of the answer.
#[utoipa::path(
    tag = "reports",
    request_body(content(
        (CreateReport = "application/json"),
        (crate::api::public::photos::ReportWithPhotos = "multipart/form-data"),
    )),
    params(
        ("Idempotency-Key" = Option<String>, Header, description = "Client-chosen key, 1-255 visible ASCII characters (a UUID is ideal). A retry with the same key and body returns the original report; the same key with another body is a 422."),
    ),
    responses(
        (status = 201, description = "Stored (or, for a retried Idempotency-Key, stored earlier)", body = ReportView,
            headers(("Location" = String, description = "URL of the report"), ("Idempotent-Replayed" = String, description = "`true` when this answers a retry"),
                ("Photo-Upload-Token" = String, description = "For the reporter only: send it back as the `Photo-Upload-Token` header of `POST /api/v1/reports/{id}/photos` to add photos"),
                ("Photo-Upload-Expires" = String, description = "Until when the photo upload token works (RFC 3339; one hour after filing)"))),
        (status = 400, description = "The body is not JSON, or a header is invalid", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "More photos than a report may have", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "The body (or a photo) is larger than the limit", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "The body is not application/json or multipart/form-data, or a photo is not JPEG, PNG or WebP", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields (listed in `errors`), a location outside the municipalities served, or an Idempotency-Key reused with another body", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many reports from this address; retry after Retry-After seconds", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "Overloaded or the database is unreachable; retry with the same Idempotency-Key", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/api/v1/reports")]
pub async fn create_report(
    request: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let claim_key = idempotency_key(&request)?;
    let (body, uploads) = if crate::api::public::photos::is_multipart(&request) {
        let parts =
            crate::api::public::photos::read_parts(&request, payload, &state.photos, Some(state.max_body_bytes))
                .await?;
        let report = parts.report.ok_or_else(|| {
            ApiError::MalformedBody("the multipart body needs a part named 'report' with the report as JSON".into())
        })?;
        (crate::api::body::json_from_bytes(&report, "report")?, parts.photos)
    } else {
        (read_json(&request, payload, state.max_body_bytes).await?, Vec::new())
    };
    let fingerprint = body.fingerprint;
    let input: CreateReport = parse(body.value)?;
    let claim = claim_key.map(|key| IdempotencyClaim { key, request_hash: fingerprint });
    let filed = state.intake().file(input.into_domain(), ReportSource::Api, claim, None, uploads).await?;
    let mut answer = view(&state, filed.report, Audience::Submitter).await?;
    answer.photos = filed.photos.iter().map(PhotoView::of).collect();
    // Absent when there is nothing nearby, so the answer equals the public view then.
    answer.nearby = Some(filed.nearby.into_iter().map(Into::into).collect::<Vec<_>>()).filter(|n| !n.is_empty());
    let grant = crate::api::public::photos::grant(&state, answer.id, answer.created_at);
    created(answer, filed.replayed, grant)
}

/// Reads a report by its id or its short reference (as typed: any case, dash optional).
#[utoipa::path(
    tag = "reports",
    params(("id" = String, Path, description = "Report id (UUID) or reference such as K7QM-3XRD")),
    responses(
        (status = 200, description = "The public view of the report", body = ReportView),
        (status = 404, description = "No such report", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/api/v1/reports/{id}")]
pub async fn get_report(path: web::Path<String>, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    let not_found = || ApiError::NotFound(format!("there is no report with id or reference '{id}'"));
    let report = if let Ok(uuid) = uuid::Uuid::parse_str(&id) {
        load(&state, uuid).await?
    } else if let Some(reference) = normalise_reference(&id) {
        state.db.run(move |conn| crate::storage::reports::by_reference(conn, &reference)).await?
    } else {
        None
    };
    let report = report.ok_or_else(not_found)?;
    let photos = crate::api::public::photos::public_photos(&state, &report).await?;
    let mut public = view(&state, report, Audience::Public).await?;
    public.photos = photos;
    Ok(HttpResponse::Ok().json(public))
}

impl CreateReport {
    fn into_domain(self) -> IntakeInput {
        IntakeInput {
            category: self.category,
            description: self.description,
            lat: self.location.lat,
            lon: self.location.lon,
            address: self.address,
            reporter: self.reporter.map(|r| ContactInput {
                email: r.email,
                phone: r.phone,
                name: r.name,
                consent_to_contact: r.consent_to_contact,
            }),
            answers: self.answers.unwrap_or_default(),
            media_url: None,
            language: self.language.unwrap_or_default(),
        }
    }
}

pub(crate) fn idempotency_key(request: &HttpRequest) -> Result<Option<String>, ApiError> {
    let Some(value) = request.headers().get("Idempotency-Key") else {
        return Ok(None);
    };
    let key = value.to_str().unwrap_or_default().trim();
    // Quoted keys (as in the IETF draft's examples) are accepted without their quotes.
    let key = key.strip_prefix('"').and_then(|k| k.strip_suffix('"')).unwrap_or(key);
    if key.is_empty() || key.len() > IDEMPOTENCY_KEY_MAX || !key.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(ApiError::InvalidHeader(format!(
            "Idempotency-Key must be 1 to {IDEMPOTENCY_KEY_MAX} visible ASCII characters; send a fresh UUID per new report"
        )));
    }
    Ok(Some(key.to_owned()))
}

pub(crate) async fn load(state: &web::Data<AppState>, id: uuid::Uuid) -> Result<Option<Report>, ApiError> {
    Ok(state.db.run(move |conn| crate::storage::reports::by_id(conn, id)).await?)
}

/// Builds a view, refreshing the configuration first if the report's category is newer
/// than the snapshot (created by another process since the last refresh).
pub(crate) async fn view(state: &AppState, report: Report, audience: Audience) -> Result<ReportView, ApiError> {
    let mut snapshot = state.config.snapshot();
    if snapshot.catalog.category(report.category_id).is_none() {
        snapshot = state.config.refreshed().await?;
    }
    ReportView::build(report, &snapshot, audience)
        .ok_or_else(|| ApiError::Internal("report category missing from catalog".into()))
}

fn created(
    view: ReportView,
    replayed: bool,
    grant: crate::api::public::photos::PhotoUploadGrant,
) -> Result<HttpResponse, ApiError> {
    let mut response = HttpResponse::Created();
    response.insert_header((header::LOCATION, format!("/api/v1/reports/{}", view.id)));
    response.insert_header((crate::api::public::photos::TOKEN_HEADER, grant.token));
    response.insert_header((
        crate::api::public::photos::EXPIRES_HEADER,
        grant.expires_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
    ));
    if replayed {
        response.insert_header(("Idempotent-Replayed", "true"));
    }
    Ok(response.json(view))
}
