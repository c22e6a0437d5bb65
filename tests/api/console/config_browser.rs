//! The routing rules page in headless Chromium with axe-core
//! (`tests/browser/console_config.mjs`).

use reqwest::Method;

use crate::support::backends::on_both_backends;
use crate::support::browser::{browser_output, browser_tools, run_node};
use crate::support::staff::*;

on_both_backends! {
    setup = spawn_staff_app;

    async fn an_admin_tries_a_candidate_rule_sees_why_and_saves_it_in_headless_chromium_with_axe_core(app) {
        let chromium = browser_tools().await;
        let out = browser_output(&app);
        run_node(
            "console_config.mjs",
            &["--url", &app.address, "--chromium", &chromium, "--admin", ADMIN_EMAIL, "--password", ADMIN_PASSWORD],
            &out,
        )
        .await;
        let (_, rules) = app.admin_json(Method::GET, "/api/v1/admin/routing/rules", None).await;
        assert_eq!(rules.as_array().map(Vec::len), Some(1), "{rules}");
        assert!(out.join("console-config-rules-tried.png").exists());
    }
}
