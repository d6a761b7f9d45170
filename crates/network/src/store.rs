//! The embedded store: one SQLite file (`network.sqlite` in embargo's data directory).
//!
//! Every import is one transaction: a file that fails validation writes nothing, and a
//! crash mid-import leaves the previous state (SQLite's journal). Every import carries a
//! name (its label); a second import under a name in use is refused unless the caller asks
//! to replace it, so two uploads never overwrite each other unnoticed.
//!
//! The list part of the graph (designees, their designations, the relations the lists
//! state) is not imported by hand: [`Store::follow_lists`] derives it from the active
//! versions in embargo-screen's list store, and records which version it derived from.
//! Every reader calls it first, so the graph answers with the lists screening answers
//! with, whoever changed them and however.
//! Upstream walks (owners of owners ...) run as recursive CTEs; the 50% rule itself runs
//! in memory on the subgraph they return (see `exposure`).

use std::collections::{HashMap, HashSet};
use std::path::Path;

use chrono::NaiveDate;
use rusqlite::{params, Connection, OptionalExtension};

use embargo_screen::{ListStore, Source};

use crate::error::{NetworkError, Result};
use crate::graph::{normalize_name, Graph};
use crate::import::{ImportBatch, ImportReport, NameResolution};
use crate::model::{Designation, Edge, EdgeKind, Node, NodeKind, Period};
use crate::vessel::{EventKind, Imo, VesselEvent};

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS nodes(
  id TEXT PRIMARY KEY, kind TEXT NOT NULL, name TEXT NOT NULL, origin TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS names(
  node_id TEXT NOT NULL, name TEXT NOT NULL, norm TEXT NOT NULL, PRIMARY KEY(node_id, name));
CREATE INDEX IF NOT EXISTS names_norm ON names(norm);
CREATE TABLE IF NOT EXISTS designations(
  node_id TEXT NOT NULL, list TEXT NOT NULL, reference TEXT NOT NULL, programs TEXT NOT NULL,
  listed_on TEXT, batch INTEGER NOT NULL, PRIMARY KEY(node_id, list, reference));
CREATE TABLE IF NOT EXISTS batches(
  id INTEGER PRIMARY KEY, file TEXT NOT NULL, kind TEXT NOT NULL, imported_at TEXT NOT NULL,
  rows INTEGER NOT NULL, nodes INTEGER NOT NULL, edges INTEGER NOT NULL,
  events INTEGER NOT NULL, skipped INTEGER NOT NULL, replaced_at TEXT);
CREATE TABLE IF NOT EXISTS edges(
  id INTEGER PRIMARY KEY, src TEXT NOT NULL, dst TEXT NOT NULL, kind TEXT NOT NULL,
  share_pct REAL, start TEXT, end TEXT, source TEXT NOT NULL, origin TEXT NOT NULL,
  batch INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS edges_dst ON edges(dst, kind);
CREATE INDEX IF NOT EXISTS edges_src ON edges(src, kind);
CREATE TABLE IF NOT EXISTS vessel_events(
  imo TEXT NOT NULL, date TEXT, name TEXT, flag TEXT, kind TEXT NOT NULL, source TEXT NOT NULL,
  origin TEXT NOT NULL, batch INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS vessel_events_imo ON vessel_events(imo);
CREATE TABLE IF NOT EXISTS list_versions(
  source TEXT PRIMARY KEY, version TEXT NOT NULL, batch INTEGER NOT NULL);
";

/// Designations the graph shows: for a list the store follows, only those of the batch
/// derived from its active version (a user file's copy, e.g. the OFAC vessel extract,
/// cannot outlive a delisting); for other lists, what the files brought.
const LIVE_DESIGNATIONS: &str = "designations d WHERE NOT EXISTS (SELECT 1 FROM list_versions v WHERE v.source = d.list AND v.batch <> d.batch)";

/// The batch name of the list part derived from one list.
fn list_label(source: Source) -> String {
    format!("list:{}", source.as_str())
}

/// How an import treats a name already in use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OnExisting {
    /// Refuse with [`NetworkError::NameInUse`].
    #[default]
    Refuse,
    /// Replace the rows the earlier import of that name brought (it stays in `batches`
    /// with `replaced_at`, for audit).
    Replace,
}

/// What [`Store::follow_lists`] changed for one list.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ListFollow {
    pub source: String,
    /// The version the graph was derived from before (none: never, or no list).
    pub from_version: Option<String>,
    /// The active version it is derived from now (none: no active list).
    pub to_version: Option<String>,
    pub nodes: u64,
    pub edges: u64,
}

pub struct Store {
    conn: Connection,
    label: String,
}

/// Counts for `network status`.
#[derive(Debug, Clone, serde::Serialize)]
pub struct StoreStatus {
    pub nodes: u64,
    pub designated_nodes: u64,
    pub edges_by_kind: Vec<(String, u64)>,
    pub vessel_events: u64,
    pub batches: Vec<BatchInfo>,
    /// List versions the graph's list part is derived from.
    pub lists: Vec<(String, String)>,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct BatchInfo {
    pub id: i64,
    pub file: String,
    pub kind: String,
    pub imported_at: String,
    pub rows: i64,
    pub edges: i64,
    pub skipped: i64,
    /// The API key that uploaded it (server uploads), if any.
    pub added_by: Option<String>,
}

impl Store {
    pub fn open(path: &Path) -> Result<Store> {
        if let Some(dir) = path.parent() {
            if !dir.as_os_str().is_empty() {
                std::fs::create_dir_all(dir).map_err(|source| NetworkError::Io {
                    path: dir.to_path_buf(),
                    source,
                })?;
            }
        }
        let label = path.display().to_string();
        let conn = Connection::open(path).map_err(|source| NetworkError::Store {
            path: label.clone(),
            source,
        })?;
        Store::init(conn, label)
    }

    pub fn in_memory() -> Result<Store> {
        let conn = Connection::open_in_memory().map_err(|source| NetworkError::Store {
            path: ":memory:".into(),
            source,
        })?;
        Store::init(conn, ":memory:".into())
    }

    fn init(conn: Connection, label: String) -> Result<Store> {
        // A reader may find the list part stale while another process derives it again
        // (seconds for the full lists): it waits for that writer instead of failing.
        conn.busy_timeout(std::time::Duration::from_secs(120))
            .map_err(|source| NetworkError::Store {
                path: label.clone(),
                source,
            })?;
        let s = Store { conn, label };
        s.conn
            .execute_batch(&format!(
                "PRAGMA journal_mode=WAL; PRAGMA foreign_keys=ON;{SCHEMA}"
            ))
            .map_err(|e| s.err(e))?;
        // Stores written before uploads recorded their key lack the column.
        let has_added_by: bool = s
            .conn
            .query_row(
                "SELECT count(*) FROM pragma_table_info('batches') WHERE name = 'added_by'",
                [],
                |r| r.get::<_, i64>(0),
            )
            .map(|n| n > 0)
            .map_err(|e| s.err(e))?;
        if !has_added_by {
            s.conn
                .execute_batch("ALTER TABLE batches ADD COLUMN added_by TEXT")
                .map_err(|e| s.err(e))?;
        }
        Ok(s)
    }

    fn err(&self, source: rusqlite::Error) -> NetworkError {
        NetworkError::Store {
            path: self.label.clone(),
            source,
        }
    }

    /// Stores a user file's batch in one transaction under its name (`batch.file`); a name
    /// already in use is refused ([`NetworkError::NameInUse`]). Names that match exactly
    /// one designated list entry are linked to it (reported); names matching several are
    /// left as user entities (reported).
    pub fn import(&mut self, batch: ImportBatch, kind: &str) -> Result<ImportReport> {
        self.import_with(batch, kind, OnExisting::Refuse, None)
    }

    /// [`Store::import`] with the treatment of a name in use and the uploader's key.
    pub fn import_with(
        &mut self,
        batch: ImportBatch,
        kind: &str,
        on_existing: OnExisting,
        added_by: Option<&str>,
    ) -> Result<ImportReport> {
        if is_list_label(&batch.file) {
            return Err(NetworkError::NameInUse {
                name: batch.file.clone(),
                reason: "names starting with `list:` belong to the lists the store follows",
            });
        }
        let label = self.label.clone();
        let store_err = |source| NetworkError::Store {
            path: label.clone(),
            source,
        };
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .map_err(store_err)?;
        let old = active_batches(&tx, "file = ?1", &batch.file).map_err(store_err)?;
        if !old.is_empty() && on_existing == OnExisting::Refuse {
            return Err(NetworkError::NameInUse {
                name: batch.file.clone(),
                reason: "an import with this name is in the store",
            });
        }
        retire_batches(&tx, &old).map_err(store_err)?;
        let (_, report) = write_batch(&tx, batch, kind, added_by, false).map_err(store_err)?;
        tx.commit().map_err(store_err)?;
        Ok(report)
    }

    /// Derives the list part of the graph from the active versions in `lists`, for each
    /// list whose active version differs from the one the graph was derived from (a
    /// version check per list otherwise). Rows of earlier list imports (of any version,
    /// or list files imported by hand) are retired with it, so the designations the graph
    /// shows are exactly those of the active lists. Readers call this before answering.
    pub fn follow_lists(&mut self, lists: &ListStore) -> Result<Vec<ListFollow>> {
        let mut out = Vec::new();
        for source in [Source::Un, Source::Ofac] {
            let active = lists
                .active_version(source)
                .map_err(|e| NetworkError::Lists(e.to_string()))?;
            if let Some(f) = self.follow_one(lists, source, active)? {
                out.push(f);
            }
        }
        Ok(out)
    }

    fn follow_one(
        &mut self,
        lists: &ListStore,
        source: Source,
        active: Option<String>,
    ) -> Result<Option<ListFollow>> {
        let stored = self.followed_version(source)?;
        if stored == active {
            return Ok(None);
        }
        // Read the snapshot before taking the write lock; the version it carries is
        // checked again under the lock (another process may have followed meanwhile).
        let snapshot = match &active {
            Some(_) => lists
                .load_active(source)
                .map_err(|e| NetworkError::Lists(e.to_string()))?,
            None => None,
        };
        let label = self.label.clone();
        let store_err = |source| NetworkError::Store {
            path: label.clone(),
            source,
        };
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .map_err(store_err)?;
        let stored: Option<String> = tx
            .query_row(
                "SELECT version FROM list_versions WHERE source = ?1",
                [source.as_str()],
                |r| r.get(0),
            )
            .optional()
            .map_err(store_err)?;
        // A swap between reading the version and the snapshot leaves a label that no
        // longer matches the active one, so the next call derives again: it converges.
        let version = snapshot.as_ref().and(active);
        if stored == version {
            return Ok(None);
        }
        let kind = list_label(source);
        let old = active_batches(&tx, "kind = ?1", &kind).map_err(store_err)?;
        retire_batches(&tx, &old).map_err(store_err)?;
        tx.execute(
            "DELETE FROM list_versions WHERE source = ?1",
            [source.as_str()],
        )
        .map_err(store_err)?;
        let mut follow = ListFollow {
            source: source.as_str().to_string(),
            from_version: stored,
            to_version: version.clone(),
            nodes: 0,
            edges: 0,
        };
        if let (Some(snap), Some(version)) = (&snapshot, &version) {
            let batch = crate::lists::batch_from_snapshot(snap, &kind);
            let (batch_id, report) =
                write_batch(&tx, batch, &kind, None, true).map_err(store_err)?;
            tx.execute(
                "INSERT INTO list_versions(source, version, batch) VALUES (?1, ?2, ?3)",
                params![source.as_str(), version, batch_id],
            )
            .map_err(store_err)?;
            follow.nodes = report.nodes_added;
            follow.edges = report.edges_added;
        }
        tx.commit().map_err(store_err)?;
        Ok(Some(follow))
    }

    /// The lists the list part is derived from: (source, version), by source.
    pub fn followed_lists(&self) -> Result<Vec<(String, String)>> {
        let mut stmt = self
            .conn
            .prepare("SELECT source, version FROM list_versions ORDER BY source")
            .map_err(|e| self.err(e))?;
        let lists = stmt
            .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))
            .map_err(|e| self.err(e))?
            .collect::<std::result::Result<Vec<_>, _>>()
            .map_err(|e| self.err(e))?;
        Ok(lists)
    }

    fn followed_version(&self, source: Source) -> Result<Option<String>> {
        self.conn
            .query_row(
                "SELECT version FROM list_versions WHERE source = ?1",
                [source.as_str()],
                |r| r.get(0),
            )
            .optional()
            .map_err(|e| self.err(e))
    }

    /// Loads the whole graph into memory.
    pub fn load_graph(&self) -> Result<Graph> {
        self.load(None).map_err(|e| self.err(e))
    }

    /// Loads the node and everything upstream of it over the given edge kinds (its owners,
    /// their owners, ...), found with a recursive CTE, plus the edges among them.
    pub fn load_upstream(&self, id: &str, kinds: &[EdgeKind]) -> Result<Graph> {
        let ids = self.upstream_ids(id, kinds)?;
        self.load(Some(&ids)).map_err(|e| self.err(e))
    }

    /// Ids of `id` and all its ancestors over `kinds`, by recursive CTE (UNION, so cycles
    /// terminate).
    pub fn upstream_ids(&self, id: &str, kinds: &[EdgeKind]) -> Result<HashSet<String>> {
        let kind_list = kinds
            .iter()
            .map(|k| format!("'{}'", k.as_str()))
            .collect::<Vec<_>>()
            .join(",");
        let sql = format!(
            "WITH RECURSIVE up(id) AS (SELECT ?1 UNION SELECT e.src FROM edges e JOIN up ON e.dst = up.id WHERE e.kind IN ({kind_list})) SELECT id FROM up"
        );
        let mut stmt = self.conn.prepare(&sql).map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map([id], |r| r.get::<_, String>(0))
            .map_err(|e| self.err(e))?;
        rows.collect::<std::result::Result<HashSet<_>, _>>()
            .map_err(|e| self.err(e))
    }

    /// Maps what a user typed to a stored node id: id, list reference (`ofac:17069` of a
    /// vessel stored under its IMO), IMO number, or exact name/alias.
    pub fn resolve(&self, query: &str) -> Result<String> {
        let q = query.trim();
        let found: Option<String> = self
            .conn
            .query_row("SELECT id FROM nodes WHERE id = ?1", [q], |r| r.get(0))
            .optional()
            .map_err(|e| self.err(e))?;
        if let Some(id) = found {
            return Ok(id);
        }
        if let Some((list, reference)) = q.split_once(':') {
            let via_designation: Option<String> = self
                .conn
                .query_row(
                    "SELECT node_id FROM designations WHERE list = ?1 AND reference = ?2",
                    [list, reference],
                    |r| r.get(0),
                )
                .optional()
                .map_err(|e| self.err(e))?;
            if let Some(id) = via_designation {
                return Ok(id);
            }
        }
        if let Ok(imo) = Imo::parse(q) {
            return Ok(imo.node_id());
        }
        let mut stmt = self
            .conn
            .prepare("SELECT DISTINCT n.node_id, nd.name FROM names n JOIN nodes nd ON nd.id = n.node_id WHERE n.norm = ?1")
            .map_err(|e| self.err(e))?;
        let hits: Vec<(String, String)> = stmt
            .query_map([normalize_name(q)], |r| Ok((r.get(0)?, r.get(1)?)))
            .map_err(|e| self.err(e))?
            .collect::<std::result::Result<_, _>>()
            .map_err(|e| self.err(e))?;
        match hits.as_slice() {
            [] => Err(NetworkError::UnknownEntity(q.to_string())),
            [(id, _)] => Ok(id.clone()),
            many => Err(NetworkError::AmbiguousEntity {
                query: q.to_string(),
                candidates: many.iter().map(|(i, n)| format!("{i} ({n})")).collect(),
            }),
        }
    }

    /// Name and flag records of one vessel.
    pub fn vessel_events(&self, imo: Imo) -> Result<Vec<VesselEvent>> {
        let mut stmt = self
            .conn
            .prepare("SELECT date, name, flag, kind, source, origin FROM vessel_events WHERE imo = ?1 ORDER BY date")
            .map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map([imo.to_string()], |r| {
                Ok((
                    r.get::<_, Option<String>>(0)?,
                    r.get::<_, Option<String>>(1)?,
                    r.get::<_, Option<String>>(2)?,
                    r.get::<_, String>(3)?,
                    r.get::<_, String>(4)?,
                    r.get::<_, String>(5)?,
                ))
            })
            .map_err(|e| self.err(e))?;
        let mut out = Vec::new();
        for row in rows {
            let (date, name, flag, kind, source, origin) = row.map_err(|e| self.err(e))?;
            out.push(VesselEvent {
                imo,
                date: date.and_then(|d| NaiveDate::parse_from_str(&d, "%Y-%m-%d").ok()),
                name,
                flag,
                kind: EventKind::parse(&kind).unwrap_or(EventKind::Registry),
                source,
                origin,
            });
        }
        Ok(out)
    }

    /// IMO numbers of all vessels the store knows (nodes or events).
    pub fn vessel_imos(&self) -> Result<Vec<Imo>> {
        let mut stmt = self
            .conn
            .prepare("SELECT substr(id, 5) FROM nodes WHERE id LIKE 'imo:%' UNION SELECT imo FROM vessel_events")
            .map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map([], |r| r.get::<_, String>(0))
            .map_err(|e| self.err(e))?;
        let mut out = Vec::new();
        for r in rows {
            if let Ok(imo) = Imo::parse(&r.map_err(|e| self.err(e))?) {
                out.push(imo);
            }
        }
        out.sort();
        out.dedup();
        Ok(out)
    }

    pub fn status(&self) -> Result<StoreStatus> {
        let count = |sql: &str| -> Result<u64> {
            self.conn
                .query_row(sql, [], |r| r.get::<_, i64>(0))
                .map(|v| v.max(0) as u64)
                .map_err(|e| self.err(e))
        };
        let nodes = count("SELECT count(*) FROM nodes")?;
        let designated_nodes = count(&format!(
            "SELECT count(DISTINCT node_id) FROM {LIVE_DESIGNATIONS}"
        ))?;
        let vessel_events = count("SELECT count(*) FROM vessel_events")?;
        let mut stmt = self
            .conn
            .prepare("SELECT kind, count(*) FROM edges GROUP BY kind ORDER BY kind")
            .map_err(|e| self.err(e))?;
        let edges_by_kind = stmt
            .query_map([], |r| {
                Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?.max(0) as u64))
            })
            .map_err(|e| self.err(e))?
            .collect::<std::result::Result<Vec<_>, _>>()
            .map_err(|e| self.err(e))?;
        let mut stmt = self
            .conn
            .prepare("SELECT id, file, kind, imported_at, rows, edges, skipped, added_by FROM batches WHERE replaced_at IS NULL ORDER BY id")
            .map_err(|e| self.err(e))?;
        let batches = stmt
            .query_map([], |r| {
                Ok(BatchInfo {
                    id: r.get(0)?,
                    file: r.get(1)?,
                    kind: r.get(2)?,
                    imported_at: r.get(3)?,
                    rows: r.get(4)?,
                    edges: r.get(5)?,
                    skipped: r.get(6)?,
                    added_by: r.get(7)?,
                })
            })
            .map_err(|e| self.err(e))?
            .collect::<std::result::Result<Vec<_>, _>>()
            .map_err(|e| self.err(e))?;
        Ok(StoreStatus {
            lists: self.followed_lists()?,
            nodes,
            designated_nodes,
            edges_by_kind,
            vessel_events,
            batches,
        })
    }

    fn load(&self, only: Option<&HashSet<String>>) -> rusqlite::Result<Graph> {
        let keep = |id: &str| only.is_none_or(|s| s.contains(id));
        let mut g = Graph::new();
        let mut names: HashMap<String, Vec<String>> = HashMap::new();
        {
            let mut stmt = self.conn.prepare("SELECT node_id, name FROM names")?;
            let rows =
                stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))?;
            for row in rows {
                let (id, name) = row?;
                if keep(&id) {
                    names.entry(id).or_default().push(name);
                }
            }
        }
        let mut designations: HashMap<String, Vec<Designation>> = HashMap::new();
        {
            let mut stmt = self.conn.prepare(&format!(
                "SELECT node_id, list, reference, programs, listed_on FROM {LIVE_DESIGNATIONS}"
            ))?;
            let rows = stmt.query_map([], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, String>(3)?,
                    r.get::<_, Option<String>>(4)?,
                ))
            })?;
            for row in rows {
                let (id, list, reference, programs, listed_on) = row?;
                if keep(&id) {
                    designations.entry(id).or_default().push(Designation {
                        list,
                        reference,
                        programs: programs
                            .split(';')
                            .filter(|p| !p.is_empty())
                            .map(str::to_string)
                            .collect(),
                        listed_on: listed_on
                            .and_then(|d| NaiveDate::parse_from_str(&d, "%Y-%m-%d").ok()),
                    });
                }
            }
        }
        {
            let mut stmt = self
                .conn
                .prepare("SELECT id, kind, name, origin FROM nodes")?;
            let rows = stmt.query_map([], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, String>(3)?,
                ))
            })?;
            for row in rows {
                let (id, kind, name, origin) = row?;
                if !keep(&id) {
                    continue;
                }
                let mut n = Node::new(
                    id.clone(),
                    NodeKind::parse(&kind).unwrap_or(NodeKind::Unknown),
                    name.clone(),
                );
                n.origin = origin;
                n.aliases = names
                    .remove(&id)
                    .unwrap_or_default()
                    .into_iter()
                    .filter(|a| *a != name)
                    .collect();
                n.designations = designations.remove(&id).unwrap_or_default();
                g.add_node(n);
            }
        }
        let mut stmt = self.conn.prepare(
            "SELECT src, dst, kind, share_pct, start, end, source, origin FROM edges ORDER BY id",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, Option<f64>>(3)?,
                r.get::<_, Option<String>>(4)?,
                r.get::<_, Option<String>>(5)?,
                r.get::<_, String>(6)?,
                r.get::<_, String>(7)?,
            ))
        })?;
        let date =
            |d: Option<String>| d.and_then(|d| NaiveDate::parse_from_str(&d, "%Y-%m-%d").ok());
        for row in rows {
            let (src, dst, kind, share, start, end, source, origin) = row?;
            if !(keep(&src) && keep(&dst)) {
                continue;
            }
            let Some(kind) = EdgeKind::parse(&kind) else {
                continue;
            };
            // Both ends were inserted with the edge, so this cannot fail on a store this
            // module wrote; an edge of a hand-edited store with a dangling end is left out.
            let _ = g.add_edge(Edge {
                from: src,
                to: dst,
                kind,
                share_pct: share,
                period: Period {
                    start: date(start),
                    end: date(end),
                },
                source,
                origin,
            });
        }
        Ok(g)
    }
}

