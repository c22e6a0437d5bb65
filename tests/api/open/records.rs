//! `GET /api/v1/open/records.csv` and `.geojson`: the report-level records of a year, with
//! no personal data, nothing of non-public categories, sensitive places coarsened, the
//! columns of their Table Schema, ETags and conditional GET, and a clear 422 for a bad year.

use reqwest::header::{ETAG, IF_NONE_MATCH};
use serde_json::{Value, json};

use crate::support::app::{TestApp, expect_problem, pointers};
use crate::support::backends::on_both_backends;
use crate::support::staff::{admin_token, send, spawn_staff_app};

const NAME: &str = "Pietje Puk";
const EMAIL: &str = "pietje.puk@example.nl";
const PHONE: &str = "0612345678";
const ADDRESS: &str = "Pukstraat 13, Heerlen";

/// A place in the centre of Heerlen, and the centre of its ~280 m grid cell.
const PLACE: (f64, f64) = (50.88801, 5.97951);
const CELL_CENTRE: (f64, f64) = (50.88875, 5.978);

fn this_year() -> i32 {
    use chrono::Datelike;
    chrono::Utc::now().with_timezone(&chrono_tz::Europe::Amsterdam).year()
}

/// Files a report whose text and contact carry personal data; returns its reference.
async fn file_personal(app: &TestApp, category: &str) -> String {
    let body = json!({
        "category": category,
        "description": format!("Ik ben {NAME}, mail {EMAIL} of bel {PHONE}."),
        "location": {"lat": PLACE.0, "lon": PLACE.1},
        "address": ADDRESS,
        "reporter": {"email": EMAIL, "phone": PHONE, "name": NAME, "consent_to_contact": true},
    });
    let response = app.post_report(&body, None).await;
    assert_eq!(response.status(), 201, "{}", response.text().await.unwrap_or_default());
    let created: Value = response.json().await.unwrap();
    created["reference"].as_str().unwrap().to_owned()
}

/// Resolves a report as the bootstrap admin.
async fn resolve(app: &TestApp, id: &str) {
    let admin = admin_token(app).await;
    let path = format!("/api/v1/staff/reports/{id}/transitions");
    let body = json!({"to": "resolved", "text": "Opgeruimd."});
    let response = send(app, reqwest::Method::POST, &path, Some(&admin), Some(body)).await;
    assert_eq!(response.status(), 200, "{}", response.text().await.unwrap_or_default());
}

async fn download(app: &TestApp, format: &str, year: i32) -> (reqwest::header::HeaderMap, String) {
    let response = app.get(&format!("/api/v1/open/records.{format}?year={year}")).await;
    assert_eq!(response.status(), 200, "records.{format}");
    let headers = response.headers().clone();
    (headers, response.text().await.unwrap())
}

/// The CSV as header and rows of cells (the files hold no quoted commas).
fn parse_csv(text: &str) -> (Vec<String>, Vec<Vec<String>>) {
    let mut lines = text.split("\r\n").filter(|l| !l.is_empty());
    let header = lines.next().unwrap().split(',').map(str::to_owned).collect();
    (header, lines.map(|l| l.split(',').map(str::to_owned).collect()).collect())
}

fn cell<'a>(header: &[String], row: &'a [String], name: &str) -> &'a str {
    let index = header.iter().position(|h| h == name).unwrap_or_else(|| panic!("no column {name}"));
    &row[index]
}

