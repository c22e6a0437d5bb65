//! Baseline (nulmeting) and monitoring projects: define, list, read, change (until results
//! exist), close, results, and the change log.

use actix_web::{HttpRequest, HttpResponse, get, patch, post, web};
use serde::Deserialize;
use uuid::Uuid;

use super::with_insight;
use crate::api::access::AnalystAccess;
use crate::api::body::{parse, read_json};
use crate::api::error::{ApiError, Problem};
use crate::api::responses::{AnalystErrors, JsonBodyErrors, Unavailable};
use crate::api::state::AppState;
use crate::domain::stats::project::{Project, ProjectChange, ProjectDefinition};
use crate::domain::validation::{FieldError, bounded_text};
use crate::insight::projects::{ProjectResults, check_definition, results};
use crate::storage::projects::{Refused, Update};

/// A new project.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProjectInput {
    /// A name, up to 200 characters.
    pub name: String,
    /// What the project is and does, up to 5,000 characters.
    #[serde(default)]
    pub description: String,
    /// What is measured where and when.
    pub definition: ProjectDefinition,
}

/// A change to a project; absent fields stay as they are. The definition can change only
/// until results have been read.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProjectPatch {
    pub name: Option<String>,
    pub description: Option<String>,
    pub definition: Option<ProjectDefinition>,
}

fn texts(name: Option<&str>, description: Option<&str>) -> Result<(Option<String>, Option<String>), ApiError> {
    let mut errors = Vec::new();
    let name = name.and_then(|n| {
        bounded_text(n, "name", 200)
            .map_err(|e| errors.push(FieldError { pointer: "/name".into(), detail: e.to_string() }))
            .ok()
    });
    let description = description.and_then(|d| {
        if d.chars().count() > 5000 {
            errors.push(FieldError { pointer: "/description".into(), detail: "at most 5,000 characters".into() });
            None
        } else {
            Some(d.trim().to_owned())
        }
    });
    if errors.is_empty() { Ok((name, description)) } else { Err(ApiError::Validation(errors)) }
}

fn refused(refusal: Refused) -> ApiError {
    match refusal {
        Refused::Missing => ApiError::NotFound("no such project".into()),
        Refused::Frozen(why) => ApiError::Conflict(why),
    }
}

/// Defines a project.
#[utoipa::path(
    tag = "analyst",
    security(("bearer" = []), ("admin_token" = [])),
    request_body(content = ProjectInput, content_type = "application/json"),
    responses(
        (status = 201, description = "Created; the boundary year is fixed to the newest loaded unless given", body = Project),
        (status = 422, description = "Invalid fields (unknown area or category, both or neither of areas and polygon, an invalid polygon or one outside the served municipalities, a baseline that ends after the start, ...), each by JSON Pointer", body = Problem, content_type = "application/problem+json"),
        JsonBodyErrors,
        AnalystErrors,
        Unavailable,
    )
)]
#[post("/api/v1/projects")]
pub async fn create_project(
    analyst: AnalystAccess,
    request: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let body = read_json(&request, payload, state.max_body_bytes).await?;
    let input = parse::<ProjectInput>(body.value)?;
    let (name, description) = texts(Some(&input.name), Some(&input.description))?;
    let (name, description) = (name.unwrap_or_default(), description.unwrap_or_default());
    let mut definition = input.definition;
    let actor = analyst.actor().to_owned();
    let project = with_insight(&state, move |conn, ctx| {
        check_definition(conn, ctx, &mut definition, "/definition")?;
        Ok(crate::storage::projects::create(conn, &name, &description, &definition, &actor)?)
    })
    .await?;
    Ok(HttpResponse::Created().json(project))
}

/// Every project, newest first.
#[utoipa::path(
    tag = "analyst",
    security(("bearer" = []), ("admin_token" = [])),
    responses((status = 200, description = "The projects", body = Vec<Project>), AnalystErrors, Unavailable)
)]
#[get("/api/v1/projects")]
pub async fn list_projects(_analyst: AnalystAccess, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(state.db.run(crate::storage::projects::list).await?))
}

/// One project.
#[utoipa::path(
    tag = "analyst",
    security(("bearer" = []), ("admin_token" = [])),
    params(("id" = Uuid, Path, description = "Project id")),
    responses(
        (status = 200, description = "The project", body = Project),
        (status = 404, description = "No such project", body = Problem, content_type = "application/problem+json"),
        AnalystErrors,
        Unavailable,
    )
)]
#[get("/api/v1/projects/{id}")]
pub async fn get_project(
    _analyst: AnalystAccess,
    id: web::Path<Uuid>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let project = state.db.run(move |conn| crate::storage::projects::get(conn, id)).await?;
    Ok(HttpResponse::Ok().json(project.ok_or_else(|| refused(Refused::Missing))?))
}

