//! Reports: their status, priority and source, the location and reporter contact a
//! resident sends, and the validation of a new report.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use uuid::Uuid;

use super::category::{Catalog, Category, validate_answers};
use super::validation::{FieldError, FieldErrors, bounded_text, email_address, phone_number};

pub use super::status::ReportStatus;

/// Longest description a report may have, in characters.
pub const DESCRIPTION_MAX: usize = 5000;
/// Longest address text, in characters.
pub const ADDRESS_MAX: usize = 300;
/// Longest reporter name, in characters.
pub const NAME_MAX: usize = 200;
/// Longest media URL, in characters.
pub const MEDIA_URL_MAX: usize = 2000;

/// How a report reached the municipality.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ReportSource {
    /// The JSON API (the municipality's app or web form).
    Api,
    /// An Open311 GeoReport v2 client.
    Open311,
    /// Entered by staff (phone, counter).
    Staff,
    /// Imported from an earlier system's history.
    Import,
}

impl ReportSource {
    /// The stored and wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Api => "api",
            Self::Open311 => "open311",
            Self::Staff => "staff",
            Self::Import => "import",
        }
    }
}

/// A WGS84 position.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Location {
    /// Latitude in degrees, -90 to 90.
    pub lat: f64,
    /// Longitude in degrees, -180 to 180.
    pub lon: f64,
}

impl Location {
    /// Checks the coordinates; problems are recorded under `pointer`.
    pub fn parse(lat: f64, lon: f64, pointer: &str, errors: &mut FieldErrors) -> Option<Self> {
        let lat_ok = lat.is_finite() && (-90.0..=90.0).contains(&lat);
        let lon_ok = lon.is_finite() && (-180.0..=180.0).contains(&lon);
        if !lat_ok {
            errors.add(
                format!("{pointer}/lat"),
                format!("latitude {lat} is outside -90..90; send WGS84 degrees, e.g. 50.8882"),
            );
        }
        if !lon_ok {
            errors.add(
                format!("{pointer}/lon"),
                format!("longitude {lon} is outside -180..180; send WGS84 degrees, e.g. 5.9795"),
            );
        }
        (lat_ok && lon_ok).then_some(Self { lat, lon })
    }
}

/// How to reach the resident who filed a report. Personal data: stored apart from the
/// report and never shown in public output.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ReporterContact {
    /// Email address for confirmations and updates.
    pub email: Option<String>,
    /// Phone number, normalised.
    pub phone: Option<String>,
    pub name: Option<String>,
    /// Whether staff may contact the resident with questions.
    pub consent_to_contact: bool,
}

/// A new report as the resident sent it, before validation.
#[derive(Debug, Clone, Default)]
pub struct IntakeInput {
    /// Subcategory slug.
    pub category: String,
    /// What is wrong.
    pub description: String,
    pub lat: f64,
    pub lon: f64,
    /// Optional address text.
    pub address: Option<String>,
    /// Optional contact details as sent.
    pub reporter: Option<ContactInput>,
    /// Answers to the category's questions.
    pub answers: Map<String, Value>,
    /// Optional link to a photo (Open311 `media_url`).
    pub media_url: Option<String>,
    /// Language of the emails to the reporter.
    pub language: Language,
}

/// Contact details as the resident sent them, before validation.
#[derive(Debug, Clone, Default)]
pub struct ContactInput {
    pub email: Option<String>,
    pub phone: Option<String>,
    pub name: Option<String>,
    /// Whether staff may contact the resident.
    pub consent_to_contact: bool,
}

/// A validated new report.
#[derive(Debug, Clone)]
pub struct ValidIntake {
    /// The subcategory it is filed in.
    pub category: Category,
    /// Trimmed description.
    pub description: String,
    /// Where.
    pub location: Location,
    /// Trimmed address text.
    pub address: Option<String>,
    /// Contact, when any was given.
    pub reporter: Option<ReporterContact>,
    /// Checked answers.
    pub answers: Map<String, Value>,
    /// Checked media URL.
    pub media_url: Option<String>,
    /// Language of the emails to the reporter.
    pub language: Language,
}

