//! The public statistics: per municipality, boundary year and calendar year one grid of
//! areas x public categories x ended periods, read from the statistics, protected as a
//! whole (`domain::open_data::disclosure`) and kept for a minute, so that every answer and
//! download is a part of the same protected grid.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::Utc;
use uuid::Uuid;

use super::statistics::{self, Context, StatsError};
use super::years::YearAreas;
use crate::domain::area::AreaLevel;
use crate::domain::category::{Catalog, Category};
use crate::domain::open_data::disclosure::Rule;
use crate::domain::open_data::grid::{self, AreaNode, CategoryNode, OpenGrid, OpenMeasure};
use crate::domain::open_data::query::OpenQuery;
use crate::domain::stats::{Dimension, Measure, Period, StatsQuery};
use crate::domain::validation::FieldError;
use crate::storage::DbConnection;

type GridKey = (String, i32, i32, u32, i64, bool, i64, i64);

/// Protected grids of this process, each kept for `OpenContext::keep_for`.
#[derive(Default)]
pub struct OpenGrids {
    kept: Mutex<HashMap<GridKey, (Instant, Arc<OpenGrid>)>>,
}

/// What the public statistics need besides the question.
pub struct OpenContext<'a> {
    /// The statistics context (areas, catalog, served municipalities).
    pub stats: &'a Context<'a>,
    /// The threshold and rounding.
    pub rule: Rule,
    /// Whether subcategories are published.
    pub subcategories: bool,
    /// The kept grids.
    pub grids: &'a OpenGrids,
    /// How long a grid is kept (zero: not at all).
    pub keep_for: Duration,
}

fn invalid(pointer: &str, detail: String) -> StatsError {
    StatsError::Invalid(vec![FieldError { pointer: pointer.into(), detail }])
}

/// Whether a category is published: it and its main category are public.
pub fn is_open(catalog: &Catalog, category: &Category) -> bool {
    category.is_public && category.parent_id.and_then(|p| catalog.category(p)).is_none_or(|main| main.is_public)
}

/// The grid `query` is a part of (blocking: reads the database when not kept).
pub fn grid(conn: &mut DbConnection, ctx: &OpenContext<'_>, query: &OpenQuery) -> Result<Arc<OpenGrid>, StatsError> {
    let loaded = crate::storage::areas::years(conn)?;
    let boundary_year = statistics::boundary_year(query.boundary_year, &loaded)?;
    let areas = ctx.stats.years.get(conn, boundary_year, ctx.stats.areas_generation)?;
    let gemeente = gemeente(query, ctx.stats.served, &areas)?;
    let key: GridKey = (
        gemeente.clone(),
        boundary_year,
        query.year,
        query.ended_months,
        ctx.stats.areas_generation,
        ctx.subcategories,
        ctx.rule.min_count,
        ctx.rule.base,
    );
    if let Ok(kept) = ctx.grids.kept.lock()
        && let Some((at, grid)) = kept.get(&key)
        && at.elapsed() < ctx.keep_for
    {
        return Ok(Arc::clone(grid));
    }
    let built = Arc::new(build(conn, ctx, &areas, &gemeente, query)?);
    if let Ok(mut kept) = ctx.grids.kept.lock() {
        kept.retain(|_, (at, _)| at.elapsed() < ctx.keep_for);
        if !ctx.keep_for.is_zero() {
            kept.insert(key, (Instant::now(), Arc::clone(&built)));
        }
    }
    Ok(built)
}

