//! `<data dir>/book.sqlite`: records, their index keys, the list entries as last screened,
//! alerts and decisions. Every change is one transaction, so a killed process leaves the
//! previous state.
//!
//! An alert row is one (record, list entry) pair at one content of each (their SHA-256
//! hashes). A pair has at most one current row; when either side changes, the row is
//! `superseded` and the pair, screened again, gets a new row if it still hits. A new row
//! starts `open`, unless a `false_positive` decision exists for exactly that pair of
//! contents: a cleared hit stays cleared until the record or the entry changes.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rusqlite::{params, Connection, OptionalExtension, Transaction};
use serde::Serialize;

use embargo_screen::{Entity, Hit, ListStore, Matcher, Source, Thresholds, TokenFrequencies};

use crate::error::{BookError, Result};
use crate::record::{entity_hash, BookRecord};

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS records(
  rid INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, hash TEXT NOT NULL, body TEXT NOT NULL,
  imo TEXT, document TEXT);
CREATE INDEX IF NOT EXISTS records_imo ON records(imo) WHERE imo IS NOT NULL;
CREATE INDEX IF NOT EXISTS records_document ON records(document) WHERE document IS NOT NULL;
CREATE TABLE IF NOT EXISTS record_keys(
  key TEXT NOT NULL, rid INTEGER NOT NULL, PRIMARY KEY(key, rid)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS list_entries(
  source TEXT NOT NULL, entity_id TEXT NOT NULL, hash TEXT NOT NULL,
  PRIMARY KEY(source, entity_id)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS followed(source TEXT PRIMARY KEY, version TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS alerts(
  id INTEGER PRIMARY KEY AUTOINCREMENT, record_id TEXT NOT NULL, record_hash TEXT NOT NULL,
  source TEXT NOT NULL, entity_id TEXT NOT NULL, entity_hash TEXT NOT NULL,
  entity_name TEXT NOT NULL, list_version TEXT NOT NULL, score REAL NOT NULL,
  decision TEXT NOT NULL, hit TEXT NOT NULL, status TEXT NOT NULL, created_at TEXT NOT NULL,
  closed_at TEXT, closed_reason TEXT);
CREATE INDEX IF NOT EXISTS alerts_pair ON alerts(record_id, source, entity_id)
  WHERE status <> 'superseded';
CREATE INDEX IF NOT EXISTS alerts_entry ON alerts(source, entity_id)
  WHERE status <> 'superseded';
CREATE INDEX IF NOT EXISTS alerts_status ON alerts(status);
CREATE TABLE IF NOT EXISTS decisions(
  id INTEGER PRIMARY KEY AUTOINCREMENT, alert_id INTEGER NOT NULL, record_id TEXT NOT NULL,
  record_hash TEXT NOT NULL, source TEXT NOT NULL, entity_id TEXT NOT NULL,
  entity_hash TEXT NOT NULL, verdict TEXT NOT NULL, reason TEXT NOT NULL,
  reviewer TEXT NOT NULL, decided_at TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS decisions_pair ON decisions(record_id, source, entity_id);
";

/// Where an alert stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum AlertStatus {
    /// Waiting for review.
    Open,
    /// Reviewed and sent up: still waiting for a final decision.
    Escalated,
    /// Reviewed: the record is the listed entry.
    TrueMatch,
    /// Reviewed: not the listed entry; cleared for these contents of both.
    FalsePositive,
    /// The record or the entry changed (or the pair no longer hits): a newer row, if any,
    /// speaks for the pair.
    Superseded,
}

impl AlertStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            AlertStatus::Open => "open",
            AlertStatus::Escalated => "escalated",
            AlertStatus::TrueMatch => "true_match",
            AlertStatus::FalsePositive => "false_positive",
            AlertStatus::Superseded => "superseded",
        }
    }

    fn parse(s: &str) -> Option<AlertStatus> {
        [
            AlertStatus::Open,
            AlertStatus::Escalated,
            AlertStatus::TrueMatch,
            AlertStatus::FalsePositive,
            AlertStatus::Superseded,
        ]
        .into_iter()
        .find(|a| a.as_str() == s)
    }

    /// Waiting for someone: open or escalated.
    pub fn is_open(self) -> bool {
        matches!(self, AlertStatus::Open | AlertStatus::Escalated)
    }
}

/// A reviewer's verdict on an alert.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    TrueMatch,
    FalsePositive,
    Escalate,
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::TrueMatch => "true_match",
            Verdict::FalsePositive => "false_positive",
            Verdict::Escalate => "escalate",
        }
    }

    /// `true-match`, `false-positive` or `escalate` (underscores accepted too).
    pub fn parse(s: &str) -> Option<Verdict> {
        match s.trim().to_ascii_lowercase().replace('_', "-").as_str() {
            "true-match" => Some(Verdict::TrueMatch),
            "false-positive" => Some(Verdict::FalsePositive),
            "escalate" => Some(Verdict::Escalate),
            _ => None,
        }
    }

    fn status(self) -> AlertStatus {
        match self {
            Verdict::TrueMatch => AlertStatus::TrueMatch,
            Verdict::FalsePositive => AlertStatus::FalsePositive,
            Verdict::Escalate => AlertStatus::Escalated,
        }
    }
}

