//! Report events for admins' webhook endpoints: the five event types, and which events an
//! endpoint receives (its filter by event type, department, category and CBS area).
//!
//! Events of history imports are never recorded: the history of an earlier system is not
//! news to the systems that listen.

use uuid::Uuid;

pub mod body;

/// What happened to a report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub enum EventType {
    /// A report was filed (JSON API, Open311, staff).
    #[serde(rename = "report.created")]
    Created,
    /// Its status changed (with the public text).
    #[serde(rename = "report.status_changed")]
    StatusChanged,
    /// Staff added a public note (internal notes are not events).
    #[serde(rename = "report.note_added")]
    NoteAdded,
    /// Its category, location or department changed (re-routing).
    #[serde(rename = "report.rerouted")]
    Rerouted,
    /// It was merged into another report as a duplicate.
    #[serde(rename = "report.merged")]
    Merged,
}

impl EventType {
    /// Every type, in the order of the documentation.
    pub const ALL: [EventType; 5] =
        [EventType::Created, EventType::StatusChanged, EventType::NoteAdded, EventType::Rerouted, EventType::Merged];

    /// The name on the wire and in the database.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Created => "report.created",
            Self::StatusChanged => "report.status_changed",
            Self::NoteAdded => "report.note_added",
            Self::Rerouted => "report.rerouted",
            Self::Merged => "report.merged",
        }
    }

    /// The type of a name.
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.as_str() == text)
    }
}

/// What an endpoint's filter looks at in a report when an event happens.
#[derive(Debug, Clone, Copy)]
pub struct EventFacts<'a> {
    pub event_type: EventType,
    pub department_id: Option<Uuid>,
    pub category_id: Uuid,
    /// The main category of the report's subcategory.
    pub main_category_id: Option<Uuid>,
    /// The report's gemeente, wijk and buurt codes, as far as known.
    pub area_codes: [Option<&'a str>; 3],
}

/// Which events an endpoint receives. An empty list lets everything through; each list
/// that is not empty must match (a report in one of the departments, and in one of the
/// categories, and in one of the areas).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EventFilter {
    pub event_types: Vec<EventType>,
    pub departments: Vec<Uuid>,
    /// Subcategories or main categories (a main category covers its subcategories).
    pub categories: Vec<Uuid>,
    /// CBS codes of gemeenten, wijken or buurten.
    pub areas: Vec<String>,
}

impl EventFilter {
    /// Whether an event with these facts goes to the endpoint.
    pub fn matches(&self, facts: &EventFacts<'_>) -> bool {
        let types = self.event_types.is_empty() || self.event_types.contains(&facts.event_type);
        let departments =
            self.departments.is_empty() || facts.department_id.is_some_and(|d| self.departments.contains(&d));
        let categories = self.categories.is_empty()
            || self.categories.contains(&facts.category_id)
            || facts.main_category_id.is_some_and(|m| self.categories.contains(&m));
        let areas =
            self.areas.is_empty() || facts.area_codes.iter().flatten().any(|code| self.areas.iter().any(|a| a == code));
        types && departments && categories && areas
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts(event_type: EventType, department: Option<Uuid>, category: Uuid) -> EventFacts<'static> {
        EventFacts {
            event_type,
            department_id: department,
            category_id: category,
            main_category_id: None,
            area_codes: [Some("GM0917"), Some("WK091710"), Some("BU09171000")],
        }
    }

    #[test]
    fn an_empty_filter_lets_every_event_through() {
        let all = EventFilter::default();
        for t in EventType::ALL {
            assert!(all.matches(&facts(t, None, Uuid::nil())));
        }
    }

    #[test]
    fn every_list_that_is_given_must_match() {
        let department = Uuid::now_v7();
        let category = Uuid::now_v7();
        let filter = EventFilter {
            event_types: vec![EventType::Created],
            departments: vec![department],
            categories: vec![category],
            areas: vec!["BU09171000".into()],
        };
        assert!(filter.matches(&facts(EventType::Created, Some(department), category)));
        assert!(!filter.matches(&facts(EventType::Merged, Some(department), category)));
        assert!(!filter.matches(&facts(EventType::Created, None, category)));
        assert!(!filter.matches(&facts(EventType::Created, Some(department), Uuid::now_v7())));
        let elsewhere = EventFilter { areas: vec!["BU09179999".into()], ..filter };
        assert!(!elsewhere.matches(&facts(EventType::Created, Some(department), category)));
    }

    #[test]
    fn a_main_category_covers_its_subcategories() {
        let main = Uuid::now_v7();
        let filter = EventFilter { categories: vec![main], ..EventFilter::default() };
        let mut sub = facts(EventType::Created, None, Uuid::now_v7());
        assert!(!filter.matches(&sub));
        sub.main_category_id = Some(main);
        assert!(filter.matches(&sub));
    }

    #[test]
    fn names_round_trip() {
        for t in EventType::ALL {
            assert_eq!(EventType::parse(t.as_str()), Some(t));
        }
        assert_eq!(EventType::parse("report.deleted"), None);
    }
}
