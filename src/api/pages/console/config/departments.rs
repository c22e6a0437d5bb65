//! The departments pages (`/console/config/departments`): every department with its form to
//! add one, a page per department to change it, and the buttons that deactivate and
//! reactivate one. Each calls the admin API's own function
//! (`crate::api::admin::departments`): `department_views`, `create_department_from`,
//! `update_department_from`, `set_department_active`, so a department is checked exactly
//! as the API checks it; the API's reasons are shown at the fields, and a department still
//! in use is named with its users (409).

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use askama::Template;
use uuid::Uuid;

use super::super::reasons::{Reason, Reasons, refusal};
use super::super::session::ConsoleUser;
use super::super::{ConsoleError, Frame, render, see_other};
use super::admin_only;
use super::catalogue::{checked_form, done, not_found, words_of};
use super::catalogue_words::CatalogueWords;
use crate::api::admin::departments::{
    DepartmentInput, DepartmentView, create_department_from, department_views, set_department_active,
    update_department_from,
};
use crate::api::error::ApiError;
use crate::api::pages::resident::field;
use crate::api::responses::Unavailable;
use crate::api::state::AppState;

/// The list's address.
const PAGE: &str = "/console/config/departments";

/// The form's fields, as the API's pointers name them.
const FIELDS: [&str; 5] = ["slug", "name_nl", "name_en", "email", "active"];

/// A department's form as typed.
#[derive(Debug, Clone)]
pub struct DepartmentForm {
    pub slug: String,
    pub name_nl: String,
    pub name_en: String,
    pub email: String,
    pub active: bool,
}

impl DepartmentForm {
    /// An empty form (a new department is active).
    fn fresh() -> Self {
        DepartmentForm {
            slug: String::new(),
            name_nl: String::new(),
            name_en: String::new(),
            email: String::new(),
            active: true,
        }
    }

    /// The form as posted; `slug` is the stored one when changing a department.
    fn read(fields: &[(String, String)], slug: Option<&str>) -> Self {
        let text = |name: &str| field(fields, name).map(str::trim).unwrap_or_default().to_owned();
        DepartmentForm {
            slug: slug.map(str::to_owned).unwrap_or_else(|| text("slug")),
            name_nl: text("name_nl"),
            name_en: text("name_en"),
            email: text("email"),
            active: field(fields, "active").is_some(),
        }
    }

    /// The form of a stored department.
    fn of(view: &DepartmentView) -> Self {
        DepartmentForm {
            slug: view.slug.clone(),
            name_nl: view.name_nl.clone(),
            name_en: view.name_en.clone(),
            email: view.email.clone().unwrap_or_default(),
            active: view.active,
        }
    }

    /// The API's request (the API checks every field).
    fn input(&self) -> DepartmentInput {
        DepartmentInput {
            slug: self.slug.clone(),
            name_nl: self.name_nl.clone(),
            name_en: self.name_en.clone(),
            email: (!self.email.is_empty()).then(|| self.email.clone()),
            active: self.active,
        }
    }
}

/// The list with the form for a new department.
#[derive(Template)]
#[template(path = "console/config/departments.html")]
struct DepartmentsPage<'a> {
    frame: &'a Frame,
    w: &'static CatalogueWords,
    csrf: String,
    notice: Option<&'static str>,
    departments: Vec<DepartmentView>,
    form: DepartmentForm,
    errors: Reasons,
}

/// One department's page.
#[derive(Template)]
#[template(path = "console/config/department.html")]
struct DepartmentPage<'a> {
    frame: &'a Frame,
    w: &'static CatalogueWords,
    csrf: String,
    id: Uuid,
    form: DepartmentForm,
    errors: Reasons,
    /// Whether deactivating was refused (409; the API's reason, naming the users, is at
    /// the `active` field).
    conflict: bool,
}