/// An alert: a book record that hits a list entry, with the hit's explanation.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Alert {
    pub id: i64,
    pub status: AlertStatus,
    pub record_id: String,
    pub record_hash: String,
    pub source: String,
    pub entity_id: String,
    pub entity_hash: String,
    pub entity_name: String,
    /// The list version the hit was found in.
    pub list_version: String,
    pub score: f64,
    /// `match` or `review`, by the matcher's thresholds.
    pub decision: String,
    /// The matcher's hit: matched name, token pairs, features and their contributions.
    pub hit: serde_json::Value,
    pub created_at: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub closed_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub closed_reason: Option<String>,
}

/// A decision as recorded.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct DecisionRecord {
    pub id: i64,
    pub alert_id: i64,
    pub record_id: String,
    pub record_hash: String,
    pub source: String,
    pub entity_id: String,
    pub entity_hash: String,
    pub verdict: Verdict,
    pub reason: String,
    pub reviewer: String,
    pub decided_at: String,
}

/// What an import changed.
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct ImportReport {
    pub records: usize,
    pub added: usize,
    pub changed: usize,
    pub removed: usize,
    pub unchanged: usize,
    /// Records screened (added and changed ones, when lists are imported).
    pub screened: usize,
    /// Alerts that became open, and alerts closed because their record changed or left.
    pub new_alerts: usize,
    pub closed_alerts: usize,
    /// The list change applied first, if the lists had changed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lists: Option<FollowReport>,
}

/// What following a list change did.
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct FollowReport {
    /// `delta`, or `full` (first screening, or a change too large to be worth a delta).
    pub mode: String,
    /// The list versions now followed, by source.
    pub versions: std::collections::BTreeMap<String, String>,
    pub entries_added: usize,
    pub entries_changed: usize,
    pub entries_removed: usize,
    /// Book records screened again.
    pub records_screened: usize,
    pub new_alerts: usize,
    pub closed_alerts: usize,
}

/// What a full screening did.
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct ScreenReport {
    pub records_screened: usize,
    pub entries: usize,
    pub new_alerts: usize,
    pub closed_alerts: usize,
    pub open_alerts: usize,
}

/// The book in `<data dir>/book.sqlite`.
pub struct Book {
    conn: Connection,
    path: PathBuf,
    thresholds: Thresholds,
    /// A list change that adds or changes more than this share of the active entries is
    /// applied by a full screening, which also weighs tokens anew (a whole new list brings
    /// its own token frequencies); 0.10 by default.
    pub reweigh_share: f64,
}

/// Changes counted while settling pairs.
#[derive(Default)]
struct Tally {
    new_alerts: usize,
    closed_alerts: usize,
}

fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// List version name by source (`un`, `ofac`).
pub type Versions = std::collections::BTreeMap<String, String>;

/// Where the book reads the lists it screens against: the list store of the data
/// directory, or entries held in memory (tests, benchmarks).
pub trait ListSource {
    /// The active version of each list (cheap: the book compares them before loading).
    fn versions(&self) -> Result<Versions>;
    /// The entries of the active lists and their versions.
    fn entities(&self) -> Result<(Vec<Entity>, Versions)>;
}

impl ListSource for ListStore {
    fn versions(&self) -> Result<Versions> {
        Ok(self
            .active_versions()?
            .into_iter()
            .map(|(s, v)| (s.as_str().to_string(), v))
            .collect())
    }

    fn entities(&self) -> Result<(Vec<Entity>, Versions)> {
        let mut entities = Vec::new();
        let mut versions = Versions::new();
        for s in [Source::Un, Source::Ofac] {
            if let (Some(v), Some(snap)) = (self.active_version(s)?, self.load_active(s)?) {
                versions.insert(s.as_str().to_string(), v);
                entities.extend(snap.entities);
            }
        }
        Ok((entities, versions))
    }
}

/// Lists held in memory: entries and the version names they stand for.
#[derive(Debug, Clone, Default)]
pub struct MemoryLists {
    pub entities: Vec<Entity>,
    pub versions: Versions,
}

impl ListSource for MemoryLists {
    fn versions(&self) -> Result<Versions> {
        Ok(self.versions.clone())
    }

    fn entities(&self) -> Result<(Vec<Entity>, Versions)> {
        Ok((self.entities.clone(), self.versions.clone()))
    }
}

/// The active lists: entries, their content hashes and versions.
struct ActiveLists {
    entities: Vec<Entity>,
    hashes: Vec<String>,
    versions: Versions,
}

fn active_lists(lists: &impl ListSource) -> Result<ActiveLists> {
    let (entities, versions) = lists.entities()?;
    let hashes = entities.iter().map(entity_hash).collect();
    Ok(ActiveLists {
        entities,
        hashes,
        versions,
    })
}

