//! The admin API's views of webhook endpoints and their deliveries, put into words for the
//! event webhook pages: the state, the filter and the contact in words, times in Dutch time,
//! the failure reason in the page's language by `last_error_class` beside the API's own
//! English `last_error`.

use super::event_words::EventWords;
use crate::api::admin::events::deliveries::DeliveryView;
use crate::api::admin::events::endpoints::EndpointView;
use crate::api::pages::console::announcements::form::local_text;

/// One endpoint as the pages show it.
pub struct EndpointRow {
    pub id: String,
    pub url: String,
    pub description: String,
    pub active: bool,
    /// Active or paused, in words.
    pub state: &'static str,
    /// The filter in words, one line per kind (never empty).
    pub filters: Vec<String>,
    /// Whether the reporter's contact is sent along, in words.
    pub contact: &'static str,
    pub delivered: i64,
    pub pending: i64,
    pub failing: i64,
    pub dead: i64,
}

impl EndpointRow {
    /// The row of `view` in the words `w`.
    pub fn new(view: EndpointView, w: &EventWords) -> Self {
        let mut filters = Vec::new();
        let mut line = |label: &str, items: Vec<String>| {
            if !items.is_empty() {
                filters.push(format!("{label}: {}", items.join(", ")));
            }
        };
        line(w.events, view.events.iter().map(|t| w.event_type(t.as_str()).to_owned()).collect());
        line(w.departments, view.departments);
        line(w.categories, view.categories);
        line(w.areas, view.areas);
        if filters.is_empty() {
            filters.push(w.all_events.to_owned());
        }
        EndpointRow {
            id: view.id.to_string(),
            url: view.url,
            description: view.description,
            active: view.active,
            state: if view.active { w.active } else { w.paused },
            filters,
            contact: if view.include_reporter_contact { w.contact_allowed } else { w.contact_not_allowed },
            delivered: view.deliveries.delivered,
            // As the API counts: failing deliveries are pending ones after a failure.
            pending: view.deliveries.pending,
            failing: view.deliveries.failing,
            dead: view.deliveries.dead,
        }
    }
}

/// One delivery as the endpoint's page shows it.
pub struct DeliveryRow {
    pub event_type: String,
    pub event_words: String,
    pub report_id: String,
    /// The report's reference (its id when the report is gone).
    pub report_label: String,
    pub occurred: String,
    /// The state in words (failing: pending after a failed attempt).
    pub status: &'static str,
    pub attempts: i32,
    /// Whether it is held back, in words.
    pub held: &'static str,
    pub replay: bool,
    /// Why the last attempt failed, in the page's language (by `last_error_class`).
    pub reason: Option<&'static str>,
    /// The API's own description of the failure, in English.
    pub last_error: Option<String>,
    pub next_attempt: Option<String>,
    pub delivered_at: Option<String>,
}

impl DeliveryRow {
    /// The row of `view` in the words `w`.
    pub fn new(view: DeliveryView, w: &EventWords) -> Self {
        let status = match view.status.as_str() {
            "delivered" => w.delivered,
            "dead" => w.dead,
            _ if view.attempts > 0 => w.failing,
            _ => w.pending,
        };
        DeliveryRow {
            event_words: w.event_type(&view.event_type).to_owned(),
            event_type: view.event_type,
            report_label: view.report_reference.clone().unwrap_or_else(|| view.report_id.to_string()),
            report_id: view.report_id.to_string(),
            occurred: local_text(view.occurred_at),
            status,
            attempts: view.attempts,
            held: if view.held { w.held_yes } else { w.held_no },
            replay: view.replay,
            reason: view.last_error_class.as_deref().map(|c| w.class(c)),
            last_error: view.last_error,
            next_attempt: view.next_attempt_at.map(local_text),
            delivered_at: view.delivered_at.map(local_text),
        }
    }
}
