//! Reading a case folder of the dataset format (case.json + documents/) into what the case file
//! is assembled from. `atzinums ingest --case`, `atzinums index` and `atzinums similar` share it.

use std::path::Path;

use anyhow::Context;
use atzinums_inference::catalogue::{Catalogue, Icd10Catalogue};
use atzinums_ingest::case_file::DocumentInput;
use atzinums_ingest::{ExtractOptions, ExtractedDocument, Failure, FailureKind, Sandbox};
use atzinums_models::MediaType;
use atzinums_models::dataset::CaseJson;
use sha2::{Digest, Sha256};

/// Parses `<dir>/case.json`; the error names the file and what is wrong with it.
pub fn read_case_json(dir: &Path) -> anyhow::Result<CaseJson> {
    let path = dir.join("case.json");
    let text = std::fs::read_to_string(&path)
        .with_context(|| format!("cannot read {}", path.display()))?;
    let value: serde_json::Value =
        serde_json::from_str(&text).with_context(|| format!("{} is not JSON", path.display()))?;
    CaseJson::from_value(value).with_context(|| format!("{} is not a valid case", path.display()))
}

/// The WHO ICD-10 list set up under the data directory; without it codes are not checked
/// (stderr says so once).
pub fn load_catalogue(data_dir: &Path) -> Option<Icd10Catalogue> {
    let path = atzinums_inference::setup::catalogues_dir(data_dir).join("icd10.tsv");
    match Catalogue::load(&path) {
        Ok(c) => Some(c),
        Err(e) => {
            eprintln!("ICD-10 codes are not checked against the WHO list: {e}");
            None
        }
    }
}

/// Each document of the case, read and extracted by `extract`. A file that cannot be read
/// becomes a `Corrupt` outcome: the case file flags it, the other documents go on.
pub fn document_inputs(
    dir: &Path,
    case: &CaseJson,
    extract: impl Fn(&[u8]) -> Result<ExtractedDocument, Failure>,
) -> Vec<DocumentInput> {
    case.documents
        .iter()
        .map(|entry| {
            let file = dir.join("documents").join(entry.file.as_str());
            let (sha256, extracted) = match std::fs::read(&file) {
                Ok(bytes) => (hex::encode(Sha256::digest(&bytes)), extract(&bytes)),
                Err(e) => (
                    String::new(),
                    Err(Failure::new(
                        FailureKind::Corrupt,
                        format!("cannot read the file: {e}"),
                    )),
                ),
            };
            DocumentInput {
                id: entry.file.as_str().to_string(),
                sha256,
                kind: entry.kind,
                issued_at: entry.issued_at,
                extracted,
            }
        })
        .collect()
}

/// Plain text is only decoded and normalised, which cannot execute anything or grow beyond the
/// file: done in this process (an archive of 20,000 cases would otherwise start 80,000
/// children). Everything else goes through the sandbox.
pub fn extract_text_in_process(
    bytes: &[u8],
    sandbox: &Sandbox,
    options: &ExtractOptions,
) -> Result<ExtractedDocument, Failure> {
    if MediaType::sniff(bytes) == Some(MediaType::PlainText) {
        atzinums_ingest::extract_in_process(bytes, options)
    } else {
        sandbox.extract(bytes, options)
    }
}

/// What a precedent's content depends on besides the files: bump it when extraction, findings or
/// the precedent's summary change meaning, so `atzinums index` re-reads every case.
const SOURCE_HASH_VERSION: &str = "atzinums-precedent-source/2";

/// sha256 over the case folder's files (case.json, decision.json, the documents in the case's
/// order), [`SOURCE_HASH_VERSION`] and whether scans were OCRed: equal hashes mean the case need
/// not be read again.
pub fn source_hash(dir: &Path, case: &CaseJson, ocr: bool) -> std::io::Result<String> {
    let mut h = Sha256::new();
    h.update(SOURCE_HASH_VERSION.as_bytes());
    h.update([u8::from(ocr)]);
    let documents = case
        .documents
        .iter()
        .map(|entry| Path::new("documents").join(entry.file.as_str()));
    for relative in [Path::new("case.json").to_path_buf(), "decision.json".into()]
        .into_iter()
        .chain(documents)
    {
        match std::fs::read(dir.join(&relative)) {
            Ok(bytes) => {
                // Length-prefixed: moving bytes between files changes the hash.
                h.update(relative.to_string_lossy().as_bytes());
                h.update((bytes.len() as u64).to_le_bytes());
                h.update(&bytes);
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => h.update(b"\0absent"),
            Err(e) => return Err(e),
        }
    }
    Ok(hex::encode(h.finalize()))
}