impl Book {
    /// Open (or create) the book of a data directory.
    pub fn open(data_dir: &Path) -> Result<Book> {
        let path = data_dir.join("book.sqlite");
        std::fs::create_dir_all(data_dir).map_err(|source| BookError::Io {
            file: data_dir.to_path_buf(),
            source,
        })?;
        let conn = Connection::open(&path).map_err(|source| BookError::Sqlite {
            file: path.clone(),
            source,
        })?;
        let book = Book {
            conn,
            path,
            thresholds: Thresholds::default(),
            reweigh_share: 0.10,
        };
        book.conn
            .execute_batch(&format!("PRAGMA journal_mode=WAL; {SCHEMA}"))
            .map_err(|e| book.sql(e))?;
        Ok(book)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    fn sql(&self, source: rusqlite::Error) -> BookError {
        BookError::Sqlite {
            file: self.path.clone(),
            source,
        }
    }

    fn corrupt(&self, message: impl Into<String>) -> BookError {
        BookError::Corrupt {
            file: self.path.clone(),
            message: message.into(),
        }
    }

    /// The token frequencies pinned at the last full screening.
    fn frequencies(&self) -> Result<Option<TokenFrequencies>> {
        let text: Option<String> = self
            .conn
            .query_row(
                "SELECT value FROM meta WHERE key = 'frequencies'",
                [],
                |r| r.get(0),
            )
            .optional()
            .map_err(|e| self.sql(e))?;
        text.map(|t| {
            serde_json::from_str(&t).map_err(|e| self.corrupt(format!("frequencies: {e}")))
        })
        .transpose()
    }

    fn followed(&self) -> Result<std::collections::BTreeMap<String, String>> {
        let mut stmt = self
            .conn
            .prepare("SELECT source, version FROM followed")
            .map_err(|e| self.sql(e))?;
        let rows = stmt
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .map_err(|e| self.sql(e))?;
        rows.collect::<rusqlite::Result<_>>()
            .map_err(|e| self.sql(e))
    }

    /// Every record, in id order.
    pub fn records(&self) -> Result<Vec<BookRecord>> {
        let mut stmt = self
            .conn
            .prepare("SELECT body FROM records ORDER BY id")
            .map_err(|e| self.sql(e))?;
        let bodies: Vec<String> = stmt
            .query_map([], |r| r.get(0))
            .map_err(|e| self.sql(e))?
            .collect::<rusqlite::Result<_>>()
            .map_err(|e| self.sql(e))?;
        bodies
            .iter()
            .map(|b| serde_json::from_str(b).map_err(|e| self.corrupt(format!("record: {e}"))))
            .collect()
    }

    /// One record.
    pub fn record(&self, id: &str) -> Result<BookRecord> {
        let body: Option<String> = self
            .conn
            .query_row("SELECT body FROM records WHERE id = ?1", [id], |r| r.get(0))
            .optional()
            .map_err(|e| self.sql(e))?;
        let body = body.ok_or_else(|| BookError::NoRecord(id.to_string()))?;
        serde_json::from_str(&body).map_err(|e| self.corrupt(format!("record {id}: {e}")))
    }

    /// Alerts, newest first: the current ones (not superseded), only the open and
    /// escalated ones with `open_only`, or one record's with `record`.
    pub fn alerts(&self, open_only: bool, record: Option<&str>) -> Result<Vec<Alert>> {
        let status = if open_only {
            "status IN ('open', 'escalated')"
        } else {
            "status <> 'superseded'"
        };
        let sql = format!(
            "SELECT {ALERT_COLUMNS} FROM alerts WHERE {status} AND (?1 IS NULL OR record_id = ?1) ORDER BY id DESC"
        );
        let mut stmt = self.conn.prepare(&sql).map_err(|e| self.sql(e))?;
        let rows = stmt
            .query_map([record], alert_row)
            .map_err(|e| self.sql(e))?
            .collect::<rusqlite::Result<Vec<_>>>()
            .map_err(|e| self.sql(e))?;
        Ok(rows)
    }

    /// One alert, whatever its status.
    pub fn alert(&self, id: i64) -> Result<Alert> {
        self.conn
            .query_row(
                &format!("SELECT {ALERT_COLUMNS} FROM alerts WHERE id = ?1"),
                [id],
                alert_row,
            )
            .optional()
            .map_err(|e| self.sql(e))?
            .ok_or(BookError::NoAlert(id))
    }

    /// Decisions taken on one record's alerts, oldest first.
    pub fn decisions(&self, record: Option<&str>) -> Result<Vec<DecisionRecord>> {
        let mut stmt = self
            .conn
            .prepare(
                "SELECT id, alert_id, record_id, record_hash, source, entity_id, entity_hash,
                        verdict, reason, reviewer, decided_at
                 FROM decisions WHERE (?1 IS NULL OR record_id = ?1) ORDER BY id",
            )
            .map_err(|e| self.sql(e))?;
        let rows = stmt
            .query_map([record], |r| {
                let verdict: String = r.get(7)?;
                Ok(DecisionRecord {
                    id: r.get(0)?,
                    alert_id: r.get(1)?,
                    record_id: r.get(2)?,
                    record_hash: r.get(3)?,
                    source: r.get(4)?,
                    entity_id: r.get(5)?,
                    entity_hash: r.get(6)?,
                    verdict: Verdict::parse(&verdict).unwrap_or(Verdict::Escalate),
                    reason: r.get(8)?,
                    reviewer: r.get(9)?,
                    decided_at: r.get(10)?,
                })
            })
            .map_err(|e| self.sql(e))?
            .collect::<rusqlite::Result<Vec<_>>>()
            .map_err(|e| self.sql(e))?;
        Ok(rows)
    }

    /// Record a reviewer's verdict on an open or escalated alert. A false positive clears
    /// the pair for these contents of record and entry.
    pub fn decide(
        &mut self,
        alert_id: i64,
        verdict: Verdict,
        reason: &str,
        reviewer: &str,
    ) -> Result<DecisionRecord> {
        if reason.trim().is_empty() {
            return Err(BookError::NoReason);
        }
        let alert = self.alert(alert_id)?;
        if !alert.status.is_open() {
            return Err(BookError::AlertClosed {
                id: alert_id,
                status: alert.status.as_str().to_string(),
            });
        }
        let decided_at = now();
        let path = self.path.clone();
        let sql = |source| BookError::Sqlite {
            file: path.clone(),
            source,
        };
        let tx = self.conn.transaction().map_err(sql)?;
        tx.execute(
            "INSERT INTO decisions(alert_id, record_id, record_hash, source, entity_id,
               entity_hash, verdict, reason, reviewer, decided_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
            params![
                alert_id,
                alert.record_id,
                alert.record_hash,
                alert.source,
                alert.entity_id,
                alert.entity_hash,
                verdict.as_str(),
                reason.trim(),
                reviewer,
                decided_at
            ],
        )
        .map_err(sql)?;
        let id = tx.last_insert_rowid();
        let status = verdict.status();
        let closed = (!status.is_open()).then(|| decided_at.clone());
        tx.execute(
            "UPDATE alerts SET status = ?2, closed_at = ?3, closed_reason = ?4 WHERE id = ?1",
            params![
                alert_id,
                status.as_str(),
                closed,
                closed.as_ref().map(|_| verdict.as_str())
            ],
        )
        .map_err(sql)?;
        tx.commit().map_err(sql)?;
        Ok(DecisionRecord {
            id,
            alert_id,
            record_id: alert.record_id,
            record_hash: alert.record_hash,
            source: alert.source,
            entity_id: alert.entity_id,
            entity_hash: alert.entity_hash,
            verdict,
            reason: reason.trim().to_string(),
            reviewer: reviewer.to_string(),
            decided_at,
        })
    }

    /// Replace the book with `records` (by id: new ids are added, known ids with other
    /// content changed, ids no longer given removed), after following any list change, and
    /// screen the added and changed records against the active lists. One transaction.
    pub fn import(
        &mut self,
        records: Vec<BookRecord>,
        lists: &impl ListSource,
    ) -> Result<ImportReport> {
        let anything = embargo_screen::ImportOptions {
            max_shrink: 1.0,
            allow_shrink: true,
        };
        self.import_with(records, lists, anything)
    }

    /// [`Book::import`], refused (nothing changed) when the records would remove more
    /// than `guard.max_shrink` of the book's records, unless `guard.allow_shrink`: a cut
    /// or partial file must not empty the book.
    pub fn import_with(
        &mut self,
        records: Vec<BookRecord>,
        lists: &impl ListSource,
        guard: embargo_screen::ImportOptions,
    ) -> Result<ImportReport> {
        let follow = self.follow_lists(lists)?;
        let mut known: HashMap<String, String> = HashMap::new();
        {
            let mut stmt = self
                .conn
                .prepare("SELECT id, hash FROM records")
                .map_err(|e| self.sql(e))?;
            let rows = stmt
                .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))
                .map_err(|e| self.sql(e))?;
            for row in rows {
                let (id, hash) = row.map_err(|e| self.sql(e))?;
                known.insert(id, hash);
            }
        }
        let mut report = ImportReport {
            records: records.len(),
            lists: follow,
            ..ImportReport::default()
        };
        let given: HashSet<&str> = records.iter().map(|r| r.id.as_str()).collect();
        let removed: Vec<String> = known
            .keys()
            .filter(|id| !given.contains(id.as_str()))
            .cloned()
            .collect();
        let mut fresh: Vec<(BookRecord, String)> = Vec::new();
        for r in records {
            let hash = r.content_hash();
            match known.get(&r.id) {
                Some(h) if *h == hash => report.unchanged += 1,
                Some(_) => {
                    report.changed += 1;
                    fresh.push((r, hash));
                }
                None => {
                    report.added += 1;
                    fresh.push((r, hash));
                }
            }
        }
        report.removed = removed.len();
        if !guard.allow_shrink
            && !known.is_empty()
            && removed.len() as f64 > guard.max_shrink * known.len() as f64
        {
            return Err(BookError::Shrink {
                removed: removed.len(),
                records: known.len(),
                max_share: guard.max_shrink,
            });
        }
        let keys = prepare_records(&fresh)?;
        let freq = self.frequencies()?;
        let screening = match (&freq, fresh.is_empty()) {
            (Some(f), false) => {
                let active = active_lists(lists)?;
                let versions = active.versions.clone();
                let by_index: Vec<(Source, String, String)> = active
                    .entities
                    .iter()
                    .zip(&active.hashes)
                    .map(|(e, h)| (e.source, e.id.clone(), h.clone()))
                    .collect();
                let matcher = Matcher::pairwise(active.entities, Arc::new(f.clone()));
                let hits = screen_records(&matcher, &self.thresholds, &fresh)?;
                Some((hits, by_index, versions))
            }
            _ => None,
        };
        let path = self.path.clone();
        let sql = |source| BookError::Sqlite {
            file: path.clone(),
            source,
        };
        let tx = self.conn.transaction().map_err(sql)?;
        let mut tally = Tally::default();
        let at = now();
        for id in &removed {
            tally.closed_alerts +=
                supersede_where(&tx, "record_id = ?1", params![id], "record removed", &at)
                    .map_err(sql)?;
            tx.execute(
                "DELETE FROM record_keys WHERE rid = (SELECT rid FROM records WHERE id = ?1)",
                [id],
            )
            .map_err(sql)?;
            tx.execute("DELETE FROM records WHERE id = ?1", [id])
                .map_err(sql)?;
        }
        for ((r, hash), k) in fresh.iter().zip(&keys) {
            tally.closed_alerts += supersede_where(
                &tx,
                "record_id = ?1 AND record_hash <> ?2",
                params![r.id, hash],
                "record changed",
                &at,
            )
            .map_err(sql)?;
            store_record(&tx, r, hash, k).map_err(sql)?;
        }
        if let Some((hits, by_index, versions)) = &screening {
            report.screened = fresh.len();
            settle_hits(&tx, &fresh, hits, by_index, versions, &at, &mut tally).map_err(sql)?;
        }
        tx.commit().map_err(sql)?;
        report.new_alerts = tally.new_alerts;
        report.closed_alerts = tally.closed_alerts;
        Ok(report)
    }

    /// Apply the change of the active lists since the book last followed them: by delta
    /// (book records that can reach an added or changed entry are screened against those
    /// entries alone; alerts of changed and removed entries are closed or renewed), or by a
    /// full screening the first time and when the change is large (see `reweigh_share`).
    /// `None` when nothing changed (a comparison of version names).
    pub fn follow_lists(&mut self, lists: &impl ListSource) -> Result<Option<FollowReport>> {
        let active_versions = lists.versions()?;
        if active_versions == self.followed()? {
            return Ok(None);
        }
        let Some(freq) = self.frequencies()? else {
            let full = self.screen_all(lists, true)?;
            return Ok(Some(FollowReport {
                mode: "full".into(),
                versions: active_versions,
                entries_added: full.entries,
                records_screened: full.records_screened,
                new_alerts: full.new_alerts,
                closed_alerts: full.closed_alerts,
                ..FollowReport::default()
            }));
        };
        let active = active_lists(lists)?;
        let mut stored: HashMap<(String, String), String> = HashMap::new();
        {
            let mut stmt = self
                .conn
                .prepare("SELECT source, entity_id, hash FROM list_entries")
                .map_err(|e| self.sql(e))?;
            let rows = stmt
                .query_map([], |r| Ok(((r.get(0)?, r.get(1)?), r.get(2)?)))
                .map_err(|e| self.sql(e))?;
            for row in rows {
                let (k, v) = row.map_err(|e| self.sql(e))?;
                stored.insert(k, v);
            }
        }
        let mut report = FollowReport {
            mode: "delta".into(),
            versions: active.versions.clone(),
            ..FollowReport::default()
        };
        let mut changed: Vec<Entity> = Vec::new();
        let mut changed_keys: Vec<(Source, String, String)> = Vec::new();
        let mut present: HashSet<(String, String)> = HashSet::new();
        for (e, h) in active.entities.iter().zip(&active.hashes) {
            let key = (e.source.as_str().to_string(), e.id.clone());
            match stored.get(&key) {
                Some(old) if old == h => {}
                Some(_) => report.entries_changed += 1,
                None => report.entries_added += 1,
            }
            if stored.get(&key) != Some(h) {
                changed.push(e.clone());
                changed_keys.push((e.source, e.id.clone(), h.clone()));
            }
            present.insert(key);
        }
        let removed: Vec<(String, String)> = stored
            .keys()
            .filter(|k| !present.contains(*k))
            .cloned()
            .collect();
        report.entries_removed = removed.len();
        let moved = changed.len() + removed.len();
        if moved as f64 > self.reweigh_share * active.entities.len().max(1) as f64 {
            let full = self.screen_all(lists, true)?;
            report.mode = "full".into();
            report.records_screened = full.records_screened;
            report.new_alerts = full.new_alerts;
            report.closed_alerts = full.closed_alerts;
            return Ok(Some(report));
        }
        let matcher = Matcher::pairwise(changed, Arc::new(freq));
        let candidates = self.candidates(&matcher)?;
        report.records_screened = candidates.len();
        let hits = screen_records(&matcher, &self.thresholds, &candidates)?;
        let path = self.path.clone();
        let sql = |source| BookError::Sqlite {
            file: path.clone(),
            source,
        };
        let at = now();
        let mut tally = Tally::default();
        let tx = self.conn.transaction().map_err(sql)?;
        for (source, id) in &removed {
            tally.closed_alerts += supersede_where(
                &tx,
                "source = ?1 AND entity_id = ?2",
                params![source, id],
                "entry removed",
                &at,
            )
            .map_err(sql)?;
            tx.execute(
                "DELETE FROM list_entries WHERE source = ?1 AND entity_id = ?2",
                params![source, id],
            )
            .map_err(sql)?;
        }
        for (source, id, hash) in &changed_keys {
            tally.closed_alerts += supersede_where(
                &tx,
                "source = ?1 AND entity_id = ?2 AND entity_hash <> ?3",
                params![source.as_str(), id, hash],
                "entry changed",
                &at,
            )
            .map_err(sql)?;
            tx.execute(
                "INSERT OR REPLACE INTO list_entries(source, entity_id, hash) VALUES (?1, ?2, ?3)",
                params![source.as_str(), id, hash],
            )
            .map_err(sql)?;
        }
        settle_hits(
            &tx,
            &candidates,
            &hits,
            &changed_keys,
            &active.versions,
            &at,
            &mut tally,
        )
        .map_err(sql)?;
        set_followed(&tx, &active.versions).map_err(sql)?;
        tx.commit().map_err(sql)?;
        report.new_alerts = tally.new_alerts;
        report.closed_alerts = tally.closed_alerts;
        Ok(Some(report))
    }

    /// Book records that share an index key, IMO or document with an entry of `matcher`.
    fn candidates(&self, matcher: &Matcher) -> Result<Vec<(BookRecord, String)>> {
        let mut rids: HashSet<i64> = HashSet::new();
        {
            let mut by_key = self
                .conn
                .prepare_cached("SELECT rid FROM record_keys WHERE key = ?1")
                .map_err(|e| self.sql(e))?;
            for key in matcher.posting_keys() {
                let rows = by_key
                    .query_map([key], |r| r.get::<_, i64>(0))
                    .map_err(|e| self.sql(e))?;
                for rid in rows {
                    rids.insert(rid.map_err(|e| self.sql(e))?);
                }
            }
            let (imos, documents) = matcher.identifier_keys();
            for (column, values) in [("imo", imos), ("document", documents)] {
                let mut stmt = self
                    .conn
                    .prepare_cached(&format!("SELECT rid FROM records WHERE {column} = ?1"))
                    .map_err(|e| self.sql(e))?;
                for v in values {
                    let rows = stmt
                        .query_map([v], |r| r.get::<_, i64>(0))
                        .map_err(|e| self.sql(e))?;
                    for rid in rows {
                        rids.insert(rid.map_err(|e| self.sql(e))?);
                    }
                }
            }
        }
        let mut rids: Vec<i64> = rids.into_iter().collect();
        rids.sort_unstable();
        let mut stmt = self
            .conn
            .prepare_cached("SELECT body, hash FROM records WHERE rid = ?1")
            .map_err(|e| self.sql(e))?;
        let mut out = Vec::with_capacity(rids.len());
        for rid in rids {
            let (body, hash): (String, String) = stmt
                .query_row([rid], |r| Ok((r.get(0)?, r.get(1)?)))
                .map_err(|e| self.sql(e))?;
            let record: BookRecord = serde_json::from_str(&body)
                .map_err(|e| self.corrupt(format!("record {rid}: {e}")))?;
            out.push((record, hash));
        }
        Ok(out)
    }

    /// Screen every record against the whole of the active lists (the reference the
    /// delta is held to). With `reweigh`, token weights are taken anew from the active
    /// lists and pinned for the deltas that follow; without, the pinned ones are used.
    pub fn screen_all(&mut self, lists: &impl ListSource, reweigh: bool) -> Result<ScreenReport> {
        let active = active_lists(lists)?;
        let pinned = self.frequencies()?;
        let freq = match pinned {
            Some(f) if !reweigh => Some(f),
            _ if active.entities.is_empty() => None,
            _ => Some(Matcher::new(active.entities.clone()).frequencies()),
        };
        let records: Vec<(BookRecord, String)> = self
            .records()?
            .into_iter()
            .map(|r| {
                let h = r.content_hash();
                (r, h)
            })
            .collect();
        let keys: Vec<(Source, String, String)> = active
            .entities
            .iter()
            .zip(&active.hashes)
            .map(|(e, h)| (e.source, e.id.clone(), h.clone()))
            .collect();
        let hits = match &freq {
            Some(f) => {
                let matcher = Matcher::pairwise(active.entities, Arc::new(f.clone()));
                screen_records(&matcher, &self.thresholds, &records)?
            }
            None => vec![Vec::new(); records.len()],
        };
        let path = self.path.clone();
        let sql = |source| BookError::Sqlite {
            file: path.clone(),
            source,
        };
        let at = now();
        let mut tally = Tally::default();
        let tx = self.conn.transaction().map_err(sql)?;
        let hit_pairs: HashSet<(String, String, String)> = settle_hits(
            &tx,
            &records,
            &hits,
            &keys,
            &active.versions,
            &at,
            &mut tally,
        )
        .map_err(sql)?
        .into_iter()
        .collect();
        // Current rows whose pair no longer hits.
        let stale: Vec<(i64, String, String, String)> = {
            let mut stmt = tx
                .prepare(
                    "SELECT id, record_id, source, entity_id FROM alerts WHERE status <> 'superseded'",
                )
                .map_err(sql)?;
            let rows = stmt
                .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
                .map_err(sql)?;
            rows.collect::<rusqlite::Result<Vec<_>>>().map_err(sql)?
        };
        for (id, record, source, entity) in stale {
            if !hit_pairs.contains(&(record, source, entity)) {
                tally.closed_alerts +=
                    supersede_where(&tx, "id = ?1", params![id], "no longer a hit", &at)
                        .map_err(sql)?;
            }
        }
        tx.execute("DELETE FROM list_entries", []).map_err(sql)?;
        {
            let mut ins = tx
                .prepare("INSERT OR REPLACE INTO list_entries(source, entity_id, hash) VALUES (?1, ?2, ?3)")
                .map_err(sql)?;
            for (source, id, hash) in &keys {
                ins.execute(params![source.as_str(), id, hash])
                    .map_err(sql)?;
            }
        }
        if let Some(f) = &freq {
            let text = serde_json::to_string(f).map_err(|e| BookError::Corrupt {
                file: path.clone(),
                message: e.to_string(),
            })?;
            tx.execute(
                "INSERT OR REPLACE INTO meta(key, value) VALUES ('frequencies', ?1)",
                [text],
            )
            .map_err(sql)?;
        }
        set_followed(&tx, &active.versions).map_err(sql)?;
        tx.commit().map_err(sql)?;
        let open_alerts = self.alerts(true, None)?.len();
        Ok(ScreenReport {
            records_screened: records.len(),
            entries: keys.len(),
            new_alerts: tally.new_alerts,
            closed_alerts: tally.closed_alerts,
            open_alerts,
        })
    }
}

