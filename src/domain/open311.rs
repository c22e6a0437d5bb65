//! Open311 GeoReport v2 rules that need no HTTP: the open/closed status mapping, W3C
//! datetimes, answers from form-encoded `attribute[...]` fields, and which report history
//! entries are public updates (status changes and public notes, per the history contract).

use super::category::{AnswerType, Question, pointer_escape};
use super::report::ReportStatus;
use super::validation::FieldErrors;
use super::workflow::HistoryEntry;
use chrono::{DateTime, Utc};
use serde_json::{Map, Number, Value};

/// The Open311 status of a report: `closed` once resolved or cancelled, else `open` (also
/// `reopen_requested`: the resident asked to reopen it and staff have yet to decide).
pub fn open311_status(status: ReportStatus) -> &'static str {
    match status {
        ReportStatus::Resolved | ReportStatus::Cancelled => "closed",
        _ => "open",
    }
}

/// The workflow statuses an Open311 status (`open` or `closed`) stands for.
pub fn statuses_for(open311: &str) -> Option<Vec<ReportStatus>> {
    let all = [
        ReportStatus::New,
        ReportStatus::Accepted,
        ReportStatus::InProgress,
        ReportStatus::OnHold,
        ReportStatus::Scheduled,
        ReportStatus::Resolved,
        ReportStatus::Cancelled,
        ReportStatus::Reopened,
        ReportStatus::ReopenRequested,
    ];
    let wanted = open311.trim().to_ascii_lowercase();
    if wanted != "open" && wanted != "closed" {
        return None;
    }
    Some(all.into_iter().filter(|s| open311_status(*s) == wanted).collect())
}

/// An instant as a W3C datetime with the Dutch offset, e.g. `2026-11-25T13:45:00+01:00`.
pub fn w3c(at: DateTime<Utc>) -> String {
    at.with_timezone(&chrono_tz::Europe::Amsterdam).to_rfc3339_opts(chrono::SecondsFormat::Secs, false)
}

/// Parses a W3C datetime (`2026-11-25T13:45:00+01:00`, `...Z`, or a date `2026-11-25` as
/// midnight UTC).
pub fn parse_w3c(text: &str) -> Option<DateTime<Utc>> {
    let text = text.trim();
    if let Ok(at) = DateTime::parse_from_rfc3339(text) {
        return Some(at.with_timezone(&Utc));
    }
    chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d").ok().and_then(|d| d.and_hms_opt(0, 0, 0)).map(|t| t.and_utc())
}

/// One `attribute[code]` (or `attribute[code][]`) form field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttributeField {
    /// The attribute (question) code.
    pub code: String,
    /// The value as sent.
    pub value: String,
}

/// Reads a form field name: `attribute[code]` or `attribute[code][]` give the code.
pub fn attribute_code(name: &str) -> Option<&str> {
    let inner = name.strip_prefix("attribute[")?;
    let inner = inner.strip_suffix("[]").unwrap_or(inner);
    let code = inner.strip_suffix(']')?;
    (!code.is_empty() && !code.contains(['[', ']'])).then_some(code)
}

/// Turns form attribute fields into answers of the JSON shape intake validates: numbers for
/// `number`, arrays for `multivaluelist` (from repeated fields or `code[]`), strings
/// otherwise. Values that cannot be converted are recorded under `/answers/CODE`; unknown
/// codes are passed through so intake names them.
pub fn answers_from_form(
    questions: &[Question],
    fields: &[AttributeField],
    errors: &mut FieldErrors,
) -> Map<String, Value> {
    let mut answers = Map::new();
    for field in fields {
        let question = questions.iter().find(|q| q.key == field.code);
        let datatype = question.map(|q| q.datatype).unwrap_or(AnswerType::String);
        let value = field.value.trim();
        match datatype {
            AnswerType::Multivaluelist => {
                let entry = answers.entry(field.code.clone()).or_insert_with(|| Value::Array(Vec::new()));
                if let Value::Array(list) = entry
                    && !value.is_empty()
                {
                    list.push(Value::String(value.to_owned()));
                }
            }
            AnswerType::Number => {
                if value.is_empty() {
                    continue;
                }
                match value.parse::<f64>().ok().and_then(Number::from_f64) {
                    Some(number) => {
                        let number = match value.parse::<i64>() {
                            Ok(whole) => Number::from(whole),
                            Err(_) => number,
                        };
                        answers.insert(field.code.clone(), Value::Number(number));
                    }
                    None => errors.add(
                        format!("/answers/{}", pointer_escape(&field.code)),
                        format!("'{value}' is not a number; send digits such as 2 or 3.5"),
                    ),
                }
            }
            _ => {
                if value.is_empty() {
                    continue;
                }
                if answers.contains_key(&field.code) {
                    errors.add(
                        format!("/answers/{}", pointer_escape(&field.code)),
                        format!("'{}' takes one value; send the attribute once", field.code),
                    );
                } else {
                    answers.insert(field.code.clone(), Value::String(value.to_owned()));
                }
            }
        }
    }
    answers
}

