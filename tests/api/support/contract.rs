//! The OpenAPI document's `webhooks` as a contract: what a receiver got must match the
//! schema of its webhook in the document the server serves.

use serde_json::{Value, json};

use super::app::TestApp;

/// The served document.
pub async fn document(app: &TestApp) -> Value {
    app.get_json("/api/v1/openapi.json").await
}

/// Asserts that `body` matches the request body of webhook `name` in `document`, formats
/// (uuid, date-time) included.
pub fn assert_matches_webhook(document: &Value, name: &str, body: &Value) {
    let schema = &document["webhooks"][name]["post"]["requestBody"]["content"]["application/json"]["schema"];
    assert!(schema.is_object(), "webhook {name} is in the document");
    // The webhook's schema, with the document's components beside it for its `$ref`s.
    let root = json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "allOf": [schema],
        "components": document["components"],
    });
    let validator = jsonschema::options()
        .with_draft(jsonschema::Draft::Draft202012)
        .should_validate_formats(true)
        .build(&root)
        .unwrap_or_else(|e| panic!("the schema of webhook {name} compiles: {e}"));
    let errors: Vec<String> =
        validator.iter_errors(body).map(|e| format!("{} (at {})", e, e.instance_path())).collect();
    assert!(errors.is_empty(), "the body of {name} does not match the document: {errors:#?}\n{body:#}");
}

/// Asserts that every report event a receiver logged (`support::events::Receiver`) matches
/// the webhook of its type.
pub async fn assert_report_events_match(app: &TestApp, events: &[Value]) {
    let document = document(app).await;
    for event in events {
        assert_matches_webhook(&document, event["type"].as_str().unwrap(), &event["body"]);
    }
}
