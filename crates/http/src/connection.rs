//! One accepted connection: served until the client leaves, it sits idle too long, or the
//! server shuts down.
//!
//! hyper closes an idle HTTP/1 keep-alive connection itself (its header read timeout runs
//! while it waits for the next request) but has no idle limit for HTTP/2, where a client may
//! hold a connection with no open stream forever. So each connection counts its requests in
//! flight — until the response body is finished or dropped, which covers event streams — and
//! is asked to close gracefully (HTTP/2 `GOAWAY`) once nothing has been in flight for the idle
//! timeout. The same graceful close runs at shutdown, which is why this module, not
//! hyper-util's `GracefulShutdown`, owns the connection future.

use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use hyper::body::{Body as HttpBody, Frame, SizeHint};
use tokio::sync::watch;
use tokio::time::Instant;

use crate::respond::{Body, HttpResponse};

/// What a connection has in flight, shared by its service (which opens and finishes requests)
/// and its watchdog.
#[derive(Debug)]
pub(crate) struct Activity {
    started_any: AtomicBool,
    in_flight: AtomicUsize,
    /// When the last request in flight finished (the connection's start before any).
    idle_since: Mutex<Instant>,
}

impl Activity {
    pub(crate) fn new() -> Arc<Self> {
        Arc::new(Activity {
            started_any: AtomicBool::new(false),
            in_flight: AtomicUsize::new(0),
            idle_since: Mutex::new(Instant::now()),
        })
    }

    /// Counts a request as in flight until `resp`'s body is finished or dropped.
    pub(crate) fn track(self: &Arc<Self>, resp: HttpResponse) -> hyper::Response<TrackedBody> {
        self.started_any.store(true, Ordering::Relaxed);
        self.in_flight.fetch_add(1, Ordering::AcqRel);
        let guard = InFlight(Arc::clone(self));
        resp.map(|inner| TrackedBody {
            inner,
            _guard: guard,
        })
    }

    /// When the connection becomes idle for `timeout`: `None` while a request is in flight.
    fn idle_deadline(&self, timeout: Duration) -> Option<Instant> {
        if self.in_flight.load(Ordering::Acquire) > 0 {
            return None;
        }
        let since = *self.idle_since.lock().unwrap_or_else(|e| e.into_inner());
        Some(since + timeout)
    }
}

/// A request in flight; finishing it marks the time from which the connection is idle.
#[derive(Debug)]
struct InFlight(Arc<Activity>);

impl Drop for InFlight {
    fn drop(&mut self) {
        let mut since = self.0.idle_since.lock().unwrap_or_else(|e| e.into_inner());
        if self.0.in_flight.fetch_sub(1, Ordering::AcqRel) == 1 {
            *since = Instant::now();
        }
    }
}

/// A response body that keeps its request counted as in flight while it is being sent.
#[derive(Debug)]
pub(crate) struct TrackedBody {
    inner: Body,
    _guard: InFlight,
}

impl HttpBody for TrackedBody {
    type Data = Bytes;
    type Error = std::convert::Infallible;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        Pin::new(&mut self.get_mut().inner).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

/// The deadlines a connection is held to.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Deadlines {
    /// Time to the first request; a client that sends none is dropped (hyper-util waits for
    /// the first bytes without a deadline while it tells HTTP/1 from HTTP/2).
    pub(crate) first_request: Duration,
    /// Time with nothing in flight after which the connection is closed gracefully.
    pub(crate) idle: Duration,
}

/// What a connection ended with, as hyper-util reports it.
pub(crate) type ConnectionError = Box<dyn std::error::Error + Send + Sync>;

/// Drives `conn` to its end under `deadlines`; `shutdown` turning true closes it gracefully
/// (`close` is hyper's `graceful_shutdown`: no new requests, those in flight finish). Holding
/// `shutdown` until the end is what lets the accept loop wait for every connection.
pub(crate) async fn serve<C>(
    conn: C,
    close: impl Fn(Pin<&mut C>),
    activity: Arc<Activity>,
    deadlines: Deadlines,
    mut shutdown: watch::Receiver<bool>,
) where
    C: Future<Output = Result<(), ConnectionError>>,
{
    tokio::pin!(conn);
    let opened = Instant::now();
    let first_request_by = opened + deadlines.first_request;
    let mut closing = false;
    let mut check_at = first_request_by.min(opened + deadlines.idle);
    let result = loop {
        tokio::select! {
            result = conn.as_mut() => break result,
            changed = shutdown.wait_for(|stop| *stop), if !closing => {
                // An error means the accept loop is gone: close as at shutdown.
                let _ = changed;
                close(conn.as_mut());
                closing = true;
            }
            () = tokio::time::sleep_until(check_at), if !closing => {
                let now = Instant::now();
                let waiting_for_first = !activity.started_any.load(Ordering::Relaxed);
                if waiting_for_first && now >= first_request_by {
                    tracing::debug!("no request within the header read timeout; closing");
                    return;
                }
                check_at = match activity.idle_deadline(deadlines.idle) {
                    Some(at) if at <= now => {
                        tracing::debug!("connection idle; closing");
                        close(conn.as_mut());
                        closing = true;
                        continue;
                    }
                    Some(at) => at,
                    // Busy: once the last request finishes, the deadline is known.
                    None => now + deadlines.idle,
                };
                if waiting_for_first {
                    check_at = check_at.min(first_request_by);
                }
            }
        }
    };
    if let Err(e) = result {
        tracing::debug!(error = %e, "connection ended with an error");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn idle_is_counted_from_the_last_finished_request() {
        let activity = Activity::new();
        let timeout = Duration::from_secs(10);
        let opened = Instant::now();
        assert_eq!(activity.idle_deadline(timeout), Some(opened + timeout));
        let first = activity.track(crate::respond::empty(hyper::StatusCode::OK));
        let second = activity.track(crate::respond::empty(hyper::StatusCode::OK));
        tokio::time::advance(Duration::from_secs(30)).await;
        assert_eq!(activity.idle_deadline(timeout), None, "two in flight");
        drop(first);
        assert_eq!(activity.idle_deadline(timeout), None, "one still in flight");
        tokio::time::advance(Duration::from_secs(5)).await;
        drop(second);
        assert_eq!(
            activity.idle_deadline(timeout),
            Some(opened + Duration::from_secs(35) + timeout)
        );
    }
}
