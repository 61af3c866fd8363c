//! The request body as handlers see it, and what becomes of the part nobody read.
//!
//! Many answers come before the body is read: a 401, a 404, a 405, an MCP refusal, a 406, a 413
//! on the declared length, a 429. HTTP/1 cannot serve the next request of a connection until
//! the unread body has gone past, and a server that closes such a connection without saying so
//! breaks the client's next request on it. So, after an early answer, a body of a declared
//! length up to [`DRAIN_LIMIT`] is read and thrown away in the background (the connection
//! stays usable), and any other unread body (longer, or of unknown length) makes the answer
//! carry `Connection: close`.

use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::BodyExt;
use hyper::body::{Body, Frame, Incoming, SizeHint};
use hyper::header::{self, HeaderValue};
use hyper::{Request, StatusCode, Version};

use crate::respond::HttpResponse;

/// Largest unread body drained so that its connection can be reused.
pub const DRAIN_LIMIT: u64 = 2 * 1024 * 1024;

/// Longest a drain may take before the connection is given up.
const DRAIN_TIME: Duration = Duration::from_secs(10);

/// A request's body: hyper's, handing itself back when dropped unfinished.
#[derive(Debug)]
pub struct RequestBody {
    inner: Option<Incoming>,
    leftover: Arc<Mutex<Option<Incoming>>>,
}

/// What [`RequestBody`] leaves behind for the connection, once the handler is done.
#[derive(Debug)]
pub struct Leftover {
    slot: Arc<Mutex<Option<Incoming>>>,
    declared: Option<u64>,
    http1: bool,
}

/// Wraps `req`'s body; the [`Leftover`] settles what the handler did not read.
pub fn track(req: Request<Incoming>) -> (Request<RequestBody>, Leftover) {
    let (parts, body) = req.into_parts();
    let slot = Arc::new(Mutex::new(None));
    let declared = parts
        .headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    let http1 = matches!(parts.version, Version::HTTP_10 | Version::HTTP_11);
    let body = RequestBody {
        inner: (!body.is_end_stream()).then_some(body),
        leftover: Arc::clone(&slot),
    };
    (
        Request::from_parts(parts, body),
        Leftover {
            slot,
            declared,
            http1,
        },
    )
}

impl Leftover {
    /// Drains the unread body in the background, or marks `resp` as the connection's last.
    /// (HTTP/2 streams are independent: an unread body there costs the connection nothing.)
    pub fn settle(self, resp: &mut HttpResponse) {
        let unread = self
            .slot
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        let Some(body) = unread else { return };
        if !self.http1 {
            return;
        }
        match self.declared {
            // A client too slow to send its body is not waited for again.
            Some(len) if len <= DRAIN_LIMIT && resp.status() != StatusCode::REQUEST_TIMEOUT => {
                tokio::spawn(drain(body));
            }
            _ => {
                resp.headers_mut()
                    .insert(header::CONNECTION, HeaderValue::from_static("close"));
            }
        }
    }
}

/// Reads and drops the rest of a body, within [`DRAIN_TIME`]; a client that stops sending
/// loses the connection (hyper closes it when the body is dropped unfinished).
async fn drain(mut body: Incoming) {
    let _ = tokio::time::timeout(DRAIN_TIME, async {
        while let Some(frame) = body.frame().await {
            if frame.is_err() {
                break;
            }
        }
    })
    .await;
}

impl Body for RequestBody {
    type Data = Bytes;
    type Error = hyper::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, hyper::Error>>> {
        let Some(inner) = self.inner.as_mut() else {
            return Poll::Ready(None);
        };
        let polled = Pin::new(inner).poll_frame(cx);
        if let Poll::Ready(None | Some(Err(_))) = polled {
            // Finished (or broken): nothing is left to settle.
            self.inner = None;
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.inner.as_ref().is_none_or(Incoming::is_end_stream)
    }

    fn size_hint(&self) -> SizeHint {
        self.inner
            .as_ref()
            .map_or_else(|| SizeHint::with_exact(0), Incoming::size_hint)
    }
}

impl Drop for RequestBody {
    fn drop(&mut self) {
        if let Some(body) = self.inner.take()
            && !body.is_end_stream()
        {
            *self.leftover.lock().unwrap_or_else(PoisonError::into_inner) = Some(body);
        }
    }
}
