//! Statistics in any loaded boundary year: a report keeps the codes it was stamped with,
//! and is counted in another year's areas by its location. The second year is made here
//! from the real 2025 buurten of Heerlen: one buurt split in two, two buurten merged.

use geo::{BooleanOps, BoundingRect, Coord, MultiPolygon, Rect};
use geojson::{Feature, FeatureCollection, GeoJson, Geometry};
use reqwest::Method;
use serde_json::Value;

use super::stats::{BU09171000, file, rows_of, stats_json};
use crate::support::app::TestApp;
use crate::support::backends::on_both_backends;
use crate::support::staff::spawn_staff_app;

const BUURTEN_2025: &str = include_str!("../../../data/seed/heerlen-buurten.geojson");
const GEMEENTEN_2025: &str = include_str!("../../../data/seed/nl-gemeenten.geojson");
const WIJKEN_2025: &str = include_str!("../../../data/seed/heerlen-wijken.geojson");
const MARIARADE_NOORD: (f64, f64) = (50.932135, 5.923663);
const MARIARADE_ZUID: (f64, f64) = (50.928672, 5.92749);
/// Where Maria Gewanden is cut in two in "2026" (the longitude of its test point).
const CUT_LON: f64 = BU09171000.1;

fn shape(feature: &Feature) -> MultiPolygon<f64> {
    let geometry: geo::Geometry<f64> = feature.geometry.clone().unwrap().try_into().unwrap();
    match geometry {
        geo::Geometry::Polygon(p) => MultiPolygon(vec![p]),
        geo::Geometry::MultiPolygon(m) => m,
        other => panic!("not a polygon: {other:?}"),
    }
}

fn feature(code: &str, name: &str, wijk: &str, shape: &MultiPolygon<f64>) -> Feature {
    let mut properties = serde_json::Map::new();
    properties.insert("code".into(), code.into());
    properties.insert("name".into(), name.into());
    properties.insert("wijk_code".into(), wijk.into());
    properties.insert("gemeente_code".into(), "GM0917".into());
    Feature {
        geometry: Some(Geometry::new(geojson::GeometryValue::from(shape))),
        properties: Some(properties),
        ..Feature::default()
    }
}

/// The 2025 buurten with BU09171000 split at [`CUT_LON`] into BU09171090 (west) and
/// BU09171091 (east), and BU09171100 + BU09171101 merged into BU09171190.
fn buurten_2026() -> String {
    let GeoJson::FeatureCollection(collection) = BUURTEN_2025.parse::<GeoJson>().unwrap() else {
        panic!("not a collection")
    };
    let mut features = Vec::new();
    let mut mariarade: Option<MultiPolygon<f64>> = None;
    for buurt in &collection.features {
        let code = buurt.property("code").and_then(Value::as_str).unwrap().to_owned();
        let name = buurt.property("name").and_then(Value::as_str).unwrap().to_owned();
        let wijk = buurt.property("wijk_code").and_then(Value::as_str).unwrap().to_owned();
        let polygons = shape(buurt);
        match code.as_str() {
            "BU09171000" => {
                let bounds = polygons.bounding_rect().unwrap();
                let west = Rect::new(bounds.min(), Coord { x: CUT_LON, y: bounds.max().y }).to_polygon();
                let east = Rect::new(Coord { x: CUT_LON, y: bounds.min().y }, bounds.max()).to_polygon();
                features.push(feature(
                    "BU09171090",
                    "Maria Gewanden-West",
                    &wijk,
                    &polygons.intersection(&MultiPolygon(vec![west])),
                ));
                features.push(feature(
                    "BU09171091",
                    "Maria Gewanden-Oost",
                    &wijk,
                    &polygons.intersection(&MultiPolygon(vec![east])),
                ));
            }
            "BU09171100" | "BU09171101" => {
                mariarade = Some(match mariarade.take() {
                    None => polygons,
                    Some(other) => other.union(&polygons),
                });
            }
            _ => features.push(feature(&code, &name, &wijk, &polygons)),
        }
    }
    features.push(feature("BU09171190", "Mariarade", "WK091711", &mariarade.unwrap()));
    GeoJson::FeatureCollection(FeatureCollection { features, bbox: None, foreign_members: None }).to_string()
}

