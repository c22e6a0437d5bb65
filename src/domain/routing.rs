//! Routing: an ordered list of rules decides which department handles a report. The first
//! rule whose every condition holds wins; otherwise the category's default department.
//! Every decision can be explained: which rule matched, and why each earlier one did not.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Datelike, NaiveTime, Timelike, Utc, Weekday};
use chrono_tz::Europe::Amsterdam;
use geo::{Coord, Intersects, MultiPolygon};
use serde_json::{Map, Value};
use uuid::Uuid;

/// Report priorities.
pub const PRIORITIES: [&str; 3] = ["low", "normal", "high"];

/// What a rule looks at. Every condition that is set must hold; a set holds when any of its
/// members does.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Conditions {
    /// Category slugs; a main category's slug covers all its subcategories.
    pub categories: BTreeSet<String>,
    /// CBS codes (gemeente `GM…`, wijk `WK…`, buurt `BU…`) the report must lie in.
    pub areas: BTreeSet<String>,
    /// A shape the report must lie in.
    pub polygon: Option<MultiPolygon<f64>>,
    /// Days of the week (Europe/Amsterdam) the report must arrive on.
    pub weekdays: BTreeSet<u8>,
    /// Time of day window (Europe/Amsterdam), start inclusive, end exclusive; may wrap past
    /// midnight (`22:00`–`06:00`).
    pub time_window: Option<(NaiveTime, NaiveTime)>,
    /// Answers that must have been given: question key → accepted values.
    pub answers: BTreeMap<String, Vec<Value>>,
}

impl Conditions {
    /// Whether no condition is set (such a rule would catch every report).
    pub fn is_empty(&self) -> bool {
        self.categories.is_empty()
            && self.areas.is_empty()
            && self.polygon.is_none()
            && self.weekdays.is_empty()
            && self.time_window.is_none()
            && self.answers.is_empty()
    }
}

/// A routing rule.
#[derive(Debug, Clone, PartialEq)]
pub struct Rule {
    pub id: Uuid,
    /// Human name, shown in explanations and history.
    pub name: String,
    /// Whether it takes part in routing. Only staff switch a rule off; nothing else does.
    pub active: bool,
    /// When it applies.
    pub conditions: Conditions,
    /// The department it routes to.
    pub department_id: Uuid,
    /// Priority it sets, if any.
    pub priority: Option<String>,
    /// Handling time it sets instead of the category's, in hours.
    pub deadline_hours: Option<i32>,
}

/// The facts about a report that rules look at.
#[derive(Debug, Clone)]
pub struct RoutingInput<'a> {
    /// Subcategory slug.
    pub category: &'a str,
    /// Its main category's slug.
    pub main_category: Option<&'a str>,
    /// The CBS codes the report lies in (gemeente, wijk, buurt).
    pub area_codes: Vec<&'a str>,
    /// Longitude.
    pub lon: f64,
    /// Latitude.
    pub lat: f64,
    /// Answers to the category's questions.
    pub answers: &'a Map<String, Value>,
    /// When it arrived.
    pub at: DateTime<Utc>,
}

/// Why one rule did or did not match.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleCheck {
    /// The rule.
    pub rule_id: Uuid,
    /// Its name.
    pub name: String,
    /// Its place in the list (1 = first).
    pub position: usize,
    /// Whether it matched.
    pub matched: bool,
    /// For a rule that did not match: each condition that failed, in words.
    pub reasons: Vec<String>,
}

/// The outcome of routing.
#[derive(Debug, Clone, PartialEq)]
pub struct Decision {
    /// The department, or `None` when neither a rule nor the category names one.
    pub department_id: Option<Uuid>,
    /// The rule that decided, if one did.
    pub rule_id: Option<Uuid>,
    /// Priority set by the rule.
    pub priority: Option<String>,
    /// Handling time set by the rule, in hours.
    pub deadline_hours: Option<i32>,
    /// The rules looked at, up to and including the one that matched.
    pub checks: Vec<RuleCheck>,
}

const WEEKDAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

/// The short name of a weekday number (0 = Monday).
pub fn weekday_name(day: u8) -> &'static str {
    WEEKDAYS.get(usize::from(day)).copied().unwrap_or("?")
}

/// The number (0 = Monday) of a weekday name such as `mon` or `monday`.
pub fn parse_weekday(name: &str) -> Option<u8> {
    let lower = name.to_ascii_lowercase();
    WEEKDAYS.iter().position(|d| lower.get(..3) == Some(*d)).and_then(|i| u8::try_from(i).ok())
}

fn weekday_number(day: Weekday) -> u8 {
    u8::try_from(day.num_days_from_monday()).unwrap_or(0)
}

/// A condition that did not hold.
enum Failure<'r> {
    Inactive,
    Category,
    Area,
    Polygon,
    Weekday(u8),
    Time(NaiveTime, NaiveTime, NaiveTime),
    Answer(&'r str, &'r [Value]),
}

