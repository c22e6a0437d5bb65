//! Photos of reports: the reporter adds them right after filing (with the upload token
//! from the intake answer); anyone may fetch those of reports in public, non-sensitive
//! categories.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use bytes::Bytes;
use chrono::{DateTime, Utc};
use serde::Serialize;
use uuid::Uuid;

use crate::api::error::{ApiError, Problem};
use crate::api::responses::Unavailable;
use crate::api::state::AppState;
use crate::domain::photo::StoredPhoto;
use crate::domain::photo_token::{self, TokenRefusal};
use crate::domain::report::Report;

/// The header that carries the photo upload token (in the intake answer, and back in uploads).
pub const TOKEN_HEADER: &str = "Photo-Upload-Token";
/// The intake answer's header that says until when the token works.
pub const EXPIRES_HEADER: &str = "Photo-Upload-Expires";

/// A photo as clients see it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PhotoView {
    /// Photo id.
    pub id: Uuid,
    /// Where to fetch it (upright, without any metadata).
    #[schema(example = "/api/v1/reports/0193.../photos/0193...")]
    pub url: String,
    /// Where to fetch its thumbnail (longest side at most 320 pixels).
    pub thumbnail_url: String,
    /// `image/jpeg` or `image/png`.
    pub media_type: String,
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
}

impl PhotoView {
    /// The view of a stored photo.
    pub fn of(photo: &StoredPhoto) -> Self {
        PhotoView {
            id: photo.id,
            url: photo_url(photo.report_id, photo.id),
            thumbnail_url: thumbnail_url(photo.report_id, photo.id),
            media_type: photo.format.media_type().to_owned(),
            width: photo.width,
            height: photo.height,
        }
    }
}

/// Permission to add photos, handed to the reporter in the intake answer's headers.
#[derive(Debug, Clone)]
pub struct PhotoUploadGrant {
    /// The token (the `Photo-Upload-Token` header).
    pub token: String,
    /// Until when it works (one hour after filing).
    pub expires_at: DateTime<Utc>,
}

/// The grant for a report just filed (or filed earlier, for a replayed intake).
pub fn grant(state: &AppState, report_id: Uuid, created_at: DateTime<Utc>) -> PhotoUploadGrant {
    let issued = photo_token::issue(&state.photos.secret, report_id, created_at);
    PhotoUploadGrant { token: issued.token, expires_at: issued.expires_at }
}

/// The URL of a photo.
pub fn photo_url(report_id: Uuid, photo_id: Uuid) -> String {
    format!("/api/v1/reports/{report_id}/photos/{photo_id}")
}

/// The URL of a photo's thumbnail.
pub fn thumbnail_url(report_id: Uuid, photo_id: Uuid) -> String {
    format!("{}/thumbnail", photo_url(report_id, photo_id))
}

/// The photos of `report` the public may see (none for non-public or sensitive categories).
pub async fn public_photos(state: &AppState, report: &Report) -> Result<Vec<PhotoView>, ApiError> {
    let snapshot = state.config.snapshot();
    let photos = crate::intake::photos::public_photos(&state.db, &snapshot.catalog, report).await?;
    Ok(photos.iter().map(PhotoView::of).collect())
}

/// The multipart body of a photo upload.
#[derive(utoipa::ToSchema)]
pub struct PhotoUpload {
    /// One or more photo files (part name `photo`): JPEG, PNG or WebP, recognised by content;
    /// each at most `photo_max_bytes`.
    #[schema(value_type = Vec<String>, format = Binary)]
    pub photo: Vec<Vec<u8>>,
}

/// The multipart body of a report filed with photos.
#[derive(utoipa::ToSchema)]
pub struct ReportWithPhotos {
    /// The report, as the JSON body of `application/json` filing.
    #[schema(value_type = crate::api::public::reports::CreateReport)]
    pub report: String,
    /// Photo files (part name `photo`, repeated), as for `POST /api/v1/reports/{id}/photos`.
    #[schema(value_type = Vec<String>, format = Binary)]
    pub photo: Vec<Vec<u8>>,
}

/// The photos an upload added.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct PhotosAdded {
    /// The new photos, in the order sent.
    pub photos: Vec<PhotoView>,
}

