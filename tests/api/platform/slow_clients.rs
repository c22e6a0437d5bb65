//! Slow clients: a client that trickles its request head or body is cut off after the
//! configured timeout, while other clients are served meanwhile.

use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::support::app::{TestApp, spawn_app_with};
use crate::support::backends::on_both_backends;

/// Opens a raw connection, sends `start`, then trickles `drip` every 200 ms (for at most
/// 10 s, or until the server stops reading). Returns what the server answered before it
/// closed the connection, and when it closed it.
async fn trickle(app: &TestApp, start: &'static [u8], drip: &'static [u8]) -> (String, Duration) {
    let stream = TcpStream::connect(app.address.trim_start_matches("http://")).await.unwrap();
    let (mut reader, mut writer) = stream.into_split();
    let began = Instant::now();
    writer.write_all(start).await.unwrap();
    let dripping = tokio::spawn(async move {
        for _ in 0..50 {
            tokio::time::sleep(Duration::from_millis(200)).await;
            if writer.write_all(drip).await.is_err() {
                return;
            }
        }
    });
    let mut answer = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(8), reader.read_to_end(&mut answer)).await;
    let elapsed = began.elapsed();
    dripping.abort();
    assert!(read.is_ok(), "the connection was still open after 8 s: {}", String::from_utf8_lossy(&answer));
    (String::from_utf8_lossy(&answer).into_owned(), elapsed)
}

on_both_backends! {
    async fn a_client_that_trickles_its_request_head_is_cut_off_while_others_are_served(backend: Backend) {
        let app = spawn_app_with(backend, |s| s.request_head_timeout_seconds = 1).await;
        let slow = trickle(&app, b"GET /healthz HTTP/1.1\r\nHost: meldpunt\r\nX-Slow: ", b"x");
        let normal = async {
            tokio::time::sleep(Duration::from_millis(300)).await;
            app.get("/healthz").await.status()
        };
        let ((answer, elapsed), status) = tokio::join!(slow, normal);
        assert_eq!(status, 200, "a normal request is served meanwhile");
        assert!(elapsed >= Duration::from_millis(900) && elapsed < Duration::from_secs(5), "{elapsed:?}");
        assert!(answer.is_empty() || answer.starts_with("HTTP/1.1 408"), "{answer}");
    }

    async fn a_client_that_trickles_its_request_body_gets_a_408_and_its_connection_closed(backend: Backend) {
        let app = spawn_app_with(backend, |s| s.request_body_timeout_seconds = 1).await;
        let head = b"POST /api/v1/reports HTTP/1.1\r\nHost: meldpunt\r\nContent-Type: application/json\r\nContent-Length: 2000\r\nX-Request-Id: slow-body-1\r\n\r\n{";
        let slow = trickle(&app, head, b" ");
        let normal = async {
            tokio::time::sleep(Duration::from_millis(300)).await;
            app.get("/api/v1/categories").await.status()
        };
        let ((answer, elapsed), status) = tokio::join!(slow, normal);
        assert_eq!(status, 200, "a normal request is served meanwhile");
        assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
        let lower = answer.to_lowercase();
        assert!(lower.contains("application/problem+json") && lower.contains("request-timeout"), "{answer}");
        assert!(lower.contains("x-request-id: slow-body-1"), "{answer}");
        assert!(elapsed >= Duration::from_millis(900) && elapsed < Duration::from_secs(5), "{elapsed:?}");
        assert_eq!(app.stored_reports().await, 0);
    }
}
