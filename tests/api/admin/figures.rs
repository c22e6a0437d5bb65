//! CBS key figures through HTTP: the demo seed's figures, loading the kerncijfers file and a
//! simple file, reloading (replaces), bad files (every bad row named, nothing stored) and
//! who may load them.

use reqwest::Method;
use serde_json::Value;

use crate::support::app::*;
use crate::support::backends::on_both_backends;
use crate::support::staff::{admin_token, send, spawn_staff_app, staff_account};

const KERNCIJFERS: &str = include_str!("../../../data/seed/heerlen-kerncijfers.csv");

/// Figures in the kerncijfers file: population (81 + 57), men, women, dwellings (24 each),
/// land area (24 + 57), total and water area (24 each).
const KERNCIJFERS_FIGURES: u64 = 138 + 3 * 24 + (24 + 57) + 2 * 24;

/// POSTs `csv` as `text/csv` with the bearer `token`, if any.
async fn load_as(app: &TestApp, token: Option<&str>, csv: &str) -> reqwest::Response {
    let mut request = app.client.post(app.url("/api/v1/admin/figures")).header("Content-Type", "text/csv");
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    request.body(csv.to_owned()).send().await.unwrap()
}

async fn load(app: &TestApp, csv: &str) -> reqwest::Response {
    load_as(app, Some(ADMIN_TOKEN), csv).await
}

async fn listed(app: &TestApp) -> Value {
    let (status, body) = app.admin_json(Method::GET, "/api/v1/admin/figures", None).await;
    assert_eq!(status, 200, "{body}");
    body
}

/// `(source, areas)` of each summary entry of `figure` in `year`.
fn entries(list: &Value, figure: &str, year: i64) -> Vec<(String, i64)> {
    list["figures"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["figure"] == figure && e["year"] == year)
        .map(|e| (e["source"].as_str().unwrap().to_owned(), e["areas"].as_i64().unwrap()))
        .collect()
}

/// The stored population by year of `code` (read directly: the API shows only the summary).
async fn population_of(app: &TestApp, code: &str) -> Vec<(i32, i64)> {
    let db = app.database();
    let code = code.to_owned();
    tokio::task::spawn_blocking(move || {
        let mut conn = db.conn().unwrap();
        meldpunt::storage::figures::population(&mut conn, std::slice::from_ref(&code))
            .unwrap()
            .remove(&code)
            .unwrap_or_default()
    })
    .await
    .unwrap()
}

