//! The list store under `<data dir>/lists/`:
//!
//! ```text
//! lists/un/versions/<version>/entities.json   parsed snapshot (model::ListSnapshot)
//! lists/un/versions/<version>/meta.json       import time, files, counts, publisher date
//! lists/un/versions/<version>/source/...      the imported files as received (audit)
//! lists/un/active                             name of the active version
//! lists/ofac/...                              same for OFAC
//! ```
//!
//! An import parses the whole file first (a malformed file stops here, nothing written),
//! writes the version into a temporary directory, renames it into place, and only then
//! replaces `active` through a temporary file and a rename, so readers see either the old
//! or the new list, never a mix. Earlier versions are kept for audit.
//!
//! A file that is not a whole publication (empty, cut mid-record, without the UN closing
//! element or publisher's date) is refused by the readers; a whole file that lacks more
//! than [`DEFAULT_MAX_SHRINK`] of the active version's entries is refused here
//! ([`StoreError::Shrink`]) unless [`ImportOptions::allow_shrink`] says it is wanted.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::StoreError;
use crate::model::{Entity, ListSnapshot, Source};
use crate::{ofac, un};

/// Official download addresses.
pub const UN_URL: &str = "https://scsanctions.un.org/resources/xml/en/consolidated.xml";
/// OFAC's legacy CSV files (sdn, add, alt, comments).
pub const OFAC_URLS: [(&str, &str); 4] = [
    ("sdn.csv", "https://www.treasury.gov/ofac/downloads/sdn.csv"),
    ("add.csv", "https://www.treasury.gov/ofac/downloads/add.csv"),
    ("alt.csv", "https://www.treasury.gov/ofac/downloads/alt.csv"),
    (
        "sdn_comments.csv",
        "https://www.treasury.gov/ofac/downloads/sdn_comments.csv",
    ),
];

/// The share of the active version's entries a new version may lack before the import
/// is refused (unless [`ImportOptions::allow_shrink`]): 20%. Real publications change by
/// a few entries a week (additions and removals well under 1% of either list), and even
/// the end of a whole sanctions regime removes only a slice of the combined lists; an
/// empty download, a cut file or a filtered extract (the 484 DPRK records of the 14,965 in
/// `sdn.csv`) lacks far more, and is exactly what the guard is for.
pub const DEFAULT_MAX_SHRINK: f64 = 0.20;

/// How an import treats a new version that is much smaller than the active one.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ImportOptions {
    /// Refuse when more than this share (0..=1) of the active entries is missing from the
    /// new version.
    pub max_shrink: f64,
    /// Import anyway (the publisher really removed them, or a filtered list is wanted).
    pub allow_shrink: bool,
}

impl Default for ImportOptions {
    fn default() -> Self {
        ImportOptions {
            max_shrink: DEFAULT_MAX_SHRINK,
            allow_shrink: false,
        }
    }
}

/// What a new version lacks against the active one (by list id).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Shrinkage {
    pub active_entities: usize,
    pub new_entities: usize,
    /// Active entries whose id is not in the new version.
    pub dropped: usize,
}

impl Shrinkage {
    pub fn between(active: &ListSnapshot, new: &ListSnapshot) -> Shrinkage {
        let ids: std::collections::HashSet<&str> =
            new.entities.iter().map(|e| e.id.as_str()).collect();
        Shrinkage {
            active_entities: active.entities.len(),
            new_entities: new.entities.len(),
            dropped: active
                .entities
                .iter()
                .filter(|e| !ids.contains(e.id.as_str()))
                .count(),
        }
    }

