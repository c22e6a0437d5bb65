//! Photos in S3-compatible object storage, against a real S3-protocol server process
//! (moto's server mode, installed from PyPI when missing), and deleting a report's photos
//! (retention) on both stores.

use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use meldpunt::storage::photos::{LocalPhotoStore, S3PhotoStore, S3Settings};
use serde_json::Value;

use crate::support::app::{Backend, TestApp, spawn_app_with, street_light_report};
use crate::support::backends::on_both_backends;
use crate::support::photos::{
    PhotoApp, assert_no_metadata, file, phone_jpeg, refuse_photo_rows, spawn_photo_app, upload,
};

/// The S3 endpoint of a moto server started once for this test process.
#[expect(
    clippy::zombie_processes,
    reason = "moto and its watchdog live as long as the test process; the watchdog stops moto"
)]
fn moto_endpoint() -> &'static str {
    static ENDPOINT: OnceLock<String> = OnceLock::new();
    ENDPOINT.get_or_init(|| {
        let has_moto = || {
            Command::new("python3").args(["-c", "import moto.server"]).stderr(Stdio::null()).status().is_ok_and(|s| s.success())
        };
        if !has_moto() {
            let installed = Command::new("python3")
                .args(["-m", "pip", "install", "--quiet", "moto[server]"])
                .status()
                .is_ok_and(|s| s.success());
            assert!(installed && has_moto(), "the S3 tests need moto's server mode: `python3 -m pip install 'moto[server]'` failed; install it by hand");
        }
        let port = crate::support::net::free_port();
        let child = Command::new("python3")
            .args(["-m", "moto.server", "-H", "127.0.0.1", "-p", &port.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start the moto S3 server: {e}"));
        // A watchdog stops moto once this test process is gone.
        let script = format!("while kill -0 {} 2>/dev/null; do sleep 1; done; kill {} 2>/dev/null", std::process::id(), child.id());
        Command::new("sh").arg("-c").arg(script).spawn().unwrap();
        let started = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(started.elapsed() < Duration::from_secs(30), "the moto S3 server did not start within 30 s");
            std::thread::sleep(Duration::from_millis(100));
        }
        format!("http://127.0.0.1:{port}")
    })
}

/// A fresh bucket on the moto server, with the settings to reach it.
async fn fresh_bucket() -> S3Settings {
    let endpoint = moto_endpoint().to_owned();
    let bucket = format!("meldpunt-{}", uuid::Uuid::new_v4().simple());
    let created = reqwest::Client::new().put(format!("{endpoint}/{bucket}")).send().await.unwrap();
    assert!(created.status().is_success(), "creating the bucket: {}", created.status());
    S3Settings {
        bucket,
        endpoint,
        region: "us-east-1".into(),
        access_key_id: "testing".into(),
        secret_access_key: "testing".into(),
        path_style: true,
        prefix: "photos".into(),
    }
}

/// The keys in the bucket, read over the S3 protocol (ListObjectsV2).
async fn keys_in(settings: &S3Settings) -> Vec<String> {
    let listing = reqwest::Client::new()
        .get(format!("{}/{}?list-type=2", settings.endpoint, settings.bucket))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    listing.split("<Key>").skip(1).filter_map(|rest| rest.split("</Key>").next()).map(str::to_owned).collect()
}

/// A server that keeps photos in a fresh bucket of its own.
struct S3App {
    app: TestApp,
    s3: S3Settings,
}

async fn spawn_s3_app(backend: Backend) -> S3App {
    let s3 = fresh_bucket().await;
    let bucket = s3.clone();
    let app = spawn_app_with(backend, move |settings| {
        settings.photo_store = "s3".into();
        settings.s3_bucket = bucket.bucket;
        settings.s3_endpoint = bucket.endpoint;
        settings.s3_region = bucket.region;
        settings.s3_access_key_id = bucket.access_key_id;
        settings.s3_secret_access_key = bucket.secret_access_key;
        settings.s3_path_style = true;
        settings.s3_prefix = bucket.prefix;
    })
    .await;
    S3App { app, s3 }
}

