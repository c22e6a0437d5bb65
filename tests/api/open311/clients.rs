//! Off-the-shelf Open311 clients from PyPI work against meldpunt unchanged: `georeport`
//! lists services and definitions and reads requests (JSON and XML); `three` posts a
//! request with attributes (answered with its id and no token), resolves a token answered
//! before that change, gets a 404 for an unknown service and pages service request
//! updates while a new one arrives (see `tests/open311_client/client.py`).
//! The test installs the clients into a virtualenv under the target folder when missing
//! and fails, saying why, when it cannot.

use std::path::PathBuf;
use std::process::Command;
use std::sync::OnceLock;

use reqwest::Method;
use serde_json::{Value, json};

use crate::support::app::street_light_report;
use crate::support::backends::on_both_backends;
use crate::support::staff::{admin_token, send, spawn_staff_app};

const PACKAGES: [&str; 2] = ["georeport==0.3.1", "three==0.8.0"];

/// Imports both clients (three needs the Python 2 name the client script provides).
const IMPORT_CHECK: &str = "import itertools; itertools.ifilter = filter; import georeport, three";

/// The virtualenv's python with the clients installed (made once per test process).
fn client_python() -> &'static PathBuf {
    static PYTHON: OnceLock<PathBuf> = OnceLock::new();
    PYTHON.get_or_init(|| {
        let venv = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("open311-client-venv");
        let python = venv.join("bin").join("python");
        let ready = || Command::new(&python).args(["-c", IMPORT_CHECK]).output().is_ok_and(|o| o.status.success());
        if ready() {
            return python;
        }
        let made = Command::new("python3").arg("-m").arg("venv").arg(&venv).output().unwrap_or_else(|e| {
            panic!("the Open311 client test needs python3 (with venv) to run off-the-shelf clients: {e}")
        });
        assert!(made.status.success(), "python3 -m venv failed: {}", String::from_utf8_lossy(&made.stderr));
        let installed = Command::new(&python)
            .args(["-m", "pip", "install", "--quiet", "--disable-pip-version-check"])
            .args(PACKAGES)
            .output()
            .unwrap_or_else(|e| panic!("pip could not run: {e}"));
        assert!(
            installed.status.success() && ready(),
            "could not install the Open311 clients {PACKAGES:?} from PyPI (network or index needed): {}",
            String::from_utf8_lossy(&installed.stderr)
        );
        python
    })
}

on_both_backends! {
    setup = spawn_staff_app;

    async fn off_the_shelf_open311_clients_list_post_read_back_and_page_updates_unchanged(app) {
        // A report with a status change and a public note; its UUID is a token as POST
        // answered them before it stopped (the script resolves it).
        let admin = admin_token(&app).await;
        let filed: Value = app.post_report(&street_light_report(), None).await.json().await.unwrap();
        let (id, reference) = (filed["id"].as_str().unwrap(), filed["reference"].as_str().unwrap());
        let staff = |path: &str| format!("/api/v1/staff/reports/{id}/{path}");
        let moved = json!({"to": "accepted", "text": "We gaan ermee aan de slag."});
        assert_eq!(send(&app, Method::POST, &staff("transitions"), Some(&admin), Some(moved)).await.status(), 200);
        let noted = json!({"text": "De lamp wordt morgen vervangen.", "visibility": "public"});
        assert_eq!(send(&app, Method::POST, &staff("notes"), Some(&admin), Some(noted)).await.status(), 201);
        let python = tokio::task::spawn_blocking(client_python).await.unwrap();
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/open311_client/client.py");
        let output = tokio::process::Command::new(python)
            .arg(script)
            .arg(app.url("/open311/v2"))
            .args([id, reference])
            .output()
            .await
            .unwrap();
        let stdout = String::from_utf8_lossy(&output.stdout);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(output.status.success(), "the client script failed:\n{stdout}\n{stderr}");
        assert!(stdout.starts_with("OK "), "{stdout}");
        assert_eq!(app.stored_reports().await, 2);
    }
}
