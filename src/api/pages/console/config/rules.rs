//! The routing rules page (`/console/config/rules`): the saved rules in order, the form
//! that adds one, and the tester that routes a hypothetical report against the saved rules
//! plus the candidate in its place before it is saved. Saving, deleting and the tester call
//! the admin API's own functions (`crate::api::admin::routing`): `create_rule_from`,
//! `remove_rule`, `explain_route`, so a rule is validated exactly as the API validates it.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use askama::Template;
use uuid::Uuid;

use super::super::reasons::{Reason, Reasons};
use super::super::report::Choice;
use super::super::session::ConsoleUser;
use super::super::{ConsoleError, Frame, console_lang, csrf, query_value, render, see_other};
use super::admin_only;
use super::form::{ExplanationView, RuleForm, RuleRow, form_errors, rule_rows};
use super::words::{self, ConfigWords};
use crate::api::admin::routing::{
    ExplainRequest, RuleView, create_rule_from, explain_route, remove_rule, rule_views, update_rule_from,
};
use crate::api::error::ApiError;
use crate::api::pages::resident::field;
use crate::api::public::reports::LocationInput;
use crate::api::responses::Unavailable;
use crate::api::state::AppState;

/// The page's address.
const PAGE: &str = "/console/config/rules";

/// Largest form, in bytes (a GeoJSON polygon of some size).
const FORM_MAX_BYTES: usize = 256 * 1024;

/// The routing rules page.
#[derive(Template)]
#[template(path = "console/config/rules.html")]
struct RulesPage<'a> {
    frame: &'a Frame,
    w: &'static ConfigWords,
    csrf: String,
    notice: Option<&'static str>,
    rules: Vec<RuleRow>,
    form: RuleForm,
    /// Why the form was refused, by field (`""`: the form as a whole).
    errors: Reasons,
    explanation: Option<ExplanationView>,
    categories: Vec<Choice>,
    subcategories: Vec<Choice>,
    departments: Vec<Choice>,
    priorities: Vec<Choice>,
    weekdays: Vec<Choice>,
}

/// What the page shows besides the saved rules.
struct Shown {
    status: StatusCode,
    notice: Option<&'static str>,
    form: RuleForm,
    errors: Reasons,
    explanation: Option<ExplanationView>,
}

async fn page(
    request: &HttpRequest,
    state: &AppState,
    user: &ConsoleUser,
    shown: Shown,
) -> Result<HttpResponse, ConsoleError> {
    let Shown { status, notice, form, errors, explanation } = shown;
    let lang = console_lang(request).0;
    let w = words::of(lang);
    let frame = Frame::new(request, PAGE, w.rules_title, user.frame_user());
    let snapshot = state.config.snapshot();
    let rules = rule_views(state).await?;
    let options = super::form::Options::of(&snapshot, lang, w);
    let body = RulesPage {
        frame: &frame,
        w,
        csrf: user.form_token.clone(),
        notice,
        rules: rule_rows(rules, &snapshot, lang, w),
        form,
        errors,
        explanation,
        categories: options.categories,
        subcategories: options.subcategories,
        departments: options.departments,
        priorities: options.priorities,
        weekdays: options.weekdays,
    };
    Ok(render(status, &frame, &body)?)
}

