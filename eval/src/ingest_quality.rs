//! How faithfully ingestion reads a synthetic archive, scored against each case's `truth.json`:
//! text fidelity of PDFs, ICD-10 precision and recall, functioning qualifiers per document and
//! domain (exact and within one), and the treatment-start error.
//!
//! Extraction runs in process here: the archive is our own trusted output, and scoring thousands
//! of documents through a sandbox per file would measure process start-up, not reading.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::Path;

use atzinums_ingest::findings::functioning::learned::FunctioningReader;
use atzinums_ingest::findings::{DiagnosisRole, FindingKind, GradedBy, find_all_with};
use atzinums_ingest::{ExtractOptions, extract_in_process};
use atzinums_models::Domain;
use chrono::NaiveDate;
use serde::Serialize;
use serde_json::Value;

use crate::dataset::{DatasetError, read_dataset};

#[derive(Debug, Clone, Default, Serialize)]
pub struct IngestQuality {
    pub cases: usize,
    pub documents: usize,
    pub unreadable_documents: usize,
    /// Characters of PDF source text recovered: 1 − edit distance / length, whitespace-insensitive.
    pub pdf_pages: usize,
    pub pdf_char_fidelity: f64,
    pub icd10_true_positives: usize,
    pub icd10_false_positives: usize,
    pub icd10_false_negatives: usize,
    /// Main/secondary role right, among codes found.
    pub icd10_role_accuracy: f64,
    /// (document, domain) pairs the truth grades.
    pub functioning_pairs: usize,
    pub functioning_found: usize,
    pub functioning_exact: usize,
    pub functioning_within_one: usize,
    pub functioning_confusion: BTreeMap<String, usize>,
    /// Functioning statements graded by the trained model (the rest by the rules).
    pub functioning_model_statements: usize,
    /// Per source of a pair's statements (rules, model, both): (pairs, exact).
    pub functioning_by_source: BTreeMap<String, (usize, usize)>,
    pub functioning_statements: usize,
    pub treatment_cases: usize,
    pub treatment_found: usize,
    pub treatment_mean_abs_error_months: f64,
    /// Every (document, domain) pair read wrongly or not at all, with what was read: for error
    /// analysis on synthetic data (it quotes the documents).
    #[serde(skip)]
    pub functioning_mismatches: Vec<FunctioningMismatch>,
}

/// A (document, domain) pair whose level was missed or read wrongly.
#[derive(Debug, Clone, Serialize)]
pub struct FunctioningMismatch {
    pub case: String,
    pub file: String,
    pub domain: Domain,
    pub truth: u8,
    /// The median of the statements' levels; `None` when nothing was stated.
    pub got: Option<u8>,
    pub statements: Vec<StatedLevel>,
}

/// One functioning finding of the document for the pair's domain.
#[derive(Debug, Clone, Serialize)]
pub struct StatedLevel {
    pub level: u8,
    pub by: GradedBy,
    pub quote: String,
}

impl IngestQuality {
    pub fn icd10_precision(&self) -> f64 {
        ratio(
            self.icd10_true_positives,
            self.icd10_true_positives + self.icd10_false_positives,
        )
    }
    pub fn icd10_recall(&self) -> f64 {
        ratio(
            self.icd10_true_positives,
            self.icd10_true_positives + self.icd10_false_negatives,
        )
    }
    /// Exact matches over all graded pairs (a pair we say nothing about counts as a miss).
    pub fn functioning_exact_rate(&self) -> f64 {
        ratio(self.functioning_exact, self.functioning_pairs)
    }
    pub fn functioning_within_one_rate(&self) -> f64 {
        ratio(self.functioning_within_one, self.functioning_pairs)
    }
    pub fn functioning_coverage(&self) -> f64 {
        ratio(self.functioning_found, self.functioning_pairs)
    }
}

/// The median level of a pair's statements (the lower middle one for an even count).
fn median_level(stated: &[StatedLevel]) -> u8 {
    let mut levels: Vec<u8> = stated.iter().map(|s| s.level).collect();
    levels.sort_unstable();
    levels[(levels.len() - 1) / 2]
}

fn ratio(a: usize, b: usize) -> f64 {
    if b == 0 { 1.0 } else { a as f64 / b as f64 }
}