/// Validates a new report against the catalog, reporting every problem at once.
pub fn validate_intake(input: &IntakeInput, catalog: &Catalog) -> Result<ValidIntake, Vec<FieldError>> {
    let mut errors = FieldErrors::default();
    let category = errors.check("/category", catalog.category_for_intake(input.category.trim()).cloned());
    let description =
        errors.check("/description", bounded_text(&input.description, "the description", DESCRIPTION_MAX));
    let location = Location::parse(input.lat, input.lon, "/location", &mut errors);
    let address = match &input.address {
        Some(text) if !text.trim().is_empty() => {
            errors.check("/address", bounded_text(text, "the address", ADDRESS_MAX)).map(Some)
        }
        _ => Some(None),
    };
    let reporter = match &input.reporter {
        None => Some(None),
        Some(ContactInput { email, phone, name, consent_to_contact: consent }) => {
            let email = non_empty(email).map(|e| errors.check("/reporter/email", email_address(e)));
            let phone = non_empty(phone).map(|p| errors.check("/reporter/phone", phone_number(p)));
            let name = non_empty(name).map(|n| errors.check("/reporter/name", bounded_text(n, "the name", NAME_MAX)));
            if *consent && email.is_none() && phone.is_none() {
                errors.add(
                    "/reporter/consent_to_contact",
                    "consent to be contacted needs an email address or a phone number",
                );
            }
            let contact = ReporterContact {
                email: email.flatten(),
                phone: phone.flatten(),
                name: name.flatten(),
                consent_to_contact: *consent,
            };
            Some((contact != ReporterContact::default()).then_some(contact))
        }
    };
    let answers = category.as_ref().map(|c| validate_answers(&c.questions, &input.answers, &mut errors));
    let media_url = match non_empty(&input.media_url) {
        None => Some(None),
        Some(url) => errors.check("/media_url", media_url(url)).map(Some),
    };
    errors.finish(|| {
        Some(ValidIntake {
            category: category?,
            description: description?,
            location: location?,
            address: address?,
            reporter: reporter?,
            answers: answers?,
            media_url: media_url?,
            language: input.language,
        })
    })
}

/// A media URL that is not http(s), holds white space or is too long.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("send an http(s) URL of at most {} characters, such as https://example.org/photo.jpg", MEDIA_URL_MAX)]
pub struct MediaUrlError;

/// Checks a media URL: http(s), no white space, at most [`MEDIA_URL_MAX`] characters.
fn media_url(text: &str) -> Result<String, MediaUrlError> {
    let url = text.trim();
    let scheme_ok = url.len() > 8 && (url.starts_with("https://") || url.starts_with("http://"));
    if scheme_ok && url.chars().count() <= MEDIA_URL_MAX && !url.contains(char::is_whitespace) {
        Ok(url.to_owned())
    } else {
        Err(MediaUrlError)
    }
}

fn non_empty(text: &Option<String>) -> Option<&str> {
    text.as_deref().filter(|t| !t.trim().is_empty())
}

/// The CBS areas a report lies in, with the boundary year they come from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AreaStamp {
    /// Municipality code (`GM…`).
    pub gemeente_code: String,
    /// District code (`WK…`), when known.
    pub wijk_code: Option<String>,
    /// Neighbourhood code (`BU…`), when known.
    pub buurt_code: Option<String>,
    /// Boundary year.
    pub year: i32,
}

impl AreaStamp {
    /// The codes, coarse to fine.
    pub fn codes(&self) -> Vec<&str> {
        let mut codes = vec![self.gemeente_code.as_str()];
        codes.extend(self.wijk_code.as_deref());
        codes.extend(self.buurt_code.as_deref());
        codes
    }
}

/// Why a report has its department.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RoutingReason {
    /// A routing rule matched.
    Rule,
    /// No rule matched: the category's default department.
    CategoryDefault,
    /// Staff chose the department; routing leaves it alone.
    Manual,
}

impl RoutingReason {
    /// The stored and wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Rule => "rule",
            Self::CategoryDefault => "category_default",
            Self::Manual => "manual",
        }
    }

    /// Parses the stored name (unknown names read as the category default).
    pub fn parse(text: &str) -> Self {
        match text {
            "rule" => Self::Rule,
            "manual" => Self::Manual,
            _ => Self::CategoryDefault,
        }
    }
}

/// Where a report goes: its areas and the routing decision.
#[derive(Debug, Clone, PartialEq)]
pub struct Placement {
    /// Its CBS areas.
    pub area: Option<AreaStamp>,
    /// The department.
    pub department_id: Option<Uuid>,
    /// The rule that chose the department.
    pub routing_rule_id: Option<Uuid>,
    /// Why this department.
    pub routing_reason: RoutingReason,
    /// Priority (`normal` unless a rule says otherwise).
    pub priority: String,
    /// Handling time in hours (the rule's, else the category's).
    pub handling_hours: Option<i32>,
}

