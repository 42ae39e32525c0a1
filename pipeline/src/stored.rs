//! What the intake step keeps of an application (`atzinums-case-file/1`), and the decision a
//! draft proposes to the expert. The worker writes the case file; the review workspace reads it.

use std::collections::BTreeMap;

use atzinums_ingest::case_file::CaseFile;
use atzinums_models::{ApplicationKind, DecisionJson, OpinionKind, Outcome, Sex};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::{DraftRecord, InputRef, Page};

/// The format of a stored case file; bump when its meaning changes.
pub const CASE_FILE_FORMAT: &str = "atzinums-case-file/1";

/// A case file with what drafts cite and hash: pages per document, the documents' text, the
/// inputs' hashes.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Assembled {
    pub file: CaseFile,
    pub pages: BTreeMap<String, Vec<Page>>,
    pub text: String,
    pub inputs: Vec<InputRef>,
}

/// The facts the pipeline reads about the application and the person (no personal code), and
/// the assembled case file.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StoredCaseFile {
    pub format: String,
    pub case_id: String,
    pub kind: ApplicationKind,
    pub submitted_at: NaiveDate,
    pub birth_date: Option<NaiveDate>,
    pub birth_year: Option<i32>,
    pub sex: Sex,
    pub region: String,
    pub requested_opinions: Vec<OpinionKind>,
    pub previous_outcome: Option<Outcome>,
    pub assembled: Assembled,
}

/// The first line of a drafted conclusion (`prompts/conclusion.lv.j2`); with the line after it,
/// the banner that tells the expert this is a machine draft for review.
const DRAFT_BANNER: &str = "EKSPERTĪZES SLĒDZIENA PROJEKTS";

/// The conclusion without its draft banner: what the expert proposes and the official signs
/// is not a machine draft any more.
fn without_draft_banner(conclusion: &str) -> String {
    match conclusion.strip_prefix(DRAFT_BANNER) {
        Some(rest) => rest
            .trim_start_matches('\n')
            .split_once('\n')
            .map_or("", |(_, after)| after)
            .to_string(),
        None => conclusion.to_string(),
    }
}

/// The decision a draft proposes, in `decision.json`'s shape: the draft's fields, the
/// diagnoses read from the documents, the functioning profile assessed, the conclusion as the
/// opinion text. The expert edits it; only a signature makes it a decision.
pub fn proposed_decision(
    record: &DraftRecord,
    file: &CaseFile,
    expert: &str,
    today: NaiveDate,
) -> DecisionJson {
    let f = &record.draft.fields;
    let primary = file.main_diagnosis.as_ref().map(|d| d.code.clone());
    let icd10 = primary
        .iter()
        .cloned()
        .chain(file.secondary_diagnoses.iter().map(|d| d.code.clone()))
        .collect();
    DecisionJson {
        decided_at: today,
        outcome: f.outcome,
        work_capacity_loss_pct: f
            .work_capacity_loss_pct
            .and_then(|p| atzinums_models::WorkCapacityLoss::new(p).ok()),
        term: f.term,
        cause: f.cause,
        primary_icd10: primary,
        icd10,
        functioning: record.assessment.profile.clone(),
        opinions: f.opinions.clone(),
        complex: record.routing.route.kind() != atzinums_models::RouteKind::Standard,
        opinion_text: without_draft_banner(&record.draft.conclusion),
        expert: expert.to_string(),
        extra: Default::default(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_proposed_text_drops_only_the_draft_banner() {
        let drafted = "EKSPERTĪZES SLĒDZIENA PROJEKTS\nSagatavots automātiski ārsta eksperta pārbaudei.\nLieta: C-1.\n\nDiagnozes";
        assert_eq!(without_draft_banner(drafted), "Lieta: C-1.\n\nDiagnozes");
        let edited = "Lieta: C-1.\nEKSPERTĪZES SLĒDZIENA PROJEKTS";
        assert_eq!(without_draft_banner(edited), edited);
    }
}
