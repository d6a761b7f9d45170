//! Error answers that never reach the router: hyper refuses a request it cannot parse
//! (a request line or URI too long: 414, headers too large or too many: 431, malformed:
//! 400) by writing a bare head with `content-length: 0`. Clients of this API switch on the
//! JSON error's `code`, so the listener's connections rewrite such a head into the same
//! JSON shape as every other error ([`crate::error::ErrorBody`]).
//!
//! The rewrite looks only at a write that is a complete response head of status 400..=599
//! with `content-length: 0` and nothing after it. The router never produces one: every
//! error it answers carries a JSON body (see `json_errors` in `app`).

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

use crate::error::ErrorBody;

/// A TCP listener whose connections rewrite hyper's bodiless error heads.
pub struct JsonErrorListener(pub tokio::net::TcpListener);

impl axum::serve::Listener for JsonErrorListener {
    type Io = JsonErrorIo<tokio::net::TcpStream>;
    type Addr = std::net::SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        let (io, addr) = axum::serve::Listener::accept(&mut self.0).await;
        (JsonErrorIo::new(io), addr)
    }

    fn local_addr(&self) -> io::Result<Self::Addr> {
        self.0.local_addr()
    }
}

/// A connection that rewrites bodiless error heads into JSON error answers.
pub struct JsonErrorIo<T> {
    inner: T,
    /// A rewritten answer being written: bytes, how many are out, and the length of the
    /// caller's buffer it stands for (reported as written once all bytes are out).
    pending: Option<(Vec<u8>, usize, usize)>,
}

impl<T> JsonErrorIo<T> {
    pub fn new(inner: T) -> Self {
        JsonErrorIo {
            inner,
            pending: None,
        }
    }
}

fn code_for(status: u16) -> (&'static str, &'static str) {
    match status {
        400 => (
            "malformed_request",
            "the request could not be parsed as HTTP/1.1",
        ),
        408 => ("request_timeout", "the request head did not arrive in time"),
        413 => ("payload_too_large", "the request is too large"),
        414 => (
            "uri_too_long",
            "the request URI is too long; send long input in a POST body",
        ),
        431 => (
            "headers_too_large",
            "the request headers are too large or too many",
        ),
        501 => (
            "not_implemented",
            "the server does not support this request",
        ),
        505 => ("http_version_not_supported", "use HTTP/1.1 or HTTP/1.0"),
        s if s >= 500 => ("internal", "internal error"),
        _ => ("bad_request", "the request was refused"),
    }
}

/// The JSON answer for a bare error head, or `None` when `buf` is anything else.
pub fn rewrite_bare_error(buf: &[u8]) -> Option<Vec<u8>> {
    let head_end = buf.windows(4).position(|w| w == b"\r\n\r\n")? + 4;
    if head_end != buf.len() {
        return None;
    }
    let text = std::str::from_utf8(buf).ok()?;
    let mut lines = text[..head_end - 4].split("\r\n");
    let status_line = lines.next()?;
    let rest = status_line
        .strip_prefix("HTTP/1.1 ")
        .or_else(|| status_line.strip_prefix("HTTP/1.0 "))?;
    let status: u16 = rest.get(..3)?.parse().ok()?;
    if !(400..=599).contains(&status) {
        return None;
    }
    let mut kept = Vec::new();
    let mut empty = false;
    for line in lines {
        let (name, value) = line.split_once(':')?;
        let name = name.trim();
        if name.eq_ignore_ascii_case("content-length") {
            empty = value.trim() == "0";
        } else if name.eq_ignore_ascii_case("content-type")
            || name.eq_ignore_ascii_case("transfer-encoding")
        {
            return None;
        } else {
            kept.push(line);
        }
    }
    if !empty {
        return None;
    }
    let (code, message) = code_for(status);
    #[derive(serde::Serialize)]
    struct Answer {
        error: ErrorBody,
    }
    let body = serde_json::to_string(&Answer {
        error: ErrorBody {
            status,
            code,
            message: message.to_string(),
            field: None,
        },
    })
    .ok()?;
    let mut out = String::with_capacity(head_end + body.len() + 64);
    out.push_str(status_line);
    out.push_str("\r\n");
    for line in kept {
        out.push_str(line);
        out.push_str("\r\n");
    }
    out.push_str("content-type: application/json\r\n");
    out.push_str(&format!("content-length: {}\r\n\r\n", body.len()));
    out.push_str(&body);
    Some(out.into_bytes())
}

impl<T: AsyncRead + Unpin> AsyncRead for JsonErrorIo<T> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for JsonErrorIo<T> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = &mut *self;
        if this.pending.is_none() {
            match rewrite_bare_error(buf) {
                Some(answer) => this.pending = Some((answer, 0, buf.len())),
                None => return Pin::new(&mut this.inner).poll_write(cx, buf),
            }
        }
        // A writer retries with the same buffer after `Pending`; the rewritten answer
        // stands for it until all of it is out.
        while let Some((answer, done, stands_for)) = this.pending.as_mut() {
            if *done == answer.len() {
                let n = *stands_for;
                this.pending = None;
                return Poll::Ready(Ok(n));
            }
            match Pin::new(&mut this.inner).poll_write(cx, &answer[*done..]) {
                Poll::Ready(Ok(0)) => {
                    this.pending = None;
                    return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
                }
                Poll::Ready(Ok(n)) => *done += n,
                Poll::Ready(Err(e)) => {
                    this.pending = None;
                    return Poll::Ready(Err(e));
                }
                Poll::Pending => return Poll::Pending,
            }
        }
        Poll::Ready(Ok(0))
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }

    // Not vectored: hyper then flattens a response into one buffer, so a bare head
    // arrives whole in one write.
    fn is_write_vectored(&self) -> bool {
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bare_heads_become_json_and_others_pass() {
        let head = b"HTTP/1.1 431 Request Header Fields Too Large\r\ncontent-length: 0\r\ndate: Tue, 01 Dec 2026 00:00:00 GMT\r\n\r\n";
        let out = String::from_utf8(rewrite_bare_error(head).unwrap()).unwrap();
        let (h, body) = out.split_once("\r\n\r\n").unwrap();
        assert!(h.starts_with("HTTP/1.1 431 "));
        assert!(h.contains("content-type: application/json"));
        assert!(h.contains(&format!("content-length: {}", body.len())));
        let v: serde_json::Value = serde_json::from_str(body).unwrap();
        assert_eq!(v["error"]["code"], "headers_too_large");
        assert_eq!(v["error"]["status"], 431);
        for other in [
            &b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n"[..],
            b"HTTP/1.1 404 Not Found\r\ncontent-type: application/json\r\ncontent-length: 2\r\n\r\n",
            b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\n\r\n{}",
            b"not http",
        ] {
            assert!(rewrite_bare_error(other).is_none());
        }
    }
}
