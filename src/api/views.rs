//! Response bodies shared by several endpoints. Built from domain types, never from rows;
//! a report view has no field for the reporter's contact at all.

use chrono::{DateTime, Utc};
use serde::Serialize;
use uuid::Uuid;

use crate::api::state::Snapshot;
use crate::domain::category::{Catalog, Category, Department};
use crate::domain::privacy::moderation::{ModerationKind, public_text};
use crate::domain::privacy::{Audience, disclose};
use crate::domain::report::{AreaStamp, Location, Report, ReportStatus, RoutingReason};
use crate::domain::spatial::AreaIndex;

/// A category as a report refers to it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CategoryRef {
    /// Subcategory slug.
    #[schema(example = "straatverlichting-openbare-klok")]
    pub slug: String,
    /// Dutch name.
    pub name_nl: String,
    /// English name.
    pub name_en: String,
    /// The main category.
    pub main: Option<MainCategoryRef>,
}

/// A main category as a report refers to it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct MainCategoryRef {
    /// Main category slug.
    pub slug: String,
    /// Dutch name.
    pub name_nl: String,
    /// English name.
    pub name_en: String,
}

/// The department that handles a report.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct DepartmentRef {
    /// Department slug.
    #[schema(example = "openbare-verlichting")]
    pub slug: String,
    /// Dutch name.
    pub name_nl: String,
    /// English name.
    pub name_en: String,
}

impl From<&Department> for DepartmentRef {
    fn from(department: &Department) -> Self {
        DepartmentRef {
            slug: department.slug.clone(),
            name_nl: department.name_nl.clone(),
            name_en: department.name_en.clone(),
        }
    }
}

/// A report as residents see it. Never contains the reporter's contact details. For
/// categories that are not public, description, address and location are `null`; for
/// sensitive categories description and address are `null` and the location is snapped to
/// a ~280 m grid. In the public view, e-mail addresses, phone numbers, licence plates and
/// IBANs in description and address are replaced by markers such as
/// `[telefoonnummer verborgen]` (`text_masked`), and the municipality may have hidden or
/// rewritten the description (`description_moderation`).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ReportView {
    /// Report id (UUIDv7).
    pub id: Uuid,
    /// Short reference to quote on the phone.
    #[schema(example = "K7QM-3XRD")]
    pub reference: String,
    /// Handling status.
    pub status: ReportStatus,
    pub category: CategoryRef,
    /// What is wrong (`null` when withheld or hidden by a moderator). Public views show it
    /// masked, and as rewritten by a moderator if it was.
    #[schema(example = "Auto [kenteken verborgen] staat al weken op de stoep.")]
    pub description: Option<String>,
    /// Whether personal data (e-mail addresses, phone numbers, licence plates, IBANs) in the
    /// description or address was replaced by a marker such as `[e-mailadres verborgen]` in
    /// this view. Always `false` for the reporter's own intake answer and for staff, who see
    /// the original.
    pub text_masked: bool,
    /// How the municipality changed the public description: `hidden` (the description is
    /// `null`) or `rewritten` (the description is the municipality's text); `null` when the
    /// resident's own text is shown. Staff see the original description and this state.
    pub description_moderation: Option<ModerationKind>,
    /// Where (`null` when withheld; coarsened for sensitive categories).
    pub location: Option<Location>,
    /// Address text (`null` when not given or withheld).
    pub address: Option<String>,
    /// The CBS areas it lies in (for non-public categories only the gemeente).
    pub area: Option<AreaView>,
    /// The handling department.
    pub department: Option<DepartmentRef>,
    /// Why it has this department (staff views only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub routing: Option<RoutingView>,
    /// How it arrived: `api`, `open311`, `staff` or `import` (history from an earlier system).
    #[schema(example = "api")]
    pub source: String,
    /// When the municipality aims to have handled it (RFC 3339, UTC).
    pub deadline_at: Option<DateTime<Utc>>,
    /// When it was received (RFC 3339, UTC).
    pub created_at: DateTime<Utc>,
    /// When it last changed (RFC 3339, UTC).
    pub updated_at: DateTime<Utc>,
    /// Its photos (empty for non-public and sensitive categories).
    pub photos: Vec<crate::api::public::photos::PhotoView>,
    /// Only in the intake answer, and only when there are any: open reports of the same
    /// category nearby, perhaps the same problem (offer "me too" with
    /// `POST /api/v1/reports/{id}/support`). Never for categories that are not public or
    /// are shown coarsened: their references and distances are not the public's to know.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nearby: Option<Vec<crate::api::public::support::NearbyView>>,
}

