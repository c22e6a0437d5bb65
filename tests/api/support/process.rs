//! The `meldpunt` binary run as a process, as an operator runs it. What a process writes
//! goes to the test log sink too ([`super::logs`]), to be scanned for personal data.

use std::io::Read;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::net::free_port;

/// A running `meldpunt` process; killed when dropped, so a failed test leaves none behind.
pub struct Server {
    pub child: Child,
    /// `http://127.0.0.1:<port>`; empty for a process without HTTP (`meldpunt worker`).
    pub address: String,
    /// Everything the process writes, read as it comes so a full pipe never blocks it.
    pub output: Vec<std::thread::JoinHandle<String>>,
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
        // Not stopped with `stop`: what it wrote is still scanned.
        for reader in std::mem::take(&mut self.output) {
            if let Ok(text) = reader.join() {
                super::logs::record_process("meldpunt process", &text);
            }
        }
    }
}

/// Reads a pipe to its end on a thread of its own.
pub fn drain(mut pipe: impl Read + Send + 'static) -> std::thread::JoinHandle<String> {
    std::thread::spawn(move || {
        let mut text = String::new();
        let _ = pipe.read_to_string(&mut text);
        text
    })
}

/// The binary to run: the one `cargo test` built, or `MELDPUNT_TEST_BIN` (an absolute path;
/// `benches/crash.sh` runs the release build this way).
fn binary() -> std::path::PathBuf {
    std::env::var_os("MELDPUNT_TEST_BIN").map_or_else(|| env!("CARGO_BIN_EXE_meldpunt").into(), Into::into)
}

/// Starts `meldpunt` with `args` in `dir` with `env` (no `DATABASE_URL` unless `env` has
/// one, logging at debug level), its output drained.
fn spawn(args: &[&str], dir: &std::path::Path, env: &[(&str, &str)], address: String) -> Server {
    let mut command = Command::new(binary());
    command
        .args(args)
        .current_dir(dir)
        .env_remove("DATABASE_URL")
        .env("MELDPUNT_LOG", "debug")
        .env("MELDPUNT_RETENTION_AT", "off")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (key, value) in env {
        command.env(key, value);
    }
    let mut child = command.spawn().unwrap();
    let output = vec![drain(child.stdout.take().unwrap()), drain(child.stderr.take().unwrap())];
    Server { child, address, output }
}

/// Starts the server in `dir` with `env`, and waits until /readyz answers.
pub async fn start(dir: &std::path::Path, env: &[(&str, &str)]) -> Server {
    let port = free_port();
    let listen = format!("127.0.0.1:{port}");
    let mut env = env.to_vec();
    env.insert(0, ("MELDPUNT_LISTEN", listen.as_str()));
    let server = spawn(&[], dir, &env, format!("http://{listen}"));
    let client = reqwest::Client::new();
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        if let Ok(response) = client.get(format!("{}/readyz", server.address)).send().await
            && response.status() == 200
        {
            return server;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the server did not become ready");
}

/// Runs `command` (a `meldpunt` command line) to its end, adds its output to the test log
/// sink and returns it.
pub fn captured(command: &mut Command) -> std::process::Output {
    let output = command.output().unwrap();
    super::logs::record_output("meldpunt command", &output);
    output
}

/// Starts `meldpunt worker` in `dir` with `env` (no HTTP: nothing to wait for).
pub fn start_worker(dir: &std::path::Path, env: &[(&str, &str)]) -> Server {
    spawn(&["worker"], dir, env, String::new())
}

/// Stops the process with SIGTERM and returns whether it exited cleanly and everything it
/// logged.
pub fn stop(mut server: Server) -> (bool, String) {
    Command::new("kill").arg("-TERM").arg(server.child.id().to_string()).status().unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    let status = loop {
        if let Some(status) = server.child.try_wait().unwrap() {
            break status;
        }
        assert!(Instant::now() < deadline, "the server did not stop on SIGTERM");
        std::thread::sleep(Duration::from_millis(50));
    };
    let logs: String = std::mem::take(&mut server.output).into_iter().map(|reader| reader.join().unwrap()).collect();
    super::logs::record_process("meldpunt process", &logs);
    (status.success(), logs)
}
