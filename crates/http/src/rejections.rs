//! hyper's own HTTP/1 rejections, given the reference error body.
//!
//! A request hyper cannot parse (a head over its buffer or with too many fields → 431, a
//! target over 64 KB → 414, two `Content-Length`s, obs-fold, bytes that are not a request →
//! 400) never reaches our service: hyper writes a bare `HTTP/1.1 <status>` with
//! `connection: close`, `content-length: 0` and `date`, and closes. hyper has no hook for that
//! answer, so the connection's writer recognises exactly that head — every answer of ours
//! carries `x-request-id`, so none of them can match — and sends the same status with the
//! reference error object instead. Nothing else written to the connection is touched.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// A connection whose writer turns hyper's bare rejections into reference error answers.
#[derive(Debug)]
pub(crate) struct ShapedRejections<S> {
    inner: S,
    /// A shaped answer accepted from hyper but not yet fully written.
    pending: Vec<u8>,
    pending_from: usize,
}

impl<S> ShapedRejections<S> {
    pub(crate) fn new(inner: S) -> Self {
        ShapedRejections {
            inner,
            pending: Vec::new(),
            pending_from: 0,
        }
    }
}

/// The answer to send instead of `head`, when `head` is one of hyper's bare rejections.
fn shaped(head: &[u8]) -> Option<Vec<u8>> {
    // hyper's rejections are ~110 bytes; anything longer is ours or a body.
    if head.len() > 256 {
        return None;
    }
    let text = std::str::from_utf8(head).ok()?;
    let rest = text.strip_prefix("HTTP/1.1 ")?;
    let (status_line, headers) = rest.split_once("\r\n")?;
    let (code, _reason) = status_line.split_once(' ')?;
    let date = headers
        .strip_prefix("connection: close\r\ncontent-length: 0\r\ndate: ")?
        .strip_suffix("\r\n\r\n")?;
    if date.contains('\r') || date.contains('\n') {
        return None;
    }
    let (reason, message) = match code {
        "400" => ("Bad Request", "Malformed HTTP request"),
        "414" => (
            "URI Too Long",
            "Request target too long (the limit is 64 KB)",
        ),
        "431" => (
            "Request Header Fields Too Large",
            "Request headers too large (at most 100 fields and about 400 KB)",
        ),
        _ => return None,
    };
    let body = serde_json::json!({
        "error": {
            "code": alloy_domain::ErrorCode::InvalidRequest.as_str(),
            "message": message,
        }
    })
    .to_string();
    Some(
        format!(
            "HTTP/1.1 {code} {reason}\r\nconnection: close\r\ncontent-type: application/json\r\n\
             content-length: {}\r\ndate: {date}\r\n\r\n{body}",
            body.len()
        )
        .into_bytes(),
    )
}

impl<S: AsyncWrite + Unpin> ShapedRejections<S> {
    /// Writes what is left of a shaped answer.
    fn drain(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        while self.pending_from < self.pending.len() {
            let n = ready!(
                Pin::new(&mut self.inner).poll_write(cx, &self.pending[self.pending_from..])
            )?;
            if n == 0 {
                return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
            }
            self.pending_from += n;
        }
        self.pending.clear();
        self.pending_from = 0;
        Poll::Ready(Ok(()))
    }

