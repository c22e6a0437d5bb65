//! The departments and categories pages in headless Chromium with axe-core
//! (`tests/browser/console_catalogue.mjs`).

use reqwest::Method;

use crate::support::backends::on_both_backends;
use crate::support::browser::{browser_output, browser_tools, run_node};
use crate::support::staff::*;

on_both_backends! {
    setup = spawn_staff_app;

    async fn an_admin_adds_a_subcategory_with_a_question_and_reads_a_refusal_at_its_field_in_headless_chromium_with_axe_core(app) {
        let chromium = browser_tools().await;
        let out = browser_output(&app);
        run_node(
            "console_catalogue.mjs",
            &["--url", &app.address, "--chromium", &chromium, "--admin", ADMIN_EMAIL, "--password", ADMIN_PASSWORD],
            &out,
        )
        .await;
        let (_, categories) = app.admin_json(Method::GET, "/api/v1/admin/categories", None).await;
        let added = categories.as_array().unwrap().iter().find(|c| c["slug"] == "naalden-en-spuiten").cloned();
        let added = added.unwrap_or_else(|| panic!("the category in the API: {categories}"));
        assert_eq!((added["parent"].as_str(), added["handling_hours"].as_i64()), (Some("afval"), Some(24)), "the refused change is not stored");
        assert_eq!(added["questions"][0]["values"][0]["name_en"], "Playground");
        assert!(out.join("console-catalogue-category-invalid.png").exists());
    }
}
