//! A recording HTTP/1 server on 127.0.0.1 that stands in for a SaaS platform in tests: it keeps
//! every request it receives (method, raw path and query, headers, body bytes) and answers with
//! scripted replies. Enabled by the `test-util` feature.

use std::collections::VecDeque;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::combinators::BoxBody;
use http_body_util::{BodyExt, Full, StreamBody};
use hyper::body::{Frame, Incoming};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use serde_json::Value;
use tokio::net::TcpListener;
use tokio::task::{JoinHandle, JoinSet};

/// One request as the server received it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordedRequest {
    /// HTTP method, e.g. `GET`.
    pub method: String,
    /// The raw path, percent-encoding as sent.
    pub path: String,
    /// The raw query string (without `?`), when there was one.
    pub query: Option<String>,
    /// Headers with lower-case names, in the order received.
    pub headers: Vec<(String, String)>,
    /// The body bytes.
    pub body: Vec<u8>,
}

impl RecordedRequest {
    /// The first value of a header (name in any case).
    pub fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.headers
            .iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.as_str())
    }

    /// Path plus `?query` as sent.
    pub fn path_and_query(&self) -> String {
        match &self.query {
            Some(q) => format!("{}?{q}", self.path),
            None => self.path.clone(),
        }
    }

    /// The decoded query pairs, in order.
    pub fn query_pairs(&self) -> Vec<(String, String)> {
        url::form_urlencoded::parse(self.query.as_deref().unwrap_or("").as_bytes())
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect()
    }

    /// The decoded `application/x-www-form-urlencoded` body pairs, in order.
    pub fn form_pairs(&self) -> Vec<(String, String)> {
        url::form_urlencoded::parse(&self.body)
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect()
    }

    /// The body parsed as JSON, when it is JSON.
    pub fn body_json(&self) -> Option<Value> {
        serde_json::from_slice(&self.body).ok()
    }
}

/// What the server answers to one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    /// HTTP status.
    pub status: u16,
    /// Response headers.
    pub headers: Vec<(String, String)>,
    /// Response body.
    pub body: Vec<u8>,
    /// Wait this long before answering.
    pub delay: Option<Duration>,
    /// Never answer (the connection stays open until the client gives up).
    pub hang: bool,
    /// Send the body chunked, without `Content-Length`.
    pub chunked: bool,
}

impl Reply {
    /// An answer with this status and no body.
    pub fn status(status: u16) -> Self {
        Reply {
            status,
            headers: Vec::new(),
            body: Vec::new(),
            delay: None,
            hang: false,
            chunked: false,
        }
    }

    /// A JSON answer.
    pub fn json(status: u16, body: &Value) -> Self {
        Reply::status(status)
            .header("content-type", "application/json")
            .body(body.to_string().into_bytes())
    }

    /// A plain-text answer.
    pub fn text(status: u16, body: &str) -> Self {
        Reply::status(status)
            .header("content-type", "text/plain")
            .body(body.as_bytes().to_vec())
    }

    /// A request that is never answered.
    pub fn hang() -> Self {
        Reply {
            hang: true,
            ..Reply::status(200)
        }
    }

    /// Adds a header.
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }

    /// Replaces the body.
    pub fn body(mut self, body: Vec<u8>) -> Self {
        self.body = body;
        self
    }

    /// Answers after `delay`.
    pub fn delayed(mut self, delay: Duration) -> Self {
        self.delay = Some(delay);
        self
    }

    /// Sends the body in chunks without a `Content-Length`.
    pub fn chunked(mut self) -> Self {
        self.chunked = true;
        self
    }
}

type Handler = Arc<dyn Fn(&RecordedRequest) -> Reply + Send + Sync>;

struct Script {
    queue: VecDeque<Reply>,
    fallback: Reply,
    handler: Option<Handler>,
}

struct Shared {
    requests: Mutex<Vec<RecordedRequest>>,
    script: Mutex<Script>,
}

/// The stand-in server. It stops when dropped.
pub struct RecordingServer {
    addr: SocketAddr,
    shared: Arc<Shared>,
    task: JoinHandle<()>,
}