async fn list(
    request: &HttpRequest,
    state: &AppState,
    user: &ConsoleUser,
    status: StatusCode,
    form: DepartmentForm,
    errors: Reasons,
) -> Result<HttpResponse, ConsoleError> {
    let w = words_of(request);
    let frame = Frame::new(request, PAGE, w.departments_title, user.frame_user());
    let notice = match done(request).as_deref() {
        Some("created") => Some(w.done_created),
        Some("saved") => Some(w.done_saved),
        Some("deactivated") => Some(w.done_deactivated),
        Some("reactivated") => Some(w.done_reactivated),
        _ => None,
    };
    let departments = department_views(state).await?;
    let body = DepartmentsPage { frame: &frame, w, csrf: user.form_token.clone(), notice, departments, form, errors };
    Ok(render(status, &frame, &body)?)
}

/// What a department's page shows.
struct Shown {
    status: StatusCode,
    form: DepartmentForm,
    errors: Reasons,
    conflict: bool,
}

fn one(request: &HttpRequest, user: &ConsoleUser, id: Uuid, shown: Shown) -> Result<HttpResponse, ConsoleError> {
    let w = words_of(request);
    let title = format!("{}: {}", w.departments_title, shown.form.name_nl);
    let frame = Frame::new(request, &format!("{PAGE}/{id}"), title, user.frame_user());
    let body = DepartmentPage {
        frame: &frame,
        w,
        csrf: user.form_token.clone(),
        id,
        form: shown.form,
        errors: shown.errors,
        conflict: shown.conflict,
    };
    Ok(render(shown.status, &frame, &body)?)
}

/// The stored department `id`, if there is one.
async fn stored(state: &AppState, id: &str) -> Result<Option<DepartmentView>, ApiError> {
    let Ok(id) = Uuid::parse_str(id.trim()) else { return Ok(None) };
    Ok(department_views(state).await?.into_iter().find(|d| d.id == id))
}