    /// Takes `head` as written, queuing its shaped answer instead.
    fn substitute(
        &mut self,
        cx: &mut Context<'_>,
        answer: Vec<u8>,
        taken: usize,
    ) -> Poll<io::Result<usize>> {
        self.pending = answer;
        self.pending_from = 0;
        // Written now if the socket takes it; otherwise by the flush hyper does next.
        if let Poll::Ready(Err(e)) = self.drain(cx) {
            return Poll::Ready(Err(e));
        }
        Poll::Ready(Ok(taken))
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for ShapedRejections<S> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_read(cx, buf)
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for ShapedRejections<S> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        ready!(this.drain(cx))?;
        match shaped(buf) {
            Some(answer) => this.substitute(cx, answer, buf.len()),
            None => Pin::new(&mut this.inner).poll_write(cx, buf),
        }
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        ready!(this.drain(cx))?;
        let total: usize = bufs.iter().map(|b| b.len()).sum();
        if total <= 256 {
            let joined: Vec<u8> = bufs.iter().flat_map(|b| b.iter().copied()).collect();
            if let Some(answer) = shaped(&joined) {
                return this.substitute(cx, answer, total);
            }
        }
        Pin::new(&mut this.inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        ready!(this.drain(cx))?;
        Pin::new(&mut this.inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        ready!(this.drain(cx))?;
        Pin::new(&mut this.inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DATE: &str = "Sat, 05 Dec 2026 20:41:14 GMT";

    fn bare(status: &str) -> Vec<u8> {
        format!(
            "HTTP/1.1 {status}\r\nconnection: close\r\ncontent-length: 0\r\ndate: {DATE}\r\n\r\n"
        )
        .into_bytes()
    }

    #[test]
    fn hypers_rejections_get_the_error_object() {
        for (status, code) in [
            ("400 Bad Request", 400),
            ("414 URI Too Long", 414),
            ("431 Request Header Fields Too Large", 431),
        ] {
            let answer = String::from_utf8(shaped(&bare(status)).expect("shaped")).unwrap();
            let (head, body) = answer.split_once("\r\n\r\n").unwrap();
            assert!(head.starts_with(&format!("HTTP/1.1 {code} ")), "{head}");
            assert!(head.contains("\r\nconnection: close\r\n"), "{head}");
            assert!(
                head.contains("\r\ncontent-type: application/json\r\n"),
                "{head}"
            );
            assert!(
                head.contains(&format!("\r\ncontent-length: {}\r\n", body.len())),
                "{head}"
            );
            assert!(head.ends_with(&format!("date: {DATE}")), "{head}");
            let v: serde_json::Value = serde_json::from_str(body).unwrap();
            assert_eq!(v["error"]["code"], "INVALID_REQUEST");
            assert!(
                v["error"]["message"]
                    .as_str()
                    .is_some_and(|m| !m.is_empty())
            );
        }
    }

    #[test]
    fn nothing_else_is_touched() {
        // Our own answers carry more headers (x-request-id at least).
        let ours = format!(
            "HTTP/1.1 400 Bad Request\r\ncontent-type: application/json\r\nx-request-id: r\r\n\
             connection: close\r\ncontent-length: 0\r\ndate: {DATE}\r\n\r\n"
        );
        assert_eq!(shaped(ours.as_bytes()), None);
        assert_eq!(shaped(&bare("404 Not Found")), None);
        assert_eq!(shaped(&bare("200 OK")), None);
        assert_eq!(shaped(b"{\"error\":1}"), None);
        let mut extra = bare("400 Bad Request");
        extra.extend_from_slice(b"trailing");
        assert_eq!(shaped(&extra), None);
        assert_eq!(shaped(&[0xff; 100]), None);
    }

    #[tokio::test]
    async fn a_shaped_answer_is_written_whole_through_a_slow_writer() {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        // A pipe of 16 bytes: the answer needs many writes, each partial.
        let (client, server) = tokio::io::duplex(16);
        let mut shaped_side = ShapedRejections::new(server);
        let reader = tokio::spawn(async move {
            let mut client = client;
            let mut all = Vec::new();
            client.read_to_end(&mut all).await.unwrap();
            all
        });
        let head = bare("431 Request Header Fields Too Large");
        assert_eq!(shaped_side.write(&head).await.unwrap(), head.len());
        shaped_side.flush().await.unwrap();
        shaped_side.shutdown().await.unwrap();
        drop(shaped_side);
        let all = String::from_utf8(reader.await.unwrap()).unwrap();
        assert!(all.starts_with("HTTP/1.1 431 "), "{all}");
        assert!(all.ends_with("}}"), "{all}");
    }
}