impl RecordingServer {
    /// Starts on 127.0.0.1 with a free port; answers `200 {}` until told otherwise.
    pub async fn start() -> std::io::Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let shared = Arc::new(Shared {
            requests: Mutex::new(Vec::new()),
            script: Mutex::new(Script {
                queue: VecDeque::new(),
                fallback: Reply::json(200, &Value::Object(Default::default())),
                handler: None,
            }),
        });
        let state = shared.clone();
        let task = tokio::spawn(async move {
            // Dropping the set (when this task is aborted) aborts every open connection.
            let mut connections = JoinSet::new();
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    continue;
                };
                let state = state.clone();
                connections.spawn(async move {
                    let service = service_fn(move |req| handle(state.clone(), req));
                    // A client that hangs up mid-request is not the server's problem.
                    let _ = http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
                while connections.try_join_next().is_some() {}
            }
        });
        Ok(RecordingServer { addr, shared, task })
    }

    /// `http://127.0.0.1:<port>`, to use as a base URL override.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Queues a reply for the next request (replies are used in order, then the fallback).
    pub fn push(&self, reply: Reply) {
        lock(&self.shared.script).queue.push_back(reply);
    }

    /// The reply for every request once the queue is empty.
    pub fn set_fallback(&self, reply: Reply) {
        lock(&self.shared.script).fallback = reply;
    }

    /// Answers every request by calling `handler` (the queue still goes first).
    pub fn set_handler(&self, handler: impl Fn(&RecordedRequest) -> Reply + Send + Sync + 'static) {
        lock(&self.shared.script).handler = Some(Arc::new(handler));
    }

    /// Every request received so far.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        lock(&self.shared.requests).clone()
    }

    /// Forgets the requests received and the queued replies.
    pub fn reset(&self) {
        lock(&self.shared.requests).clear();
        lock(&self.shared.script).queue.clear();
    }
}

impl Drop for RecordingServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// A poisoned lock only means another test thread panicked; the data is still usable.
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

async fn handle(
    shared: Arc<Shared>,
    req: Request<Incoming>,
) -> Result<Response<BoxBody<Bytes, Infallible>>, Infallible> {
    let (parts, body) = req.into_parts();
    let body = match body.collect().await {
        Ok(collected) => collected.to_bytes().to_vec(),
        Err(_) => Vec::new(),
    };
    let recorded = RecordedRequest {
        method: parts.method.as_str().to_owned(),
        path: parts.uri.path().to_owned(),
        query: parts.uri.query().map(str::to_owned),
        headers: parts
            .headers
            .iter()
            .map(|(k, v)| {
                (
                    k.as_str().to_owned(),
                    String::from_utf8_lossy(v.as_bytes()).into_owned(),
                )
            })
            .collect(),
        body,
    };
    let reply = {
        let mut script = lock(&shared.script);
        match script.queue.pop_front() {
            Some(r) => r,
            None => match &script.handler {
                Some(h) => h(&recorded),
                None => script.fallback.clone(),
            },
        }
    };
    lock(&shared.requests).push(recorded);
    if reply.hang {
        std::future::pending::<()>().await;
    }
    if let Some(delay) = reply.delay {
        tokio::time::sleep(delay).await;
    }
    let mut builder = Response::builder().status(reply.status);
    for (k, v) in &reply.headers {
        builder = builder.header(k, v);
    }
    let body = if reply.chunked {
        let chunks: Vec<Result<Frame<Bytes>, Infallible>> = reply
            .body
            .chunks(16 * 1024)
            .map(|c| Ok(Frame::data(Bytes::copy_from_slice(c))))
            .collect();
        BodyExt::boxed(StreamBody::new(futures_util::stream::iter(chunks)))
    } else {
        BodyExt::boxed(Full::new(Bytes::from(reply.body)))
    };
    Ok(builder.body(body).unwrap_or_else(|_| {
        let mut fallback = Response::new(BodyExt::boxed(Full::new(Bytes::from_static(
            b"bad scripted reply",
        ))));
        *fallback.status_mut() = hyper::StatusCode::INTERNAL_SERVER_ERROR;
        fallback
    }))
}
