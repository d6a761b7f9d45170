//! The network's part of "who is this?": the listed parties a screened name reaches through
//! ownership and control, asked the same way by `embargo screen` and `POST /api/v1/screen`.

use std::path::{Path, PathBuf};

use chrono::NaiveDate;

use crate::error::{NetworkError, Result};
use crate::reach::{reach, Reach, ReachOptions};
use crate::store::{ListFollow, Store};

/// The network store of a data directory, shared by the command line and the server.
pub fn store_path(data_dir: &Path) -> PathBuf {
    data_dir.join("network.sqlite")
}

/// The data directory's network store with its list part brought to the active list
/// versions of the same directory (a list imported by either door shows before anything is
/// read), and what following the lists changed.
pub fn open_following(data_dir: &Path) -> Result<(Store, Vec<ListFollow>)> {
    let mut store = Store::open(&store_path(data_dir))?;
    let lists = embargo_screen::ListStore::open(data_dir);
    let follow = store.follow_lists(&lists)?;
    Ok((store, follow))
}

/// What the screened entity reaches on `date` through the data directory's network
/// (owners, controllers, managers, and the 50% rule): the entity the query's name names,
/// else the vessel of its IMO number. `None` when the directory has no network store or no
/// one entity of it answers to the query (none, or several sharing the name): screening
/// without a network is the common case, not an error.
pub fn screening_reach(
    data_dir: &Path,
    query: &embargo_screen::Query,
    date: NaiveDate,
) -> Result<Option<Reach>> {
    if !store_path(data_dir).exists() {
        return Ok(None);
    }
    let keys: Vec<&str> = [Some(query.name.as_str()), query.imo.as_deref()]
        .into_iter()
        .flatten()
        .filter(|k| !k.trim().is_empty())
        .collect();
    if keys.is_empty() {
        return Ok(None);
    }
    let (store, _) = open_following(data_dir)?;
    let mut id = None;
    for key in keys {
        match store.resolve(key) {
            Ok(found) => {
                id = Some(found);
                break;
            }
            // A name that several entities share (one person on the UN list and on
            // OFAC's) names no one entity to follow; the screening's hits name each, and
            // the IMO number, when given, may still name one.
            Err(NetworkError::UnknownEntity(_) | NetworkError::AmbiguousEntity { .. }) => {}
            Err(e) => return Err(e),
        }
    }
    let Some(id) = id else {
        return Ok(None);
    };
    let graph = store.load_graph()?;
    // The graph is read after the name was resolved: an upload replacing the entity in
    // between leaves nothing to reach, as if it had come first.
    let Some(ix) = graph.ix(&id) else {
        return Ok(None);
    };
    Ok(reach(&graph, ix, ReachOptions::new(date)))
}
