//! Reading `multipart/form-data` bodies with actix-multipart, with one guard: a body that
//! ends inside a part is refused instead of waited on.
//!
//! actix-multipart 0.7 waits for more bytes when a body ends in the middle of a part's last
//! line (a `\r`, or `\r\n--` without the rest of the boundary), even after the body has
//! ended, and nothing ever wakes it: the request would hang until the client gives up
//! (actix/actix-web#3202; found by the `multipart` fuzz target). Here the body tells when it
//! has ended, and a part or field that is still waiting after that is an incomplete body.

use std::cell::Cell;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};

use actix_multipart::{Field, Multipart};
use actix_web::HttpRequest;
use actix_web::error::PayloadError;
use actix_web::web::{self, Bytes};
use futures_util::{Stream, StreamExt};

use crate::api::error::ApiError;

/// The request body, noting when it has ended.
struct Watched {
    inner: web::Payload,
    ended: Rc<Cell<bool>>,
}

impl Stream for Watched {
    type Item = Result<Bytes, PayloadError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let item = self.inner.poll_next_unpin(cx);
        if let Poll::Ready(None) = item {
            self.ended.set(true);
        }
        item
    }
}

/// A multipart body being read, part by part.
pub struct Parts {
    multipart: Multipart,
    ended: Rc<Cell<bool>>,
}

impl Parts {
    /// Starts reading the multipart body of `request` (its boundary from the Content-Type).
    pub fn new(request: &HttpRequest, payload: web::Payload) -> Self {
        let ended = Rc::new(Cell::new(false));
        let body = Watched { inner: payload, ended: Rc::clone(&ended) };
        Parts { multipart: Multipart::new(request.headers(), body), ended }
    }

    /// The next part, `None` after the last; a `400` when the body cannot be read.
    pub async fn next(&mut self) -> Result<Option<Field>, ApiError> {
        let ended = Rc::clone(&self.ended);
        let next = until_end(&mut self.multipart, &ended).await?;
        next.transpose().map_err(unreadable)
    }

    /// The next chunk of `field`, `None` after its last; a `400` when the body cannot be read.
    pub async fn chunk(&self, field: &mut Field) -> Result<Option<Bytes>, ApiError> {
        until_end(field, &self.ended).await?.transpose().map_err(unreadable)
    }
}

/// The next item of `stream`, or an incomplete-body error when it waits for bytes after the
/// body has ended (they can never come).
async fn until_end<S: Stream + Unpin>(stream: &mut S, ended: &Cell<bool>) -> Result<Option<S::Item>, ApiError> {
    std::future::poll_fn(|cx| match stream.poll_next_unpin(cx) {
        Poll::Pending if ended.get() => Poll::Ready(Err(ApiError::MalformedBody(
            "the multipart body cannot be read: it ends inside a part; end every part with the boundary line and \
             the body with the closing boundary"
                .into(),
        ))),
        Poll::Pending => Poll::Pending,
        Poll::Ready(item) => Poll::Ready(Ok(item)),
    })
    .await
}

fn unreadable(error: actix_multipart::MultipartError) -> ApiError {
    ApiError::MalformedBody(format!("the multipart body cannot be read: {error}"))
}

#[cfg(test)]
mod tests {
    use actix_web::FromRequest;

    use super::*;

    /// Reads every part of `body` as a handler does.
    async fn read_all(body: &'static [u8]) -> Result<usize, ApiError> {
        let (request, mut payload) = actix_web::test::TestRequest::post()
            .insert_header(("content-type", "multipart/form-data; boundary=meldpunt-fuzz-boundary"))
            .set_payload(body)
            .to_http_parts();
        let payload = web::Payload::from_request(&request, &mut payload)
            .await
            .map_err(|e| ApiError::MalformedBody(e.to_string()))?;
        let mut parts = Parts::new(&request, payload);
        let mut bytes = 0;
        while let Some(mut field) = parts.next().await? {
            while let Some(chunk) = parts.chunk(&mut field).await? {
                bytes += chunk.len();
            }
        }
        Ok(bytes)
    }

    /// Fails the test instead of hanging it.
    async fn within_a_second(body: &'static [u8]) -> Result<usize, ApiError> {
        tokio::time::timeout(std::time::Duration::from_secs(1), read_all(body))
            .await
            .unwrap_or_else(|_| panic!("reading the body hung"))
    }

    #[tokio::test]
    async fn a_multipart_body_that_ends_inside_a_part_is_refused_not_waited_on_forever() {
        for body in [
            &include_bytes!("../../fuzz/regressions/multipart/ends-after-a-line-break-inside-a-part")[..],
            &include_bytes!("../../fuzz/regressions/multipart/ends-with-a-carriage-return-inside-a-part")[..],
            &include_bytes!("../../fuzz/regressions/multipart/timeout-70db692bf5a9fbf7067f0e14cf98792529fad877")[..],
        ] {
            let result = within_a_second(body).await;
            assert!(
                matches!(&result, Err(ApiError::MalformedBody(detail)) if detail.contains("ends inside a part")),
                "{result:?}"
            );
        }
    }

    #[tokio::test]
    async fn a_complete_multipart_body_is_read_to_its_end() {
        let body = b"--meldpunt-fuzz-boundary\r\nContent-Disposition: form-data; name=\"photo\"\r\n\r\nabc\r\n\
                     --meldpunt-fuzz-boundary--\r\n";
        assert_eq!(within_a_second(body).await.ok(), Some(3));
    }
}
