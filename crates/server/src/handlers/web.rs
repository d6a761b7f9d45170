//! The web page: HTML, JavaScript and CSS from `web/`, compiled into the binary so the
//! page needs nothing but this server (no CDN, no separate asset directory).

use crate::error::ApiError;
use crate::extract::ApiPath;
use axum::http::header;
use axum::response::{Html, IntoResponse, Response};

const INDEX: &str = include_str!("../../../../web/index.html");
/// Name, content type, cache policy and bytes of each file under `/assets/`.
const ASSETS: &[(&str, &str, &str, &[u8])] = &[
    (
        "app.js",
        "text/javascript; charset=utf-8",
        "no-cache",
        include_bytes!("../../../../web/app.js"),
    ),
    (
        "charts.js",
        "text/javascript; charset=utf-8",
        "no-cache",
        include_bytes!("../../../../web/charts.js"),
    ),
    (
        "style.css",
        "text/css; charset=utf-8",
        "no-cache",
        include_bytes!("../../../../web/style.css"),
    ),
    // Hangul for list names on machines without a Korean font: a subset of NanumGothic
    // (SIL OFL 1.1), see web/fonts/README.md. It never changes between builds of a
    // version, so browsers may keep it for a day.
    (
        "embargo-hangul.woff2",
        "font/woff2",
        "public, max-age=86400",
        include_bytes!("../../../../web/fonts/embargo-hangul.woff2"),
    ),
];

pub async fn index() -> Html<&'static str> {
    Html(INDEX)
}

pub async fn asset(ApiPath(file): ApiPath<String>) -> Result<Response, ApiError> {
    let (_, mime, cache, body) = ASSETS
        .iter()
        .find(|(name, _, _, _)| *name == file)
        .ok_or_else(|| ApiError::not_found("asset_not_found", format!("no asset {file:?}")))?;
    Ok((
        [
            (header::CONTENT_TYPE, *mime),
            (header::CACHE_CONTROL, *cache),
        ],
        *body,
    )
        .into_response())
}
