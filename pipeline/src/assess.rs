//! Assess: from the case file and the most similar precedents, estimate every decision field
//! with its basis, evidence and a calibrated confidence. The rules' verdict and the precedents'
//! vote are both kept, so the expert (and routing) sees where they disagree.

use std::collections::BTreeMap;

use atzinums_ingest::case_file::{CaseFlag, Evidence};
use atzinums_ingest::findings::Provenance;
use atzinums_models::{
    ApplicationKind, Cause, DocumentKind, FunctioningProfile, MissingItem, OpinionKind, Outcome,
    Term,
};
use atzinums_retrieval::Precedent;
use serde::{Deserialize, Serialize};

use crate::calibration::{Calibration, best_outcome, combined_score, judged};
use crate::case::CaseInput;
use crate::rules::{Age, OpinionFacts, RuleSet, RulesVerdict, rule_set_on};

/// A precedent as the assessment used it: recorded in full in the provenance, so a replay does
/// not depend on what the index holds later.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UsedPrecedent {
    pub score: f32,
    pub dense: Option<f32>,
    pub sparse: Option<f32>,
    pub precedent: Precedent,
}

/// A field's estimate: the value, how sure (calibrated on the archive), and why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Estimate<T> {
    pub value: T,
    pub confidence: f64,
    /// `rules`, `precedents`, `rules+precedents`, `precondition`, `default`.
    pub basis: String,
}

/// A precondition that stops the examination before a judgement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Precondition {
    pub outcome: Outcome,
    pub missing: Vec<MissingItem>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Assessment {
    pub rule_set: String,
    pub age: Age,
    pub profile: FunctioningProfile,
    pub rules: Outcome,
    /// The rules' outcome survives any one-step change of the profile.
    pub rules_stable: bool,
    pub precondition: Option<Precondition>,
    /// Share of the precedents' (score-weighted) vote per outcome.
    pub vote: BTreeMap<Outcome, f64>,
    /// The combined score per outcome that routing's conformal set is built on.
    pub scores: BTreeMap<Outcome, f64>,
    pub outcome: Estimate<Outcome>,
    pub work_capacity_loss_pct: Estimate<Option<u8>>,
    pub term: Estimate<Option<Term>>,
    pub cause: Estimate<Option<Cause>>,
    pub opinions: BTreeMap<OpinionKind, Estimate<bool>>,
    /// Poor prognosis stated in a document (the exception to the 6-month precondition).
    pub severe_prognosis: Option<Evidence>,
    pub social_care_score: Option<(u8, Evidence)>,
}

impl Assessment {
    /// The stratum its calibration comes from: who (adult, child, predicted) and whether the
    /// rules' verdict is stable. Whether the precedents agree is a routing reason of its own,
    /// so it does not split the calibration data further.
    pub fn stratum(&self) -> String {
        let who = if self.age.is_child() {
            "child"
        } else if self.rules == Outcome::PredictedDisability {
            "predicted"
        } else {
            "adult"
        };
        format!(
            "{who}/{}",
            if self.rules_stable {
                "stable"
            } else {
                "unstable"
            }
        )
    }

    /// The precedents' top outcome is the rules' outcome.
    pub fn precedents_agree(&self) -> bool {
        top(&self.vote) == Some(self.rules)
    }
}

fn top(m: &BTreeMap<Outcome, f64>) -> Option<Outcome> {
    // Highest share; a tie goes to the outcome first in declaration order.
    m.iter()
        .max_by(|a, b| a.1.total_cmp(b.1).then(b.0.cmp(a.0)))
        .map(|(o, _)| *o)
}

