//! Screening against the UN Security Council 1718 (DPRK) list and OFAC's DPRK programmes.
//!
//! - [`sources`] (`un`, `ofac`: a reader and a mapper each) read the published files into
//!   the FtM-shaped [`model`].
//! - [`store`] keeps imported versions on disk and switches the active one atomically.
//! - [`embargo_names`] turns names into comparable tokens and scores them.
//! - [`scoring`] holds the weights by which an entry's features move a name score.
//! - [`matcher`] indexes all names and aliases and returns explained hits.
//! - [`regime_link`] attaches the measures that make a UN DPRK hit matter.

pub mod countries;
pub mod error;
pub mod eval;
pub mod eval_screening;
pub mod matcher;
pub mod model;
pub mod regime_context;
pub mod regime_link;
pub mod request;
pub mod scoring;
pub mod sources;
#[cfg(feature = "sql")]
pub mod sql;
pub mod store;
pub use sources::{ofac, un};

pub use error::{ListError, QueryError, StoreError};
pub use matcher::{
    Decision, Hit, Matcher, Query, QueryDate, QueryKeys, Screening, Thresholds, TokenFrequencies,
};
pub use model::{Entity, ListSnapshot, Schema, Source};
pub use request::ScreenRequest;
pub use store::ListStore;
pub use store::{ImportOptions, DEFAULT_MAX_SHRINK};

/// The largest list file a reader accepts: 128 MiB, thirty times OFAC's `sdn.csv` (3.9 MB)
/// and sixty times the UN consolidated list (2 MB). A device or a runaway file fails fast
/// instead of filling memory.
pub const MAX_LIST_FILE_BYTES: u64 = 128 << 20;

/// Read a whole file, refusing one of `limit` bytes or more (checked while reading, so
/// `/dev/zero` or a growing file stops at the limit).
pub fn read_bounded(path: &std::path::Path, limit: u64) -> Result<Vec<u8>, ListError> {
    use std::io::Read;
    let io = |source| ListError::Io {
        file: path.to_path_buf(),
        source,
    };
    let file = std::fs::File::open(path).map_err(io)?;
    let hint = file.metadata().map(|m| m.len()).unwrap_or(0);
    if hint >= limit {
        return Err(ListError::TooLarge {
            file: path.to_path_buf(),
            bytes: hint,
            limit,
        });
    }
    let mut bytes = Vec::with_capacity(usize::try_from(hint).unwrap_or(0));
    file.take(limit).read_to_end(&mut bytes).map_err(io)?;
    if bytes.len() as u64 >= limit {
        return Err(ListError::TooLarge {
            file: path.to_path_buf(),
            bytes: bytes.len() as u64,
            limit,
        });
    }
    Ok(bytes)
}
