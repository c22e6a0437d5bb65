//! The wire and storage form of a routing rule, and its validation into a [`Rule`]. A rule
//! is checked completely when it is saved: unknown categories, areas or departments, an
//! empty rule, an invalid polygon or time are refused with the reason, so a saved rule never
//! has to be switched off behind anyone's back.

use std::collections::BTreeMap;

use chrono::NaiveTime;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use uuid::Uuid;

use super::area::{AreaLevel, parse_geometry};
use super::category::{Catalog, pointer_escape};
use super::routing::{Conditions, PRIORITIES, Rule, parse_weekday};
use super::validation::{FieldError, FieldErrors, bounded_text};

/// When a rule applies. Every condition given must hold; a list holds when any member does.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConditionsSpec {
    /// Category slugs; a main category covers all its subcategories.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schema(example = json!(["straatverlichting-openbare-klok"]))]
    pub categories: Vec<String>,
    /// CBS codes the report must lie in: gemeente (`GM0917`), wijk (`WK091733`) or buurt
    /// (`BU09173301`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schema(example = json!(["WK091733"]))]
    pub areas: Vec<String>,
    /// A GeoJSON Polygon or MultiPolygon (WGS84) the report must lie in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub polygon: Option<Value>,
    /// Days the report must arrive on (Europe/Amsterdam): `mon` … `sun`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schema(example = json!(["sat", "sun"]))]
    pub weekdays: Vec<String>,
    /// Time of day the report must arrive in (Europe/Amsterdam); may wrap past midnight.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time: Option<TimeWindowSpec>,
    /// Answers the report must have: question key → accepted values.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    #[schema(value_type = Object, example = json!({"probleem": ["uit"]}))]
    pub answers: BTreeMap<String, Vec<Value>>,
}

/// A time-of-day window, `HH:MM`, start inclusive, end exclusive.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TimeWindowSpec {
    /// Start, e.g. `17:00`.
    pub from: String,
    /// End, e.g. `08:00` (the next morning).
    pub to: String,
}

/// What a rule does when it matches.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ActionSpec {
    /// Slug of the department that gets the report.
    #[schema(example = "openbare-verlichting")]
    pub department: String,
    /// Priority to set: `low`, `normal` or `high`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub priority: Option<String>,
    /// Handling time in hours, instead of the category's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deadline_hours: Option<i32>,
}

/// A routing rule as clients send it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RuleSpec {
    /// A name staff recognise, 1-200 characters.
    #[schema(example = "Straatverlichting in het centrum 's nachts")]
    pub name: String,
    /// Place in the list, 1 = first. Omitted: last (on create) or unchanged (on update).
    #[serde(default)]
    pub position: Option<i32>,
    /// Whether the rule takes part in routing (default true).
    #[serde(default = "yes")]
    pub active: bool,
    /// When it applies; at least one condition.
    pub conditions: ConditionsSpec,
    /// What it does.
    pub action: ActionSpec,
}

fn yes() -> bool {
    true
}

/// Largest handling time a rule may set: one year.
const MAX_DEADLINE_HOURS: i32 = 24 * 366;

fn parse_time(text: &str) -> Option<NaiveTime> {
    NaiveTime::parse_from_str(text, "%H:%M").ok()
}

/// Checks a rule against the configuration (`area_known` says whether a CBS code exists)
/// and builds it. Problems are reported under `/conditions/…`, `/action/…`, `/name`.
pub fn validate_rule(
    id: Uuid,
    spec: &RuleSpec,
    catalog: &Catalog,
    area_known: impl Fn(&str) -> bool,
) -> Result<Rule, Vec<FieldError>> {
    let mut errors = FieldErrors::default();
    let name = errors.check("/name", bounded_text(&spec.name, "the name", 200));
    let conditions = validate_conditions(&spec.conditions, catalog, &area_known, "/conditions", &mut errors);
    let department = catalog.department_by_slug(&spec.action.department);
    match department {
        None => errors.add(
            "/action/department",
            format!("unknown department '{}'; GET /api/v1/admin/departments lists them", spec.action.department),
        ),
        Some(d) if !d.active => errors.add(
            "/action/department",
            format!("department '{}' is deactivated; activate it or choose another", d.slug),
        ),
        Some(_) => {}
    }
    if let Some(priority) = &spec.action.priority
        && !PRIORITIES.contains(&priority.as_str())
    {
        errors.add(
            "/action/priority",
            format!("priority '{priority}' is unknown; use one of: {}", PRIORITIES.join(", ")),
        );
    }
    if let Some(hours) = spec.action.deadline_hours
        && !(1..=MAX_DEADLINE_HOURS).contains(&hours)
    {
        errors.add("/action/deadline_hours", format!("{hours} hours is out of range; send 1 to {MAX_DEADLINE_HOURS}"));
    }
    if let Some(position) = spec.position
        && position < 1
    {
        errors.add("/position", "positions start at 1 (the first rule)");
    }
    let department_id = department.map(|d| d.id);
    errors.finish(|| {
        Some(Rule {
            id,
            name: name?,
            active: spec.active,
            conditions: conditions?,
            department_id: department_id?,
            priority: spec.action.priority.clone(),
            deadline_hours: spec.action.deadline_hours,
        })
    })
}