/// Evaluates every condition of `rule`, handing each failure to `on_failure`; stops early
/// when it answers `false`.
fn evaluate<'r>(rule: &'r Rule, input: &RoutingInput<'_>, mut on_failure: impl FnMut(Failure<'r>) -> bool) {
    let c = &rule.conditions;
    if !rule.active && !on_failure(Failure::Inactive) {
        return;
    }
    if !c.categories.is_empty()
        && !c.categories.contains(input.category)
        && !input.main_category.is_some_and(|m| c.categories.contains(m))
        && !on_failure(Failure::Category)
    {
        return;
    }
    if !c.areas.is_empty() && !input.area_codes.iter().any(|code| c.areas.contains(*code)) && !on_failure(Failure::Area)
    {
        return;
    }
    if let Some(shape) = &c.polygon
        && !shape.intersects(&Coord { x: input.lon, y: input.lat })
        && !on_failure(Failure::Polygon)
    {
        return;
    }
    if !c.weekdays.is_empty() || c.time_window.is_some() {
        let local = input.at.with_timezone(&Amsterdam);
        let day = weekday_number(local.weekday());
        if !c.weekdays.is_empty() && !c.weekdays.contains(&day) && !on_failure(Failure::Weekday(day)) {
            return;
        }
        if let Some((from, to)) = c.time_window {
            let now = NaiveTime::from_hms_opt(local.hour(), local.minute(), local.second()).unwrap_or_default();
            let inside = if from <= to { from <= now && now < to } else { now >= from || now < to };
            if !inside && !on_failure(Failure::Time(now, from, to)) {
                return;
            }
        }
    }
    for (question, accepted) in &c.answers {
        let matches = input.answers.get(question).is_some_and(|value| match value {
            Value::Array(choices) => choices.iter().any(|choice| accepted.contains(choice)),
            single => accepted.contains(single),
        });
        if !matches && !on_failure(Failure::Answer(question, accepted)) {
            return;
        }
    }
}

/// Whether every condition of `rule` holds for the report.
pub fn matches(rule: &Rule, input: &RoutingInput<'_>) -> bool {
    let mut matched = true;
    evaluate(rule, input, |_| {
        matched = false;
        false
    });
    matched
}

/// Checks one rule against a report; `Err` lists, in words, every condition that failed.
pub fn check_rule(rule: &Rule, input: &RoutingInput<'_>) -> Result<(), Vec<String>> {
    let c = &rule.conditions;
    let mut reasons = Vec::new();
    evaluate(rule, input, |failure| {
        reasons.push(match failure {
            Failure::Inactive => "the rule is switched off".to_owned(),
            Failure::Category => {
                format!("category is '{}', the rule wants one of: {}", input.category, join(&c.categories))
            }
            Failure::Area => {
                let here =
                    if input.area_codes.is_empty() { "no known area".to_owned() } else { input.area_codes.join(", ") };
                format!("the report lies in {here}, the rule wants one of: {}", join(&c.areas))
            }
            Failure::Polygon => "the location is outside the rule's polygon".to_owned(),
            Failure::Weekday(day) => {
                let wanted: Vec<&str> = c.weekdays.iter().map(|d| weekday_name(*d)).collect();
                format!(
                    "it arrived on a {} (Europe/Amsterdam), the rule wants: {}",
                    weekday_name(day),
                    wanted.join(", ")
                )
            }
            Failure::Time(now, from, to) => format!(
                "it arrived at {} (Europe/Amsterdam), outside {}–{}",
                now.format("%H:%M"),
                from.format("%H:%M"),
                to.format("%H:%M")
            ),
            Failure::Answer(question, accepted) => {
                let given = input.answers.get(question).map_or_else(|| "no answer".to_owned(), Value::to_string);
                let wanted: Vec<String> = accepted.iter().map(Value::to_string).collect();
                format!("answer '{question}' is {given}, the rule wants one of: {}", wanted.join(", "))
            }
        });
        true
    });
    if reasons.is_empty() { Ok(()) } else { Err(reasons) }
}

fn join(set: &BTreeSet<String>) -> String {
    set.iter().map(String::as_str).collect::<Vec<_>>().join(", ")
}

/// Routes a report: the first matching rule wins, else `fallback` (the category's default
/// department).
pub fn route(rules: &[Rule], input: &RoutingInput<'_>, fallback: Option<Uuid>) -> Decision {
    let mut checks = Vec::new();
    for (index, rule) in rules.iter().enumerate() {
        let outcome = check_rule(rule, input);
        let matched = outcome.is_ok();
        checks.push(RuleCheck {
            rule_id: rule.id,
            name: rule.name.clone(),
            position: index + 1,
            matched,
            reasons: outcome.err().unwrap_or_default(),
        });
        if matched {
            return Decision {
                department_id: Some(rule.department_id),
                rule_id: Some(rule.id),
                priority: rule.priority.clone(),
                deadline_hours: rule.deadline_hours,
                checks,
            };
        }
    }
    Decision { department_id: fallback, rule_id: None, priority: None, deadline_hours: None, checks }
}

