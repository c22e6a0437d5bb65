//! Departments, the category tree and the questions a category asks, with the validation
//! of a resident's answers against those questions.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use uuid::Uuid;

use super::validation::FieldErrors;

/// A municipal department that handles reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Department {
    /// Stable id.
    pub id: Uuid,
    /// Short unique name used in URLs and rules, e.g. `openbare-verlichting`.
    pub slug: String,
    pub name_nl: String,
    pub name_en: String,
    /// Whether it takes new reports.
    /// The team address that new-report alerts go to.
    pub email: Option<String>,
    pub active: bool,
}

/// A main category or a subcategory. Reports are filed in subcategories.
#[derive(Debug, Clone, PartialEq)]
pub struct Category {
    /// Stable id.
    pub id: Uuid,
    /// The main category this one belongs to; `None` for a main category.
    pub parent_id: Option<Uuid>,
    /// Short name, unique among main categories and among subcategories.
    pub slug: String,
    pub name_nl: String,
    pub name_en: String,
    pub description_nl: Option<String>,
    pub description_en: Option<String>,
    /// Whether reports in it may be shown to the public.
    pub is_public: bool,
    /// Whether its public location must be coarsened and its description withheld.
    pub is_sensitive: bool,
    /// How long the municipality takes to handle a report, in hours.
    pub handling_hours: Option<i32>,
    /// The department that gets its reports unless a rule says otherwise.
    pub default_department_id: Option<Uuid>,
    /// What the category asks the resident.
    pub questions: Vec<Question>,
    /// Whether it takes new reports.
    pub active: bool,
    /// Order in listings.
    pub position: i32,
}

/// The type of answer a question takes (the six Open311 datatypes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum AnswerType {
    /// A short line of text (at most 200 characters).
    String,
    /// A number.
    Number,
    /// An RFC 3339 date and time.
    Datetime,
    /// Free text (at most 2000 characters).
    Text,
    /// One key from `values`.
    Singlevaluelist,
    /// A list of keys from `values`.
    Multivaluelist,
}

/// One option of a list question.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct QuestionOption {
    /// What the app sends as the answer.
    pub key: String,
    /// Dutch label.
    pub name_nl: String,
    /// English label.
    pub name_en: String,
}

/// A question a category asks with every report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Question {
    /// The answer's key in `answers`.
    pub key: String,
    /// Dutch question text.
    pub label_nl: String,
    /// English question text.
    pub label_en: String,
    /// The answer's type.
    pub datatype: AnswerType,
    /// Whether a report must answer it.
    #[serde(default)]
    pub required: bool,
    /// The options of a list question.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub values: Vec<QuestionOption>,
}

const SHORT_ANSWER_MAX: usize = 200;
const LONG_ANSWER_MAX: usize = 2000;

/// Checks `answers` against `questions`: every required question answered, no unknown
/// keys, each value of its question's type. Problems are recorded under `/answers/KEY`.
/// Returns the answers as they are stored (strings trimmed).
pub fn validate_answers(
    questions: &[Question],
    answers: &Map<String, Value>,
    errors: &mut FieldErrors,
) -> Map<String, Value> {
    let mut clean = Map::new();
    for key in answers.keys() {
        if !questions.iter().any(|q| &q.key == key) {
            let known: Vec<&str> = questions.iter().map(|q| q.key.as_str()).collect();
            let hint = if known.is_empty() {
                "this category asks no questions; leave answers out".to_owned()
            } else {
                format!("this category asks: {}", known.join(", "))
            };
            errors.add(format!("/answers/{}", pointer_escape(key)), format!("unknown question '{key}'; {hint}"));
        }
    }
    for question in questions {
        let pointer = format!("/answers/{}", pointer_escape(&question.key));
        match answers.get(&question.key) {
            None | Some(Value::Null) => {
                if question.required {
                    errors.add(pointer, format!("'{}' is required: {}", question.key, question.label_en));
                }
            }
            Some(value) => match answer_value(question, value) {
                Ok(clean_value) => {
                    clean.insert(question.key.clone(), clean_value);
                }
                Err(detail) => errors.add(pointer, detail.to_string()),
            },
        }
    }
    clean
}

