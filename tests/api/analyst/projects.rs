//! Baseline and monitoring projects: defined by analysts, results per buurt, for the
//! project and for the comparison, frozen once read, every change logged.

use reqwest::Method;
use serde_json::{Value, json};

use super::stats::{BU09171000, BU09171001, file};
use crate::support::app::{TestApp, expect_problem, pointers};
use crate::support::backends::on_both_backends;
use crate::support::staff::*;
use crate::support::subscriptions::{announce, publish};

fn month(offset: i64) -> String {
    let today = chrono::Utc::now().with_timezone(&chrono_tz::Europe::Amsterdam).date_naive();
    let first = today.with_day0(0).unwrap();
    let shifted = if offset < 0 {
        first - chrono::Months::new(offset.unsigned_abs() as u32)
    } else {
        first + chrono::Months::new(offset as u32)
    };
    shifted.format("%Y-%m").to_string()
}

use chrono::Datelike;

fn definition() -> Value {
    json!({
        "areas": ["BU09171000"],
        "categories": ["wegen-verkeer-straatmeubilair"],
        "baseline_from": month(-12),
        "baseline_to": month(-1),
        "intervention_start": format!("{}-01", month(0)),
        "follow_up": "month",
    })
}

/// Test point of BU09171100 (Mariarade-Noord), another wijk of Heerlen.
const BU09171100: (f64, f64) = (50.932135, 5.923663);
/// In Maria Gewanden (BU09171000) as well, but east of the drawn square.
const BESIDE_THE_SQUARE: (f64, f64) = (50.9245, 5.9185);

/// A small square drawn around the test point of BU09171000, within that buurt.
fn square() -> Value {
    json!({"type": "Polygon", "coordinates": [[[5.911, 50.922], [5.916, 50.922], [5.916, 50.926], [5.911, 50.926], [5.911, 50.922]]]})
}

fn drawn_definition() -> Value {
    let mut definition = definition();
    definition.as_object_mut().unwrap().remove("areas");
    definition["polygon"] = square();
    definition
}

async fn create(app: &TestApp, token: &str, body: Value) -> reqwest::Response {
    send(app, Method::POST, "/api/v1/projects", Some(token), Some(body)).await
}

