//! What a reporter adds to their open report through its follow link, without an account:
//! a remark for the staff and photos. A remark is kept as an internal note (a resident may
//! write personal details in it, so it is never shown publicly); photos go through the
//! same processing as at intake (upright, re-encoded without metadata). Only the
//! reporter's own link may add (a supporter's may not), and only while the report is open.

use actix_web::{HttpRequest, HttpResponse, post, web};
use bytes::Bytes;
use serde::{Deserialize, Serialize};

use super::photos::{PhotoUpload, PhotoView, PhotosAdded, read_photos};
use crate::api::body::{parse, read_json};
use crate::api::error::{ApiError, Problem};
use crate::api::responses::{JsonBodyErrors, TooManyRequests, Unavailable};
use crate::api::state::AppState;
use crate::domain::photo::StoredPhoto;
use crate::domain::validation::{FieldError, bounded_text};
use crate::storage::additions::{Addition, REMARKS_MAX};
use crate::storage::followers::Holder;

/// The longest remark, in characters.
pub const REMARK_MAX: usize = 1000;

/// A remark for the staff who handle the report.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RemarkBody {
    /// Plain text, at most 1,000 characters.
    #[schema(example = "De lamp knippert nu ook overdag.")]
    pub text: String,
}

/// A stored remark.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct RemarkAdded {
    /// Always `true`: the remark is stored for the staff (never shown publicly).
    pub added: bool,
}

/// Adds a remark for the staff to the report behind the follow link. Only the reporter's
/// link may (a supporter's may not), and only while the report is open; at most 20 remarks
/// per report. The remark is an internal note: staff see it, the public timeline does not.
#[utoipa::path(
    tag = "reports",
    params(("token" = String, Path, description = "The token from the reporter's follow link")),
    request_body(content = RemarkBody, content_type = "application/json"),
    responses(
        (status = 201, description = "Stored for the staff", body = RemarkAdded),
        (status = 403, description = "A supporter's link: only the reporter may add", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No report has this link", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The report is closed, or has the most remarks allowed", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The text is empty, too long or not plain text", body = Problem, content_type = "application/problem+json"),
        Unavailable,
        JsonBodyErrors,
        TooManyRequests,
    )
)]
#[post("/api/v1/follow/{token}/remarks")]
pub async fn post_remark(
    path: web::Path<String>,
    request: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let input: RemarkBody = parse(read_json(&request, payload, state.max_body_bytes).await?.value)?;
    add_remark(&state, path.into_inner(), &input.text).await?;
    Ok(HttpResponse::Created().json(RemarkAdded { added: true }))
}

/// Adds photos to the report behind the follow link, as `POST /api/v1/reports/{id}/photos`
/// does right after filing: one or more parts named `photo` (JPEG, PNG or WebP), turned
/// upright and re-encoded without metadata, all or nothing. Only the reporter's link may,
/// and only while the report is open.
#[utoipa::path(
    tag = "reports",
    params(("token" = String, Path, description = "The token from the reporter's follow link")),
    request_body(content = PhotoUpload, content_type = "multipart/form-data"),
    responses(
        (status = 201, description = "Stored", body = PhotosAdded),
        (status = 400, description = "The body is not valid multipart, has a part other than `photo`, or no photo", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "A supporter's link: only the reporter may add", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No report has this link", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The report is closed, or would have more photos than allowed", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "A photo is larger than allowed", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "The body is not multipart/form-data, or a photo is not JPEG, PNG or WebP", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A photo cannot be decoded (damaged, or too many pixels)", body = Problem, content_type = "application/problem+json"),
        Unavailable,
        TooManyRequests,
    )
)]
#[post("/api/v1/follow/{token}/photos")]
pub async fn post_photos(
    path: web::Path<String>,
    request: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let token = path.into_inner();
    // Refuse a wrong link before reading megabytes of photos.
    open_report_of(&state, token.clone()).await?;
    let uploads = read_photos(&request, payload, &state.photos).await?;
    let added = add_photos(&state, token, uploads).await?;
    Ok(HttpResponse::Created().json(PhotosAdded { photos: added.iter().map(PhotoView::of).collect() }))
}

/// The reporter's remark through the follow link `token` (the JSON API's and the report
/// page's); errors say why it cannot be added.
pub(crate) async fn add_remark(state: &AppState, token: String, text: &str) -> Result<(), ApiError> {
    let text = bounded_text(text, "the remark", REMARK_MAX)
        .map_err(|e| ApiError::Validation(vec![FieldError { pointer: "/text".into(), detail: e.to_string() }]))?;
    let report_id = open_report_of(state, token).await?;
    let added = state.db.run(move |conn| crate::storage::additions::remark(conn, report_id, &text)).await?;
    answer(added)?;
    tracing::info!(report_id = %report_id, "reporter added a remark");
    Ok(())
}

/// Adds the reporter's photos through the follow link `token` (the JSON API's and the
/// report page's), with a history entry for the staff.
pub(crate) async fn add_photos(
    state: &AppState,
    token: String,
    uploads: Vec<Bytes>,
) -> Result<Vec<StoredPhoto>, ApiError> {
    let report_id = open_report_of(state, token).await?;
    let added = state.photos.add(&state.db, report_id, uploads).await?;
    let count = added.len();
    state.db.run(move |conn| crate::storage::additions::photos_added(conn, report_id, count)).await?;
    tracing::info!(report_id = %report_id, photos = count, "reporter added photos");
    Ok(added)
}

/// The open report the reporter's link `token` follows: 404 for an unknown link, 403 for a
/// supporter's, 409 for a closed report.
pub(crate) async fn open_report_of(state: &AppState, token: String) -> Result<uuid::Uuid, ApiError> {
    let found = state
        .db
        .run(move |conn| -> Result<_, crate::storage::StorageError> {
            let Some(link) = crate::storage::followers::follow_link(conn, &token)? else { return Ok(None) };
            let status = crate::storage::additions::status_of(conn, link.report_id)?;
            Ok(status.map(|status| (link, status)))
        })
        .await?;
    let (link, status) = found.ok_or_else(unknown)?;
    if !matches!(link.holder, Holder::Reporter(_)) {
        return Err(ApiError::Forbidden("only the reporter's own follow link can add a remark or photos".into()));
    }
    answer(if crate::domain::workflow::is_closed(status) { Addition::Closed(status) } else { Addition::Added })?;
    Ok(link.report_id)
}

/// The error of an addition that was not stored.
fn answer(addition: Addition) -> Result<(), ApiError> {
    match addition {
        Addition::Added => Ok(()),
        Addition::Unknown => Err(unknown()),
        Addition::Closed(status) => Err(ApiError::Conflict(format!(
            "the report is {}; remarks and photos can be added only while it is open (ask to reopen a resolved report instead)",
            status.as_str()
        ))),
        Addition::TooMany => Err(ApiError::Conflict(format!(
            "this report has the most remarks a reporter can add ({REMARKS_MAX}); file a new report for a new problem"
        ))),
    }
}

fn unknown() -> ApiError {
    ApiError::NotFound("this follow link is unknown; check that it was copied whole".into())
}
