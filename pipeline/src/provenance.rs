//! Provenance: everything a draft was made from, so `atzinums replay` can make it again and
//! compare byte for byte — models with their sha256, template hashes, the rule-set version, the
//! calibration's hash, the configuration and seed, the inputs' hashes, and the precedents in
//! full (a replay must not depend on what the index holds later).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::assess::{Assessment, UsedPrecedent};
use crate::draft::Draft;
use crate::route::Routing;
use crate::verify::Verification;

pub const DRAFT_FORMAT: &str = "atzinums-draft/1";

/// Settings that change a draft.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PipelineConfig {
    /// Precedents retrieved per case.
    pub k: usize,
    /// Routing risk: the conformal sets' miscoverage.
    pub risk: f64,
    /// Which arms of precedent search run.
    pub mode: RetrievalMode,
    pub max_per_diagnosis: Option<usize>,
    /// Read functioning with the trained reader as well as the rules.
    pub functioning_reader: bool,
    /// OCR pages without a text layer.
    pub ocr: bool,
}

/// Which arms of precedent search run (dense vectors, sparse terms, or both fused).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RetrievalMode {
    Hybrid,
    Dense,
    Sparse,
}

impl Default for PipelineConfig {
    fn default() -> Self {
        PipelineConfig {
            k: 10,
            risk: 0.02,
            mode: RetrievalMode::Hybrid,
            max_per_diagnosis: None,
            functioning_reader: true,
            ocr: true,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ModelRef {
    /// `embedder`, `functioning_heads`, `generator`.
    pub role: String,
    pub id: String,
    pub sha256: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InputRef {
    /// `case.json` or a document id.
    pub name: String,
    pub sha256: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Provenance {
    /// Crate name and version.
    pub pipeline: String,
    pub case_id: String,
    pub rule_set: String,
    pub templates: BTreeMap<String, String>,
    pub models: Vec<ModelRef>,
    pub calibration_sha256: String,
    pub config: PipelineConfig,
    /// No sampling happens; recorded so a generator step can use it.
    pub seed: u64,
    pub inputs: Vec<InputRef>,
    pub precedents: Vec<UsedPrecedent>,
}

impl Provenance {
    /// `D-` and 16 hex digits of the provenance's hash: the same inputs give the same id.
    pub fn draft_id(&self) -> String {
        let bytes = serde_json::to_vec(self).unwrap_or_default();
        format!("D-{}", &hex::encode(Sha256::digest(bytes))[..16])
    }
}

/// A draft with everything needed to show, route and replay it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DraftRecord {
    pub format: String,
    pub draft_id: String,
    pub provenance: Provenance,
    pub assessment: Assessment,
    pub routing: Routing,
    pub draft: Draft,
    pub verification: Verification,
    /// `template` (the deterministic fallback is the only drafter configured) and how many
    /// attempts verification needed.
    pub drafted_by: String,
    pub attempts: u8,
    /// sha256 of the output (everything above except this field).
    pub output_sha256: String,
}

impl DraftRecord {
    /// The bytes replay compares: the record without its own hash.
    pub fn output_bytes(&self) -> Vec<u8> {
        let mut copy = self.clone();
        copy.output_sha256 = String::new();
        serde_json::to_vec(&copy).unwrap_or_default()
    }

    pub fn seal(mut self) -> DraftRecord {
        self.output_sha256 = hex::encode(Sha256::digest(self.output_bytes()));
        self
    }
}