/// The municipality layer cut down to Heerlen.
fn heerlen_only(gemeenten: &str) -> String {
    let GeoJson::FeatureCollection(mut collection) = gemeenten.parse::<GeoJson>().unwrap() else {
        panic!("not a collection")
    };
    collection.features.retain(|f| f.property("code").and_then(Value::as_str) == Some("GM0917"));
    assert_eq!(collection.features.len(), 1);
    GeoJson::FeatureCollection(collection).to_string()
}

async fn import(app: &TestApp, level: &str, year: i32, body: String) {
    let response = app
        .admin(Method::POST, &format!("/api/v1/admin/areas/import?level={level}&year={year}"))
        .header("Content-Type", "application/geo+json")
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201, "{}", response.text().await.unwrap_or_default());
}

fn received(answer: &Value, code: &str) -> i64 {
    rows_of(answer, code).iter().filter_map(|r| r["received"].as_i64()).sum()
}

on_both_backends! {
    setup = spawn_staff_app;

    async fn reports_count_in_the_areas_of_the_boundary_year_asked_whatever_year_they_were_stamped_in(app) {
        let category = "straatverlichting-openbare-klok";
        file(&app, category, (BU09171000.0, CUT_LON - 0.0005)).await;
        file(&app, category, (BU09171000.0, CUT_LON + 0.0005)).await;
        file(&app, category, MARIARADE_NOORD).await;
        file(&app, category, MARIARADE_ZUID).await;
        import(&app, "gemeente", 2026, heerlen_only(GEMEENTEN_2025)).await;
        import(&app, "wijk", 2026, WIJKEN_2025.to_owned()).await;
        import(&app, "buurt", 2026, buurten_2026()).await;
        // Filed after the new boundaries: stamped 2026.
        file(&app, category, MARIARADE_ZUID).await;

        let query = "level=buurt&area=WK091710,WK091711&period=year&category=wegen-verkeer-straatmeubilair";
        let in_2025 = stats_json(&app, &format!("{query}&boundary_year=2025")).await;
        assert_eq!(in_2025["boundary_year"], 2025);
        assert_eq!(in_2025["boundary_years_loaded"], serde_json::json!([2025, 2026]));
        assert_eq!(received(&in_2025, "BU09171000"), 2);
        assert_eq!(received(&in_2025, "BU09171100"), 1);
        assert_eq!(received(&in_2025, "BU09171101"), 2, "the 2026 report placed in 2025 by its location");
        assert!(rows_of(&in_2025, "BU09171190").is_empty());

        let in_2026 = stats_json(&app, query).await;
        assert_eq!(in_2026["boundary_year"], 2026, "the newest loaded year by default");
        assert!(in_2026["attribution"].as_str().unwrap().starts_with("Kadaster / Centraal Bureau voor de Statistiek, 2026"));
        assert_eq!(received(&in_2026, "BU09171090"), 1);
        assert_eq!(received(&in_2026, "BU09171091"), 1);
        assert_eq!(received(&in_2026, "BU09171190"), 3, "two merged buurten count together");
        assert!(rows_of(&in_2026, "BU09171000").is_empty() && rows_of(&in_2026, "BU09171100").is_empty());
        let names: Vec<&str> = rows_of(&in_2026, "BU09171190").iter().map(|r| r["area_name"].as_str().unwrap()).collect();
        assert_eq!(names.first(), Some(&"Mariarade"));

        let wijk = stats_json(&app, "level=wijk&area=GM0917&period=year&boundary_year=2025&category=wegen-verkeer-straatmeubilair").await;
        assert_eq!(received(&wijk, "WK091710") + received(&wijk, "WK091711"), 5);
    }
}
