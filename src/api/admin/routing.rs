//! Routing rules (admin): the ordered list, each rule validated when saved; and `explain`,
//! which routes a hypothetical report (optionally with a candidate rule) and says why.

use actix_web::{HttpRequest, HttpResponse, delete, get, post, put, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use uuid::Uuid;

use crate::api::access::AdminAccess;
use crate::api::body::{object_only, parse, read_json};
use crate::api::error::{ApiError, Problem};
use crate::api::public::reports::LocationInput;
use crate::api::responses::{AdminErrors, JsonBodyErrors};
use crate::api::state::{AppState, Snapshot};
use crate::api::views::{AreaView, DepartmentRef};
use crate::domain::report::{Location, RoutingReason};
use crate::domain::routing::{RoutingInput, Rule, route};
use crate::domain::rule_spec::{ActionSpec, ConditionsSpec, RuleSpec, validate_rule};
use crate::domain::validation::{FieldError, FieldErrors};
use crate::storage::rules::StoredRule;

/// A saved routing rule.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct RuleView {
    pub id: Uuid,
    /// Place in the list, 1 = first.
    pub position: i32,
    pub name: String,
    /// Whether it takes part in routing.
    pub active: bool,
    /// When it applies.
    pub conditions: ConditionsSpec,
    /// What it does.
    pub action: ActionSpec,
    /// Created (RFC 3339, UTC).
    pub created_at: DateTime<Utc>,
    /// Last changed (RFC 3339, UTC).
    pub updated_at: DateTime<Utc>,
}

fn rule_view(stored: StoredRule, snapshot: &Snapshot) -> RuleView {
    let department = snapshot.catalog.department(stored.rule.department_id).map(|d| d.slug.clone()).unwrap_or_default();
    RuleView {
        id: stored.rule.id,
        position: stored.position,
        name: stored.rule.name,
        active: stored.rule.active,
        conditions: stored.conditions,
        action: ActionSpec { department, priority: stored.rule.priority, deadline_hours: stored.rule.deadline_hours },
        created_at: stored.created_at,
        updated_at: stored.updated_at,
    }
}

fn prefixed(errors: Vec<FieldError>, prefix: &str) -> Vec<FieldError> {
    errors.into_iter().map(|e| FieldError { pointer: format!("{prefix}{}", e.pointer), detail: e.detail }).collect()
}

fn validate(id: Uuid, spec: &RuleSpec, snapshot: &Snapshot) -> Result<Rule, Vec<FieldError>> {
    validate_rule(id, spec, &snapshot.catalog, |code| snapshot.areas.area(code).is_some())
}

async fn load_rules(state: &AppState) -> Result<Vec<StoredRule>, ApiError> {
    Ok(state.db.run(crate::storage::rules::load).await?)
}

async fn load_rule(state: &AppState, id: Uuid) -> Result<StoredRule, ApiError> {
    load_rules(state)
        .await?
        .into_iter()
        .find(|r| r.rule.id == id)
        .ok_or_else(|| ApiError::NotFound(format!("there is no routing rule with id {id}")))
}

/// Lists the routing rules in order (first match wins).
#[utoipa::path(
    tag = "routing",
    security(("bearer" = []), ("admin_token" = [])),
    responses(
        (status = 200, description = "Every rule, by position", body = Vec<RuleView>),
        AdminErrors,
    )
)]
#[get("/api/v1/admin/routing/rules")]
pub async fn list_rules(_admin: AdminAccess, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(rule_views(&state).await?))
}

/// Every saved rule by position, as the API shows them (the console's rule list too).
pub async fn rule_views(state: &AppState) -> Result<Vec<RuleView>, ApiError> {
    let rules = load_rules(state).await?;
    let snapshot = state.config.snapshot();
    Ok(rules.into_iter().map(|r| rule_view(r, &snapshot)).collect())
}

/// Reads one routing rule.
#[utoipa::path(
    tag = "routing",
    security(("bearer" = []), ("admin_token" = [])),
    params(("id" = Uuid, Path, description = "Rule id")),
    responses(
        (status = 200, description = "The rule", body = RuleView),
        (status = 404, description = "No such rule", body = Problem, content_type = "application/problem+json"),
        AdminErrors,
    )
)]
#[get("/api/v1/admin/routing/rules/{id}")]
pub async fn get_rule(
    _admin: AdminAccess,
    path: web::Path<Uuid>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let stored = load_rule(&state, path.into_inner()).await?;
    Ok(HttpResponse::Ok().json(rule_view(stored, &state.config.snapshot())))
}

/// Saves a new rule (at `position`, default last). It is checked completely first: unknown
/// categories, areas or departments, an empty rule, an invalid polygon or time are a 422
/// with every reason.
#[utoipa::path(
    tag = "routing",
    security(("bearer" = []), ("admin_token" = [])),
    request_body(content = RuleSpec, content_type = "application/json"),
    responses(
        (status = 201, description = "Saved", body = RuleView),
        (status = 422, description = "The rule is invalid (every reason in `errors`)", body = Problem, content_type = "application/problem+json"),
        JsonBodyErrors,
        AdminErrors,
    )
)]
#[post("/api/v1/admin/routing/rules")]
pub async fn create_rule(
    _admin: AdminAccess,
    request: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let body = read_json(&request, payload, state.max_body_bytes).await?;
    let spec: RuleSpec = parse(body.value)?;
    let view = create_rule_from(&state, spec).await?;
    Ok(HttpResponse::Created()
        .insert_header(("Location", format!("/api/v1/admin/routing/rules/{}", view.id)))
        .json(view))
}

