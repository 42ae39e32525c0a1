//! Clinical findings in a document's text, each with provenance: the page, the char span in the
//! page's normalised text, and the quoted words.
//!
//! Rules and lexicons cover the regular parts of Latvian clinical writing (codes, dates,
//! measurements, section headings, degree words). They are written from how Latvian doctors
//! write, not from our generator's templates; wording beyond them is left to the embedder-based
//! classifier (the inference crate), never to ever-longer lists.

pub mod dates;
pub mod diagnoses;
pub mod functioning;
pub mod measurements;
pub mod sections;

use atzinums_models::{Domain, Icd10, Qualifier};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

pub use dates::{DatePrecision, DateRole};
pub use diagnoses::DiagnosisRole;
pub use functioning::{GradedBy, Polarity};
pub use measurements::MeasureKind;
pub use sections::SectionKind;

/// Where a finding was read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Provenance {
    /// 1-based page number.
    pub page: u32,
    /// Char offsets `[start, end)` in the page's normalised text.
    pub start: usize,
    pub end: usize,
    /// The words as they stand there.
    pub quote: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum FindingKind {
    Diagnosis {
        code: Icd10,
        phrase: String,
        role: DiagnosisRole,
    },
    Date {
        date: NaiveDate,
        role: DateRole,
        precision: DatePrecision,
    },
    Measurement {
        measure: MeasureKind,
        value: f64,
        unit: String,
    },
    Functioning {
        domain: Domain,
        qualifier: Qualifier,
        polarity: Polarity,
        /// Rules or the trained model; a model's grade is an estimate to be checked.
        #[serde(default)]
        by: GradedBy,
    },
    Section {
        section: SectionKind,
    },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    #[serde(flatten)]
    pub kind: FindingKind,
    pub at: Provenance,
}

/// All findings of one document by the rules alone, given its pages as
/// `(number, normalised text)`.
pub fn find_all(pages: &[(u32, &str)]) -> Vec<Finding> {
    match find_all_with(pages, None) {
        Ok(findings) => findings,
        Err(_) => unreachable!("only the trained reader can fail"),
    }
}

/// All findings of one document; with a trained `reader`, functioning the rules cannot grade
/// is graded by the model.
pub fn find_all_with(
    pages: &[(u32, &str)],
    reader: Option<&functioning::learned::FunctioningReader>,
) -> Result<Vec<Finding>, atzinums_inference::InferenceError> {
    let mut out = Vec::new();
    for &(page, text) in pages {
        let sections = sections::find(text);
        out.extend(sections.iter().map(|s| s.finding(page, text)));
        out.extend(diagnoses::find(page, text, &sections));
        out.extend(dates::find(page, text));
        let measured = measurements::find(page, text);
        out.extend(functioning::find(page, text, &measured, reader)?);
        out.extend(measured);
    }
    Ok(out)
}

/// Provenance for the byte range `range` of `text`.
pub(crate) fn provenance(page: u32, text: &str, range: std::ops::Range<usize>) -> Provenance {
    let start = text[..range.start].chars().count();
    let quote = text[range].to_string();
    Provenance {
        page,
        start,
        end: start + quote.chars().count(),
        quote,
    }
}