const ALERT_COLUMNS: &str = "id, status, record_id, record_hash, source, entity_id, entity_hash,
  entity_name, list_version, score, decision, hit, created_at, closed_at, closed_reason";

fn alert_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Alert> {
    let status: String = r.get(1)?;
    let hit: String = r.get(11)?;
    Ok(Alert {
        id: r.get(0)?,
        status: AlertStatus::parse(&status).unwrap_or(AlertStatus::Open),
        record_id: r.get(2)?,
        record_hash: r.get(3)?,
        source: r.get(4)?,
        entity_id: r.get(5)?,
        entity_hash: r.get(6)?,
        entity_name: r.get(7)?,
        list_version: r.get(8)?,
        score: r.get(9)?,
        decision: r.get(10)?,
        hit: serde_json::from_str(&hit).unwrap_or(serde_json::Value::Null),
        created_at: r.get(12)?,
        closed_at: r.get(13)?,
        closed_reason: r.get(14)?,
    })
}

fn set_followed(
    tx: &Transaction<'_>,
    versions: &std::collections::BTreeMap<String, String>,
) -> rusqlite::Result<()> {
    tx.execute("DELETE FROM followed", [])?;
    for (s, v) in versions {
        tx.execute(
            "INSERT INTO followed(source, version) VALUES (?1, ?2)",
            params![s, v],
        )?;
    }
    Ok(())
}

