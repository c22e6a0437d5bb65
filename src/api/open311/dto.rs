//! The GeoReport v2 documents (their JSON form; the XML form is derived from it), built
//! from domain types. A request document has no field for reporter contact details.

use serde::Serialize;

use crate::domain::category::{AnswerType, Catalog, Category, Question};
use crate::domain::open311::{open311_status, w3c};
use crate::domain::privacy::moderation::public_text;
use crate::domain::privacy::{Audience, disclose};
use crate::domain::report::Report;

/// A service: one subcategory residents can report in.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ServiceDoc {
    /// The subcategory slug.
    #[schema(example = "straatverlichting-openbare-klok")]
    pub service_code: String,
    /// Its (Dutch) name.
    pub service_name: String,
    /// What it is for (main category and English name).
    pub description: String,
    /// Whether it has a service definition with attributes to answer.
    pub metadata: bool,
    /// Always `realtime`: requests are stored when posted.
    #[serde(rename = "type")]
    #[schema(example = "realtime")]
    pub service_type: String,
    /// Comma-separated keywords.
    pub keywords: String,
    /// The main category's name.
    pub group: String,
}

impl ServiceDoc {
    /// The service of a subcategory.
    pub fn build(category: &Category, catalog: &Catalog) -> Self {
        let main = category.parent_id.and_then(|id| catalog.category(id));
        ServiceDoc {
            service_code: category.slug.clone(),
            service_name: category.name_nl.clone(),
            description: match main {
                Some(main) => format!("{} – {} ({})", main.name_nl, category.name_nl, category.name_en),
                None => format!("{} ({})", category.name_nl, category.name_en),
            },
            metadata: !category.questions.is_empty(),
            service_type: "realtime".into(),
            keywords: [main.map(|m| m.slug.as_str()), Some(category.slug.as_str())]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join(","),
            group: main.map(|m| m.name_nl.clone()).unwrap_or_default(),
        }
    }
}

/// A service definition: the attributes a service asks for.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ServiceDefinitionDoc {
    /// The service.
    pub service_code: String,
    /// Its attributes in order.
    pub attributes: Vec<AttributeDoc>,
}

/// One attribute (question) of a service.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct AttributeDoc {
    /// Always `true`: the resident answers it.
    pub variable: bool,
    /// The attribute's code, as in `attribute[code]`.
    pub code: String,
    /// `string`, `number`, `datetime`, `text`, `singlevaluelist` or `multivaluelist`.
    pub datatype: AnswerType,
    /// Whether a request must answer it.
    pub required: bool,
    /// How to send the value.
    pub datatype_description: String,
    /// Position, from 1.
    pub order: u32,
    /// The question (Dutch, then English).
    pub description: String,
    /// The options of a list attribute (empty otherwise).
    pub values: Vec<ValueDoc>,
}

/// One option of a list attribute.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ValueDoc {
    /// What to send.
    pub key: String,
    /// The option's (Dutch) name.
    pub name: String,
}

impl ServiceDefinitionDoc {
    /// The definition of a subcategory.
    pub fn build(category: &Category) -> Self {
        ServiceDefinitionDoc {
            service_code: category.slug.clone(),
            attributes: (1u32..).zip(&category.questions).map(|(order, q)| AttributeDoc::build(q, order)).collect(),
        }
    }
}

impl AttributeDoc {
    fn build(question: &Question, order: u32) -> Self {
        let datatype_description = match question.datatype {
            AnswerType::String => "A line of text, at most 200 characters",
            AnswerType::Number => "A number such as 2 or 3.5",
            AnswerType::Datetime => "A W3C datetime such as 2026-11-25T14:30:00+01:00",
            AnswerType::Text => "Free text, at most 2000 characters",
            AnswerType::Singlevaluelist => "One key from values",
            AnswerType::Multivaluelist => "One or more keys from values, each as attribute[code][]=key",
        };
        AttributeDoc {
            variable: true,
            code: question.key.clone(),
            datatype: question.datatype,
            required: question.required,
            datatype_description: datatype_description.into(),
            order,
            description: format!("{} / {}", question.label_nl, question.label_en),
            values: question.values.iter().map(|v| ValueDoc { key: v.key.clone(), name: v.name_nl.clone() }).collect(),
        }
    }
}