/// Assesses one case. `precedents` come best first; `calibration` sets the weight of the rules
/// against the precedents and turns scores into confidences.
pub fn assess(
    case: &CaseInput,
    precedents: &[UsedPrecedent],
    calibration: &Calibration,
) -> Assessment {
    let rules_set = rule_set_on(case.submitted_at);
    let age = case.age();
    let profile = case.file.profile();
    let predicted = case.kind == ApplicationKind::PredictedDisability;
    let RulesVerdict {
        outcome: rules,
        stable,
    } = rules_set.verdict(&profile, age, predicted);
    let severe_prognosis = poor_prognosis(case);
    let precondition = precondition(case, age, severe_prognosis.is_some());

    let vote = outcome_vote(precedents);
    let w = calibration.rules_weight;
    let scores: BTreeMap<Outcome, f64> = Outcome::ALL
        .iter()
        .copied()
        .filter(|o| judged(*o))
        .map(|o| (o, combined_score(rules, &vote, o, w)))
        .collect();
    let best = best_outcome(rules, &vote, w, age);

    let mut a = Assessment {
        rule_set: rules_set.version.to_string(),
        age,
        profile,
        rules,
        rules_stable: stable,
        precondition: precondition.clone(),
        vote,
        scores,
        outcome: Estimate {
            value: best,
            confidence: 0.0,
            basis: if best == rules {
                "rules+precedents"
            } else {
                "precedents"
            }
            .into(),
        },
        work_capacity_loss_pct: Estimate {
            value: None,
            confidence: 0.0,
            basis: "default".into(),
        },
        term: Estimate {
            value: None,
            confidence: 0.0,
            basis: "default".into(),
        },
        cause: Estimate {
            value: None,
            confidence: 0.0,
            basis: "default".into(),
        },
        opinions: BTreeMap::new(),
        severe_prognosis,
        social_care_score: social_care_score(case),
    };
    if let Some(p) = &precondition {
        a.outcome = Estimate {
            value: p.outcome,
            confidence: 1.0,
            basis: "precondition".into(),
        };
    } else {
        a.outcome.confidence = calibration.outcome_confidence(&a.stratum(), a.scores[&best]);
    }
    let outcome = a.outcome.value;
    a.work_capacity_loss_pct = percentage(
        &rules_set,
        outcome,
        age,
        &a.profile,
        precedents,
        calibration,
    );
    a.term = term(&rules_set, outcome, age, precedents, calibration);
    a.cause = cause(case, outcome, age, precedents, calibration);
    let facts = OpinionFacts {
        psychiatric_main_diagnosis: case
            .file
            .main_diagnosis
            .as_ref()
            .is_some_and(|d| d.code.chapter().number() == 5),
        social_care_score: a.social_care_score.as_ref().map(|(s, _)| *s),
    };
    for kind in &case.requested_opinions {
        let est = match rules_set.opinion_criteria(*kind, outcome, &a.profile, age, &facts) {
            Some(v) => Estimate {
                value: v,
                confidence: calibration.opinion_accuracy,
                basis: "rules".into(),
            },
            None => {
                let (v, share) = opinion_vote(*kind, outcome, precedents);
                Estimate {
                    value: v,
                    confidence: share.min(calibration.opinion_accuracy),
                    basis: "precedents".into(),
                }
            }
        };
        a.opinions.insert(*kind, est);
    }
    a
}

fn outcome_vote(precedents: &[UsedPrecedent]) -> BTreeMap<Outcome, f64> {
    let mut vote: BTreeMap<Outcome, f64> = BTreeMap::new();
    let total: f64 = precedents.iter().map(|p| f64::from(p.score.max(0.0))).sum();
    if total <= 0.0 {
        return vote;
    }
    for p in precedents {
        *vote.entry(p.precedent.outcome).or_default() += f64::from(p.score.max(0.0)) / total;
    }
    vote
}

/// Missing referral, a missing self-assessment of an adult, or a first application before six
/// months of treatment without a poor prognosis: nothing to judge yet.
fn precondition(case: &CaseInput, age: Age, severe_prognosis: bool) -> Option<Precondition> {
    let has = |kind: DocumentKind| {
        case.file
            .documents
            .iter()
            .any(|d| d.kind == kind && d.failure.is_none())
    };
    let mut missing = Vec::new();
    if case.file.flags.contains(&CaseFlag::MissingReferral) {
        missing.push(MissingItem::Referral088u);
    }
    if !age.is_child()
        && !has(DocumentKind::SelfAssessment)
        && case.kind != ApplicationKind::Contest
    {
        missing.push(MissingItem::SelfAssessment);
    }
    if !missing.is_empty() {
        return Some(Precondition {
            outcome: Outcome::Incomplete,
            missing,
        });
    }
    let short = case.file.treatment_months.is_some_and(|m| m < 6);
    if case.kind == ApplicationKind::DisabilityFirst && short && !severe_prognosis {
        return Some(Precondition {
            outcome: Outcome::Premature,
            missing: vec![MissingItem::TreatmentSixMonths],
        });
    }
    None
}

