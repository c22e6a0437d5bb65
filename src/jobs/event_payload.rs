//! The body of a report event as endpoints receive it, built when it is sent: the event's
//! own data (what happened) and the report as staff see it at that moment, without the
//! reporter's contact, and with e-mail addresses and phone numbers masked in what the
//! reporter typed, unless the delivery carries the contact (docs/api-guide.md#report-events).
//! The types are the domain's (`domain::report_event::body`), which the OpenAPI document's
//! `webhooks` describe.
//!
//! Built here, from domain types, rather than from the staff API's view: `jobs` may not
//! import `api`, and reading the report at send time means an erased contact, a moderated
//! description or a deleted report is never sent from a stale copy.

use crate::domain::category::Catalog;
use crate::domain::privacy::masking::{Kind, mask_only};
use crate::domain::report::Report;
use crate::domain::report_event::body::{
    EventArea, EventBody, EventCategory, EventReport, EventReporter, EventRouting, Named,
};
use crate::storage::event_deliveries::ClaimedEvent;
use crate::storage::triage::Contact;

fn named(slug: &str, name_nl: &str, name_en: &str) -> Named {
    Named { slug: slug.to_owned(), name_nl: name_nl.to_owned(), name_en: name_en.to_owned() }
}

/// What the reporter typed: as written when the delivery carries the reporter's contact
/// (allowed, audited), else with e-mail addresses and phone numbers masked: a phone number
/// in a description is the reporter's contact too. Licence plates and account numbers stay:
/// a report may be about them, and the receiver is the municipality's own system.
fn typed(text: &str, with_contact: bool) -> (String, bool) {
    if with_contact {
        return (text.to_owned(), false);
    }
    let masked = mask_only(text, &[Kind::Email, Kind::Phone]);
    (masked.text.into_owned(), masked.masked)
}

/// The report as the staff API shows it (description, exact location, areas, department
/// and routing), plus `reporter` when `contact` is given (the endpoint is allowed it and the
/// report has one).
fn report_body(report: &Report, catalog: &Catalog, contact: Option<&Contact>) -> EventReport {
    let with_contact = contact.is_some();
    let category = catalog.category(report.category_id).map(|c| EventCategory {
        slug: c.slug.clone(),
        name_nl: c.name_nl.clone(),
        name_en: c.name_en.clone(),
        main: c.parent_id.and_then(|id| catalog.category(id)).map(|m| named(&m.slug, &m.name_nl, &m.name_en)),
    });
    let department =
        report.department_id.and_then(|id| catalog.department(id)).map(|d| named(&d.slug, &d.name_nl, &d.name_en));
    let area = report.area.as_ref().map(|a| EventArea {
        year: a.year,
        gemeente: a.gemeente_code.clone(),
        wijk: a.wijk_code.clone(),
        buurt: a.buurt_code.clone(),
    });
    let (description, description_masked) = typed(&report.description, with_contact);
    let address = report.address.as_deref().map(|address| typed(address, with_contact));
    let address_masked = address.as_ref().is_some_and(|(_, masked)| *masked);
    EventReport {
        id: report.id,
        reference: report.reference.clone(),
        status: report.status,
        priority: report.priority.clone(),
        category,
        description,
        personal_data_masked: description_masked || address_masked,
        description_moderation: report.moderation.as_ref().map(|m| m.kind()),
        location: report.location,
        address: address.map(|(text, _)| text),
        area,
        department,
        routing: EventRouting {
            reason: report.routing_reason,
            rule_id: report.routing_rule_id,
            department_locked: report.department_locked,
        },
        source: report.source.clone(),
        deadline_at: report.deadline_at,
        created_at: report.created_at,
        updated_at: report.updated_at,
        reporter: contact.map(|contact| EventReporter {
            name: contact.name.clone(),
            email: contact.email.clone(),
            phone: contact.phone.clone(),
            consent_to_contact: contact.consent_to_contact,
        }),
    }
}

/// The JSON body of one delivery; `contact` is the reporter's contact read (and audited) for
/// it, when the endpoint is allowed it and the report has one.
pub fn body(
    event: &ClaimedEvent,
    report: &Report,
    catalog: &Catalog,
    contact: Option<&Contact>,
) -> Result<Vec<u8>, serde_json::Error> {
    serde_json::to_vec(&EventBody {
        id: event.event_id,
        event_type: event.event_type,
        occurred_at: event.occurred_at,
        delivery_id: event.delivery_id,
        replay: event.replay,
        data: event.data.clone(),
        report: report_body(report, catalog, contact),
    })
}
