//! The rule form of the routing rules page as text (kept as typed, to show again with the
//! reasons), its conversion into the API's [`RuleSpec`] (only the reading of numbers and
//! JSON; the rule itself is checked by the API's `validate_rule`), and the views of saved
//! rules and of an explanation.

use crate::api::admin::routing::{Explanation, RuleView};
use crate::api::pages::console::report::Choice;
use crate::api::pages::dashboard::text::Lang;
use crate::api::pages::resident::field;
use crate::api::state::Snapshot;
use crate::domain::report::RoutingReason;
use crate::domain::rule_spec::{ActionSpec, ConditionsSpec, RuleSpec, TimeWindowSpec};
use crate::domain::validation::FieldError;

use super::super::reasons::{Reason, Reasons};
use super::words::ConfigWords;

/// The weekday codes of the API, Monday first.
const WEEKDAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

/// The form's fields as typed.
#[derive(Debug, Default, Clone)]
pub struct RuleForm {
    pub name: String,
    pub position: String,
    pub active: bool,
    pub categories: Vec<String>,
    pub areas: String,
    pub polygon: String,
    pub weekdays: Vec<String>,
    pub time_from: String,
    pub time_to: String,
    pub department: String,
    pub priority: String,
    pub deadline_hours: String,
    /// Conditions on the report's answers, as JSON (question key → accepted values).
    pub answers: String,
    /// The id of the saved rule this form changes; empty: a new rule.
    pub editing: String,
    pub test_category: String,
    pub test_lat: String,
    pub test_lon: String,
    /// The hypothetical report's answers, as JSON (question key → answer).
    pub test_answers: String,
}

fn text(fields: &[(String, String)], name: &str) -> String {
    field(fields, name).map(str::trim).unwrap_or_default().to_owned()
}

fn all(fields: &[(String, String)], name: &str) -> Vec<String> {
    fields.iter().filter(|(k, v)| k == name && !v.trim().is_empty()).map(|(_, v)| v.trim().to_owned()).collect()
}

impl RuleForm {
    /// An empty form (a new rule is active).
    pub fn fresh() -> Self {
        RuleForm { active: true, ..RuleForm::default() }
    }

    /// The form as posted.
    pub fn read(fields: &[(String, String)]) -> Self {
        RuleForm {
            name: text(fields, "name"),
            position: text(fields, "position"),
            active: field(fields, "active").is_some(),
            categories: all(fields, "categories"),
            areas: text(fields, "areas"),
            polygon: text(fields, "polygon"),
            weekdays: all(fields, "weekdays"),
            time_from: text(fields, "time_from"),
            time_to: text(fields, "time_to"),
            department: text(fields, "department"),
            priority: text(fields, "priority"),
            deadline_hours: text(fields, "deadline_hours"),
            answers: text(fields, "answers"),
            editing: text(fields, "editing"),
            test_category: text(fields, "test_category"),
            test_lat: text(fields, "test_lat"),
            test_lon: text(fields, "test_lon"),
            test_answers: text(fields, "test_answers"),
        }
    }

    /// The form of saved rule `view`, to change it.
    pub fn of_view(view: &RuleView) -> Self {
        let c = &view.conditions;
        RuleForm {
            name: view.name.clone(),
            position: view.position.to_string(),
            active: view.active,
            categories: c.categories.clone(),
            areas: c.areas.join(", "),
            polygon: c.polygon.as_ref().map(|p| p.to_string()).unwrap_or_default(),
            weekdays: c.weekdays.clone(),
            time_from: c.time.as_ref().map(|t| t.from.clone()).unwrap_or_default(),
            time_to: c.time.as_ref().map(|t| t.to.clone()).unwrap_or_default(),
            department: view.action.department.clone(),
            priority: view.action.priority.clone().unwrap_or_default(),
            deadline_hours: view.action.deadline_hours.map(|h| h.to_string()).unwrap_or_default(),
            answers: if c.answers.is_empty() {
                String::new()
            } else {
                serde_json::to_string(&c.answers).unwrap_or_default()
            },
            editing: view.id.to_string(),
            ..RuleForm::default()
        }
    }

    /// Whether any part of a rule is filled in (else the tester tries the saved rules only).
    pub fn has_rule(&self) -> bool {
        !(self.name.is_empty()
            && self.categories.is_empty()
            && self.areas.is_empty()
            && self.polygon.is_empty()
            && self.weekdays.is_empty()
            && self.time_from.is_empty()
            && self.time_to.is_empty()
            && self.answers.is_empty()
            && self.department.is_empty())
    }

    /// Whether category `slug` is chosen in the rule.
    pub fn has_category(&self, slug: &str) -> bool {
        self.categories.iter().any(|c| c == slug)
    }

    /// Whether weekday `code` is ticked.
    pub fn has_weekday(&self, code: &str) -> bool {
        self.weekdays.iter().any(|d| d == code)
    }

