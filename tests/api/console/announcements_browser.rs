//! The announcement pages in headless Chromium with axe-core
//! (`tests/browser/console_announcements.mjs`).

use serde_json::json;

use crate::support::backends::on_both_backends;
use crate::support::browser::{browser_output, browser_tools, run_node};
use crate::support::staff::*;
use crate::support::subscriptions::*;

on_both_backends! {
    async fn a_coordinator_picks_two_buurten_on_the_map_previews_sees_the_reach_and_publishes_in_headless_chromium(backend: Backend) {
        let folder = tempfile::tempdir().unwrap();
        let app = folder_app(backend, folder.path()).await;
        let admin = admin_token(&app).await;
        staff_account(&app, &admin, "coordinator@heerlen.example", "coordinator", &[]).await;
        confirmed(&app, folder.path(), "maria@example.nl", json!({"areas": ["BU09171000"]})).await;
        confirmed(&app, folder.path(), "centrum@example.nl", json!({"areas": ["BU09173300"]})).await;
        let chromium = browser_tools().await;
        let out = browser_output(&app);
        run_node(
            "console_announcements.mjs",
            &[
                "--url", &app.address,
                "--chromium", &chromium,
                "--coordinator", "coordinator@heerlen.example",
                "--password", STAFF_PASSWORD,
                "--buurten", "BU09171000,BU09173300",
                "--reach", "2",
            ],
            &out,
        )
        .await;
        let list: serde_json::Value =
            send(&app, reqwest::Method::GET, "/api/v1/staff/announcements", Some(&admin), None).await.json().await.unwrap();
        assert_eq!(list[0]["status"], "published");
        assert_eq!(list[0]["areas"], json!(["BU09171000", "BU09173300"]));
        assert!(out.join("console-announcement-published.png").exists());
    }
}