/// Checks a new rule completely and saves it at its position (default last): the one
/// implementation behind the API's create and the console's form.
pub async fn create_rule_from(state: &AppState, spec: RuleSpec) -> Result<RuleView, ApiError> {
    let rule = validate(Uuid::now_v7(), &spec, &state.config.snapshot()).map_err(ApiError::Validation)?;
    let id = rule.id;
    state.db.run(move |conn| crate::storage::rules::create(conn, &rule, &spec.conditions, spec.position)).await?;
    let snapshot = state.config.refreshed().await?;
    let stored = load_rule(state, id).await?;
    Ok(rule_view(stored, &snapshot))
}

/// Replaces a rule (checked as on create); `position` moves it.
#[utoipa::path(
    tag = "routing",
    security(("bearer" = []), ("admin_token" = [])),
    params(("id" = Uuid, Path, description = "Rule id")),
    request_body(content = RuleSpec, content_type = "application/json"),
    responses(
        (status = 200, description = "Saved", body = RuleView),
        (status = 404, description = "No such rule", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The rule is invalid (every reason in `errors`)", body = Problem, content_type = "application/problem+json"),
        JsonBodyErrors,
        AdminErrors,
    )
)]
#[put("/api/v1/admin/routing/rules/{id}")]
pub async fn update_rule(
    _admin: AdminAccess,
    path: web::Path<Uuid>,
    request: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    let body = read_json(&request, payload, state.max_body_bytes).await?;
    let spec: RuleSpec = parse(body.value)?;
    Ok(HttpResponse::Ok().json(update_rule_from(&state, id, spec).await?))
}

/// Checks rule `id`'s new version completely and saves it (a `position` moves it): the one
/// implementation behind the API's update and the console's edit and move forms.
pub async fn update_rule_from(state: &AppState, id: Uuid, spec: RuleSpec) -> Result<RuleView, ApiError> {
    let rule = validate(id, &spec, &state.config.snapshot()).map_err(ApiError::Validation)?;
    let saved =
        state.db.run(move |conn| crate::storage::rules::update(conn, &rule, &spec.conditions, spec.position)).await?;
    if saved.is_none() {
        return Err(ApiError::NotFound(format!("there is no routing rule with id {id}")));
    }
    let snapshot = state.config.refreshed().await?;
    Ok(rule_view(load_rule(state, id).await?, &snapshot))
}

/// Deletes a rule; the rules after it move up.
#[utoipa::path(
    tag = "routing",
    security(("bearer" = []), ("admin_token" = [])),
    params(("id" = Uuid, Path, description = "Rule id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 404, description = "No such rule", body = Problem, content_type = "application/problem+json"),
        AdminErrors,
    )
)]
#[delete("/api/v1/admin/routing/rules/{id}")]
pub async fn delete_rule(
    _admin: AdminAccess,
    path: web::Path<Uuid>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    remove_rule(&state, path.into_inner()).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Deletes rule `id` (the rules after it move up); 404 when there is none.
pub async fn remove_rule(state: &AppState, id: Uuid) -> Result<(), ApiError> {
    let deleted = state.db.run(move |conn| crate::storage::rules::delete(conn, id)).await?;
    if !deleted {
        return Err(ApiError::NotFound(format!("there is no routing rule with id {id}")));
    }
    state.config.refreshed().await?;
    Ok(())
}

/// A hypothetical report to route.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ExplainRequest {
    /// Subcategory slug.
    #[schema(example = "straatverlichting-openbare-klok")]
    pub category: String,
    /// Where, in WGS84.
    #[serde(deserialize_with = "object_only")]
    pub location: LocationInput,
    /// Answers to the category's questions (not checked against them).
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    pub answers: Option<Map<String, Value>>,
    /// When it arrives (RFC 3339); default now.
    #[serde(default)]
    pub at: Option<DateTime<Utc>>,
    /// A rule to try before saving it: placed at its `position` (default first).
    #[serde(default)]
    pub candidate: Option<RuleSpec>,
    /// The id of a saved rule the candidate is a new version of: that rule is left out, so
    /// the change is tried in its place.
    #[serde(default)]
    pub replaces: Option<Uuid>,
}

/// One rule looked at.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct RuleCheckView {
    /// Rule id (`null` for the candidate).
    pub rule_id: Option<Uuid>,
    pub name: String,
    /// Place in the list, 1 = first (the candidate included).
    pub position: usize,
    /// Whether this is the candidate rule.
    pub candidate: bool,
    /// Whether it matched.
    pub matched: bool,
    /// Why it did not match, one sentence per failed condition.
    pub reasons: Vec<String>,
}

