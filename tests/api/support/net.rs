//! Ports and waiting.

use std::time::{Duration, Instant};

/// A free port outside the kernel's ephemeral range, so that no server of a parallel test
/// (they listen on port 0) takes it while the server meant for it is down or not yet up.
/// Each port is handed out once per run: a port found free is often bound only later, and two
/// tests must not be given it in between.
pub fn free_port() -> u16 {
    use rand::Rng;
    static GIVEN: std::sync::Mutex<Vec<u16>> = std::sync::Mutex::new(Vec::new());
    loop {
        let port = rand::rng().random_range(20_000..30_000);
        let mut given = GIVEN.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if !given.contains(&port) && std::net::TcpListener::bind(("127.0.0.1", port)).is_ok() {
            given.push(port);
            return port;
        }
    }
}

/// Waits (up to 20 s) until `count` reaches `want`; `what` names the things counted.
pub async fn wait_for(what: &str, mut count: impl FnMut() -> usize, want: usize) {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let n = count();
        if n >= want {
            return;
        }
        assert!(Instant::now() < deadline, "waited for {want} {what}, have {n}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
