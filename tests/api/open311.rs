//! Open311 GeoReport v2: every endpoint in JSON and XML, its errors, and that it shares
//! validation, routing, idempotency and privacy with the JSON API.

use serde_json::Value;

use crate::helpers::{TestApp, spawn_app_with};
use crate::on_both_backends;

const BASE: &str = "/open311/v2";
const EMAIL: &str = "p.pietersen@example.nl";
const PHONE: &str = "0455601234";
const FIRST: &str = "Pieternella";
const LAST: &str = "Pietersen";

/// GETs an Open311 path as JSON: status and body.
async fn get_json(app: &TestApp, path: &str) -> (u16, Value) {
    let response = app.get(&format!("{BASE}{path}")).await;
    let status = response.status().as_u16();
    let content_type = response.headers()["content-type"].to_str().unwrap().to_owned();
    assert!(content_type.starts_with("application/json"), "{path}: {content_type}");
    (status, response.json().await.unwrap())
}

/// GETs an Open311 path as XML: status and text, after checking the declaration and that
/// it parses.
async fn get_xml(app: &TestApp, path: &str) -> (u16, String) {
    let response = app.get(&format!("{BASE}{path}")).await;
    read_xml(response).await
}

async fn read_xml(response: reqwest::Response) -> (u16, String) {
    let status = response.status().as_u16();
    let content_type = response.headers()["content-type"].to_str().unwrap().to_owned();
    assert!(content_type.starts_with("text/xml"), "{content_type}");
    let text = response.text().await.unwrap();
    assert!(text.starts_with(r#"<?xml version="1.0" encoding="utf-8"?>"#), "{text}");
    roxmltree::Document::parse(&text).unwrap_or_else(|e| panic!("not well-formed XML ({e}): {text}"));
    (status, text)
}

/// The texts of the children named `name` of `node`.
fn child_text<'a>(node: roxmltree::Node<'a, 'a>, name: &str) -> Option<&'a str> {
    node.children().find(|c| c.has_tag_name(name)).map(|c| c.text().unwrap_or(""))
}

fn children<'a>(node: roxmltree::Node<'a, 'a>, name: &'a str) -> impl Iterator<Item = roxmltree::Node<'a, 'a>> {
    node.children().filter(move |c| c.has_tag_name(name))
}

/// POSTs form fields to `requests.{format}`.
async fn post_form(app: &TestApp, format: &str, fields: &[(&str, &str)], key: Option<&str>) -> reqwest::Response {
    let mut request = app.client.post(app.url(&format!("{BASE}/requests.{format}"))).form(fields);
    if let Some(key) = key {
        request = request.header("Idempotency-Key", key);
    }
    request.send().await.unwrap()
}

/// A bulky waste request with a multi-value answer and the reporter's contact.
fn bulky_waste() -> Vec<(&'static str, &'static str)> {
    vec![
        ("service_code", "grofvuil"),
        ("lat", "50.8882"),
        ("long", "5.9795"),
        ("address_string", "Akerstraat 12, Heerlen"),
        ("description", "Een matras en een bank naast de container."),
        ("attribute[soort][]", "matras"),
        ("attribute[soort][]", "meubels"),
        ("attribute[gezien_op]", "2026-11-25T08:30:00+01:00"),
        ("attribute[toelichting]", "Ligt er sinds gisteren."),
        ("email", EMAIL),
        ("phone", PHONE),
        ("first_name", FIRST),
        ("last_name", LAST),
        ("device_id", "device-42"),
        ("account_id", "account-7"),
        ("media_url", "https://example.org/foto.jpg"),
    ]
}

/// Posts a valid request as JSON and returns (service_request_id, token).
async fn post_ok(app: &TestApp, fields: &[(&str, &str)]) -> (String, String) {
    let response = post_form(app, "json", fields, None).await;
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    let posted = &body[0];
    (posted["service_request_id"].as_str().unwrap().to_owned(), posted["token"].as_str().unwrap().to_owned())
}

/// Checks an Open311 JSON error: status and an array of {code, description}.
async fn expect_json_error(response: reqwest::Response, status: u16) -> Vec<String> {
    assert_eq!(response.status().as_u16(), status);
    let content_type = response.headers()["content-type"].to_str().unwrap().to_owned();
    assert!(content_type.starts_with("application/json"), "{content_type}");
    let body: Value = response.json().await.unwrap();
    let errors = body.as_array().unwrap_or_else(|| panic!("not an array: {body}"));
    assert!(!errors.is_empty());
    errors
        .iter()
        .map(|e| {
            assert_eq!(e["code"], status, "{e}");
            e["description"].as_str().unwrap().to_owned()
        })
        .collect()
}

/// Checks an Open311 XML error document.
async fn expect_xml_error(response: reqwest::Response, status: u16) -> Vec<String> {
    let (got, text) = read_xml(response).await;
    assert_eq!(got, status, "{text}");
    let document = roxmltree::Document::parse(&text).unwrap();
    let root = document.root_element();
    assert!(root.has_tag_name("errors"), "{text}");
    let errors: Vec<String> = children(root, "error")
        .map(|e| {
            assert_eq!(child_text(e, "code"), Some(status.to_string().as_str()), "{text}");
            child_text(e, "description").unwrap().to_owned()
        })
        .collect();
    assert!(!errors.is_empty(), "{text}");
    errors
}

fn assert_no_contact(text: &str) {
    for secret in [EMAIL, PHONE, "560 1234", FIRST, LAST, "device-42", "account-7"] {
        assert!(!text.contains(secret), "personal data '{secret}' leaked: {text}");
    }
}

on_both_backends! {
    async fn discovery_names_the_georeport_v2_endpoint_and_both_formats(app) {
        let (status, json) = get_json(&app, "/discovery.json").await;
        assert_eq!(status, 200);
        let endpoint = &json["endpoints"][0];
        assert_eq!(endpoint["specification"], "http://wiki.open311.org/GeoReport_v2");
        assert!(endpoint["url"].as_str().unwrap().ends_with("/open311/v2"));
        assert_eq!(endpoint["formats"], serde_json::json!(["application/json", "text/xml"]));
        let (status, xml) = get_xml(&app, "/discovery.xml").await;
        assert_eq!(status, 200);
        let document = roxmltree::Document::parse(&xml).unwrap();
        let root = document.root_element();
        assert!(root.has_tag_name("discovery"));
        assert!(child_text(root, "changeset").is_some());
        let endpoint = children(root, "endpoints").next().and_then(|e| children(e, "endpoint").next()).unwrap();
        assert_eq!(child_text(endpoint, "specification"), Some("http://wiki.open311.org/GeoReport_v2"));
        let formats: Vec<&str> =
            children(endpoint, "formats").flat_map(|f| children(f, "format")).filter_map(|f| f.text()).collect();
        assert_eq!(formats, ["application/json", "text/xml"]);
    }

    async fn services_are_the_active_subcategories_with_metadata_where_they_ask_questions(app) {
        let (status, json) = get_json(&app, "/services.json").await;
        assert_eq!(status, 200);
        let services = json.as_array().unwrap();
        let categories: Value = app.get("/api/v1/categories").await.json().await.unwrap();
        let subs: usize = categories.as_array().map_or(0, |mains| {
            mains.iter().map(|m| m["subcategories"].as_array().map_or(0, Vec::len)).sum()
        });
        assert!(services.len() > 20 && (subs == 0 || services.len() == subs), "{} services, {subs} subcategories", services.len());
        let light = services.iter().find(|s| s["service_code"] == "straatverlichting-openbare-klok").unwrap();
        assert_eq!(light["metadata"], true);
        assert_eq!(light["type"], "realtime");
        assert!(light["group"].as_str().is_some_and(|g| !g.is_empty()));
        assert!(services.iter().any(|s| s["metadata"] == false));
        let (status, xml) = get_xml(&app, "/services.xml").await;
        assert_eq!(status, 200);
        let document = roxmltree::Document::parse(&xml).unwrap();
        assert!(document.root_element().has_tag_name("services"));
        let listed: Vec<_> = children(document.root_element(), "service").collect();
        assert_eq!(listed.len(), services.len());
        let light = listed.iter().find(|s| child_text(**s, "service_code") == Some("straatverlichting-openbare-klok")).unwrap();
        assert_eq!(child_text(*light, "metadata"), Some("true"));
        for field in ["service_name", "description", "type", "keywords", "group"] {
            assert!(child_text(*light, field).is_some(), "{field} missing in {xml}");
        }
    }

    async fn service_definitions_cover_all_six_datatypes_in_json_and_xml(app) {
        let mut datatypes = std::collections::BTreeSet::new();
        for code in ["straatverlichting-openbare-klok", "grofvuil"] {
            let (status, json) = get_json(&app, &format!("/services/{code}.json")).await;
            assert_eq!(status, 200);
            assert_eq!(json["service_code"], code);
            for (index, attribute) in json["attributes"].as_array().unwrap().iter().enumerate() {
                assert_eq!(attribute["variable"], true);
                assert_eq!(attribute["order"], index + 1);
                assert!(attribute["code"].as_str().is_some_and(|c| !c.is_empty()));
                assert!(attribute["required"].is_boolean());
                assert!(attribute["description"].as_str().is_some_and(|d| !d.is_empty()));
                let datatype = attribute["datatype"].as_str().unwrap().to_owned();
                let values = attribute["values"].as_array().unwrap();
                assert_eq!(datatype.ends_with("valuelist"), !values.is_empty(), "{attribute}");
                for value in values {
                    assert!(value["key"].is_string() && value["name"].is_string());
                }
                datatypes.insert(datatype);
            }
            let (status, xml) = get_xml(&app, &format!("/services/{code}.xml")).await;
            assert_eq!(status, 200);
            let document = roxmltree::Document::parse(&xml).unwrap();
            let root = document.root_element();
            assert!(root.has_tag_name("service_definition"));
            assert_eq!(child_text(root, "service_code"), Some(code));
            let attributes: Vec<_> = children(root, "attributes").flat_map(|a| children(a, "attribute")).collect();
            assert_eq!(attributes.len(), json["attributes"].as_array().unwrap().len());
            let list = attributes.iter().find(|a| child_text(**a, "datatype").is_some_and(|d| d.ends_with("valuelist"))).unwrap();
            let value = children(*list, "values").flat_map(|v| children(v, "value")).next().unwrap();
            assert!(child_text(value, "key").is_some() && child_text(value, "name").is_some(), "{xml}");
            for field in ["variable", "code", "datatype", "required", "datatype_description", "order", "description"] {
                assert!(child_text(*list, field).is_some(), "{field} missing in {xml}");
            }
        }
        let expected: std::collections::BTreeSet<String> =
            ["string", "number", "datetime", "text", "singlevaluelist", "multivaluelist"].map(String::from).into();
        assert_eq!(datatypes, expected);
    }

    async fn an_unknown_service_or_format_is_a_404_error_document(app) {
        let errors = expect_json_error(app.get(&format!("{BASE}/services/bestaat-niet.json")).await, 404).await;
        assert!(errors[0].contains("bestaat-niet"));
        let errors = expect_xml_error(app.get(&format!("{BASE}/services/bestaat-niet.xml")).await, 404).await;
        assert!(errors[0].contains("bestaat-niet"));
        expect_json_error(app.get(&format!("{BASE}/services.yaml")).await, 404).await;
    }

    async fn a_form_post_with_multi_value_attributes_is_filed_and_reads_back_in_both_formats(app) {
        let response = post_form(&app, "xml", &bulky_waste(), None).await;
        let (status, xml) = read_xml(response).await;
        assert_eq!(status, 200, "{xml}");
        let document = roxmltree::Document::parse(&xml).unwrap();
        assert!(document.root_element().has_tag_name("service_requests"));
        let posted = children(document.root_element(), "request").next().unwrap();
        let id = child_text(posted, "service_request_id").unwrap().to_owned();
        let token = child_text(posted, "token").unwrap().to_owned();
        assert!(!id.is_empty() && !token.is_empty());

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
        let unknown = [("service_code", "bestaat-niet"), ("lat", "50.8882"), ("long", "5.9795"), ("description", "x")];
        let errors = expect_json_error(post_form(&app, "json", &unknown, None).await, 400).await;
        assert!(errors.iter().any(|e| e.starts_with("service_code")), "{errors:?}");
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
        let (bulky, _) = post_ok(&app, &bulky_waste()).await;
        let tree = [("service_code", "boom"), ("lat", "50.8882"), ("long", "5.9795"),
            ("description", "Een tak hangt over het fietspad."), ("attribute[gevaar]", "nee")];
        let (tree, _) = post_ok(&app, &tree).await;
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
        let (id, token) = {
            let body: Value = serde_json::from_str(&replay).unwrap();
            (body[0]["service_request_id"].as_str().unwrap().to_owned(), body[0]["token"].as_str().unwrap().to_owned())
        };
        for path in [format!("/requests/{id}"), "/requests".to_owned(), format!("/tokens/{token}"), "/servicerequestupdates".to_owned()] {
            for format in ["json", "xml"] {
                let response = app.get(&format!("{BASE}{path}.{format}")).await;
                assert_eq!(response.status(), 200, "{path}.{format}");
                assert_no_contact(&response.text().await.unwrap());
            }
        }
    }

    async fn service_request_updates_list_the_creation_of_requests_since_a_time(app) {
        let before = chrono::Utc::now() - chrono::Duration::seconds(5);
        let (id, _) = post_ok(&app, &bulky_waste()).await;
        let since = before.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        let (status, json) = get_json(&app, &format!("/servicerequestupdates.json?start_date={since}")).await;
        assert_eq!(status, 200);
        let updates = json["service_request_updates"].as_array().unwrap();
        assert_eq!(updates.len(), 1, "{json}");
        assert_eq!(updates[0]["service_request_id"], id.as_str());
        assert_eq!(updates[0]["status"], "open");
        assert_eq!(updates[0]["external_status_code"], "new");
        assert!(updates[0]["update_id"].as_str().is_some_and(|u| !u.is_empty()));
        let (status, xml) = get_xml(&app, &format!("/servicerequestupdates.xml?start_date={since}")).await;
        assert_eq!(status, 200);
        let document = roxmltree::Document::parse(&xml).unwrap();
        assert!(document.root_element().has_tag_name("service_request_updates"));
        let update = children(document.root_element(), "request_update").next().unwrap();
        assert_eq!(child_text(update, "service_request_id"), Some(id.as_str()));
        for field in ["update_id", "status", "updated_datetime", "description", "media_url"] {
            assert!(child_text(update, field).is_some() || update.children().any(|c| c.has_tag_name(field)), "{field}: {xml}");
        }
        let later = (chrono::Utc::now() + chrono::Duration::hours(1)).to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        let (_, none) = get_json(&app, &format!("/servicerequestupdates.json?start_date={later}&end_date={later}")).await;
        assert!(none["service_request_updates"].as_array().unwrap().is_empty());
        expect_xml_error(app.get(&format!("{BASE}/servicerequestupdates.xml?start_date=vandaag")).await, 400).await;
    }

    async fn jurisdiction_id_is_required_when_several_municipalities_are_served(app) {
        let several = spawn_app_with(app.backend, |s| s.municipalities = "GM0917,GM0935".into()).await;
        let errors = expect_json_error(several.get(&format!("{BASE}/services.json")).await, 400).await;
        assert!(errors[0].contains("jurisdiction_id"));
        expect_xml_error(several.get(&format!("{BASE}/requests.xml")).await, 400).await;
        expect_json_error(several.get(&format!("{BASE}/services.json?jurisdiction_id=GM0363")).await, 404).await;
        let (status, _) = get_json(&several, "/services.json?jurisdiction_id=GM0917").await;
        assert_eq!(status, 200);
        let mut maastricht = bulky_waste();
        maastricht.push(("jurisdiction_id", "GM0935"));
        let errors = expect_json_error(post_form(&several, "json", &maastricht, None).await, 400).await;
        assert!(errors.iter().any(|e| e.contains("GM0935")), "{errors:?}");
        let mut heerlen = bulky_waste();
        heerlen.push(("jurisdiction_id", "gm0917"));
        let (id, _) = post_ok(&several, &heerlen).await;
        let (_, listed) = get_json(&several, "/requests.json?jurisdiction_id=GM0917").await;
        assert_eq!(listed[0]["service_request_id"], id.as_str());
        let (_, elsewhere) = get_json(&several, "/requests.json?jurisdiction_id=GM0935").await;
        assert!(elsewhere.as_array().unwrap().is_empty());
        let (_, elsewhere) = get_json(&several, &format!("/requests.json?jurisdiction_id=GM0935&service_request_id={id}")).await;
        assert!(elsewhere.as_array().unwrap().is_empty());
        let (status, _) = get_json(&several, &format!("/requests/{id}.json?jurisdiction_id=GM0917")).await;
        assert_eq!(status, 200);
        expect_json_error(several.get(&format!("{BASE}/requests/{id}.json?jurisdiction_id=GM0935")).await, 404).await;
        // A single-municipality server accepts its own code and needs none.
        let (status, _) = get_json(&app, "/services.json?jurisdiction_id=GM0917").await;
        assert_eq!(status, 200);
    }
}

on_both_backends! {
    async fn unknown_open311_paths_and_methods_answer_with_open311_error_documents(app) {
        expect_json_error(app.get(&format!("{BASE}/nothing.json")).await, 404).await;
        expect_xml_error(app.get(&format!("{BASE}/nothing.xml")).await, 404).await;
        let delete = app.client.delete(app.url(&format!("{BASE}/services.xml"))).send().await.unwrap();
        expect_xml_error(delete, 405).await;
        let put = app.client.put(app.url(&format!("{BASE}/requests/ABCD-EFGH.json"))).send().await.unwrap();
        expect_json_error(put, 405).await;
    }
}

on_both_backends! {
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
        let (hidden, _) = post_ok(&app, &filed("jongerenoverlast")).await;
        let (_, json) = get_json(&app, &format!("/requests/{hidden}.json")).await;
        for field in ["description", "address", "lat", "long", "media_url"] {
            assert!(json[0][field].is_null(), "{field} shown for a non-public category: {json}");
        }
        let (sensitive, _) = post_ok(&app, &filed("stank-geluidsoverlast")).await;
        let (_, json) = get_json(&app, &format!("/requests/{sensitive}.json")).await;
        assert!(json[0]["description"].is_null() && json[0]["address"].is_null() && json[0]["media_url"].is_null());
        let lat = json[0]["lat"].as_f64().unwrap();
        assert!(lat != 50.88801 && (lat - 50.88801).abs() < 0.002, "coarsened: {lat}");
        let (_, xml) = get_xml(&app, "/requests.xml").await;
        assert!(!xml.contains("Overlast tot diep") && !xml.contains("Pancratiusplein") && !xml.contains("50.88801"), "{xml}");
    }
}

on_both_backends! {
    async fn a_post_that_is_not_form_encoded_is_a_400_saying_how_to_send_it(app) {
        let response = app.post_raw(&format!("{BASE}/requests.json"), Some("application/json"), r#"{"service_code":"boom"}"#).await;
        let errors = expect_json_error(response, 400).await;
        assert!(errors[0].contains("application/x-www-form-urlencoded"), "{errors:?}");
        let response = app.post_raw(&format!("{BASE}/requests.xml"), Some("multipart/form-data; boundary=x"), "--x--").await;
        expect_xml_error(response, 400).await;
        assert_eq!(app.stored_reports().await, 0);
    }
}
