//! The resident's right to erasure (AVG art. 17) through the private follow link: the
//! reporter, or a supporter, erases their contact details at once, which stops the emails
//! and ends their links. The same erasure as the retention job (`crate::storage::retention`).

use actix_web::{HttpResponse, post, web};
use serde::Serialize;

use crate::api::error::{ApiError, Problem};
use crate::api::responses::Unavailable;
use crate::api::state::AppState;
use crate::storage::retention::Erased;

/// What an erasure did.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ErasureView {
    /// What was erased: for a reporter `reporter_contact` (email, phone, name), for a
    /// supporter `supporter_email`; for both `follow_links`, `queued_emails` (cancelled)
    /// and `sent_email_addresses`.
    pub erased: Vec<&'static str>,
    /// What it means, in words.
    pub detail: String,
}

impl ErasureView {
    /// The view of a report's reporter anonymised now, with `detail`.
    pub fn new(detail: &str) -> Self {
        Self::of("reporter_contact", detail)
    }

    fn of(contact: &'static str, detail: &str) -> Self {
        ErasureView {
            erased: vec![contact, "follow_links", "queued_emails", "sent_email_addresses"],
            detail: detail.to_owned(),
        }
    }
}

/// Erases the contact details of whoever holds this follow link, at once: the reporter's
/// contact (email, phone, name) when it came with the report's own emails, or the
/// supporter's address when it came with an update to a supporter ("me too"). No more
/// emails are sent to them about the report, and their follow links stop working. The
/// report itself stays (without them); its history says that contact details were erased,
/// not what they were.
#[utoipa::path(
    tag = "reports",
    params(("token" = String, Path, description = "The token from the follow link")),
    responses(
        (status = 200, description = "Erased; the link no longer works", body = ErasureView),
        (status = 404, description = "No one holds this link (or it was used to erase already)", body = Problem, content_type = "application/problem+json"),
        Unavailable,
    )
)]
#[post("/api/v1/follow/{token}/erase")]
pub async fn erase_contact(path: web::Path<String>, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let token = path.into_inner();
    let erased = state.db.run(move |conn| crate::storage::retention::erase_by_follow_token(conn, &token)).await?;
    let erased = erased
        .ok_or_else(|| ApiError::NotFound("this follow link is unknown; check that it was copied whole".into()))?;
    let view = match erased {
        Erased::Reporter(id) => {
            tracing::info!(report_id = %id, "reporter erased their contact details");
            ErasureView::new(
                "Your contact details were erased: you get no more emails about this report, and this link no longer works. The report itself stays.",
            )
        }
        Erased::Supporter(id) => {
            tracing::info!(report_id = %id, "supporter erased their email address");
            ErasureView::of(
                "supporter_email",
                "Your email address was erased: you get no more emails about this report, and this link no longer works. Your support still counts.",
            )
        }
    };
    Ok(HttpResponse::Ok().json(view))
}
