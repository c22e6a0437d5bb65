//! The console in headless Chromium with axe-core (`tests/browser/console.mjs`).

use serde_json::{Value, json};

use crate::support::app::street_light_report;
use crate::support::backends::on_both_backends;
use crate::support::browser::{browser_output, browser_tools, run_node};
use crate::support::staff::*;

on_both_backends! {
    setup = spawn_staff_app;

    async fn a_coordinator_finds_resolves_and_merges_in_the_console_in_headless_chromium_with_axe_core(app) {
        let admin = admin_token(&app).await;
        staff_account(&app, &admin, "coordinator@heerlen.example", "coordinator", &[]).await;
        staff_account(&app, &admin, "afval@heerlen.example", "department_staff", &["afval-en-reiniging"]).await;
        let report: Value = app.post_report(&street_light_report(), None).await.json().await.unwrap();
        let mut near = street_light_report();
        near["location"] = json!({"lat": 50.8883, "lon": 5.9795});
        near["description"] = json!("Lamp bij Akerstraat 14 brandt niet.");
        let duplicate: Value = app.post_report(&near, None).await.json().await.unwrap();
        let chromium = browser_tools().await;
        let out = browser_output(&app);
        run_node(
            "console.mjs",
            &[
                "--url", &app.address,
                "--chromium", &chromium,
                "--coordinator", "coordinator@heerlen.example",
                "--department", "afval@heerlen.example",
                "--password", STAFF_PASSWORD,
                "--reference", report["reference"].as_str().unwrap(),
                "--duplicate", duplicate["reference"].as_str().unwrap(),
                "--report-id", report["id"].as_str().unwrap(),
            ],
            &out,
        )
        .await;
        let history: Value = send(&app, reqwest::Method::GET, &format!("/api/v1/staff/reports/{}", report["id"].as_str().unwrap()), Some(&admin), None).await.json().await.unwrap();
        assert_eq!(history["status"], "resolved");
        assert!(out.join("console-queue.png").exists());
    }
}