on_both_backends! {
    setup = spawn_staff_app;

    async fn records_carry_no_personal_data_nothing_non_public_and_sensitive_places_at_their_cell_centre(app) {
        let public = file_personal(&app, "veeg-zwerfvuil").await;
        let sensitive = file_personal(&app, "geluidsoverlast-muziek").await;
        let hidden = file_personal(&app, "drank-en-drugsoverlast").await;
        let year = this_year();
        let (headers, csv) = download(&app, "csv", year).await;
        let (_, geojson) = download(&app, "geojson", year).await;
        for (format, text) in [("csv", &csv), ("geojson", &geojson)] {
            for secret in [NAME, "Puk", EMAIL, "example.nl", PHONE, "12345678", ADDRESS, "Pukstraat", "bel "] {
                assert!(!text.contains(secret), "{format} leaks {secret:?}: {text}");
            }
            assert!(!text.contains(&hidden), "{format} lists a report of a non-public category");
            assert!(text.contains(&public) && text.contains(&sensitive), "{format}: {text}");
        }
        assert!(headers["content-type"].to_str().unwrap().starts_with("text/csv"));
        assert_eq!(headers["content-disposition"], format!("attachment; filename=\"meldpunt-records-{year}.csv\""));
        assert!(headers["cache-control"].to_str().unwrap().starts_with("public"));

        let (header, rows) = parse_csv(&csv);
        assert_eq!(rows.len(), 2, "{csv}");
        for row in &rows {
            let (lat, lon): (f64, f64) =
                (cell(&header, row, "latitude").parse().unwrap(), cell(&header, row, "longitude").parse().unwrap());
            if cell(&header, row, "reference") == sensitive {
                assert_eq!((lat, lon), CELL_CENTRE);
                assert_eq!(cell(&header, row, "location_precision"), "cell_280m");
            } else {
                assert_eq!((lat, lon), PLACE);
                assert_eq!(cell(&header, row, "location_precision"), "exact");
            }
        }

        let collection: Value = serde_json::from_str(&geojson).unwrap();
        assert_eq!(collection["type"], "FeatureCollection");
        let features = collection["features"].as_array().unwrap();
        assert_eq!(features.len(), 2);
        let coarse = features.iter().find(|f| f["properties"]["reference"] == sensitive.as_str()).unwrap();
        assert_eq!(coarse["geometry"], json!({"type": "Point", "coordinates": [CELL_CENTRE.1, CELL_CENTRE.0]}));
        assert_eq!(coarse["properties"]["location_precision"], "cell_280m");
        assert_eq!(coarse["properties"]["category"], "geluidsoverlast-muziek");
    }

    async fn the_csv_columns_are_the_schema_fields_in_order_and_values_fit_their_types(app) {
        let first = file_personal(&app, "veeg-zwerfvuil").await;
        file_personal(&app, "veeg-zwerfvuil").await;
        let id = app.get_json("/api/v1/reports?bbox=5.97,50.88,5.99,50.895").await["features"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["properties"]["reference"] == first.as_str())
            .map(|f| f["id"].as_str().unwrap().to_owned())
            .unwrap();
        resolve(&app, &id).await;
        let schema = app.get_json("/api/v1/open/schema/records.json").await;
        assert_eq!(schema["primaryKey"], "reference");
        let fields = schema["fields"].as_array().unwrap();
        let names: Vec<&str> = fields.iter().map(|f| f["name"].as_str().unwrap()).collect();
        for field in fields {
            for key in ["name", "type", "format", "description", "constraints"] {
                assert!(!field[key].is_null(), "{key} missing in {field}");
            }
        }
        let year = this_year();
        let (_, csv) = download(&app, "csv", year).await;
        let (header, rows) = parse_csv(&csv);
        assert_eq!(header, names);
        assert_eq!(rows.len(), 2);
        for row in &rows {
            assert_eq!(row.len(), fields.len());
            for (value, field) in row.iter().zip(fields) {
                let required = field["constraints"]["required"] == true;
                if value.is_empty() {
                    assert!(!required, "{} is required", field["name"]);
                    continue;
                }
                let fits = match field["type"].as_str().unwrap() {
                    "date" => chrono::NaiveDate::parse_from_str(value, "%Y-%m-%d").is_ok(),
                    "integer" => value.parse::<i64>().is_ok(),
                    "number" => value.parse::<f64>().is_ok(),
                    _ => true,
                };
                assert!(fits, "{value:?} is not a {}", field["type"]);
                if let Some(allowed) = field["constraints"]["enum"].as_array() {
                    assert!(allowed.iter().any(|a| a == value.as_str()), "{value} not in {allowed:?}");
                }
            }
            let today = chrono::Utc::now().with_timezone(&chrono_tz::Europe::Amsterdam).format("%Y-%m-%d").to_string();
            assert_eq!(cell(&header, row, "received_on"), today);
            assert_eq!(cell(&header, row, "gemeente_code"), "GM0917");
            assert_eq!(cell(&header, row, "category"), "veeg-zwerfvuil");
            assert_eq!(cell(&header, row, "main_category"), "afval");
            let resolved = cell(&header, row, "reference") == first;
            assert_eq!(cell(&header, row, "status"), if resolved { "resolved" } else { "new" });
            assert_eq!(cell(&header, row, "resolved_on"), if resolved { today.as_str() } else { "" });
        }
    }

    async fn a_download_answers_304_to_its_etag_until_a_new_report_of_the_year_changes_it(app) {
        file_personal(&app, "veeg-zwerfvuil").await;
        let year = this_year();
        for format in ["csv", "geojson"] {
            let path = format!("/api/v1/open/records.{format}?year={year}");
            let (headers, _) = download(&app, format, year).await;
            let etag = headers[ETAG].to_str().unwrap().to_owned();
            let again = app.client.get(app.url(&path)).header(IF_NONE_MATCH, &etag).send().await.unwrap();
            assert_eq!(again.status(), 304, "{format}");
            assert_eq!(again.headers()[ETAG], etag.as_str());
            assert!(again.text().await.unwrap().is_empty());
            file_personal(&app, "veeg-zwerfvuil").await;
            let changed = app.client.get(app.url(&path)).header(IF_NONE_MATCH, &etag).send().await.unwrap();
            assert_eq!(changed.status(), 200, "{format}");
            assert_ne!(changed.headers()[ETAG], etag.as_str());
        }
    }

    async fn a_missing_or_out_of_range_year_is_refused_with_a_problem_that_says_what_to_send(app) {
        for format in ["csv", "geojson"] {
            for query in ["", "?year=1999", "?year=3000", "?year=vorig-jaar"] {
                let response = app.get(&format!("/api/v1/open/records.{format}{query}")).await;
                let problem = expect_problem(response, 422).await;
                assert_eq!(pointers(&problem), ["/year"], "{query}");
                let detail = problem["errors"][0]["detail"].as_str().unwrap();
                assert!(detail.contains(&format!("from 2000 to {}", this_year())), "{detail}");
            }
        }
    }

    async fn a_year_without_reports_is_a_file_with_only_its_header(app) {
        let (_, csv) = download(&app, "csv", 2001).await;
        let schema = app.get_json("/api/v1/open/schema/records.json").await;
        let names: Vec<&str> = schema["fields"].as_array().unwrap().iter().map(|f| f["name"].as_str().unwrap()).collect();
        assert_eq!(csv, format!("{}\r\n", names.join(",")));
        let (_, geojson) = download(&app, "geojson", 2001).await;
        let collection: Value = serde_json::from_str(&geojson).unwrap();
        assert_eq!(collection["features"], json!([]));
    }
}

