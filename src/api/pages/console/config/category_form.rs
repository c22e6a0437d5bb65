//! The category form as text (kept as typed, to show again with the reasons), with its
//! questions as numbered rows (`q0_key`, `q0_label_nl`, …); its conversion into the API's
//! [`CategoryInput`] (only the reading of numbers, answer types and choices: the category
//! itself is checked by the API), and the rows of the category tree.

use crate::api::admin::categories::{CategoryInput, CategoryView};
use crate::api::pages::console::report::Choice;
use crate::api::pages::dashboard::text::Lang;
use crate::api::pages::resident::field;
use crate::api::state::Snapshot;
use crate::domain::category::{AnswerType, Question, QuestionOption};

use super::super::reasons::{Reason, Reasons};
use super::catalogue_words::CatalogueWords;

/// The form's fields, as the API's pointers name them.
pub const FIELDS: [&str; 13] = [
    "parent",
    "slug",
    "name_nl",
    "name_en",
    "description_nl",
    "description_en",
    "is_public",
    "is_sensitive",
    "handling_hours",
    "default_department",
    "questions",
    "active",
    "position",
];

/// The answer types in the order of the form's choices (and of the words).
const ANSWER_TYPES: [(&str, AnswerType); 6] = [
    ("string", AnswerType::String),
    ("number", AnswerType::Number),
    ("datetime", AnswerType::Datetime),
    ("text", AnswerType::Text),
    ("singlevaluelist", AnswerType::Singlevaluelist),
    ("multivaluelist", AnswerType::Multivaluelist),
];

/// Empty question rows below the questions a category has.
const EMPTY_ROWS: usize = 3;

/// The most question rows a form is read for.
const MAX_ROWS: usize = 100;

/// One question row as typed.
#[derive(Debug, Default, Clone)]
pub struct QuestionForm {
    pub index: usize,
    pub key: String,
    pub label_nl: String,
    pub label_en: String,
    pub datatype: String,
    pub required: bool,
    /// The choices, one per line: `key | Dutch | English`.
    pub values: String,
    pub remove: bool,
}

impl QuestionForm {
    /// The name (and id) of this row's field `part`.
    pub fn name(&self, part: &str) -> String {
        format!("q{}_{part}", self.index)
    }

    /// The row's number for people (from 1).
    pub fn number(&self) -> usize {
        self.index.saturating_add(1)
    }

    /// Whether nothing is typed in the row.
    pub fn is_blank(&self) -> bool {
        self.key.is_empty() && self.label_nl.is_empty() && self.label_en.is_empty() && self.values.is_empty()
    }

    fn of(index: usize, question: &Question) -> Self {
        let code = ANSWER_TYPES.iter().find(|(_, t)| *t == question.datatype).map(|(c, _)| *c).unwrap_or("string");
        QuestionForm {
            index,
            key: question.key.clone(),
            label_nl: question.label_nl.clone(),
            label_en: question.label_en.clone(),
            datatype: code.to_owned(),
            required: question.required,
            values: question
                .values
                .iter()
                .map(|v| format!("{} | {} | {}", v.key, v.name_nl, v.name_en))
                .collect::<Vec<_>>()
                .join("\n"),
            remove: false,
        }
    }

    /// The API's question, or the reasons at this row's fields.
    fn question(&self, w: &CatalogueWords, errors: &mut Reasons) -> Option<Question> {
        let datatype = ANSWER_TYPES.iter().find(|(code, _)| *code == self.datatype).map(|(_, t)| *t);
        if datatype.is_none() {
            errors.push(Reason::ours(&self.name("datatype"), w.bad_datatype, w.lang));
        }
        let mut values = Vec::new();
        for line in self.values.lines().map(str::trim).filter(|l| !l.is_empty()) {
            let parts: Vec<&str> = line.split('|').map(str::trim).collect();
            let option = match parts.as_slice() {
                [key] => QuestionOption { key: (*key).into(), name_nl: (*key).into(), name_en: (*key).into() },
                [key, name] => QuestionOption { key: (*key).into(), name_nl: (*name).into(), name_en: (*name).into() },
                [key, nl, en] => QuestionOption { key: (*key).into(), name_nl: (*nl).into(), name_en: (*en).into() },
                _ => {
                    errors.push(Reason::ours(&self.name("values"), w.bad_option, w.lang));
                    continue;
                }
            };
            values.push(option);
        }
        Some(Question {
            key: self.key.clone(),
            label_nl: self.label_nl.clone(),
            label_en: self.label_en.clone(),
            datatype: datatype?,
            required: self.required,
            values,
        })
    }
}

