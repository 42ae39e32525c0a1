//! Where a case goes after intake: the standard queue, the complex queue
//! (with reasons), or back to the applicant (with the missing items).

use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::macros::string_enum;

string_enum! {
    pub enum RouteKind ("route_kind") {
        Standard = "standard",
        Complex = "complex",
        Incomplete = "incomplete",
    }
}

string_enum! {
    /// Why a case is routed to the complex queue.
    pub enum ReasonCode ("reason_code") {
        Contest = "contest",
        Child = "child",
        ConflictingDocuments = "conflicting_documents",
        ScannedPages = "scanned_pages",
        RareDiagnosis = "rare_diagnosis",
        PrecedentsDisagree = "precedents_disagree",
        RulesPrecedentsDisagree = "rules_precedents_disagree",
        LowConfidence = "low_confidence",
        ManyIcdChapters = "many_icd_chapters",
        SeverePrognosisFirst = "severe_prognosis_first",
        VerificationFailed = "verification_failed",
    }
}

string_enum! {
    /// What the applicant still has to supply.
    pub enum MissingItem ("missing_item") {
        Referral088u = "referral_088u",
        TreatmentSixMonths = "treatment_six_months",
        SelfAssessment = "self_assessment",
        SocialCareAssessment = "social_care_assessment",
        RehabilitationPlan = "rehabilitation_plan",
        SickLeaveB = "sick_leave_b",
        ProofOfRepresentation = "proof_of_representation",
    }
}

impl ReasonCode {
    /// Short explanation for experts, in Latvian.
    pub fn latvian(&self) -> &'static str {
        match self {
            ReasonCode::Contest => "Apstrīdēts lēmums",
            ReasonCode::Child => "Bērns",
            ReasonCode::ConflictingDocuments => "Dokumenti ir pretrunīgi",
            ReasonCode::ScannedPages => "Skenētas lapas, teksts var būt neprecīzs",
            ReasonCode::RareDiagnosis => "Reta diagnoze",
            ReasonCode::PrecedentsDisagree => "Līdzīgo gadījumu lēmumi atšķiras",
            ReasonCode::RulesPrecedentsDisagree => {
                "Noteikumu kritēriji neatbilst līdzīgo gadījumu lēmumiem"
            }
            ReasonCode::LowConfidence => "Zema melnraksta ticamība",
            ReasonCode::ManyIcdChapters => "Diagnozes no daudzām SSK-10 nodaļām",
            ReasonCode::SeverePrognosisFirst => "Smaga prognoze pirms 6 ārstēšanas mēnešiem",
            ReasonCode::VerificationFailed => "Melnraksta pārbaude neizdevās",
        }
    }

    /// Short explanation for experts, in English.
    pub fn english(&self) -> &'static str {
        match self {
            ReasonCode::Contest => "The decision is contested",
            ReasonCode::Child => "The person is a child",
            ReasonCode::ConflictingDocuments => "The documents contradict each other",
            ReasonCode::ScannedPages => "Scanned pages; the text may be inaccurate",
            ReasonCode::RareDiagnosis => "Rare diagnosis",
            ReasonCode::PrecedentsDisagree => "Decisions in similar cases differ",
            ReasonCode::RulesPrecedentsDisagree => {
                "The rule criteria disagree with decisions in similar cases"
            }
            ReasonCode::LowConfidence => "Low confidence in the draft",
            ReasonCode::ManyIcdChapters => "Diagnoses from many ICD-10 chapters",
            ReasonCode::SeverePrognosisFirst => "Severe prognosis before 6 months of treatment",
            ReasonCode::VerificationFailed => "The draft failed verification",
        }
    }
}

impl MissingItem {
    /// Short explanation for the applicant, in Latvian.
    pub fn latvian(&self) -> &'static str {
        match self {
            MissingItem::Referral088u => "Ārsta nosūtījums (veidlapa 088/u)",
            MissingItem::TreatmentSixMonths => {
                "Dokumenti par vismaz 6 mēnešu nepārtrauktu ārstēšanu"
            }
            MissingItem::SelfAssessment => "Funkcionālo spēju pašnovērtējuma anketa",
            MissingItem::SocialCareAssessment => "Sociālā darbinieka vai ergoterapeita izvērtējums",
            MissingItem::RehabilitationPlan => "Individuālais rehabilitācijas plāns",
            MissingItem::SickLeaveB => "Darbnespējas lapa B",
            MissingItem::ProofOfRepresentation => "Pārstāvības apliecinājums",
        }
    }

    /// Short explanation for the applicant, in English.
    pub fn english(&self) -> &'static str {
        match self {
            MissingItem::Referral088u => "Doctor's referral (form 088/u)",
            MissingItem::TreatmentSixMonths => {
                "Records of at least 6 months of continuous treatment"
            }
            MissingItem::SelfAssessment => "Functional-abilities self-assessment form",
            MissingItem::SocialCareAssessment => {
                "Assessment by a social worker or occupational therapist"
            }
            MissingItem::RehabilitationPlan => "Individual rehabilitation plan",
            MissingItem::SickLeaveB => "Sick-leave certificate B",
            MissingItem::ProofOfRepresentation => "Proof of legal representation",
        }
    }
}

