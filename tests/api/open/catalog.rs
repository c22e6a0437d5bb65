//! `GET /api/v1/open/catalog.jsonld`: the DCAT catalogue lists the years with reports,
//! with absolute download URLs, media types, licences and schemas.

use serde_json::{Value, json};

use crate::support::app::{TestApp, spawn_app_with};
use crate::support::backends::on_both_backends;

const BASE: &str = "https://meldpunt.heerlen.example";

async fn spawn_catalog_app(backend: crate::support::app::Backend) -> TestApp {
    spawn_app_with(backend, |s| s.public_url = format!("{BASE}/")).await
}

fn this_year() -> i32 {
    use chrono::Datelike;
    chrono::Utc::now().with_timezone(&chrono_tz::Europe::Amsterdam).year()
}

async fn catalogue(app: &TestApp) -> Value {
    let response = app.get("/api/v1/open/catalog.jsonld").await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "application/ld+json");
    let text = response.text().await.unwrap();
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("the catalogue is not JSON: {e}: {text}"))
}

fn dataset<'a>(catalogue: &'a Value, title: &str) -> &'a Value {
    catalogue["dcat:dataset"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["dct:title"].as_array().unwrap().iter().any(|t| t["@value"] == title))
        .unwrap_or_else(|| panic!("no dataset {title}: {catalogue}"))
}

fn download_urls(dataset: &Value) -> Vec<String> {
    dataset["dcat:distribution"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["dcat:downloadURL"]["@id"].as_str().unwrap().to_owned())
        .collect()
}

on_both_backends! {
    setup = spawn_catalog_app;

    async fn the_catalogue_lists_the_years_with_reports_with_absolute_download_urls_and_licences(app) {
        let empty = catalogue(&app).await;
        assert!(empty["@context"]["dcat"].as_str().unwrap().starts_with("http://www.w3.org/ns/dcat"));
        assert_eq!(empty["@type"], "dcat:Catalog");
        assert!(download_urls(dataset(&empty, "Meldingen openbare ruimte (records)")).is_empty());

        let report = json!({
            "category": "veeg-zwerfvuil",
            "description": "Zwerfvuil bij de bushalte.",
            "location": {"lat": 50.88801, "lon": 5.97951},
        });
        assert_eq!(app.post_report(&report, None).await.status(), 201);
        let catalogue = catalogue(&app).await;
        assert_eq!(catalogue["dct:publisher"]["foaf:name"], "Gemeente Heerlen");
        let year = this_year();
        let records = dataset(&catalogue, "Meldingen openbare ruimte (records)");
        assert_eq!(
            download_urls(records),
            [
                format!("{BASE}/api/v1/open/records.csv?year={year}"),
                format!("{BASE}/api/v1/open/records.geojson?year={year}"),
            ]
        );
        let cc0 = "http://creativecommons.org/publicdomain/zero/1.0/deed.nl";
        assert_eq!(records["dct:license"]["@id"], cc0);
        assert_eq!(records["dct:conformsTo"]["@id"], format!("{BASE}/api/v1/open/schema/records.json"));
        for distribution in records["dcat:distribution"].as_array().unwrap() {
            assert_eq!(distribution["@type"], "dcat:Distribution");
            assert_eq!(distribution["dct:license"]["@id"], cc0);
            assert!(distribution["dcat:mediaType"]["@id"].as_str().unwrap().starts_with("https://www.iana.org/assignments/media-types/"));
            // Written in UTC; the year of the records is Amsterdam's.
            let modified = chrono::DateTime::parse_from_rfc3339(distribution["dct:modified"]["@value"].as_str().unwrap()).unwrap();
            assert_eq!(chrono::Datelike::year(&modified.with_timezone(&chrono_tz::Europe::Amsterdam)), year);
            assert_eq!(distribution["dct:temporal"]["dcat:startDate"]["@value"], format!("{year}-01-01"));
        }
        assert_eq!(records["dct:spatial"][0]["dct:identifier"], "GM0917");

        let aggregates = dataset(&catalogue, "Statistieken meldingen per buurt en wijk (aggregates)");
        let urls = download_urls(aggregates);
        assert_eq!(urls.len(), 4, "{urls:?}");
        assert!(urls.contains(&format!("{BASE}/api/v1/open/aggregates.csv?year={year}&level=buurt")));
        assert!(urls.contains(&format!("{BASE}/api/v1/open/aggregates.geojson?year={year}&level=wijk")));
        assert_eq!(aggregates["dct:conformsTo"]["@id"], format!("{BASE}/api/v1/open/schema/aggregates.json"));
        let rights = aggregates["dct:rights"]["rdfs:label"].as_str().unwrap();
        assert!(rights.contains("CC BY 4.0") && rights.contains("Kadaster / Centraal Bureau voor de Statistiek, "), "{rights}");

        // Every record download the catalogue names answers.
        for url in download_urls(records) {
            let path = url.strip_prefix(BASE).unwrap();
            assert_eq!(app.get(path).await.status(), 200, "{path}");
        }
    }

    async fn the_catalogue_names_the_configured_publisher_and_licence(backend: Backend) {
        let app = spawn_app_with(backend, |s| {
            s.open_publisher = "Urban Data Center Heerlen".into();
            s.open_data_licence = "CC-BY-4.0".into();
        })
        .await;
        let catalogue = catalogue(&app).await;
        assert_eq!(catalogue["dct:publisher"]["foaf:name"], "Urban Data Center Heerlen");
        assert_eq!(catalogue["dct:license"]["@id"], "http://creativecommons.org/licenses/by/4.0/deed.nl");
    }
}
