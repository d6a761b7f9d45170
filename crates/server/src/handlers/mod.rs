//! Request handlers, one module per area. Handlers translate HTTP to library calls and
//! back; the answers themselves come from the library crates.

pub mod analysis;
pub mod book;
pub mod compat;
pub mod network;
pub mod ops;
pub mod params;
pub mod reconcile;
pub mod regime;
pub mod screen;
#[cfg(feature = "trade-store")]
pub mod trade;
pub mod web;
pub mod yente;

use crate::error::ApiError;

/// Run store work off the async workers (SQLite calls block); a panic in it is an
/// internal error named by `context`.
pub(crate) async fn blocking<T: Send + 'static>(
    context: &'static str,
    f: impl FnOnce() -> Result<T, ApiError> + Send + 'static,
) -> Result<T, ApiError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| ApiError::internal(context, e))?
}