/// Mark the current rows matching `filter` (over parameters `args`) superseded; returns
/// how many of them were open or escalated.
fn supersede_where(
    tx: &Transaction<'_>,
    filter: &str,
    args: impl rusqlite::Params,
    reason: &str,
    at: &str,
) -> rusqlite::Result<usize> {
    let rows: Vec<(i64, String)> = {
        let mut stmt = tx.prepare_cached(&format!(
            "SELECT id, status FROM alerts WHERE status <> 'superseded' AND {filter}"
        ))?;
        let rows = stmt.query_map(args, |r| Ok((r.get(0)?, r.get(1)?)))?;
        rows.collect::<rusqlite::Result<_>>()?
    };
    let mut update = tx.prepare_cached(
        "UPDATE alerts SET status = 'superseded', closed_at = coalesce(closed_at, ?2),
           closed_reason = coalesce(closed_reason, ?3) WHERE id = ?1",
    )?;
    let mut open = 0;
    for (id, status) in rows {
        if matches!(status.as_str(), "open" | "escalated") {
            open += 1;
        }
        update.execute(params![id, at, reason])?;
    }
    Ok(open)
}

/// Settles every hit of the screened `records` (`hits[i]` are record `i`'s): each hit's
/// entry is found by its index in the matcher (`keys`: source, entity id, content hash)
/// and stamped with its list's version. Returns the (record id, source, entity id) pairs
/// that hit.
fn settle_hits(
    tx: &Transaction<'_>,
    records: &[(BookRecord, String)],
    hits: &[Vec<Hit>],
    keys: &[(Source, String, String)],
    versions: &Versions,
    at: &str,
    tally: &mut Tally,
) -> rusqlite::Result<Vec<(String, String, String)>> {
    let mut pairs = Vec::new();
    for ((r, hash), record_hits) in records.iter().zip(hits) {
        for hit in record_hits {
            let Some((source, entity_id, entity_hash)) = keys.get(hit.entity_index) else {
                continue;
            };
            let version = versions.get(source.as_str()).map_or("", String::as_str);
            settle_hit(
                tx,
                &r.id,
                hash,
                entity_id,
                entity_hash,
                version,
                hit,
                at,
                tally,
            )?;
            pairs.push((r.id.clone(), source.as_str().to_string(), entity_id.clone()));
        }
    }
    Ok(pairs)
}