/// Routes without collecting explanations: the hot path at intake.
pub fn route_fast<'r>(
    rules: &'r [Rule],
    input: &RoutingInput<'_>,
    fallback: Option<Uuid>,
) -> (Option<Uuid>, Option<&'r Rule>) {
    match rules.iter().find(|rule| matches(rule, input)) {
        Some(rule) => (Some(rule.department_id), Some(rule)),
        None => (fallback, None),
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn rule(name: &str, conditions: Conditions) -> Rule {
        Rule {
            id: Uuid::new_v4(),
            name: name.into(),
            active: true,
            conditions,
            department_id: Uuid::new_v4(),
            priority: None,
            deadline_hours: None,
        }
    }

    fn input<'a>(answers: &'a Map<String, Value>, at: DateTime<Utc>) -> RoutingInput<'a> {
        RoutingInput {
            category: "straatverlichting-openbare-klok",
            main_category: Some("wegen-verkeer-straatmeubilair"),
            area_codes: vec!["GM0917", "WK091733", "BU09173301"],
            lon: 5.98,
            lat: 50.88,
            answers,
            at,
        }
    }

    #[test]
    fn the_first_matching_rule_wins_and_earlier_ones_say_why_not() {
        let answers = Map::new();
        // Saturday 2026-11-28 23:30 in Amsterdam (22:30 UTC).
        let at = Utc.with_ymd_and_hms(2026, 11, 28, 22, 30, 0).single().unwrap_or_default();
        let night = rule(
            "night",
            Conditions {
                time_window: NaiveTime::from_hms_opt(7, 0, 0).zip(NaiveTime::from_hms_opt(18, 0, 0)),
                ..Conditions::default()
            },
        );
        let area = rule("centrum", Conditions { areas: ["WK091733".to_owned()].into(), ..Conditions::default() });
        let decision = route(&[night.clone(), area.clone()], &input(&answers, at), None);
        assert_eq!(decision.rule_id, Some(area.id));
        assert_eq!(decision.checks.len(), 2);
        assert!(decision.checks.first().is_some_and(|c| !c.matched && c.reasons.iter().any(|r| r.contains("23:30"))));
    }

    #[test]
    fn a_time_window_may_wrap_past_midnight_and_weekdays_use_amsterdam_time() {
        let answers = Map::new();
        let night = rule(
            "night",
            Conditions {
                time_window: NaiveTime::from_hms_opt(22, 0, 0).zip(NaiveTime::from_hms_opt(6, 0, 0)),
                weekdays: [5].into(),
                ..Conditions::default()
            },
        );
        // 23:30 UTC on Friday is 00:30 Saturday in Amsterdam (winter time).
        let at = Utc.with_ymd_and_hms(2026, 11, 27, 23, 30, 0).single().unwrap_or_default();
        assert_eq!(check_rule(&night, &input(&answers, at)), Ok(()));
        let at = Utc.with_ymd_and_hms(2026, 11, 28, 12, 0, 0).single().unwrap_or_default();
        assert!(check_rule(&night, &input(&answers, at)).is_err());
    }

    #[test]
    fn answer_conditions_match_single_and_multiple_choices() {
        let mut answers = Map::new();
        answers.insert("probleem".into(), Value::from("uit"));
        answers.insert("soort".into(), serde_json::json!(["matras", "meubels"]));
        let at = Utc::now();
        let single = rule(
            "uit",
            Conditions { answers: [("probleem".to_owned(), vec![Value::from("uit")])].into(), ..Conditions::default() },
        );
        let multi = rule(
            "matras",
            Conditions { answers: [("soort".to_owned(), vec![Value::from("matras")])].into(), ..Conditions::default() },
        );
        let missing = rule(
            "x",
            Conditions { answers: [("kleur".to_owned(), vec![Value::from("rood")])].into(), ..Conditions::default() },
        );
        assert_eq!(check_rule(&single, &input(&answers, at)), Ok(()));
        assert_eq!(check_rule(&multi, &input(&answers, at)), Ok(()));
        assert!(check_rule(&missing, &input(&answers, at)).is_err_and(|r| r.iter().any(|m| m.contains("no answer"))));
    }

    #[test]
    fn no_matching_rule_falls_back_to_the_category_department() {
        let answers = Map::new();
        let fallback = Uuid::new_v4();
        let other = rule("other", Conditions { categories: ["grofvuil".to_owned()].into(), ..Conditions::default() });
        let decision = route(&[other], &input(&answers, Utc::now()), Some(fallback));
        assert_eq!((decision.department_id, decision.rule_id), (Some(fallback), None));
    }
}