fn is_list_label(name: &str) -> bool {
    name.starts_with("list:")
}

/// Ids of the batches in force that match `filter` (one `?1` parameter).
fn active_batches(
    tx: &rusqlite::Transaction<'_>,
    filter: &str,
    value: &str,
) -> rusqlite::Result<Vec<i64>> {
    let mut stmt = tx.prepare(&format!(
        "SELECT id FROM batches WHERE {filter} AND replaced_at IS NULL"
    ))?;
    let rows = stmt.query_map([value], |r| r.get(0))?;
    rows.collect()
}

/// Removes the rows the batches brought; the batches stay, marked replaced (audit).
fn retire_batches(tx: &rusqlite::Transaction<'_>, ids: &[i64]) -> rusqlite::Result<()> {
    let now = chrono::Utc::now().to_rfc3339();
    for id in ids {
        tx.execute("DELETE FROM edges WHERE batch = ?1", [id])?;
        tx.execute("DELETE FROM vessel_events WHERE batch = ?1", [id])?;
        tx.execute("DELETE FROM designations WHERE batch = ?1", [id])?;
        tx.execute(
            "UPDATE batches SET replaced_at = ?2 WHERE id = ?1",
            params![id, now],
        )?;
    }
    Ok(())
}

/// Writes one batch. `from_list`: the batch is a list's part, whose designations take
/// precedence over a user file's copy of the same designation.
fn write_batch(
    tx: &rusqlite::Transaction<'_>,
    batch: ImportBatch,
    kind: &str,
    added_by: Option<&str>,
    from_list: bool,
) -> rusqlite::Result<(i64, ImportReport)> {
    let now = chrono::Utc::now().to_rfc3339();
    tx.execute(
        "INSERT INTO batches(file, kind, imported_at, rows, nodes, edges, events, skipped, added_by) VALUES (?1, ?2, ?3, ?4, 0, 0, 0, ?5, ?6)",
        params![batch.file, kind, now, batch.rows as i64, batch.skipped.len() as i64, added_by],
    )?;
    let batch_id = tx.last_insert_rowid();

    let mut report = ImportReport {
        file: batch.file.clone(),
        rows: batch.rows,
        skipped: batch.skipped.clone(),
        ..ImportReport::default()
    };
    let rename = resolve_user_names(tx, &batch.nodes, &mut report)?;
    write_nodes(tx, &batch.nodes, &rename, batch_id, from_list, &mut report)?;
    write_edges(tx, &batch.edges, &rename, batch_id, &mut report)?;
    write_vessel_events(tx, &batch.vessel_events, batch_id, &mut report)?;
    tx.execute(
        "UPDATE batches SET nodes = ?2, edges = ?3, events = ?4 WHERE id = ?1",
        params![
            batch_id,
            report.nodes_added as i64,
            report.edges_added as i64,
            report.vessel_events_added as i64
        ],
    )?;
    Ok((batch_id, report))
}