on_both_backends! {
    setup = spawn_s3_app;

    async fn photos_are_kept_in_s3_and_served_from_there_without_metadata(s3_app: S3App) {
        let S3App { app, s3 } = s3_app;
        let created = file(&app, &street_light_report()).await;
        let response = upload(&app, &created, &[phone_jpeg()], None).await;
        assert_eq!(response.status(), 201);
        let added: Value = response.json().await.unwrap();
        let keys = keys_in(&s3).await;
        assert_eq!(keys.len(), 2, "the photo and its thumbnail: {keys:?}");
        assert!(keys.iter().all(|k| k.starts_with(&format!("photos/reports/{}/", created["id"].as_str().unwrap()))), "{keys:?}");
        let served = app.get(added["photos"][0]["url"].as_str().unwrap()).await;
        assert_eq!(served.status(), 200);
        assert_no_metadata(&served.bytes().await.unwrap());
    }

    async fn a_failed_upload_leaves_no_objects_in_the_bucket(s3_app: S3App) {
        let S3App { app, s3 } = s3_app;
        let created = file(&app, &street_light_report()).await;
        refuse_photo_rows(&app.database_url).await;
        let response = upload(&app, &created, &[phone_jpeg()], None).await;
        assert_eq!(response.status(), 500);
        assert_eq!(keys_in(&s3).await, Vec::<String>::new());
    }

    async fn deleting_a_report_deletes_its_photos_in_s3(s3_app: S3App) {
        let S3App { app, s3 } = s3_app;
        let created = file(&app, &street_light_report()).await;
        let kept = file(&app, &street_light_report()).await;
        assert_eq!(upload(&app, &created, &[phone_jpeg(), phone_jpeg()], None).await.status(), 201);
        assert_eq!(upload(&app, &kept, &[phone_jpeg()], None).await.status(), 201);
        assert_eq!(keys_in(&s3).await.len(), 6);
        let store = S3PhotoStore::open(&s3).unwrap();
        let id: uuid::Uuid = created["id"].as_str().unwrap().parse().unwrap();
        let db = app.database();
        assert!(meldpunt::storage::retention::delete_report(&db, &store, id).await.unwrap());
        assert_eq!(keys_in(&s3).await.len(), 2, "only the other report's photo and thumbnail remain");
        assert_eq!(app.get(&format!("/api/v1/reports/{id}")).await.status(), 404);
        let other: Value = app.get(&format!("/api/v1/reports/{}", kept["id"].as_str().unwrap())).await.json().await.unwrap();
        assert_eq!(app.get(other["photos"][0]["url"].as_str().unwrap()).await.status(), 200);
    }
}

on_both_backends! {
    setup = spawn_photo_app;

    async fn deleting_a_report_deletes_its_photo_files(photo_app: PhotoApp) {
        let app = &photo_app.app;
        let created = file(app, &street_light_report()).await;
        let response = upload(app, &created, &[phone_jpeg()], None).await;
        let added: Value = response.json().await.unwrap();
        let store = LocalPhotoStore::open(photo_app.dir.path());
        let id: uuid::Uuid = created["id"].as_str().unwrap().parse().unwrap();
        let key = meldpunt::storage::photos::report_prefix(id);
        assert!(photo_app.dir.path().join(&key).is_dir());
        let db = app.database();
        assert!(meldpunt::storage::retention::delete_report(&db, &store, id).await.unwrap());
        assert!(!photo_app.dir.path().join(&key).exists());
        assert_eq!(app.get(added["photos"][0]["url"].as_str().unwrap()).await.status(), 404);
        assert!(!meldpunt::storage::retention::delete_report(&db, &store, id).await.unwrap(), "running it again is harmless");
    }
}