impl fmt::Display for IngestQuality {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "cases {}, documents {} ({} unreadable)",
            self.cases, self.documents, self.unreadable_documents
        )?;
        writeln!(
            f,
            "PDF text fidelity: {:.4} over {} pages",
            self.pdf_char_fidelity, self.pdf_pages
        )?;
        writeln!(
            f,
            "ICD-10: precision {:.4}, recall {:.4} (tp {}, fp {}, fn {}); main/secondary right {:.3}",
            self.icd10_precision(),
            self.icd10_recall(),
            self.icd10_true_positives,
            self.icd10_false_positives,
            self.icd10_false_negatives,
            self.icd10_role_accuracy
        )?;
        writeln!(
            f,
            "functioning per document and domain: exact {:.3}, within one {:.3}, stated {:.3} of {} pairs",
            self.functioning_exact_rate(),
            self.functioning_within_one_rate(),
            self.functioning_coverage(),
            self.functioning_pairs
        )?;
        writeln!(
            f,
            "  statements: {} ({} graded by the trained model)",
            self.functioning_statements, self.functioning_model_statements
        )?;
        for (source, (pairs, exact)) in &self.functioning_by_source {
            writeln!(
                f,
                "  pairs stated by {source}: {pairs}, exact {:.3}",
                ratio(*exact, *pairs)
            )?;
        }
        writeln!(
            f,
            "  confusion (truth→found: count): {:?}",
            self.functioning_confusion
        )?;
        writeln!(
            f,
            "treatment start: found in {} of {} cases, mean error {:.2} months",
            self.treatment_found, self.treatment_cases, self.treatment_mean_abs_error_months
        )
    }
}