/// The category form as typed.
#[derive(Debug, Default, Clone)]
pub struct CategoryForm {
    pub parent: String,
    pub slug: String,
    pub name_nl: String,
    pub name_en: String,
    pub description_nl: String,
    pub description_en: String,
    pub is_public: bool,
    pub is_sensitive: bool,
    pub handling_hours: String,
    pub default_department: String,
    pub active: bool,
    pub position: String,
    pub questions: Vec<QuestionForm>,
}

fn blank_rows(from: usize) -> impl Iterator<Item = QuestionForm> {
    (from..from.saturating_add(EMPTY_ROWS)).map(|index| QuestionForm { index, ..QuestionForm::default() })
}

impl CategoryForm {
    /// An empty form under main category `parent` (`""`: a main category), public and
    /// active, with empty question rows.
    pub fn fresh(parent: &str) -> Self {
        CategoryForm {
            parent: parent.to_owned(),
            is_public: true,
            active: true,
            questions: blank_rows(0).collect(),
            ..CategoryForm::default()
        }
    }

    /// The form of a stored category, with empty question rows below its questions.
    pub fn of(view: &CategoryView) -> Self {
        let mut questions: Vec<QuestionForm> =
            view.questions.iter().enumerate().map(|(i, q)| QuestionForm::of(i, q)).collect();
        questions.extend(blank_rows(questions.len()));
        CategoryForm {
            parent: view.parent.clone().unwrap_or_default(),
            slug: view.slug.clone(),
            name_nl: view.name_nl.clone(),
            name_en: view.name_en.clone(),
            description_nl: view.description_nl.clone().unwrap_or_default(),
            description_en: view.description_en.clone().unwrap_or_default(),
            is_public: view.is_public,
            is_sensitive: view.is_sensitive,
            handling_hours: view.handling_hours.map(|h| h.to_string()).unwrap_or_default(),
            default_department: view.default_department.clone().unwrap_or_default(),
            active: view.active,
            position: view.position.to_string(),
            questions,
        }
    }

    /// The form as posted; when changing a category, its `stored` slug and parent stay.
    pub fn read(fields: &[(String, String)], stored: Option<&CategoryView>) -> Self {
        let text = |name: &str| field(fields, name).map(str::trim).unwrap_or_default().to_owned();
        let ticked = |name: &str| field(fields, name).is_some();
        let questions = (0..MAX_ROWS)
            .filter(|i| field(fields, &format!("q{i}_key")).is_some())
            .map(|index| {
                let row = QuestionForm { index, ..QuestionForm::default() };
                QuestionForm {
                    key: text(&row.name("key")),
                    label_nl: text(&row.name("label_nl")),
                    label_en: text(&row.name("label_en")),
                    datatype: text(&row.name("datatype")),
                    required: ticked(&row.name("required")),
                    values: text(&row.name("values")),
                    remove: ticked(&row.name("remove")),
                    ..row
                }
            })
            .collect();
        CategoryForm {
            parent: stored.map(|s| s.parent.clone().unwrap_or_default()).unwrap_or_else(|| text("parent")),
            slug: stored.map(|s| s.slug.clone()).unwrap_or_else(|| text("slug")),
            name_nl: text("name_nl"),
            name_en: text("name_en"),
            description_nl: text("description_nl"),
            description_en: text("description_en"),
            is_public: ticked("is_public"),
            is_sensitive: ticked("is_sensitive"),
            handling_hours: text("handling_hours"),
            default_department: text("default_department"),
            active: ticked("active"),
            position: text("position"),
            questions,
        }
    }

