//! What `POST requests` answers (GeoReport v2 for realtime services): the
//! service_request_id and no token, tokens answered earlier still resolve, and an unknown
//! service is a 404 whatever else is wrong with the request.

use serde_json::Value;

use crate::support::app::{spawn_app_with, street_light_report};
use crate::support::backends::on_both_backends;
use crate::support::open311::*;

on_both_backends! {
    async fn a_post_answers_its_service_request_id_without_a_token_in_both_formats(app) {
        let response = post_form(&app, "json", &bulky_waste(), None).await;
        assert_eq!(response.status(), 200);
        let body: Value = response.json().await.unwrap();
        let posted = body[0].as_object().unwrap();
        assert!(posted["service_request_id"].as_str().is_some_and(|id| !id.is_empty()), "{body}");
        assert!(!posted.contains_key("token"), "{body}");
        let (status, xml) = read_xml(post_form(&app, "xml", &bulky_waste(), None).await).await;
        assert_eq!(status, 200, "{xml}");
        let document = roxmltree::Document::parse(&xml).unwrap();
        let posted = children(document.root_element(), "request").next().unwrap();
        assert!(child_text(posted, "service_request_id").is_some_and(|id| !id.is_empty()), "{xml}");
        assert!(!xml.contains("<token"), "{xml}");
        // A retry with the same Idempotency-Key answers the same way.
        for _ in 0..2 {
            let replay: Value = post_form(&app, "json", &bulky_waste(), Some("no-token")).await.json().await.unwrap();
            assert!(replay[0].get("token").is_none(), "{replay}");
        }
    }

    async fn tokens_answered_before_posts_stopped_answering_them_still_resolve(app) {
        // Such a token is the report's UUID, which the JSON API answers as its id.
        let filed: Value = app.post_report(&street_light_report(), None).await.json().await.unwrap();
        let (token, reference) = (filed["id"].as_str().unwrap(), filed["reference"].as_str().unwrap());
        let (status, json) = get_json(&app, &format!("/tokens/{token}.json")).await;
        assert_eq!(status, 200, "{json}");
        assert_eq!(json[0]["service_request_id"], reference);
        assert_eq!(json[0]["token"], token);
        let (status, xml) = get_xml(&app, &format!("/tokens/{token}.xml")).await;
        assert_eq!(status, 200);
        assert!(xml.contains(reference) && xml.contains(token), "{xml}");
        let (status, json) = get_json(&app, &format!("/requests/{token}.json")).await;
        assert_eq!(status, 200);
        assert_eq!(json[0]["service_request_id"], reference);
        let posted = post_ok(&app, &bulky_waste()).await;
        let (status, json) = get_json(&app, &format!("/tokens/{}.json", earlier_token(&app, &posted).await)).await;
        assert_eq!((status, &json[0]["service_request_id"]), (200, &Value::from(posted)));
    }

    async fn an_unknown_service_code_is_404_whatever_else_is_wrong_with_the_request(app) {
        let complete = [("service_code", "bestaat-niet"), ("lat", "50.8882"), ("long", "5.9795"), ("description", "x")];
        let errors = expect_json_error(post_form(&app, "json", &complete, None).await, 404).await;
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert!(errors[0].starts_with("service_code") && errors[0].contains("bestaat-niet") && errors[0].contains("services.json"), "{errors:?}");
        let errors = expect_xml_error(post_form(&app, "xml", &complete, None).await, 404).await;
        assert!(errors[0].contains("services.xml"), "{errors:?}");
        // No location, an address only, a bad coordinate, a bad media_url, an unknown
        // attribute and a foreign jurisdiction: still the service first.
        let broken = [
            ("service_code", "bestaat-niet"),
            ("address_string", "Akerstraat 12, Heerlen"),
            ("long", "oost"),
            ("media_url", "file:///etc/passwd"),
            ("attribute[soort][]", "auto"),
            ("jurisdiction_id", "GM0363"),
        ];
        for format in ["json", "xml"] {
            let response = post_form(&app, format, &broken, None).await;
            let errors = if format == "json" { expect_json_error(response, 404).await } else { expect_xml_error(response, 404).await };
            assert_eq!(errors.len(), 1, "{errors:?}");
            assert!(errors[0].starts_with("service_code"), "{errors:?}");
        }
        // A group (main category) is no service either, and the answer names its services.
        let group = [("service_code", "afval"), ("lat", "50.8882"), ("long", "5.9795"), ("description", "x")];
        let errors = expect_json_error(post_form(&app, "json", &group, None).await, 404).await;
        assert!(errors[0].contains("grofvuil"), "{errors:?}");
        expect_json_error(app.get(&format!("{BASE}/services/afval.json")).await, 404).await;
        // A missing service_code is a field problem, reported with the others.
        let missing = [("lat", "50.8882"), ("description", "x")];
        let errors = expect_json_error(post_form(&app, "json", &missing, None).await, 400).await;
        assert!(errors.iter().any(|e| e.starts_with("service_code")) && errors.len() > 1, "{errors:?}");
        // Address-only requests with a known service are still refused asking for lat and long.
        let address_only = [("service_code", "grofvuil"), ("address_string", "Akerstraat 12, Heerlen"), ("description", "x")];
        let errors = expect_json_error(post_form(&app, "json", &address_only, None).await, 400).await;
        assert!(errors.iter().any(|e| e.contains("lat") && e.contains("long")), "{errors:?}");
        assert_eq!(app.stored_reports().await, 0);
    }

    async fn an_unknown_service_code_is_404_even_without_a_valid_api_key(app) {
        let keyed = spawn_app_with(app.backend, |s| {
            s.open311_api_keys = "sleutel-een".into();
            s.open311_anonymous_post = false;
        })
        .await;
        let unknown = [("service_code", "bestaat-niet"), ("lat", "50.8882"), ("long", "5.9795"), ("description", "x")];
        expect_json_error(post_form(&keyed, "json", &unknown, None).await, 404).await;
        let mut wrong_key = unknown.to_vec();
        wrong_key.push(("api_key", "sleutel-drie"));
        expect_xml_error(post_form(&keyed, "xml", &wrong_key, None).await, 404).await;
        // A known service without a key is still refused for the key.
        let errors = expect_json_error(post_form(&keyed, "json", &bulky_waste(), None).await, 403).await;
        assert!(errors[0].contains("api_key"), "{errors:?}");
        assert_eq!(keyed.stored_reports().await, 0);
    }
}