/// The Open311 field name for a JSON Pointer of the intake validation, so error
/// descriptions name what an Open311 client sent.
pub fn field_name(pointer: &str) -> String {
    if let Some(key) = pointer.strip_prefix("/answers/") {
        return format!("attribute[{}]", key.replace("~1", "/").replace("~0", "~"));
    }
    match pointer {
        "/category" => "service_code".into(),
        "/location/lat" => "lat".into(),
        "/location/lon" => "long".into(),
        "/location" => "lat/long".into(),
        "/address" => "address_string".into(),
        "/media_url" => "media_url".into(),
        "/reporter/email" => "email".into(),
        "/reporter/phone" => "phone".into(),
        "/reporter/name" => "first_name/last_name".into(),
        other => other.trim_start_matches('/').to_owned(),
    }
}

/// What the public may learn from a history entry.
#[derive(Debug, Clone, PartialEq)]
pub struct PublicUpdate {
    /// The status the report got, when the entry set one.
    pub status: Option<ReportStatus>,
    /// The public message, when there is one.
    pub text: Option<String>,
}

/// The public side of a history entry: `created` (status new), `status_changed` (its new
/// status and public text) and public `note`s; `None` for anything else (internal notes,
/// routing, assignments).
pub fn public_update(entry: &HistoryEntry) -> Option<PublicUpdate> {
    let text = || {
        entry.details.get("text").and_then(Value::as_str).map(str::trim).filter(|t| !t.is_empty()).map(str::to_owned)
    };
    match entry.action.as_str() {
        "created" => Some(PublicUpdate { status: Some(ReportStatus::New), text: None }),
        "status_changed" => Some(PublicUpdate {
            status: entry.details.get("to").and_then(Value::as_str).and_then(ReportStatus::parse),
            text: text(),
        }),
        "note" if entry.details.get("visibility").and_then(Value::as_str) == Some("public") => {
            Some(PublicUpdate { status: None, text: Some(text()?) })
        }
        _ => None,
    }
}

/// A page of at most `size` public updates, in the order their history entries were
/// recorded, starting after the entry `after`. `fetch(after, limit)` gives up to `limit`
/// history entries (with whatever belongs to them) whose ids are above `after`, ascending.
/// Entries that are not public (internal notes) are skipped and more are fetched in their
/// place, so a page shorter than `size` means there is nothing more to page.
pub fn page_of_updates<R, E>(
    size: usize,
    mut after: Option<i64>,
    mut fetch: impl FnMut(Option<i64>, usize) -> Result<Vec<(HistoryEntry, R)>, E>,
) -> Result<Vec<(HistoryEntry, PublicUpdate, R)>, E> {
    let mut page = Vec::new();
    while page.len() < size {
        let wanted = size - page.len();
        let batch = fetch(after, wanted)?;
        let last_batch = batch.len() < wanted;
        for (entry, related) in batch {
            after = Some(entry.id);
            if let Some(update) = public_update(&entry) {
                page.push((entry, update, related));
            }
        }
        if last_batch {
            break;
        }
    }
    Ok(page)
}

/// The latest public status note of a report among its history entries (in any order).
pub fn status_notes(entries: &[HistoryEntry]) -> Option<String> {
    entries
        .iter()
        .filter_map(|entry| public_update(entry).and_then(|u| u.text).map(|text| (entry.id, text)))
        .max_by_key(|(id, _)| *id)
        .map(|(_, text)| text)
}

#[cfg(test)]
mod tests {
    use uuid::Uuid;

    use super::*;
    use crate::domain::category::QuestionOption;

    fn entry(id: i64, action: &str, details: Value) -> HistoryEntry {
        HistoryEntry {
            id,
            report_id: Uuid::nil(),
            at: Utc::now(),
            actor: "system".into(),
            action: action.into(),
            details,
        }
    }

    fn question(key: &str, datatype: AnswerType) -> Question {
        Question {
            key: key.into(),
            label_nl: key.into(),
            label_en: key.into(),
            datatype,
            required: false,
            values: vec![QuestionOption { key: "a".into(), name_nl: "A".into(), name_en: "A".into() }],
        }
    }

    #[test]
    fn resolved_and_cancelled_are_closed_and_everything_else_is_open() {
        assert_eq!(open311_status(ReportStatus::Resolved), "closed");
        assert_eq!(open311_status(ReportStatus::Cancelled), "closed");
        assert_eq!(open311_status(ReportStatus::Reopened), "open");
        assert_eq!(open311_status(ReportStatus::ReopenRequested), "open");
        assert!(statuses_for("open").is_some_and(|s| s.contains(&ReportStatus::ReopenRequested)));
        assert_eq!(open311_status(ReportStatus::New), "open");
        assert_eq!(statuses_for("CLOSED"), Some(vec![ReportStatus::Resolved, ReportStatus::Cancelled]));
        assert_eq!(statuses_for("open").map(|s| s.len()), Some(7));
        assert_eq!(statuses_for("pending"), None);
    }

