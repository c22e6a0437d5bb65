//! Field-level validation results and the small checks shared by several inputs.

use serde::{Deserialize, Serialize};

/// One problem with one field of a request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct FieldError {
    /// Where the problem is, as a JSON Pointer into the request body (RFC 6901), e.g.
    /// `/location/lat`.
    pub pointer: String,
    /// What is wrong and what to send instead.
    pub detail: String,
}

/// Collects field errors so a client learns about every problem in one response.
#[derive(Debug, Default)]
pub struct FieldErrors(Vec<FieldError>);

impl FieldErrors {
    /// Records a problem at `pointer`.
    pub fn add(&mut self, pointer: impl Into<String>, detail: impl Into<String>) {
        self.0.push(FieldError { pointer: pointer.into(), detail: detail.into() });
    }

    /// How many problems are recorded.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether nothing is recorded.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Records the problem of a failed check, if any, and passes the value on.
    pub fn check<T, E: std::fmt::Display>(&mut self, pointer: &str, result: Result<T, E>) -> Option<T> {
        match result {
            Ok(value) => Some(value),
            Err(detail) => {
                self.add(pointer, detail.to_string());
                None
            }
        }
    }

    /// `Ok(value)` when nothing was recorded, otherwise every recorded problem.
    pub fn finish<T>(self, value: impl FnOnce() -> Option<T>) -> Result<T, Vec<FieldError>> {
        if self.0.is_empty() {
            value()
                .ok_or_else(|| vec![FieldError { pointer: String::new(), detail: "the request is incomplete".into() }])
        } else {
            Err(self.0)
        }
    }
}

/// Why a text is refused (`what` names the field, as the caller said it).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TextError {
    /// Nothing but white space.
    #[error("{what} must not be empty")]
    Empty { what: String },
    /// More than the most characters allowed.
    #[error("{what} is {length} characters long; send at most {max}")]
    TooLong { what: String, length: usize, max: usize },
    /// Control characters other than line breaks and tabs.
    #[error("{what} contains control characters; send plain text")]
    ControlCharacters { what: String },
}

/// Trims `text` and checks it holds between 1 and `max` characters.
pub fn bounded_text(text: &str, what: &str, max: usize) -> Result<String, TextError> {
    let trimmed = text.trim();
    let length = trimmed.chars().count();
    if length == 0 {
        Err(TextError::Empty { what: what.to_owned() })
    } else if length > max {
        Err(TextError::TooLong { what: what.to_owned(), length, max })
    } else if trimmed.chars().any(|c| c.is_control() && c != '\n' && c != '\r' && c != '\t') {
        Err(TextError::ControlCharacters { what: what.to_owned() })
    } else {
        Ok(trimmed.to_owned())
    }
}

/// What every email address error ends with.
const EMAIL_HINT: &str = "send an email address such as name@example.nl";

/// Why an email address is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EmailError {
    /// Longer than 254 characters.
    #[error("the email address is longer than 254 characters; {}", EMAIL_HINT)]
    TooLong,
    #[error("the email address has no @; {}", EMAIL_HINT)]
    NoAt,
    /// A local part or domain that mail systems do not accept.
    #[error("'{0}' is not a valid email address; {hint}", hint = EMAIL_HINT)]
    Invalid(String),
}

/// Checks an email address the way mail systems accept them in practice: one `@`, a local
/// part of at most 64 characters without spaces, and a domain with at least one dot.
pub fn email_address(text: &str) -> Result<String, EmailError> {
    let email = text.trim();
    if email.len() > 254 {
        return Err(EmailError::TooLong);
    }
    let Some((local, domain)) = email.split_once('@') else {
        return Err(EmailError::NoAt);
    };
    let local_ok = !local.is_empty()
        && local.len() <= 64
        && !local.starts_with('.')
        && !local.ends_with('.')
        && !local.contains("..")
        && local.chars().all(|c| c.is_alphanumeric() || "!#$%&'*+-/=?^_`{|}~.".contains(c));
    let labels: Vec<&str> = domain.split('.').collect();
    let domain_ok = labels.len() >= 2
        && labels.iter().all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label.chars().all(|c| c.is_alphanumeric() || c == '-')
        });
    if local_ok && domain_ok { Ok(email.to_owned()) } else { Err(EmailError::Invalid(email.to_owned())) }
}

