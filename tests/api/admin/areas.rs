//! The area registry through HTTP: lookups of the real test points, GeoJSON listings,
//! imports (API and CLI) and their refusals, and a second process picking up an import.

use std::time::{Duration, Instant};

use reqwest::Method;
use serde_json::{Value, json};

use crate::support::app::*;
use crate::support::backends::on_both_backends;
use crate::support::process::captured;

const HEERLEN_POINTS: &str = include_str!("../../data/heerlen-test-points.csv");
const NATIONAL_POINTS: &str = include_str!("../../data/nl-gemeenten-test-points.csv");
const HEERLEN_BUURTEN: &str = include_str!("../../../data/seed/heerlen-buurten.geojson");

fn rows(csv: &str) -> Vec<Vec<String>> {
    csv.lines().skip(1).filter(|l| !l.trim().is_empty()).map(|l| l.split(',').map(str::to_owned).collect()).collect()
}

async fn lookup(app: &TestApp, lat: &str, lon: &str) -> Value {
    app.get_json(&format!("/api/v1/areas/lookup?lat={lat}&lon={lon}")).await
}

/// Heerlen's buurten with the name of BU09171000 changed to `name`.
fn renamed_buurten(name: &str) -> Value {
    let mut document: Value = serde_json::from_str(HEERLEN_BUURTEN).unwrap();
    for feature in document["features"].as_array_mut().unwrap() {
        if feature["properties"]["code"] == "BU09171000" {
            feature["properties"]["name"] = json!(name);
        }
    }
    document
}

async fn import(app: &TestApp, level: &str, year: i32, body: &Value) -> reqwest::Response {
    app.admin(Method::POST, &format!("/api/v1/admin/areas/import?level={level}&year={year}"))
        .json(body)
        .send()
        .await
        .unwrap()
}

async fn name_of_first_buurt(app: &TestApp) -> String {
    lookup(app, "50.923975", "5.91321").await["buurt"]["name"].as_str().unwrap_or_default().to_owned()
}

