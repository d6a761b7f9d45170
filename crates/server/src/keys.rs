//! API keys: `emb_<id>_<secret>`, sent in the `x-api-key` header.
//!
//! Only `SHA-256(salt || secret)` and a per-key random salt are stored. The secret is 256
//! random bits, so a fast hash is enough (a slow password KDF protects low-entropy
//! secrets; these are not guessable). The `<id>` part is public: it names the key in the
//! audit log and lets a lookup find the row without scanning.
//!
//! Keys are cached in memory and the cache is reloaded every [`CACHE_TTL`] (so a key
//! revoked with `embargo serve keys revoke` while the server runs stops working within
//! that time) and when an unknown id shows up after another process changed the key
//! store (SQLite's `data_version`), so a key made with `embargo serve keys create` works
//! at once, and a stream of made-up ids costs one pragma each, not a reload.

use crate::store::{self, StoreError};
use rusqlite::{params, Connection, OptionalExtension};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::path::Path;
use std::sync::{Mutex, RwLock};
use std::time::{Duration, Instant};

pub const CACHE_TTL: Duration = Duration::from_secs(5);
const PREFIX: &str = "emb_";

#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("key store: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("no random source: {0}")]
    Random(String),
    #[error("no key with id {0}")]
    UnknownId(String),
    #[error("the key store lock was poisoned by a panic")]
    Poisoned,
}

/// A key as listed (never the secret).
#[derive(Debug, Clone, serde::Serialize)]
pub struct KeyInfo {
    pub id: String,
    pub label: String,
    pub created: String,
    pub revoked: Option<String>,
}

/// A freshly created key: the only moment its full token exists.
#[derive(Debug, Clone, serde::Serialize)]
pub struct NewKey {
    pub id: String,
    pub label: String,
    pub token: String,
}

#[derive(Clone)]
struct StoredKey {
    salt: Vec<u8>,
    hash: Vec<u8>,
    revoked: bool,
}

struct Cache {
    loaded: Instant,
    /// `PRAGMA data_version` when loaded: it changes when another connection commits.
    version: i64,
    keys: HashMap<String, StoredKey>,
}

fn data_version(conn: &Connection) -> Result<i64, KeyError> {
    Ok(conn.query_row("PRAGMA data_version", [], |r| r.get(0))?)
}

pub struct KeyStore {
    conn: Mutex<Connection>,
    cache: RwLock<Cache>,
}

impl KeyStore {
    pub fn open(path: &Path) -> Result<KeyStore, KeyError> {
        let conn = store::open(path)?;
        let keys = load_all(&conn)?;
        let version = data_version(&conn)?;
        Ok(KeyStore {
            conn: Mutex::new(conn),
            cache: RwLock::new(Cache {
                loaded: Instant::now(),
                version,
                keys,
            }),
        })
    }

    pub fn create(&self, label: &str) -> Result<NewKey, KeyError> {
        let id = hex::encode(random_bytes::<4>()?);
        let secret = hex::encode(random_bytes::<32>()?);
        let salt = random_bytes::<16>()?;
        let hash = digest(&salt, &secret);
        let created = chrono::Utc::now().to_rfc3339();
        {
            let conn = self.conn.lock().map_err(|_| KeyError::Poisoned)?;
            conn.execute(
                "INSERT INTO api_keys (id, label, salt, hash, created) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![id, label, salt.as_slice(), hash.as_slice(), created],
            )?;
        }
        self.reload()?;
        Ok(NewKey {
            token: format!("{PREFIX}{id}_{secret}"),
            id,
            label: label.to_string(),
        })
    }

    pub fn list(&self) -> Result<Vec<KeyInfo>, KeyError> {
        let conn = self.conn.lock().map_err(|_| KeyError::Poisoned)?;
        let mut stmt =
            conn.prepare("SELECT id, label, created, revoked FROM api_keys ORDER BY created, id")?;
        let rows = stmt.query_map([], |r| {
            Ok(KeyInfo {
                id: r.get(0)?,
                label: r.get(1)?,
                created: r.get(2)?,
                revoked: r.get(3)?,
            })
        })?;
        Ok(rows.collect::<Result<Vec<_>, _>>()?)
    }

    pub fn revoke(&self, id: &str) -> Result<(), KeyError> {
        let changed = {
            let conn = self.conn.lock().map_err(|_| KeyError::Poisoned)?;
            conn.execute(
                "UPDATE api_keys SET revoked = ?2 WHERE id = ?1 AND revoked IS NULL",
                params![id, chrono::Utc::now().to_rfc3339()],
            )?
        };
        if changed == 0 {
            let conn = self.conn.lock().map_err(|_| KeyError::Poisoned)?;
            let exists: Option<String> = conn
                .query_row("SELECT id FROM api_keys WHERE id = ?1", [id], |r| r.get(0))
                .optional()?;
            if exists.is_none() {
                return Err(KeyError::UnknownId(id.to_string()));
            }
        }
        self.reload()
    }

