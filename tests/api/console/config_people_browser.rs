//! The accounts and areas pages in headless Chromium with axe-core
//! (`tests/browser/console_people.mjs`).

use reqwest::Method;

use crate::support::backends::on_both_backends;
use crate::support::browser::{browser_output, browser_tools, run_node};
use crate::support::staff::*;

on_both_backends! {
    setup = spawn_staff_app;

    async fn an_admin_adds_an_account_with_a_token_and_imports_areas_in_headless_chromium_with_axe_core(app) {
        let chromium = browser_tools().await;
        let out = browser_output(&app);
        run_node(
            "console_people.mjs",
            &["--url", &app.address, "--chromium", &chromium, "--admin", ADMIN_EMAIL, "--password", ADMIN_PASSWORD],
            &out,
        )
        .await;
        let (_, log) = app.admin_json(Method::GET, "/api/v1/admin/areas/imports", None).await;
        assert_eq!(log[0]["source"], "console: heerlen-buurten.geojson", "{log}");
        assert!(out.join("console-config-token.png").exists());
    }
}