on_both_backends! {
    async fn all_57_heerlen_test_points_map_to_their_buurt_wijk_and_gemeente(app) {
        let points = rows(HEERLEN_POINTS);
        assert_eq!(points.len(), 57);
        for point in points {
            let found = lookup(&app, &point[0], &point[1]).await;
            assert_eq!(found["buurt"]["code"], point[2].as_str(), "{point:?}: {found}");
            assert_eq!(found["wijk"]["code"], point[3].as_str(), "{point:?}: {found}");
            assert_eq!(found["gemeente"]["code"], point[4].as_str(), "{point:?}: {found}");
            assert_eq!(found["year"], 2025);
            assert_eq!(found["served"], true);
            assert!(found["buurt"]["name"].as_str().is_some_and(|n| !n.is_empty()));
        }
    }

    async fn all_342_national_test_points_map_to_their_gemeente_whether_served_or_not(app) {
        let points = rows(NATIONAL_POINTS);
        assert_eq!(points.len(), 342);
        let answers = futures_util::future::join_all(points.iter().map(|p| lookup(&app, &p[0], &p[1]))).await;
        for (point, found) in points.iter().zip(answers) {
            assert_eq!(found["gemeente"]["code"], point[2].as_str(), "{point:?}: {found}");
            let name = point[3..].join(",");
            assert_eq!(found["gemeente"]["name"], name.trim_matches('"'), "{point:?}: {found}");
            assert_eq!(found["served"], point[2] == "GM0917", "{point:?}: {found}");
        }
    }

    async fn a_point_outside_every_municipality_and_bad_coordinates_are_problems(app) {
        let problem = expect_problem(app.get("/api/v1/areas/lookup?lat=52.5&lon=3.0").await, 422).await;
        assert_eq!(problem["type"], "urn:meldpunt:problem:outside-service-area");
        assert!(problem["detail"].as_str().unwrap().contains("no municipality"), "{problem}");
        let problem = expect_problem(app.get("/api/v1/areas/lookup?lat=abc&lon=200").await, 422).await;
        assert_eq!(pointers(&problem), ["/lat", "/lon"]);
        let problem = expect_problem(app.get("/api/v1/areas/lookup?lon=5.9").await, 422).await;
        assert_eq!(pointers(&problem), ["/lat"]);
    }

    async fn the_areas_of_heerlen_are_listed_as_a_geojson_feature_collection(app) {
        let response = app.get("/api/v1/areas?level=buurt&gemeente=GM0917").await;
        assert_eq!(response.status(), 200);
        assert_eq!(response.headers()["content-type"], "application/geo+json");
        let collection: Value = response.json().await.unwrap();
        assert_eq!(collection["type"], "FeatureCollection");
        let features = collection["features"].as_array().unwrap();
        assert_eq!(features.len(), 57);
        assert_eq!(features[0]["properties"]["wijk_code"], "WK091710");
        assert_eq!(features[0]["properties"]["year"], 2025);
        assert!(features.iter().all(|f| ["Polygon", "MultiPolygon"].contains(&f["geometry"]["type"].as_str().unwrap())));
        let wijken: Value = app.get_json("/api/v1/areas?level=wijk&gemeente=GM0917&year=2025").await;
        assert_eq!(wijken["features"].as_array().unwrap().len(), 23);
        let gemeenten: Value = app.get_json("/api/v1/areas?level=gemeente").await;
        assert_eq!(gemeenten["features"].as_array().unwrap().len(), 342);
        let none: Value = app.get_json("/api/v1/areas?level=buurt&gemeente=GM0363").await;
        assert_eq!(none["features"].as_array().unwrap().len(), 0);
        let problem = expect_problem(app.get("/api/v1/areas?level=straat&gemeente=Heerlen").await, 422).await;
        assert_eq!(pointers(&problem), ["/level", "/gemeente"]);
    }

    async fn an_import_replaces_its_level_and_year_and_lookups_see_it_at_once(app) {
        assert_eq!(name_of_first_buurt(&app).await, "Maria Gewanden");
        let response = import(&app, "buurt", 2025, &renamed_buurten("Nieuwe Naam")).await;
        assert_eq!(response.status(), 201);
        let result: Value = response.json().await.unwrap();
        assert_eq!((result["imported"].as_u64(), result["replaced"].as_u64()), (Some(57), Some(57)));
        assert_eq!(name_of_first_buurt(&app).await, "Nieuwe Naam");
        let (status, log) = app.admin_json(Method::GET, "/api/v1/admin/areas/imports", None).await;
        assert_eq!(status, 200);
        assert_eq!(log.as_array().unwrap().len(), 4, "three seed imports and this one: {log}");
        assert_eq!((log[0]["level"].as_str(), log[0]["source"].as_str(), log[0]["features"].as_i64()), (Some("buurt"), Some("api"), Some(57)));
        assert_eq!(log[0]["imported_by"], "admin", "the configured admin token imported it: {log}");
        assert_eq!(log[3]["imported_by"], "seed", "{log}");
    }

    async fn bad_area_files_are_refused_with_the_reason_and_change_nothing(app) {
        let mut open_ring = renamed_buurten("Kapot");
        open_ring["features"][3]["geometry"] = json!({"type": "Polygon", "coordinates": [[[5.9, 50.8], [5.91, 50.8], [5.91, 50.81], [5.9, 50.81]]]});
        let mut no_code = renamed_buurten("Kapot");
        no_code["features"][5]["properties"] = json!({"name": "Zonder code"});
        no_code["features"][5].as_object_mut().unwrap().remove("id");
        let mut unknown_wijk = renamed_buurten("Kapot");
        unknown_wijk["features"][0]["properties"]["code"] = json!("BU09179900");
        let cases: Vec<(Value, u16, &str)> = vec![
            (json!({"type": "Feature", "geometry": null}), 422, "FeatureCollection"),
            (json!({"hello": "world"}), 422, "not a GeoJSON FeatureCollection"),
            (open_ring, 422, "open"),
            (no_code, 422, "no code"),
            (unknown_wijk, 409, "WK091799"),
        ];
        for (body, status, reason) in cases {
            let problem = expect_problem(import(&app, "buurt", 2025, &body).await, status).await;
            let text = problem.to_string();
            assert!(text.contains(reason), "expected '{reason}' in {problem}");
        }
        let problem = expect_problem(
            app.admin(Method::POST, "/api/v1/admin/areas/import?level=buurt&year=2025")
                .header("Content-Type", "application/json").body("{not json").send().await.unwrap(),
            400,
        ).await;
        assert!(problem["detail"].as_str().unwrap().contains("not valid JSON"));
        let problem = expect_problem(import(&app, "straat", 99, &renamed_buurten("x")).await, 422).await;
        assert_eq!(pointers(&problem), ["/level", "/year"]);
        let (_, log) = app.admin_json(Method::GET, "/api/v1/admin/areas/imports", None).await;
        assert_eq!(log.as_array().unwrap().len(), 3, "only the seed imports: {log}");
        assert_eq!(name_of_first_buurt(&app).await, "Maria Gewanden");
    }

    async fn the_cli_imports_an_area_file_and_the_running_server_picks_it_up(app) {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("buurten.geojson");
        std::fs::write(&file, renamed_buurten("Via De Opdrachtregel").to_string()).unwrap();
        let output = captured(std::process::Command::new(env!("CARGO_BIN_EXE_meldpunt"))
            .args(["areas", "import"]).arg(&file).args(["--level", "buurt", "--year", "2025"])
            .env("DATABASE_URL", &app.database_url)
            .env("MELDPUNT_LOG", "debug"));
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(output.status.success(), "{stdout} {}", String::from_utf8_lossy(&output.stderr));
        assert!(stdout.contains("imported 57 buurt areas of 2025"), "{stdout}");
        wait_for_name(&app, "Via De Opdrachtregel").await;
        let (_, log) = app.admin_json(Method::GET, "/api/v1/admin/areas/imports", None).await;
        assert_eq!((log[0]["source"].as_str(), log[0]["imported_by"].as_str()), (Some("buurten.geojson"), Some("cli")), "{log}");
        std::fs::write(&file, "{\"type\": \"FeatureCollection\", \"features\": []}").unwrap();
        let output = captured(std::process::Command::new(env!("CARGO_BIN_EXE_meldpunt"))
            .args(["areas", "import"]).arg(&file).args(["--level", "buurt", "--year", "2025"])
            .env("DATABASE_URL", &app.database_url)
            .env("MELDPUNT_LOG", "debug"));
        assert!(!output.status.success());
        assert!(String::from_utf8_lossy(&output.stderr).contains("no features"));
    }

    async fn an_area_file_larger_than_max_import_bytes_is_refused(backend: Backend) {
        let app = spawn_app_with(backend, |s| s.max_import_bytes = 4096).await;
        let problem = expect_problem(import(&app, "buurt", 2025, &renamed_buurten("Te Groot")).await, 413).await;
        assert!(problem["detail"].as_str().unwrap().contains("4096"), "{problem}");
        assert_eq!(name_of_first_buurt(&app).await, "Maria Gewanden");
    }
}

async fn wait_for_name(app: &TestApp, name: &str) {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let seen = name_of_first_buurt(app).await;
        if seen == name {
            return;
        }
        assert!(Instant::now() < deadline, "after 5 s the server still says '{seen}', not '{name}'");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_server_on_the_same_postgresql_database_sees_an_import_within_a_few_poll_intervals() {
    let first = spawn_app(Backend::Postgres).await;
    let second = first.restart_on_same_database().await;
    assert_eq!(name_of_first_buurt(&second).await, "Maria Gewanden");
    assert_eq!(import(&first, "buurt", 2025, &renamed_buurten("Elders Geimporteerd")).await.status(), 201);
    wait_for_name(&second, "Elders Geimporteerd").await;
}