/// A sentence that names the prognosis as poor ("prognoze nelabvēlīga").
fn poor_prognosis(case: &CaseInput) -> Option<Evidence> {
    for (doc, pages) in &case.pages {
        for (page, text) in pages {
            let mut offset = 0usize;
            for sentence in text.split_inclusive(['.', '\n']) {
                let lower = sentence.to_lowercase();
                if lower.contains("prognoz")
                    && lower.contains("nelabvēlīg")
                    && !lower.contains("nav nelabvēlīg")
                {
                    let start = offset;
                    let trimmed = sentence.trim_end();
                    return Some(Evidence {
                        document: doc.clone(),
                        at: Provenance {
                            page: *page,
                            start,
                            end: start + trimmed.chars().count(),
                            quote: trimmed.trim_start().to_string(),
                        },
                    });
                }
                offset += sentence.chars().count();
            }
        }
    }
    None
}

/// "Kopējais punktu skaits: N no 20" in a social worker's assessment.
fn social_care_score(case: &CaseInput) -> Option<(u8, Evidence)> {
    for d in &case.file.documents {
        if !matches!(
            d.kind,
            DocumentKind::FunctioningAssessment | DocumentKind::SocialCareAssessment
        ) {
            continue;
        }
        for (page, text) in case.pages.get(&d.id)? {
            for line in text.lines() {
                let Some(at) = line.find(" no 20") else {
                    continue;
                };
                let digits: String = line[..at]
                    .chars()
                    .rev()
                    .take_while(|c| c.is_ascii_digit())
                    .collect::<Vec<_>>()
                    .into_iter()
                    .rev()
                    .collect();
                if let Ok(score) = digits.parse::<u8>()
                    && score <= 20
                {
                    let start = text[..text.find(line).unwrap_or(0)].chars().count();
                    return Some((
                        score,
                        Evidence {
                            document: d.id.clone(),
                            at: Provenance {
                                page: *page,
                                start,
                                end: start + line.chars().count(),
                                quote: line.trim().to_string(),
                            },
                        },
                    ));
                }
            }
        }
    }
    None
}

/// Working-age adults with a group: the weighted median of precedents with the same outcome,
/// inside the band; else the band's middle, rounded to 5.
fn percentage(
    rules: &RuleSet,
    outcome: Outcome,
    age: Age,
    profile: &FunctioningProfile,
    precedents: &[UsedPrecedent],
    calibration: &Calibration,
) -> Estimate<Option<u8>> {
    let band = match outcome {
        Outcome::PredictedDisability => {
            let severity = crate::rules::adult_severity(&crate::rules::levels(profile)).max(1);
            rules.pct_band(crate::rules::group_of(severity), age)
        }
        o => rules.pct_band(o, age),
    };
    let Some((lo, hi)) = band else {
        return Estimate {
            value: None,
            confidence: 1.0,
            basis: "rules".into(),
        };
    };
    let mut weighted: Vec<(u8, f64)> = precedents
        .iter()
        .filter(|p| p.precedent.outcome == outcome)
        .filter_map(|p| {
            p.precedent
                .work_capacity_loss_pct
                .map(|v| (v, f64::from(p.score.max(0.0))))
        })
        .filter(|(v, _)| (lo..=hi).contains(v))
        .collect();
    if weighted.is_empty() {
        let mid = ((u16::from(lo) + u16::from(hi)) / 2 / 5 * 5) as u8;
        return Estimate {
            value: Some(mid.clamp(lo, hi)),
            confidence: calibration.pct_within_5 / 2.0,
            basis: "rules".into(),
        };
    }
    weighted.sort_by_key(|a| a.0);
    let half: f64 = weighted.iter().map(|w| w.1).sum::<f64>() / 2.0;
    let mut acc = 0.0;
    let mut value = weighted[0].0;
    for (v, w) in &weighted {
        acc += w;
        value = *v;
        if acc >= half {
            break;
        }
    }
    Estimate {
        value: Some(value),
        confidence: calibration.pct_within_5,
        basis: "precedents".into(),
    }
}

