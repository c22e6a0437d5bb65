//! Masking personal data in what residents type before it is published: e-mail addresses,
//! phone numbers (Dutch and international), Dutch licence plates (sidecodes 1 to 14) and
//! IBANs are replaced by a marker that says what was there, e.g. `[telefoonnummer
//! verborgen]`, so a reader still understands the sentence ("bel me op [telefoonnummer
//! verborgen]") without learning the number. The original stays for staff.
//!
//! The patterns err on the side of the resident where a number could be personal, but leave
//! alone what a report needs to be understood: house numbers (`Akerstraat 12`), dates
//! (`12-03-2025`, `2025-03-12`), times, lamp-post numbers (`mast 45-123`, `lichtmast nr.
//! 091712`), postcodes (`6411 AB`, `6411AB`) and amounts. Names are not recognised: a name
//! is only caught by moderation (see [`super::moderation`]).

use std::borrow::Cow;
use std::sync::LazyLock;

use regex::{Captures, Regex};

/// What kind of personal data a marker stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// An e-mail address.
    Email,
    /// An IBAN (bank account number).
    Iban,
    /// A phone number.
    Phone,
    /// A Dutch licence plate.
    LicencePlate,
}

impl Kind {
    /// The marker that replaces it in public text.
    pub fn marker(self) -> &'static str {
        match self {
            Kind::Email => "[e-mailadres verborgen]",
            Kind::Iban => "[IBAN verborgen]",
            Kind::Phone => "[telefoonnummer verborgen]",
            Kind::LicencePlate => "[kenteken verborgen]",
        }
    }
}

/// Text as the public may see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Masked<'a> {
    /// The text with every recognised piece of personal data replaced by its marker.
    pub text: Cow<'a, str>,
    /// Whether anything was replaced.
    pub masked: bool,
}

/// One pattern: what it finds, and a check that a match really is personal data.
struct Rule {
    kind: Kind,
    pattern: Regex,
    accept: fn(&str) -> bool,
}

/// Separators residents put between the groups of a phone number: a space, a (non-breaking)
/// space, a dash, a dot or a slash. Never a line break: two numbers on two lines are two.
const SEP: &str = r"[ \u{00A0}\-./]";

/// The sidecodes of Dutch licence plates (RDW), as groups of letters (`L`) and digits (`D`).
const SIDECODES: [[(char, usize); 3]; 14] = [
    [('L', 2), ('D', 2), ('D', 2)], // 1: XX-99-99
    [('D', 2), ('D', 2), ('L', 2)], // 2: 99-99-XX
    [('D', 2), ('L', 2), ('D', 2)], // 3: 99-XX-99
    [('L', 2), ('D', 2), ('L', 2)], // 4: XX-99-XX
    [('L', 2), ('L', 2), ('D', 2)], // 5: XX-XX-99
    [('D', 2), ('L', 2), ('L', 2)], // 6: 99-XX-XX
    [('D', 2), ('L', 3), ('D', 1)], // 7: 99-XXX-9
    [('D', 1), ('L', 3), ('D', 2)], // 8: 9-XXX-99
    [('L', 2), ('D', 3), ('L', 1)], // 9: XX-999-X
    [('L', 1), ('D', 3), ('L', 2)], // 10: X-999-XX
    [('L', 3), ('D', 2), ('L', 1)], // 11: XXX-99-X
    [('L', 1), ('D', 2), ('L', 3)], // 12: X-99-XXX
    [('D', 1), ('L', 2), ('D', 3)], // 13: 9-XX-999
    [('D', 3), ('L', 2), ('D', 1)], // 14: 999-XX-9
];

/// A plate pattern: with dashes in any case (`xk-123-b`); with spaces or without
/// separators only in capitals (`XK 123 B`, `XK123B`), where lower case would catch words.
/// Sidecode 2 without dashes is left alone: `6411AB` is a postcode.
fn plate_pattern() -> String {
    let group = |(kind, count): (char, usize), case_insensitive: bool| match (kind, case_insensitive) {
        ('D', _) => format!(r"\d{{{count}}}"),
        (_, true) => format!("[A-Za-z]{{{count}}}"),
        _ => format!("[A-Z]{{{count}}}"),
    };
    let mut alternatives = Vec::new();
    for (index, code) in SIDECODES.iter().enumerate() {
        let [a, b, c] = *code;
        alternatives.push(format!("{}-{}-{}", group(a, true), group(b, true), group(c, true)));
        alternatives.push(format!("{} {} {}", group(a, false), group(b, false), group(c, false)));
        if index != 1 {
            alternatives.push(format!("{}{}{}", group(a, false), group(b, false), group(c, false)));
        }
    }
    format!(r"\b(?:{})\b", alternatives.join("|"))
}

fn always(_: &str) -> bool {
    true
}

/// A Dutch number written like a date (`03-12-2025 12`) is a date followed by a number.
fn not_a_date(found: &str) -> bool {
    static DATE: LazyLock<Option<Regex>> =
        LazyLock::new(|| Regex::new(r"^\d{1,2}[-./]\d{1,2}[-./](?:\d{4}|\d{2})\b").ok());
    !DATE.as_ref().is_some_and(|date| date.is_match(found))
}

/// An international number has 8 to 15 digits (ITU-T E.164) after its `+` or `00`.
fn international_length(found: &str) -> bool {
    let digits = found.trim_start_matches('+').chars().filter(char::is_ascii_digit).count();
    let digits = if found.starts_with("00") { digits.saturating_sub(2) } else { digits };
    (8..=15).contains(&digits)
}