/// A service request as the public sees it. Never contains the reporter's contact details;
/// text and location are withheld or coarsened as for the JSON API.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct RequestDoc {
    /// The request's id: its public reference.
    #[schema(example = "K7QM-3XRD")]
    pub service_request_id: String,
    /// `open` or `closed` (resolved or cancelled).
    #[schema(example = "open")]
    pub status: String,
    /// The latest public message about its handling.
    pub status_notes: Option<String>,
    /// The service's name.
    pub service_name: String,
    /// The service code.
    pub service_code: String,
    /// What is wrong (`null` when withheld or hidden by a moderator): e-mail addresses,
    /// phone numbers, licence plates and IBANs replaced by markers such as
    /// `[telefoonnummer verborgen]`, or the municipality's rewritten text.
    pub description: Option<String>,
    /// The department that handles it.
    pub agency_responsible: Option<String>,
    /// Information about the handling.
    pub service_notice: Option<String>,
    /// When it was received (W3C, with offset).
    pub requested_datetime: String,
    /// When it last changed (W3C, with offset).
    pub updated_datetime: String,
    /// When the municipality aims to have handled it (W3C, with offset).
    pub expected_datetime: Option<String>,
    /// Address text (masked like the description).
    pub address: Option<String>,
    /// Not used.
    pub address_id: Option<String>,
    /// Not used.
    pub zipcode: Option<String>,
    /// Latitude (`null` when withheld).
    pub lat: Option<f64>,
    /// Longitude (`null` when withheld).
    pub long: Option<f64>,
    /// A link to a photo: the first photo filed with the report (served without metadata), else
    /// the `media_url` the client sent; `null` when there is none or it is withheld.
    pub media_url: Option<String>,
}

impl RequestDoc {
    /// The public document of a report; `None` when its category is unknown.
    pub fn build(report: &Report, catalog: &Catalog, status_notes: Option<String>) -> Option<Self> {
        let category = catalog.category(report.category_id)?;
        let disclosure = disclose(category, report.location, Audience::Public);
        // The same public text as the JSON API's: masked, and moderated where staff did.
        let shown = disclosure
            .show_text
            .then(|| public_text(&report.description, report.address.as_deref(), report.moderation.as_ref()));
        let (description, address) = shown.map_or((None, None), |shown| (shown.description, shown.address));
        Some(RequestDoc {
            service_request_id: report.reference.clone(),
            status: open311_status(report.status).into(),
            status_notes,
            service_name: category.name_nl.clone(),
            service_code: category.slug.clone(),
            description,
            agency_responsible: report.department_id.and_then(|id| catalog.department(id)).map(|d| d.name_nl.clone()),
            service_notice: None,
            requested_datetime: w3c(report.created_at),
            updated_datetime: w3c(report.updated_at),
            expected_datetime: report.deadline_at.map(w3c),
            address,
            address_id: None,
            zipcode: None,
            lat: disclosure.location.map(|l| l.lat),
            long: disclosure.location.map(|l| l.lon),
            media_url: if disclosure.show_text { report.media_url.clone() } else { None },
        })
    }
}

/// The answer to a POST: the new request's id. The services are realtime (a request is
/// stored before the answer), so, as GeoReport v2 says for realtime services, the answer
/// carries `service_request_id` and no `token`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct PostedDoc {
    /// The request's id (its public reference).
    #[schema(example = "K7QM-3XRD")]
    pub service_request_id: String,
    /// Information about the handling.
    pub service_notice: Option<String>,
    /// Not used.
    pub account_id: Option<String>,
}

/// A token and the request it stands for. Only tokens answered before POST stopped
/// answering them (they are the report's UUID) exist; they keep resolving.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct TokenDoc {
    /// The request's id.
    pub service_request_id: String,
    /// The token.
    pub token: String,
}

/// One public update of a request (FixMyStreet extension).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct UpdateDoc {
    /// The update's id: a whole number that grows in the order updates are recorded; send
    /// the last one of a page as `after` to get the next page.
    #[schema(example = "4711")]
    pub update_id: String,
    /// The request's id.
    pub service_request_id: String,
    /// `open` or `closed` after the update.
    pub status: String,
    /// meldpunt's own status after the update (`new`, `in_progress`, `resolved`, ...).
    pub external_status_code: String,
    /// When (W3C, with offset).
    pub updated_datetime: String,
    /// The public message (empty when none).
    pub description: String,
    /// Not used.
    pub media_url: Option<String>,
}

/// The list of updates.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct UpdatesDoc {
    /// The updates, in the order they were recorded (`update_id` ascending).
    pub service_request_updates: Vec<UpdateDoc>,
}

/// The discovery document.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct DiscoveryDoc {
    /// When this document last changed.
    pub changeset: String,
    /// Whom to contact about the API.
    pub contact: String,
    /// How to get an API key.
    pub key_service: String,
    /// The endpoints.
    pub endpoints: Vec<EndpointDoc>,
}

/// One endpoint of the discovery document.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct EndpointDoc {
    /// The specification it implements.
    pub specification: String,
    /// Its base URL.
    pub url: String,
    /// When it last changed.
    pub changeset: String,
    /// `production`.
    #[serde(rename = "type")]
    pub endpoint_type: String,
    /// Media types it answers in.
    pub formats: Vec<String>,
}
