//! The dataset writer: deterministic bytes (fixed field order, pretty JSON,
//! trailing newline), one folder per case.

use std::fs;
use std::path::{Path, PathBuf};

use atzinums_models::{CaseJson, DecisionJson, Manifest};
use serde::Serialize;

use super::DatasetError;

/// Writes `value` as pretty JSON with a final newline.
pub fn write_json<T: Serialize>(path: &Path, value: &T) -> Result<(), DatasetError> {
    let mut bytes = serde_json::to_vec_pretty(value).map_err(|e| DatasetError::Json {
        path: path.to_owned(),
        message: e.to_string(),
    })?;
    bytes.push(b'\n');
    fs::write(path, bytes).map_err(|e| DatasetError::io(path, e))
}

/// Writes one case folder under `<dataset>/cases/<case_id>/`: `case.json`,
/// the document files, `decision.json` when given, and any sidecar files
/// (such as `truth.json`) next to `case.json`.
pub fn write_case(
    dataset_dir: &Path,
    case: &CaseJson,
    decision: Option<&DecisionJson>,
    documents: &[(String, Vec<u8>)],
    sidecars: &[(String, Vec<u8>)],
) -> Result<PathBuf, DatasetError> {
    let dir = dataset_dir.join("cases").join(case.case_id.as_str());
    let docs = dir.join("documents");
    fs::create_dir_all(&docs).map_err(|e| DatasetError::io(&docs, e))?;
    write_json(&dir.join("case.json"), case)?;
    if let Some(d) = decision {
        write_json(&dir.join("decision.json"), d)?;
    }
    for (name, bytes) in documents {
        let p = docs.join(name);
        fs::write(&p, bytes).map_err(|e| DatasetError::io(&p, e))?;
    }
    for (name, bytes) in sidecars {
        let p = dir.join(name);
        fs::write(&p, bytes).map_err(|e| DatasetError::io(&p, e))?;
    }
    Ok(dir)
}

/// Writes a dataset: create it on an empty (or new) folder, add cases, then
/// [`DatasetWriter::finish`] with the manifest.
#[derive(Debug)]
pub struct DatasetWriter {
    dir: PathBuf,
    written: u64,
}

impl DatasetWriter {
    /// Refuses a folder that already holds a `manifest.json` or `cases/`.
    pub fn create(dir: &Path) -> Result<Self, DatasetError> {
        if dir.join("manifest.json").exists() || dir.join("cases").exists() {
            return Err(DatasetError::NotEmpty(dir.to_owned()));
        }
        let cases = dir.join("cases");
        fs::create_dir_all(&cases).map_err(|e| DatasetError::io(&cases, e))?;
        Ok(DatasetWriter {
            dir: dir.to_owned(),
            written: 0,
        })
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Writes one case (see [`write_case`]). Safe to call from several
    /// threads through [`DatasetWriter::dir`] and [`write_case`] directly.
    pub fn write_case(
        &mut self,
        case: &CaseJson,
        decision: Option<&DecisionJson>,
        documents: &[(String, Vec<u8>)],
        sidecars: &[(String, Vec<u8>)],
    ) -> Result<PathBuf, DatasetError> {
        let p = write_case(&self.dir, case, decision, documents, sidecars)?;
        self.written += 1;
        Ok(p)
    }

    /// Cases written through this writer.
    pub fn written(&self) -> u64 {
        self.written
    }

    /// Writes `manifest.json` last, so a crashed run leaves no manifest.
    pub fn finish(self, manifest: &Manifest) -> Result<PathBuf, DatasetError> {
        let p = self.dir.join("manifest.json");
        write_json(&p, manifest)?;
        Ok(self.dir)
    }
}