    /// The key id when `token` is a valid, unrevoked key; `None` otherwise.
    pub fn authenticate(&self, token: &str) -> Result<Option<String>, KeyError> {
        let Some((id, secret)) = split_token(token) else {
            return Ok(None);
        };
        let stale = {
            let cache = self.cache.read().map_err(|_| KeyError::Poisoned)?;
            cache.loaded.elapsed() > CACHE_TTL
        };
        if stale {
            self.reload()?;
        }
        let (known, version) = {
            let cache = self.cache.read().map_err(|_| KeyError::Poisoned)?;
            (cache.keys.contains_key(id), cache.version)
        };
        if !known {
            // Perhaps a key created since the last load (`serve keys create` on a running
            // server): reload when another process has committed to the store since.
            let now = {
                let conn = self.conn.lock().map_err(|_| KeyError::Poisoned)?;
                data_version(&conn)?
            };
            if now != version {
                self.reload()?;
            }
        }
        let cache = self.cache.read().map_err(|_| KeyError::Poisoned)?;
        let Some(stored) = cache.keys.get(id) else {
            return Ok(None);
        };
        let ok = !stored.revoked && constant_time_eq(&digest(&stored.salt, secret), &stored.hash);
        Ok(ok.then(|| id.to_string()))
    }

    fn reload(&self) -> Result<(), KeyError> {
        let (keys, version) = {
            let conn = self.conn.lock().map_err(|_| KeyError::Poisoned)?;
            // The version first: a commit between the two reads then only causes one more
            // reload later, never a missed key.
            let version = data_version(&conn)?;
            (load_all(&conn)?, version)
        };
        let mut cache = self.cache.write().map_err(|_| KeyError::Poisoned)?;
        *cache = Cache {
            loaded: Instant::now(),
            version,
            keys,
        };
        Ok(())
    }
}

fn load_all(conn: &Connection) -> Result<HashMap<String, StoredKey>, KeyError> {
    let mut stmt = conn.prepare("SELECT id, salt, hash, revoked IS NOT NULL FROM api_keys")?;
    let rows = stmt.query_map([], |r| {
        Ok((
            r.get::<_, String>(0)?,
            StoredKey {
                salt: r.get(1)?,
                hash: r.get(2)?,
                revoked: r.get(3)?,
            },
        ))
    })?;
    Ok(rows.collect::<Result<HashMap<_, _>, _>>()?)
}

/// `emb_<id>_<secret>` → (id, secret).
fn split_token(token: &str) -> Option<(&str, &str)> {
    let rest = token.trim().strip_prefix(PREFIX)?;
    let (id, secret) = rest.split_once('_')?;
    if id.is_empty() || secret.is_empty() {
        return None;
    }
    Some((id, secret))
}

fn digest(salt: &[u8], secret: &str) -> Vec<u8> {
    let mut h = Sha256::new();
    h.update(salt);
    h.update(secret.as_bytes());
    h.finalize().to_vec()
}

/// Compare without an early exit, so response time does not reveal how many leading
/// bytes of a guessed hash were right.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

fn random_bytes<const N: usize>() -> Result<[u8; N], KeyError> {
    let mut buf = [0u8; N];
    getrandom::fill(&mut buf).map_err(|e| KeyError::Random(e.to_string()))?;
    Ok(buf)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn created_key_authenticates_and_revoked_key_does_not() {
        let dir = tempfile::tempdir().unwrap();
        let store = KeyStore::open(&dir.path().join("s.sqlite")).unwrap();
        let key = store.create("ci").unwrap();
        assert!(key.token.starts_with("emb_"));
        assert_eq!(
            store.authenticate(&key.token).unwrap(),
            Some(key.id.clone())
        );
        // One character of the secret changed: refused.
        let mut wrong = key.token.clone();
        let last = wrong.pop().unwrap();
        wrong.push(if last == '0' { '1' } else { '0' });
        assert_eq!(store.authenticate(&wrong).unwrap(), None);
        assert_eq!(store.authenticate("not-a-key").unwrap(), None);
        store.revoke(&key.id).unwrap();
        assert_eq!(store.authenticate(&key.token).unwrap(), None);
        assert!(matches!(store.revoke("nope"), Err(KeyError::UnknownId(_))));
    }

    #[test]
    fn a_key_made_by_another_process_works_at_once() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.sqlite");
        // The server's store is open and loaded; `embargo serve keys create` writes through
        // a second connection, and the key is used right away (the fault script does this).
        let server = KeyStore::open(&path).unwrap();
        let cli = KeyStore::open(&path).unwrap();
        let made = cli.create("late").unwrap();
        assert_eq!(server.authenticate(&made.token).unwrap(), Some(made.id));
        // A made-up id is refused, and costs no reload when nothing changed.
        assert_eq!(server.authenticate("emb_00000000_ffff").unwrap(), None);
    }

    #[test]
    fn the_secret_is_not_stored() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.sqlite");
        let store = KeyStore::open(&path).unwrap();
        let key = store.create("ops").unwrap();
        let secret = key.token.rsplit('_').next().unwrap().to_string();
        drop(store);
        let raw = std::fs::read(&path).unwrap();
        let wal = std::fs::read(dir.path().join("s.sqlite-wal")).unwrap_or_default();
        let needle = secret.as_bytes();
        for bytes in [&raw, &wal] {
            assert!(!bytes.windows(needle.len()).any(|w| w == needle));
        }
        // Two keys never share a salt.
        let store = KeyStore::open(&path).unwrap();
        store.create("other").unwrap();
        let conn = store::open(&path).unwrap();
        let distinct: i64 = conn
            .query_row("SELECT COUNT(DISTINCT salt) FROM api_keys", [], |r| {
                r.get(0)
            })
            .unwrap();
        assert_eq!(distinct, 2);
    }
}