/// Why an answer is refused. `keys` lists the question's options, comma-separated.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
enum AnswerError {
    #[error("send this answer as a JSON string")]
    NotString,
    #[error(transparent)]
    Text(#[from] super::validation::TextError),
    #[error("send this answer as a JSON number")]
    NotNumber,
    #[error("send this answer as an RFC 3339 date-time string")]
    NotDatetimeString,
    #[error("'{0}' is not an RFC 3339 date-time such as 2026-11-25T14:30:00+01:00")]
    NotDatetime(String),
    #[error("send one of: {keys}")]
    NotChoice { keys: String },
    #[error("'{choice}' is not an option; send one of: {keys}")]
    UnknownChoice { choice: String, keys: String },
    #[error("send a JSON array with some of: {keys}")]
    NotArray { keys: String },
    #[error("send a JSON array of strings from: {keys}")]
    NotStringArray { keys: String },
    #[error("'{choice}' is not an option; choose from: {keys}")]
    UnknownChoices { choice: String, keys: String },
    #[error("'{0}' is chosen twice; send each option once")]
    ChosenTwice(String),
    #[error("choose at least one of: {keys}")]
    NoneChosen { keys: String },
}

fn answer_value(question: &Question, value: &Value) -> Result<Value, AnswerError> {
    let keys = || question.values.iter().map(|v| v.key.as_str()).collect::<Vec<_>>().join(", ");
    match question.datatype {
        AnswerType::String | AnswerType::Text => {
            let max = if question.datatype == AnswerType::String { SHORT_ANSWER_MAX } else { LONG_ANSWER_MAX };
            let text = value.as_str().ok_or(AnswerError::NotString)?;
            Ok(super::validation::bounded_text(text, "the answer", max).map(Value::String)?)
        }
        AnswerType::Number => match value.as_f64() {
            Some(n) if n.is_finite() => Ok(value.clone()),
            _ => Err(AnswerError::NotNumber),
        },
        AnswerType::Datetime => {
            let text = value.as_str().ok_or(AnswerError::NotDatetimeString)?;
            chrono::DateTime::parse_from_rfc3339(text)
                .map(|at| Value::String(at.to_rfc3339()))
                .map_err(|_| AnswerError::NotDatetime(text.to_owned()))
        }
        AnswerType::Singlevaluelist => {
            let choice = value.as_str().ok_or_else(|| AnswerError::NotChoice { keys: keys() })?;
            if question.values.iter().any(|v| v.key == choice) {
                Ok(value.clone())
            } else {
                Err(AnswerError::UnknownChoice { choice: choice.to_owned(), keys: keys() })
            }
        }
        AnswerType::Multivaluelist => {
            let choices = value.as_array().ok_or_else(|| AnswerError::NotArray { keys: keys() })?;
            let mut seen: Vec<&str> = Vec::with_capacity(choices.len());
            for choice in choices {
                let choice = choice.as_str().ok_or_else(|| AnswerError::NotStringArray { keys: keys() })?;
                if !question.values.iter().any(|v| v.key == choice) {
                    return Err(AnswerError::UnknownChoices { choice: choice.to_owned(), keys: keys() });
                }
                if seen.contains(&choice) {
                    return Err(AnswerError::ChosenTwice(choice.to_owned()));
                }
                seen.push(choice);
            }
            if question.required && seen.is_empty() {
                return Err(AnswerError::NoneChosen { keys: keys() });
            }
            Ok(value.clone())
        }
    }
}

/// Escapes a key for use in a JSON Pointer (RFC 6901).
pub fn pointer_escape(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

/// What is wrong with a category's questions (by key, or by position when the key is
/// empty).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QuestionsError {
    /// A question without a key.
    #[error("question {0} has an empty key")]
    EmptyKey(usize),
    /// Two questions with one key.
    #[error("question key '{0}' is used twice")]
    DuplicateKey(String),
    /// A list question without options.
    #[error("list question '{0}' has no values")]
    ListWithoutValues(String),
    /// Options on a question that is not a list.
    #[error("question '{0}' is not a list but has values")]
    ValuesWithoutList(String),
}

/// Why a new report cannot be filed in the category it names (by slug).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IntakeCategoryError {
    /// The subcategory, or its main category, is deactivated.
    #[error("category '{0}' no longer takes reports; GET /api/v1/categories lists those that do")]
    Inactive(String),
    /// A main category: reports go into one of its active subcategories (listed).
    #[error("'{slug}' is a main category; choose one of its subcategories: {subcategories}")]
    MainCategory { slug: String, subcategories: String },
    #[error("unknown category '{0}'; GET /api/v1/categories lists the valid slugs")]
    Unknown(String),
}

