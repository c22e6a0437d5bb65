//! The event webhook pages in headless Chromium with axe-core
//! (`tests/browser/console_events.mjs`), with an endpoint whose receiver is down.

use reqwest::Method;
use serde_json::json;

use crate::support::app::{spawn_app_with, street_light_report};
use crate::support::backends::on_both_backends;
use crate::support::browser::{browser_output, browser_tools, run_node};
use crate::support::events::*;
use crate::support::net::free_port;
use crate::support::staff::*;

on_both_backends! {
    async fn an_admin_finds_a_failing_delivery_replays_and_pauses_in_headless_chromium_with_axe_core(backend: Backend) {
        let app = spawn_app_with(backend, |s| {
            fast_retries(s);
            with_bootstrap_admin(s);
        })
        .await;
        let receiver = Receiver::new(free_port());
        let endpoint = register(&app, json!({"url": receiver.url(), "description": "zaaksysteem"})).await;
        let id = endpoint["id"].as_str().unwrap().to_owned();
        file(&app, &street_light_report()).await;
        wait_for_deliveries(&app, &id, "failing", |d| d.len() == 1).await;
        let chromium = browser_tools().await;
        let out = browser_output(&app);
        run_node(
            "console_events.mjs",
            &["--url", &app.address, "--chromium", &chromium, "--admin", ADMIN_EMAIL, "--password", ADMIN_PASSWORD],
            &out,
        )
        .await;
        let (_, view) = app.admin_json(Method::GET, &format!("/api/v1/admin/event-endpoints/{id}"), None).await;
        assert_eq!(view["active"], false, "{view}");
        assert!(out.join("console-config-event-endpoint.png").exists());
    }
}
