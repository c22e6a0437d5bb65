//! Photos under retention: deleted early by `retention_photo_days` while the report stays,
//! and otherwise with their report, files and rows alike.

use reqwest::Method;
use serde_json::{Value, json};

use super::support::run_retention;
use crate::support::app::{TestApp, spawn_app_with, street_light_report};
use crate::support::backends::on_both_backends;
use crate::support::photos::{file, png_bytes, upload};
use crate::support::staff::{admin_token, send, with_bootstrap_admin};

/// The files under `dir`, at any depth.
fn files_in(dir: &std::path::Path) -> usize {
    std::fs::read_dir(dir)
        .map(|entries| entries.flatten().map(|e| if e.path().is_dir() { files_in(&e.path()) } else { 1 }).sum())
        .unwrap_or(0)
}

async fn with_photo(app: &TestApp) -> Value {
    let created = file(app, &street_light_report()).await;
    assert_eq!(upload(app, &created, &[png_bytes(16, 16)], None).await.status(), 201);
    created
}

async fn resolve(app: &TestApp, id: &str) {
    let admin = admin_token(app).await;
    let path = format!("/api/v1/staff/reports/{id}/transitions");
    let response =
        send(app, Method::POST, &path, Some(&admin), Some(json!({"to": "resolved", "text": "Klaar."}))).await;
    assert_eq!(response.status(), 200);
}

on_both_backends! {
    async fn photos_go_early_by_their_own_term_or_else_with_their_report(backend: Backend) {
        let dir = tempfile::tempdir().unwrap();
        let folder = dir.path().display().to_string();
        let app = spawn_app_with(backend, |s| {
            s.photo_dir = folder.clone();
            with_bootstrap_admin(s);
        })
        .await;
        let early = with_photo(&app).await;
        let later = with_photo(&app).await;
        let (early, later) = (early["id"].as_str().unwrap().to_owned(), later["id"].as_str().unwrap().to_owned());
        resolve(&app, &early).await;
        let stored = files_in(dir.path());
        assert!(stored >= 2, "{stored} files");

        let in_40_days = (chrono::Utc::now() + chrono::Duration::days(40)).to_rfc3339();
        let env = [("MELDPUNT_PHOTO_DIR", folder.as_str()), ("MELDPUNT_RETENTION_PHOTO_DAYS", "30")];
        let (_, counts) = run_retention(&app, &["--as-of", &in_40_days], &env);
        assert_eq!((counts["deleted_photos"], counts["deleted_resolved_reports"]), (1, 0), "{counts:?}");
        assert_eq!(files_in(dir.path()), stored / 2, "the open report keeps its photo");
        assert_eq!(app.get(&format!("/api/v1/reports/{early}")).await.status(), 200, "the report stays");

        resolve(&app, &later).await;
        let in_six_years = (chrono::Utc::now() + chrono::Duration::days(6 * 366)).to_rfc3339();
        let env = [("MELDPUNT_PHOTO_DIR", folder.as_str())];
        let (_, counts) = run_retention(&app, &["--as-of", &in_six_years], &env);
        assert_eq!((counts["deleted_photos"], counts["deleted_resolved_reports"]), (1, 2), "{counts:?}");
        assert_eq!(files_in(dir.path()), 0);
        assert_eq!(app.get(&format!("/api/v1/reports/{later}")).await.status(), 404);
    }
}