/// Scores the first `limit` cases of the dataset at `dir`.
///
/// With a `reader`, functioning the rules cannot grade is graded by the trained model.
pub fn score(
    dir: &Path,
    limit: usize,
    reader: Option<&FunctioningReader>,
) -> Result<IngestQuality, DatasetError> {
    let dataset = read_dataset(dir)?;
    let options = ExtractOptions {
        ocr: false,
        ..ExtractOptions::default()
    };
    let mut q = IngestQuality::default();
    let (mut fidelity_sum, mut role_right, mut role_total, mut treatment_error) =
        (0.0, 0usize, 0usize, 0i64);
    for case in dataset.cases.iter().take(limit) {
        let Some(truth) = std::fs::read_to_string(case.dir.join("truth.json"))
            .ok()
            .and_then(|t| serde_json::from_str::<Value>(&t).ok())
        else {
            continue;
        };
        q.cases += 1;
        let mut case_findings: Vec<(String, atzinums_ingest::findings::Finding)> = Vec::new();
        for doc in truth["documents"].as_array().into_iter().flatten() {
            let file = doc["file"].as_str().unwrap_or_default();
            let Ok(bytes) = std::fs::read(case.dir.join("documents").join(file)) else {
                continue;
            };
            q.documents += 1;
            let Ok(extracted) = extract_in_process(&bytes, &options) else {
                q.unreadable_documents += 1;
                continue;
            };
            if file.ends_with(".pdf") {
                for (page, source) in extracted
                    .pages
                    .iter()
                    .zip(doc["pages"].as_array().into_iter().flatten())
                {
                    fidelity_sum += char_fidelity(source.as_str().unwrap_or_default(), &page.text);
                    q.pdf_pages += 1;
                }
            }
            let pages: Vec<(u32, &str)> = extracted
                .pages
                .iter()
                .map(|p| (p.number, p.text.as_str()))
                .collect();
            let findings =
                find_all_with(&pages, reader).map_err(|e| DatasetError::Model(e.to_string()))?;

            // ICD-10: stated diagnoses (main and secondary) against the document's truth.
            let truth_main = doc["icd10_main"].as_str().map(str::to_string);
            let truth_codes: BTreeSet<String> = truth_main
                .iter()
                .cloned()
                .chain(
                    doc["icd10_secondary"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .filter_map(|c| c.as_str().map(str::to_string)),
                )
                .collect();
            let mut found: BTreeMap<String, DiagnosisRole> = BTreeMap::new();
            for f in &findings {
                if let FindingKind::Diagnosis { code, role, .. } = &f.kind
                    && *role != DiagnosisRole::Mentioned
                {
                    found.entry(code.as_str().to_string()).or_insert(*role);
                }
            }
            for (code, role) in &found {
                if truth_codes.contains(code) {
                    q.icd10_true_positives += 1;
                    role_total += 1;
                    let is_main = truth_main.as_deref() == Some(code.as_str());
                    role_right += usize::from(is_main == (*role == DiagnosisRole::Main));
                } else {
                    q.icd10_false_positives += 1;
                }
            }
            q.icd10_false_negatives += truth_codes
                .iter()
                .filter(|c| !found.contains_key(*c))
                .count();

            // Functioning: the document's median statement per domain against its truth.
            let mut stated: BTreeMap<Domain, Vec<StatedLevel>> = BTreeMap::new();
            for f in &findings {
                if let FindingKind::Functioning {
                    domain,
                    qualifier,
                    by,
                    ..
                } = f.kind
                {
                    q.functioning_statements += 1;
                    q.functioning_model_statements += usize::from(by == GradedBy::Model);
                    stated.entry(domain).or_default().push(StatedLevel {
                        level: qualifier.value(),
                        by,
                        quote: f.at.quote.clone(),
                    });
                }
            }
            for (domain, level) in doc["functioning"].as_object().into_iter().flatten() {
                let Ok(domain) = domain.parse::<Domain>() else {
                    continue;
                };
                let Some(level) = level.as_u64().and_then(|l| u8::try_from(l).ok()) else {
                    continue;
                };
                q.functioning_pairs += 1;
                let levels = stated.get(&domain);
                let got = levels.as_ref().map(|levels| median_level(levels));
                if got != Some(level) {
                    q.functioning_mismatches.push(FunctioningMismatch {
                        case: case.case.case_id.as_str().to_owned(),
                        file: file.to_string(),
                        domain,
                        truth: level,
                        got,
                        statements: levels.cloned().unwrap_or_default(),
                    });
                }
                let key = match (levels, got) {
                    (Some(levels), Some(got)) => {
                        q.functioning_found += 1;
                        q.functioning_exact += usize::from(got == level);
                        let source = match (
                            levels.iter().any(|s| s.by == GradedBy::Rules),
                            levels.iter().any(|s| s.by == GradedBy::Model),
                        ) {
                            (true, false) => "rules",
                            (false, true) => "model",
                            _ => "both",
                        };
                        let tally = q.functioning_by_source.entry(source.into()).or_default();
                        tally.0 += 1;
                        tally.1 += usize::from(got == level);
                        q.functioning_within_one += usize::from(got.abs_diff(level) <= 1);
                        format!("{level}→{got}")
                    }
                    _ => format!("{level}→-"),
                };
                *q.functioning_confusion.entry(key).or_default() += 1;
            }
            case_findings.extend(findings.into_iter().map(|f| (file.to_string(), f)));
        }
        if let Some(start) = truth["latent"]["treatment_start"]
            .as_str()
            .and_then(|s| s.parse::<NaiveDate>().ok())
        {
            q.treatment_cases += 1;
            if let Some((found, _)) =
                atzinums_ingest::case_file::treatment_start(&case_findings, case.case.submitted_at)
            {
                q.treatment_found += 1;
                treatment_error += months_between(found, start).abs();
            }
        }
    }
    q.pdf_char_fidelity = if q.pdf_pages == 0 {
        1.0
    } else {
        fidelity_sum / q.pdf_pages as f64
    };
    q.icd10_role_accuracy = ratio(role_right, role_total);
    q.treatment_mean_abs_error_months = if q.treatment_found == 0 {
        0.0
    } else {
        treatment_error as f64 / q.treatment_found as f64
    };
    Ok(q)
}

fn months_between(a: NaiveDate, b: NaiveDate) -> i64 {
    use chrono::Datelike;
    i64::from((a.year() - b.year()) * 12 + a.month() as i32 - b.month() as i32)
}

/// 1 − edit distance / source length, over the non-whitespace characters of both texts, with
/// line-end hyphens removed from the source as a reader rejoins them.
pub fn char_fidelity(source: &str, extracted: &str) -> f64 {
    let clean = |s: &str| -> Vec<char> {
        s.replace("-\n", "")
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect()
    };
    let (a, b) = (clean(source), clean(extracted));
    if a.is_empty() {
        return if b.is_empty() { 1.0 } else { 0.0 };
    }
    1.0 - (edit_distance(&a, &b) as f64 / a.len() as f64).min(1.0)
}

fn edit_distance(a: &[char], b: &[char]) -> usize {
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0; b.len() + 1];
    for (i, ca) in a.iter().enumerate() {
        cur[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            cur[j + 1] = (prev[j] + usize::from(ca != cb))
                .min(prev[j + 1] + 1)
                .min(cur[j] + 1);
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fidelity_ignores_whitespace_and_counts_edits() {
        assert_eq!(
            char_fidelity("slimī-\nbas vēsture", "slimības  vēsture"),
            1.0
        );
        let f = char_fidelity("abcdefghij", "abcdefghiX");
        assert!((f - 0.9).abs() < 1e-9, "{f}");
        assert_eq!(edit_distance(&['a', 'b'], &['b']), 1);
    }
}