/// The routing decision for a hypothetical report.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Explanation {
    /// The department it would go to.
    pub department: Option<DepartmentRef>,
    /// `rule` or `category_default`.
    pub reason: RoutingReason,
    /// The rule that matched, if any.
    pub matched_rule: Option<RuleCheckView>,
    /// Priority the matching rule sets.
    pub priority: Option<String>,
    /// Handling time the matching rule sets, in hours.
    pub deadline_hours: Option<i32>,
    /// The CBS areas of the location.
    pub area: Option<AreaView>,
    /// Every rule looked at, up to and including the one that matched.
    pub checks: Vec<RuleCheckView>,
}

/// Routes a hypothetical report and explains the decision: the department, the rule that
/// matched, and for each earlier rule why it did not. A `candidate` rule is validated and
/// tried in its place without being saved.
#[utoipa::path(
    tag = "routing",
    security(("bearer" = []), ("admin_token" = [])),
    request_body(content = ExplainRequest, content_type = "application/json"),
    responses(
        (status = 200, description = "The decision with its reasons", body = Explanation),
        (status = 422, description = "Unknown category, bad location, a location outside the service area, or an invalid candidate rule", body = Problem, content_type = "application/problem+json"),
        JsonBodyErrors,
        AdminErrors,
    )
)]
#[post("/api/v1/routing/explain")]
pub async fn explain(
    _admin: AdminAccess,
    request: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let body = read_json(&request, payload, state.max_body_bytes).await?;
    let input: ExplainRequest = parse(body.value)?;
    Ok(HttpResponse::Ok().json(explain_route(&state, input)?))
}

/// Routes a hypothetical report against the saved rules (with `candidate` in its place)
/// and explains the decision: the one implementation behind the API's explain and the
/// console's rule tester.
pub fn explain_route(state: &AppState, input: ExplainRequest) -> Result<Explanation, ApiError> {
    let snapshot = state.config.snapshot();
    let catalog = &snapshot.catalog;
    let mut errors = FieldErrors::default();
    let category = match catalog.subcategory(&input.category) {
        Some(c) => Some(c),
        None => {
            errors.add("/category", format!("unknown subcategory '{}'; GET /api/v1/categories", input.category));
            None
        }
    };
    let location = Location::parse(input.location.lat, input.location.lon, "/location", &mut errors);
    if let Some(id) = input.replaces
        && !snapshot.rules.iter().any(|rule| rule.id == id)
    {
        errors.add("/replaces", format!("there is no routing rule with id {id}; GET /api/v1/admin/routing/rules"));
    }
    const CANDIDATE: Uuid = Uuid::nil();
    let candidate = match &input.candidate {
        Some(spec) => match validate(CANDIDATE, spec, &snapshot) {
            Ok(rule) => Some((rule, spec.position)),
            Err(problems) => {
                for e in prefixed(problems, "/candidate") {
                    errors.add(e.pointer, e.detail);
                }
                None
            }
        },
        None => None,
    };
    let (category, location) = errors.finish(|| category.zip(location)).map_err(ApiError::Validation)?;
    let placer = state.placer(&snapshot);
    let area = placer.stamp(location).map_err(ApiError::OutsideServiceArea)?;
    let mut rules: Vec<Rule> = snapshot.rules.as_ref().clone();
    if let Some(id) = input.replaces {
        rules.retain(|rule| rule.id != id);
    }
    if let Some((rule, position)) = candidate {
        let index = position.and_then(|p| usize::try_from(p - 1).ok()).unwrap_or(0).min(rules.len());
        rules.insert(index, rule);
    }
    let answers = input.answers.unwrap_or_default();
    let main = category.parent_id.and_then(|id| catalog.category(id));
    let routing_input = RoutingInput {
        category: &category.slug,
        main_category: main.map(|m| m.slug.as_str()),
        area_codes: area.as_ref().map(|a| a.codes()).unwrap_or_default(),
        lon: location.lon,
        lat: location.lat,
        answers: &answers,
        at: input.at.unwrap_or_else(Utc::now),
    };
    let decision = route(&rules, &routing_input, category.default_department_id);
    let checks: Vec<RuleCheckView> = decision
        .checks
        .into_iter()
        .map(|c| RuleCheckView {
            rule_id: (c.rule_id != CANDIDATE).then_some(c.rule_id),
            candidate: c.rule_id == CANDIDATE,
            name: c.name,
            position: c.position,
            matched: c.matched,
            reasons: c.reasons,
        })
        .collect();
    let matched_rule = checks.iter().find(|c| c.matched).map(|c| RuleCheckView {
        rule_id: c.rule_id,
        name: c.name.clone(),
        position: c.position,
        candidate: c.candidate,
        matched: true,
        reasons: Vec::new(),
    });
    Ok(Explanation {
        department: decision.department_id.and_then(|id| catalog.department(id)).map(DepartmentRef::from),
        reason: if decision.rule_id.is_some() { RoutingReason::Rule } else { RoutingReason::CategoryDefault },
        matched_rule,
        priority: decision.priority,
        deadline_hours: decision.deadline_hours,
        area: area.as_ref().map(|a| AreaView::build(a, &snapshot.areas, true)),
        checks,
    })
}