/// A report ready to be stored: ids, reference, department and times decided.
#[derive(Debug, Clone)]
pub struct NewReport {
    /// UUIDv7 id.
    pub id: Uuid,
    /// Short public reference.
    pub reference: String,
    /// Subcategory id.
    pub category_id: Uuid,
    pub description: String,
    pub location: Location,
    /// Address text.
    pub address: Option<String>,
    /// How it arrived.
    pub source: ReportSource,
    /// Checked answers.
    pub answers: Map<String, Value>,
    /// The department that handles it.
    pub department_id: Option<Uuid>,
    /// When it is due.
    pub deadline_at: Option<DateTime<Utc>>,
    /// When it was received (also its last update).
    pub created_at: DateTime<Utc>,
    /// Contact, kept apart from the report.
    pub reporter: Option<ReporterContact>,
    /// Its CBS areas.
    pub area: Option<AreaStamp>,
    /// The rule that routed it.
    pub routing_rule_id: Option<Uuid>,
    /// Why it has its department.
    pub routing_reason: RoutingReason,
    pub priority: String,
    /// Link to a photo.
    pub media_url: Option<String>,
    /// Language of the emails to the reporter.
    pub language: Language,
}

impl NewReport {
    /// Turns a validated intake, placed in its areas and routed, into a storable report
    /// received `now`.
    pub fn from_intake(intake: ValidIntake, placement: Placement, source: ReportSource, now: DateTime<Utc>) -> Self {
        use chrono::SubsecRound;
        let now = now.trunc_subsecs(6);
        let deadline_at = placement.handling_hours.map(|hours| now + Duration::hours(i64::from(hours)));
        NewReport {
            id: Uuid::now_v7(),
            reference: super::reference::new_reference(),
            category_id: intake.category.id,
            description: intake.description,
            location: intake.location,
            address: intake.address,
            source,
            answers: intake.answers,
            department_id: placement.department_id,
            deadline_at,
            created_at: now,
            reporter: intake.reporter,
            area: placement.area,
            routing_rule_id: placement.routing_rule_id,
            routing_reason: placement.routing_reason,
            priority: placement.priority,
            media_url: intake.media_url,
            language: intake.language,
        }
    }
}

/// A stored report, as the storage layer hands it out (without the reporter's contact).
#[derive(Debug, Clone)]
pub struct Report {
    pub id: Uuid,
    /// Short public reference.
    pub reference: String,
    /// Subcategory id.
    pub category_id: Uuid,
    pub description: String,
    pub location: Location,
    /// Address text.
    pub address: Option<String>,
    pub status: ReportStatus,
    /// Priority (`low`, `normal`, `high`).
    pub priority: String,
    /// How it arrived.
    pub source: String,
    pub answers: Map<String, Value>,
    /// Handling department.
    pub department_id: Option<Uuid>,
    pub deadline_at: Option<DateTime<Utc>>,
    /// Received.
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Its CBS areas.
    pub area: Option<AreaStamp>,
    /// The rule that routed it.
    pub routing_rule_id: Option<Uuid>,
    /// Why it has its department.
    pub routing_reason: RoutingReason,
    /// Whether staff fixed the department by hand (routing leaves it alone).
    pub department_locked: bool,
    /// Link to a photo.
    pub media_url: Option<String>,
    /// How staff changed its public description, if at all (the original stays above).
    pub moderation: Option<crate::domain::privacy::moderation::Moderation>,
    /// While the resident's request to reopen waits for staff: when it is due.
    pub reopen_due_at: Option<DateTime<Utc>>,
}

impl From<NewReport> for Report {
    fn from(new: NewReport) -> Self {
        Report {
            id: new.id,
            reference: new.reference,
            category_id: new.category_id,
            description: new.description,
            location: new.location,
            address: new.address,
            status: ReportStatus::New,
            priority: new.priority,
            source: new.source.as_str().into(),
            answers: new.answers,
            department_id: new.department_id,
            deadline_at: new.deadline_at,
            created_at: new.created_at,
            updated_at: new.created_at,
            area: new.area,
            routing_rule_id: new.routing_rule_id,
            routing_reason: new.routing_reason,
            department_locked: false,
            media_url: new.media_url,
            moderation: None,
            reopen_due_at: None,
        }
    }
}

/// The language of emails to a resident.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Language {
    /// Dutch (the default).
    #[default]
    Nl,
    /// English.
    En,
}

impl Language {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Nl => "nl",
            Self::En => "en",
        }
    }

    /// Parses the stored name (anything unknown is Dutch).
    pub fn parse(text: &str) -> Self {
        if text == "en" { Self::En } else { Self::Nl }
    }
}