/// Record that `record` hits the entry: nothing when the pair's current row has these
/// contents; else the current row (if any) is superseded and a new row starts, open or,
/// when a false-positive decision exists for these contents, cleared.
#[allow(clippy::too_many_arguments)]
fn settle_hit(
    tx: &Transaction<'_>,
    record_id: &str,
    record_hash: &str,
    entity_id: &str,
    entity_hash: &str,
    list_version: &str,
    hit: &Hit,
    at: &str,
    tally: &mut Tally,
) -> rusqlite::Result<()> {
    let source = hit.source.as_str();
    let current: Option<(i64, String, String, String)> = tx
        .prepare_cached(
            "SELECT id, record_hash, entity_hash, status FROM alerts
             WHERE record_id = ?1 AND source = ?2 AND entity_id = ?3 AND status <> 'superseded'",
        )?
        .query_row(params![record_id, source, entity_id], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
        })
        .optional()?;
    if let Some((id, rh, eh, status)) = current {
        if rh == record_hash && eh == entity_hash {
            return Ok(());
        }
        if matches!(status.as_str(), "open" | "escalated") {
            tally.closed_alerts += 1;
        }
        let reason = if rh != record_hash {
            "record changed"
        } else {
            "entry changed"
        };
        tx.execute(
            "UPDATE alerts SET status = 'superseded', closed_at = coalesce(closed_at, ?2),
               closed_reason = coalesce(closed_reason, ?3) WHERE id = ?1",
            params![id, at, reason],
        )?;
    }
    let cleared: bool = tx
        .prepare_cached(
            "SELECT EXISTS(SELECT 1 FROM decisions WHERE record_id = ?1 AND record_hash = ?2
               AND source = ?3 AND entity_id = ?4 AND entity_hash = ?5
               AND verdict = 'false_positive')",
        )?
        .query_row(
            params![record_id, record_hash, source, entity_id, entity_hash],
            |r| r.get(0),
        )?;
    let (status, closed_at, reason) = if cleared {
        (
            AlertStatus::FalsePositive,
            Some(at),
            Some("cleared earlier as a false positive for these contents"),
        )
    } else {
        tally.new_alerts += 1;
        (AlertStatus::Open, None, None)
    };
    let decision = match hit.decision {
        embargo_screen::Decision::Match => "match",
        embargo_screen::Decision::Review => "review",
        embargo_screen::Decision::NoMatch => "no_match",
    };
    let body = serde_json::to_string(hit).unwrap_or_else(|_| "null".into());
    tx.prepare_cached(
        "INSERT INTO alerts(record_id, record_hash, source, entity_id, entity_hash, entity_name,
           list_version, score, decision, hit, status, created_at, closed_at, closed_reason)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
    )?
    .execute(params![
        record_id,
        record_hash,
        source,
        entity_id,
        entity_hash,
        hit.name,
        list_version,
        hit.score,
        decision,
        body,
        status.as_str(),
        at,
        closed_at,
        reason
    ])?;
    Ok(())
}