/// The routing rules: the list, the form for a new rule and its tester. Admins only.
#[utoipa::path(
    operation_id = "console_config_rules",
    tag = "console",
    params(
        ("done" = Option<String>, Query, description = "What the last form did, for the message at the top"),
        ("edit" = Option<String>, Query, description = "The id of a rule to change: the form holds it"),
        ("lang" = Option<String>, Query, description = "`nl` (default) or `en`"),
    ),
    responses(
        (status = 200, description = "The routing rules page", content_type = "text/html"),
        (status = 303, description = "Not signed in: to the login page"),
        (status = 403, description = "The role is not admin: a page says so", content_type = "text/html"),
        Unavailable,
    )
)]
#[get("/console/config/rules")]
pub async fn rules_page(
    request: HttpRequest,
    user: ConsoleUser,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ConsoleError> {
    if let Err(refused) = admin_only(&request, &user) {
        return Ok(*refused);
    }
    let w = words::of(console_lang(&request).0);
    let notice = match query_value(&request, "done").as_deref() {
        Some("saved") => Some(w.done_saved),
        Some("changed") => Some(w.done_changed),
        Some("moved") => Some(w.done_moved),
        Some("deleted") => Some(w.done_deleted),
        Some("gone") => Some(w.gone),
        _ => None,
    };
    // `?edit=<id>`: the form holds that rule, to change it.
    let editing = query_value(&request, "edit").and_then(|value| Uuid::parse_str(value.trim()).ok());
    let form = match editing {
        Some(id) => match rule_views(&state).await?.into_iter().find(|rule| rule.id == id) {
            Some(rule) => RuleForm::of_view(&rule),
            None => return Ok(see_other(&format!("{PAGE}?done=gone"))),
        },
        None => RuleForm::fresh(),
    };
    let shown = Shown { status: StatusCode::OK, notice, form, errors: Reasons::default(), explanation: None };
    page(&request, &state, &user, shown).await
}

/// The forms of the routing rules page: `csrf` and `action`: `test` (route a hypothetical
/// report, `test_category`, `test_lat`, `test_lon`, `test_answers`, against the saved rules plus the
/// candidate rule of the form, if one is filled in), `save` (the form's rule: `name`,
/// `position`, `active`, `categories`, `areas`, `polygon`, `weekdays`, `time_from`,
/// `time_to`, `answers`, `department`, `priority`, `deadline_hours`; with `editing`, the id
/// of the saved rule it replaces), `up` or `down` (move `rule` one place) or `delete`
/// (`rule`).
#[utoipa::path(
    operation_id = "console_config_rules_action",
    tag = "console",
    request_body(content = String, content_type = "application/x-www-form-urlencoded", description = "`csrf`, `action` and the action's fields"),
    responses(
        (status = 200, description = "`test`: the page with the routing decision and its reasons", content_type = "text/html"),
        (status = 303, description = "Saved, changed, moved or deleted: back to the list with a message; or not signed in: to the login page"),
        (status = 403, description = "The form token is missing or wrong, the form came from another site, or the role is not admin: a page says so", content_type = "text/html"),
        (status = 413, description = "The form is too large", body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "The rule or the report to try is invalid: the page with the API's reasons next to the fields", content_type = "text/html"),
        Unavailable,
    )
)]
#[post("/console/config/rules")]
pub async fn rules_action(
    request: HttpRequest,
    user: ConsoleUser,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ConsoleError> {
    let fields = match csrf::checked_form(&request, &state, &user, payload, FORM_MAX_BYTES).await? {
        Ok(fields) => fields,
        Err(refused) => return Ok(refused),
    };
    let lang = console_lang(&request).0;
    let cw = words::of(lang);
    if let Err(refused) = admin_only(&request, &user) {
        return Ok(*refused);
    }
    let form = RuleForm::read(&fields);
    let invalid = |form, errors| {
        let shown = Shown { status: StatusCode::UNPROCESSABLE_ENTITY, notice: None, form, errors, explanation: None };
        page(&request, &state, &user, shown)
    };
    match field(&fields, "action").unwrap_or_default() {
        "save" => {
            let spec = match form.spec(cw, None) {
                Ok(spec) => spec,
                Err(errors) => return invalid(form, errors).await,
            };
            let saved = match Uuid::parse_str(&form.editing) {
                Ok(id) => update_rule_from(&state, id, spec).await.map(|_| "changed"),
                Err(_) => create_rule_from(&state, spec).await.map(|_| "saved"),
            };
            match saved {
                Ok(done) => Ok(see_other(&format!("{PAGE}?done={done}"))),
                Err(ApiError::Validation(errors)) => invalid(form, form_errors(errors)).await,
                Err(ApiError::NotFound(_)) => Ok(see_other(&format!("{PAGE}?done=gone"))),
                Err(other) => Err(other.into()),
            }
        }
        "up" | "down" => {
            let rules = rule_views(&state).await?;
            let Some(rule) = field(&fields, "rule")
                .and_then(|v| Uuid::parse_str(v.trim()).ok())
                .and_then(|id| rules.into_iter().find(|rule| rule.id == id))
            else {
                return Ok(see_other(&format!("{PAGE}?done=gone")));
            };
            let step = if field(&fields, "action") == Some("up") { -1 } else { 1 };
            match update_rule_from(&state, rule.id, moved(rule, step)).await {
                Ok(_) => Ok(see_other(&format!("{PAGE}?done=moved"))),
                Err(ApiError::NotFound(_)) => Ok(see_other(&format!("{PAGE}?done=gone"))),
                // Moving keeps the rule as saved; a rule the API no longer accepts (a
                // department since deactivated) is shown in the form with the reasons.
                Err(ApiError::Validation(errors)) => invalid(RuleForm::read(&fields), form_errors(errors)).await,
                Err(other) => Err(other.into()),
            }
        }
        "test" => {
            let last = i32::try_from(rule_views(&state).await?.len()).unwrap_or(i32::MAX).saturating_add(1);
            let mut errors = Reasons::default();
            let candidate =
                if form.has_rule() { form.spec(cw, Some(last)).map_err(|e| errors.extend(e)).ok() } else { None };
            let location = form.location(cw).map_err(|e| errors.push(e)).ok();
            let answers = form.test_answers(cw).map_err(|e| errors.push(e)).ok().flatten();
            let (Some(location), true) = (location, errors.is_empty()) else {
                return invalid(form, errors).await;
            };
            let input = ExplainRequest {
                category: form.test_category.clone(),
                location: LocationInput { lat: location.0, lon: location.1 },
                answers,
                at: None,
                candidate,
                replaces: Uuid::parse_str(&form.editing).ok(),
            };
            match explain_route(&state, input) {
                Ok(explanation) => {
                    let view = ExplanationView::of(explanation, lang, cw);
                    let shown = Shown {
                        status: StatusCode::OK,
                        notice: None,
                        form,
                        errors: Reasons::default(),
                        explanation: Some(view),
                    };
                    page(&request, &state, &user, shown).await
                }
                Err(ApiError::Validation(errors)) => invalid(form, form_errors(errors)).await,
                Err(ApiError::OutsideServiceArea(why)) => invalid(form, Reason::api("test_location", why).into()).await,
                Err(other) => Err(other.into()),
            }
        }
        "delete" => {
            let Some(id) = field(&fields, "rule").and_then(|v| Uuid::parse_str(v.trim()).ok()) else {
                return Ok(see_other(&format!("{PAGE}?done=gone")));
            };
            match remove_rule(&state, id).await {
                Ok(()) => Ok(see_other(&format!("{PAGE}?done=deleted"))),
                Err(ApiError::NotFound(_)) => Ok(see_other(&format!("{PAGE}?done=gone"))),
                Err(other) => Err(other.into()),
            }
        }
        _ => invalid(form, Reason::ours("", cw.unknown_action, cw.lang).into()).await,
    }
}

/// Saved rule `rule`, `step` places higher (-1) or lower (1) in the list; the storage clamps
/// a position past either end.
fn moved(rule: RuleView, step: i32) -> crate::domain::rule_spec::RuleSpec {
    crate::domain::rule_spec::RuleSpec {
        position: Some(rule.position.saturating_add(step).max(1)),
        name: rule.name,
        active: rule.active,
        conditions: rule.conditions,
        action: rule.action,
    }
}
