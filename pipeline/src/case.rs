//! What the pipeline reads about one application: the facts of the application, its assembled
//! case file and the normalised text of every page (the verifier checks the draft against it).

use std::collections::BTreeMap;

use atzinums_ingest::case_file::CaseFile;
use atzinums_models::{
    ApplicationKind, CaseJson, DocumentKind, OpinionKind, Outcome, PreviousDecision,
};
use chrono::NaiveDate;

use crate::rules::Age;

/// One page of a document: its 1-based number and normalised text (the text findings'
/// offsets point into).
pub type Page = (u32, String);

#[derive(Debug, Clone)]
pub struct CaseInput {
    pub case_id: String,
    pub kind: ApplicationKind,
    pub submitted_at: NaiveDate,
    pub birth_date: Option<NaiveDate>,
    pub birth_year: i32,
    pub requested_opinions: Vec<OpinionKind>,
    /// The outcome of the decision a repeat or contest follows on, when the case holds it.
    pub previous_outcome: Option<Outcome>,
    pub file: CaseFile,
    /// Document id → pages.
    pub pages: BTreeMap<String, Vec<Page>>,
}

impl CaseInput {
    pub fn from_case_json(
        case: &CaseJson,
        file: CaseFile,
        pages: BTreeMap<String, Vec<Page>>,
    ) -> CaseInput {
        CaseInput {
            case_id: case.case_id.as_str().to_string(),
            kind: case.kind,
            submitted_at: case.submitted_at,
            birth_date: case.person.birth_date,
            birth_year: case.person.year_of_birth(),
            requested_opinions: case.requested_opinions.clone(),
            previous_outcome: match &case.previous_decision {
                Some(PreviousDecision::Decision(d)) => Some(d.outcome),
                _ => None,
            },
            file,
            pages,
        }
    }

    pub fn age(&self) -> Age {
        Age::on(self.birth_date, self.birth_year, self.submitted_at)
    }

    /// Whether `document` is the person's self-assessment.
    pub fn is_self_assessment(&self, document: &str) -> bool {
        self.file
            .documents
            .iter()
            .any(|d| d.id == document && d.kind == DocumentKind::SelfAssessment)
    }

    /// A medical document two or more levels away from the case's level on some domain. A
    /// self-assessment that far away is the person's view of themselves, which the expert
    /// reads anyway: not a conflict between documents.
    pub fn medical_documents_conflict(&self) -> bool {
        self.file.functioning.values().any(|f| {
            f.conflicting
                .iter()
                .any(|e| !self.is_self_assessment(&e.document))
        })
    }

    /// The text of one page, if the document and page exist.
    pub fn page_text(&self, document: &str, page: u32) -> Option<&str> {
        self.pages
            .get(document)?
            .iter()
            .find(|(n, _)| *n == page)
            .map(|(_, t)| t.as_str())
    }
}
