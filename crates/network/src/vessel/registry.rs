//! The flag-registry data file (`data/vessels/flag_registries.toml`): which flags are flags
//! of convenience or reported flags of choice for DPRK-linked vessels, each statement with
//! its sources and a confidence. The file is bundled into the binary; `--registry FILE`
//! replaces it.

use std::collections::HashMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::error::{NetworkError, Result};
use crate::graph::normalize_name;

const BUNDLED: &str = include_str!("../../../../data/vessels/flag_registries.toml");

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Confidence {
    Confirmed,
    Partly,
    Unconfirmed,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FlagCategory {
    ItfFoc,
    DprkFlagOfChoice,
    Dprk,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SourceRef {
    pub id: String,
    pub title: String,
    pub url: String,
    pub publisher: String,
    pub date: String,
    #[serde(default)]
    pub note: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Listing {
    pub category: FlagCategory,
    pub sources: Vec<String>,
    pub confidence: Confidence,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FlagEntry {
    pub name: String,
    #[serde(default)]
    pub codes: Vec<String>,
    #[serde(default)]
    pub aliases: Vec<String>,
    #[serde(default)]
    pub listing: Vec<Listing>,
}

#[derive(Debug, Deserialize)]
struct FileShape {
    schema_version: u32,
    #[serde(default)]
    source: Vec<SourceRef>,
    #[serde(default)]
    flag: Vec<FlagEntry>,
}

#[derive(Debug, Clone)]
pub struct FlagRegistry {
    pub sources: Vec<SourceRef>,
    pub flags: Vec<FlagEntry>,
    by_name: HashMap<String, usize>,
    label: String,
}

impl FlagRegistry {
    pub fn bundled() -> Result<FlagRegistry> {
        FlagRegistry::parse(BUNDLED, "data/vessels/flag_registries.toml (bundled)")
    }

    pub fn load(path: &Path) -> Result<FlagRegistry> {
        let text = std::fs::read_to_string(path).map_err(|source| NetworkError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        FlagRegistry::parse(&text, &path.display().to_string())
    }

    /// Parses and checks the file: every listing names at least one known source, and no
    /// name or code belongs to two flags.
    pub fn parse(text: &str, label: &str) -> Result<FlagRegistry> {
        let bad = |message: String| NetworkError::Registry {
            file: label.to_string(),
            message,
        };
        let shape: FileShape = toml::from_str(text).map_err(|e| bad(e.to_string()))?;
        if shape.schema_version != 1 {
            return Err(bad(format!(
                "schema_version {} is not supported (expected 1)",
                shape.schema_version
            )));
        }
        let known: Vec<&str> = shape.source.iter().map(|s| s.id.as_str()).collect();
        let mut by_name = HashMap::new();
        for (i, f) in shape.flag.iter().enumerate() {
            for l in &f.listing {
                if l.sources.is_empty() {
                    return Err(bad(format!("flag `{}`: a listing without sources", f.name)));
                }
                if let Some(missing) = l.sources.iter().find(|s| !known.contains(&s.as_str())) {
                    return Err(bad(format!(
                        "flag `{}`: source `{missing}` is not defined in [[source]]",
                        f.name
                    )));
                }
            }
            for n in std::iter::once(&f.name)
                .chain(f.codes.iter())
                .chain(f.aliases.iter())
            {
                let key = normalize_name(n);
                if let Some(prev) = by_name.insert(key.clone(), i) {
                    if prev != i {
                        return Err(bad(format!("name or code `{n}` belongs to two flags")));
                    }
                }
            }
        }
        Ok(FlagRegistry {
            sources: shape.source,
            flags: shape.flag,
            by_name,
            label: label.to_string(),
        })
    }

    pub fn label(&self) -> &str {
        &self.label
    }

    /// The registry entry for a flag as written in a list or file (name, alias or ISO code).
    pub fn find(&self, flag: &str) -> Option<&FlagEntry> {
        self.by_name
            .get(&normalize_name(flag))
            .and_then(|&i| self.flags.get(i))
    }

    pub fn source(&self, id: &str) -> Option<&SourceRef> {
        self.sources.iter().find(|s| s.id == id)
    }

    /// The listing of `flag` in `category`, if any.
    pub fn listing(&self, flag: &str, category: FlagCategory) -> Option<(&FlagEntry, &Listing)> {
        let entry = self.find(flag)?;
        entry
            .listing
            .iter()
            .find(|l| l.category == category)
            .map(|l| (entry, l))
    }

    /// Canonical name of a flag, so that "Korea, North" and "DPRK" compare equal.
    pub fn canonical(&self, flag: &str) -> String {
        self.find(flag)
            .map(|f| f.name.clone())
            .unwrap_or_else(|| flag.trim().to_string())
    }

    pub fn is_dprk(&self, flag: &str) -> bool {
        self.listing(flag, FlagCategory::Dprk).is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bundled_file_parses_and_every_listing_has_sources() {
        let r = FlagRegistry::bundled().unwrap();
        assert!(r
            .flags
            .iter()
            .all(|f| f.listing.iter().all(|l| !l.sources.is_empty())));
        // The ITF 2013 list names 34 registers; all 34 are in the file.
        let itf = r
            .flags
            .iter()
            .filter(|f| f.listing.iter().any(|l| l.category == FlagCategory::ItfFoc))
            .count();
        assert_eq!(itf, 34);
    }

    #[test]
    fn names_codes_and_list_spellings_resolve() {
        let r = FlagRegistry::bundled().unwrap();
        assert!(r.is_dprk("Democratic People's Republic of Korea"));
        assert!(r.is_dprk("Korea, North"));
        assert!(r.is_dprk("kp"));
        assert_eq!(r.canonical("SLE"), "Sierra Leone");
        let (_, togo) = r.listing("Togo", FlagCategory::DprkFlagOfChoice).unwrap();
        assert_eq!(togo.confidence, Confidence::Unconfirmed);
        assert!(r.listing("Russia", FlagCategory::ItfFoc).is_none());
    }

    #[test]
    fn undefined_source_is_rejected() {
        let text = "schema_version = 1\n[[flag]]\nname = \"X\"\n[[flag.listing]]\ncategory = \"itf_foc\"\nsources = [\"nope\"]\nconfidence = \"partly\"\n";
        let e = FlagRegistry::parse(text, "t.toml").unwrap_err().to_string();
        assert!(e.contains("source `nope` is not defined"), "{e}");
    }
}