/// Adds photos to a report. Only the reporter can, within an hour of filing: send the
/// `Photo-Upload-Token` header of the intake answer back as the `Photo-Upload-Token` header. The body is
/// `multipart/form-data` with one or more parts named `photo`. Each photo's type is
/// recognised from its content (JPEG, PNG or WebP; HEIC is refused with a 415 that says
/// so); it is turned upright by its EXIF orientation and re-encoded without any metadata
/// (no EXIF, GPS, XMP, maker notes), and a thumbnail is made. All or nothing: when one
/// photo is refused, none is stored.
#[utoipa::path(
    tag = "reports",
    params(
        ("id" = Uuid, Path, description = "Report id"),
        ("Photo-Upload-Token" = String, Header, description = "The `Photo-Upload-Token` header of the intake answer"),
    ),
    request_body(content = PhotoUpload, content_type = "multipart/form-data"),
    responses(
        (status = 201, description = "Stored", body = PhotosAdded),
        (status = 400, description = "The body is not valid multipart, has a part other than `photo`, or no photo", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No Photo-Upload-Token header", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token is not this report's, or has expired", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such report", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The report would have more photos than allowed", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "A photo is larger than allowed", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "The body is not multipart/form-data, or a photo is not JPEG, PNG or WebP", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A photo cannot be decoded (damaged, or too many pixels)", body = Problem, content_type = "application/problem+json"),
        Unavailable,
    )
)]
#[post("/api/v1/reports/{id}/photos")]
pub async fn add_photos(
    request: HttpRequest,
    path: web::Path<String>,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let report = find_report(&state, &path.into_inner()).await?;
    let Some(token) = request.headers().get(TOKEN_HEADER) else {
        return Err(ApiError::Unauthorized(format!(
            "send the {TOKEN_HEADER} header of the intake answer back as the {TOKEN_HEADER} header"
        )));
    };
    match photo_token::verify(&state.photos.secret, report.id, token.to_str().unwrap_or_default(), Utc::now()) {
        Ok(()) => {}
        Err(TokenRefusal::Invalid) => {
            return Err(ApiError::Forbidden(format!("the {TOKEN_HEADER} is not valid for this report")));
        }
        Err(TokenRefusal::Expired) => {
            return Err(ApiError::Forbidden(
                "the photo upload token has expired: photos can be added within an hour of filing".into(),
            ));
        }
    }
    let uploads = read_photos(&request, payload, &state.photos).await?;
    let added = state.photos.add(&state.db, report.id, uploads).await?;
    tracing::info!(report_id = %report.id, photos = added.len(), "photos added");
    let views: Vec<PhotoView> = added.iter().map(PhotoView::of).collect();
    let mut response = HttpResponse::Created();
    if let Some(first) = views.first() {
        response.insert_header((header::LOCATION, first.url.clone()));
    }
    Ok(response.json(PhotosAdded { photos: views }))
}