/// An IBAN whose check digits are right (ISO 13616, mod 97), or one shaped like a Dutch IBAN
/// (a typo in a bank account is still personal).
fn iban(found: &str) -> bool {
    let compact: String = found.chars().filter(|c| !c.is_whitespace()).collect::<String>().to_ascii_uppercase();
    let dutch_shape = compact.len() == 18
        && compact.starts_with("NL")
        && compact.chars().skip(4).take(4).all(|c| c.is_ascii_alphabetic())
        && compact.chars().skip(8).all(|c| c.is_ascii_digit());
    dutch_shape || mod97(&compact) == Some(1)
}

fn mod97(compact: &str) -> Option<u32> {
    let rearranged = compact.chars().skip(4).chain(compact.chars().take(4));
    let mut remainder: u32 = 0;
    for c in rearranged {
        let value = c.to_digit(36)?;
        remainder = if value >= 10 { (remainder * 100 + value) % 97 } else { (remainder * 10 + value) % 97 };
    }
    Some(remainder)
}

/// A rule before compiling: kind, pattern, check.
type RuleSource = (Kind, String, fn(&str) -> bool);

fn rules() -> Vec<RuleSource> {
    vec![
        // E-mail addresses, also mistyped ones with a double `@`.
        (Kind::Email, r"[\w.%+\-]+@+[\w\-]+(?:\.[\w\-]+)*\.[A-Za-z]{2,}\b".into(), always),
        // IBANs: compact or in groups of four, country code in capitals; or all in lower case.
        (
            Kind::Iban,
            r"\b(?:[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?|[a-z]{2}\d{2}[a-z0-9]{11,30})\b".into(),
            iban,
        ),
        // Dutch numbers internationally: +31 6 12345678, 0031 45 5551234, +31 (0)45-5551234.
        (Kind::Phone, format!(r"(?:\+|\b00){SEP}?31{SEP}?(?:\(0\){SEP}?)?\(?[1-9]\)?(?:{SEP}?\d){{8}}\b"), always),
        // Other international numbers: +32 2 123 45 67, 0049 30 1234567.
        (Kind::Phone, format!(r"(?:\+|\b00)[1-9](?:{SEP}?\(?\d\)?){{7,16}}\b"), international_length),
        // Area code in brackets, ten digits in all: (06) 12345678, (045) 555 12 34,
        // (0475) 123456.
        (
            Kind::Phone,
            [(1, 7), (2, 6), (3, 5)]
                .map(|(area, rest)| format!(r"\(0\d{{{area}}}\){SEP}?(?:\d{SEP}?){{{rest}}}\d\b"))
                .join("|"),
            always,
        ),
        // Dutch numbers: ten digits from a 0, in any grouping: 0612345678, 06-12345678,
        // 045-5551234, 045 555 12 34.
        (Kind::Phone, format!(r"\b0[1-9](?:{SEP}?\d){{8}}\b"), not_a_date),
        (Kind::LicencePlate, plate_pattern(), always),
    ]
}

/// The rules, compiled once. A pattern that does not compile is a bug that every test of this
/// module shows (`every_pattern_compiles`); in production it would leave that rule out.
static RULES: LazyLock<Vec<Rule>> = LazyLock::new(|| {
    rules()
        .into_iter()
        .filter_map(|(kind, pattern, accept)| Regex::new(&pattern).ok().map(|pattern| Rule { kind, pattern, accept }))
        .collect()
});

/// `text` with every recognised e-mail address, IBAN, phone number and licence plate
/// replaced by its marker ([`Kind::marker`]).
pub fn mask(text: &str) -> Masked<'_> {
    mask_only(text, &[Kind::Email, Kind::Iban, Kind::Phone, Kind::LicencePlate])
}

/// `text` with what `kinds` names replaced by its marker, the rest left as written (the
/// municipality's own systems get licence plates and account numbers a report is about,
/// but not a way to reach the reporter).
pub fn mask_only<'a>(text: &'a str, kinds: &[Kind]) -> Masked<'a> {
    let mut current: Cow<'_, str> = Cow::Borrowed(text);
    let mut masked = false;
    for rule in RULES.iter().filter(|rule| kinds.contains(&rule.kind)) {
        let replaced = rule.pattern.replace_all(&current, |found: &Captures<'_>| {
            let whole = found.get(0).map_or("", |m| m.as_str());
            if (rule.accept)(whole) {
                masked = true;
                rule.kind.marker().to_owned()
            } else {
                whole.to_owned()
            }
        });
        if let Cow::Owned(changed) = replaced {
            current = Cow::Owned(changed);
        }
    }
    Masked { text: current, masked }
}

#[cfg(test)]
#[path = "masking_cases.rs"]
mod cases;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_pattern_compiles() {
        for (_, pattern, _) in rules() {
            assert!(Regex::new(&pattern).is_ok(), "{pattern}");
        }
        assert_eq!(RULES.len(), rules().len());
    }

    #[test]
    fn text_without_personal_data_is_borrowed_unchanged() {
        let masked = mask("De lantaarnpaal voor nummer 12 is al drie dagen uit.");
        assert!(matches!(masked.text, Cow::Borrowed(_)) && !masked.masked);
    }

    #[test]
    fn iban_check_digits_are_checked() {
        assert!(iban("DE89370400440532013000"));
        assert!(!iban("DE00370400440532013000"));
        assert!(iban("NL00ABNA0417164300"), "Dutch shape, even with wrong check digits");
    }
}