    /// The rule as the API takes it; `default_position` stands in for an empty position.
    pub fn spec(&self, w: &ConfigWords, default_position: Option<i32>) -> Result<RuleSpec, Reasons> {
        let mut errors = Reasons::default();
        let mut number = |name: &str, value: &str| -> Option<i32> {
            if value.is_empty() {
                return None;
            }
            value.parse().map_err(|_| errors.push(Reason::ours(name, w.whole_number, w.lang))).ok()
        };
        let position = number("position", &self.position).or(default_position);
        let deadline_hours = number("deadline_hours", &self.deadline_hours);
        let polygon = if self.polygon.is_empty() {
            None
        } else {
            serde_json::from_str(&self.polygon)
                .map_err(|_| errors.push(Reason::ours("polygon", w.bad_json, w.lang)))
                .ok()
        };
        let answers = if self.answers.is_empty() {
            Default::default()
        } else {
            serde_json::from_str(&self.answers)
                .map_err(|_| errors.push(Reason::ours("answers", w.bad_json, w.lang)))
                .unwrap_or_default()
        };
        let time = (!self.time_from.is_empty() || !self.time_to.is_empty())
            .then(|| TimeWindowSpec { from: self.time_from.clone(), to: self.time_to.clone() });
        let spec = RuleSpec {
            name: self.name.clone(),
            position,
            active: self.active,
            conditions: ConditionsSpec {
                categories: self.categories.clone(),
                areas: self
                    .areas
                    .split([',', ' ', ';', '\n'])
                    .map(str::trim)
                    .filter(|a| !a.is_empty())
                    .map(str::to_owned)
                    .collect(),
                polygon,
                weekdays: self.weekdays.clone(),
                time,
                answers,
            },
            action: ActionSpec {
                department: self.department.clone(),
                priority: (!self.priority.is_empty()).then(|| self.priority.clone()),
                deadline_hours,
            },
        };
        if errors.is_empty() { Ok(spec) } else { Err(errors) }
    }

    /// The answers of the report to try: `None` when empty.
    pub fn test_answers(&self, w: &ConfigWords) -> Result<Option<serde_json::Map<String, serde_json::Value>>, Reason> {
        if self.test_answers.is_empty() {
            return Ok(None);
        }
        serde_json::from_str(&self.test_answers).map(Some).map_err(|_| Reason::ours("test_answers", w.bad_json, w.lang))
    }

    /// The place to try, as (lat, lon).
    pub fn location(&self, w: &ConfigWords) -> Result<(f64, f64), Reason> {
        let degrees = |v: &str| v.replace(',', ".").parse::<f64>().ok();
        match (degrees(&self.test_lat), degrees(&self.test_lon)) {
            (Some(lat), Some(lon)) => Ok((lat, lon)),
            _ => Err(Reason::ours("test_location", w.decimal_degrees, w.lang)),
        }
    }
}

/// The API's reasons, by the form field they belong to (from each reason's JSON pointer).
pub fn form_errors(errors: Vec<FieldError>) -> Reasons {
    Reasons::from_api(errors, |pointer| {
        let pointer = pointer.strip_prefix("/candidate").unwrap_or(pointer);
        [
            ("/name", "name"),
            ("/position", "position"),
            ("/conditions/categories", "categories"),
            ("/conditions/areas", "areas"),
            ("/conditions/polygon", "polygon"),
            ("/conditions/weekdays", "weekdays"),
            ("/conditions/time", "time"),
            ("/conditions/answers", "answers"),
            ("/action/department", "department"),
            ("/action/priority", "priority"),
            ("/action/deadline_hours", "deadline_hours"),
            ("/category", "test_category"),
            ("/location", "test_location"),
            ("/answers", "test_answers"),
            ("/replaces", ""),
            ("/conditions", "conditions"),
        ]
        .into_iter()
        .find(|(prefix, _)| pointer.starts_with(prefix))
        .map(|(_, name)| name)
        .unwrap_or_default()
        .to_owned()
    })
}

/// A saved rule in the list.
pub struct RuleRow {
    pub id: String,
    pub position: i32,
    pub name: String,
    pub active: bool,
    pub conditions: Vec<String>,
    pub action: String,
}

fn name_in(lang: Lang, nl: &str, en: &str) -> String {
    match lang {
        Lang::Nl => nl.to_owned(),
        Lang::En => en.to_owned(),
    }
}

