//! Over a real socket: every error answer is JSON in the one error shape, including the
//! ones hyper writes before the router sees a request (414, 431, 400), and the router's
//! own limits (413).

use crate::common;

use std::io::{Read, Write};
use std::time::Duration;

use common::TestServer;
use serde_json::Value;

/// Sends raw bytes, returns (status, content-type, body as JSON).
fn exchange(addr: std::net::SocketAddr, request: &[u8]) -> (u16, String, Value) {
    let mut s = std::net::TcpStream::connect(addr).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    // The server may answer and close before all of a huge request is sent. The write
    // side stays open: a client that half-closes is a client gone, whose request hyper
    // drops.
    let _ = s.write_all(request);
    let mut out = Vec::new();
    let _ = s.read_to_end(&mut out);
    let text = String::from_utf8_lossy(&out).to_string();
    let (head, body) = text
        .split_once("\r\n\r\n")
        .unwrap_or_else(|| panic!("no response head: {text:?}"));
    let status: u16 = head[9..12].parse().expect("status");
    let ctype = head
        .lines()
        .find_map(|l| {
            l.to_ascii_lowercase()
                .strip_prefix("content-type:")
                .map(|v| v.trim().to_string())
        })
        .unwrap_or_default();
    let json = serde_json::from_str(body).unwrap_or_else(|e| panic!("{status} body {body:?}: {e}"));
    (status, ctype, json)
}

#[test]
fn protocol_errors_are_json() {
    let server = TestServer::with(|c| c.limits.max_body_bytes = 1024);
    let router = server.router();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let listener = rt
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let addr = listener.local_addr().unwrap();
    rt.spawn(async move {
        axum::serve(embargo_server::wire::JsonErrorListener(listener), router)
            .await
            .unwrap();
    });

    // Within hyper's read buffer, so the whole request is read (a server that closes on
    // unread input resets the connection, and the client may lose the answer): the
    // router's bounds answer these.
    let long_uri = format!(
        "GET /api/v1/regime/measures?kind={} HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n",
        "a".repeat(20_000)
    );
    let long_header = format!(
        "GET /health HTTP/1.1\r\nhost: x\r\nconnection: close\r\nx-big: {}\r\n\r\n",
        "b".repeat(100_000)
    );
    let many_headers = format!(
        "GET /health HTTP/1.1\r\nhost: x\r\nconnection: close\r\n{}\r\n",
        (0..150)
            .map(|i| format!("x-h{i}: v\r\n"))
            .collect::<String>()
    );
    let big_body = format!(
        "POST /api/v1/check HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: 5000\r\nconnection: close\r\n\r\n{}",
        " ".repeat(5000)
    );
    // hyper refuses these itself (over 100 headers; not HTTP), before the router.
    let cases: [(&str, &[u8], u16, &str); 5] = [
        ("long URI", long_uri.as_bytes(), 414, "uri_too_long"),
        (
            "long header",
            long_header.as_bytes(),
            431,
            "headers_too_large",
        ),
        (
            "many headers",
            many_headers.as_bytes(),
            431,
            "headers_too_large",
        ),
        (
            "garbage",
            b"\x01\x02 NOT HTTP\r\n\r\n",
            400,
            "malformed_request",
        ),
        ("big body", big_body.as_bytes(), 413, "payload_too_large"),
    ];
    for (what, req, status, code) in cases {
        let (st, ctype, v) = exchange(addr, req);
        assert_eq!(st, status, "{what}: {v}");
        assert!(ctype.starts_with("application/json"), "{what}: {ctype}");
        assert_eq!(v["error"]["status"], status, "{what}: {v}");
        assert_eq!(v["error"]["code"], code, "{what}: {v}");
        assert!(v["error"]["message"].is_string(), "{what}: {v}");
    }
    // A normal request on the same listener is untouched.
    let (st, _, v) = exchange(
        addr,
        b"GET /health HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n",
    );
    assert_eq!(st, 200, "{v}");
}