    /// The share of the active entries that is missing.
    pub fn share(&self) -> f64 {
        if self.active_entities == 0 {
            0.0
        } else {
            self.dropped as f64 / self.active_entities as f64
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ImportedFile {
    pub name: String,
    pub bytes: u64,
    /// FNV-1a 64-bit hash of the content, hex (identifies identical re-imports).
    pub fnv64: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct VersionMeta {
    pub version: String,
    pub source: Source,
    pub imported_at: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub generated: Option<String>,
    pub files: Vec<ImportedFile>,
    pub entities: usize,
    pub counts: std::collections::BTreeMap<String, usize>,
    pub dprk_entities: usize,
    pub skipped: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct SourceStatus {
    pub source: Source,
    pub active: Option<String>,
    pub versions: Vec<VersionMeta>,
}

pub struct ListStore {
    root: PathBuf,
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> StoreError + '_ {
    move |source| StoreError::Io {
        path: path.to_path_buf(),
        source,
    }
}

fn fnv64(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in bytes {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

/// Guess the list from a file name: `.xml` is the UN list, `.csv` OFAC.
pub fn detect_source(path: &Path) -> Option<Source> {
    match path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .as_deref()
    {
        Some("xml") => Some(Source::Un),
        Some("csv") => Some(Source::Ofac),
        _ => None,
    }
}

/// Parse a list file without storing it.
pub fn parse_file(path: &Path, source: Source) -> Result<(ListSnapshot, Vec<PathBuf>), StoreError> {
    Ok(match source {
        Source::Un => (un::read_file(path)?, vec![path.to_path_buf()]),
        Source::Ofac => {
            let files = ofac::OfacFiles::beside(path);
            let snap = ofac::read_files(&files)?;
            (
                snap,
                files.paths().into_iter().map(Path::to_path_buf).collect(),
            )
        }
    })
}

impl ListStore {
    /// The store in `<data_dir>/lists` (created on first import).
    pub fn open(data_dir: &Path) -> ListStore {
        ListStore {
            root: data_dir.join("lists"),
        }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    fn source_dir(&self, s: Source) -> PathBuf {
        self.root.join(s.as_str())
    }

    /// Parse `path` and make it the active version of its list, with the default
    /// [`ImportOptions`] (a new version lacking more than 20% of the active entries is
    /// refused).
    pub fn import(&self, path: &Path, source: Option<Source>) -> Result<VersionMeta, StoreError> {
        self.import_with(path, source, ImportOptions::default())
    }

    /// Parse `path` and make it the active version of its list. Refused, with nothing
    /// written, when the file is not whole (see the readers) or when it lacks more than
    /// `options.max_shrink` of the active version's entries and `options.allow_shrink`
    /// is not set.
    pub fn import_with(
        &self,
        path: &Path,
        source: Option<Source>,
        options: ImportOptions,
    ) -> Result<VersionMeta, StoreError> {
        let source =
            source
                .or_else(|| detect_source(path))
                .ok_or_else(|| StoreError::UnknownSource {
                    path: path.to_path_buf(),
                })?;
        let (snapshot, files) = parse_file(path, source)?;
        if let Some(shrink) = self.check_shrink(path, source, &snapshot, options)? {
            return Err(shrink);
        }
        let mut imported = Vec::new();
        let mut contents = Vec::new();
        let mut combined: u64 = 0;
        for f in &files {
            let bytes = crate::read_bounded(f, crate::MAX_LIST_FILE_BYTES)?;
            let h = fnv64(&bytes);
            combined ^= h.rotate_left(imported.len() as u32);
            let name = f
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or("list")
                .to_string();
            imported.push(ImportedFile {
                name: name.clone(),
                bytes: bytes.len() as u64,
                fnv64: format!("{h:016x}"),
            });
            contents.push((name, bytes));
        }
        let now = chrono::Utc::now();
        let version = format!(
            "{}-{:08x}",
            now.format("%Y%m%dT%H%M%S%.3fZ"),
            combined as u32
        );
        let meta = VersionMeta {
            version: version.clone(),
            source,
            imported_at: now.to_rfc3339(),
            generated: snapshot.generated.clone(),
            files: imported,
            entities: snapshot.entities.len(),
            counts: snapshot.counts(),
            dprk_entities: snapshot.entities.iter().filter(|e| e.is_dprk()).count(),
            skipped: snapshot.skipped.clone(),
        };
        let versions = self.source_dir(source).join("versions");
        std::fs::create_dir_all(&versions).map_err(io(&versions))?;
        let tmp = versions.join(format!(".tmp-{version}"));
        let src_dir = tmp.join("source");
        std::fs::create_dir_all(&src_dir).map_err(io(&src_dir))?;
        let write = |p: PathBuf, bytes: &[u8]| std::fs::write(&p, bytes).map_err(io(&p));
        let entities_json = serde_json::to_vec(&snapshot).map_err(|e| StoreError::Corrupt {
            path: tmp.clone(),
            message: e.to_string(),
        })?;
        write(tmp.join("entities.json"), &entities_json)?;
        let meta_json = serde_json::to_vec_pretty(&meta).map_err(|e| StoreError::Corrupt {
            path: tmp.clone(),
            message: e.to_string(),
        })?;
        write(tmp.join("meta.json"), &meta_json)?;
        for (name, bytes) in &contents {
            write(src_dir.join(name), bytes)?;
        }
        let dest = versions.join(&version);
        std::fs::rename(&tmp, &dest).map_err(io(&dest))?;
        self.set_active(source, &version)?;
        Ok(meta)
    }

    /// The refusal for `snapshot` against the active version of `source`, if any.
    fn check_shrink(
        &self,
        path: &Path,
        source: Source,
        snapshot: &ListSnapshot,
        options: ImportOptions,
    ) -> Result<Option<StoreError>, StoreError> {
        if options.allow_shrink {
            return Ok(None);
        }
        let (Some(active_version), Some(active)) =
            (self.active_version(source)?, self.load_active(source)?)
        else {
            return Ok(None);
        };
        let s = Shrinkage::between(&active, snapshot);
        if s.share() <= options.max_shrink {
            return Ok(None);
        }
        Ok(Some(StoreError::Shrink {
            file: path.to_path_buf(),
            list: source.to_string(),
            active_version,
            active_entities: s.active_entities,
            new_entities: s.new_entities,
            dropped: s.dropped,
            max_share: options.max_shrink,
        }))
    }

    /// Point `active` at `version` atomically (temporary file, then rename).
    pub fn set_active(&self, source: Source, version: &str) -> Result<(), StoreError> {
        let dir = self.source_dir(source);
        let v = dir.join("versions").join(version);
        if !v.join("entities.json").exists() {
            return Err(StoreError::Corrupt {
                path: v,
                message: "no such version".into(),
            });
        }
        let tmp = dir.join(".active.tmp");
        std::fs::write(&tmp, format!("{version}\n")).map_err(io(&tmp))?;
        let active = dir.join("active");
        std::fs::rename(&tmp, &active).map_err(io(&active))
    }

    pub fn active_version(&self, source: Source) -> Result<Option<String>, StoreError> {
        let p = self.source_dir(source).join("active");
        match std::fs::read_to_string(&p) {
            Ok(s) => Ok(Some(s.trim().to_string()).filter(|s| !s.is_empty())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(StoreError::Io { path: p, source: e }),
        }
    }

    /// The active version of each list that has one, UN first.
    pub fn active_versions(&self) -> Result<Vec<(Source, String)>, StoreError> {
        let mut out = Vec::new();
        for s in [Source::Un, Source::Ofac] {
            if let Some(v) = self.active_version(s)? {
                out.push((s, v));
            }
        }
        Ok(out)
    }

    /// The active snapshot of one list, if any.
    pub fn load_active(&self, source: Source) -> Result<Option<ListSnapshot>, StoreError> {
        let Some(v) = self.active_version(source)? else {
            return Ok(None);
        };
        let p = self
            .source_dir(source)
            .join("versions")
            .join(&v)
            .join("entities.json");
        let bytes = std::fs::read(&p).map_err(io(&p))?;
        let snap = serde_json::from_slice(&bytes).map_err(|e| StoreError::Corrupt {
            path: p.clone(),
            message: e.to_string(),
        })?;
        Ok(Some(snap))
    }

    /// Entities of every active list (UN first, then OFAC).
    pub fn active_entities(&self) -> Result<Vec<Entity>, StoreError> {
        let mut out = Vec::new();
        for s in [Source::Un, Source::Ofac] {
            if let Some(snap) = self.load_active(s)? {
                out.extend(snap.entities);
            }
        }
        Ok(out)
    }

    /// Versions and the active pointer of each list.
    pub fn status(&self) -> Result<Vec<SourceStatus>, StoreError> {
        let mut out = Vec::new();
        for s in [Source::Un, Source::Ofac] {
            let dir = self.source_dir(s).join("versions");
            let mut versions = Vec::new();
            if dir.exists() {
                let mut names: Vec<String> = std::fs::read_dir(&dir)
                    .map_err(io(&dir))?
                    .filter_map(|e| e.ok())
                    .filter_map(|e| e.file_name().to_str().map(str::to_string))
                    .filter(|n| !n.starts_with('.'))
                    .collect();
                names.sort();
                for n in names {
                    let p = dir.join(&n).join("meta.json");
                    let bytes = std::fs::read(&p).map_err(io(&p))?;
                    let meta: VersionMeta =
                        serde_json::from_slice(&bytes).map_err(|e| StoreError::Corrupt {
                            path: p.clone(),
                            message: e.to_string(),
                        })?;
                    versions.push(meta);
                }
            }
            out.push(SourceStatus {
                source: s,
                active: self.active_version(s)?,
                versions,
            });
        }
        Ok(out)
    }

    /// Download the official files with `curl` into a temporary directory and import them.
    /// `urls` overrides the official addresses (tests pass `file://` URLs).
    pub fn fetch(
        &self,
        source: Source,
        urls: Option<&[(String, String)]>,
    ) -> Result<VersionMeta, StoreError> {
        self.fetch_with(source, urls, ImportOptions::default())
    }

    /// [`fetch`](Self::fetch) with explicit import options.
    pub fn fetch_with(
        &self,
        source: Source,
        urls: Option<&[(String, String)]>,
        options: ImportOptions,
    ) -> Result<VersionMeta, StoreError> {
        let official: Vec<(String, String)> = match source {
            Source::Un => vec![("consolidated.xml".into(), UN_URL.into())],
            Source::Ofac => OFAC_URLS
                .iter()
                .map(|(n, u)| (n.to_string(), u.to_string()))
                .collect(),
        };
        let urls = urls.map(<[_]>::to_vec).unwrap_or(official);
        let dl = self
            .root
            .join(format!(".download-{}-{}", source, std::process::id()));
        std::fs::create_dir_all(&dl).map_err(io(&dl))?;
        let result = (|| {
            for (name, url) in &urls {
                let target = dl.join(name);
                let out = std::process::Command::new("curl")
                    .args([
                        "--fail",
                        "--silent",
                        "--show-error",
                        "--location",
                        "--max-time",
                        "120",
                        "--max-filesize",
                        "134217728",
                        "--output",
                    ])
                    .arg(&target)
                    .arg(url)
                    .output()
                    .map_err(|e| StoreError::Fetch {
                        url: url.clone(),
                        message: format!("cannot run curl: {e}"),
                    })?;
                if !out.status.success() {
                    return Err(StoreError::Fetch {
                        url: url.clone(),
                        message: String::from_utf8_lossy(&out.stderr).trim().to_string(),
                    });
                }
            }
            let first = urls
                .first()
                .map(|(n, _)| dl.join(n))
                .ok_or_else(|| StoreError::Fetch {
                    url: String::new(),
                    message: "no URL to fetch".into(),
                })?;
            self.import_with(&first, Some(source), options)
        })();
        // The download directory is scratch space either way.
        let _ = std::fs::remove_dir_all(&dl);
        result
    }
}