/// The most weighted term among precedents with the same outcome that the rules allow here;
/// else the first allowed term.
fn term(
    rules: &RuleSet,
    outcome: Outcome,
    age: Age,
    precedents: &[UsedPrecedent],
    calibration: &Calibration,
) -> Estimate<Option<Term>> {
    let allowed = rules.allowed_terms(outcome, age);
    if allowed.is_empty() {
        return Estimate {
            value: None,
            confidence: 1.0,
            basis: "rules".into(),
        };
    }
    let mut vote: BTreeMap<Term, f64> = BTreeMap::new();
    for p in precedents.iter().filter(|p| p.precedent.outcome == outcome) {
        if let Some(t) = p.precedent.term
            && allowed.contains(&t)
        {
            *vote.entry(t).or_default() += f64::from(p.score.max(0.0));
        }
    }
    match vote
        .iter()
        .max_by(|a, b| a.1.total_cmp(b.1).then(b.0.cmp(a.0)))
    {
        Some((t, _)) => Estimate {
            value: Some(*t),
            confidence: calibration.term_accuracy,
            basis: "precedents".into(),
        },
        None => {
            let fallback = if allowed.contains(&Term::UntilEighteen) {
                Term::UntilEighteen
            } else {
                allowed[allowed.len() / 2]
            };
            Estimate {
                value: Some(fallback),
                confidence: calibration.term_accuracy / 2.0,
                basis: "rules".into(),
            }
        }
    }
}

/// Children: childhood. Others: the precedents' cause among those with the same main
/// diagnosis category, then among all; general illness when none says.
fn cause(
    case: &CaseInput,
    outcome: Outcome,
    age: Age,
    precedents: &[UsedPrecedent],
    calibration: &Calibration,
) -> Estimate<Option<Cause>> {
    if !outcome.is_disability() {
        return Estimate {
            value: None,
            confidence: 1.0,
            basis: "rules".into(),
        };
    }
    if age.is_child() {
        return Estimate {
            value: Some(Cause::Childhood),
            confidence: calibration.cause_accuracy,
            basis: "rules".into(),
        };
    }
    let category = case
        .file
        .main_diagnosis
        .as_ref()
        .map(|d| d.code.category().to_string());
    let vote_among = |same_category: bool| {
        let mut vote: BTreeMap<Cause, f64> = BTreeMap::new();
        for p in precedents {
            if same_category && p.precedent.primary_category != category {
                continue;
            }
            if let Some(c) = p.precedent.cause {
                *vote.entry(c).or_default() += f64::from(p.score.max(0.0));
            }
        }
        vote.into_iter()
            .max_by(|a, b| a.1.total_cmp(&b.1).then(b.0.cmp(&a.0)))
            .map(|(c, _)| c)
    };
    match vote_among(true).or_else(|| vote_among(false)) {
        Some(c) => Estimate {
            value: Some(c),
            confidence: calibration.cause_accuracy,
            basis: "precedents".into(),
        },
        None => Estimate {
            value: Some(Cause::GeneralIllness),
            confidence: calibration.cause_accuracy / 2.0,
            basis: "default".into(),
        },
    }
}

/// When the criteria need what the file lacks: the share of precedents with the same outcome
/// that were granted the opinion.
fn opinion_vote(kind: OpinionKind, outcome: Outcome, precedents: &[UsedPrecedent]) -> (bool, f64) {
    let (mut yes, mut all) = (0.0, 0.0);
    for p in precedents.iter().filter(|p| p.precedent.outcome == outcome) {
        if let Some(granted) = p.precedent.opinions.get(kind.as_str()) {
            let w = f64::from(p.score.max(0.0));
            all += w;
            if *granted {
                yes += w;
            }
        }
    }
    if all <= 0.0 {
        return (false, 0.5);
    }
    let share = yes / all;
    (share >= 0.5, share.max(1.0 - share))
}
