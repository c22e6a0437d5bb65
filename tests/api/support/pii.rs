//! Recognising personal data in a log line: generic patterns for what a resident or a staff
//! member types (e-mail addresses, phone numbers, IBANs, Dutch licence plates) plus the
//! names and free text the tests seed, which no pattern can recognise.
//!
//! Written for log lines, not for what residents type (that is `domain::privacy::masking`,
//! deliberately not reused here: a scanner that shares the code under test shares its
//! blind spots). A log line is full of things that look like numbers and are not personal:
//! uuids (request ids, report ids, test database names), RFC 3339 timestamps with
//! fractional seconds, references such as `K7QM-3XRD`, ports, counts, durations, CBS area
//! codes such as `BU09171000` and `postgres://postgres@127.0.0.1:5432/...`. The patterns are
//! tuned so none of those match (see the self-tests in `privacy::logs`):
//!
//! - e-mail: `local@domain.tld` with any number of `@` (so `bad@@example.nl` counts) or a
//!   percent-encoded `%40`; the domain must end in a dot and two or more letters, so
//!   `postgres@127.0.0.1` and JSON-LD's `@id` do not match.
//! - phone: `+` and a country code followed by 7-14 digits, `0031` and 8-10 digits, or a
//!   Dutch national number (`0` and nine digits, the first two together, single spaces,
//!   dashes or dots between the rest: `0698765432`, `06-12345678`, `045 560 1234`), never
//!   right after a letter, digit, `_`, `-` or `.` nor right before a letter or digit (so
//!   not inside a uuid, a hex name or a fraction of a second).
//! - IBAN: a country code of [`IBAN_LENGTHS`], two check digits and that country's number
//!   of capitals or digits (spaces allowed), passing the ISO 13616 mod-97 check; a Dutch
//!   IBAN shape (`NL`, 2 digits, 4 letters, 10 digits) counts even with a wrong check.
//! - licence plate: the fourteen Dutch sidecodes with dashes (`XK-123-B`, `12-ABC-3`), in
//!   capitals, as a word on its own.
//! - seeded: the names and other free text the tests put into reports, accounts and
//!   subscriptions ([`SEEDED`]); grep the tests for new ones when adding a test.

use std::sync::LazyLock;

use regex::Regex;

/// The kind of personal data a piece of a line is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Email,
    Phone,
    Iban,
    LicencePlate,
    Seeded,
}

impl Kind {
    /// What replaces the piece when a line is shown.
    pub fn marker(self) -> &'static str {
        match self {
            Kind::Email => "[EMAIL]",
            Kind::Phone => "[PHONE]",
            Kind::Iban => "[IBAN]",
            Kind::LicencePlate => "[LICENCE-PLATE]",
            Kind::Seeded => "[SEEDED-NAME]",
        }
    }
}

/// One piece of personal data found in a line: its kind and byte range.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub kind: Kind,
    pub start: usize,
    pub end: usize,
}

/// Names and other free text the tests seed that no pattern recognises.
pub const SEEDED: [&str; 20] = [
    "Piet Klaassen",
    "Klaassen",
    "Piet Geheim",
    "Gerda Geheim",
    "geheim-adres",
    "Anna de Vries",
    "Jan Jansen",
    "Pietje Puk",
    "Opendata Olaf",
    "Stientje Statistiek",
    "Erik Wisserman",
    "Dashboard Daan",
    "Buurman Bakker",
    "Kees Lampen",
    "Marieke Peters",
    "p.pietersen",
    "m.peters",
    "pietje.puk",
    "geheim.adres",
    "NL91ABNA",
];

static EMAIL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"[A-Za-z0-9._%+\-]*(?:@+|%40)[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}").unwrap()
});
static INTERNATIONAL_PHONE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?:\+|\b00)[1-9]\d{0,2}(?:[ \-.]?\d){7,14}").unwrap());
static NATIONAL_PHONE: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"0\d(?:[ \-.]?\d){8}").unwrap());
static IBAN: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"[A-Z]{2}\d{2}(?: ?[A-Z0-9]){11,30}").unwrap());
static DUTCH_IBAN: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"NL\d{2} ?[A-Z]{4}(?: ?\d){10}").unwrap());
static PLATE: LazyLock<Regex> = LazyLock::new(|| {
    // Letters (L) and digits (D) per group, sidecodes 1 to 14 of the RDW.
    const SIDECODES: [[(char, usize); 3]; 14] = [
        [('L', 2), ('D', 2), ('D', 2)],
        [('D', 2), ('D', 2), ('L', 2)],
        [('D', 2), ('L', 2), ('D', 2)],
        [('L', 2), ('D', 2), ('L', 2)],
        [('L', 2), ('L', 2), ('D', 2)],
        [('D', 2), ('L', 2), ('L', 2)],
        [('D', 2), ('L', 3), ('D', 1)],
        [('D', 1), ('L', 3), ('D', 2)],
        [('L', 2), ('D', 3), ('L', 1)],
        [('L', 1), ('D', 3), ('L', 2)],
        [('L', 3), ('D', 2), ('L', 1)],
        [('L', 1), ('D', 2), ('L', 3)],
        [('D', 1), ('L', 2), ('D', 3)],
        [('D', 3), ('L', 2), ('D', 1)],
    ];
    let shapes: Vec<String> = SIDECODES
        .iter()
        .map(|groups| {
            let parts: Vec<String> = groups
                .iter()
                .map(|(class, n)| format!("{}{{{n}}}", if *class == 'L' { "[A-Z]" } else { r"\d" }))
                .collect();
            parts.join("-")
        })
        .collect();
    Regex::new(&format!("(?:{})", shapes.join("|"))).unwrap()
});

