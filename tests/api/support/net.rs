//! Ports and waiting.

use std::time::{Duration, Instant};

/// A free port outside the kernel's ephemeral range, so that no server of a parallel test
/// (they listen on port 0) takes it while the server meant for it is down or not yet up.
pub fn free_port() -> u16 {
    use rand::Rng;
    loop {
        let port = rand::rng().random_range(20_000..30_000);
        if std::net::TcpListener::bind(("127.0.0.1", port)).is_ok() {
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
