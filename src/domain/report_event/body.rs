//! What a report event says on the wire (docs/api-guide.md#report-events): the event's own
//! data, fixed when it happened, and the body an endpoint receives, with the report as staff
//! see it when the event is sent.
//!
//! One set of types for what is stored, what is sent and what the OpenAPI document's
//! `webhooks` describe, so the three cannot differ.

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;
use uuid::Uuid;

use super::EventType;
use crate::domain::privacy::moderation::ModerationKind;
use crate::domain::report::{Location, ReportSource, RoutingReason};
use crate::domain::status::ReportStatus;

/// What an event itself says, one shape per event type.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum EventData {
    Created(CreatedData),
    StatusChanged(StatusChangedData),
    NoteAdded(NoteAddedData),
    Rerouted(ReroutedData),
    Merged(MergedData),
}

impl EventData {
    /// The event type this data belongs to.
    pub fn event_type(&self) -> EventType {
        match self {
            Self::Created(_) => EventType::Created,
            Self::StatusChanged(_) => EventType::StatusChanged,
            Self::NoteAdded(_) => EventType::NoteAdded,
            Self::Rerouted(_) => EventType::Rerouted,
            Self::Merged(_) => EventType::Merged,
        }
    }

    /// The data as stored with the event (and as the report's history has it).
    pub fn to_value(&self) -> Value {
        // These types serialize to JSON without fail (string keys, no floats out of range).
        serde_json::to_value(self).unwrap_or(Value::Null)
    }
}

/// `report.created`: the report as it was filed.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
#[schema(as = ReportCreatedData)]
pub struct CreatedData {
    /// Always `new`.
    pub status: ReportStatus,
    /// How it arrived.
    pub source: ReportSource,
}

/// How a resident asked to reopen a resolved report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ReopenVia {
    /// The satisfaction survey's answer.
    Survey,
    /// The reporter's follow link (the report page).
    FollowLink,
}

/// `report.status_changed`: from which status to which, with the public text.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
#[schema(as = ReportStatusChangedData)]
pub struct StatusChangedData {
    pub from: ReportStatus,
    pub to: ReportStatus,
    /// The public text that went with the change; null for a resident's request to reopen
    /// (their words are an internal note).
    #[schema(required = true)]
    pub text: Option<String>,
    /// Only on a resident's request to reopen (`to: reopen_requested`).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub via: Option<ReopenVia>,
}

/// `report.note_added`: a public note (internal notes are not events).
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
#[schema(as = ReportNoteAddedData)]
pub struct NoteAddedData {
    pub text: String,
}

/// One change of a re-routing, as the report's history records it.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
#[schema(as = ReportRerouteChange)]
pub struct RerouteChange {
    /// `category_changed`, `location_changed`, `department_overridden` or `rerouted`.
    #[schema(example = "department_overridden")]
    pub change: String,
    /// What changed, as in the report's history (from and to).
    #[schema(value_type = Object)]
    pub details: Value,
}

/// `report.rerouted`: its category, location or department changed.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
#[schema(as = ReportReroutedData)]
pub struct ReroutedData {
    pub changes: Vec<RerouteChange>,
}

/// A report named by id and reference.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
#[schema(as = ReportEventReportRef)]
pub struct ReportRef {
    pub id: Uuid,
    pub reference: String,
}

/// `report.merged`: the report was merged into another as a duplicate.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
#[schema(as = ReportMergedData)]
pub struct MergedData {
    pub into: ReportRef,
}

/// A category or department: its slug and names.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
#[schema(as = ReportEventNamed)]
pub struct Named {
    pub slug: String,
    pub name_nl: String,
    pub name_en: String,
}

/// The report's subcategory with its main category.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
#[schema(as = ReportEventCategory)]
pub struct EventCategory {
    pub slug: String,
    pub name_nl: String,
    pub name_en: String,
    /// The main category; null for a report filed on a main category.
    #[schema(required = true)]
    pub main: Option<Named>,
}

/// The report's CBS areas.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
#[schema(as = ReportEventArea)]
pub struct EventArea {
    /// The boundary year.
    pub year: i32,
    pub gemeente: String,
    #[schema(required = true)]
    pub wijk: Option<String>,
    #[schema(required = true)]
    pub buurt: Option<String>,
}