/// The municipality asked (or the first served), checked to exist in the boundary year.
fn gemeente(query: &OpenQuery, served: &[String], areas: &YearAreas) -> Result<String, StatsError> {
    let known: Vec<&str> =
        areas.index.areas().iter().filter(|a| a.level == AreaLevel::Gemeente).map(|a| a.code.as_str()).collect();
    let offered: Vec<&str> = if served.is_empty() {
        known.clone()
    } else {
        served.iter().map(String::as_str).filter(|s| known.contains(s)).collect()
    };
    let listed = || offered.iter().take(20).copied().collect::<Vec<_>>().join(", ");
    match &query.gemeente {
        Some(code) if offered.contains(&code.as_str()) => Ok(code.clone()),
        Some(code) => Err(invalid(
            "/gemeente",
            format!("no published municipality {code} in boundary year {}: use one of {}", areas.year, listed()),
        )),
        None => offered
            .first()
            .map(|c| (*c).to_owned())
            .ok_or_else(|| invalid("/gemeente", format!("no municipality is loaded for boundary year {}", areas.year))),
    }
}

/// Reads and protects one grid.
fn build(
    conn: &mut DbConnection,
    ctx: &OpenContext<'_>,
    areas: &YearAreas,
    gemeente: &str,
    query: &OpenQuery,
) -> Result<OpenGrid, StatsError> {
    let catalog = ctx.stats.catalog;
    // Areas: the gemeente, its wijken, its buurten (a wijk and a gemeente are the sums of
    // their buurten, which cover them).
    let mut area_nodes = Vec::new();
    let name_of = |level: AreaLevel, code: &str| {
        areas.index.areas().iter().find(|a| a.level == level && a.code == code).map(|a| a.name.clone())
    };
    area_nodes.push(AreaNode {
        code: gemeente.to_owned(),
        name: name_of(AreaLevel::Gemeente, gemeente).unwrap_or_default(),
        level: AreaLevel::Gemeente,
        parent: None,
    });
    let mut in_gemeente: Vec<&crate::domain::area::Area> =
        areas.index.areas().iter().filter(|a| a.gemeente_code == gemeente && a.level != AreaLevel::Gemeente).collect();
    in_gemeente.sort_by(|a, b| a.code.cmp(&b.code));
    for wijk in in_gemeente.iter().filter(|a| a.level == AreaLevel::Wijk) {
        area_nodes.push(AreaNode {
            code: wijk.code.clone(),
            name: wijk.name.clone(),
            level: AreaLevel::Wijk,
            parent: Some(0),
        });
    }
    let wijk_node: HashMap<String, usize> = area_nodes.iter().enumerate().map(|(i, a)| (a.code.clone(), i)).collect();
    for buurt in in_gemeente.iter().filter(|a| a.level == AreaLevel::Buurt) {
        let parent = buurt.wijk_code.as_ref().and_then(|w| wijk_node.get(w)).copied().or(Some(0));
        area_nodes.push(AreaNode {
            code: buurt.code.clone(),
            name: buurt.name.clone(),
            level: AreaLevel::Buurt,
            parent,
        });
    }
    let area_index: HashMap<String, usize> = area_nodes.iter().enumerate().map(|(i, a)| (a.code.clone(), i)).collect();

    // Categories: all, the public main categories, and their public subcategories.
    let mut category_nodes = vec![CategoryNode {
        slug: None,
        name_nl: "Alle openbare categorieën".into(),
        name_en: "All public categories".into(),
        parent: None,
    }];
    let mut category_index: HashMap<Uuid, usize> = HashMap::new();
    for main in catalog.main_categories().filter(|c| is_open(catalog, c)) {
        category_index.insert(main.id, category_nodes.len());
        category_nodes.push(CategoryNode {
            slug: Some(main.slug.clone()),
            name_nl: main.name_nl.clone(),
            name_en: main.name_en.clone(),
            parent: Some(0),
        });
    }
    if ctx.subcategories {
        for category in catalog.categories().iter().filter(|c| c.parent_id.is_some() && is_open(catalog, c)) {
            let Some(&parent) = category.parent_id.and_then(|p| category_index.get(&p)) else { continue };
            category_index.insert(category.id, category_nodes.len());
            category_nodes.push(CategoryNode {
                slug: Some(category.slug.clone()),
                name_nl: category.name_nl.clone(),
                name_en: category.name_en.clone(),
                parent: Some(parent),
            });
        }
    }

    let (periods, months) = grid::periods(query.year, query.ended_months);
    let period_parents = grid::period_parents(&periods);
    let first = i64::from(query.year) * 12;
    let stats_query = StatsQuery {
        level: AreaLevel::Buurt,
        areas: vec![gemeente.to_owned()],
        period: Period::Month,
        first,
        last: first + i64::from(query.ended_months.max(1)) - 1,
        group_by: vec![Dimension::MainCategory, Dimension::Subcategory],
        categories: Vec::new(),
        departments: Vec::new(),
        sources: Vec::new(),
        measures: vec![Measure::Received, Measure::Resolved],
        boundary_year: Some(areas.year),
        csv: false,
    };
    let collected = statistics::collect(conn, ctx.stats, &stats_query)?;
    let mut counts = vec![OpenGrid::layout(&area_nodes, &category_nodes, &periods); OpenMeasure::ALL.len()];
    let chain = |parents: &dyn Fn(usize) -> Option<usize>, start: usize| {
        let mut nodes = vec![start];
        while let Some(next) = nodes.last().and_then(|&n| parents(n)) {
            if nodes.len() > 4 {
                break;
            }
            nodes.push(next);
        }
        nodes
    };
    for (row, area) in collected.rows.iter().zip(0u32..) {
        let Some(&buurt) = area_index.get(&row.code) else { continue };
        let area_chain = chain(&|n| area_nodes.get(n).and_then(|a| a.parent), buurt);
        for (group, group_id) in collected.groups.iter().zip(0u32..) {
            let Some(category) = group_category(catalog, group) else { continue };
            // A subcategory not published on its own counts in its main category.
            let Some(&node) =
                category_index.get(&category.id).or_else(|| category.parent_id.and_then(|p| category_index.get(&p)))
            else {
                continue;
            };
            if !is_open(catalog, category) {
                continue;
            }
            let category_chain = chain(&|n| category_nodes.get(n).and_then(|c| c.parent), node);
            for (month, sums) in collected.grid.series(area, group_id).iter().enumerate() {
                let Some(Some(month_node)) = months.get(month) else { continue };
                let period_chain = chain(&|n| period_parents.get(n).copied().flatten(), *month_node);
                for (measure, value) in counts.iter_mut().zip([sums.received, sums.resolved]) {
                    if value == 0 {
                        continue;
                    }
                    for &a in &area_chain {
                        for &c in &category_chain {
                            for &t in &period_chain {
                                measure.add(a, c, t, value);
                            }
                        }
                    }
                }
            }
        }
    }
    Ok(OpenGrid::protect(
        gemeente.to_owned(),
        areas.year,
        query.year,
        Utc::now(),
        area_nodes,
        category_nodes,
        periods,
        &counts,
        ctx.rule,
    ))
}

