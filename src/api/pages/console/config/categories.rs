//! The categories pages (`/console/config/categories`): the category tree with each
//! category's department, handling time, questions and state; a page for a new category
//! and one per category to change it, questions and handling time included. Saving calls
//! the admin API's own functions (`crate::api::admin::categories`): `category_views`,
//! `create_category_from`, `update_category_from`, so a category is checked exactly as the
//! API checks it, and the API's reasons are shown at the fields.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use askama::Template;
use uuid::Uuid;

use super::super::reasons::{Reason, Reasons, refusal};
use super::super::session::ConsoleUser;
use super::super::{ConsoleError, Frame, console_lang, query_value, render, see_other};
use super::admin_only;
use super::catalogue::{checked_form, done, not_found, words_of};
use super::catalogue_words::CatalogueWords;
use super::category_form::{CategoryForm, CategoryRow, FIELDS, Options, tree_rows};
use crate::api::admin::categories::{CategoryView, category_views, create_category_from, update_category_from};
use crate::api::error::ApiError;
use crate::api::pages::resident::field;
use crate::api::responses::Unavailable;
use crate::api::state::AppState;

/// The tree's address.
const PAGE: &str = "/console/config/categories";

/// The category tree.
#[derive(Template)]
#[template(path = "console/config/categories.html")]
struct CategoriesPage<'a> {
    frame: &'a Frame,
    w: &'static CatalogueWords,
    notice: Option<&'static str>,
    rows: Vec<CategoryRow>,
}

/// The form of a new or a stored category.
#[derive(Template)]
#[template(path = "console/config/category.html")]
struct CategoryPage<'a> {
    frame: &'a Frame,
    w: &'static CatalogueWords,
    csrf: String,
    /// Where the form posts.
    action: String,
    /// Whether the category is stored (its slug and parent stay).
    stored: bool,
    form: CategoryForm,
    errors: Reasons,
    options: Options,
}

impl CategoryPage<'_> {
    /// Whether the form asks for questions (a stored main category asks none).
    fn asks_questions(&self) -> bool {
        !(self.stored && self.form.parent.is_empty())
    }
}

fn show(
    request: &HttpRequest,
    state: &AppState,
    user: &ConsoleUser,
    stored: Option<Uuid>,
    status: StatusCode,
    form: CategoryForm,
    errors: Reasons,
) -> Result<HttpResponse, ConsoleError> {
    let lang = console_lang(request).0;
    let w = words_of(request);
    let (path, title) = match stored {
        Some(id) => (format!("{PAGE}/{id}"), format!("{}: {}", w.category, form.name_nl)),
        None => (format!("{PAGE}/new"), w.new_category.to_owned()),
    };
    let frame = Frame::new(request, &path, title, user.frame_user());
    let options = Options::of(&state.config.snapshot(), lang, w, &form.default_department);
    let body = CategoryPage {
        frame: &frame,
        w,
        csrf: user.form_token.clone(),
        action: path.clone(),
        stored: stored.is_some(),
        form,
        errors,
        options,
    };
    Ok(render(status, &frame, &body)?)
}

/// The stored category `id`, if there is one.
async fn stored(state: &AppState, id: &str) -> Result<Option<CategoryView>, ApiError> {
    let Ok(id) = Uuid::parse_str(id.trim()) else { return Ok(None) };
    Ok(category_views(state).await?.into_iter().find(|c| c.id == id))
}

