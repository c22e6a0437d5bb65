//! Admin API for categories: list, create, change. Changes reach every process through the
//! settings generation.

use actix_web::{HttpRequest, HttpResponse, get, post, put, web};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::departments::{change, slug, slug_fixed, yes};
use crate::api::access::AdminAccess;
use crate::api::body::{parse, read_json};
use crate::api::error::{ApiError, Problem};
use crate::api::responses::{AdminErrors, JsonBodyErrors};
use crate::api::state::AppState;
use crate::domain::category::{Question, validate_questions};
use crate::domain::validation::{FieldErrors, bounded_text};
use crate::storage::categories::{CategoryFields, StoredCategory};

/// A category as the admin API shows it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CategoryView {
    pub id: Uuid,
    /// Slug of its main category (`null` for a main category).
    pub parent: Option<String>,
    pub slug: String,
    /// Dutch name.
    pub name_nl: String,
    /// English name.
    pub name_en: String,
    /// Dutch description.
    pub description_nl: Option<String>,
    /// English description.
    pub description_en: Option<String>,
    /// Whether its reports are shown to the public.
    pub is_public: bool,
    /// Whether public output is coarsened.
    pub is_sensitive: bool,
    /// Target handling time in hours.
    pub handling_hours: Option<i32>,
    /// Slug of the department that gets its reports unless a rule says otherwise.
    pub default_department: Option<String>,
    /// Questions asked with every report.
    pub questions: Vec<Question>,
    /// Whether it takes reports.
    pub active: bool,
    /// Order in listings.
    pub position: i32,
}

fn category_view(row: StoredCategory, state: &AppState) -> CategoryView {
    let snapshot = state.config.snapshot();
    let catalog = &snapshot.catalog;
    CategoryView {
        id: row.id,
        parent: row.parent_id.and_then(|id| catalog.category(id)).map(|c| c.slug.clone()),
        slug: row.slug,
        name_nl: row.name_nl,
        name_en: row.name_en,
        description_nl: row.description_nl,
        description_en: row.description_en,
        is_public: row.is_public,
        is_sensitive: row.is_sensitive,
        handling_hours: row.handling_hours,
        default_department: row.default_department_id.and_then(|id| catalog.department(id)).map(|d| d.slug.clone()),
        questions: row.questions,
        active: row.active,
        position: row.position,
    }
}

/// A category to create or change. On change, slug and parent must stay the same.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CategoryInput {
    /// Slug of the main category this subcategory belongs to; omit for a main category.
    #[serde(default)]
    pub parent: Option<String>,
    /// Lower-case letters, digits and dashes, 2-80 characters.
    pub slug: String,
    /// Dutch name, 1-200 characters.
    pub name_nl: String,
    /// English name, 1-200 characters.
    pub name_en: String,
    /// Dutch description.
    #[serde(default)]
    pub description_nl: Option<String>,
    /// English description.
    #[serde(default)]
    pub description_en: Option<String>,
    /// Whether reports are shown to the public (default true).
    #[serde(default = "yes")]
    pub is_public: bool,
    /// Whether the public location is coarsened and the description withheld (default false).
    #[serde(default)]
    pub is_sensitive: bool,
    /// Target handling time, 1-8784 hours.
    #[serde(default)]
    pub handling_hours: Option<i32>,
    /// Slug of an active department; required for a subcategory, so every report has one.
    #[serde(default)]
    pub default_department: Option<String>,
    /// Questions asked with every report (unique keys; list questions with values).
    #[serde(default)]
    pub questions: Vec<Question>,
    /// Whether it takes reports (default true).
    #[serde(default = "yes")]
    pub active: bool,
    /// Order in listings (default 0).
    #[serde(default)]
    pub position: i32,
}

impl CategoryInput {
    fn validate(self, state: &AppState) -> Result<CategoryFields, ApiError> {
        let snapshot = state.config.snapshot();
        let catalog = &snapshot.catalog;
        let mut errors = FieldErrors::default();
        let slug = slug(&self.slug, &mut errors);
        let name_nl = errors.check("/name_nl", bounded_text(&self.name_nl, "the Dutch name", 200));
        let name_en = errors.check("/name_en", bounded_text(&self.name_en, "the English name", 200));
        let text = |value: Option<String>, pointer: &str, errors: &mut FieldErrors| match value
            .as_deref()
            .map(str::trim)
            .filter(|t| !t.is_empty())
        {
            Some(t) => errors.check(pointer, bounded_text(t, "the description", 2000)).map(Some),
            None => Some(None),
        };
        let description_nl = text(self.description_nl, "/description_nl", &mut errors);
        let description_en = text(self.description_en, "/description_en", &mut errors);
        let parent_id = match &self.parent {
            None => None,
            Some(parent) => match catalog.main_category(parent) {
                Some(main) => Some(main.id),
                None => {
                    errors.add("/parent", format!("'{parent}' is not a main category; GET /api/v1/admin/categories"));
                    None
                }
            },
        };
        if let Some(hours) = self.handling_hours
            && !(1..=8784).contains(&hours)
        {
            errors.add("/handling_hours", format!("{hours} hours is out of range; send 1 to 8784"));
        }
        let department = match &self.default_department {
            None => {
                if self.parent.is_some() {
                    errors.add(
                        "/default_department",
                        "a subcategory needs a default department, so every report has one",
                    );
                }
                None
            }
            Some(slug) => match catalog.department_by_slug(slug) {
                Some(d) if d.active => Some(d.id),
                Some(_) => {
                    errors.add("/default_department", format!("department '{slug}' is deactivated"));
                    None
                }
                None => {
                    errors.add(
                        "/default_department",
                        format!("unknown department '{slug}'; GET /api/v1/admin/departments"),
                    );
                    None
                }
            },
        };
        if let Err(reason) = validate_questions(&self.questions) {
            errors.add("/questions", reason.to_string());
        }
        if self.parent.is_none() && !self.questions.is_empty() {
            errors.add("/questions", "only subcategories ask questions");
        }
        errors
            .finish(|| {
                Some(CategoryFields {
                    parent_id,
                    slug,
                    name_nl: name_nl?,
                    name_en: name_en?,
                    description_nl: description_nl?,
                    description_en: description_en?,
                    is_public: self.is_public,
                    is_sensitive: self.is_sensitive,
                    handling_hours: self.handling_hours,
                    default_department_id: department,
                    questions: self.questions,
                    active: self.active,
                    position: self.position,
                })
            })
            .map_err(ApiError::Validation)
    }
}

