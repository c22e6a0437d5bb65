//! Open311 GeoReport v2 requests: posting in both formats, lists, tokens, and that it
//! shares validation, routing, idempotency and privacy with the JSON API. Filing's own
//! answers (no token, 404 for an unknown service) are in `filing.rs`, updates in
//! `updates.rs`.

use serde_json::Value;

use crate::support::app::spawn_app_with;
use crate::support::backends::on_both_backends;
use crate::support::open311::*;

on_both_backends! {
    async fn a_form_post_with_multi_value_attributes_is_filed_and_reads_back_in_both_formats(app) {
        let response = post_form(&app, "xml", &bulky_waste(), None).await;
        let (status, xml) = read_xml(response).await;
        assert_eq!(status, 200, "{xml}");
        let document = roxmltree::Document::parse(&xml).unwrap();
        assert!(document.root_element().has_tag_name("service_requests"));
        let posted = children(document.root_element(), "request").next().unwrap();
        let id = child_text(posted, "service_request_id").unwrap().to_owned();
        assert!(!id.is_empty());
        assert!(!posted.children().any(|c| c.has_tag_name("token")), "a realtime POST answers no token: {xml}");
        let token = earlier_token(&app, &id).await;

        let (status, json) = get_json(&app, &format!("/requests/{id}.json")).await;
        assert_eq!(status, 200);
        let request = &json[0];
        assert_eq!(request["service_request_id"], id.as_str());
        assert_eq!(request["service_code"], "grofvuil");
        assert_eq!(request["status"], "open");
        assert_eq!(request["description"], "Een matras en een bank naast de container.");
        assert_eq!(request["address"], "Akerstraat 12, Heerlen");
        assert_eq!(request["lat"], 50.8882);
        assert_eq!(request["long"], 5.9795);
        assert!(request["agency_responsible"].as_str().is_some_and(|a| !a.is_empty()));
        for field in ["requested_datetime", "updated_datetime", "expected_datetime"] {
            let text = request[field].as_str().unwrap();
            let parsed = chrono::DateTime::parse_from_rfc3339(text).unwrap();
            assert!(text.ends_with("+01:00") || text.ends_with("+02:00"), "{field}: {text}");
            assert!(parsed.timestamp() > 0);
        }
        assert_eq!(request["media_url"], "https://example.org/foto.jpg");
        for field in ["status_notes", "service_notice", "address_id", "zipcode", "service_name"] {
            assert!(request.get(field).is_some(), "{field} missing");
        }

        let (status, xml) = get_xml(&app, &format!("/requests/{id}.xml")).await;
        assert_eq!(status, 200);
        let document = roxmltree::Document::parse(&xml).unwrap();
        let request = children(document.root_element(), "request").next().unwrap();
        assert_eq!(child_text(request, "service_request_id"), Some(id.as_str()));
        assert_eq!(child_text(request, "lat"), Some("50.8882"));
        assert_eq!(child_text(request, "long"), Some("5.9795"));
        assert_eq!(child_text(request, "status"), Some("open"));
        assert_eq!(child_text(request, "media_url"), Some("https://example.org/foto.jpg"));

        for format in ["json", "xml"] {
            let response = app.get(&format!("{BASE}/tokens/{token}.{format}")).await;
            assert_eq!(response.status(), 200);
            assert!(response.text().await.unwrap().contains(&id));
        }
        // The JSON API sees the same report, filed through Open311.
        let report: Value = app.get(&format!("/api/v1/reports/{token}")).await.json().await.unwrap();
        assert_eq!(report["source"], "open311");
        assert_eq!(report["reference"], id.as_str());
        assert_eq!(report["category"]["slug"], "grofvuil");
    }

    async fn missing_required_attributes_and_values_outside_the_list_are_400_naming_each_attribute(app) {
        let fields = [
            ("service_code", "straatverlichting-openbare-klok"),
            ("lat", "50.8882"),
            ("long", "5.9795"),
            ("description", "De lamp is uit."),
            ("attribute[aantal_lampen]", "twee"),
        ];
        let errors = expect_json_error(post_form(&app, "json", &fields, None).await, 400).await;
        assert!(errors.iter().any(|e| e.starts_with("attribute[aantal_lampen]")), "{errors:?}");
        let mut fields = fields.to_vec();
        fields.pop();
        let errors = expect_xml_error(post_form(&app, "xml", &fields, None).await, 400).await;
        assert!(errors.iter().any(|e| e.starts_with("attribute[probleem]") && e.contains("required")), "{errors:?}");
        fields.push(("attribute[probleem]", "ontploft"));
        let errors = expect_json_error(post_form(&app, "json", &fields, None).await, 400).await;
        assert!(errors.iter().any(|e| e.starts_with("attribute[probleem]") && e.contains("uit")), "{errors:?}");
        let mut bulky = bulky_waste();
        bulky.push(("attribute[soort][]", "auto"));
        let errors = expect_xml_error(post_form(&app, "xml", &bulky, None).await, 400).await;
        assert!(errors.iter().any(|e| e.starts_with("attribute[soort]") && e.contains("auto")), "{errors:?}");
        assert_eq!(app.stored_reports().await, 0);
    }

    async fn a_post_without_a_location_is_400_and_an_address_alone_asks_for_coordinates(app) {
        let base = [("service_code", "boom"), ("description", "Een tak hangt over het fietspad."), ("attribute[gevaar]", "ja")];
        let errors = expect_json_error(post_form(&app, "json", &base, None).await, 400).await;
        assert!(errors.iter().any(|e| e.contains("lat") && e.contains("long")), "{errors:?}");
        let mut with_address = base.to_vec();
        with_address.push(("address_string", "Akerstraat 12, Heerlen"));
        let errors = expect_xml_error(post_form(&app, "xml", &with_address, None).await, 400).await;
        assert!(errors.iter().any(|e| e.contains("address_string") && e.contains("lat")), "{errors:?}");
        let mut outside = base.to_vec();
        outside.extend([("lat", "52.3731"), ("long", "4.8922")]);
        let errors = expect_json_error(post_form(&app, "json", &outside, None).await, 400).await;
        assert!(errors.iter().any(|e| e.starts_with("lat/long")), "{errors:?}");
        let mut half = base.to_vec();
        half.push(("lat", "50.8882"));
        expect_json_error(post_form(&app, "json", &half, None).await, 400).await;
        let mut bad_media = bulky_waste();
        bad_media.retain(|(k, _)| *k != "media_url");
        bad_media.push(("media_url", "file:///etc/passwd"));
        let errors = expect_json_error(post_form(&app, "json", &bad_media, None).await, 400).await;
        assert!(errors.iter().any(|e| e.starts_with("media_url")), "{errors:?}");
        assert_eq!(app.stored_reports().await, 0);
    }

    async fn api_keys_are_required_when_anonymous_post_is_off_and_unknown_keys_are_refused(app) {
        let keyed = spawn_app_with(app.backend, |s| {
            s.open311_api_keys = "sleutel-een, sleutel-twee".into();
            s.open311_anonymous_post = false;
        })
        .await;
        let errors = expect_json_error(post_form(&keyed, "json", &bulky_waste(), None).await, 403).await;
        assert!(errors[0].contains("api_key"));
        let mut wrong = bulky_waste();
        wrong.push(("api_key", "sleutel-drie"));
        let errors = expect_xml_error(post_form(&keyed, "xml", &wrong, None).await, 403).await;
        assert!(errors[0].contains("api_key"));
        assert_eq!(keyed.stored_reports().await, 0);
        let mut right = bulky_waste();
        right.push(("api_key", "sleutel-twee"));
        post_ok(&keyed, &right).await;
        assert_eq!(keyed.stored_reports().await, 1);
        // With anonymous POST on (the default) no key is needed, but a wrong one is refused.
        post_ok(&app, &bulky_waste()).await;
        expect_json_error(post_form(&app, "json", &wrong, None).await, 403).await;
    }

    async fn unknown_requests_and_tokens_are_404_error_documents(app) {
        for path in ["/requests/ABCD-EFGH", "/requests/not-a-reference", "/tokens/01900000-0000-7000-8000-000000000000", "/tokens/nope"] {
            expect_json_error(app.get(&format!("{BASE}{path}.json")).await, 404).await;
            expect_xml_error(app.get(&format!("{BASE}{path}.xml")).await, 404).await;
        }
    }

    async fn request_lists_filter_by_id_service_status_and_date_and_page(app) {
        let bulky = post_ok(&app, &bulky_waste()).await;
        let tree = [("service_code", "boom"), ("lat", "50.8882"), ("long", "5.9795"),
            ("description", "Een tak hangt over het fietspad."), ("attribute[gevaar]", "nee")];
        let tree = post_ok(&app, &tree).await;
        let ids = |json: &Value| -> Vec<String> {
            json.as_array().unwrap().iter().map(|r| r["service_request_id"].as_str().unwrap().to_owned()).collect()
        };
        let (_, all) = get_json(&app, "/requests.json").await;
        assert_eq!(ids(&all), [tree.clone(), bulky.clone()], "newest first");
        let (_, only) = get_json(&app, "/requests.json?service_code=boom").await;
        assert_eq!(ids(&only), [tree.as_str()]);
        let (_, both) = get_json(&app, "/requests.json?service_code=boom,grofvuil&status=open").await;
        assert_eq!(ids(&both).len(), 2);
        let (_, closed) = get_json(&app, "/requests.json?status=closed").await;
        assert!(ids(&closed).is_empty());
        let (_, by_id) = get_json(&app, &format!("/requests.json?service_request_id={bulky},{tree}&service_code=none")).await;
        assert_eq!(ids(&by_id), [bulky.clone(), tree.clone()]);
        let (_, page) = get_json(&app, "/requests.json?page_size=1&page=2").await;
        assert_eq!(ids(&page), [bulky.as_str()]);
        let (_, old) = get_json(&app, "/requests.json?start_date=2026-01-01T00:00:00Z&end_date=2026-02-01T00:00:00Z").await;
        assert!(ids(&old).is_empty());
        let (status, xml) = get_xml(&app, "/requests.xml?service_code=grofvuil").await;
        assert_eq!(status, 200);
        let document = roxmltree::Document::parse(&xml).unwrap();
        assert!(document.root_element().has_tag_name("service_requests"));
        let listed: Vec<_> = children(document.root_element(), "request").filter_map(|r| child_text(r, "service_request_id")).collect();
        assert_eq!(listed, [bulky.as_str()]);
        for query in ["status=pending", "start_date=gisteren", "start_date=2025-01-01T00:00:00Z&end_date=2025-12-01T00:00:00Z", "page_size=0", "page_size=1001"] {
            let errors = expect_json_error(app.get(&format!("{BASE}/requests.json?{query}")).await, 400).await;
            assert!(!errors[0].is_empty());
            expect_xml_error(app.get(&format!("{BASE}/requests.xml?{query}")).await, 400).await;
        }
    }

    async fn an_open311_post_honours_the_idempotency_key(app) {
        let first = post_form(&app, "json", &bulky_waste(), Some("open311-key-1")).await;
        assert_eq!(first.status(), 200);
        let first: Value = first.json().await.unwrap();
        let again = post_form(&app, "json", &bulky_waste(), Some("open311-key-1")).await;
        assert_eq!(again.status(), 200);
        assert_eq!(again.headers().get("idempotent-replayed").and_then(|v| v.to_str().ok()), Some("true"));
        let again: Value = again.json().await.unwrap();
        assert_eq!(first[0]["service_request_id"], again[0]["service_request_id"]);
        assert_eq!(app.stored_reports().await, 1);
        let mut other = bulky_waste();
        other[4] = ("description", "Iets heel anders.");
        let errors = expect_json_error(post_form(&app, "json", &other, Some("open311-key-1")).await, 422).await;
        assert!(errors[0].contains("Idempotency-Key"));
        assert_eq!(app.stored_reports().await, 1);
    }

    async fn no_open311_output_contains_the_reporters_contact(app) {
        let response = post_form(&app, "xml", &bulky_waste(), Some("privacy-open311")).await;
        let (_, posted) = read_xml(response).await;
        assert_no_contact(&posted);
        let replay = post_form(&app, "json", &bulky_waste(), Some("privacy-open311")).await.text().await.unwrap();
        assert_no_contact(&replay);
        let id = {
            let body: Value = serde_json::from_str(&replay).unwrap();
            body[0]["service_request_id"].as_str().unwrap().to_owned()
        };
        let token = earlier_token(&app, &id).await;
        for path in [format!("/requests/{id}"), "/requests".to_owned(), format!("/tokens/{token}"), "/servicerequestupdates".to_owned()] {
            for format in ["json", "xml"] {
                let response = app.get(&format!("{BASE}{path}.{format}")).await;
                assert_eq!(response.status(), 200, "{path}.{format}");
                assert_no_contact(&response.text().await.unwrap());
            }
        }
    }

    async fn open311_withholds_text_and_location_of_non_public_and_sensitive_categories(app) {
        let filed = |service: &'static str| {
            vec![
                ("service_code", service),
                ("lat", "50.88801"),
                ("long", "5.97951"),
                ("address_string", "Pancratiusplein 1, Heerlen"),
                ("description", "Overlast tot diep in de nacht."),
                ("media_url", "https://example.org/overlast.jpg"),
            ]
        };
        let hidden = post_ok(&app, &filed("jongerenoverlast")).await;
        let (_, json) = get_json(&app, &format!("/requests/{hidden}.json")).await;
        for field in ["description", "address", "lat", "long", "media_url"] {
            assert!(json[0][field].is_null(), "{field} shown for a non-public category: {json}");
        }
        let sensitive = post_ok(&app, &filed("stank-geluidsoverlast")).await;
        let (_, json) = get_json(&app, &format!("/requests/{sensitive}.json")).await;
        assert!(json[0]["description"].is_null() && json[0]["address"].is_null() && json[0]["media_url"].is_null());
        let lat = json[0]["lat"].as_f64().unwrap();
        assert!(lat != 50.88801 && (lat - 50.88801).abs() < 0.002, "coarsened: {lat}");
        let (_, xml) = get_xml(&app, "/requests.xml").await;
        assert!(!xml.contains("Overlast tot diep") && !xml.contains("Pancratiusplein") && !xml.contains("50.88801"), "{xml}");
    }

    async fn a_post_that_is_not_form_encoded_is_a_400_saying_how_to_send_it(app) {
        let response = app.post_raw(&format!("{BASE}/requests.json"), Some("application/json"), r#"{"service_code":"boom"}"#).await;
        let errors = expect_json_error(response, 400).await;
        assert!(errors[0].contains("application/x-www-form-urlencoded"), "{errors:?}");
        let response = app.post_raw(&format!("{BASE}/requests.xml"), Some("multipart/form-data; boundary=x"), "--x--").await;
        expect_xml_error(response, 400).await;
        assert_eq!(app.stored_reports().await, 0);
    }
}