impl ReportView {
    /// The view of `report` for `audience`; `None` when its category is unknown to the
    /// catalog (the caller refreshes the configuration and tries again).
    pub fn build(report: Report, snapshot: &Snapshot, audience: Audience) -> Option<Self> {
        let catalog = &snapshot.catalog;
        let category = catalog.category(report.category_id)?;
        let disclosure = disclose(category, report.location, audience);
        let area =
            report.area.as_ref().map(|stamp| AreaView::build(stamp, &snapshot.areas, disclosure.location.is_some()));
        let moderation = report.moderation.as_ref().map(|m| m.kind());
        let (description, address, text_masked) = match audience {
            _ if !disclosure.show_text => (None, None, false),
            Audience::Submitter => (Some(report.description), report.address, false),
            Audience::Public => {
                let shown = public_text(&report.description, report.address.as_deref(), report.moderation.as_ref());
                (shown.description, shown.address, shown.masked)
            }
        };
        Some(ReportView {
            id: report.id,
            reference: report.reference,
            status: report.status,
            category: category_ref(category, catalog),
            description,
            text_masked,
            description_moderation: moderation.filter(|_| disclosure.show_text),
            location: disclosure.location,
            address,
            area,
            department: report.department_id.and_then(|id| catalog.department(id)).map(DepartmentRef::from),
            routing: None,
            source: report.source,
            deadline_at: report.deadline_at,
            created_at: report.created_at,
            updated_at: report.updated_at,
            photos: Vec::new(),
            nearby: None,
        })
    }

    /// The same view with the routing decision, for staff.
    pub fn with_routing(mut self, report: &Report, snapshot: &Snapshot) -> Self {
        self.routing = Some(RoutingView {
            reason: report.routing_reason,
            rule_id: report.routing_rule_id,
            rule_name: report
                .routing_rule_id
                .and_then(|id| snapshot.rules.iter().find(|r| r.id == id))
                .map(|r| r.name.clone()),
            department_locked: report.department_locked,
        });
        self
    }
}

/// Why a report has its department.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct RoutingView {
    /// `rule`, `category_default` or `manual`.
    pub reason: RoutingReason,
    /// The rule that routed it.
    pub rule_id: Option<Uuid>,
    /// That rule's name, while the rule exists.
    pub rule_name: Option<String>,
    /// Whether staff fixed the department (routing leaves it alone).
    pub department_locked: bool,
}

/// A CBS area by code and name.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct AreaName {
    /// CBS code.
    #[schema(example = "BU09173301")]
    pub code: String,
    /// Name, when the area is in the current registry.
    pub name: Option<String>,
}

/// The CBS areas of a report.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct AreaView {
    /// Boundary year of the codes.
    #[schema(example = 2025)]
    pub year: i32,
    /// Municipality.
    pub gemeente: AreaName,
    /// District (`null` when unknown or withheld).
    pub wijk: Option<AreaName>,
    /// Neighbourhood (`null` when unknown or withheld).
    pub buurt: Option<AreaName>,
}

impl AreaView {
    /// The view of a stamp; without `fine`, only the gemeente.
    pub fn build(stamp: &AreaStamp, areas: &AreaIndex, fine: bool) -> Self {
        let name = |code: &str| AreaName { code: code.to_owned(), name: areas.area(code).map(|a| a.name.clone()) };
        AreaView {
            year: stamp.year,
            gemeente: name(&stamp.gemeente_code),
            wijk: stamp.wijk_code.as_deref().filter(|_| fine).map(name),
            buurt: stamp.buurt_code.as_deref().filter(|_| fine).map(name),
        }
    }
}

fn category_ref(category: &Category, catalog: &Catalog) -> CategoryRef {
    CategoryRef {
        slug: category.slug.clone(),
        name_nl: category.name_nl.clone(),
        name_en: category.name_en.clone(),
        main: category.parent_id.and_then(|id| catalog.category(id)).map(|main| MainCategoryRef {
            slug: main.slug.clone(),
            name_nl: main.name_nl.clone(),
            name_en: main.name_en.clone(),
        }),
    }
}
