//! Open311 GeoReport v2 for tests: reading answers as JSON and XML, posting forms, and
//! checking error documents.

use serde_json::Value;

use super::app::TestApp;

pub const BASE: &str = "/open311/v2";
pub const EMAIL: &str = "p.pietersen@example.nl";
pub const PHONE: &str = "0455601234";
pub const FIRST: &str = "Pieternella";
pub const LAST: &str = "Pietersen";

/// GETs an Open311 path as JSON: status and body.
pub async fn get_json(app: &TestApp, path: &str) -> (u16, Value) {
    let response = app.get(&format!("{BASE}{path}")).await;
    let status = response.status().as_u16();
    let content_type = response.headers()["content-type"].to_str().unwrap().to_owned();
    assert!(content_type.starts_with("application/json"), "{path}: {content_type}");
    (status, response.json().await.unwrap())
}

/// GETs an Open311 path as XML: status and text, after checking the declaration and that
/// it parses.
pub async fn get_xml(app: &TestApp, path: &str) -> (u16, String) {
    let response = app.get(&format!("{BASE}{path}")).await;
    read_xml(response).await
}

pub async fn read_xml(response: reqwest::Response) -> (u16, String) {
    let status = response.status().as_u16();
    let content_type = response.headers()["content-type"].to_str().unwrap().to_owned();
    assert!(content_type.starts_with("text/xml"), "{content_type}");
    let text = response.text().await.unwrap();
    assert!(text.starts_with(r#"<?xml version="1.0" encoding="utf-8"?>"#), "{text}");
    roxmltree::Document::parse(&text).unwrap_or_else(|e| panic!("not well-formed XML ({e}): {text}"));
    (status, text)
}

pub fn child_text<'a>(node: roxmltree::Node<'a, 'a>, name: &str) -> Option<&'a str> {
    node.children().find(|c| c.has_tag_name(name)).map(|c| c.text().unwrap_or(""))
}

pub fn children<'a>(node: roxmltree::Node<'a, 'a>, name: &'a str) -> impl Iterator<Item = roxmltree::Node<'a, 'a>> {
    node.children().filter(move |c| c.has_tag_name(name))
}

/// POSTs form fields to `requests.{format}`.
pub async fn post_form(app: &TestApp, format: &str, fields: &[(&str, &str)], key: Option<&str>) -> reqwest::Response {
    let mut request = app.client.post(app.url(&format!("{BASE}/requests.{format}"))).form(fields);
    if let Some(key) = key {
        request = request.header("Idempotency-Key", key);
    }
    request.send().await.unwrap()
}

/// A bulky waste request with a multi-value answer and the reporter's contact.
pub fn bulky_waste() -> Vec<(&'static str, &'static str)> {
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

/// Posts a valid request as JSON and returns its service_request_id, after checking that
/// the answer carries no token (the services are realtime).
pub async fn post_ok(app: &TestApp, fields: &[(&str, &str)]) -> String {
    let response = post_form(app, "json", fields, None).await;
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    let posted = &body[0];
    assert!(posted.get("token").is_none(), "a realtime POST answers no token: {body}");
    posted["service_request_id"].as_str().unwrap().to_owned()
}

/// The report's UUID: what POST answered as `token` before it stopped answering one, and
/// what `tokens/{token}` still resolves. Read through the JSON API by reference.
pub async fn earlier_token(app: &TestApp, service_request_id: &str) -> String {
    let report: Value = app.get_json(&format!("/api/v1/reports/{service_request_id}")).await;
    report["id"].as_str().unwrap_or_else(|| panic!("no id: {report}")).to_owned()
}

/// Checks an Open311 JSON error: status and an array of {code, description}.
pub async fn expect_json_error(response: reqwest::Response, status: u16) -> Vec<String> {
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

pub async fn expect_xml_error(response: reqwest::Response, status: u16) -> Vec<String> {
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

pub fn assert_no_contact(text: &str) {
    for secret in [EMAIL, PHONE, "560 1234", FIRST, LAST, "device-42", "account-7"] {
        assert!(!text.contains(secret), "personal data '{secret}' leaked: {text}");
    }
}