/// Ids that are random hex in dash-separated groups: uuids (request ids, report ids) and the
/// console's setup code (`0A1B-2C3D-4E5F-6789`). Their digit runs can take the shape of a
/// phone number (`00244872-9640-4530-…`), so they are blanked before the patterns run.
static HEX_IDS: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\b[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\b|\b[0-9A-F]{4}(?:-[0-9A-F]{4}){3}\b")
        .unwrap()
});

/// Every piece of personal data in `line`, in order, overlaps merged away.
pub fn scan(line: &str) -> Vec<Finding> {
    // Same length, ASCII for ASCII: the byte ranges found below are the line's own.
    let blanked = HEX_IDS.replace_all(line, |id: &regex::Captures<'_>| "x".repeat(id.get(0).map_or(0, |m| m.len())));
    let line: &str = &blanked;
    let mut found = Vec::new();
    for m in EMAIL.find_iter(line) {
        found.push(Finding { kind: Kind::Email, start: m.start(), end: m.end() });
    }
    for m in INTERNATIONAL_PHONE.find_iter(line) {
        if standalone(line, m.start(), m.end()) {
            found.push(Finding { kind: Kind::Phone, start: m.start(), end: m.end() });
        }
    }
    for m in NATIONAL_PHONE.find_iter(line) {
        if standalone(line, m.start(), m.end()) {
            found.push(Finding { kind: Kind::Phone, start: m.start(), end: m.end() });
        }
    }
    for m in IBAN.find_iter(line) {
        if word_boundary_before(line, m.start()) && valid_iban_prefix(m.as_str()) {
            found.push(Finding { kind: Kind::Iban, start: m.start(), end: m.end() });
        }
    }
    for m in DUTCH_IBAN.find_iter(line) {
        if word_boundary_before(line, m.start()) {
            found.push(Finding { kind: Kind::Iban, start: m.start(), end: m.end() });
        }
    }
    for m in PLATE.find_iter(line) {
        if word_boundary_before(line, m.start()) && !continues_word(line, m.end()) {
            found.push(Finding { kind: Kind::LicencePlate, start: m.start(), end: m.end() });
        }
    }
    for seeded in SEEDED {
        for (start, _) in line.match_indices(seeded) {
            found.push(Finding { kind: Kind::Seeded, start, end: start + seeded.len() });
        }
    }
    found.sort_by_key(|f| (f.start, std::cmp::Reverse(f.end)));
    let mut merged: Vec<Finding> = Vec::new();
    for finding in found {
        match merged.last_mut() {
            Some(last) if finding.start < last.end => last.end = last.end.max(finding.end),
            _ => merged.push(finding),
        }
    }
    merged
}

/// `line` with every piece of personal data replaced by its kind's marker.
pub fn redact(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut at = 0;
    for finding in scan(line) {
        out.push_str(&line[at..finding.start]);
        out.push_str(finding.kind.marker());
        at = finding.end;
    }
    out.push_str(&line[at..]);
    out
}

/// A number stands on its own: not glued to a word, a hex run, a dash-joined id or a
/// decimal fraction before it, nor to a letter or digit after it.
fn standalone(line: &str, start: usize, end: usize) -> bool {
    let before = line[..start].chars().next_back();
    let after = line[end..].chars().next();
    !before.is_some_and(|c| c.is_alphanumeric() || matches!(c, '_' | '-' | '.'))
        && !after.is_some_and(|c| c.is_alphanumeric() || c == '_')
}

fn word_boundary_before(line: &str, start: usize) -> bool {
    !line[..start].chars().next_back().is_some_and(|c| c.is_alphanumeric() || c == '_')
}

fn continues_word(line: &str, end: usize) -> bool {
    let mut rest = line[end..].chars();
    match rest.next() {
        Some(c) if c.is_alphanumeric() || c == '_' => true,
        // `XK-123-B-7f3a`: part of a longer dash-joined token.
        Some('-') => rest.next().is_some_and(char::is_alphanumeric),
        _ => false,
    }
}

/// IBAN lengths of the countries residents here are likely to bank in (SEPA's larger
/// members and neighbours). A country code outside it is not taken for an IBAN, which keeps
/// CBS area codes (`BU09171000 WK091710`) and other capitals-and-digits runs out.
const IBAN_LENGTHS: [(&str, usize); 20] = [
    ("NL", 18),
    ("BE", 16),
    ("DE", 22),
    ("LU", 20),
    ("FR", 27),
    ("GB", 22),
    ("IE", 22),
    ("ES", 24),
    ("PT", 25),
    ("IT", 27),
    ("AT", 20),
    ("CH", 21),
    ("PL", 28),
    ("DK", 18),
    ("SE", 24),
    ("NO", 15),
    ("FI", 18),
    ("CZ", 24),
    ("TR", 26),
    ("MA", 28),
];

/// Whether `candidate` starts with an IBAN of a known country with a correct ISO 13616
/// check (spaces ignored).
fn valid_iban_prefix(candidate: &str) -> bool {
    let symbols: Vec<char> = candidate.chars().filter(|c| *c != ' ').collect();
    let country: String = symbols.iter().take(2).collect();
    IBAN_LENGTHS
        .iter()
        .find(|(code, _)| *code == country)
        .is_some_and(|(_, len)| symbols.len() >= *len && mod97(&symbols[..*len]) == Some(1))
}

fn mod97(symbols: &[char]) -> Option<u32> {
    let (head, tail) = symbols.split_at(4);
    let mut remainder = 0u32;
    for c in tail.iter().chain(head) {
        let value = c.to_digit(36)?;
        remainder = if value < 10 { (remainder * 10 + value) % 97 } else { (remainder * 100 + value) % 97 };
    }
    Some(remainder)
}
