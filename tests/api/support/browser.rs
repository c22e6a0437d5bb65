//! Browser tests: Debian's Chromium driven by playwright-core from `tests/browser`, with
//! axe-core. Missing tools fail the test with what to install; they never skip it.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use super::app::TestApp;

/// The browser test's folder.
fn browser_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests").join("browser")
}

/// Fails (never skips) when a tool the browser test needs is missing.
async fn require(program: &str, install: &str) {
    let found = tokio::process::Command::new(program).arg("--version").output().await;
    assert!(found.is_ok_and(|o| o.status.success()), "the browser test needs {program}: install {install}");
}

/// `npm ci` once, when `node_modules` is missing (the tests of both backends share it).
static NPM_CI: Mutex<()> = Mutex::new(());

fn npm_ci() {
    let _one_at_a_time = NPM_CI.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    let dir = browser_dir();
    if dir.join("node_modules").join("playwright-core").exists() && dir.join("node_modules").join("axe-core").exists() {
        return;
    }
    let output =
        std::process::Command::new("npm").args(["ci", "--no-audit", "--no-fund"]).current_dir(&dir).output().unwrap();
    assert!(
        output.status.success(),
        "npm ci in {} failed:\n{}\n{}",
        dir.display(),
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

/// Checks node, npm and Chromium (failing, never skipping, when one is missing) and answers
/// Chromium's path.
pub async fn browser_tools() -> String {
    require("node", "Node.js (apt-get install nodejs npm)").await;
    require("npm", "npm (apt-get install npm)").await;
    let chromium = std::env::var("MELDPUNT_CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    assert!(
        Path::new(&chromium).exists(),
        "the browser test needs Chromium at {chromium}: apt-get install chromium chromium-driver (or set MELDPUNT_CHROMIUM)"
    );
    chromium
}

/// Where a backend's screenshots go: `target/browser/<backend>/`.
pub fn browser_output(app: &TestApp) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("target")
        .join("browser")
        .join(format!("{:?}", app.backend).to_lowercase())
}

/// Runs a script of `tests/browser` (after `npm ci` when needed), printing its output and
/// failing when it fails.
pub async fn run_node(script: &str, args: &[&str], out: &Path) {
    tokio::task::spawn_blocking(npm_ci).await.unwrap();
    let output = tokio::process::Command::new("node")
        .arg(browser_dir().join(script))
        .args(args)
        .arg("--out")
        .arg(out)
        .output()
        .await
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    println!("{stdout}\n{stderr}");
    assert!(output.status.success(), "{script} failed:\n{stdout}\n{stderr}");
}