/// A routing decision. Its shape always matches its kind: complex routes
/// carry reasons, incomplete routes carry missing items, standard carries
/// neither. Lists are sorted and free of duplicates.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "RouteRepr", into = "RouteRepr")]
pub struct Route {
    kind: RouteKind,
    reasons: Vec<ReasonCode>,
    missing: Vec<MissingItem>,
}

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum RouteError {
    #[error("route: a complex route needs at least one reason")]
    NoReasons,
    #[error("route: an incomplete route needs at least one missing item")]
    NoMissingItems,
    #[error("route: a {kind} route cannot carry {what}")]
    Unexpected { kind: RouteKind, what: &'static str },
}

fn sorted<T: Ord>(mut v: Vec<T>) -> Vec<T> {
    v.sort();
    v.dedup();
    v
}

impl Route {
    pub fn standard() -> Self {
        Route {
            kind: RouteKind::Standard,
            reasons: Vec::new(),
            missing: Vec::new(),
        }
    }

    pub fn complex(reasons: Vec<ReasonCode>) -> Result<Self, RouteError> {
        if reasons.is_empty() {
            return Err(RouteError::NoReasons);
        }
        Ok(Route {
            kind: RouteKind::Complex,
            reasons: sorted(reasons),
            missing: Vec::new(),
        })
    }

    pub fn incomplete(missing: Vec<MissingItem>) -> Result<Self, RouteError> {
        if missing.is_empty() {
            return Err(RouteError::NoMissingItems);
        }
        Ok(Route {
            kind: RouteKind::Incomplete,
            reasons: Vec::new(),
            missing: sorted(missing),
        })
    }

    pub fn kind(&self) -> RouteKind {
        self.kind
    }

    /// Empty unless the route is complex.
    pub fn reasons(&self) -> &[ReasonCode] {
        &self.reasons
    }

    /// Empty unless the route is incomplete.
    pub fn missing(&self) -> &[MissingItem] {
        &self.missing
    }
}

/// Wire shape: `{"kind": ..., "reasons": [...], "missing": [...]}`.
#[derive(Serialize, Deserialize)]
struct RouteRepr {
    kind: RouteKind,
    #[serde(default)]
    reasons: Vec<ReasonCode>,
    #[serde(default)]
    missing: Vec<MissingItem>,
}

impl TryFrom<RouteRepr> for Route {
    type Error = RouteError;

    fn try_from(r: RouteRepr) -> Result<Self, Self::Error> {
        let unexpected = |what| RouteError::Unexpected { kind: r.kind, what };
        match r.kind {
            RouteKind::Standard if !r.reasons.is_empty() => Err(unexpected("reasons")),
            RouteKind::Standard if !r.missing.is_empty() => Err(unexpected("missing items")),
            RouteKind::Standard => Ok(Route::standard()),
            RouteKind::Complex if !r.missing.is_empty() => Err(unexpected("missing items")),
            RouteKind::Complex => Route::complex(r.reasons),
            RouteKind::Incomplete if !r.reasons.is_empty() => Err(unexpected("reasons")),
            RouteKind::Incomplete => Route::incomplete(r.missing),
        }
    }
}

impl From<Route> for RouteRepr {
    fn from(r: Route) -> Self {
        RouteRepr {
            kind: r.kind,
            reasons: r.reasons,
            missing: r.missing,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constructors_keep_invariants() {
        let s = Route::standard();
        assert_eq!(s.kind(), RouteKind::Standard);
        assert!(s.reasons().is_empty() && s.missing().is_empty());

        let c = Route::complex(vec![
            ReasonCode::LowConfidence,
            ReasonCode::Child,
            ReasonCode::LowConfidence,
        ])
        .unwrap();
        assert_eq!(c.reasons(), [ReasonCode::Child, ReasonCode::LowConfidence]);
        assert_eq!(Route::complex(vec![]), Err(RouteError::NoReasons));

        let i =
            Route::incomplete(vec![MissingItem::SickLeaveB, MissingItem::Referral088u]).unwrap();
        assert_eq!(
            i.missing(),
            [MissingItem::Referral088u, MissingItem::SickLeaveB]
        );
        assert_eq!(Route::incomplete(vec![]), Err(RouteError::NoMissingItems));
    }

    #[test]
    fn serde_round_trip_rechecks() {
        let c = Route::complex(vec![ReasonCode::RareDiagnosis]).unwrap();
        let json = serde_json::to_string(&c).unwrap();
        assert_eq!(
            json,
            r#"{"kind":"complex","reasons":["rare_diagnosis"],"missing":[]}"#
        );
        assert_eq!(serde_json::from_str::<Route>(&json).unwrap(), c);

        let s: Route = serde_json::from_str(r#"{"kind":"standard"}"#).unwrap();
        assert_eq!(s, Route::standard());

        for bad in [
            r#"{"kind":"complex"}"#,
            r#"{"kind":"incomplete","missing":[]}"#,
            r#"{"kind":"standard","reasons":["child"]}"#,
            r#"{"kind":"complex","reasons":["child"],"missing":["sick_leave_b"]}"#,
            r#"{"kind":"incomplete","reasons":["child"],"missing":["sick_leave_b"]}"#,
            r#"{"kind":"complex","reasons":["whim"]}"#,
        ] {
            assert!(serde_json::from_str::<Route>(bad).is_err(), "{bad}");
        }
        let e = serde_json::from_str::<Route>(r#"{"kind":"complex"}"#).unwrap_err();
        assert!(e.to_string().contains("at least one reason"), "{e}");
    }

    #[test]
    fn every_code_is_explained() {
        for r in ReasonCode::ALL {
            assert!(!r.latvian().is_empty() && !r.english().is_empty());
            assert_eq!(r.as_str().parse::<ReasonCode>(), Ok(*r));
        }
        for m in MissingItem::ALL {
            assert!(!m.latvian().is_empty() && !m.english().is_empty());
            assert_eq!(m.as_str().parse::<MissingItem>(), Ok(*m));
        }
        assert_eq!(RouteKind::ALL.len(), 3);
    }
}
