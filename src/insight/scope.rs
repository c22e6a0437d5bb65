//! What a statistics question covers (its categories and departments, and whether any is
//! restricted by the small-count rule) and the row groups met while summing.

use std::collections::HashMap;

use uuid::Uuid;

use super::statistics::StatsError;
use crate::domain::category::Catalog;
use crate::domain::stats::query::{Dimension, StatsQuery};
use crate::domain::stats::table::Group;
use crate::domain::validation::FieldError;

/// The categories and departments a question covers, and which are restricted.
pub(crate) struct Scope {
    pub(crate) category_ids: Vec<Uuid>,
    pub(crate) department_ids: Vec<Uuid>,
    pub(crate) restricted_any: bool,
}

impl Scope {
    pub(crate) fn new(catalog: &Catalog, query: &StatsQuery) -> Result<Self, StatsError> {
        let (category_ids, unknown) = expand_categories(catalog, &query.categories);
        let mut errors: Vec<FieldError> = unknown
            .into_iter()
            .filter_map(|i| query.categories.get(i))
            .map(|slug| FieldError { pointer: "/category".into(), detail: format!("no category {slug:?}") })
            .collect();
        let mut department_ids = Vec::new();
        for slug in &query.departments {
            match catalog.department_by_slug(slug) {
                Some(d) => department_ids.push(d.id),
                None => {
                    errors.push(FieldError { pointer: "/department".into(), detail: format!("no department {slug:?}") })
                }
            }
        }
        if !errors.is_empty() {
            return Err(StatsError::Invalid(errors));
        }
        let restricted_any = any_restricted(catalog, &category_ids);
        Ok(Scope { category_ids, department_ids, restricted_any })
    }
}

/// The category ids `slugs` cover (a main category with its subcategories), and the
/// positions of the slugs that name no category.
pub(crate) fn expand_categories(catalog: &Catalog, slugs: &[String]) -> (Vec<Uuid>, Vec<usize>) {
    let mut ids = Vec::new();
    let mut unknown = Vec::new();
    for (i, slug) in slugs.iter().enumerate() {
        if let Some(main) = catalog.main_category(slug) {
            ids.push(main.id);
            ids.extend(catalog.subcategories_of(main.id).map(|c| c.id));
        } else if let Some(sub) = catalog.subcategory(slug) {
            ids.push(sub.id);
        } else {
            unknown.push(i);
        }
    }
    (ids, unknown)
}

/// Whether any category among `ids` (empty: all) is non-public or sensitive, so that its
/// small counts are hidden.
pub(crate) fn any_restricted(catalog: &Catalog, ids: &[Uuid]) -> bool {
    let in_scope = |id: Uuid| ids.is_empty() || ids.contains(&id);
    catalog.categories().iter().any(|c| in_scope(c.id) && (!c.is_public || c.is_sensitive))
}

/// Per source, its group.
type SourceGroups = Vec<(String, u32)>;

/// Groups met so far, by their values.
#[derive(Default)]
pub(crate) struct GroupIndex {
    pub(crate) list: Vec<Group>,
    by_values: HashMap<Vec<String>, u32>,
    /// Per category and department, the groups of the sources met.
    by_parts: HashMap<(Uuid, Option<Uuid>), SourceGroups>,
}

impl GroupIndex {
    pub(crate) fn ensure_single(&mut self, restricted: bool) {
        if self.list.is_empty() {
            self.list.push(Group { values: Vec::new(), restricted });
        } else if let Some(group) = self.list.first_mut() {
            group.restricted = restricted;
        }
    }

    pub(crate) fn of(
        &mut self,
        category_id: Uuid,
        department_id: Option<Uuid>,
        source: &str,
        query: &StatsQuery,
        scope: &Scope,
        catalog: &Catalog,
    ) -> u32 {
        if let Some(&(_, id)) =
            self.by_parts.get(&(category_id, department_id)).and_then(|s| s.iter().find(|(s, _)| s == source))
        {
            return id;
        }
        let id = self.of_values(category_id, department_id, source, query, scope, catalog);
        self.by_parts.entry((category_id, department_id)).or_default().push((source.to_owned(), id));
        id
    }

    fn of_values(
        &mut self,
        category_id: Uuid,
        department_id: Option<Uuid>,
        source: &str,
        query: &StatsQuery,
        scope: &Scope,
        catalog: &Catalog,
    ) -> u32 {
        let category = catalog.category(category_id);
        let main = category.and_then(|c| c.parent_id.and_then(|p| catalog.category(p)).or(Some(c)));
        let slug =
            |c: Option<&crate::domain::category::Category>| c.map_or_else(|| "unknown".to_owned(), |c| c.slug.clone());
        let values: Vec<String> = query
            .group_by
            .iter()
            .map(|dimension| match dimension {
                Dimension::MainCategory => slug(main),
                Dimension::Subcategory => slug(category),
                Dimension::Department => department_id
                    .and_then(|d| catalog.department(d))
                    .map_or_else(|| "none".to_owned(), |d| d.slug.clone()),
                Dimension::Source => source.to_owned(),
            })
            .collect();
        if let Some(&id) = self.by_values.get(&values) {
            return id;
        }
        // Whether a group follows the small-count rule depends on its values only, so it is
        // worked out once, when the group is first met.
        let hidden = |c: &crate::domain::category::Category| !c.is_public || c.is_sensitive;
        let restricted = if query.group_by.contains(&Dimension::MainCategory) {
            let main_id = main.map(|m| m.id);
            catalog
                .categories()
                .iter()
                .any(|c| (Some(c.id) == main_id || (c.parent_id.is_some() && c.parent_id == main_id)) && hidden(c))
        } else if query.group_by.contains(&Dimension::Subcategory) {
            category.is_some_and(hidden)
        } else {
            scope.restricted_any
        };
        let id = u32::try_from(self.list.len()).unwrap_or(u32::MAX);
        self.list
            .push(Group { values: query.group_by.iter().copied().zip(values.iter().cloned()).collect(), restricted });
        self.by_values.insert(values, id);
        id
    }
}