/// Why the report has its department.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
#[schema(as = ReportEventRouting)]
pub struct EventRouting {
    pub reason: RoutingReason,
    /// The rule that routed it, when a rule did.
    #[schema(required = true)]
    pub rule_id: Option<Uuid>,
    /// Whether staff fixed the department by hand (routing leaves it alone).
    pub department_locked: bool,
}

/// The reporter's contact, only to an endpoint allowed it.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
#[schema(as = ReportEventReporter)]
pub struct EventReporter {
    #[schema(required = true)]
    pub name: Option<String>,
    #[schema(required = true)]
    pub email: Option<String>,
    #[schema(required = true)]
    pub phone: Option<String>,
    /// Whether staff may contact them with questions.
    pub consent_to_contact: bool,
}

/// The report as staff see it when the event is sent, without history or notes.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
#[schema(as = ReportEventReport)]
pub struct EventReport {
    pub id: Uuid,
    pub reference: String,
    pub status: ReportStatus,
    /// `low`, `normal` or `high`.
    pub priority: String,
    /// Null only when the category was removed from the catalogue.
    #[schema(required = true)]
    pub category: Option<EventCategory>,
    /// The description as the reporter wrote it. In a delivery without the reporter's
    /// contact, e-mail addresses and phone numbers in it are replaced by a marker such as
    /// `[telefoonnummer verborgen]`, as on public pages.
    pub description: String,
    /// Whether an e-mail address or phone number was masked in `description` or `address`.
    pub personal_data_masked: bool,
    /// Whether staff hid or rewrote the public description.
    #[schema(required = true)]
    pub description_moderation: Option<ModerationKind>,
    /// The exact position.
    pub location: Location,
    /// The address the reporter gave, masked as `description`.
    #[schema(required = true)]
    pub address: Option<String>,
    #[schema(required = true)]
    pub area: Option<EventArea>,
    #[schema(required = true)]
    pub department: Option<Named>,
    pub routing: EventRouting,
    /// How it arrived (`api`, `open311`, `staff`, or `import` for a report of an earlier
    /// system's history).
    pub source: String,
    #[schema(required = true)]
    pub deadline_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Only for an endpoint registered with `include_reporter_contact`, while the report has
    /// a contact.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub reporter: Option<EventReporter>,
}

/// The JSON body of one delivery of a report event.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
#[schema(as = ReportEvent)]
pub struct EventBody {
    /// The event; the same id on a retry or replay.
    pub id: Uuid,
    #[serde(rename = "type")]
    pub event_type: EventType,
    pub occurred_at: DateTime<Utc>,
    /// Rises per endpoint and report in delivery order.
    pub delivery_id: i64,
    /// Whether an admin's replay sent it again.
    pub replay: bool,
    /// What the event itself says; its shape per type is in the webhook of that type.
    #[schema(value_type = Object)]
    pub data: Value,
    pub report: EventReport,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn event_data_is_stored_in_the_shape_the_documentation_gives() {
        let change = EventData::StatusChanged(StatusChangedData {
            from: ReportStatus::Resolved,
            to: ReportStatus::ReopenRequested,
            text: None,
            via: Some(ReopenVia::FollowLink),
        });
        assert_eq!(change.event_type(), EventType::StatusChanged);
        assert_eq!(
            change.to_value(),
            serde_json::json!({"from": "resolved", "to": "reopen_requested", "text": null, "via": "follow_link"})
        );
        let staff = EventData::StatusChanged(StatusChangedData {
            from: ReportStatus::New,
            to: ReportStatus::Accepted,
            text: Some("Opgepakt".into()),
            via: None,
        });
        assert_eq!(staff.to_value(), serde_json::json!({"from": "new", "to": "accepted", "text": "Opgepakt"}));
        let created = EventData::Created(CreatedData { status: ReportStatus::New, source: ReportSource::Open311 });
        assert_eq!(
            (created.event_type(), created.to_value()),
            (EventType::Created, serde_json::json!({"status": "new", "source": "open311"}))
        );
    }
}
