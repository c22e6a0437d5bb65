//! The demo configuration a fresh database starts with: Heerlen's departments and the Dutch
//! category tree of `data/seed/categories-nl.json` (slugs and names from Signalen, see
//! `data/seed/README.md`), with handling times, privacy flags and a few example questions;
//! the CBS areas and Heerlen's CBS key figures.

use chrono::Utc;
use diesel::prelude::*;
use serde::Deserialize;
use uuid::Uuid;

use super::connection::{DbTime, DbUuid};
use super::rows::{CategoryRow, DepartmentRow};
use super::schema::{categories, departments};
use super::{DbConnection, StorageError};
use crate::domain::category::{AnswerType, Question, QuestionOption};

const CATEGORY_TREE: &str = include_str!("../../data/seed/categories-nl.json");
const GEMEENTEN: &str = include_str!("../../data/seed/nl-gemeenten.geojson");
const WIJKEN: &str = include_str!("../../data/seed/heerlen-wijken.geojson");
const BUURTEN: &str = include_str!("../../data/seed/heerlen-buurten.geojson");
const KERNCIJFERS: &str = include_str!("../../data/seed/heerlen-kerncijfers.csv");

/// Boundary year of the seeded areas.
pub const SEED_AREA_YEAR: i32 = 2025;

/// Imports the demo areas (all gemeenten, Heerlen's wijken and buurten, 2025) when the
/// registry is empty. Returns whether it imported.
pub fn seed_areas_if_empty(conn: &mut DbConnection) -> Result<bool, StorageError> {
    use crate::domain::area::{AreaLevel, parse_area_file};
    if !super::areas::is_empty(conn)? {
        return Ok(false);
    }
    for (text, level, name) in [
        (GEMEENTEN, AreaLevel::Gemeente, "data/seed/nl-gemeenten.geojson"),
        (WIJKEN, AreaLevel::Wijk, "data/seed/heerlen-wijken.geojson"),
        (BUURTEN, AreaLevel::Buurt, "data/seed/heerlen-buurten.geojson"),
    ] {
        let document: serde_json::Value =
            serde_json::from_str(text).map_err(|e| StorageError::Setup(format!("{name} is malformed: {e}")))?;
        let areas = parse_area_file(&document, level, SEED_AREA_YEAR)
            .map_err(|e| StorageError::Setup(format!("{name}: {e}")))?;
        super::areas::import(conn, level, SEED_AREA_YEAR, &areas, name, "seed")
            .map_err(|e| StorageError::Setup(format!("{name}: {e}")))?;
    }
    Ok(true)
}

/// Loads the CBS key figures of Heerlen (inhabitants, area, dwellings; 2023 and 2024,
/// `data/seed/heerlen-kerncijfers.csv`) when no figure is stored. Returns how many it loaded.
pub fn seed_figures_if_empty(conn: &mut DbConnection) -> Result<usize, StorageError> {
    const NAME: &str = "data/seed/heerlen-kerncijfers.csv";
    if !super::figures::is_empty(conn)? {
        return Ok(0);
    }
    let file = crate::domain::figures::parse_figure_file(KERNCIJFERS.as_bytes()).map_err(|problems| {
        let first = problems.first().map(|p| format!("{}: {}", p.pointer, p.detail)).unwrap_or_default();
        StorageError::Setup(format!("{NAME}: {first}"))
    })?;
    super::figures::load(conn, &file.figures, NAME)
}

/// Namespace of the seed's name-based (v5) UUIDs, so a seeded department or category has
/// the same id in every installation.
const SEED_NAMESPACE: Uuid = Uuid::from_u128(0x6d65_6c64_7075_6e74_0000_0000_0000_0001);

#[derive(Deserialize)]
struct Tree {
    suggested_departments: Vec<SeedDepartment>,
    categories: Vec<SeedMain>,
}

#[derive(Deserialize)]
struct SeedDepartment {
    slug: String,
    name_nl: String,
    name_en: String,
}

#[derive(Deserialize)]
struct SeedMain {
    slug: String,
    name_nl: String,
    name_en: String,
    subcategories: Vec<SeedSub>,
}