/// A photo of a report, upright and without metadata. Only for reports in public,
/// non-sensitive categories (others answer 404).
#[utoipa::path(
    tag = "reports",
    params(
        ("id" = Uuid, Path, description = "Report id"),
        ("photo_id" = Uuid, Path, description = "Photo id"),
        ("If-None-Match" = Option<String>, Header, description = "ETag of a copy the client has; a match answers 304"),
    ),
    responses(
        (status = 200, description = "The photo", content_type = "image/jpeg",
            headers(("ETag" = String, description = "Changes when the bytes change"), ("Cache-Control" = String, description = "How long caches may keep it"))),
        (status = 304, description = "The client's copy is current"),
        (status = 404, description = "No such photo, or not public", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/api/v1/reports/{id}/photos/{photo_id}")]
pub async fn get_photo(
    request: HttpRequest,
    path: web::Path<(String, String)>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let (report_id, photo_id) = path.into_inner();
    serve(&request, &state, &report_id, &photo_id, false).await
}

/// A photo's thumbnail (longest side at most 320 pixels). Only for reports in public,
/// non-sensitive categories (others answer 404).
#[utoipa::path(
    tag = "reports",
    params(
        ("id" = Uuid, Path, description = "Report id"),
        ("photo_id" = Uuid, Path, description = "Photo id"),
        ("If-None-Match" = Option<String>, Header, description = "ETag of a copy the client has; a match answers 304"),
    ),
    responses(
        (status = 200, description = "The thumbnail", content_type = "image/jpeg",
            headers(("ETag" = String, description = "Changes when the bytes change"), ("Cache-Control" = String, description = "How long caches may keep it"))),
        (status = 304, description = "The client's copy is current"),
        (status = 404, description = "No such photo, or not public", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/api/v1/reports/{id}/photos/{photo_id}/thumbnail")]
pub async fn get_thumbnail(
    request: HttpRequest,
    path: web::Path<(String, String)>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let (report_id, photo_id) = path.into_inner();
    serve(&request, &state, &report_id, &photo_id, true).await
}

async fn serve(
    request: &HttpRequest,
    state: &web::Data<AppState>,
    report_id: &str,
    photo_id: &str,
    thumbnail: bool,
) -> Result<HttpResponse, ApiError> {
    let not_found = || ApiError::NotFound(format!("there is no public photo {photo_id} of report {report_id}"));
    let report_id = Uuid::parse_str(report_id).map_err(|_| not_found())?;
    let photo_id = Uuid::parse_str(photo_id).map_err(|_| not_found())?;
    let (report, stored) = state
        .db
        .run(move |conn| {
            let report = crate::storage::reports::by_id(conn, report_id)?;
            let stored = crate::storage::photos::photo(conn, report_id, photo_id)?;
            Ok::<_, crate::storage::StorageError>((report, stored))
        })
        .await?;
    let (Some(report), Some(stored)) = (report, stored) else { return Err(not_found()) };
    if !crate::intake::photos_public(&state.config.snapshot().catalog, &report) {
        return Err(not_found());
    }
    let sha = if thumbnail { &stored.thumbnail_sha256 } else { &stored.sha256 };
    let etag = format!("\"{sha}\"");
    // Short: a category can be made non-public later, and caches must then stop serving it.
    let cache_control = "public, max-age=300";
    let matches = request
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|tag| tag.trim().trim_start_matches("W/") == etag || tag.trim() == "*"));
    if matches {
        return Ok(HttpResponse::NotModified()
            .insert_header((header::ETAG, etag))
            .insert_header((header::CACHE_CONTROL, cache_control))
            .finish());
    }
    let key = crate::storage::photos::photo_key(report_id, photo_id, stored.format, thumbnail);
    let bytes =
        state.photos.store.get(&key).await.map_err(|e| ApiError::Internal(e.to_string()))?.ok_or_else(not_found)?;
    Ok(HttpResponse::Ok()
        .content_type(stored.format.media_type())
        .insert_header((header::ETAG, etag))
        .insert_header((header::CACHE_CONTROL, cache_control))
        .insert_header(("X-Content-Type-Options", "nosniff"))
        .body(bytes))
}

async fn find_report(state: &web::Data<AppState>, id: &str) -> Result<Report, ApiError> {
    let not_found = || ApiError::NotFound(format!("there is no report with id '{id}'"));
    let uuid = Uuid::parse_str(id).map_err(|_| not_found())?;
    crate::api::public::reports::load(state, uuid).await?.ok_or_else(not_found)
}

/// Whether a request's body is `multipart/form-data`.
pub fn is_multipart(request: &HttpRequest) -> bool {
    request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.to_ascii_lowercase().starts_with("multipart/form-data"))
}

/// The parts of a multipart body.
pub struct Parts {
    /// The `report` part (intake only).
    pub report: Option<Bytes>,
    /// The `photo` parts, in order.
    pub photos: Vec<Bytes>,
}

/// Reads a multipart body: `photo` parts (each at most the size limit, at most the count
/// limit) and, when `report_limit` is given, one `report` part of at most that many bytes.
pub async fn read_parts(
    request: &HttpRequest,
    payload: web::Payload,
    settings: &crate::intake::photos::PhotoService,
    report_limit: Option<usize>,
) -> Result<Parts, ApiError> {
    let expected = if report_limit.is_some() {
        "a part named 'report' (the report as JSON) and a part named 'photo' per photo"
    } else {
        "one part named 'photo' per photo"
    };
    if !is_multipart(request) {
        return Err(ApiError::UnsupportedMediaType(format!("send multipart/form-data with {expected}")));
    }
    let mut multipart = crate::api::multipart::Parts::new(request, payload);
    let mut parts = Parts { report: None, photos: Vec::new() };
    while let Some(mut field) = multipart.next().await? {
        let name = field.name().unwrap_or_default().to_owned();
        let limit = match (name.as_str(), report_limit) {
            ("photo", _) => {
                if parts.photos.len() >= settings.max_count {
                    return Err(ApiError::Conflict(format!(
                        "at most {} photos can be added to a report; send fewer",
                        settings.max_count
                    )));
                }
                settings.max_bytes
            }
            ("report", Some(limit)) if parts.report.is_none() => limit,
            _ => return Err(ApiError::MalformedBody(format!("unexpected part '{name}'; send {expected}"))),
        };
        let mut bytes = web::BytesMut::new();
        while let Some(chunk) = multipart.chunk(&mut field).await? {
            if bytes.len() + chunk.len() > limit {
                return Err(ApiError::PayloadTooLarge(limit));
            }
            bytes.extend_from_slice(&chunk);
        }
        if name == "photo" {
            parts.photos.push(bytes.freeze());
        } else {
            parts.report = Some(bytes.freeze());
        }
    }
    Ok(parts)
}

/// Reads the `photo` parts of an upload (at least one).
pub(crate) async fn read_photos(
    request: &HttpRequest,
    payload: web::Payload,
    settings: &crate::intake::photos::PhotoService,
) -> Result<Vec<Bytes>, ApiError> {
    let parts = read_parts(request, payload, settings, None).await?;
    if parts.photos.is_empty() {
        return Err(ApiError::MalformedBody("the body has no photo; send each photo as a part named 'photo'".into()));
    }
    Ok(parts.photos)
}
