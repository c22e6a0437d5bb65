//! Admin API for departments: list, create, change, deactivate. Changes reach every
//! process through the settings generation.

use actix_web::{HttpRequest, HttpResponse, delete, get, post, put, web};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::api::access::AdminAccess;
use crate::api::body::{parse, read_json};
use crate::api::error::{ApiError, Problem};
use crate::api::responses::{AdminErrors, JsonBodyErrors};
use crate::api::state::AppState;
use crate::domain::validation::{FieldErrors, bounded_text, email_address};
use crate::storage::departments::{ChangeError, DepartmentFields, StoredDepartment};

/// A department as the admin API shows it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct DepartmentView {
    pub id: Uuid,
    /// Slug, used in rules and category defaults.
    #[schema(example = "openbare-verlichting")]
    pub slug: String,
    /// Dutch name.
    pub name_nl: String,
    /// English name.
    pub name_en: String,
    /// Team address for notifications.
    pub email: Option<String>,
    /// Whether it takes reports.
    pub active: bool,
}

impl From<StoredDepartment> for DepartmentView {
    fn from(row: StoredDepartment) -> Self {
        DepartmentView {
            id: row.id,
            slug: row.slug,
            name_nl: row.name_nl,
            name_en: row.name_en,
            email: row.email,
            active: row.active,
        }
    }
}

/// A department to create or change. On change the slug must stay the same.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DepartmentInput {
    /// Lower-case letters, digits and dashes, 2-80 characters.
    #[schema(example = "openbare-verlichting")]
    pub slug: String,
    /// Dutch name, 1-200 characters.
    pub name_nl: String,
    /// English name, 1-200 characters.
    pub name_en: String,
    /// Team address for notifications.
    #[serde(default)]
    pub email: Option<String>,
    /// Whether it takes reports (default true). Deactivating a department still used by
    /// active rules or categories is a 409 that names them.
    #[serde(default = "yes")]
    pub active: bool,
}

pub(super) fn yes() -> bool {
    true
}

pub(super) fn slug(text: &str, errors: &mut FieldErrors) -> String {
    let ok = (2..=80).contains(&text.len())
        && text.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !text.starts_with('-')
        && !text.ends_with('-');
    if !ok {
        errors.add("/slug", format!("'{text}' is not a slug: use 2-80 lower-case letters, digits and dashes"));
    }
    text.to_owned()
}

impl DepartmentInput {
    fn validate(self) -> Result<DepartmentFields, ApiError> {
        let mut errors = FieldErrors::default();
        let slug = slug(&self.slug, &mut errors);
        let name_nl = errors.check("/name_nl", bounded_text(&self.name_nl, "the Dutch name", 200));
        let name_en = errors.check("/name_en", bounded_text(&self.name_en, "the English name", 200));
        let email = match self.email.as_deref().map(str::trim).filter(|e| !e.is_empty()) {
            Some(email) => errors.check("/email", email_address(email)).map(Some),
            None => Some(None),
        };
        errors
            .finish(|| {
                Some(DepartmentFields {
                    slug,
                    name_nl: name_nl?,
                    name_en: name_en?,
                    email: email?,
                    active: self.active,
                })
            })
            .map_err(ApiError::Validation)
    }
}

/// Lists every department, active or not.
#[utoipa::path(
    tag = "admin",
    security(("bearer" = []), ("admin_token" = [])),
    responses(
        (status = 200, description = "Every department by slug", body = Vec<DepartmentView>),
        AdminErrors,
    )
)]
#[get("/api/v1/admin/departments")]
pub async fn list_departments(_admin: AdminAccess, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(department_views(&state).await?))
}

/// Every department by slug, active or not, as the API shows them (the console's list too).
pub async fn department_views(state: &AppState) -> Result<Vec<DepartmentView>, ApiError> {
    let rows = state.db.run(crate::storage::departments::list).await?;
    Ok(rows.into_iter().map(DepartmentView::from).collect())
}

/// Creates a department.
#[utoipa::path(
    tag = "admin",
    security(("bearer" = []), ("admin_token" = [])),
    request_body(content = DepartmentInput, content_type = "application/json"),
    responses(
        (status = 201, description = "Created", body = DepartmentView),
        (status = 409, description = "The slug is taken", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields", body = Problem, content_type = "application/problem+json"),
        JsonBodyErrors,
        AdminErrors,
    )
)]
#[post("/api/v1/admin/departments")]
pub async fn create_department(
    _admin: AdminAccess,
    request: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let body = read_json(&request, payload, state.max_body_bytes).await?;
    let view = create_department_from(&state, parse::<DepartmentInput>(body.value)?).await?;
    Ok(HttpResponse::Created().json(view))
}