/// What every phone number error ends with.
const PHONE_HINT: &str = "send 8 to 15 digits, optionally starting with +, e.g. +31 45 560 0000";

/// Why a phone number is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PhoneError {
    /// A character that is neither a digit, a leading `+` nor a usual separator.
    #[error("the phone number contains '{0}'; {hint}", hint = PHONE_HINT)]
    Character(char),
    /// Fewer than 8 or more than 15 digits.
    #[error("the phone number has {0} digits; {hint}", hint = PHONE_HINT)]
    Digits(usize),
}

/// Checks a phone number: digits with optional leading `+` and the usual separators
/// (space, `-`, `.`, parentheses), 8 to 15 digits in all (E.164 allows at most 15).
/// Returns it with separators removed, e.g. `+31455600000`.
pub fn phone_number(text: &str) -> Result<String, PhoneError> {
    let phone = text.trim();
    let mut normalised = String::with_capacity(phone.len());
    for (index, c) in phone.chars().enumerate() {
        match c {
            '0'..='9' => normalised.push(c),
            '+' if index == 0 => normalised.push(c),
            ' ' | '-' | '.' | '(' | ')' => {}
            _ => return Err(PhoneError::Character(c)),
        }
    }
    let digits = normalised.chars().filter(char::is_ascii_digit).count();
    if (8..=15).contains(&digits) { Ok(normalised) } else { Err(PhoneError::Digits(digits)) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn common_email_addresses_are_accepted_and_broken_ones_refused() {
        assert!(email_address("jan.de-vries+meldpunt@heerlen.nl").is_ok());
        assert!(email_address("a@b.co").is_ok());
        for bad in ["", "jan", "jan@", "@heerlen.nl", "jan@heerlen", "jan de@heerlen.nl", "jan@@x.nl", "jan..x@y.nl"] {
            assert!(email_address(bad).is_err(), "{bad} should be refused");
        }
    }

    #[test]
    fn phone_numbers_are_normalised_and_checked_for_length() {
        assert_eq!(phone_number("+31 (0)45 560-0000").as_deref(), Ok("+310455600000"));
        assert_eq!(phone_number("045 560 0000").as_deref(), Ok("0455600000"));
        assert!(phone_number("12345").is_err());
        assert!(phone_number("call me").is_err());
        assert!(phone_number("1234567890123456").is_err());
    }

    #[test]
    fn the_errors_read_as_residents_are_told_them() {
        let message = |result: Result<String, EmailError>| result.err().map(|e| e.to_string()).unwrap_or_default();
        assert_eq!(
            message(email_address("jan")),
            "the email address has no @; send an email address such as name@example.nl"
        );
        assert_eq!(
            message(email_address("jan@x")),
            "'jan@x' is not a valid email address; send an email address such as name@example.nl"
        );
        assert_eq!(
            phone_number("call").err().map(|e| e.to_string()).unwrap_or_default(),
            "the phone number contains 'c'; send 8 to 15 digits, optionally starting with +, e.g. +31 45 560 0000"
        );
        assert_eq!(
            bounded_text("ëëë", "the name", 2).err().map(|e| e.to_string()).unwrap_or_default(),
            "the name is 3 characters long; send at most 2"
        );
    }

    #[test]
    fn bounded_text_trims_and_measures_characters_not_bytes() {
        assert_eq!(bounded_text("  ëë  ", "x", 2).as_deref(), Ok("ëë"));
        assert!(bounded_text("   ", "x", 2).is_err());
        assert!(bounded_text("ëëë", "x", 2).is_err());
        assert!(bounded_text("a\u{0}b", "x", 5).is_err());
    }
}