/// Checks a category's questions when they are configured: unique keys, list questions
/// with options, other questions without.
pub fn validate_questions(questions: &[Question]) -> Result<(), QuestionsError> {
    for (index, question) in questions.iter().enumerate() {
        if question.key.trim().is_empty() {
            return Err(QuestionsError::EmptyKey(index));
        }
        if questions.iter().filter(|q| q.key == question.key).count() > 1 {
            return Err(QuestionsError::DuplicateKey(question.key.clone()));
        }
        let is_list = matches!(question.datatype, AnswerType::Singlevaluelist | AnswerType::Multivaluelist);
        if is_list && question.values.is_empty() {
            return Err(QuestionsError::ListWithoutValues(question.key.clone()));
        }
        if !is_list && !question.values.is_empty() {
            return Err(QuestionsError::ValuesWithoutList(question.key.clone()));
        }
    }
    Ok(())
}

/// Everything intake and the public views need to know about departments and categories,
/// held in memory and replaced as a whole when the configuration changes.
#[derive(Debug, Default)]
pub struct Catalog {
    departments: HashMap<Uuid, Department>,
    categories: Vec<Category>,
    by_id: HashMap<Uuid, usize>,
    sub_by_slug: HashMap<String, usize>,
    main_by_slug: HashMap<String, usize>,
}

impl Catalog {
    /// Builds the catalog from all departments and categories (active or not).
    pub fn new(departments: Vec<Department>, mut categories: Vec<Category>) -> Self {
        categories.sort_by(|a, b| a.position.cmp(&b.position).then_with(|| a.slug.cmp(&b.slug)));
        let mut catalog =
            Catalog { departments: departments.into_iter().map(|d| (d.id, d)).collect(), ..Catalog::default() };
        for (index, category) in categories.iter().enumerate() {
            catalog.by_id.insert(category.id, index);
            let slugs = if category.parent_id.is_some() { &mut catalog.sub_by_slug } else { &mut catalog.main_by_slug };
            slugs.insert(category.slug.clone(), index);
        }
        catalog.categories = categories;
        catalog
    }

    /// The category with this id.
    pub fn category(&self, id: Uuid) -> Option<&Category> {
        self.by_id.get(&id).and_then(|&i| self.categories.get(i))
    }

    /// The subcategory with this slug.
    pub fn subcategory(&self, slug: &str) -> Option<&Category> {
        self.sub_by_slug.get(slug).and_then(|&i| self.categories.get(i))
    }

    /// The main category with this slug.
    pub fn main_category(&self, slug: &str) -> Option<&Category> {
        self.main_by_slug.get(slug).and_then(|&i| self.categories.get(i))
    }

    /// The department with this id.
    pub fn department(&self, id: Uuid) -> Option<&Department> {
        self.departments.get(&id)
    }

    /// The department with this slug.
    pub fn department_by_slug(&self, slug: &str) -> Option<&Department> {
        self.departments.values().find(|d| d.slug == slug)
    }