/// Lists every category (main and sub, active or not).
#[utoipa::path(
    operation_id = "admin_list_categories",
    tag = "admin",
    security(("bearer" = []), ("admin_token" = [])),
    responses(
        (status = 200, description = "Main categories first, then subcategories, each in display order", body = Vec<CategoryView>),
        AdminErrors,
    )
)]
#[get("/api/v1/admin/categories")]
pub async fn list_categories(_admin: AdminAccess, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(category_views(&state).await?))
}

/// Every category (main categories first, then subcategories, each in display order), as
/// the API shows them (the console's tree too).
pub async fn category_views(state: &AppState) -> Result<Vec<CategoryView>, ApiError> {
    let rows = state.db.run(crate::storage::categories::list).await?;
    Ok(rows.into_iter().map(|r| category_view(r, state)).collect())
}

/// Creates a main category or a subcategory.
#[utoipa::path(
    tag = "admin",
    security(("bearer" = []), ("admin_token" = [])),
    request_body(content = CategoryInput, content_type = "application/json"),
    responses(
        (status = 201, description = "Created", body = CategoryView),
        (status = 409, description = "The slug is taken", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields (unknown parent or department, bad questions, …)", body = Problem, content_type = "application/problem+json"),
        JsonBodyErrors,
        AdminErrors,
    )
)]
#[post("/api/v1/admin/categories")]
pub async fn create_category(
    _admin: AdminAccess,
    request: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let body = read_json(&request, payload, state.max_body_bytes).await?;
    let view = create_category_from(&state, parse::<CategoryInput>(body.value)?).await?;
    Ok(HttpResponse::Created().json(view))
}

/// Checks a new category and stores it: the one implementation behind the API's create and
/// the console's form (422 for fields, 409 for a taken slug).
pub async fn create_category_from(state: &web::Data<AppState>, input: CategoryInput) -> Result<CategoryView, ApiError> {
    let fields = input.validate(state)?;
    let row = change(state, move |conn| crate::storage::categories::create(conn, &fields)).await?;
    Ok(category_view(row, state))
}

/// Changes a category (slug and parent stay); `active: false` deactivates it.
#[utoipa::path(
    tag = "admin",
    security(("bearer" = []), ("admin_token" = [])),
    params(("id" = Uuid, Path, description = "Category id")),
    request_body(content = CategoryInput, content_type = "application/json"),
    responses(
        (status = 200, description = "Changed", body = CategoryView),
        (status = 404, description = "No such category", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields, or slug or parent differ", body = Problem, content_type = "application/problem+json"),
        JsonBodyErrors,
        AdminErrors,
    )
)]
#[put("/api/v1/admin/categories/{id}")]
pub async fn update_category(
    _admin: AdminAccess,
    path: web::Path<Uuid>,
    request: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    let body = read_json(&request, payload, state.max_body_bytes).await?;
    let view = update_category_from(&state, id, parse::<CategoryInput>(body.value)?).await?;
    Ok(HttpResponse::Ok().json(view))
}

/// Checks a category's new fields (slug and parent stay) and stores them: the one
/// implementation behind the API's change and the console's form (404, 422).
pub async fn update_category_from(
    state: &web::Data<AppState>,
    id: Uuid,
    input: CategoryInput,
) -> Result<CategoryView, ApiError> {
    let fields = input.validate(state)?;
    if let Some(existing) = state.config.snapshot().catalog.category(id) {
        if existing.slug != fields.slug {
            return Err(slug_fixed(&existing.slug));
        }
        if existing.parent_id != fields.parent_id {
            return Err(ApiError::Validation(vec![crate::domain::validation::FieldError {
                pointer: "/parent".into(),
                detail: "the parent cannot change; create a new category instead".into(),
            }]));
        }
    }
    let row = change(state, move |conn| crate::storage::categories::update(conn, id, &fields)).await?;
    Ok(category_view(row, state))
}