/// The index keys, IMO and document key of each record (the screening question read
/// once, at import).
struct RecordKeys {
    names: Vec<String>,
    imo: Option<String>,
    document: Option<String>,
}

fn prepare_records(records: &[(BookRecord, String)]) -> Result<Vec<RecordKeys>> {
    let empty = Matcher::new(Vec::new());
    records
        .iter()
        .map(|(r, _)| {
            let unreadable = |e: embargo_screen::QueryError| BookError::Unscreenable {
                id: r.id.clone(),
                message: e.to_string(),
            };
            let q = r.to_query().map_err(unreadable)?;
            let k = empty.query_keys(&q).map_err(unreadable)?;
            Ok(RecordKeys {
                names: k.names,
                imo: k.imo,
                document: k.document,
            })
        })
        .collect()
}

fn store_record(
    tx: &Transaction<'_>,
    r: &BookRecord,
    hash: &str,
    keys: &RecordKeys,
) -> rusqlite::Result<()> {
    let body = serde_json::to_string(r).unwrap_or_default();
    let rid: Option<i64> = tx
        .prepare_cached("SELECT rid FROM records WHERE id = ?1")?
        .query_row([&r.id], |row| row.get(0))
        .optional()?;
    let rid = match rid {
        Some(rid) => {
            tx.prepare_cached(
                "UPDATE records SET hash = ?2, body = ?3, imo = ?4, document = ?5 WHERE rid = ?1",
            )?
            .execute(params![rid, hash, body, keys.imo, keys.document])?;
            tx.prepare_cached("DELETE FROM record_keys WHERE rid = ?1")?
                .execute([rid])?;
            rid
        }
        None => {
            tx.prepare_cached(
                "INSERT INTO records(id, hash, body, imo, document) VALUES (?1, ?2, ?3, ?4, ?5)",
            )?
            .execute(params![r.id, hash, body, keys.imo, keys.document])?;
            tx.last_insert_rowid()
        }
    };
    let mut ins =
        tx.prepare_cached("INSERT OR IGNORE INTO record_keys(key, rid) VALUES (?1, ?2)")?;
    for k in &keys.names {
        ins.execute(params![k, rid])?;
    }
    Ok(())
}

