//! The body of a report event as endpoints receive it, built when it is sent: the event's
//! own data (what happened) and the report as staff see it at that moment, without the
//! reporter's contact unless the endpoint is allowed it (docs/api-guide.md#report-events).
//!
//! Built here, from domain types, rather than from the staff API's view: `jobs` may not
//! import `api`, and reading the report at send time means an erased contact, a moderated
//! description or a deleted report is never sent from a stale copy.

use serde_json::{Value, json};

use crate::domain::category::Catalog;
use crate::domain::report::Report;
use crate::storage::event_deliveries::ClaimedEvent;
use crate::storage::triage::Contact;

fn named(slug: &str, name_nl: &str, name_en: &str) -> Value {
    json!({"slug": slug, "name_nl": name_nl, "name_en": name_en})
}

/// The report as the staff API shows it (original description, exact location, areas,
/// department and routing), plus `reporter` when `contact` is given.
fn report_body(report: &Report, catalog: &Catalog, contact: Option<&Contact>) -> Value {
    let category = catalog.category(report.category_id).map(|c| {
        let main = c.parent_id.and_then(|id| catalog.category(id)).map(|m| named(&m.slug, &m.name_nl, &m.name_en));
        let mut value = named(&c.slug, &c.name_nl, &c.name_en);
        if let Some(object) = value.as_object_mut() {
            object.insert("main".into(), main.unwrap_or(Value::Null));
        }
        value
    });
    let department =
        report.department_id.and_then(|id| catalog.department(id)).map(|d| named(&d.slug, &d.name_nl, &d.name_en));
    let area = report
        .area
        .as_ref()
        .map(|a| json!({"year": a.year, "gemeente": a.gemeente_code, "wijk": a.wijk_code, "buurt": a.buurt_code}));
    let mut body = json!({
        "id": report.id,
        "reference": report.reference,
        "status": report.status,
        "priority": report.priority,
        "category": category,
        "description": report.description,
        "description_moderation": report.moderation.as_ref().map(|m| m.kind()),
        "location": {"lat": report.location.lat, "lon": report.location.lon},
        "address": report.address,
        "area": area,
        "department": department,
        "routing": {
            "reason": report.routing_reason,
            "rule_id": report.routing_rule_id,
            "department_locked": report.department_locked,
        },
        "source": report.source,
        "deadline_at": report.deadline_at,
        "created_at": report.created_at,
        "updated_at": report.updated_at,
    });
    if let (Some(contact), Some(object)) = (contact, body.as_object_mut()) {
        object.insert(
            "reporter".into(),
            json!({
                "name": contact.name,
                "email": contact.email,
                "phone": contact.phone,
                "consent_to_contact": contact.consent_to_contact,
            }),
        );
    }
    body
}

/// The JSON body of one delivery.
pub fn body(event: &ClaimedEvent, report: &Report, catalog: &Catalog, contact: Option<&Contact>) -> Vec<u8> {
    json!({
        "id": event.event_id,
        "type": event.event_type.as_str(),
        "occurred_at": event.occurred_at,
        "delivery_id": event.delivery_id,
        "replay": event.replay,
        "data": event.data,
        "report": report_body(report, catalog, contact),
    })
    .to_string()
    .into_bytes()
}