/// The rows of the rule list.
pub fn rule_rows(rules: Vec<RuleView>, snapshot: &Snapshot, lang: Lang, w: &ConfigWords) -> Vec<RuleRow> {
    let catalog = &snapshot.catalog;
    rules
        .into_iter()
        .map(|rule| {
            let c = &rule.conditions;
            let mut conditions = Vec::new();
            if !c.categories.is_empty() {
                conditions.push(format!("{}: {}", w.categories, c.categories.join(", ")));
            }
            if !c.areas.is_empty() {
                conditions.push(format!("{}: {}", w.areas, c.areas.join(", ")));
            }
            if c.polygon.is_some() {
                conditions.push(w.polygon.to_owned());
            }
            if !c.weekdays.is_empty() {
                conditions.push(format!("{}: {}", w.weekdays, c.weekdays.join(", ")));
            }
            if let Some(time) = &c.time {
                conditions.push(format!("{}–{}", time.from, time.to));
            }
            for (key, values) in &c.answers {
                let values: Vec<String> = values.iter().map(|v| v.to_string()).collect();
                conditions.push(format!("{key} = {}", values.join(" / ")));
            }
            let department = catalog
                .department_by_slug(&rule.action.department)
                .map(|d| name_in(lang, &d.name_nl, &d.name_en))
                .unwrap_or_else(|| rule.action.department.clone());
            let mut action = format!("→ {department}");
            if let Some(priority) = &rule.action.priority {
                let priority = crate::api::pages::console::words::of(lang).priority_name(priority);
                action.push_str(&format!("; {}: {priority}", w.priority));
            }
            if let Some(hours) = rule.action.deadline_hours {
                action.push_str(&format!("; {hours} {}", w.hours));
            }
            RuleRow {
                id: rule.id.to_string(),
                position: rule.position,
                name: rule.name,
                active: rule.active,
                conditions,
                action,
            }
        })
        .collect()
}

/// One rule looked at by the tester.
pub struct CheckRow {
    pub position: usize,
    pub name: String,
    pub candidate: bool,
    pub matched: bool,
    /// Why it matched or not, as the API words it.
    pub reasons: Vec<Reason>,
}

/// The tester's answer, in words.
pub struct ExplanationView {
    pub department: String,
    pub why: String,
    pub priority: Option<String>,
    pub deadline_hours: Option<i32>,
    pub area: Option<String>,
    pub checks: Vec<CheckRow>,
}

impl ExplanationView {
    /// The view of the API's explanation.
    pub fn of(explanation: Explanation, lang: Lang, w: &ConfigWords) -> Self {
        let why = match (&explanation.reason, &explanation.matched_rule) {
            (RoutingReason::Rule, Some(rule)) => {
                let candidate = if rule.candidate { format!(" ({})", w.candidate) } else { String::new() };
                format!("{} {} “{}”{candidate}", w.by_rule, rule.position, rule.name)
            }
            _ => w.by_default.to_owned(),
        };
        let area = explanation.area.map(|a| {
            let named = |code: String, name: Option<String>| match name {
                Some(name) => format!("{name} ({code})"),
                None => code,
            };
            [Some(a.gemeente), a.wijk, a.buurt]
                .into_iter()
                .flatten()
                .map(|n| named(n.code, n.name))
                .collect::<Vec<_>>()
                .join(", ")
        });
        ExplanationView {
            department: explanation
                .department
                .map(|d| name_in(lang, &d.name_nl, &d.name_en))
                .unwrap_or_else(|| w.no_department.to_owned()),
            why,
            priority: explanation
                .priority
                .map(|p| crate::api::pages::console::words::of(lang).priority_name(&p).to_owned()),
            deadline_hours: explanation.deadline_hours,
            area,
            checks: explanation
                .checks
                .into_iter()
                .map(|c| CheckRow {
                    position: c.position,
                    name: c.name,
                    candidate: c.candidate,
                    matched: c.matched,
                    reasons: c.reasons.into_iter().map(|r| Reason::api("", r)).collect(),
                })
                .collect(),
        }
    }
}

/// The choices of the page's selects.
pub struct Options {
    /// Main and subcategories, for a rule's condition.
    pub categories: Vec<Choice>,
    /// Subcategories, for the report to try.
    pub subcategories: Vec<Choice>,
    pub departments: Vec<Choice>,
    pub priorities: Vec<Choice>,
    pub weekdays: Vec<Choice>,
}

impl Options {
    /// The choices in `lang`.
    pub fn of(snapshot: &Snapshot, lang: Lang, w: &ConfigWords) -> Self {
        let catalog = &snapshot.catalog;
        let mut categories = Vec::new();
        let mut subcategories = Vec::new();
        for main in catalog.main_categories() {
            let main_name = name_in(lang, &main.name_nl, &main.name_en);
            categories.push(Choice { value: main.slug.clone(), label: main_name.clone() });
            for sub in catalog.subcategories_of(main.id).filter(|s| s.active) {
                let label = format!("{main_name} – {}", name_in(lang, &sub.name_nl, &sub.name_en));
                categories.push(Choice { value: sub.slug.clone(), label: label.clone() });
                subcategories.push(Choice { value: sub.slug.clone(), label });
            }
        }
        let words = crate::api::pages::console::words::of(lang);
        Options {
            categories,
            subcategories,
            departments: catalog
                .departments()
                .into_iter()
                .filter(|d| d.active)
                .map(|d| Choice { value: d.slug.clone(), label: name_in(lang, &d.name_nl, &d.name_en) })
                .collect(),
            priorities: ["high", "normal", "low"]
                .into_iter()
                .map(|p| Choice { value: p.to_owned(), label: words.priority_name(p).to_owned() })
                .collect(),
            weekdays: WEEKDAYS
                .into_iter()
                .zip(w.weekday_names)
                .map(|(code, label)| Choice { value: code.to_owned(), label: label.to_owned() })
                .collect(),
        }
    }
}