/// Checks a new department and stores it: the one implementation behind the API's create
/// and the console's form (422 for fields, 409 for a taken slug).
pub async fn create_department_from(
    state: &web::Data<AppState>,
    input: DepartmentInput,
) -> Result<DepartmentView, ApiError> {
    let fields = input.validate()?;
    let row = change(state, move |conn| crate::storage::departments::create(conn, &fields)).await?;
    Ok(DepartmentView::from(row))
}

/// Changes a department's names, email or active flag (the slug stays).
#[utoipa::path(
    tag = "admin",
    security(("bearer" = []), ("admin_token" = [])),
    params(("id" = Uuid, Path, description = "Department id")),
    request_body(content = DepartmentInput, content_type = "application/json"),
    responses(
        (status = 200, description = "Changed", body = DepartmentView),
        (status = 404, description = "No such department", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Deactivating a department that rules or categories still use (named in the detail)", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields, or the slug differs", body = Problem, content_type = "application/problem+json"),
        JsonBodyErrors,
        AdminErrors,
    )
)]
#[put("/api/v1/admin/departments/{id}")]
pub async fn update_department(
    _admin: AdminAccess,
    path: web::Path<Uuid>,
    request: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    let body = read_json(&request, payload, state.max_body_bytes).await?;
    let view = update_department_from(&state, id, parse::<DepartmentInput>(body.value)?).await?;
    Ok(HttpResponse::Ok().json(view))
}

/// Checks a department's new fields (the slug stays) and stores them: the one
/// implementation behind the API's change and the console's form (404, 409 when
/// deactivating a department still in use, 422 for fields).
pub async fn update_department_from(
    state: &web::Data<AppState>,
    id: Uuid,
    input: DepartmentInput,
) -> Result<DepartmentView, ApiError> {
    let fields = input.validate()?;
    if let Some(existing) = state.config.snapshot().catalog.department(id)
        && existing.slug != fields.slug
    {
        return Err(slug_fixed(&existing.slug));
    }
    let row = change(state, move |conn| crate::storage::departments::update(conn, id, &fields)).await?;
    Ok(DepartmentView::from(row))
}

/// Deactivates a department (it stays in history). A 409 names the active rules and
/// categories that still use it.
#[utoipa::path(
    tag = "admin",
    security(("bearer" = []), ("admin_token" = [])),
    params(("id" = Uuid, Path, description = "Department id")),
    responses(
        (status = 200, description = "Deactivated", body = DepartmentView),
        (status = 404, description = "No such department", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Rules or categories still use it (named in the detail)", body = Problem, content_type = "application/problem+json"),
        AdminErrors,
    )
)]
#[delete("/api/v1/admin/departments/{id}")]
pub async fn deactivate_department(
    _admin: AdminAccess,
    path: web::Path<Uuid>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(set_department_active(&state, path.into_inner(), false).await?))
}

/// Deactivates (`active` false) or reactivates department `id`, keeping its other fields:
/// the API's deactivation and the console's buttons. 404 when there is none; 409 naming
/// the active rules and categories that still use it when deactivating.
pub async fn set_department_active(
    state: &web::Data<AppState>,
    id: Uuid,
    active: bool,
) -> Result<DepartmentView, ApiError> {
    let row = change(state, move |conn| {
        let existing = crate::storage::departments::list(conn)?.into_iter().find(|d| d.id == id);
        let Some(existing) = existing else {
            return Err(ChangeError::NotFound(format!("there is no department with id {id}")));
        };
        let fields = DepartmentFields {
            slug: existing.slug,
            name_nl: existing.name_nl,
            name_en: existing.name_en,
            email: existing.email,
            active,
        };
        crate::storage::departments::update(conn, id, &fields)
    })
    .await?;
    Ok(DepartmentView::from(row))
}

pub(super) fn slug_fixed(slug: &str) -> ApiError {
    ApiError::Validation(vec![crate::domain::validation::FieldError {
        pointer: "/slug".into(),
        detail: format!("the slug cannot change; send '{slug}' (create a new one for a new slug)"),
    }])
}

/// Runs a configuration change off the executor, then reloads this process's snapshot.
pub(super) async fn change<T: Send + 'static>(
    state: &web::Data<AppState>,
    f: impl FnOnce(&mut crate::storage::DbConnection) -> Result<T, ChangeError> + Send + 'static,
) -> Result<T, ApiError> {
    let state = state.clone();
    web::block(move || -> Result<T, ApiError> {
        let value = f(&mut *state.db.conn()?)?;
        state.config.refresh()?;
        Ok(value)
    })
    .await?
}
