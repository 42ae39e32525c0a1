//! The ground-truth sidecar `truth.json`: what each document really says
//! (the exact rendered text, page by page for PDFs; codes; functioning
//! levels; measurements; treatment start) and how the case was built.
//! Readers of the dataset ignore it; evaluations score against it.

use std::collections::BTreeMap;

use atzinums_models::{DocumentKind, Domain, MediaType, Outcome};
use chrono::NaiveDate;
use serde::Serialize;

use super::measures::Measurement;

pub const TRUTH_FORMAT: &str = "atzinums-synth-truth/1";

#[derive(Debug, Clone, Serialize)]
pub struct CaseTruth {
    pub format: &'static str,
    pub case_id: String,
    pub latent: Latent,
    pub decision_model: Option<DecisionModel>,
    /// True when two documents state levels two or more steps apart on
    /// one domain (the case's planted contradiction).
    pub documents_contradict: bool,
    pub contradiction: Option<Contradiction>,
    pub documents: Vec<DocTruth>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Latent {
    pub main_icd10: String,
    pub secondary_icd10: Vec<String>,
    /// How the person really functions.
    pub functioning: BTreeMap<Domain, u8>,
    pub treatment_start: NaiveDate,
    pub prognosis: &'static str,
    pub reversibility: &'static str,
    pub age_at_decision: u32,
    pub accident_at_work: bool,
    pub social_care_score: Option<u8>,
}

#[derive(Debug, Clone, Serialize)]
pub struct DecisionModel {
    /// What the rules give for the true profile.
    pub model_outcome: Outcome,
    /// The expert's decision is one step off the rules (expert variability).
    pub one_step_off: bool,
    pub expert: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Contradiction {
    pub domain: Domain,
    pub true_level: u8,
    pub contradicting_level: u8,
    /// Files that state the contradicting level.
    pub files: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct DocTruth {
    pub file: String,
    pub kind: DocumentKind,
    pub media_type: MediaType,
    pub issued_at: NaiveDate,
    /// The exact text rendered: one entry per PDF page; one entry for text
    /// and DOCX (DOCX: paragraphs joined by newlines).
    pub pages: Vec<String>,
    pub icd10_main: Option<String>,
    pub icd10_secondary: Vec<String>,
    /// Functioning levels (0..=4) the document expresses, per domain.
    pub functioning: BTreeMap<Domain, u8>,
    pub measurements: Vec<Measurement>,
    pub treatment_start: Option<NaiveDate>,
    pub mentions_previous_decision: bool,
    pub contradicting: bool,
    /// 0 clean, 1 light, 2 heavy typing noise.
    pub noise: u8,
    pub hyphenation: bool,
}
