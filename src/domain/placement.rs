//! Placing a new or changed report: its CBS areas from the spatial index, and its
//! department from the routing rules.

use chrono::{DateTime, Utc};
use serde_json::{Map, Value};

use super::category::{Catalog, Category};
use super::report::{AreaStamp, Location, Placement, RoutingReason};
use super::routing::{RoutingInput, Rule, route_fast};
use super::spatial::AreaIndex;

/// What placement needs to know about the deployment.
#[derive(Clone, Copy)]
pub struct Placer<'a> {
    /// Departments and categories.
    pub catalog: &'a Catalog,
    /// Routing rules in order.
    pub rules: &'a [Rule],
    /// The area index.
    pub areas: &'a AreaIndex,
    /// Municipalities this deployment serves (CBS codes); empty: every known one.
    pub served: &'a [String],
}

impl Placer<'_> {
    /// The CBS areas of a location, or why a report there cannot be taken.
    pub fn stamp(&self, location: Location) -> Result<Option<AreaStamp>, String> {
        let Some(located) = self.areas.locate(location.lon, location.lat) else {
            if self.areas.is_empty() && self.served.is_empty() {
                // No areas configured at all: take reports without a stamp.
                return Ok(None);
            }
            return Err(format!(
                "the location ({}, {}) is not in {}; check that lat and lon are not swapped",
                location.lat,
                location.lon,
                self.served_names()
            ));
        };
        if !self.served.is_empty() && !self.served.iter().any(|code| code == located.gemeente_code) {
            let name = located.gemeente.map_or(located.gemeente_code, |g| g.name.as_str());
            return Err(format!(
                "the location lies in {} {name}, which this service does not cover; it covers {}",
                located.gemeente_code,
                self.served_names()
            ));
        }
        Ok(Some(AreaStamp {
            gemeente_code: located.gemeente_code.to_owned(),
            wijk_code: located.wijk.map(|w| w.code.clone()),
            buurt_code: located.buurt.map(|b| b.code.clone()),
            year: located.year,
        }))
    }

    fn served_names(&self) -> String {
        if self.served.is_empty() {
            return "any known municipality".to_owned();
        }
        self.served
            .iter()
            .map(|code| match self.areas.area(code) {
                Some(area) => format!("{code} {}", area.name),
                None => code.clone(),
            })
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// Routes a report in `category` at `location` with `answers`, arriving `at`.
    pub fn route(
        &self,
        category: &Category,
        area: Option<&AreaStamp>,
        location: Location,
        answers: &Map<String, Value>,
        at: DateTime<Utc>,
    ) -> Placement {
        let main = category.parent_id.and_then(|id| self.catalog.category(id));
        let input = RoutingInput {
            category: &category.slug,
            main_category: main.map(|m| m.slug.as_str()),
            area_codes: area.map(AreaStamp::codes).unwrap_or_default(),
            lon: location.lon,
            lat: location.lat,
            answers,
            at,
        };
        let (department_id, rule) = route_fast(self.rules, &input, category.default_department_id);
        Placement {
            area: area.cloned(),
            department_id,
            routing_rule_id: rule.map(|r| r.id),
            routing_reason: if rule.is_some() { RoutingReason::Rule } else { RoutingReason::CategoryDefault },
            priority: rule.and_then(|r| r.priority.clone()).unwrap_or_else(|| "normal".to_owned()),
            handling_hours: rule.and_then(|r| r.deadline_hours).or(category.handling_hours),
        }
    }
}
