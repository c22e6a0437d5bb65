//! How many subscriptions an announcement will reach, before it is published: the staff
//! API's `GET /api/v1/staff/announcements/{id}/reach` and the shared [`reach`] the console's
//! preview calls.

use actix_web::{HttpResponse, get, web};
use serde::Serialize;
use uuid::Uuid;

use crate::api::access::AnnouncementEditor;
use crate::api::error::{ApiError, Problem};
use crate::api::responses::Unavailable;
use crate::api::state::AppState;

/// How many subscriptions publishing would reach now.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Reach {
    /// The number of active subscriptions (email, webhook and push) whose areas meet the
    /// announcement's and whose tag filter it passes: the deliveries publishing now would
    /// queue.
    pub subscriptions: usize,
}

/// The reach of announcement `id` now, by the fan-out's own matching (a dry run), or 404.
pub async fn reach(state: &AppState, id: Uuid) -> Result<Reach, ApiError> {
    let count = state.db.run(move |conn| crate::storage::announcements::reach(conn, id)).await?;
    let subscriptions = count.ok_or_else(|| ApiError::NotFound("no announcement has this id".into()))?;
    Ok(Reach { subscriptions })
}

/// How many subscriptions the announcement would reach if it were published now (the same
/// matching as publishing: areas, tags, active subscriptions; each once).
#[utoipa::path(
    tag = "announcements",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Announcement id")),
    responses(
        (status = 200, description = "The number of subscriptions", body = Reach),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The role may not see announcements", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such announcement", body = Problem, content_type = "application/problem+json"),
        Unavailable,
    )
)]
#[get("/api/v1/staff/announcements/{id}/reach")]
pub async fn announcement_reach(
    _editor: AnnouncementEditor,
    path: web::Path<Uuid>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(reach(&state, path.into_inner()).await?))
}
