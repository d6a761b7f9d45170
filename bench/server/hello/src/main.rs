//! `embargo-bench-hello ADDR`: POST / answers a fixed small JSON body (the same size class
//! as a check verdict). Used as the peer in docs/bench-server.md.

use axum::routing::post;
use axum::Router;

async fn hello(body: axum::body::Bytes) -> ([(axum::http::HeaderName, &'static str); 1], String) {
    (
        [(axum::http::header::CONTENT_TYPE, "application/json")],
        format!("{{\"verdict\":\"permitted\",\"received\":{}}}", body.len()),
    )
}

#[tokio::main]
async fn main() {
    let addr = std::env::args().nth(1).unwrap_or_else(|| "127.0.0.1:18090".into());
    let app = Router::new().route("/", post(hello));
    let listener = tokio::net::TcpListener::bind(&addr).await.expect("bind");
    axum::serve(listener, app).await.expect("serve");
}
