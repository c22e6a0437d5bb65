//! The committed API contract is exactly what the code generates.

use crate::support::backends::on_both_backends;

#[test]
fn the_committed_openapi_document_matches_the_code() {
    let generated = meldpunt::api::openapi_yaml().unwrap();
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/api-spec/openapi.yaml");
    if std::env::var_os("MELDPUNT_UPDATE_SPEC").is_some() {
        std::fs::write(path, &generated).unwrap();
    }
    let committed = std::fs::read_to_string(path).unwrap_or_default();
    assert!(
        committed == generated,
        "api-spec/openapi.yaml differs from what the code generates; run \
         `MELDPUNT_UPDATE_SPEC=1 cargo test --test api openapi` (or `cargo run -- openapi > api-spec/openapi.yaml`) and commit it"
    );
}

#[test]
fn every_operation_documents_its_responses_and_every_error_is_a_problem_document() {
    let document: serde_json::Value = serde_json::to_value(meldpunt::api::openapi()).unwrap();
    let paths = document["paths"].as_object().unwrap();
    for expected in
        ["/healthz", "/readyz", "/api/v1/categories", "/api/v1/reports", "/api/v1/reports/{id}", "/api/v1/openapi.json"]
            .into_iter()
            .chain([
                "/open311/v2/discovery.{format}",
                "/open311/v2/services.{format}",
                "/open311/v2/services/{service_code}.{format}",
                "/open311/v2/requests.{format}",
                "/open311/v2/requests/{id}.{format}",
                "/open311/v2/tokens/{token}.{format}",
                "/open311/v2/servicerequestupdates.{format}",
            ])
    {
        assert!(paths.contains_key(expected), "{expected} is missing from the contract");
    }
    for (path, item) in paths {
        for (method, operation) in item.as_object().unwrap() {
            let responses = operation["responses"].as_object().unwrap();
            assert!(!responses.is_empty(), "{method} {path} documents no response");
            for (status, response) in responses {
                // Open311 errors are GeoReport error documents by spec, in JSON or XML.
                if path.starts_with("/open311/") && (status.starts_with('4') || status.starts_with('5')) {
                    let content = &response["content"];
                    assert!(
                        content.get("application/json").is_some() && content.get("text/xml").is_some(),
                        "{method} {path} {status} is not documented as an Open311 error document in JSON and XML"
                    );
                    assert!(content.get("application/problem+json").is_none(), "{method} {path} {status}");
                } else if ((path.starts_with("/open/") || path.starts_with("/console") || posts_a_form(operation))
                    && status.starts_with('4')
                    || path.starts_with("/console/") && status.starts_with('5'))
                    && response["content"].get("application/problem+json").is_none()
                {
                    // The dashboard, the staff console (and its single sign-on) and the forms
                    // of the resident pages are for people: bad input gets a page that says
                    // what to change (docs/dashboards.md, docs/console.md,
                    // docs/single-sign-on.md, docs/resident-pages.md).
                    assert!(
                        response["content"].get("text/html").is_some(),
                        "{method} {path} {status} is not documented as an HTML page"
                    );
                } else if status.starts_with('4') || status.starts_with('5') {
                    assert!(
                        response["content"].get("application/problem+json").is_some(),
                        "{method} {path} {status} is not documented as problem+json"
                    );
                }
            }
        }
    }
}

/// Whether an operation takes a browser's form (`application/x-www-form-urlencoded`).
fn posts_a_form(operation: &serde_json::Value) -> bool {
    operation["requestBody"]["content"].get("application/x-www-form-urlencoded").is_some()
}

on_both_backends! {
    async fn the_served_openapi_document_is_the_generated_one(app) {
        let served: serde_json::Value = app.get("/api/v1/openapi.json").await.json().await.unwrap();
        assert_eq!(served, serde_json::to_value(meldpunt::api::openapi()).unwrap());
    }
}
