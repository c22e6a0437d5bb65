//! Probes, the category tree, and unknown addresses.

use crate::support::app::*;
use crate::support::backends::on_both_backends;

on_both_backends! {
    async fn liveness_and_readiness_probes_answer_ok(app) {
        for path in ["/healthz", "/readyz"] {
            let response = app.get(path).await;
            assert_eq!(response.status(), 200, "{path}");
            let body: serde_json::Value = response.json().await.unwrap();
            assert_eq!(body["status"], "ok");
        }
    }

    async fn the_demo_category_tree_lists_heerlens_categories_with_their_questions(app) {
        let response = app.get("/api/v1/categories").await;
        assert_eq!(response.status(), 200);
        let tree: serde_json::Value = response.json().await.unwrap();
        let mains = tree["categories"].as_array().unwrap();
        let slugs: Vec<&str> = mains.iter().map(|m| m["slug"].as_str().unwrap()).collect();
        // Nine main categories in the source tree; the Amsterdam-only water group is inactive.
        assert_eq!(slugs.len(), 8, "{slugs:?}");
        assert!(!slugs.contains(&"overlast-op-het-water"));
        let subs: Vec<&serde_json::Value> = mains.iter().flat_map(|m| m["subcategories"].as_array().unwrap()).collect();
        assert_eq!(subs.len(), 83 - 9, "the 9 Amsterdam-specific subcategories are not offered");
        let light = subs.iter().find(|s| s["slug"] == "straatverlichting-openbare-klok").unwrap();
        assert_eq!(light["questions"][0]["key"], "probleem");
        assert_eq!(light["questions"][0]["datatype"], "singlevaluelist");
        let datatypes: std::collections::BTreeSet<&str> = subs
            .iter()
            .flat_map(|s| s["questions"].as_array().unwrap())
            .map(|q| q["datatype"].as_str().unwrap())
            .collect();
        assert_eq!(datatypes.len(), 6, "the demo questions use all six answer types: {datatypes:?}");
    }

    async fn an_unknown_report_is_a_404_problem(app) {
        let problem = expect_problem(app.get("/api/v1/reports/0193d3a0-0000-7000-8000-000000000000").await, 404).await;
        assert!(problem["detail"].as_str().unwrap().contains("0193d3a0"));
        expect_problem(app.get("/api/v1/reports/K7QM-3XRD").await, 404).await;
        expect_problem(app.get("/api/v1/reports/not%20a%20report").await, 404).await;
    }

    async fn unknown_addresses_and_wrong_methods_get_problem_documents(app) {
        expect_problem(app.get("/api/v1/nothing-here").await, 404).await;
        let response = app.client.delete(app.url("/api/v1/reports")).send().await.unwrap();
        expect_problem(response, 405).await;
        let response = app.client.put(app.url("/api/v1/reports/K7QM-3XRD")).send().await.unwrap();
        expect_problem(response, 405).await;
    }
}
