//! The case file: all documents of one application assembled into what the expert (and the
//! model) reads — documents deduplicated by hash, in chronological order; main and secondary
//! diagnoses; a functioning profile per domain with the evidence for and against; treatment
//! duration; and flags for what needs attention.

use std::collections::{BTreeMap, BTreeSet};

use atzinums_models::{DocumentKind, Domain, FunctioningProfile, Icd10, Qualifier};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::findings::functioning::learned::FunctioningReader;
use crate::findings::{
    DatePrecision, DateRole, DiagnosisRole, Finding, FindingKind, Polarity, Provenance,
};
use crate::types::{ExtractedDocument, Failure};
use atzinums_inference::catalogue::Icd10Catalogue;

/// One document as it enters the case file.
#[derive(Debug, Clone)]
pub struct DocumentInput {
    /// Stable id used in citations: the file name in a dataset, the document id in the store.
    pub id: String,
    pub sha256: String,
    pub kind: DocumentKind,
    pub issued_at: Option<NaiveDate>,
    pub extracted: Result<ExtractedDocument, Failure>,
}

/// Evidence: which document, and where in it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Evidence {
    pub document: String,
    #[serde(flatten)]
    pub at: Provenance,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DocumentSummary {
    pub id: String,
    pub kind: DocumentKind,
    pub issued_at: Option<NaiveDate>,
    pub pages: usize,
    pub scanned: bool,
    /// Pages a person must read in the original.
    pub pages_needing_a_person: Vec<u32>,
    /// Set when the document could not be read at all.
    pub failure: Option<Failure>,
    /// Another document had the same content; this one was not read again.
    pub duplicate_of: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DiagnosisEntry {
    pub code: Icd10,
    pub phrase: String,
    /// The WHO title, when a catalogue was given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub who_title: Option<String>,
    pub evidence: Vec<Evidence>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DomainAssessment {
    pub qualifier: Qualifier,
    pub supporting: Vec<Evidence>,
    /// Statements two or more steps away from the chosen level.
    pub conflicting: Vec<Evidence>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CaseFlag {
    ConflictingDocuments,
    ScannedPages,
    UnreadableDocument,
    MissingReferral,
    TreatmentUnderSixMonths,
    TreatmentStartUnknown,
    /// A stated ICD-10 code is not in the WHO catalogue (mistyped or national).
    UnknownIcd10Code,
    /// The trained functioning reader failed; functioning was read by the rules alone.
    FunctioningModelUnavailable,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CaseFile {
    /// In chronological order (undated last), duplicates marked.
    pub documents: Vec<DocumentSummary>,
    pub main_diagnosis: Option<DiagnosisEntry>,
    pub secondary_diagnoses: Vec<DiagnosisEntry>,
    /// Stated codes the WHO catalogue does not hold: shown to the expert, never used as a diagnosis.
    pub unknown_codes: Vec<DiagnosisEntry>,
    pub functioning: BTreeMap<Domain, DomainAssessment>,
    pub treatment_start: Option<(NaiveDate, Evidence)>,
    /// Whole months from treatment start to the application.
    pub treatment_months: Option<u32>,
    pub flags: BTreeSet<CaseFlag>,
    /// Every finding, for the expert's evidence view.
    pub findings: Vec<(String, Finding)>,
}

impl CaseFile {
    pub fn profile(&self) -> FunctioningProfile {
        self.functioning
            .iter()
            .map(|(d, a)| (*d, a.qualifier))
            .collect()
    }
}

/// Assembles the case file of an application submitted on `submitted_at`. With a catalogue,
/// every stated ICD-10 code is checked against the WHO list; with a `reader`, functioning the
/// rules cannot grade is graded by the trained model.
pub fn assemble(
    inputs: Vec<DocumentInput>,
    submitted_at: NaiveDate,
    catalogue: Option<&Icd10Catalogue>,
    reader: Option<&FunctioningReader>,
) -> CaseFile {
    let mut seen: BTreeMap<String, String> = BTreeMap::new();
    let mut documents = Vec::new();
    let mut findings: Vec<(String, Finding)> = Vec::new();
    let mut flags = BTreeSet::new();
    let mut order: Vec<(Option<NaiveDate>, usize)> = Vec::new();

    for input in inputs {
        let duplicate_of = seen.get(&input.sha256).cloned();
        let mut summary = DocumentSummary {
            id: input.id.clone(),
            kind: input.kind,
            issued_at: input.issued_at,
            pages: 0,
            scanned: false,
            pages_needing_a_person: Vec::new(),
            failure: None,
            duplicate_of: duplicate_of.clone(),
        };
        if duplicate_of.is_none() {
            seen.insert(input.sha256.clone(), input.id.clone());
            match &input.extracted {
                Ok(doc) => {
                    summary.pages = doc.pages.len();
                    summary.scanned = doc.is_scanned();
                    summary.pages_needing_a_person = doc
                        .pages
                        .iter()
                        .filter(|p| p.needs_human)
                        .map(|p| p.number)
                        .collect();
                    let pages: Vec<(u32, &str)> = doc
                        .pages
                        .iter()
                        .map(|p| (p.number, p.text.as_str()))
                        .collect();
                    let found = match crate::findings::find_all_with(&pages, reader) {
                        Ok(found) => found,
                        Err(_) => {
                            flags.insert(CaseFlag::FunctioningModelUnavailable);
                            crate::findings::find_all(&pages)
                        }
                    };
                    if summary.issued_at.is_none() {
                        summary.issued_at = found.iter().find_map(|f| match f.kind {
                            FindingKind::Date {
                                date,
                                role: DateRole::Issued,
                                ..
                            } => Some(date),
                            _ => None,
                        });
                    }
                    findings.extend(found.into_iter().map(|f| (input.id.clone(), f)));
                }
                Err(failure) => {
                    summary.failure = Some(failure.clone());
                    flags.insert(CaseFlag::UnreadableDocument);
                }
            }
        }
        if summary.scanned {
            flags.insert(CaseFlag::ScannedPages);
        }
        if !summary.pages_needing_a_person.is_empty() {
            flags.insert(CaseFlag::UnreadableDocument);
        }
        order.push((summary.issued_at, documents.len()));
        documents.push(summary);
    }
    // Chronology: dated documents by date, then undated in the order given.
    order.sort_by_key(|(date, i)| (date.is_none(), *date, *i));
    let documents: Vec<DocumentSummary> = order
        .into_iter()
        .map(|(_, i)| documents[i].clone())
        .collect();

    if !documents.iter().any(|d| {
        d.kind == DocumentKind::Referral088u && d.failure.is_none() && d.duplicate_of.is_none()
    }) {
        flags.insert(CaseFlag::MissingReferral);
    }

    let (main_diagnosis, secondary_diagnoses, unknown_codes) =
        diagnoses(&findings, &documents, catalogue);
    if !unknown_codes.is_empty() {
        flags.insert(CaseFlag::UnknownIcd10Code);
    }
    let functioning = functioning(&findings);
    if functioning.values().any(|a| !a.conflicting.is_empty()) {
        flags.insert(CaseFlag::ConflictingDocuments);
    }
    let treatment_start = treatment_start(&findings, submitted_at);
    let treatment_months = treatment_start
        .as_ref()
        .map(|(start, _)| whole_months(*start, submitted_at));
    match treatment_months {
        None => {
            flags.insert(CaseFlag::TreatmentStartUnknown);
        }
        Some(m) if m < 6 => {
            flags.insert(CaseFlag::TreatmentUnderSixMonths);
        }
        Some(_) => {}
    }
    CaseFile {
        documents,
        main_diagnosis,
        secondary_diagnoses,
        unknown_codes,
        functioning,
        treatment_start,
        treatment_months,
        flags,
        findings,
    }
}

/// The treatment start: among dates marked as such (and not after the application), the most
/// precise kind wins, then the earliest.
pub fn treatment_start(
    findings: &[(String, Finding)],
    submitted_at: NaiveDate,
) -> Option<(NaiveDate, Evidence)> {
    let candidates: Vec<(NaiveDate, DatePrecision, &String, &Finding)> = findings
        .iter()
        .filter_map(|(doc, f)| match f.kind {
            FindingKind::Date {
                date,
                role: DateRole::TreatmentStart,
                precision,
            } if date <= submitted_at => Some((date, precision, doc, f)),
            _ => None,
        })
        .collect();
    let (best, _) =
        crate::findings::dates::best_start(candidates.iter().map(|(d, p, _, _)| (*d, *p)))?;
    candidates
        .into_iter()
        .find(|(d, _, _, _)| *d == best)
        .map(|(date, _, doc, f)| {
            (
                date,
                Evidence {
                    document: doc.clone(),
                    at: f.at.clone(),
                },
            )
        })
}

fn whole_months(from: NaiveDate, to: NaiveDate) -> u32 {
    use chrono::Datelike;
    let months = (to.year() - from.year()) * 12 + to.month() as i32 - from.month() as i32;
    let months = if to.day() < from.day() {
        months - 1
    } else {
        months
    };
    months.max(0) as u32
}

/// Main diagnosis: the code most often stated as main, preferring the referral 088/u; the other
/// stated diagnoses are secondary. Codes only mentioned in passing are left out.
fn diagnoses(
    findings: &[(String, Finding)],
    documents: &[DocumentSummary],
    catalogue: Option<&Icd10Catalogue>,
) -> (
    Option<DiagnosisEntry>,
    Vec<DiagnosisEntry>,
    Vec<DiagnosisEntry>,
) {
    let referral: BTreeSet<&str> = documents
        .iter()
        .filter(|d| d.kind == DocumentKind::Referral088u)
        .map(|d| d.id.as_str())
        .collect();
    let mut entries: BTreeMap<Icd10, (DiagnosisEntry, u32)> = BTreeMap::new();
    for (doc, f) in findings {
        let FindingKind::Diagnosis { code, phrase, role } = &f.kind else {
            continue;
        };
        if *role == DiagnosisRole::Mentioned {
            continue;
        }
        let entry = entries.entry(code.clone()).or_insert_with(|| {
            let who_title = catalogue
                .and_then(|c| c.title(code.as_str()))
                .map(str::to_string);
            (
                DiagnosisEntry {
                    code: code.clone(),
                    phrase: phrase.clone(),
                    who_title,
                    evidence: Vec::new(),
                },
                0,
            )
        });
        if entry.0.phrase.is_empty() {
            entry.0.phrase = phrase.clone();
        }
        entry.0.evidence.push(Evidence {
            document: doc.clone(),
            at: f.at.clone(),
        });
        if *role == DiagnosisRole::Main {
            entry.1 += if referral.contains(doc.as_str()) {
                3
            } else {
                1
            };
        }
    }
    let (known, unknown): (BTreeMap<_, _>, BTreeMap<_, _>) = entries
        .into_iter()
        .partition(|(code, _)| catalogue.is_none_or(|c| c.contains(code.as_str())));
    let mut known = known;
    let main = known
        .iter()
        .filter(|(_, (_, score))| *score > 0)
        .max_by_key(|(code, (e, score))| {
            (*score, e.evidence.len(), std::cmp::Reverse((*code).clone()))
        })
        .map(|(c, _)| c.clone());
    let main_entry = main.as_ref().and_then(|c| known.remove(c)).map(|(e, _)| e);
    (
        main_entry,
        known.into_values().map(|(e, _)| e).collect(),
        unknown.into_values().map(|(e, _)| e).collect(),
    )
}

/// Per domain: the median of the graded statements (hedged ones count only when nothing firmer
/// is said); statements two or more levels away from it are conflicting evidence.
fn functioning(findings: &[(String, Finding)]) -> BTreeMap<Domain, DomainAssessment> {
    let mut by_domain: BTreeMap<Domain, Vec<(u8, bool, Evidence)>> = BTreeMap::new();
    for (doc, f) in findings {
        if let FindingKind::Functioning {
            domain,
            qualifier,
            polarity,
            ..
        } = f.kind
        {
            let evidence = Evidence {
                document: doc.clone(),
                at: f.at.clone(),
            };
            by_domain.entry(domain).or_default().push((
                qualifier.value(),
                polarity == Polarity::Hedged,
                evidence,
            ));
        }
    }
    by_domain
        .into_iter()
        .map(|(domain, graded)| {
            let mut firm: Vec<u8> = graded
                .iter()
                .filter(|(_, hedged, _)| !hedged)
                .map(|(q, _, _)| *q)
                .collect();
            if firm.is_empty() {
                firm = graded.iter().map(|(q, _, _)| *q).collect();
            }
            firm.sort_unstable();
            let median = firm[(firm.len() - 1) / 2];
            let (supporting, conflicting): (Vec<_>, Vec<_>) = graded
                .into_iter()
                .partition(|(q, _, _)| q.abs_diff(median) < 2);
            let assessment = DomainAssessment {
                qualifier: Qualifier::new(median).expect("levels are 0..=4"),
                supporting: supporting.into_iter().map(|(_, _, e)| e).collect(),
                conflicting: conflicting.into_iter().map(|(_, _, e)| e).collect(),
            };
            (domain, assessment)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::{FailureKind, Page, PageSource};

    fn doc(texts: &[&str]) -> Result<ExtractedDocument, Failure> {
        Ok(ExtractedDocument {
            pages: texts
                .iter()
                .zip(1..)
                .map(|(t, number)| Page {
                    number,
                    text: t.to_string(),
                    source: PageSource::TextLayer,
                    needs_human: false,
                    original_offsets: Vec::new(),
                })
                .collect(),
            encoding: None,
        })
    }

    fn input(
        id: &str,
        sha: &str,
        kind: DocumentKind,
        extracted: Result<ExtractedDocument, Failure>,
    ) -> DocumentInput {
        DocumentInput {
            id: id.into(),
            sha256: sha.into(),
            kind,
            issued_at: None,
            extracted,
        }
    }

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn assembles_diagnoses_profile_duration_and_flags() {
        let referral = "Nosūtījums 088/u. Datums: 01.03.2024.\nDiagnoze:\nPamatdiagnoze: G35 Multiplā skleroze\n\
                        Blakusdiagnozes: I10 Hipertensija\nAnamnēze: Ārstējas kopš 2018. gada 14. martā.\n\
                        Objektīvi: Pārvietojas ar spieķi. EDSS 6,0.";
        let discharge = "Izraksts. Datums: 10.01.2024.\nDiagnoze: G35 Multiplā skleroze\nPašaprūpē pilnībā atkarīgs.";
        let other = "Izraksts. Pašaprūpē nav ierobežojumu.";
        let file = assemble(
            vec![
                input(
                    "01-referral.pdf",
                    "a",
                    DocumentKind::Referral088u,
                    doc(&[referral]),
                ),
                input(
                    "02-discharge.pdf",
                    "b",
                    DocumentKind::DischargeSummary,
                    doc(&[discharge]),
                ),
                input(
                    "03-copy.pdf",
                    "a",
                    DocumentKind::Referral088u,
                    doc(&[referral]),
                ),
                input(
                    "04-other.txt",
                    "c",
                    DocumentKind::SpecialistOpinion,
                    doc(&[other]),
                ),
                input(
                    "05-scan.pdf",
                    "d",
                    DocumentKind::Other,
                    Err(Failure::new(FailureKind::Encrypted, "password")),
                ),
            ],
            date(2024, 3, 20),
            None,
            None,
        );
        assert_eq!(file.main_diagnosis.as_ref().unwrap().code.as_str(), "G35");
        assert_eq!(
            file.secondary_diagnoses
                .iter()
                .map(|d| d.code.as_str())
                .collect::<Vec<_>>(),
            ["I10"]
        );
        assert_eq!(file.treatment_months, Some(72));
        assert_eq!(file.functioning[&Domain::Mobility].qualifier.value(), 2);
        // Self-care: "completely dependent" against "no limitation" is a conflict.
        assert!(!file.functioning[&Domain::SelfCare].conflicting.is_empty());
        assert!(file.flags.contains(&CaseFlag::ConflictingDocuments));
        assert!(file.flags.contains(&CaseFlag::UnreadableDocument));
        assert!(!file.flags.contains(&CaseFlag::MissingReferral));
        // Chronology by issue date; the duplicate is marked and not read twice.
        assert_eq!(file.documents[0].id, "02-discharge.pdf");
        let copy = file
            .documents
            .iter()
            .find(|d| d.id == "03-copy.pdf")
            .unwrap();
        assert_eq!(copy.duplicate_of.as_deref(), Some("01-referral.pdf"));
        assert_eq!(
            file.findings
                .iter()
                .filter(|(d, _)| d == "03-copy.pdf")
                .count(),
            0
        );
        // Every piece of evidence points at a document, a page and the quoted words.
        let e = &file.main_diagnosis.as_ref().unwrap().evidence[0];
        assert_eq!(
            (e.document.as_str(), e.at.page, e.at.quote.as_str()),
            ("01-referral.pdf", 1, "G35")
        );
    }

    #[test]
    fn codes_outside_the_who_list_are_set_aside() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("icd10.tsv");
        std::fs::write(&path, "# atzinums-catalogue/1 kind=icd10 sources=x\nG35\tMultiple sclerosis\nI10\tEssential (primary) hypertension\n").unwrap();
        let catalogue = Icd10Catalogue::load(&path).unwrap();
        let text = "Diagnoze:\nPamatdiagnoze: G35 Multiplā skleroze\nBlakusdiagnozes: I10 Hipertensija; G99.9 Kaut kas";
        let file = assemble(
            vec![input(
                "a.txt",
                "x",
                DocumentKind::Referral088u,
                doc(&[text]),
            )],
            date(2024, 5, 1),
            Some(&catalogue),
            None,
        );
        let main = file.main_diagnosis.unwrap();
        assert_eq!(
            (main.code.as_str(), main.who_title.as_deref()),
            ("G35", Some("Multiple sclerosis"))
        );
        assert_eq!(file.secondary_diagnoses.len(), 1);
        assert_eq!(
            file.unknown_codes
                .iter()
                .map(|d| d.code.as_str())
                .collect::<Vec<_>>(),
            ["G99.9"]
        );
        assert!(file.flags.contains(&CaseFlag::UnknownIcd10Code));
    }

    #[test]
    fn short_treatment_and_missing_referral_are_flagged() {
        let file = assemble(
            vec![input(
                "a.txt",
                "x",
                DocumentKind::DischargeSummary,
                doc(&["Slimo kopš 2024. gada 1. februāra."]),
            )],
            date(2024, 5, 1),
            None,
            None,
        );
        assert_eq!(file.treatment_months, Some(3));
        assert!(file.flags.contains(&CaseFlag::TreatmentUnderSixMonths));
        assert!(file.flags.contains(&CaseFlag::MissingReferral));
    }
}