#[derive(Deserialize)]
struct SeedSub {
    slug: String,
    name_nl: String,
    name_en: String,
    suggested_department: SeedDepartmentRef,
    source: SeedSource,
    amsterdam_specific: bool,
}

#[derive(Deserialize)]
struct SeedDepartmentRef {
    slug: String,
}

#[derive(Deserialize)]
struct SeedSource {
    handling: String,
    #[serde(default)]
    description: Option<String>,
}

/// The seeded id of a department.
pub fn department_id(slug: &str) -> Uuid {
    Uuid::new_v5(&SEED_NAMESPACE, format!("department:{slug}").as_bytes())
}

/// The seeded id of a category (`main` is the main category's slug, `None` for a main one).
pub fn category_id(main: Option<&str>, slug: &str) -> Uuid {
    let name = match main {
        Some(main) => format!("category:{main}/{slug}"),
        None => format!("category:{slug}"),
    };
    Uuid::new_v5(&SEED_NAMESPACE, name.as_bytes())
}

/// Hours to handle a report, from Signalen's handling codes (A3D = 3 days, A3W = 3 weeks,
/// I5D = 5 working days, WS1/WS2 = 1/2 days, GLAD = slipperiness, STOP = traffic lights).
fn handling_hours(code: &str) -> i32 {
    match code {
        "A3DMC" | "A3DEC" | "A3DEVOMC" => 72,
        "A3WMC" | "A3WEC" => 21 * 24,
        "WS1EC" | "GLADZC" | "STOPEC" => 24,
        "WS2EC" => 48,
        _ => 5 * 24,
    }
}

/// Nuisance caused by people: never shown on public maps.
const NOT_PUBLIC: &[&str] = &[
    "overige-overlast-door-personen",
    "jongerenoverlast",
    "daklozen-bedelen",
    "wildplassen-poepen-overgeven",
    "drank-en-drugsoverlast",
];

/// Categories whose public location is coarsened and description withheld.
fn is_sensitive(main: &str, sub: &str) -> bool {
    matches!(main, "overlast-van-en-door-personen-of-groepen" | "overlast-bedrijven-en-horeca")
        || matches!(sub, "stank-geluidsoverlast" | "bouw-sloopoverlast")
}

fn option(key: &str, name_nl: &str, name_en: &str) -> QuestionOption {
    QuestionOption { key: key.into(), name_nl: name_nl.into(), name_en: name_en.into() }
}

fn question(
    key: &str,
    label_nl: &str,
    label_en: &str,
    datatype: AnswerType,
    required: bool,
    values: Vec<QuestionOption>,
) -> Question {
    Question { key: key.into(), label_nl: label_nl.into(), label_en: label_en.into(), datatype, required, values }
}

/// Example questions; together they use all six answer types.
fn questions(sub: &str) -> Vec<Question> {
    match sub {
        "straatverlichting-openbare-klok" => vec![
            question(
                "probleem",
                "Wat is er aan de hand?",
                "What is wrong?",
                AnswerType::Singlevaluelist,
                true,
                vec![
                    option("uit", "Lamp is uit", "Light is out"),
                    option("knippert", "Lamp knippert", "Light flickers"),
                    option("overdag-aan", "Lamp brandt overdag", "Light is on during the day"),
                    option("beschadigd", "Paal is beschadigd", "Pole is damaged"),
                ],
            ),
            question("aantal_lampen", "Hoeveel lampen?", "How many lights?", AnswerType::Number, false, vec![]),
            question("lichtmastnummer", "Nummer op de paal", "Number on the pole", AnswerType::String, false, vec![]),
        ],
        "grofvuil" => vec![
            question(
                "soort",
                "Wat ligt er?",
                "What is lying there?",
                AnswerType::Multivaluelist,
                true,
                vec![
                    option("meubels", "Meubels", "Furniture"),
                    option("matras", "Matras", "Mattress"),
                    option("apparaten", "Elektrische apparaten", "Electrical appliances"),
                    option("tuinafval", "Tuinafval", "Garden waste"),
                    option("anders", "Iets anders", "Something else"),
                ],
            ),
            question("gezien_op", "Wanneer zag u het?", "When did you see it?", AnswerType::Datetime, false, vec![]),
            question("toelichting", "Toelichting", "Details", AnswerType::Text, false, vec![]),
        ],
        "boom" => vec![question(
            "gevaar",
            "Is er direct gevaar?",
            "Is there immediate danger?",
            AnswerType::Singlevaluelist,
            true,
            vec![option("ja", "Ja", "Yes"), option("nee", "Nee", "No")],
        )],
        _ => Vec::new(),
    }
}

