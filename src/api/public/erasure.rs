//! The resident's right to erasure (AVG art. 17) through the private follow link: the
//! reporter erases their contact details at once, which stops the emails and ends the
//! link. The same anonymisation as the retention job (`crate::storage::retention`).

use actix_web::{HttpResponse, post, web};
use serde::Serialize;

use crate::api::error::{ApiError, Problem};
use crate::api::responses::Unavailable;
use crate::api::state::AppState;

/// What an erasure did.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ErasureView {
    /// What was erased: `reporter_contact` (email, phone, name), `follow_links`,
    /// `supporter_emails`, `queued_emails` (cancelled) and `sent_email_addresses`.
    pub erased: Vec<&'static str>,
    /// What it means, in words.
    pub detail: String,
}

impl ErasureView {
    /// The view of a report's reporter anonymised now, with `detail`.
    pub fn new(detail: &str) -> Self {
        ErasureView {
            erased: vec![
                "reporter_contact",
                "follow_links",
                "supporter_emails",
                "queued_emails",
                "sent_email_addresses",
            ],
            detail: detail.to_owned(),
        }
    }
}

/// Erases the reporter's contact details of the followed report at once: no more emails are
/// sent about it and this follow link stops working. The report itself stays (without
/// them); its history says that the contact details were erased, not what they were.
#[utoipa::path(
    tag = "reports",
    params(("token" = String, Path, description = "The token from the follow link")),
    responses(
        (status = 200, description = "Erased; the link no longer works", body = ErasureView),
        (status = 404, description = "No report has this link (or it was used to erase already)", body = Problem, content_type = "application/problem+json"),
        Unavailable,
    )
)]
#[post("/api/v1/follow/{token}/erase")]
pub async fn erase_contact(path: web::Path<String>, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let token = path.into_inner();
    let erased = state.db.run(move |conn| crate::storage::retention::erase_by_follow_token(conn, &token)).await?;
    let id = erased
        .ok_or_else(|| ApiError::NotFound("this follow link is unknown; check that it was copied whole".into()))?;
    tracing::info!(report_id = %id, "reporter erased their contact details");
    Ok(HttpResponse::Ok().json(ErasureView::new(
        "Your contact details were erased: you get no more emails about this report, and this link no longer works. The report itself stays.",
    )))
}