on_both_backends! {
    setup = spawn_staff_app;

    async fn an_analyst_defines_a_project_and_reads_its_results_per_buurt_project_and_comparison(app) {
        let admin = admin_token(&app).await;
        let (_, analyst) = staff_account(&app, &admin, "analist@heerlen.example", "analyst", &[]).await;
        for _ in 0..3 {
            file(&app, "straatverlichting-openbare-klok", BU09171000).await;
        }
        file(&app, "straatverlichting-openbare-klok", (50.932135, 5.923663)).await;
        let response = create(&app, &analyst, json!({"name": "Lichtplan Maria Gewanden", "description": "Nieuwe lampen", "definition": definition()})).await;
        assert_eq!(response.status(), 201, "{}", response.text().await.unwrap_or_default());
        let project: Value = response.json().await.unwrap();
        assert_eq!(project["definition"]["boundary_year"], 2025, "fixed at creation");
        let id = project["id"].as_str().unwrap();

        let response = send(&app, Method::GET, &format!("/api/v1/projects/{id}/results"), Some(&analyst), None).await;
        assert_eq!(response.status(), 200, "{}", response.text().await.unwrap_or_default());
        let text = response.text().await.unwrap();
        assert!(!text.contains("statistiek.melder@example.nl") && !text.contains("Stientje"), "no personal data in results");
        let results: Value = serde_json::from_str(&text).unwrap();
        let units = results["units"].as_array().unwrap();
        let kinds: Vec<&str> = units.iter().map(|u| u["unit"].as_str().unwrap()).collect();
        assert_eq!(kinds, ["buurt", "project", "comparison"]);
        assert_eq!(units[0]["area_code"], "BU09171000");
        assert_eq!(units[0]["baseline"]["months"], 12);
        assert_eq!(units[0]["baseline"]["figures"]["received"], 0);
        let now = &units[1]["follow_up"][0];
        assert_eq!(now["label"], month(0));
        assert_eq!(now["figures"]["received"], 3);
        assert_eq!(now["rate"]["per_month"], 3.0);
        assert!(now["rate"]["lower"].as_f64().unwrap() < 3.0 && now["rate"]["upper"].as_f64().unwrap() > 3.0);
        assert!(now["verdict"].as_str().unwrap().contains("too few"), "{now}");
        assert_eq!(now["figures"]["inhabitants_year"], 2024, "the newest CBS figure before this year");
        let people = now["figures"]["inhabitants"].as_f64().unwrap();
        assert_eq!(now["figures"]["received_per_1000_inhabitants"].as_f64(), Some((3.0 * 1000.0 / people * 100.0).round() / 100.0));
        assert_eq!(units[2]["follow_up"][0]["figures"]["received"], 1, "the rest of Heerlen");
        assert!(units[2]["name"].as_str().unwrap().contains("GM0917"));
        assert!(results["difference_in_differences"][0]["verdict"].is_string());
        assert!(results["method"].as_str().unwrap().contains("Poisson"));

        // Results exist: the definition is frozen, the name is not; every change is logged.
        let mut changed = definition();
        changed["follow_up"] = json!("quarter");
        let path = format!("/api/v1/projects/{id}");
        expect_problem(send(&app, Method::PATCH, &path, Some(&analyst), Some(json!({"definition": changed}))).await, 409).await;
        let renamed = send(&app, Method::PATCH, &path, Some(&analyst), Some(json!({"name": "Lichtplan MG"}))).await;
        assert_eq!(renamed.status(), 200);
        let closed = send(&app, Method::POST, &format!("{path}/close"), Some(&analyst), None).await;
        assert_eq!(closed.json::<Value>().await.unwrap()["status"], "closed");
        let log: Value = send(&app, Method::GET, &format!("{path}/changes"), Some(&analyst), None).await.json().await.unwrap();
        let actions: Vec<&str> = log.as_array().unwrap().iter().map(|c| c["action"].as_str().unwrap()).collect();
        assert_eq!(actions, ["created", "frozen", "updated", "closed"]);
        assert_eq!(log[2]["details"]["name"]["before"], "Lichtplan Maria Gewanden");
        assert!(log[0]["actor"].as_str().unwrap().starts_with("staff:"));
        let list: Value = send(&app, Method::GET, "/api/v1/projects", Some(&analyst), None).await.json().await.unwrap();
        assert_eq!(list.as_array().unwrap().len(), 1);
    }

    async fn a_project_whose_baseline_ends_after_its_start_is_refused_and_nothing_is_stored(app) {
        let admin = admin_token(&app).await;
        let mut late = definition();
        late["baseline_to"] = json!(month(0));
        late["areas"] = json!(["BU09999999"]);
        late["categories"] = json!(["bestaat-niet"]);
        let problem = expect_problem(create(&app, &admin, json!({"name": "Te laat", "definition": late})).await, 422).await;
        assert_eq!(pointers(&problem), ["/definition/baseline_to", "/definition/areas/0", "/definition/categories/0"]);
        let list: Value = send(&app, Method::GET, "/api/v1/projects", Some(&admin), None).await.json().await.unwrap();
        assert_eq!(list, json!([]));
        let (_, lamp) = staff_account(&app, &admin, "lamp@heerlen.example", "department_staff", &["openbare-verlichting"]).await;
        expect_problem(create(&app, &lamp, json!({"name": "x", "definition": definition()})).await, 403).await;
        expect_problem(send(&app, Method::GET, "/api/v1/projects/0190a000-0000-7000-8000-000000000000/results", Some(&admin), None).await, 404).await;
    }

    async fn a_drawn_project_counts_the_reports_inside_its_polygon_and_compares_them_with_the_rest_of_heerlen(app) {
        let admin = admin_token(&app).await;
        let (_, analyst) = staff_account(&app, &admin, "analist@heerlen.example", "analyst", &[]).await;
        file(&app, "straatverlichting-openbare-klok", BU09171000).await;
        file(&app, "straatverlichting-openbare-klok", BESIDE_THE_SQUARE).await;
        file(&app, "straatverlichting-openbare-klok", BU09171001).await;
        file(&app, "straatverlichting-openbare-klok", BU09171100).await;
        let response = create(&app, &analyst, json!({"name": "Pleintje", "definition": drawn_definition()})).await;
        assert_eq!(response.status(), 201, "{}", response.text().await.unwrap_or_default());
        let project: Value = response.json().await.unwrap();
        assert_eq!(project["definition"]["polygon"], square(), "stored as given");
        assert_eq!(project["definition"]["areas"], json!([]));
        let id = project["id"].as_str().unwrap();
        // Announcements: over the square, to its wijk, beside the square in the same buurt,
        // and to another wijk; only the first two reached the project's area.
        let beside = json!({"type": "Polygon", "coordinates": [[[5.918, 50.924], [5.92, 50.924], [5.92, 50.925], [5.918, 50.925], [5.918, 50.924]]]});
        for (title, areas, polygon) in [
            ("Over het plein", None, Some(square())),
            ("Wijk 10", Some(json!(["WK091710"])), None),
            ("Naast het plein", None, Some(beside)),
            ("Mariarade", Some(json!(["BU09171100"])), None),
        ] {
            let mut body = json!({"title": title, "body": "Wij knappen de buurt op.", "tags": ["roadworks"]});
            if let Some(areas) = areas {
                body["areas"] = areas;
            }
            if let Some(polygon) = polygon {
                body["polygon"] = polygon;
            }
            let announcement = announce(&app, &admin, body).await;
            publish(&app, &admin, &announcement).await;
        }

        let response = send(&app, Method::GET, &format!("/api/v1/projects/{id}/results"), Some(&analyst), None).await;
        assert_eq!(response.status(), 200, "{}", response.text().await.unwrap_or_default());
        let results: Value = response.json().await.unwrap();
        let titles: Vec<&str> = results["announcements"].as_array().unwrap().iter().map(|a| a["title"].as_str().unwrap()).collect();
        assert_eq!(titles, ["Over het plein", "Wijk 10"]);
        let units = results["units"].as_array().unwrap();
        let kinds: Vec<&str> = units.iter().map(|u| u["unit"].as_str().unwrap()).collect();
        assert_eq!(kinds, ["project", "comparison"], "no buurt of a polygon: it cuts through them");
        assert_eq!(units[0]["buurten"], json!(["BU09171000"]), "the buurten the polygon overlaps");
        let inside = &units[0]["follow_up"][0]["figures"];
        assert_eq!(inside["received"], 1, "the report inside the square, not the one beside it: {inside}");
        assert!(inside.get("received_per_1000_inhabitants").is_none() && inside.get("inhabitants").is_none(), "{inside}");
        assert!(units[0]["note"].as_str().unwrap().contains("no CBS figure covers a drawn polygon"));
        assert_eq!(units[0]["baseline"]["figures"]["received"], 0);
        let rest = &units[1];
        assert_eq!(rest["follow_up"][0]["figures"]["received"], 3, "beside the square, Terschuren and Mariarade-Noord: {rest}");
        assert_eq!(rest["name"], "rest of GM0917");
        assert!(rest["buurten"].as_array().unwrap().iter().any(|b| b == "BU09171000"), "the buurt outside the square");
        assert!(results["difference_in_differences"][0]["verdict"].is_string());

        // Named comparison areas still work; the polygon's reports never count in them.
        let mut named = drawn_definition();
        named["comparison_areas"] = json!(["WK091710"]);
        let response = create(&app, &analyst, json!({"name": "Pleintje tegen wijk 10", "definition": named})).await;
        assert_eq!(response.status(), 201, "{}", response.text().await.unwrap_or_default());
        let id = response.json::<Value>().await.unwrap()["id"].as_str().unwrap().to_owned();
        let results: Value = send(&app, Method::GET, &format!("/api/v1/projects/{id}/results"), Some(&analyst), None).await.json().await.unwrap();
        assert_eq!(results["units"][0]["follow_up"][0]["figures"]["received"], 1);
        assert_eq!(results["units"][1]["follow_up"][0]["figures"]["received"], 2, "wijk 10 without the square: {}", results["units"][1]);
        assert_eq!(results["units"][1]["name"], "WK091710");
    }

    async fn a_project_area_given_both_as_codes_and_as_a_polygon_or_as_neither_is_refused_by_pointer(app) {
        let admin = admin_token(&app).await;
        let mut both = drawn_definition();
        both["areas"] = json!(["BU09171000"]);
        let problem = expect_problem(create(&app, &admin, json!({"name": "Beide", "definition": both})).await, 422).await;
        assert_eq!(pointers(&problem), ["/definition/areas", "/definition/polygon"]);
        let mut neither = definition();
        neither.as_object_mut().unwrap().remove("areas");
        let problem = expect_problem(create(&app, &admin, json!({"name": "Geen", "definition": neither})).await, 422).await;
        assert_eq!(pointers(&problem), ["/definition/areas", "/definition/polygon"]);
        let list: Value = send(&app, Method::GET, "/api/v1/projects", Some(&admin), None).await.json().await.unwrap();
        assert_eq!(list, json!([]));
    }

    async fn an_open_ring_an_invalid_shape_or_a_polygon_outside_heerlen_is_refused_with_the_reason(app) {
        let admin = admin_token(&app).await;
        let refused = |polygon: Value| {
            let mut definition = drawn_definition();
            definition["polygon"] = polygon;
            json!({"name": "Getekend", "definition": definition})
        };
        let open = json!({"type": "Polygon", "coordinates": [[[5.911, 50.922], [5.916, 50.922], [5.916, 50.926], [5.911, 50.926]]]});
        let problem = expect_problem(create(&app, &admin, refused(open)).await, 422).await;
        assert_eq!(pointers(&problem), ["/definition/polygon"]);
        assert!(problem["errors"][0]["detail"].as_str().unwrap().contains("open"), "{problem}");
        let bowtie = json!({"type": "Polygon", "coordinates": [[[5.911, 50.922], [5.916, 50.926], [5.916, 50.922], [5.911, 50.926], [5.911, 50.922]]]});
        let problem = expect_problem(create(&app, &admin, refused(bowtie)).await, 422).await;
        assert_eq!(pointers(&problem), ["/definition/polygon"]);
        assert!(problem["errors"][0]["detail"].as_str().unwrap().contains("invalid"), "{problem}");
        // The Dam in Amsterdam.
        let amsterdam = json!({"type": "Polygon", "coordinates": [[[4.891, 52.372], [4.894, 52.372], [4.894, 52.374], [4.891, 52.374], [4.891, 52.372]]]});
        let problem = expect_problem(create(&app, &admin, refused(amsterdam)).await, 422).await;
        assert_eq!(pointers(&problem), ["/definition/polygon"]);
        let detail = problem["errors"][0]["detail"].as_str().unwrap();
        assert!(detail.contains("outside every") && detail.contains("GM0917"), "{detail}");
    }
}