/// The list ids that `user:` nodes of a batch stand for, by their user id.
///
/// A name written in a user file that equals a designated organization's or vessel's
/// name or alias (after normalization) refers to that entry. Several such entries (the
/// same company on the UN and OFAC lists) → the first id, all reported. Person names are
/// never linked automatically: a name does not identify a person; they are reported so
/// the user can write the list id instead.
fn resolve_user_names(
    tx: &rusqlite::Transaction<'_>,
    nodes: &[Node],
    report: &mut ImportReport,
) -> rusqlite::Result<HashMap<String, String>> {
    let mut rename: HashMap<String, String> = HashMap::new();
    let mut lookup = tx.prepare(
        "SELECT DISTINCT n.node_id, nd.kind FROM names n JOIN designations d ON d.node_id = n.node_id JOIN nodes nd ON nd.id = n.node_id WHERE n.norm = ?1 ORDER BY n.node_id",
    )?;
    for node in nodes {
        if !node.id.starts_with("user:") || rename.contains_key(&node.id) {
            continue;
        }
        let hits: Vec<(String, String)> = lookup
            .query_map([normalize_name(&node.name)], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<rusqlite::Result<_>>()?;
        let (people, others): (Vec<_>, Vec<_>) =
            hits.into_iter().partition(|(_, kind)| kind == "person");
        if let Some((first, _)) = others.first() {
            rename.insert(node.id.clone(), first.clone());
            report.resolved_by_name.push(NameResolution {
                name: node.name.clone(),
                candidates: others.iter().map(|(id, _)| id.clone()).collect(),
            });
        } else if !people.is_empty() && !report.ambiguous_names.iter().any(|a| a.name == node.name)
        {
            report.ambiguous_names.push(NameResolution {
                name: node.name.clone(),
                candidates: people.into_iter().map(|(id, _)| id).collect(),
            });
        }
    }
    Ok(rename)
}

/// The id a batch's node id is stored under: the list id it was resolved to, else itself.
#[inline]
fn stored_id(rename: &HashMap<String, String>, id: &str) -> String {
    rename.get(id).cloned().unwrap_or_else(|| id.to_string())
}

/// Adds the batch's nodes that are new, sets the kind of known nodes of unknown kind, and
/// records every node's names and designations (a list's designations replace a user
/// file's copy, a user file's never replace).
fn write_nodes(
    tx: &rusqlite::Transaction<'_>,
    nodes: &[Node],
    rename: &HashMap<String, String>,
    batch_id: i64,
    from_list: bool,
    report: &mut ImportReport,
) -> rusqlite::Result<()> {
    let mut exists = tx.prepare("SELECT kind FROM nodes WHERE id = ?1")?;
    let mut insert =
        tx.prepare("INSERT INTO nodes(id, kind, name, origin) VALUES (?1, ?2, ?3, ?4)")?;
    let mut set_kind =
        tx.prepare("UPDATE nodes SET kind = ?2 WHERE id = ?1 AND kind = 'unknown'")?;
    let mut add_name =
        tx.prepare("INSERT OR IGNORE INTO names(node_id, name, norm) VALUES (?1, ?2, ?3)")?;
    let mut add_designation = tx.prepare(&format!(
        "INSERT OR {} INTO designations(node_id, list, reference, programs, listed_on, batch) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        if from_list { "REPLACE" } else { "IGNORE" }
    ))?;
    for node in nodes {
        let id = stored_id(rename, &node.id);
        let existing: Option<String> = exists.query_row([&id], |r| r.get(0)).optional()?;
        match existing {
            None => {
                insert.execute(params![id, node.kind.as_str(), node.name, node.origin])?;
                report.nodes_added += 1;
            }
            Some(_) if node.kind != NodeKind::Unknown => {
                set_kind.execute(params![id, node.kind.as_str()])?;
            }
            Some(_) => {}
        }
        // Placeholder names of id references (`ofac:9345`) are not names.
        if node.name != node.id {
            for n in std::iter::once(&node.name).chain(node.aliases.iter()) {
                let norm = normalize_name(n);
                if !norm.is_empty() {
                    add_name.execute(params![id, n, norm])?;
                }
            }
        }
        for d in &node.designations {
            add_designation.execute(params![
                id,
                d.list,
                d.reference,
                d.programs.join(";"),
                d.listed_on.map(|x| x.to_string()),
                batch_id
            ])?;
        }
    }
    Ok(())
}

/// Adds the batch's edges, their ends under their stored ids.
fn write_edges(
    tx: &rusqlite::Transaction<'_>,
    edges: &[Edge],
    rename: &HashMap<String, String>,
    batch_id: i64,
    report: &mut ImportReport,
) -> rusqlite::Result<()> {
    let mut insert = tx.prepare(
        "INSERT INTO edges(src, dst, kind, share_pct, start, end, source, origin, batch) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    )?;
    for e in edges {
        insert.execute(params![
            stored_id(rename, &e.from),
            stored_id(rename, &e.to),
            e.kind.as_str(),
            e.share_pct,
            e.period.start.map(|d| d.to_string()),
            e.period.end.map(|d| d.to_string()),
            e.source,
            e.origin,
            batch_id
        ])?;
        report.edges_added += 1;
    }
    Ok(())
}

/// Adds the batch's vessel name and flag records.
fn write_vessel_events(
    tx: &rusqlite::Transaction<'_>,
    events: &[VesselEvent],
    batch_id: i64,
    report: &mut ImportReport,
) -> rusqlite::Result<()> {
    let mut insert = tx.prepare(
        "INSERT INTO vessel_events(imo, date, name, flag, kind, source, origin, batch) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    )?;
    for ev in events {
        insert.execute(params![
            ev.imo.to_string(),
            ev.date.map(|d| d.to_string()),
            ev.name,
            ev.flag,
            ev.kind.as_str(),
            ev.source,
            ev.origin,
            batch_id
        ])?;
        report.vessel_events_added += 1;
    }
    Ok(())
}
