//! The active screening lists, held as one immutable snapshot ([`ListSet`]) that a
//! refresh replaces whole (see `AppState::lists`).
//!
//! Imports go through `embargo-screen`'s [`ListStore`], which writes a new version
//! beside the old ones and flips its `active` pointer with a rename: a server killed in
//! the middle of an import restarts on the old list. Only after the store has switched
//! does the server build a new matcher and swap it in.

use embargo_screen::{ListStore, Matcher, Source, StoreError};
use serde::Serialize;
use std::collections::BTreeMap;
use std::path::Path;

/// The active snapshot of `source` and its version name. The store reads its pointer
/// inside `load_active`; reading it before and after tells whether an import (say, a
/// concurrent `embargo lists import`) flipped it meanwhile, in which case load again.
fn load_consistent(
    store: &ListStore,
    source: Source,
) -> Result<Option<(String, embargo_screen::ListSnapshot)>, StoreError> {
    for _ in 0..3 {
        let Some(before) = store.active_version(source)? else {
            return Ok(None);
        };
        let Some(snapshot) = store.load_active(source)? else {
            return Ok(None);
        };
        if store.active_version(source)?.as_deref() == Some(before.as_str()) {
            return Ok(Some((before, snapshot)));
        }
    }
    Err(StoreError::Corrupt {
        path: store.root().join(source.as_str()),
        message: "the active version kept changing while loading".into(),
    })
}

/// One active list.
#[derive(Debug, Clone, Serialize)]
pub struct ActiveList {
    pub source: Source,
    pub version: String,
    pub entities: usize,
    /// Publisher's generation date (UN `dateGenerated`), when the file gives one.
    pub generated: Option<String>,
}

/// Every list the server screens against, with its version, and the index over them.
#[derive(Default)]
pub struct ListSet {
    pub lists: Vec<ActiveList>,
    pub matcher: Option<Matcher>,
}

impl ListSet {
    pub fn empty() -> ListSet {
        ListSet::default()
    }

    /// The active versions of the store under `data_dir`, indexed.
    pub fn load(data_dir: &Path) -> Result<ListSet, StoreError> {
        let store = ListStore::open(data_dir);
        let mut lists = Vec::new();
        let mut entities = Vec::new();
        for source in [Source::Un, Source::Ofac] {
            if let Some((version, snapshot)) = load_consistent(&store, source)? {
                lists.push(ActiveList {
                    source,
                    version,
                    entities: snapshot.entities.len(),
                    generated: snapshot.generated.clone(),
                });
                entities.extend(snapshot.entities);
            }
        }
        let matcher = (!entities.is_empty()).then(|| Matcher::new(entities));
        Ok(ListSet { lists, matcher })
    }

    /// Source → version, as the audit log records it.
    pub fn versions(&self) -> BTreeMap<String, String> {
        self.lists
            .iter()
            .map(|l| (l.source.as_str().to_string(), l.version.clone()))
            .collect()
    }

    /// Versions and counts, for /health.
    pub fn status(&self) -> serde_json::Value {
        serde_json::to_value(&self.lists).unwrap_or(serde_json::Value::Null)
    }
}