fn validate_conditions(
    spec: &ConditionsSpec,
    catalog: &Catalog,
    area_known: &impl Fn(&str) -> bool,
    at: &str,
    errors: &mut FieldErrors,
) -> Option<Conditions> {
    let before = errors_len(errors);
    let mut conditions = Conditions::default();
    for (index, slug) in spec.categories.iter().enumerate() {
        if catalog.subcategory(slug).is_none() && catalog.main_category(slug).is_none() {
            errors.add(
                format!("{at}/categories/{index}"),
                format!("unknown category '{slug}'; GET /api/v1/categories lists them"),
            );
        }
        conditions.categories.insert(slug.clone());
    }
    for (index, code) in spec.areas.iter().enumerate() {
        if AreaLevel::of_code(code).is_none() {
            errors.add(
                format!("{at}/areas/{index}"),
                format!("'{code}' is not a CBS code such as GM0917, WK091733 or BU09173301"),
            );
        } else if !area_known(code) {
            errors.add(
                format!("{at}/areas/{index}"),
                format!("area {code} is not in the area registry (current boundary year)"),
            );
        }
        conditions.areas.insert(code.clone());
    }
    if let Some(polygon) = &spec.polygon {
        match parse_geometry(polygon) {
            Ok(shape) => conditions.polygon = Some(shape),
            Err(reason) => errors.add(format!("{at}/polygon"), format!("invalid polygon: {reason}")),
        }
    }
    for (index, day) in spec.weekdays.iter().enumerate() {
        match parse_weekday(day) {
            Some(number) => {
                conditions.weekdays.insert(number);
            }
            None => errors.add(
                format!("{at}/weekdays/{index}"),
                format!("'{day}' is not a weekday; use mon, tue, wed, thu, fri, sat, sun"),
            ),
        }
    }
    if let Some(window) = &spec.time {
        match (parse_time(&window.from), parse_time(&window.to)) {
            (Some(from), Some(to)) if from != to => conditions.time_window = Some((from, to)),
            (Some(_), Some(_)) => errors.add(format!("{at}/time"), "from and to are equal; the window would be empty"),
            (from, to) => {
                if from.is_none() {
                    errors
                        .add(format!("{at}/time/from"), format!("'{}' is not a time HH:MM such as 17:30", window.from));
                }
                if to.is_none() {
                    errors.add(format!("{at}/time/to"), format!("'{}' is not a time HH:MM such as 08:00", window.to));
                }
            }
        }
    }
    for (question, values) in &spec.answers {
        let pointer = format!("{at}/answers/{}", pointer_escape(question));
        let asked = spec
            .categories
            .iter()
            .any(|slug| catalog.subcategory(slug).is_some_and(|c| c.questions.iter().any(|q| &q.key == question)));
        if values.is_empty() {
            errors.add(pointer, "list at least one accepted answer");
        } else if !asked {
            errors.add(
                pointer,
                format!("none of the rule's categories asks '{question}'; add the category that does to `categories`"),
            );
        }
        conditions.answers.insert(question.clone(), values.clone());
    }
    if conditions.is_empty() && errors_len(errors) == before {
        errors.add(at, "the rule has no conditions and would catch every report; add at least one condition");
    }
    (errors_len(errors) == before).then_some(conditions)
}

fn errors_len(errors: &FieldErrors) -> usize {
    errors.len()
}

/// Why the conditions of a stored rule cannot be rebuilt.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StoredConditionsError {
    /// The polygon is not a usable geometry (why).
    #[error("{0}")]
    Polygon(String),
    /// A weekday that is not one.
    #[error("bad weekday '{0}'")]
    Weekday(String),
    /// A time of day that is not one.
    #[error("bad time '{0}'")]
    Time(String),
}

/// Rebuilds the conditions of a stored rule (validated when it was saved).
pub fn stored_conditions(spec: &ConditionsSpec) -> Result<Conditions, StoredConditionsError> {
    let mut conditions = Conditions {
        categories: spec.categories.iter().cloned().collect(),
        areas: spec.areas.iter().cloned().collect(),
        answers: spec.answers.clone(),
        ..Conditions::default()
    };
    if let Some(polygon) = &spec.polygon {
        conditions.polygon = Some(parse_geometry(polygon).map_err(StoredConditionsError::Polygon)?);
    }
    for day in &spec.weekdays {
        conditions.weekdays.insert(parse_weekday(day).ok_or_else(|| StoredConditionsError::Weekday(day.clone()))?);
    }
    if let Some(window) = &spec.time {
        let from = parse_time(&window.from).ok_or_else(|| StoredConditionsError::Time(window.from.clone()))?;
        let to = parse_time(&window.to).ok_or_else(|| StoredConditionsError::Time(window.to.clone()))?;
        conditions.time_window = Some((from, to));
    }
    Ok(conditions)
}