/// Every department, with the form that adds one. Admins only.
#[utoipa::path(
    operation_id = "console_config_departments",
    tag = "console",
    params(
        ("done" = Option<String>, Query, description = "What the last form did, for the message at the top"),
        ("lang" = Option<String>, Query, description = "`nl` (default) or `en`"),
    ),
    responses(
        (status = 200, description = "The departments page", content_type = "text/html"),
        (status = 303, description = "Not signed in: to the login page"),
        (status = 403, description = "The role is not admin: a page says so", content_type = "text/html"),
        Unavailable,
    )
)]
#[get("/console/config/departments")]
pub async fn departments_page(
    request: HttpRequest,
    user: ConsoleUser,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ConsoleError> {
    if let Err(refused) = admin_only(&request, &user) {
        return Ok(*refused);
    }
    list(&request, &state, &user, StatusCode::OK, DepartmentForm::fresh(), Reasons::default()).await
}

/// The form of the departments page: `csrf`, `action=create` and the new department's
/// `slug`, `name_nl`, `name_en`, `email`, `active`.
#[utoipa::path(
    operation_id = "console_config_departments_action",
    tag = "console",
    request_body(content = String, content_type = "application/x-www-form-urlencoded", description = "`csrf`, `action` and the department's fields"),
    responses(
        (status = 303, description = "Added: back to the list with a message; or not signed in: to the login page"),
        (status = 403, description = "The form token is missing or wrong, the form came from another site, or the role is not admin: a page says so", content_type = "text/html"),
        (status = 409, description = "The slug is taken: the page with the reason at the field", content_type = "text/html"),
        (status = 413, description = "The form is too large", body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields: the page with the API's reasons next to the fields", content_type = "text/html"),
        Unavailable,
    )
)]
#[post("/console/config/departments")]
pub async fn departments_action(
    request: HttpRequest,
    user: ConsoleUser,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ConsoleError> {
    let fields = match checked_form(&request, &state, &user, payload).await? {
        Ok(fields) => fields,
        Err(refused) => return Ok(refused),
    };
    let form = DepartmentForm::read(&fields, None);
    if field(&fields, "action") != Some("create") {
        let w = words_of(&request);
        let unknown = Reason::ours("", w.unknown_action, w.lang).into();
        return list(&request, &state, &user, StatusCode::UNPROCESSABLE_ENTITY, form, unknown).await;
    }
    match create_department_from(&state, form.input()).await {
        Ok(_) => Ok(see_other(&format!("{PAGE}?done=created"))),
        Err(error) => {
            let (status, errors) = refusal(error, &FIELDS, "slug")?;
            list(&request, &state, &user, status, form, errors).await
        }
    }
}

/// One department's page: its form. Admins only.
#[utoipa::path(
    operation_id = "console_config_department",
    tag = "console",
    params(
        ("id" = String, Path, description = "Department id"),
        ("lang" = Option<String>, Query, description = "`nl` (default) or `en`"),
    ),
    responses(
        (status = 200, description = "The department's page", content_type = "text/html"),
        (status = 303, description = "Not signed in: to the login page"),
        (status = 403, description = "The role is not admin: a page says so", content_type = "text/html"),
        (status = 404, description = "No such department: a page says so", content_type = "text/html"),
        Unavailable,
    )
)]
#[get("/console/config/departments/{id}")]
pub async fn department_page(
    request: HttpRequest,
    user: ConsoleUser,
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ConsoleError> {
    if let Err(refused) = admin_only(&request, &user) {
        return Ok(*refused);
    }
    let Some(view) = stored(&state, &path).await? else {
        return not_found(&request, &user, words_of(&request).department_gone);
    };
    let shown =
        Shown { status: StatusCode::OK, form: DepartmentForm::of(&view), errors: Reasons::default(), conflict: false };
    one(&request, &user, view.id, shown)
}

/// The forms of a department: `csrf` and `action`: `save` (`name_nl`, `name_en`, `email`,
/// `active`; the slug stays), `deactivate` or `reactivate`.
#[utoipa::path(
    operation_id = "console_config_department_action",
    tag = "console",
    params(("id" = String, Path, description = "Department id")),
    request_body(content = String, content_type = "application/x-www-form-urlencoded", description = "`csrf`, `action` and the department's fields"),
    responses(
        (status = 303, description = "Done: to the list with a message; or not signed in: to the login page"),
        (status = 403, description = "The form token is missing or wrong, the form came from another site, or the role is not admin: a page says so", content_type = "text/html"),
        (status = 404, description = "No such department: a page says so", content_type = "text/html"),
        (status = 409, description = "Deactivating a department that rules or categories still use: the page names them", content_type = "text/html"),
        (status = 413, description = "The form is too large", body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields: the page with the API's reasons next to the fields", content_type = "text/html"),
        Unavailable,
    )
)]
#[post("/console/config/departments/{id}")]
pub async fn department_action(
    request: HttpRequest,
    user: ConsoleUser,
    path: web::Path<String>,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ConsoleError> {
    let fields = match checked_form(&request, &state, &user, payload).await? {
        Ok(fields) => fields,
        Err(refused) => return Ok(refused),
    };
    let w = words_of(&request);
    let Some(view) = stored(&state, &path).await? else {
        return not_found(&request, &user, w.department_gone);
    };
    let id = view.id;
    let action = field(&fields, "action").unwrap_or_default();
    let (form, outcome) = match action {
        "save" => {
            let form = DepartmentForm::read(&fields, Some(&view.slug));
            let outcome = update_department_from(&state, id, form.input()).await.map(|_| "saved");
            (form, outcome)
        }
        "deactivate" | "reactivate" => {
            let active = action == "reactivate";
            let outcome = set_department_active(&state, id, active).await.map(|_| action_done(active));
            (DepartmentForm::of(&view), outcome)
        }
        _ => {
            let unknown = Reason::ours("", w.unknown_action, w.lang).into();
            let shown = Shown {
                status: StatusCode::UNPROCESSABLE_ENTITY,
                form: DepartmentForm::of(&view),
                errors: unknown,
                conflict: false,
            };
            return one(&request, &user, id, shown);
        }
    };
    match outcome {
        Ok(done) => Ok(see_other(&format!("{PAGE}?done={done}"))),
        Err(ApiError::NotFound(_)) => not_found(&request, &user, w.department_gone),
        Err(ApiError::Conflict(detail)) => {
            let errors = Reason::api("active", detail).into();
            let shown = Shown { status: StatusCode::CONFLICT, form, errors, conflict: true };
            one(&request, &user, id, shown)
        }
        Err(error) => {
            let (status, errors) = refusal(error, &FIELDS, "")?;
            one(&request, &user, id, Shown { status, form, errors, conflict: false })
        }
    }
}

fn action_done(active: bool) -> &'static str {
    if active { "reactivated" } else { "deactivated" }
}