/// The category of a statistics group split by main category and subcategory.
fn group_category<'c>(catalog: &'c Catalog, group: &crate::domain::stats::table::Group) -> Option<&'c Category> {
    let value = |d: Dimension| group.values.iter().find(|(dim, _)| *dim == d).map(|(_, v)| v.as_str());
    let main = catalog.main_category(value(Dimension::MainCategory)?)?;
    let sub = value(Dimension::Subcategory)?;
    if sub == main.slug {
        return Some(main);
    }
    catalog.subcategory(sub).filter(|s| s.parent_id == Some(main.id)).or(Some(main))
}

/// The grid node of the category asked (`None`: all), checked to be published.
pub fn category_node(grid: &OpenGrid, asked: Option<&str>) -> Result<usize, StatsError> {
    let Some(slug) = asked.filter(|s| *s != grid::ALL_CATEGORIES) else { return Ok(0) };
    grid.categories.iter().position(|c| c.slug.as_deref() == Some(slug)).ok_or_else(|| {
        let published: Vec<&str> = grid.categories.iter().filter_map(|c| c.slug.as_deref()).collect();
        invalid(
            "/category",
            format!(
                "{slug:?} is not a published category (non-public categories and, unless the deployment publishes them, subcategories are not): use all or one of {}",
                published.join(", ")
            ),
        )
    })
}
