//! Why a console form was refused: one [`Reason`] per problem, with the form field it
//! belongs to and the language of its text, and the [`Reasons`] of one page. The console
//! shows its own reasons in the page's language, and the API's reasons (its field errors
//! and problem details) as the API words them: in English. So every page renders a reason
//! on an element that says its language (`lang`, WCAG 2.1 3.1.2 "Language of Parts"), with
//! the macros of `templates/console/reasons.html`.

use actix_web::http::StatusCode;

use super::Lang;
use crate::api::error::ApiError;
use crate::domain::validation::FieldError;

/// The language the API words its reasons in.
pub const API_LANG: Lang = Lang::En;

/// One reason a form was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reason {
    /// The form field it belongs to (its element's id); `""`: the form as a whole.
    pub field: String,
    /// What is wrong, one sentence.
    pub text: String,
    /// The language `text` is in.
    pub lang: Lang,
}

impl Reason {
    /// A reason in the console's own words, in `lang` (the page's language).
    pub fn ours(field: &str, text: impl Into<String>, lang: Lang) -> Self {
        Reason { field: field.to_owned(), text: text.into(), lang }
    }

    /// A reason as the API words it (in [`API_LANG`]).
    pub fn api(field: &str, text: impl Into<String>) -> Self {
        Reason { field: field.to_owned(), text: text.into(), lang: API_LANG }
    }

    /// The BCP 47 tag of its language, for `lang="…"`.
    pub fn lang_code(&self) -> &'static str {
        self.lang.tag()
    }
}

/// The reasons a page shows, in the order they were found.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Reasons(Vec<Reason>);

impl From<Reason> for Reasons {
    fn from(reason: Reason) -> Self {
        Reasons(vec![reason])
    }
}

impl FromIterator<Reason> for Reasons {
    fn from_iter<I: IntoIterator<Item = Reason>>(reasons: I) -> Self {
        Reasons(reasons.into_iter().collect())
    }
}

impl Extend<Reason> for Reasons {
    fn extend<I: IntoIterator<Item = Reason>>(&mut self, reasons: I) {
        self.0.extend(reasons);
    }
}

impl IntoIterator for Reasons {
    type Item = Reason;
    type IntoIter = std::vec::IntoIter<Reason>;

    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

impl Reasons {
    /// Adds one reason.
    pub fn push(&mut self, reason: Reason) {
        self.0.push(reason);
    }

    /// The API's field errors, each at the form field `field_of` names for its JSON
    /// pointer (`""`: the form as a whole).
    pub fn from_api(errors: Vec<FieldError>, field_of: impl Fn(&str) -> String) -> Self {
        errors.into_iter().map(|e| Reason::api(&field_of(&e.pointer), e.detail)).collect()
    }

    /// The reasons for field `name`.
    pub fn of(&self, name: &str) -> Vec<&Reason> {
        self.0.iter().filter(|r| r.field == name).collect()
    }

    /// Whether field `name` has a reason.
    pub fn has(&self, name: &str) -> bool {
        self.0.iter().any(|r| r.field == name)
    }

    /// The ids of the elements that show the reasons of field `name`: `name-error`, then
    /// `name-error-2`, … (the `field` macro of `templates/console/reasons.html`).
    pub fn ids(&self, name: &str) -> Vec<String> {
        (1..=self.of(name).len())
            .map(|n| if n == 1 { format!("{name}-error") } else { format!("{name}-error-{n}") })
            .collect()
    }

