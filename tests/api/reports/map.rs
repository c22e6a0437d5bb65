//! The public map: GeoJSON of the public reports in a box, with filters, paging, ETags,
//! coarsened sensitive points, and nothing of non-public categories or personal data.

use serde_json::{Value, json};

use crate::support::app::{TestApp, expect_problem, pointers, street_light_report};
use crate::support::backends::on_both_backends;
use crate::support::photos::{PhotoApp, file, phone_jpeg, png_bytes, spawn_photo_app, upload};

/// A box around the centre of Heerlen.
const BOX: &str = "5.97,50.88,5.99,50.895";

fn report(category: &str, lat: f64, lon: f64) -> Value {
    json!({
        "category": category,
        "description": "Geheime omschrijving die alleen bij openbare meldingen getoond mag worden.",
        "location": {"lat": lat, "lon": lon},
        "reporter": {"email": "buurman@example.nl", "phone": "+31 6 1111 2222", "name": "Buurman Bakker"}
    })
}

async fn map(app: &TestApp, query: &str) -> Value {
    let response = app.get(&format!("/api/v1/reports?{query}")).await;
    assert_eq!(response.status(), 200, "{query}");
    assert_eq!(response.headers()["content-type"], "application/geo+json");
    response.json().await.unwrap()
}

fn references(collection: &Value) -> Vec<String> {
    collection["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["properties"]["reference"].as_str().unwrap().to_owned())
        .collect()
}

on_both_backends! {
    setup = spawn_photo_app;

    async fn the_map_of_a_neighbourhood_shows_its_public_reports_with_sensitive_points_coarsened(photo_app: PhotoApp) {
        let app = &photo_app.app;
        let light = file(app, &street_light_report()).await;
        assert_eq!(upload(app, &light, &[phone_jpeg()], None).await.status(), 201);
        let noise = file(app, &report("geluidsoverlast-muziek", 50.88801, 5.97951)).await;
        let hidden = file(app, &report("drank-en-drugsoverlast", 50.8885, 5.9800)).await;
        let elsewhere = file(app, &report("veeg-zwerfvuil", 50.923975, 5.91321)).await;

        let response = app.get(&format!("/api/v1/reports?bbox={BOX}")).await;
        assert_eq!(response.status(), 200);
        let text = response.text().await.unwrap();
        for secret in ["Geheime", "buurman", "1111", "Bakker", "Akerstraat"] {
            assert!(!text.contains(secret), "'{secret}' is on the map: {text}");
        }
        let collection: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(collection["type"], "FeatureCollection");
        let found = references(&collection);
        assert_eq!(found.len(), 2, "{collection}");
        assert!(found.contains(&light["reference"].as_str().unwrap().to_owned()));
        assert!(found.contains(&noise["reference"].as_str().unwrap().to_owned()));
        assert!(!found.contains(&hidden["reference"].as_str().unwrap().to_owned()), "non-public categories are left out");
        assert!(!found.contains(&elsewhere["reference"].as_str().unwrap().to_owned()), "outside the box");

        let feature = |reference: &Value| collection["features"].as_array().unwrap().iter().find(|f| f["properties"]["reference"] == *reference).unwrap().clone();
        let light_feature = feature(&light["reference"]);
        assert_eq!(light_feature["type"], "Feature");
        assert_eq!(light_feature["geometry"], json!({"type": "Point", "coordinates": [5.9795, 50.8882]}));
        assert_eq!(light_feature["properties"]["category"], "straatverlichting-openbare-klok");
        assert_eq!(light_feature["properties"]["status"], "new");
        assert_eq!(light_feature["properties"]["coarsened"], false);
        let thumbnail = light_feature["properties"]["thumbnail_url"].as_str().unwrap();
        assert_eq!(app.get(thumbnail).await.status(), 200);

        let noise_feature = feature(&noise["reference"]);
        let coordinates = noise_feature["geometry"]["coordinates"].as_array().unwrap();
        let (lon, lat) = (coordinates[0].as_f64().unwrap(), coordinates[1].as_f64().unwrap());
        assert!((lat - 50.88875).abs() < 1e-9 && (lon - 5.978).abs() < 1e-9, "snapped to the grid cell centre: {noise_feature}");
        assert_eq!(noise_feature["properties"]["coarsened"], true);
        assert_eq!(noise_feature["properties"]["thumbnail_url"], Value::Null);
    }
}

/// The `thumbnail_url` the map shows for `created` in [`BOX`].
async fn thumbnail_on_map(app: &TestApp, created: &Value) -> Value {
    let collection = map(app, &format!("bbox={BOX}")).await;
    let features = collection["features"].as_array().unwrap();
    let feature = features.iter().find(|f| f["id"] == created["id"]).unwrap();
    feature["properties"]["thumbnail_url"].clone()
}

on_both_backends! {
    setup = spawn_photo_app;

    async fn a_report_with_several_photos_shows_its_first_photo_as_the_map_thumbnail(photo_app: PhotoApp) {
        let app = &photo_app.app;
        let created = file(app, &street_light_report()).await;
        assert_eq!(thumbnail_on_map(app, &created).await, Value::Null, "no photo yet");

        let response = upload(app, &created, &[png_bytes(8, 8), png_bytes(9, 9)], None).await;
        assert_eq!(response.status(), 201);
        let added: Value = response.json().await.unwrap();
        let first = added["photos"][0]["thumbnail_url"].clone();
        assert_eq!(thumbnail_on_map(app, &created).await, first);
        assert_eq!(app.get(first.as_str().unwrap()).await.status(), 200);

        assert_eq!(upload(app, &created, &[png_bytes(10, 10)], None).await.status(), 201);
        assert_eq!(thumbnail_on_map(app, &created).await, first, "a later photo does not replace the first");
    }
}

on_both_backends! {
    async fn map_filters_select_by_status_category_and_time(app) {
        let light = file(&app, &street_light_report()).await;
        let litter = file(&app, &report("veeg-zwerfvuil", 50.8890, 5.9810)).await;
        let all = references(&map(&app, &format!("bbox={BOX}&status=new,accepted")).await);
        assert_eq!(all.len(), 2);
        assert!(references(&map(&app, &format!("bbox={BOX}&status=resolved")).await).is_empty());
        let main = references(&map(&app, &format!("bbox={BOX}&category=wegen-verkeer-straatmeubilair")).await);
        assert_eq!(main, vec![light["reference"].as_str().unwrap().to_owned()], "a main category covers its subcategories");
        let sub = references(&map(&app, &format!("bbox={BOX}&category=veeg-zwerfvuil")).await);
        assert_eq!(sub, vec![litter["reference"].as_str().unwrap().to_owned()]);
        assert_eq!(references(&map(&app, &format!("bbox={BOX}&since=2020-01-01T00:00:00Z")).await).len(), 2);
        assert!(references(&map(&app, &format!("bbox={BOX}&since=2999-01-01T00:00:00Z")).await).is_empty());
    }

    async fn a_big_answer_is_paged_with_a_next_link_until_every_report_is_seen_once(app) {
        let mut filed = Vec::new();
        for i in 0..5 {
            let created = file(&app, &report("veeg-zwerfvuil", 50.8882 + f64::from(i) * 0.0005, 5.9795)).await;
            filed.push(created["reference"].as_str().unwrap().to_owned());
        }
        let mut seen = Vec::new();
        let mut next = Some(format!("/api/v1/reports?bbox={BOX}&limit=2"));
        let mut pages = 0;
        while let Some(url) = next {
            let response = app.get(&url).await;
            assert_eq!(response.status(), 200);
            let page: Value = response.json().await.unwrap();
            assert!(page["features"].as_array().unwrap().len() <= 2);
            seen.extend(references(&page));
            next = page["links"].as_array().unwrap().iter().find(|l| l["rel"] == "next").map(|l| l["href"].as_str().unwrap().to_owned());
            pages += 1;
            assert!(pages < 10, "paging does not end");
        }
        let mut sorted = seen.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(sorted.len(), 5, "every report once: {seen:?}");
        filed.sort();
        assert_eq!(sorted, filed);
    }

    async fn an_unchanged_map_answers_304_and_any_change_from_any_process_shows(app) {
        file(&app, &street_light_report()).await;
        let url = app.url(&format!("/api/v1/reports?bbox={BOX}"));
        let first = app.client.get(&url).send().await.unwrap();
        let etag = first.headers()["etag"].to_str().unwrap().to_owned();
        let again = app.client.get(&url).header("If-None-Match", &etag).send().await.unwrap();
        assert_eq!(again.status(), 304);
        // Another process on the same database files a report: this process must notice.
        let other = app.restart_on_same_database().await;
        file(&other, &report("veeg-zwerfvuil", 50.8890, 5.9810)).await;
        let changed = app.client.get(&url).header("If-None-Match", &etag).send().await.unwrap();
        assert_eq!(changed.status(), 200);
        assert_ne!(changed.headers()["etag"].to_str().unwrap(), etag);
        let collection: Value = changed.json().await.unwrap();
        assert_eq!(collection["features"].as_array().unwrap().len(), 2);
    }

    async fn bad_boxes_and_filters_are_refused_with_what_to_fix(app) {
        for (query, pointer) in [
            ("", "/bbox"),
            ("bbox=5.99,50.88,5.97,50.895", "/bbox"),
            ("bbox=5.97,50.895,5.99,50.88", "/bbox"),
            ("bbox=NaN,50.88,5.99,50.895", "/bbox"),
            ("bbox=5.97,50.88,5.99", "/bbox"),
            ("bbox=5.97,95,5.99,96", "/bbox"),
            ("bbox=3.3,50.7,7.2,53.6", "/bbox"),
            ("bbox=5.97,50.88,5.99,50.895&status=kapot", "/status"),
            ("bbox=5.97,50.88,5.99,50.895&category=bestaat-niet", "/category"),
            ("bbox=5.97,50.88,5.99,50.895&since=gisteren", "/since"),
            ("bbox=5.97,50.88,5.99,50.895&limit=100000", "/limit"),
            ("bbox=5.97,50.88,5.99,50.895&cursor=abc", "/cursor"),
        ] {
            let problem = expect_problem(app.get(&format!("/api/v1/reports?{query}")).await, 422).await;
            assert_eq!(pointers(&problem), vec![pointer.to_owned()], "{query}: {problem}");
        }
    }
}

/// Every page of the map of `bbox`, `limit` features at a time, following the `next` links:
/// the features in the order served.
async fn every_page(app: &TestApp, bbox: &str, limit: usize) -> Vec<Value> {
    let mut features = Vec::new();
    let mut next = Some(format!("/api/v1/reports?bbox={bbox}&limit={limit}"));
    let mut pages = 0;
    while let Some(url) = next {
        let page: Value = app.get_json(&url).await;
        let served = page["features"].as_array().unwrap();
        assert!(served.len() <= limit, "{url}: {} features", served.len());
        features.extend(served.iter().cloned());
        next = page["links"]
            .as_array()
            .unwrap()
            .iter()
            .find(|l| l["rel"] == "next")
            .map(|l| l["href"].as_str().unwrap().to_owned());
        pages += 1;
        assert!(pages <= 40, "paging of {bbox} does not end");
    }
    features
}

on_both_backends! {
    async fn a_box_shows_exactly_the_reports_inside_it_newest_first_whatever_its_size_and_the_grid_cells_it_cuts(app) {
        // Points on and beside the lines of the map's grid (row 50.8875, column 5.98 at the
        // finest size) and on the edges of the boxes below.
        let lats = [50.8870, 50.8874999, 50.8875, 50.8875001, 50.8880];
        let lons = [5.9790, 5.9799999, 5.98, 5.9800001, 5.9810];
        let mut filed = Vec::new();
        for lat in lats {
            for lon in lons {
                let created = file(&app, &report("veeg-zwerfvuil", lat, lon)).await;
                filed.push((created["reference"].as_str().unwrap().to_owned(), lat, lon));
            }
        }
        for (bbox, inside) in [
            // Tiny, its edges through points: the 3 × 3 points around the crossing.
            ("5.9799999,50.8874999,5.9800001,50.8875001", 9),
            // A neighbourhood (finest cells), a town (coarser), and the largest box accepted.
            ("5.975,50.885,5.985,50.89", 25),
            ("5.95,50.87,6.01,50.9", 25),
            ("5.75,50.65,6.25,51.15", 25),
            // Large boxes with an edge through the grid line: what lies beyond it is left out.
            ("5.9,50.8875,6.3,51.2", 15),
            ("5.5,50.6,5.98,50.9", 15),
            ("5.9790,50.8870,5.9799999,50.8874999", 4),
        ] {
            let edges: Vec<f64> = bbox.split(',').map(|v| v.parse().unwrap()).collect();
            let mut expected: Vec<&str> = filed
                .iter()
                .filter(|(_, lat, lon)| (edges[1]..=edges[3]).contains(lat) && (edges[0]..=edges[2]).contains(lon))
                .map(|(reference, ..)| reference.as_str())
                .collect();
            assert_eq!(expected.len(), inside, "the test's own count for {bbox}");
            for limit in [4, 500] {
                let features = every_page(&app, bbox, limit).await;
                let mut served: Vec<&str> = features.iter().map(|f| f["properties"]["reference"].as_str().unwrap()).collect();
                let times: Vec<&str> = features.iter().map(|f| f["properties"]["created_at"].as_str().unwrap()).collect();
                assert!(times.windows(2).all(|w| w[0] >= w[1]), "{bbox}, limit {limit}: not newest first: {times:?}");
                served.sort_unstable();
                expected.sort_unstable();
                assert_eq!(served, expected, "{bbox}, limit {limit}: every report in the box once, none outside");
            }
        }
    }

    async fn a_report_moved_by_staff_leaves_its_old_place_on_the_map_and_shows_at_the_new_one(app) {
        let created = file(&app, &report("veeg-zwerfvuil", 50.8882, 5.9795)).await;
        let reference = created["reference"].as_str().unwrap().to_owned();
        let old_place = "5.979,50.888,5.980,50.8885";
        let new_place = "5.913,50.9235,5.9135,50.9245";
        assert_eq!(references(&map(&app, &format!("bbox={old_place}")).await), vec![reference.clone()]);
        assert!(references(&map(&app, &format!("bbox={new_place}")).await).is_empty());
        let id = created["id"].as_str().unwrap();
        let (status, moved) = app
            .admin_json(reqwest::Method::PATCH, &format!("/api/v1/staff/reports/{id}"), Some(&json!({"location": {"lat": 50.923975, "lon": 5.91321}})))
            .await;
        assert_eq!(status, 200, "{moved}");
        assert!(references(&map(&app, &format!("bbox={old_place}")).await).is_empty(), "still at the old place");
        assert_eq!(references(&map(&app, &format!("bbox={new_place}")).await), vec![reference]);
    }
}

on_both_backends! {
    async fn a_sensitive_report_is_in_a_box_when_its_shown_cell_centre_is_never_by_its_exact_place(app) {
        // Shown at the centre of its cell, 50.88875, 5.978: about 130 m from where it is.
        let noise = file(&app, &report("geluidsoverlast-muziek", 50.88801, 5.97951)).await;
        let reference = noise["reference"].as_str().unwrap().to_owned();
        for filter in ["", "&category=geluidsoverlast-muziek", "&category=overlast-bedrijven-en-horeca"] {
            // Ever smaller boxes around the exact place, none holding the centre: a client
            // shrinking boxes learns nothing.
            // (The larger boxes are read through the coarser levels of the map's grid.)
            for bbox in ["5.975,50.885,5.98,50.8885", "5.979,50.8875,5.98,50.8885", "5.9795,50.888,5.9796,50.8881", "5.97950,50.88800,5.97952,50.88802", "5.979,50.85,6.05,50.95", "5.979,50.8,6.3,51.1", "5.9,50.888,6.0,50.8887"] {
                assert!(references(&map(&app, &format!("bbox={bbox}{filter}")).await).is_empty(), "{bbox}{filter}: found by its exact place");
            }
            // Boxes around the centre that leave the exact place out: shown there.
            for bbox in ["5.9779,50.8887,5.9781,50.8888", "5.978,50.88875,5.979,50.889", "5.97,50.8885,5.979,50.895", "5.9,50.85,5.979,50.95", "5.5,50.6,5.978,50.9", "5.9,50.8881,6.0,50.95"] {
                let collection = map(&app, &format!("bbox={bbox}{filter}")).await;
                assert_eq!(references(&collection), vec![reference.clone()], "{bbox}{filter}");
                assert_eq!(collection["features"][0]["geometry"]["coordinates"], json!([5.978, 50.88875]));
            }
        }
    }

    async fn a_page_is_filled_past_sensitive_reports_whose_centre_lies_outside_the_box(app) {
        let bbox = "5.979,50.8875,5.98,50.8885";
        let litter = file(&app, &report("veeg-zwerfvuil", 50.8880, 5.9795)).await;
        // Newer, in the box (or just beside it), but shown at centres outside it.
        for (lat, lon) in [(50.88801, 5.97951), (50.88802, 5.97952), (50.8874, 5.9795)] {
            file(&app, &report("geluidsoverlast-muziek", lat, lon)).await;
        }
        let newest = file(&app, &report("veeg-zwerfvuil", 50.8881, 5.9796)).await;
        let expected = vec![newest["reference"].as_str().unwrap().to_owned(), litter["reference"].as_str().unwrap().to_owned()];
        for limit in [1, 2, 500] {
            let served: Vec<String> = every_page(&app, bbox, limit)
                .await
                .iter()
                .map(|f| f["properties"]["reference"].as_str().unwrap().to_owned())
                .collect();
            assert_eq!(served, expected, "limit {limit}");
        }
        // A full page of one: the next starts after the reports left out.
        let first = map(&app, &format!("bbox={bbox}&limit=1")).await;
        assert_eq!(references(&first), expected[..1]);
        let second = map(&app, &format!("bbox={bbox}&limit=1&cursor={}", first["next_cursor"].as_str().unwrap())).await;
        assert_eq!(references(&second), expected[1..]);
    }
}
