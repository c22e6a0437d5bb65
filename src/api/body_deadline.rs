//! A deadline for request bodies: a client that trickles its body cannot hold a connection
//! (and a worker's attention) longer than `request_body_timeout_seconds` after its request
//! head arrived. Past the deadline the body stream fails, and whatever the handler made of
//! that is replaced by a `408` problem, and the connection is closed. (The request head has
//! its own timeout: `request_head_timeout_seconds`, actix's `client_request_timeout`.)

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use actix_web::HttpMessage;
use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::error::PayloadError;
use actix_web::http::ConnectionType;
use actix_web::middleware::Next;
use actix_web::web::{self, Bytes};
use futures_util::Stream;

use crate::api::error::ApiError;
use crate::api::state::AppState;

/// A body stream that fails once its deadline passed.
struct Deadline {
    inner: Payload,
    sleep: Pin<Box<tokio::time::Sleep>>,
    expired: Arc<AtomicBool>,
}

impl Stream for Deadline {
    type Item = Result<Bytes, PayloadError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        if self.expired.load(Ordering::Relaxed) {
            return Poll::Ready(None);
        }
        if let Poll::Ready(item) = Pin::new(&mut self.inner).poll_next(cx) {
            return Poll::Ready(item);
        }
        if self.sleep.as_mut().poll(cx).is_ready() {
            self.expired.store(true, Ordering::Relaxed);
            let timeout = std::io::Error::new(std::io::ErrorKind::TimedOut, "the request body took too long");
            return Poll::Ready(Some(Err(PayloadError::Io(timeout))));
        }
        Poll::Pending
    }
}

/// Gives the request body a deadline (when the request has a body and the setting is on).
pub async fn body_deadline(
    mut request: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let timeout = request.app_data::<web::Data<AppState>>().map_or(Duration::ZERO, |s| s.body_timeout);
    let payload = request.take_payload();
    if timeout.is_zero() || matches!(payload, Payload::None) {
        request.set_payload(payload);
        return Ok(next.call(request).await?.map_into_boxed_body());
    }
    let expired = Arc::new(AtomicBool::new(false));
    let deadline = Deadline { inner: payload, sleep: Box::pin(tokio::time::sleep(timeout)), expired: expired.clone() };
    request.set_payload(Payload::Stream { payload: Box::pin(deadline) });
    let response = next.call(request).await?.map_into_boxed_body();
    if !expired.load(Ordering::Relaxed) {
        return Ok(response);
    }
    tracing::warn!(seconds = timeout.as_secs(), "request body too slow: answered 408 and closed the connection");
    let error = ApiError::RequestTimeout(format!(
        "The request body did not arrive within {} seconds; send it again on a faster connection.",
        timeout.as_secs()
    ));
    let (http, _) = response.into_parts();
    let mut response = ServiceResponse::from_err(error, http);
    response.response_mut().head_mut().set_connection_type(ConnectionType::Close);
    Ok(response)
}
