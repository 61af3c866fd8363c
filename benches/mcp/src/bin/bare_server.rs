//! A bare hyper HTTP/1 server that reads each request body and answers `200` with a fixed
//! JSON body: the baseline the MCP endpoint is compared with, and the loopback "platform" that
//! `execute_action_alloy` calls in the benchmark. With `--body-file`, the body is that file's
//! bytes instead (the benchmark passes the MCP endpoint's own `tools/list` answer, so that both
//! send the same bytes).
//!
//! Prints `http://127.0.0.1:<port>` on its first line of output once it accepts connections.

use std::convert::Infallible;
use std::io::Write;

use std::path::PathBuf;

use alloy_mcp_bench::{Error, FIXED_BODY};
use bytes::Bytes;
use clap::Parser;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;

/// Command line.
#[derive(Parser)]
struct Args {
    /// Address to listen on (port 0 picks a free one).
    #[arg(long, default_value = "127.0.0.1:0")]
    bind: String,
    /// Answer with this file's bytes instead of the fixed JSON body.
    #[arg(long)]
    body_file: Option<PathBuf>,
}

async fn answer(req: Request<Incoming>, body: Bytes) -> Result<Response<Full<Bytes>>, Infallible> {
    // Reading the body is part of the work every real server does.
    let _ = req.into_body().collect().await;
    let mut resp = Response::new(Full::new(body));
    resp.headers_mut().insert(
        hyper::header::CONTENT_TYPE,
        hyper::header::HeaderValue::from_static("application/json"),
    );
    Ok(resp)
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    let args = Args::parse();
    let body = match &args.body_file {
        None => Bytes::from_static(FIXED_BODY.as_bytes()),
        Some(path) => Bytes::from(std::fs::read(path)?),
    };
    let listener = TcpListener::bind(&args.bind).await?;
    let addr = listener.local_addr()?;
    let mut out = std::io::stdout();
    writeln!(out, "http://{addr}")?;
    out.flush()?;
    loop {
        let (stream, _) = listener.accept().await?;
        let _ = stream.set_nodelay(true);
        let body = body.clone();
        tokio::spawn(async move {
            // A client hanging up mid-request is not the server's problem.
            let service = service_fn(move |req| answer(req, body.clone()));
            let _ = http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}
