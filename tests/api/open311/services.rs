//! Open311 GeoReport v2 discovery and services: every endpoint in JSON and XML, service
//! definitions, jurisdictions, and error documents for unknown services, paths and methods.

use serde_json::Value;

use crate::support::app::spawn_app_with;
use crate::support::backends::on_both_backends;
use crate::support::open311::*;

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

    async fn unknown_open311_paths_and_methods_answer_with_open311_error_documents(app) {
        expect_json_error(app.get(&format!("{BASE}/nothing.json")).await, 404).await;
        expect_xml_error(app.get(&format!("{BASE}/nothing.xml")).await, 404).await;
        let delete = app.client.delete(app.url(&format!("{BASE}/services.xml"))).send().await.unwrap();
        expect_xml_error(delete, 405).await;
        let put = app.client.put(app.url(&format!("{BASE}/requests/ABCD-EFGH.json"))).send().await.unwrap();
        expect_json_error(put, 405).await;
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
        let id = post_ok(&several, &heerlen).await;
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
