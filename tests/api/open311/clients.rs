//! Off-the-shelf Open311 clients from PyPI work against meldpunt unchanged: `georeport`
//! lists services and definitions and reads requests (JSON and XML); `three` posts a
//! request with attributes and resolves its token (see `tests/open311_client/client.py`).
//! The test installs the clients into a virtualenv under the target folder when missing
//! and fails, saying why, when it cannot.

use std::path::PathBuf;
use std::process::Command;
use std::sync::OnceLock;

use crate::support::backends::on_both_backends;

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
    async fn off_the_shelf_open311_clients_list_post_and_read_back_unchanged(app) {
        let python = tokio::task::spawn_blocking(client_python).await.unwrap();
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/open311_client/client.py");
        let output = tokio::process::Command::new(python)
            .arg(script)
            .arg(app.url("/open311/v2"))
            .output()
            .await
            .unwrap();
        let stdout = String::from_utf8_lossy(&output.stdout);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(output.status.success(), "the client script failed:\n{stdout}\n{stderr}");
        assert!(stdout.starts_with("OK "), "{stdout}");
        assert_eq!(app.stored_reports().await, 1);
    }
}
