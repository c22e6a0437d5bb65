//! Handling reports: changing category, location, department or priority (with
//! re-routing), and reading the history. Open to staff who handle the report (admin,
//! coordinator, department staff of its department) and to the configured admin token.

use actix_web::{HttpRequest, HttpResponse, get, patch, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use uuid::Uuid;

use crate::api::access::ReportHandler;
use crate::api::body::{optional_object_only, parse, read_json};
use crate::api::error::{ApiError, Problem};
use crate::api::public::reports::LocationInput;
use crate::api::responses::JsonBodyErrors;
use crate::api::state::AppState;
use crate::api::views::ReportView;
use crate::domain::privacy::Audience;
use crate::domain::report::{Location, Report};
use crate::domain::routing::PRIORITIES;
use crate::domain::validation::FieldErrors;
use crate::storage::rerouting::ReportChange;

/// A change to a report; every field optional, at least one given.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReportPatch {
    /// New subcategory slug: the report is routed again (unless its department is fixed).
    #[serde(default)]
    pub category: Option<String>,
    /// New location: areas are stamped again and the report routed again (unless its
    /// department is fixed).
    #[serde(default, deserialize_with = "optional_object_only")]
    pub location: Option<LocationInput>,
    /// Department slug chosen by hand; it sticks: later changes do not re-route.
    #[serde(default)]
    pub department: Option<String>,
    /// `low`, `normal` or `high`.
    #[serde(default)]
    pub priority: Option<String>,
}

/// Changes a report's category, location, department or priority in one transaction.
/// Re-stamps the areas and re-runs routing unless the department was fixed by hand; every
/// change is recorded in the history (`category_changed`, `location_changed`, `rerouted`,
/// `department_overridden`, `priority_changed`).
#[utoipa::path(
    tag = "staff",
    security(("bearer" = []), ("admin_token" = [])),
    params(("id" = Uuid, Path, description = "Report id")),
    request_body(content = ReportPatch, content_type = "application/json"),
    responses(
        (status = 200, description = "The report as staff see it, with `routing`", body = ReportView),
        (status = 401, description = "No valid staff token or admin token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The role does not handle reports (analyst)", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such report in your departments", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields, or a location outside the service area", body = Problem, content_type = "application/problem+json"),
        JsonBodyErrors,
    )
)]
#[patch("/api/v1/staff/reports/{id}")]
pub async fn update_report(
    handler: ReportHandler,
    path: web::Path<Uuid>,
    request: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    ensure_handles(&state, &handler, id).await?;
    let body = read_json(&request, payload, state.max_body_bytes).await?;
    let input: ReportPatch = parse(body.value)?;
    let report = change_report(&state, &handler.actor(), id, &input).await?;
    let snapshot = state.config.snapshot();
    // Staff see the report as its submitter does (nothing withheld), plus the routing.
    let view = ReportView::build(report.clone(), &snapshot, Audience::Submitter)
        .ok_or_else(|| ApiError::Internal("report category missing from catalog".into()))?
        .with_routing(&report, &snapshot);
    Ok(HttpResponse::Ok().json(view))
}

/// Checks a change of category, location, department or priority against the catalog and
/// the service area, and applies it with re-routing (`storage::rerouting::apply`): the one
/// implementation behind `PATCH /api/v1/staff/reports/{id}` and the console's form. The
/// caller has checked that `actor` handles report `id`.
pub async fn change_report(state: &AppState, actor: &str, id: Uuid, input: &ReportPatch) -> Result<Report, ApiError> {
    let snapshot = state.config.snapshot();
    let catalog = &snapshot.catalog;
    let mut errors = FieldErrors::default();
    let mut change = ReportChange::default();
    if input.category.is_none() && input.location.is_none() && input.department.is_none() && input.priority.is_none() {
        errors.add("", "send at least one of: category, location, department, priority");
    }
    if let Some(slug) = &input.category {
        match catalog.category_for_intake(slug) {
            Ok(category) => change.category_id = Some(category.id),
            Err(reason) => errors.add("/category", reason.to_string()),
        }
    }
    let location = input.location.as_ref().and_then(|l| Location::parse(l.lat, l.lon, "/location", &mut errors));
    if let Some(slug) = &input.department {
        match catalog.department_by_slug(slug) {
            Some(d) if d.active => change.department_id = Some(d.id),
            Some(_) => errors.add("/department", format!("department '{slug}' is deactivated")),
            None => errors.add("/department", format!("unknown department '{slug}'; GET /api/v1/admin/departments")),
        }
    }
    if let Some(priority) = &input.priority {
        if PRIORITIES.contains(&priority.as_str()) {
            change.priority = Some(priority.clone());
        } else {
            errors.add("/priority", format!("'{priority}' is not a priority; use one of: {}", PRIORITIES.join(", ")));
        }
    }
    errors.finish(|| Some(())).map_err(ApiError::Validation)?;
    if let Some(location) = location {
        let area = state.placer(&snapshot).stamp(location).map_err(ApiError::OutsideServiceArea)?;
        change.location = Some((location, area));
    }
    let (worker_snapshot, served, actor) = (snapshot.clone(), state.served.clone(), actor.to_owned());
    let report = state
        .db
        .run(move |conn| {
            let placer = crate::intake::placer(&worker_snapshot, &served);
            crate::storage::rerouting::apply(conn, id, &actor, &change, &placer)
        })
        .await?;
    tracing::info!(report_id = %id, "report changed by staff");
    Ok(report)
}

/// One entry of a report's history.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct HistoryEntryView {
    /// When (RFC 3339, UTC).
    pub at: DateTime<Utc>,
    /// Who: `reporter`, `system`, `admin`, `open311`, `import` or `staff:<account id>`.
    pub actor: String,
    /// What: `created`, `category_changed`, `location_changed`, `rerouted`,
    /// `department_overridden`, `priority_changed`, …
    pub action: String,
    /// The change's details (see the README).
    #[schema(value_type = Object)]
    pub details: Value,
}

/// The history of a report, oldest first.
#[utoipa::path(
    tag = "staff",
    security(("bearer" = []), ("admin_token" = [])),
    params(("id" = Uuid, Path, description = "Report id")),
    responses(
        (status = 200, description = "Every change, oldest first", body = Vec<HistoryEntryView>),
        (status = 401, description = "No valid staff token or admin token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The role does not handle reports (analyst)", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such report in your departments", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/api/v1/staff/reports/{id}/history")]
pub async fn report_history(
    handler: ReportHandler,
    path: web::Path<Uuid>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    ensure_handles(&state, &handler, id).await?;
    let entries = state
        .db
        .run(move |conn| crate::storage::rerouting::history(conn, id))
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("there is no report with id {id}")))?;
    let views: Vec<HistoryEntryView> = entries
        .into_iter()
        .map(|e| HistoryEntryView { at: e.at, actor: e.actor, action: e.action, details: e.details })
        .collect();
    Ok(HttpResponse::Ok().json(views))
}

/// Answers 404, as if the report did not exist, unless `handler` handles it: department
/// staff do not learn of other departments' reports.
pub(crate) async fn ensure_handles(
    state: &web::Data<AppState>,
    handler: &ReportHandler,
    id: Uuid,
) -> Result<(), ApiError> {
    let ReportHandler::Staff(identity) = handler else {
        return Ok(());
    };
    let who = identity.clone();
    state
        .db
        .run(move |conn| crate::storage::triage::visible(conn, &who, id))
        .await?
        .map(|_| ())
        .ok_or_else(|| ApiError::NotFound(format!("there is no report with id {id} in your departments")))
}