    #[test]
    fn datetimes_are_w3c_with_the_dutch_offset() {
        let at = DateTime::parse_from_rfc3339("2026-11-25T12:00:00Z").map(|t| t.with_timezone(&Utc)).ok();
        assert_eq!(at.map(w3c).as_deref(), Some("2026-11-25T13:00:00+01:00"));
        assert_eq!(parse_w3c("2026-11-25T13:00:00+01:00"), at);
        assert!(parse_w3c("2026-11-25").is_some());
        assert!(parse_w3c("yesterday").is_none());
    }

    #[test]
    fn attribute_field_names_give_their_code() {
        assert_eq!(attribute_code("attribute[soort]"), Some("soort"));
        assert_eq!(attribute_code("attribute[soort][]"), Some("soort"));
        assert_eq!(attribute_code("attribute[]"), None);
        assert_eq!(attribute_code("attributes[x]"), None);
        assert_eq!(attribute_code("attribute[a][b]"), None);
    }

    #[test]
    fn form_attributes_become_typed_answers() {
        let questions = vec![question("n", AnswerType::Number), question("m", AnswerType::Multivaluelist)];
        let field = |code: &str, value: &str| AttributeField { code: code.into(), value: value.into() };
        let mut errors = FieldErrors::default();
        let answers = answers_from_form(
            &questions,
            &[field("n", "3"), field("m", "a"), field("m", "b"), field("x", "y")],
            &mut errors,
        );
        assert!(errors.is_empty());
        assert_eq!(Value::Object(answers), serde_json::json!({"n": 3, "m": ["a", "b"], "x": "y"}));
        let mut errors = FieldErrors::default();
        answers_from_form(&questions, &[field("n", "drie")], &mut errors);
        assert_eq!(errors.len(), 1);
    }

    #[test]
    fn only_status_changes_and_public_notes_are_public_updates() {
        let created = entry(1, "created", serde_json::json!({"status": "new"}));
        let changed =
            entry(2, "status_changed", serde_json::json!({"from": "new", "to": "resolved", "text": "Gerepareerd"}));
        let internal = entry(3, "note", serde_json::json!({"visibility": "internal", "text": "geheim"}));
        let public = entry(4, "note", serde_json::json!({"visibility": "public", "text": "Morgen komt de ploeg"}));
        let routed = entry(5, "rerouted", serde_json::json!({"from_department": "a", "to_department": "b"}));
        assert_eq!(public_update(&created), Some(PublicUpdate { status: Some(ReportStatus::New), text: None }));
        assert_eq!(
            public_update(&changed),
            Some(PublicUpdate { status: Some(ReportStatus::Resolved), text: Some("Gerepareerd".into()) })
        );
        assert_eq!(public_update(&internal), None);
        assert_eq!(public_update(&routed), None);
        assert_eq!(
            status_notes(&[public.clone(), changed.clone(), internal.clone()]).as_deref(),
            Some("Morgen komt de ploeg")
        );
        assert_eq!(status_notes(&[changed, internal]).as_deref(), Some("Gerepareerd"));
        assert_eq!(status_notes(&[created]), None);
    }

    #[test]
    fn a_page_of_updates_skips_internal_notes_and_fills_up_from_later_entries() {
        let history: Vec<HistoryEntry> = (1..=7)
            .map(|id| {
                let visibility = if id % 2 == 0 { "internal" } else { "public" };
                entry(id, "note", serde_json::json!({"visibility": visibility, "text": format!("noot {id}")}))
            })
            .collect();
        let fetch = |after: Option<i64>, limit: usize| -> Result<Vec<(HistoryEntry, ())>, ()> {
            Ok(history.iter().filter(|e| after.is_none_or(|a| e.id > a)).take(limit).map(|e| (e.clone(), ())).collect())
        };
        let ids =
            |page: Vec<(HistoryEntry, PublicUpdate, ())>| page.into_iter().map(|(e, _, _)| e.id).collect::<Vec<_>>();
        assert_eq!(page_of_updates(2, None, fetch).map(ids), Ok(vec![1, 3]));
        assert_eq!(page_of_updates(2, Some(3), fetch).map(ids), Ok(vec![5, 7]));
        assert_eq!(page_of_updates(2, Some(7), fetch).map(ids), Ok(vec![]));
        assert_eq!(page_of_updates(10, Some(4), fetch).map(ids), Ok(vec![5, 7]));
    }

    #[test]
    fn intake_pointers_are_named_as_open311_fields() {
        assert_eq!(field_name("/answers/soort"), "attribute[soort]");
        assert_eq!(field_name("/category"), "service_code");
        assert_eq!(field_name("/location/lon"), "long");
    }
}
