//! Routing rules made through the admin API.

use reqwest::Method;
use serde_json::{Value, json};

use super::app::TestApp;

/// A rule sending street-light reports in `wijk` to the contractor's department, urgently.
pub fn night_rule(wijk: &str) -> Value {
    json!({
        "name": "Verlichting in deze wijk naar de aannemer",
        "conditions": {"categories": ["straatverlichting-openbare-klok"], "areas": [wijk]},
        "action": {"department": "beheer-openbare-ruimte", "priority": "high"}
    })
}

/// Saves `rule` through the admin API and returns it as stored.
pub async fn create_rule(app: &TestApp, rule: &Value) -> Value {
    let (status, body) = app.admin_json(Method::POST, "/api/v1/admin/routing/rules", Some(rule)).await;
    assert_eq!(status, 201, "{body}");
    body
}