/// Seeds the demo configuration when the database has no categories yet. Returns whether
/// it seeded. Runs in one write transaction: all or nothing.
pub fn seed_demo_if_empty(conn: &mut DbConnection) -> Result<bool, StorageError> {
    let tree: Tree = serde_json::from_str(CATEGORY_TREE)
        .map_err(|e| StorageError::Setup(format!("data/seed/categories-nl.json is malformed: {e}")))?;
    conn.write_transaction(|conn| {
        let existing: i64 = categories::table.count().get_result(conn)?;
        if existing > 0 {
            return Ok(false);
        }
        let now = DbTime::new(Utc::now());
        for department in &tree.suggested_departments {
            diesel::insert_into(departments::table)
                .values(DepartmentRow {
                    id: DbUuid(department_id(&department.slug)),
                    slug: department.slug.clone(),
                    name_nl: department.name_nl.clone(),
                    name_en: department.name_en.clone(),
                    email: None,
                    active: true,
                    created_at: now,
                    updated_at: now,
                })
                .execute(conn)?;
        }
        for (main_position, main) in (0i32..).zip(&tree.categories) {
            let main_id = category_id(None, &main.slug);
            let active = main.subcategories.iter().any(|s| !s.amsterdam_specific);
            diesel::insert_into(categories::table)
                .values(category_row(
                    main_id,
                    None,
                    &main.slug,
                    &main.name_nl,
                    &main.name_en,
                    main_position,
                    active,
                    now,
                ))
                .execute(conn)?;
            for (position, sub) in (0i32..).zip(&main.subcategories) {
                let mut row = category_row(
                    category_id(Some(&main.slug), &sub.slug),
                    Some(main_id),
                    &sub.slug,
                    &sub.name_nl,
                    &sub.name_en,
                    position,
                    !sub.amsterdam_specific,
                    now,
                );
                row.description_nl = sub.source.description.clone();
                row.is_public = !NOT_PUBLIC.contains(&sub.slug.as_str());
                row.is_sensitive = is_sensitive(&main.slug, &sub.slug);
                row.handling_hours = Some(handling_hours(&sub.source.handling));
                row.default_department_id = Some(DbUuid(department_id(&sub.suggested_department.slug)));
                row.questions =
                    serde_json::to_string(&questions(&sub.slug)).map_err(|e| StorageError::Setup(e.to_string()))?;
                diesel::insert_into(categories::table).values(row).execute(conn)?;
            }
        }
        super::surveys::seed_demo_answers(conn, now)?;
        super::generation::bump_settings(conn)?;
        Ok(true)
    })
}

#[expect(clippy::too_many_arguments, reason = "a plain constructor of one row")]
fn category_row(
    id: Uuid,
    parent_id: Option<Uuid>,
    slug: &str,
    name_nl: &str,
    name_en: &str,
    position: i32,
    active: bool,
    now: DbTime,
) -> CategoryRow {
    CategoryRow {
        id: DbUuid(id),
        parent_id: parent_id.map(DbUuid),
        slug: slug.to_owned(),
        name_nl: name_nl.to_owned(),
        name_en: name_en.to_owned(),
        description_nl: None,
        description_en: None,
        is_public: true,
        is_sensitive: false,
        handling_hours: None,
        default_department_id: None,
        questions: "[]".to_owned(),
        active,
        position,
        created_at: now,
        updated_at: now,
    }
}
