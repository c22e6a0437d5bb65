//! The console maps' optional background (`console_tile_url`): tiles under the areas on the
//! queue, report and announcement pages, the content security policy that lets them load,
//! and nothing from another host without it.

use serde_json::Value;

use super::Browser;
use crate::support::app::{Backend, TestApp, spawn_app_with, street_light_report};
use crate::support::backends::on_both_backends;
use crate::support::staff::*;

/// A tile server address: nothing listens there, which a page must survive.
const TILES: &str = "http://127.0.0.1:9/tiles/{z}/{x}/{y}.png";

async fn tiled_app(backend: Backend) -> TestApp {
    spawn_app_with(backend, |settings| {
        with_bootstrap_admin(settings);
        settings.console_tile_url = TILES.into();
        settings.console_tile_attribution = "Kaartgegevens © Kadaster".into();
    })
    .await
}

/// The zoom levels of the tiles on a page, one per `<image>`.
fn tile_zooms(page: &str) -> Vec<u32> {
    page.split("<image href=\"http://127.0.0.1:9/tiles/")
        .skip(1)
        .map(|rest| rest.split('/').next().unwrap().parse().unwrap())
        .collect()
}

async fn page_and_policy(browser: &Browser<'_>, path: &str) -> (String, String) {
    let response = browser.get(path).await;
    assert_eq!(response.status(), 200, "{path}");
    let policy = response.headers()["content-security-policy"].to_str().unwrap().to_owned();
    (response.text().await.unwrap(), policy)
}

on_both_backends! {
    async fn with_a_tile_url_the_console_maps_lie_on_the_background_map_and_the_policy_allows_its_host(backend: Backend) {
        let app = crate::console::tiles::tiled_app(backend).await;
        let report: Value = app.post_report(&street_light_report(), None).await.json().await.unwrap();
        let mut browser = crate::console::Browser::new(&app);
        browser.log_in(ADMIN_EMAIL, ADMIN_PASSWORD).await;

        let (queue, policy) = crate::console::tiles::page_and_policy(&browser, "/console").await;
        assert!(policy.contains("img-src 'self' data: http://127.0.0.1:9;"), "{policy}");
        assert!(policy.contains("script-src 'self'") && policy.contains("frame-ancestors 'none'"), "{policy}");
        let zooms = crate::console::tiles::tile_zooms(&queue);
        assert!(!zooms.is_empty() && zooms.len() <= 64, "{} tiles on the queue's map", zooms.len());
        assert!(queue.contains("<svg class=\"tiled\""), "the areas let the tiles show through");
        assert!(queue.contains("Kaartgegevens © Kadaster</text>"), "the attribution is on the map");
        // The tiles come first, under the areas and the reports' dots.
        assert!(queue.find("<image").unwrap() < queue.find("class=\"area\"").unwrap());

        // A report's buurt is small: its tiles are of a closer zoom than the municipality's.
        let (page, policy) =
            crate::console::tiles::page_and_policy(&browser, &format!("/console/reports/{}", report["id"].as_str().unwrap())).await;
        assert!(policy.contains("http://127.0.0.1:9"), "{policy}");
        let closer = crate::console::tiles::tile_zooms(&page);
        assert!(!closer.is_empty() && closer[0] > zooms[0], "buurt zoom {closer:?}, municipality zoom {}", zooms[0]);

        let (draft, policy) = crate::console::tiles::page_and_policy(&browser, "/console/announcements/new").await;
        assert!(policy.contains("http://127.0.0.1:9") && draft.contains("<image href=\"http://127.0.0.1:9/tiles/"), "{policy}");
        // A page without a map keeps the strict policy.
        let (_, policy) = crate::console::tiles::page_and_policy(&browser, "/console/config/rules").await;
        assert!(policy.contains("img-src 'self' data:;"), "{policy}");
    }
}

on_both_backends! {
    setup = spawn_staff_app;

    async fn without_a_tile_url_the_console_maps_ask_no_other_host_for_anything(app) {
        let mut browser = Browser::new(&app);
        browser.log_in(ADMIN_EMAIL, ADMIN_PASSWORD).await;
        for path in ["/console", "/console/announcements/new"] {
            let (page, policy) = page_and_policy(&browser, path).await;
            assert!(page.contains("<svg") && !page.contains("<image") && !page.contains("class=\"tiled\""), "{path}");
            assert!(policy.contains("img-src 'self' data:;"), "{path}: {policy}");
        }
    }
}
