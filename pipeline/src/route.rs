//! Route: `standard` only when the conformal prediction set at the configured risk holds one
//! outcome and no complexity reason applies; `complex` with the reasons named; `incomplete`
//! with what the applicant must supply. A severe prognosis before six months of treatment
//! raises the priority; it never changes an outcome.

use std::collections::BTreeSet;

use atzinums_ingest::case_file::CaseFlag;
use atzinums_models::{ApplicationKind, Outcome, ReasonCode, Route};
use serde::{Deserialize, Serialize};

use crate::assess::{Assessment, UsedPrecedent};
use crate::calibration::Calibration;
use crate::case::CaseInput;

/// Precedents with the same main-diagnosis category below this count make a diagnosis rare.
pub const RARE_BELOW: usize = 3;
/// A precedents' majority below this share means they disagree.
pub const AGREEMENT: f64 = 0.6;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Priority {
    Normal,
    High,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Routing {
    pub route: Route,
    pub priority: Priority,
    /// The conformal prediction set, best first (empty for incomplete cases).
    pub prediction_set: Vec<Outcome>,
    pub stratum: String,
}

/// Routes an assessed case; `verified` is whether its draft passed verification.
pub fn route(
    case: &CaseInput,
    a: &Assessment,
    precedents: &[UsedPrecedent],
    calibration: &Calibration,
    verified: bool,
) -> Routing {
    let severe_first = a.severe_prognosis.is_some()
        && case.kind == ApplicationKind::DisabilityFirst
        && case.file.treatment_months.is_none_or(|m| m < 6);
    let priority = if severe_first {
        Priority::High
    } else {
        Priority::Normal
    };
    let stratum = a.stratum();
    if let Some(p) = &a.precondition {
        let route = Route::incomplete(p.missing.clone())
            .unwrap_or_else(|_| complex(vec![ReasonCode::LowConfidence]));
        return Routing {
            route,
            priority,
            prediction_set: Vec::new(),
            stratum,
        };
    }
    let prediction_set = calibration.prediction_set(&stratum, &a.scores);
    let reasons = reasons(case, a, precedents, &prediction_set, verified, severe_first);
    let route = if reasons.is_empty() {
        Route::standard()
    } else {
        complex(reasons)
    };
    Routing {
        route,
        priority,
        prediction_set,
        stratum,
    }
}

fn complex(reasons: Vec<ReasonCode>) -> Route {
    Route::complex(reasons).expect("a complex route with at least one reason")
}

fn reasons(
    case: &CaseInput,
    a: &Assessment,
    precedents: &[UsedPrecedent],
    prediction_set: &[Outcome],
    verified: bool,
    severe_first: bool,
) -> Vec<ReasonCode> {
    let mut r = BTreeSet::new();
    let flags = &case.file.flags;
    if case.kind == ApplicationKind::Contest {
        r.insert(ReasonCode::Contest);
    }
    if a.age.is_child() {
        r.insert(ReasonCode::Child);
    }
    if case.medical_documents_conflict() {
        r.insert(ReasonCode::ConflictingDocuments);
    }
    if flags.contains(&CaseFlag::ScannedPages) || flags.contains(&CaseFlag::UnreadableDocument) {
        r.insert(ReasonCode::ScannedPages);
    }
    let category = case
        .file
        .main_diagnosis
        .as_ref()
        .map(|d| d.code.category().to_string());
    let same_category = precedents
        .iter()
        .filter(|p| p.precedent.primary_category == category)
        .count();
    if category.is_some() && same_category < RARE_BELOW {
        r.insert(ReasonCode::RareDiagnosis);
    }
    let top_share = a.vote.values().copied().fold(0.0, f64::max);
    if !precedents.is_empty() && top_share < AGREEMENT {
        r.insert(ReasonCode::PrecedentsDisagree);
    }
    if !a.precedents_agree() {
        r.insert(ReasonCode::RulesPrecedentsDisagree);
    }
    let chapters: BTreeSet<u8> = case
        .file
        .main_diagnosis
        .iter()
        .chain(&case.file.secondary_diagnoses)
        .map(|d| d.code.chapter().number())
        .collect();
    if chapters.len() >= 3 {
        r.insert(ReasonCode::ManyIcdChapters);
    }
    if severe_first {
        r.insert(ReasonCode::SeverePrognosisFirst);
    }
    let unsure = prediction_set.len() != 1
        || prediction_set.first() != Some(&a.outcome.value)
        || a.age.uncertain_at_threshold
        || case.file.main_diagnosis.is_none()
        || flags.contains(&CaseFlag::FunctioningModelUnavailable)
        || flags.contains(&CaseFlag::TreatmentStartUnknown);
    if unsure {
        r.insert(ReasonCode::LowConfidence);
    }
    if !verified {
        r.insert(ReasonCode::VerificationFailed);
    }
    r.into_iter().collect()
}