on_both_backends! {
    async fn the_demo_seed_has_the_population_of_heerlen_for_2023_and_2024(app) {
        let list = listed(&app).await;
        assert_eq!(entries(&list, "population", 2024), [("CBS 85984NED".to_owned(), 81)], "{list}");
        assert_eq!(entries(&list, "population", 2023), [("CBS 85618NED".to_owned(), 57)], "{list}");
        assert_eq!(population_of(&app, "GM0917").await, [(2024, 87_461)]);
        assert_eq!(population_of(&app, "BU09171000").await.len(), 2);
    }

    async fn the_seed_does_not_load_its_figures_again_over_loaded_ones_when_the_server_restarts(app) {
        let simple = "code,year,figure,value,source\nGM0917,2024,population,90000,CBS 85984NED\n";
        assert_eq!(load(&app, simple).await.status(), 201);
        let before = listed(&app).await;
        let restarted = app.restart_on_same_database().await;
        assert_eq!(listed(&restarted).await, before);
        assert_eq!(population_of(&restarted, "GM0917").await, [(2024, 90_000)]);
    }

    async fn loading_the_kerncijfers_file_answers_the_counts_and_the_list_shows_population_for_2023_and_2024(app) {
        let response = load(&app, KERNCIJFERS).await;
        assert_eq!(response.status(), 201);
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["loaded"].as_u64(), Some(KERNCIJFERS_FIGURES), "{body}");
        assert_eq!(entries(&body, "population", 2024), [("CBS 85984NED".to_owned(), 81)], "{body}");
        assert_eq!(entries(&body, "population", 2023), [("CBS 85618NED".to_owned(), 57)], "{body}");
        assert_eq!(entries(&body, "dwellings", 2024), [("CBS 85984NED".to_owned(), 24)], "{body}");
        assert_eq!(body["figures"], listed(&app).await["figures"]);
    }

    async fn loading_a_figure_again_replaces_its_value_rather_than_adding_one(app) {
        assert_eq!(load(&app, KERNCIJFERS).await.status(), 201);
        assert_eq!(load(&app, KERNCIJFERS).await.status(), 201);
        assert_eq!(entries(&listed(&app).await, "population", 2024), [("CBS 85984NED".to_owned(), 81)]);
        let simple = "code,year,figure,value,source\nGM0917,2024,population,90000,CBS 85984NED (gecorrigeerd)\n\
                      GM0917,2025,population,88000,CBS 86165NED\n";
        let response = load(&app, simple).await;
        assert_eq!(response.status(), 201);
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["loaded"], 2);
        assert_eq!(
            entries(&body, "population", 2024),
            [("CBS 85984NED".to_owned(), 80), ("CBS 85984NED (gecorrigeerd)".to_owned(), 1)],
            "{body}"
        );
        assert_eq!(entries(&body, "population", 2025), [("CBS 86165NED".to_owned(), 1)]);
        assert_eq!(population_of(&app, "GM0917").await, [(2024, 90_000), (2025, 88_000)]);
    }

    async fn a_file_with_a_bad_code_year_or_value_names_each_bad_row_and_stores_nothing(app) {
        let before = listed(&app).await;
        let bad = "code,year,figure,value,source\n\
                   WK091710,2025,population,4000,CBS 86165NED\n\
                   Heerlen,2025,population,87000,CBS 86165NED\n\
                   GM0917,25,population,87000,CBS 86165NED\n\
                   BU09171000,2025,population,3.420,CBS 86165NED\n";
        let problem = expect_problem(load(&app, bad).await, 422).await;
        assert_eq!(pointers(&problem), ["/rows/3/code", "/rows/4/year", "/rows/5/value"], "{problem}");
        assert_eq!(problem["type"], "urn:meldpunt:problem:validation-failed");
        let errors = problem["errors"].as_array().unwrap();
        let details: Vec<&str> = errors.iter().map(|e| e["detail"].as_str().unwrap()).collect();
        assert!(details[0].contains("'Heerlen' is not a CBS area code"), "{problem}");
        assert!(details[1].contains("from 1900 to 2100"), "{problem}");
        assert!(details[2].contains("'3.420' is not a whole number"), "{problem}");
        let mut kerncijfers = KERNCIJFERS.replacen("GM0917,Heerlen,,87461", "GM0917,Heerlen,,veel", 1);
        kerncijfers.push_str("2024,buurt,BU0917,Kapot,WK091710,10,,,,,,,,85984NED\n");
        let problem = expect_problem(load(&app, &kerncijfers).await, 422).await;
        assert_eq!(pointers(&problem), ["/rows/2/population", "/rows/140/code"], "{problem}");
        assert_eq!(listed(&app).await, before);
        assert!(population_of(&app, "WK091710").await.iter().all(|(year, _)| *year != 2025));
    }

    async fn a_body_that_is_not_csv_is_refused(app) {
        let json = serde_json::json!({"code": "GM0917"});
        let response = app.admin(Method::POST, "/api/v1/admin/figures").json(&json).send().await.unwrap();
        let problem = expect_problem(response, 415).await;
        assert!(problem["detail"].as_str().unwrap().contains("text/csv"), "{problem}");
        let problem = expect_problem(load(&app, "").await, 422).await;
        assert_eq!(pointers(&problem), ["/rows/1"]);
    }

    async fn a_file_larger_than_max_import_bytes_is_refused(backend: Backend) {
        let app = spawn_app_with(backend, |s| s.max_import_bytes = 4096).await;
        let problem = expect_problem(load(&app, KERNCIJFERS).await, 413).await;
        assert!(problem["detail"].as_str().unwrap().contains("4096"), "{problem}");
    }
}

on_both_backends! {
    setup = spawn_staff_app;

    async fn only_admins_may_load_or_list_key_figures(app) {
        let simple = "code,year,figure,value,source\nGM0917,2024,population,1,CBS\n";
        expect_problem(load_as(&app, None, simple).await, 401).await;
        expect_problem(send(&app, Method::GET, "/api/v1/admin/figures", None, None).await, 401).await;
        let admin = admin_token(&app).await;
        let (_, analyst) = staff_account(&app, &admin, "analist@heerlen.example", "analyst", &[]).await;
        expect_problem(load_as(&app, Some(&analyst), simple).await, 403).await;
        expect_problem(send(&app, Method::GET, "/api/v1/admin/figures", Some(&analyst), None).await, 403).await;
        assert_eq!(population_of(&app, "GM0917").await, [(2024, 87_461)]);
        assert_eq!(load_as(&app, Some(&admin), simple).await.status(), 201);
        assert_eq!(population_of(&app, "GM0917").await, [(2024, 1)]);
    }
}