/// The category tree. Admins only.
#[utoipa::path(
    operation_id = "console_config_categories",
    tag = "console",
    params(
        ("done" = Option<String>, Query, description = "What the last form did, for the message at the top"),
        ("lang" = Option<String>, Query, description = "`nl` (default) or `en`"),
    ),
    responses(
        (status = 200, description = "The categories page", content_type = "text/html"),
        (status = 303, description = "Not signed in: to the login page"),
        (status = 403, description = "The role is not admin: a page says so", content_type = "text/html"),
        Unavailable,
    )
)]
#[get("/console/config/categories")]
pub async fn categories_page(
    request: HttpRequest,
    user: ConsoleUser,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ConsoleError> {
    if let Err(refused) = admin_only(&request, &user) {
        return Ok(*refused);
    }
    let lang = console_lang(&request).0;
    let w = words_of(&request);
    let notice = match done(&request).as_deref() {
        Some("created") => Some(w.done_created_category),
        Some("saved") => Some(w.done_saved),
        _ => None,
    };
    let views = category_views(&state).await?;
    let rows = tree_rows(&views, &state.config.snapshot(), lang, w);
    let frame = Frame::new(&request, PAGE, w.categories_title, user.frame_user());
    Ok(render(StatusCode::OK, &frame, &CategoriesPage { frame: &frame, w, notice, rows })?)
}

/// The form for a new category (`?parent=`: under that main category). Admins only.
#[utoipa::path(
    operation_id = "console_config_category_new",
    tag = "console",
    params(
        ("parent" = Option<String>, Query, description = "Slug of the main category of a new subcategory"),
        ("lang" = Option<String>, Query, description = "`nl` (default) or `en`"),
    ),
    responses(
        (status = 200, description = "The form for a new category", content_type = "text/html"),
        (status = 303, description = "Not signed in: to the login page"),
        (status = 403, description = "The role is not admin: a page says so", content_type = "text/html"),
        Unavailable,
    )
)]
#[get("/console/config/categories/new")]
pub async fn new_category_page(
    request: HttpRequest,
    user: ConsoleUser,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ConsoleError> {
    if let Err(refused) = admin_only(&request, &user) {
        return Ok(*refused);
    }
    let parent = query_value(&request, "parent")
        .filter(|slug| state.config.snapshot().catalog.main_category(slug).is_some())
        .unwrap_or_default();
    show(&request, &state, &user, None, StatusCode::OK, CategoryForm::fresh(&parent), Reasons::default())
}

/// The new category's form: `csrf`, `action=save`, `parent`, `slug`, `name_nl`, `name_en`,
/// `description_nl`, `description_en`, `is_public`, `is_sensitive`, `handling_hours`,
/// `default_department`, `active`, `position`, and per question row `n`: `qn_key`,
/// `qn_label_nl`, `qn_label_en`, `qn_datatype`, `qn_required`, `qn_values` (one choice per
/// line, `key | Dutch | English`), `qn_remove`.
#[utoipa::path(
    operation_id = "console_config_category_create",
    tag = "console",
    request_body(content = String, content_type = "application/x-www-form-urlencoded", description = "`csrf`, `action` and the category's fields"),
    responses(
        (status = 303, description = "Added: to the tree with a message; or not signed in: to the login page"),
        (status = 403, description = "The form token is missing or wrong, the form came from another site, or the role is not admin: a page says so", content_type = "text/html"),
        (status = 409, description = "The slug is taken: the form with the reason at the field", content_type = "text/html"),
        (status = 413, description = "The form is too large", body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields: the form with the API's reasons next to the fields", content_type = "text/html"),
        Unavailable,
    )
)]
#[post("/console/config/categories/new")]
pub async fn new_category_submit(
    request: HttpRequest,
    user: ConsoleUser,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ConsoleError> {
    let fields = match checked_form(&request, &state, &user, payload).await? {
        Ok(fields) => fields,
        Err(refused) => return Ok(refused),
    };
    save(&request, &state, &user, &fields, None).await
}

/// A category's page: its form. Admins only.
#[utoipa::path(
    operation_id = "console_config_category",
    tag = "console",
    params(
        ("id" = String, Path, description = "Category id"),
        ("lang" = Option<String>, Query, description = "`nl` (default) or `en`"),
    ),
    responses(
        (status = 200, description = "The category's page", content_type = "text/html"),
        (status = 303, description = "Not signed in: to the login page"),
        (status = 403, description = "The role is not admin: a page says so", content_type = "text/html"),
        (status = 404, description = "No such category: a page says so", content_type = "text/html"),
        Unavailable,
    )
)]
#[get("/console/config/categories/{id}")]
pub async fn category_page(
    request: HttpRequest,
    user: ConsoleUser,
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ConsoleError> {
    if let Err(refused) = admin_only(&request, &user) {
        return Ok(*refused);
    }
    let Some(view) = stored(&state, &path).await? else {
        return not_found(&request, &user, words_of(&request).category_gone);
    };
    show(&request, &state, &user, Some(view.id), StatusCode::OK, CategoryForm::of(&view), Reasons::default())
}

/// A category's form: `csrf`, `action=save` and the fields of the new category's form
/// (`parent` and `slug` stay as they are).
#[utoipa::path(
    operation_id = "console_config_category_action",
    tag = "console",
    params(("id" = String, Path, description = "Category id")),
    request_body(content = String, content_type = "application/x-www-form-urlencoded", description = "`csrf`, `action` and the category's fields"),
    responses(
        (status = 303, description = "Saved: to the tree with a message; or not signed in: to the login page"),
        (status = 403, description = "The form token is missing or wrong, the form came from another site, or the role is not admin: a page says so", content_type = "text/html"),
        (status = 404, description = "No such category: a page says so", content_type = "text/html"),
        (status = 413, description = "The form is too large", body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields: the form with the API's reasons next to the fields", content_type = "text/html"),
        Unavailable,
    )
)]
#[post("/console/config/categories/{id}")]
pub async fn category_action(
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
    let Some(view) = stored(&state, &path).await? else {
        return not_found(&request, &user, words_of(&request).category_gone);
    };
    save(&request, &state, &user, &fields, Some(&view)).await
}

/// Saves the form as a new category, or as the new fields of `stored`.
async fn save(
    request: &HttpRequest,
    state: &web::Data<AppState>,
    user: &ConsoleUser,
    fields: &[(String, String)],
    stored: Option<&CategoryView>,
) -> Result<HttpResponse, ConsoleError> {
    let w = words_of(request);
    let id = stored.map(|s| s.id);
    let form = CategoryForm::read(fields, stored);
    if field(fields, "action") != Some("save") {
        let unknown = Reason::ours("", w.unknown_action, w.lang).into();
        return show(request, state, user, id, StatusCode::UNPROCESSABLE_ENTITY, form, unknown);
    }
    let input = match form.input(w) {
        Ok(input) => input,
        Err(errors) => return show(request, state, user, id, StatusCode::UNPROCESSABLE_ENTITY, form, errors),
    };
    let outcome = match id {
        Some(id) => update_category_from(state, id, input).await.map(|_| "saved"),
        None => create_category_from(state, input).await.map(|_| "created"),
    };
    match outcome {
        Ok(done) => Ok(see_other(&format!("{PAGE}?done={done}"))),
        Err(ApiError::NotFound(_)) => not_found(request, user, w.category_gone),
        Err(error) => {
            let (status, errors) = refusal(error, &FIELDS, "slug")?;
            show(request, state, user, id, status, form, errors)
        }
    }
}