/// Imports `csv` (the history import's format) as the admin; asserts every row was taken.
async fn import_history(app: &TestApp, rows: &[String]) {
    let header = "source_id,category,description,lat,lon,created_at,closed_at,final_status,department";
    let body = format!("{header}\n{}", rows.join("\n"));
    let response = app
        .admin(reqwest::Method::POST, "/api/v1/admin/imports/reports")
        .header("Content-Type", "text/csv")
        .body(body)
        .send()
        .await
        .unwrap();
    let status = response.status();
    let answer: Value = response.json().await.unwrap();
    assert_eq!((status.as_u16(), &answer["imported"]), (200, &json!(rows.len())), "{answer}");
}

on_both_backends! {
    setup = spawn_staff_app;

    async fn a_year_of_many_pages_is_streamed_whole_in_receipt_order_within_its_local_year(app) {
        // 4,500 reports in groups of seven received at the same instant, so that page
        // boundaries (every 2,000) fall inside a group; and three near New Year.
        let start = chrono::NaiveDate::from_ymd_opt(2024, 1, 1).unwrap().and_hms_opt(8, 0, 0).unwrap();
        let mut rows: Vec<String> = (0..4_500)
            .map(|n| {
                let at = start + chrono::Duration::hours(n / 7);
                format!("P-{n},veeg-zwerfvuil,,50.8882,5.9795,{},,new,", at.format("%Y-%m-%d %H:%M:%S"))
            })
            .collect();
        rows.push("Y-1,veeg-zwerfvuil,,50.8882,5.9795,2023-12-31 23:59:59,,new,".into());
        rows.push("Y-2,veeg-zwerfvuil,,50.8882,5.9795,2024-12-31 23:30:00,2025-01-02 10:00:00,resolved,".into());
        rows.push("Y-3,veeg-zwerfvuil,,50.8882,5.9795,2025-01-01 00:30:00,,new,".into());
        import_history(&app, &rows).await;

        let (_, csv) = download(&app, "csv", 2024).await;
        let (header, lines) = parse_csv(&csv);
        assert_eq!(lines.len(), 4_501, "every report of 2024 once, New Year's Eve late at night included");
        let references: std::collections::HashSet<&str> = lines.iter().map(|l| cell(&header, l, "reference")).collect();
        assert_eq!(references.len(), 4_501, "no report twice");
        let days: Vec<&str> = lines.iter().map(|l| cell(&header, l, "received_on")).collect();
        assert!(days.windows(2).all(|w| w[0] <= w[1]), "in order of receipt");
        assert_eq!(days.first().copied(), Some("2024-01-01"));
        let last = lines.last().unwrap();
        assert_eq!(
            (cell(&header, last, "received_on"), cell(&header, last, "status"), cell(&header, last, "resolved_on")),
            ("2024-12-31", "resolved", "2025-01-02")
        );

        let (_, geojson) = download(&app, "geojson", 2024).await;
        let collection: Value = serde_json::from_str(&geojson).unwrap();
        assert_eq!(collection["features"].as_array().unwrap().len(), 4_501);
        for (year, expected) in [(2023, 1), (2025, 1)] {
            let (_, csv) = download(&app, "csv", year).await;
            assert_eq!(parse_csv(&csv).1.len(), expected, "{year}");
        }
        let catalogue = app.get_json("/api/v1/open/catalog.jsonld").await;
        let urls = catalogue["dcat:dataset"][0]["dcat:distribution"].as_array().unwrap().len();
        assert_eq!(urls, 6, "CSV and GeoJSON for 2023, 2024 and 2025");
    }
}

on_both_backends! {
    setup = spawn_staff_app;

    async fn a_report_merged_into_another_as_a_duplicate_is_left_out(app) {
        let mut filed = Vec::new();
        for _ in 0..2 {
            let body = json!({"category": "veeg-zwerfvuil", "description": "Zwerfvuil.", "location": {"lat": PLACE.0, "lon": PLACE.1}});
            let created: Value = app.post_report(&body, None).await.json().await.unwrap();
            filed.push((created["id"].as_str().unwrap().to_owned(), created["reference"].as_str().unwrap().to_owned()));
        }
        let [(kept, kept_reference), (duplicate, duplicate_reference)] = <[(String, String); 2]>::try_from(filed).unwrap();
        let admin = admin_token(&app).await;
        let path = format!("/api/v1/staff/reports/{duplicate}/merge");
        let merged = send(&app, reqwest::Method::POST, &path, Some(&admin), Some(json!({"into": kept}))).await;
        assert_eq!(merged.status(), 200);
        for format in ["csv", "geojson"] {
            let (_, text) = download(&app, format, this_year()).await;
            assert!(text.contains(&kept_reference) && !text.contains(&duplicate_reference), "{format}: {text}");
        }
    }
}
