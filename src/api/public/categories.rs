//! The category tree residents choose from.

use actix_web::{HttpResponse, get, web};
use serde::Serialize;

use crate::api::state::AppState;
use crate::domain::category::Question;

/// The active category tree.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CategoryTree {
    /// Main categories in display order.
    pub categories: Vec<MainCategory>,
}

/// A main category with its subcategories.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct MainCategory {
    #[schema(example = "wegen-verkeer-straatmeubilair")]
    pub slug: String,
    /// Dutch name.
    pub name_nl: String,
    /// English name.
    pub name_en: String,
    /// Subcategories in display order; a report names one of these.
    pub subcategories: Vec<Subcategory>,
}

/// A subcategory: what a report is filed in.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Subcategory {
    /// Slug to send as `category` when filing a report.
    #[schema(example = "straatverlichting-openbare-klok")]
    pub slug: String,
    /// Dutch name.
    pub name_nl: String,
    /// English name.
    pub name_en: String,
    /// Whether its reports are shown to the public.
    pub is_public: bool,
    /// Whether its public location is coarsened and description withheld.
    pub is_sensitive: bool,
    /// Target handling time in hours.
    pub handling_hours: Option<i32>,
    /// Questions to answer in `answers` when filing a report.
    pub questions: Vec<Question>,
}

/// Lists the categories that take reports, with their questions.
#[utoipa::path(
    tag = "categories",
    responses((status = 200, description = "The active category tree", body = CategoryTree))
)]
#[get("/api/v1/categories")]
pub async fn list_categories(state: web::Data<AppState>) -> HttpResponse {
    let snapshot = state.config.snapshot();
    let catalog = &snapshot.catalog;
    let categories = catalog
        .main_categories()
        .filter(|main| main.active)
        .map(|main| MainCategory {
            slug: main.slug.clone(),
            name_nl: main.name_nl.clone(),
            name_en: main.name_en.clone(),
            subcategories: catalog
                .subcategories_of(main.id)
                .filter(|sub| sub.active)
                .map(|sub| Subcategory {
                    slug: sub.slug.clone(),
                    name_nl: sub.name_nl.clone(),
                    name_en: sub.name_en.clone(),
                    is_public: sub.is_public,
                    is_sensitive: sub.is_sensitive,
                    handling_hours: sub.handling_hours,
                    questions: sub.questions.clone(),
                })
                .collect(),
        })
        .filter(|main| !main.subcategories.is_empty())
        .collect();
    HttpResponse::Ok().json(CategoryTree { categories })
}