    /// `aria-describedby` of field `name`: its hint (when `hint`) and its reasons, if any.
    pub fn described(&self, name: &str, hint: bool) -> String {
        let mut ids = Vec::new();
        if hint {
            ids.push(format!("{name}-hint"));
        }
        ids.extend(self.ids(name));
        ids.join(" ")
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Every reason.
    pub fn all(&self) -> &[Reason] {
        &self.0
    }
}

/// The first segment of a JSON pointer (`/departments/2` → `departments`).
pub fn first_segment(pointer: &str) -> &str {
    pointer.trim_start_matches('/').split('/').next().unwrap_or_default()
}

/// The API's reasons by form field: each reason's JSON pointer, first segment, is the
/// field's name (`/name_nl` → `name_nl`); `known` lists the fields the form has, anything
/// else goes to the form as a whole.
pub fn by_field(errors: Vec<FieldError>, known: &[&str]) -> Reasons {
    Reasons::from_api(errors, known_field(known))
}

/// The field of a pointer's first segment when `known` lists it, else `""`.
fn known_field<'a>(known: &'a [&'a str]) -> impl Fn(&str) -> String + 'a {
    move |pointer| {
        let first = first_segment(pointer);
        if known.contains(&first) { first.to_owned() } else { String::new() }
    }
}

/// What a refused save answers: the status and the API's reasons: 422 for invalid fields
/// (at the field `field_of` names for each pointer) or a place outside the service area,
/// 409 for a conflict (both at `other_field`); any other error is passed on.
pub fn refusal_by(
    error: ApiError,
    field_of: impl Fn(&str) -> String,
    other_field: &str,
) -> Result<(StatusCode, Reasons), ApiError> {
    match error {
        ApiError::Validation(errors) => Ok((StatusCode::UNPROCESSABLE_ENTITY, Reasons::from_api(errors, field_of))),
        ApiError::OutsideServiceArea(why) => {
            Ok((StatusCode::UNPROCESSABLE_ENTITY, Reason::api(other_field, why).into()))
        }
        ApiError::Conflict(why) => Ok((StatusCode::CONFLICT, Reason::api(other_field, why).into())),
        other => Err(other),
    }
}

/// [`refusal_by`] with the fields of [`by_field`]: `known` fields by pointer, a conflict at
/// `conflict_field`.
pub fn refusal(error: ApiError, known: &[&str], conflict_field: &str) -> Result<(StatusCode, Reasons), ApiError> {
    refusal_by(error, known_field(known), conflict_field)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn api_error(pointer: &str, detail: &str) -> FieldError {
        FieldError { pointer: pointer.to_owned(), detail: detail.to_owned() }
    }

    #[test]
    fn the_api_reasons_are_english_and_go_to_the_field_their_pointer_names() {
        let reasons = by_field(vec![api_error("/name_nl", "is empty"), api_error("/elsewhere/1", "no")], &["name_nl"]);
        assert_eq!(reasons.of("name_nl"), [&Reason::api("name_nl", "is empty")]);
        assert_eq!(reasons.of(""), [&Reason::api("", "no")]);
        assert!(reasons.all().iter().all(|r| r.lang_code() == "en"));
    }

    #[test]
    fn the_consoles_own_reasons_keep_the_pages_language() {
        let reason = Reason::ours("position", "vul een heel getal in", Lang::Nl);
        assert_eq!(reason.lang_code(), "nl");
    }

    #[test]
    fn a_field_with_two_reasons_is_described_by_both_and_its_hint() {
        let reasons: Reasons =
            [Reason::ours("year", "een jaar", Lang::Nl), Reason::api("year", "out of range")].into_iter().collect();
        assert_eq!(reasons.described("year", true), "year-hint year-error year-error-2");
        assert_eq!(reasons.described("level", false), "");
        assert!(reasons.has("year") && !reasons.has("level"));
    }

    #[test]
    fn a_conflict_goes_to_its_field_and_other_errors_pass_on() {
        let (status, reasons) = refusal(ApiError::Conflict("taken".into()), &[], "slug").unwrap();
        assert_eq!(status, StatusCode::CONFLICT);
        assert_eq!(reasons.of("slug"), [&Reason::api("slug", "taken")]);
        assert!(refusal(ApiError::NotFound("gone".into()), &[], "slug").is_err());
    }
}