/// The alerting hits (review or match) of each record, screened on every core. A stored
/// record that no longer reads as a query (it was checked at import) or a worker that
/// stopped fails the whole screening: a record left unscreened would be an alert lost.
fn screen_records(
    matcher: &Matcher,
    thresholds: &Thresholds,
    records: &[(BookRecord, String)],
) -> Result<Vec<Vec<Hit>>> {
    let threads = std::thread::available_parallelism()
        .map(usize::from)
        .unwrap_or(1)
        .clamp(1, 16);
    let chunk = records.len().div_ceil(threads).max(1);
    let screen_one = |r: &BookRecord| -> Result<Vec<Hit>> {
        let unreadable = |e: embargo_screen::QueryError| BookError::Unscreenable {
            id: r.id.clone(),
            message: e.to_string(),
        };
        let q = r.to_query().map_err(unreadable)?;
        let s = matcher.screen(&q, thresholds).map_err(unreadable)?;
        Ok(s.hits
            .into_iter()
            .filter(|h| h.score >= thresholds.review_at)
            .collect())
    };
    std::thread::scope(|scope| {
        let handles: Vec<_> = records
            .chunks(chunk)
            .map(|part| {
                scope.spawn(move || {
                    part.iter()
                        .map(|(r, _)| screen_one(r))
                        .collect::<Result<Vec<_>>>()
                })
            })
            .collect();
        let mut out = Vec::with_capacity(records.len());
        for h in handles {
            let part = h.join().map_err(|_| BookError::Unscreenable {
                id: String::new(),
                message: "a screening worker stopped".into(),
            })??;
            out.extend(part);
        }
        Ok(out)
    })
}