    /// The API's request, or the reasons the form cannot be read (a number, a choice).
    pub fn input(&self, w: &CatalogueWords) -> Result<CategoryInput, Reasons> {
        let mut errors = Reasons::default();
        let mut number = |name: &str, value: &str| -> Option<i32> {
            if value.is_empty() {
                return None;
            }
            value.parse().map_err(|_| errors.push(Reason::ours(name, w.whole_number, w.lang))).ok()
        };
        let handling_hours = number("handling_hours", &self.handling_hours);
        let position = number("position", &self.position).unwrap_or_default();
        let questions: Vec<Question> = self
            .questions
            .iter()
            .filter(|q| !q.remove && !q.is_blank())
            .filter_map(|q| q.question(w, &mut errors))
            .collect();
        let optional = |value: &str| (!value.is_empty()).then(|| value.to_owned());
        let input = CategoryInput {
            parent: optional(&self.parent),
            slug: self.slug.clone(),
            name_nl: self.name_nl.clone(),
            name_en: self.name_en.clone(),
            description_nl: optional(&self.description_nl),
            description_en: optional(&self.description_en),
            is_public: self.is_public,
            is_sensitive: self.is_sensitive,
            handling_hours,
            default_department: optional(&self.default_department),
            questions,
            active: self.active,
            position,
        };
        if errors.is_empty() { Ok(input) } else { Err(errors) }
    }
}

/// A row of the category tree.
pub struct CategoryRow {
    pub id: String,
    pub slug: String,
    pub name: String,
    /// Whether it is a main category (its subcategories follow it).
    pub main: bool,
    pub department: String,
    pub handling_hours: Option<i32>,
    pub questions: usize,
    pub is_public: bool,
    pub active: bool,
}

fn name_in(lang: Lang, nl: &str, en: &str) -> String {
    match lang {
        Lang::Nl => nl.to_owned(),
        Lang::En => en.to_owned(),
    }
}

/// The tree: each main category followed by its subcategories, in the API's order.
pub fn tree_rows(views: &[CategoryView], snapshot: &Snapshot, lang: Lang, w: &CatalogueWords) -> Vec<CategoryRow> {
    let row = |view: &CategoryView| {
        let department =
            view.default_department.as_deref().map(|slug| match snapshot.catalog.department_by_slug(slug) {
                Some(d) if d.active => name_in(lang, &d.name_nl, &d.name_en),
                Some(d) => format!("{} ({})", name_in(lang, &d.name_nl, &d.name_en), w.inactive),
                None => slug.to_owned(),
            });
        CategoryRow {
            id: view.id.to_string(),
            slug: view.slug.clone(),
            name: name_in(lang, &view.name_nl, &view.name_en),
            main: view.parent.is_none(),
            department: department.unwrap_or_else(|| "–".to_owned()),
            handling_hours: view.handling_hours,
            questions: view.questions.len(),
            is_public: view.is_public,
            active: view.active,
        }
    };
    let mut rows = Vec::new();
    for main in views.iter().filter(|v| v.parent.is_none()) {
        rows.push(row(main));
        rows.extend(views.iter().filter(|v| v.parent.as_deref() == Some(main.slug.as_str())).map(row));
    }
    rows
}

/// The choices of the form's selects.
pub struct Options {
    /// The main categories (for a new subcategory's parent).
    pub parents: Vec<Choice>,
    /// Active departments, and the chosen one when it is not.
    pub departments: Vec<Choice>,
    /// The answer types.
    pub datatypes: Vec<Choice>,
}

impl Options {
    /// The choices in `lang`; `chosen` is the form's department.
    pub fn of(snapshot: &Snapshot, lang: Lang, w: &CatalogueWords, chosen: &str) -> Self {
        let catalog = &snapshot.catalog;
        Options {
            parents: catalog
                .main_categories()
                .map(|c| Choice { value: c.slug.clone(), label: name_in(lang, &c.name_nl, &c.name_en) })
                .collect(),
            departments: catalog
                .departments()
                .into_iter()
                .filter(|d| d.active || d.slug == chosen)
                .map(|d| {
                    let name = name_in(lang, &d.name_nl, &d.name_en);
                    let label = if d.active { name } else { format!("{name} ({})", w.inactive) };
                    Choice { value: d.slug.clone(), label }
                })
                .collect(),
            datatypes: ANSWER_TYPES
                .iter()
                .zip(w.q_datatypes)
                .map(|((code, _), label)| Choice { value: (*code).to_owned(), label: label.to_owned() })
                .collect(),
        }
    }
}
