//! Operations: health, metrics, the OpenAPI document.

use crate::state::AppState;
use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use axum::Json;
use serde_json::json;

pub async fn health(State(state): State<AppState>) -> impl IntoResponse {
    let lists = state.lists.load();
    Json(json!({
        "status": "ok",
        "version": env!("CARGO_PKG_VERSION"),
        "regime": {
            "resolutions": state.regime.resolutions().len(),
            "measures": state.regime.measures().len(),
        },
        "lists": lists.status(),
    }))
}

pub async fn metrics(State(state): State<AppState>) -> impl IntoResponse {
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        state.metrics.render(),
    )
}

pub async fn openapi() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "application/json")],
        crate::openapi::document_text(),
    )
}