    /// Every department, sorted by slug.
    pub fn departments(&self) -> Vec<&Department> {
        let mut all: Vec<&Department> = self.departments.values().collect();
        all.sort_by(|a, b| a.slug.cmp(&b.slug));
        all
    }

    /// Every category (main and sub) in display order.
    pub fn categories(&self) -> &[Category] {
        &self.categories
    }

    /// Main categories in display order.
    pub fn main_categories(&self) -> impl Iterator<Item = &Category> {
        self.categories.iter().filter(|c| c.parent_id.is_none())
    }

    /// Subcategories of `main` in display order.
    pub fn subcategories_of(&self, main: Uuid) -> impl Iterator<Item = &Category> {
        self.categories.iter().filter(move |c| c.parent_id == Some(main))
    }

    /// Resolves the category a new report names, or says why it cannot be used.
    pub fn category_for_intake(&self, slug: &str) -> Result<&Category, IntakeCategoryError> {
        match self.subcategory(slug) {
            Some(category) if category.active && self.parent_active(category) => Ok(category),
            Some(_) => Err(IntakeCategoryError::Inactive(slug.to_owned())),
            None => match self.main_category(slug) {
                Some(main) => {
                    let subs: Vec<&str> =
                        self.subcategories_of(main.id).filter(|c| c.active).map(|c| c.slug.as_str()).collect();
                    Err(IntakeCategoryError::MainCategory { slug: slug.to_owned(), subcategories: subs.join(", ") })
                }
                None => Err(IntakeCategoryError::Unknown(slug.to_owned())),
            },
        }
    }

    fn parent_active(&self, category: &Category) -> bool {
        category.parent_id.and_then(|id| self.category(id)).is_none_or(|parent| parent.active)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn question(key: &str, datatype: AnswerType, required: bool, values: &[&str]) -> Question {
        Question {
            key: key.into(),
            label_nl: key.into(),
            label_en: key.into(),
            datatype,
            required,
            values: values
                .iter()
                .map(|v| QuestionOption { key: (*v).into(), name_nl: (*v).into(), name_en: (*v).into() })
                .collect(),
        }
    }

    fn check(questions: &[Question], answers: Value) -> Result<Map<String, Value>, usize> {
        let mut errors = FieldErrors::default();
        let map = answers.as_object().cloned().unwrap_or_default();
        let clean = validate_answers(questions, &map, &mut errors);
        errors.finish(|| Some(clean)).map_err(|e| e.len())
    }

    #[test]
    fn answers_of_every_type_are_checked_against_their_question() {
        let questions = vec![
            question("s", AnswerType::String, true, &[]),
            question("n", AnswerType::Number, false, &[]),
            question("d", AnswerType::Datetime, false, &[]),
            question("t", AnswerType::Text, false, &[]),
            question("one", AnswerType::Singlevaluelist, false, &["a", "b"]),
            question("many", AnswerType::Multivaluelist, false, &["a", "b"]),
        ];
        let good = serde_json::json!({"s": " x ", "n": 3.5, "d": "2026-11-25T10:00:00Z", "t": "long",
            "one": "a", "many": ["a", "b"]});
        assert_eq!(check(&questions, good).map(|m| m.len()), Ok(6));
        assert_eq!(check(&questions, serde_json::json!({})), Err(1), "required s missing");
        let bad = serde_json::json!({"s": 1, "n": "3", "d": "tomorrow", "t": "", "one": "c",
            "many": ["a", "a"], "extra": true});
        assert_eq!(check(&questions, bad), Err(7));
    }

    #[test]
    fn question_configuration_is_checked() {
        assert!(validate_questions(&[question("a", AnswerType::Singlevaluelist, false, &[])]).is_err());
        assert!(validate_questions(&[question("a", AnswerType::Text, false, &["x"])]).is_err());
        assert!(
            validate_questions(&[
                question("a", AnswerType::Text, false, &[]),
                question("a", AnswerType::Number, false, &[])
            ])
            .is_err()
        );
        assert!(validate_questions(&[question("a", AnswerType::Text, false, &[])]).is_ok());
    }
}
