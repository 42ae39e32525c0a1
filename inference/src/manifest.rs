//! The committed model manifest (`inference/models.json`): the single source of truth for what
//! `atzinums setup` fetches and what the loaders accept as untampered.

use serde::Deserialize;

/// The manifest as committed, compiled into the binary so set-up and verification agree.
pub const MANIFEST_JSON: &str = include_str!("../models.json");

#[derive(Debug, Clone, Deserialize)]
pub struct Manifest {
    pub format: String,
    pub files: Vec<ModelFile>,
    pub catalogues: Vec<CatalogueSpec>,
}

/// One file placed under `<data_dir>/models/`; several sources are concatenated in order.
#[derive(Debug, Clone, Deserialize)]
pub struct ModelFile {
    pub target: String,
    pub group: String,
    pub role: String,
    pub licence: String,
    pub sha256: String,
    pub size: u64,
    pub sources: Vec<Source>,
}

/// A member of a wheel: package name, pinned version, path inside the wheel.
#[derive(Debug, Clone, Deserialize)]
pub struct Source {
    pub package: String,
    pub version: String,
    pub member: String,
    /// Checked for catalogue sources, whose derived output is not hashed.
    #[serde(default)]
    pub sha256: Option<String>,
    #[serde(default)]
    pub size: Option<u64>,
}

/// A compact catalogue derived at set-up into `<data_dir>/catalogues/`.
#[derive(Debug, Clone, Deserialize)]
pub struct CatalogueSpec {
    pub target: String,
    pub kind: String,
    pub group: String,
    pub role: String,
    pub licence: String,
    pub sources: Vec<Source>,
}

impl Manifest {
    /// The committed manifest. It is checked by a unit test, so parsing cannot fail at run time.
    pub fn builtin() -> Manifest {
        serde_json::from_str(MANIFEST_JSON).expect("inference/models.json is valid (unit-tested)")
    }

    /// All group names, in manifest order, without repeats.
    pub fn groups(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        let all = self
            .files
            .iter()
            .map(|f| &f.group)
            .chain(self.catalogues.iter().map(|c| &c.group));
        for g in all {
            if !out.contains(g) {
                out.push(g.clone());
            }
        }
        out
    }

    /// The manifest entry whose target is `target` (a path relative to `<data_dir>/models`).
    pub fn file(&self, target: &str) -> Option<&ModelFile> {
        self.files.iter().find(|f| f.target == target)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_manifest_is_consistent() {
        let m = Manifest::builtin();
        assert_eq!(m.format, "atzinums-models/1");
        assert!(m.file("e5-small-q4.bin").is_some());
        for f in &m.files {
            assert_eq!(f.sha256.len(), 64, "{}", f.target);
            assert!(!f.sources.is_empty() && !f.licence.is_empty());
            assert!(!f.target.starts_with('/') && !f.target.contains(".."));
        }
        for c in &m.catalogues {
            assert!(c.sources.iter().all(|s| s.sha256.is_some()), "{}", c.target);
        }
        assert_eq!(m.groups(), vec!["embed", "generate", "catalogues"]);
    }
}
