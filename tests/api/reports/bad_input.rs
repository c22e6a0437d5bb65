//! Every kind of bad input gets a problem document that says what to fix, and nothing is
//! stored.

use serde_json::json;

use crate::support::app::*;
use crate::support::backends::on_both_backends;

/// Posts `body`, expects a 422 naming exactly `pointer` among its errors, and nothing stored.
async fn expect_field_error(app: &TestApp, body: serde_json::Value, pointer: &str) -> serde_json::Value {
    let problem = expect_problem(app.post_report(&body, None).await, 422).await;
    assert_eq!(problem["type"], "urn:meldpunt:problem:validation-failed");
    assert!(pointers(&problem).contains(&pointer.to_owned()), "expected an error at {pointer}: {problem}");
    problem
}

fn with(field: &str, value: serde_json::Value) -> serde_json::Value {
    let mut body = street_light_report();
    body[field] = value;
    body
}

on_both_backends! {
    async fn an_unknown_or_main_category_is_refused_with_the_way_to_find_valid_ones(app) {
        let problem = expect_field_error(&app, with("category", json!("kapotte-lantaarn")), "/category").await;
        assert!(problem["errors"][0]["detail"].as_str().unwrap().contains("GET /api/v1/categories"));
        let problem = expect_field_error(&app, with("category", json!("afval")), "/category").await;
        assert!(problem["errors"][0]["detail"].as_str().unwrap().contains("grofvuil"), "lists the subcategories");
        expect_field_error(&app, with("category", json!("personen-op-het-water")), "/category").await;
        assert_eq!(app.stored_reports().await, 0);
    }

    async fn coordinates_out_of_range_or_not_numbers_are_refused(app) {
        expect_field_error(&app, with("location", json!({"lat": 91.0, "lon": 5.9})), "/location/lat").await;
        expect_field_error(&app, with("location", json!({"lat": 50.9, "lon": -180.5})), "/location/lon").await;
        expect_field_error(&app, with("location", json!({"lat": "NaN", "lon": 5.9})), "/location/lat").await;
        expect_field_error(&app, with("location", json!({"lat": 50.9})), "/location/lon").await;
        expect_field_error(&app, with("location", json!([50.9, 5.9])), "/location").await;
        // JSON has no NaN or Infinity: such a body is malformed.
        let body = r#"{"category":"veeg-zwerfvuil","description":"x","location":{"lat":NaN,"lon":5.9}}"#;
        expect_problem(app.post_raw("/api/v1/reports", Some("application/json"), body).await, 400).await;
        let body = r#"{"category":"veeg-zwerfvuil","description":"x","location":{"lat":1e999,"lon":5.9}}"#;
        let response = app.post_raw("/api/v1/reports", Some("application/json"), body).await;
        assert!(response.status().is_client_error());
        assert_eq!(app.stored_reports().await, 0);
    }

    async fn an_empty_blank_or_oversized_description_is_refused(app) {
        expect_field_error(&app, with("description", json!("")), "/description").await;
        expect_field_error(&app, with("description", json!("   \n ")), "/description").await;
        let problem = expect_field_error(&app, with("description", json!("x".repeat(5001))), "/description").await;
        assert!(problem["errors"][0]["detail"].as_str().unwrap().contains("5000"));
        expect_field_error(&app, with("description", json!(42)), "/description").await;
        let mut body = street_light_report();
        body.as_object_mut().unwrap().remove("description");
        expect_field_error(&app, body, "/description").await;
        assert_eq!(app.stored_reports().await, 0);
    }

    async fn an_invalid_email_or_phone_is_refused(app) {
        let problem = expect_field_error(&app, with("reporter", json!({"email": "bewoner-at-heerlen.nl"})), "/reporter/email").await;
        assert!(problem["errors"][0]["detail"].as_str().unwrap().contains("email"));
        expect_field_error(&app, with("reporter", json!({"phone": "bel me"})), "/reporter/phone").await;
        expect_field_error(&app, with("reporter", json!({"phone": "123"})), "/reporter/phone").await;
        expect_field_error(&app, with("reporter", json!({"consent_to_contact": true})), "/reporter/consent_to_contact").await;
        assert_eq!(app.stored_reports().await, 0);
    }

    async fn unknown_fields_are_refused_with_their_place(app) {
        let problem = expect_field_error(&app, with("priority", json!("high")), "/priority").await;
        assert!(problem["errors"][0]["detail"].as_str().unwrap().contains("remove it"));
        expect_field_error(&app, with("location", json!({"lat": 50.9, "lon": 5.9, "alt": 3})), "/location/alt").await;
        expect_field_error(&app, with("reporter", json!({"email": "a@b.nl", "bsn": "123"})), "/reporter/bsn").await;
        assert_eq!(app.stored_reports().await, 0);
    }

    async fn answers_that_do_not_fit_the_questions_are_refused(app) {
        expect_field_error(&app, with("answers", json!({})), "/answers/probleem").await;
        expect_field_error(&app, with("answers", json!({"probleem": "kapot"})), "/answers/probleem").await;
        expect_field_error(&app, with("answers", json!({"probleem": "uit", "aantal_lampen": "twee"})), "/answers/aantal_lampen").await;
        expect_field_error(&app, with("answers", json!({"probleem": "uit", "kleur": "rood"})), "/answers/kleur").await;
        expect_field_error(&app, with("answers", json!("uit")), "/answers").await;
        assert_eq!(app.stored_reports().await, 0);
    }

    async fn every_invalid_field_is_reported_at_once(app) {
        let body = json!({
            "category": "straatverlichting-openbare-klok",
            "description": "",
            "location": {"lat": 100.0, "lon": 200.0},
            "reporter": {"email": "nee", "phone": "nee"},
            "answers": {}
        });
        let problem = expect_problem(app.post_report(&body, None).await, 422).await;
        let mut found = pointers(&problem);
        found.sort();
        assert_eq!(found, ["/answers/probleem", "/description", "/location/lat", "/location/lon", "/reporter/email", "/reporter/phone"]);
        assert_eq!(app.stored_reports().await, 0);
    }

    async fn malformed_json_and_non_object_bodies_are_400_problems(app) {
        for body in ["{\"category\": ", "not json at all", "", "[1, 2]", "\"text\""] {
            let problem = expect_problem(app.post_raw("/api/v1/reports", Some("application/json"), body).await, 400).await;
            assert_eq!(problem["type"], "urn:meldpunt:problem:malformed-body", "{body}");
        }
        let problem = expect_problem(app.post_raw("/api/v1/reports", Some("application/json"), "{\"a\": }").await, 400).await;
        assert!(problem["detail"].as_str().unwrap().contains("line 1"), "says where the syntax error is");
        assert_eq!(app.stored_reports().await, 0);
    }

    // Found by schemathesis: these were 400s the contract did not declare, typed as a body error.
    async fn a_query_string_that_cannot_be_read_is_a_400_problem_about_the_query(app) {
        for query in ["/api/v1/announcements?lon=null", "/api/v1/announcements/feed.atom", "/api/v1/open/records.csv?year=1&year=2"] {
            let problem = expect_problem(app.get(query).await, 400).await;
            assert_eq!(problem["type"], "urn:meldpunt:problem:malformed-query", "{query}");
        }
        let page = app.get("/open/dashboard?year=2025&year=2024").await;
        assert_eq!(page.status(), 400);
        assert!(page.headers()["content-type"].to_str().unwrap().starts_with("text/html"), "the dashboard answers a page");
    }

    async fn a_body_that_is_not_json_by_its_media_type_is_a_415_problem(app) {
        let body = street_light_report().to_string();
        for content_type in [Some("text/plain"), Some("application/x-www-form-urlencoded"), Some("application/json; charset=latin1"), None] {
            let problem = expect_problem(app.post_raw("/api/v1/reports", content_type, body.clone()).await, 415).await;
            assert!(problem["detail"].as_str().unwrap().contains("application/json"));
        }
        let response = app.post_raw("/api/v1/reports", Some("application/json; charset=utf-8"), body).await;
        assert_eq!(response.status(), 201, "JSON with an explicit UTF-8 charset is fine");
        assert_eq!(app.stored_reports().await, 1);
    }

    async fn a_body_over_the_size_limit_is_a_413_problem(app) {
        let body = with("description", json!("x".repeat(70 * 1024)));
        let problem = expect_problem(app.post_report(&body, None).await, 413).await;
        assert!(problem["detail"].as_str().unwrap().contains("65536"));
        // Without a Content-Length (chunked), the limit holds too.
        let chunks = futures_util::stream::iter((0..80).map(|_| Ok::<_, std::io::Error>(vec![b' '; 1024])));
        let response = app.post_raw("/api/v1/reports", Some("application/json"), reqwest::Body::wrap_stream(chunks)).await;
        expect_problem(response, 413).await;
        assert_eq!(app.stored_reports().await, 0);
    }
}
