//! The document's `webhooks` (OpenAPI 3.1): what meldpunt POSTs to receivers it was given,
//! report events to admins' endpoints and messages to subscribers' webhooks. The bodies are
//! the domain's types (`domain::report_event::body`, `domain::subscription::webhook_body`),
//! so the description is the code's.

use utoipa::openapi::path::{HttpMethod, OperationBuilder, Parameter, ParameterBuilder, ParameterIn, PathItem};
use utoipa::openapi::request_body::RequestBodyBuilder;
use utoipa::openapi::schema::{AllOfBuilder, ObjectBuilder, Type};
use utoipa::openapi::{ContentBuilder, PathsBuilder, Ref, RefOr, Required, Response, Schema};

use crate::domain::report_event::EventType;

/// The signature header of every webhook POST.
fn signature() -> Parameter {
    ParameterBuilder::new()
        .name("Meldpunt-Signature")
        .parameter_in(ParameterIn::Header)
        .required(Required::True)
        .description(Some(
            "`t=<unix seconds>,v1=<hex HMAC-SHA256>` over `\"<t>.<raw body>\"` with the secret shown at \
             registration; while a secret is rotated, one `v1` per secret. Compare in constant time and \
             refuse an old `t`.",
        ))
        .schema(Some(ObjectBuilder::new().schema_type(Type::String)))
        .build()
}

/// One webhook: a signed JSON POST with `body`.
fn hook(id: &str, tag: &str, summary: &str, description: &str, body: RefOr<Schema>, answer: &str) -> PathItem {
    let request = RequestBodyBuilder::new()
        .content("application/json", ContentBuilder::new().schema(Some(body)).build())
        .required(Some(Required::True))
        .build();
    PathItem::new(
        HttpMethod::Post,
        OperationBuilder::new()
            .operation_id(Some(id))
            .tag(tag)
            .summary(Some(summary))
            .description(Some(description))
            .parameter(signature())
            .request_body(Some(request))
            .response("2XX", Response::new(answer)),
    )
}

/// A report event of one type: the common body with its `type` and the shape of its `data`.
fn report_event(event_type: EventType, data: &str) -> RefOr<Schema> {
    AllOfBuilder::new()
        .item(Ref::from_schema_name("ReportEvent"))
        .item(
            ObjectBuilder::new()
                .property(
                    "type",
                    ObjectBuilder::new().schema_type(Type::String).enum_values(Some([event_type.as_str()])),
                )
                .property("data", Ref::from_schema_name(data))
                .required("type")
                .required("data"),
        )
        .into()
}

const EVENT_ANSWER: &str = "Received. Any other answer, or none within 10 s, is retried with backoff until \
    `outbox_max_attempts`; later events of the same report wait for this one (docs/api-guide.md, Report events).";

const SUBSCRIBER_ANSWER: &str = "Received. Any other answer is retried with backoff until `outbox_max_attempts`.";

/// Adds `webhooks` to the document.
pub struct Webhooks;

impl utoipa::Modify for Webhooks {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let events = [
            (
                EventType::Created,
                "ReportCreatedData",
                "A report was filed (API, Open311 or staff; not history imports)",
            ),
            (EventType::StatusChanged, "ReportStatusChangedData", "A report's status changed"),
            (EventType::NoteAdded, "ReportNoteAddedData", "Staff added a public note"),
            (EventType::Rerouted, "ReportReroutedData", "A report's category, location or department changed"),
            (EventType::Merged, "ReportMergedData", "A report was merged into another as a duplicate"),
        ];
        let mut paths = PathsBuilder::new();
        for (event_type, data, summary) in events {
            let name = event_type.as_str();
            paths = paths.path(
                name,
                hook(
                    name,
                    "admin",
                    summary,
                    "Sent to every active report-event endpoint whose filter lets it through, signed with the \
                     endpoint's secret. `report` is the staff view when the event is sent, with `reporter` only \
                     for an endpoint allowed the contact.",
                    report_event(event_type, data),
                    EVENT_ANSWER,
                ),
            );
        }
        let subscriber = [
            (
                "subscription.challenge",
                "A new webhook subscription's challenge",
                "The first POST to a new webhook: the subscription is active once the answer's body is the \
                 challenge, plain or as `{\"challenge\": \"…\"}`.",
                "SubscriberChallenge",
                "The challenge echoed in the body.",
            ),
            (
                "subscription.announcement",
                "An announcement for the subscriber's area",
                "A published announcement that matches the subscription's areas and tags, with its quick \
                 question's one-tap answer links.",
                "SubscriberAnnouncement",
                SUBSCRIBER_ANSWER,
            ),
            (
                "subscription.report",
                "A new report in the subscriber's area",
                "For subscriptions with report categories: a new public report in one of their areas.",
                "SubscriberReportAlert",
                SUBSCRIBER_ANSWER,
            ),
        ];
        for (name, summary, description, schema, answer) in subscriber {
            paths = paths.path(
                name,
                hook(name, "subscriptions", summary, description, Ref::from_schema_name(schema).into(), answer),
            );
        }
        openapi.webhooks = Some(paths.build());
    }
}