/// Changes a project's name, description or (until results exist) definition; every
/// change is logged.
#[utoipa::path(
    tag = "analyst",
    security(("bearer" = []), ("admin_token" = [])),
    params(("id" = Uuid, Path, description = "Project id")),
    request_body(content = ProjectPatch, content_type = "application/json"),
    responses(
        (status = 200, description = "Changed", body = Project),
        (status = 404, description = "No such project", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The definition is frozen (results exist) or the project is closed", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields, each by JSON Pointer", body = Problem, content_type = "application/problem+json"),
        JsonBodyErrors,
        AnalystErrors,
        Unavailable,
    )
)]
#[patch("/api/v1/projects/{id}")]
pub async fn update_project(
    analyst: AnalystAccess,
    id: web::Path<Uuid>,
    request: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let body = read_json(&request, payload, state.max_body_bytes).await?;
    let patch = parse::<ProjectPatch>(body.value)?;
    let (name, description) = texts(patch.name.as_deref(), patch.description.as_deref())?;
    let (id, actor, mut definition) = (id.into_inner(), analyst.actor().to_owned(), patch.definition);
    let outcome = with_insight(&state, move |conn, ctx| {
        if let Some(definition) = definition.as_mut() {
            check_definition(conn, ctx, definition, "/definition")?;
        }
        let update = Update { name, description, definition };
        Ok(crate::storage::projects::update(conn, id, &update, &actor)?)
    })
    .await?;
    Ok(HttpResponse::Ok().json(outcome.map_err(refused)?))
}

/// Closes a project: its results stop at the day it closed, and it no longer changes.
#[utoipa::path(
    tag = "analyst",
    security(("bearer" = []), ("admin_token" = [])),
    params(("id" = Uuid, Path, description = "Project id")),
    responses(
        (status = 200, description = "Closed", body = Project),
        (status = 404, description = "No such project", body = Problem, content_type = "application/problem+json"),
        AnalystErrors,
        Unavailable,
    )
)]
#[post("/api/v1/projects/{id}/close")]
pub async fn close_project(
    analyst: AnalystAccess,
    id: web::Path<Uuid>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let (id, actor) = (id.into_inner(), analyst.actor().to_owned());
    let outcome = state.db.run(move |conn| crate::storage::projects::close(conn, id, &actor)).await?;
    Ok(HttpResponse::Ok().json(outcome.map_err(refused)?))
}

/// A project's results: per buurt, for the project area and for the comparison, the
/// baseline and every follow-up period, rates with 95% intervals, the change against the
/// baseline, the difference in differences, and the announcements sent to its areas.
/// Reading results freezes the definition.
#[utoipa::path(
    tag = "analyst",
    security(("bearer" = []), ("admin_token" = [])),
    params(("id" = Uuid, Path, description = "Project id")),
    responses(
        (status = 200, description = "The results", body = ProjectResults),
        (status = 404, description = "No such project", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The project's boundary year is no longer loaded", body = Problem, content_type = "application/problem+json"),
        AnalystErrors,
        Unavailable,
    )
)]
#[get("/api/v1/projects/{id}/results")]
pub async fn project_results(
    analyst: AnalystAccess,
    id: web::Path<Uuid>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let (id, actor) = (id.into_inner(), analyst.actor().to_owned());
    let answer = with_insight(&state, move |conn, ctx| {
        let Some(project) = crate::storage::projects::get(conn, id)? else { return Ok(None) };
        let answer = results(conn, ctx, project, chrono::Utc::now())?;
        crate::storage::projects::freeze(conn, id, &actor)?;
        Ok(Some(answer))
    })
    .await?;
    Ok(HttpResponse::Ok().json(answer.ok_or_else(|| refused(Refused::Missing))?))
}

/// Every change to a project: who, when, what (each field before and after).
#[utoipa::path(
    tag = "analyst",
    security(("bearer" = []), ("admin_token" = [])),
    params(("id" = Uuid, Path, description = "Project id")),
    responses(
        (status = 200, description = "The change log, oldest first", body = Vec<ProjectChange>),
        (status = 404, description = "No such project", body = Problem, content_type = "application/problem+json"),
        AnalystErrors,
        Unavailable,
    )
)]
#[get("/api/v1/projects/{id}/changes")]
pub async fn project_changes(
    _analyst: AnalystAccess,
    id: web::Path<Uuid>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let changes = state
        .db
        .run(move |conn| {
            if crate::storage::projects::get(conn, id)?.is_none() {
                return Ok(None);
            }
            crate::storage::projects::changes(conn, id).map(Some)
        })
        .await?;
    Ok(HttpResponse::Ok().json(changes.ok_or_else(|| refused(Refused::Missing))?))
}
