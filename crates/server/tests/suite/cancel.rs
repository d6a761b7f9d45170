//! A screening batch whose client closes the connection stops: the rows not yet matched
//! are never matched (the server's own counters say how many rows it matched and how many
//! it abandoned), and the screening slot is released.

use crate::common;

use std::io::Write;
use std::time::{Duration, Instant};

use axum::http::StatusCode;
use common::TestServer;

const SMALL_UN: &str = include_str!("../../../screen/tests/fixtures/small_un.xml");
const ROWS: u64 = 100_000;

fn wait_until(what: &str, limit: Duration, mut done: impl FnMut() -> bool) {
    let start = Instant::now();
    while !done() {
        assert!(start.elapsed() < limit, "waited {limit:?} for {what}");
        std::thread::sleep(Duration::from_millis(1));
    }
}

#[test]
fn a_batch_stops_when_its_client_disconnects() {
    let server = TestServer::with(|c| {
        c.limits.max_batch = ROWS as usize;
        c.limits.max_body_bytes = 64 << 20;
        // The deadline must not be what stops the work.
        c.limits.request_timeout = Duration::from_secs(3600);
    });
    let rt = tokio::runtime::Runtime::new().unwrap();
    let key = server.create_key("analyst");
    let (st, r) = rt.block_on(server.send_raw(
        "PUT",
        "/api/v1/lists/un",
        "application/xml",
        SMALL_UN.into(),
        Some(&key),
    ));
    assert_eq!(st, StatusCode::OK, "{r}");

    let listener = rt
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let addr = listener.local_addr().unwrap();
    let router = server.router();
    rt.spawn(async move {
        axum::serve(embargo_server::wire::JsonErrorListener(listener), router)
            .await
            .unwrap();
    });

    let state = server.state().clone();
    let slots = state.screen_slots.available_permits();
    let (screened_before, abandoned_before) = state.metrics.screening_work();
    let items: Vec<serde_json::Value> = (0..ROWS)
        .map(|i| serde_json::json!({ "name": format!("PAK CHOL MIN TRADING COMPANY {i}") }))
        .collect();
    let body = serde_json::json!({ "items": items }).to_string();
    let mut sock = std::net::TcpStream::connect(addr).unwrap();
    write!(
        sock,
        "POST /api/v1/screen/batch HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\nx-api-key: {key}\r\ncontent-length: {}\r\n\r\n",
        body.len()
    )
    .unwrap();
    sock.write_all(body.as_bytes()).unwrap();

    // Matching has begun: the client goes away.
    wait_until("the first rows", Duration::from_secs(120), || {
        state.metrics.screening_work().0 > screened_before
    });
    drop(sock);

    // The worker ends (its slot comes back) having matched only part of the batch.
    wait_until("the worker to end", Duration::from_secs(120), || {
        state.screen_slots.available_permits() == slots
    });
    let (screened, abandoned) = state.metrics.screening_work();
    let (screened, abandoned) = (screened - screened_before, abandoned - abandoned_before);
    assert_eq!(screened + abandoned, ROWS, "{screened} + {abandoned}");
    assert!(
        abandoned > 0,
        "every row was matched for a client that had gone"
    );
}
