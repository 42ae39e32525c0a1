//! The expert model (see `eval/SYNTH.md`): from the judged functioning
//! profile to the outcome, percentage, term, cause and opinions, with the
//! variability between experts.

use std::collections::BTreeMap;

use atzinums_models::{
    ApplicationKind, Cause, DecisionJson, Domain, FunctioningProfile, Icd10, OpinionKind, Outcome,
    Qualifier, Term, TermMonths, WorkCapacityLoss, age_on,
};
use chrono::{Datelike, NaiveDate};
use serde_json::Map;

use super::diagnoses::{CauseHint, Prognosis, Reversibility, Specialty};
use super::lang::add_months;
use super::scenario::{DOMAINS, Scenario, idx};
use crate::rng::Rng;

/// Experts in the synthetic commission, each with a leaning.
pub const EXPERTS: usize = 40;

/// -1 strict, 0 neutral, +1 lenient.
pub fn expert_bias(expert: usize) -> i8 {
    match expert % 5 {
        0 => -1,
        3 => 1,
        _ => 0,
    }
}

/// Share of decisions one step away from the model's outcome.
pub const ONE_STEP_OFF: f64 = 0.15;

/// What the expert decided and why, before it is written as JSON.
#[derive(Debug, Clone)]
pub struct Judgement {
    pub outcome: Outcome,
    /// The outcome the rules give for the true profile (before variability).
    pub model_outcome: Outcome,
    pub one_step_off: bool,
    /// For a contest: the outcome before deciding whether to uphold.
    pub pre_contest: Outcome,
    pub judged: [u8; 6],
    pub pct: Option<u8>,
    pub term: Option<Term>,
    pub cause: Option<Cause>,
    pub opinions: BTreeMap<OpinionKind, bool>,
    pub complex: bool,
    pub expert: usize,
}

/// Adult severity: 0 none, 1 group III, 2 group II, 3 group I.
pub fn adult_ordinal(p: &[u8; 6]) -> u8 {
    let max = p.iter().copied().max().unwrap_or(0);
    let severe = p.iter().filter(|&&q| q >= 3).count();
    let moderate = p.iter().filter(|&&q| q >= 2).count();
    if max == 4 || severe >= 3 {
        3
    } else if max == 3 || moderate >= 3 {
        2
    } else if max == 2 {
        1
    } else {
        0
    }
}

pub fn child_disabled(p: &[u8; 6]) -> bool {
    let max = p.iter().copied().max().unwrap_or(0);
    max >= 2 || p.iter().filter(|&&q| q >= 1).count() >= 4
}

fn group(ordinal: u8) -> Outcome {
    match ordinal {
        0 => Outcome::None,
        1 => Outcome::GroupIII,
        2 => Outcome::GroupII,
        _ => Outcome::GroupI,
    }
}

fn ordinal_of(o: Outcome) -> u8 {
    o.ordinal().unwrap_or(0)
}

/// The outcome for a judged profile, by age, kind and treatment so far.
pub fn rule_outcome(s: &Scenario, p: &[u8; 6], age: u32) -> Outcome {
    if s.kind == ApplicationKind::DisabilityFirst
        && s.months_treated() < 6
        && s.diag.prognosis != Prognosis::Poor
    {
        return Outcome::Premature;
    }
    if s.missing_self_assessment && age >= 18 {
        return Outcome::Incomplete;
    }
    if age < 18 {
        return if child_disabled(p) {
            Outcome::ChildDisability
        } else {
            Outcome::None
        };
    }
    let o = adult_ordinal(p);
    if s.kind == ApplicationKind::PredictedDisability {
        return if o >= 1 {
            Outcome::PredictedDisability
        } else {
            Outcome::None
        };
    }
    group(o)
}

/// Judges the case. `social_score` is the self-care/mobility/home-life
/// score when an assessment was supplied.
pub fn judge(s: &Scenario, social_score: Option<u8>, rng: &mut Rng) -> Judgement {
    let expert = rng.below(EXPERTS);
    let age = s.age;
    let mut judged = s.profile;
    for q in judged.iter_mut() {
        if rng.chance(0.06) {
            *q = if *q == 0 {
                1
            } else if *q == 4 || rng.chance(0.5) {
                *q - 1
            } else {
                *q + 1
            };
        }
    }
    let model_outcome = rule_outcome(s, &s.profile, age);
    let mut outcome = rule_outcome(s, &judged, age);
    let mut one_step_off = false;
    let shiftable = matches!(
        outcome,
        Outcome::None
            | Outcome::GroupI
            | Outcome::GroupII
            | Outcome::GroupIII
            | Outcome::ChildDisability
            | Outcome::PredictedDisability
    );
    if shiftable && rng.chance(ONE_STEP_OFF) {
        let bias = expert_bias(expert);
        let dir: i8 = if bias != 0 {
            bias
        } else if rng.chance(0.5) {
            1
        } else {
            -1
        };
        let mut candidate = judged;
        if dir > 0 {
            let i = argmax(&candidate);
            candidate[i] = (candidate[i] + 1).min(4);
        } else {
            let max = candidate.iter().copied().max().unwrap_or(0);
            for q in candidate.iter_mut() {
                if *q == max && *q > 0 {
                    *q -= 1;
                }
            }
        }
        let shifted = rule_outcome(s, &candidate, age);
        if shifted != outcome {
            judged = candidate;
            outcome = shifted;
            one_step_off = true;
        }
    }
    // Contest: the contested decision is often upheld (see previous()).
    let pre_contest = outcome;
    let contest_upheld = s.kind == ApplicationKind::Contest && rng.chance(0.6);
    if contest_upheld {
        outcome = contested_outcome(s, outcome);
    }

    let pensioner = age >= 65;
    let pct = match outcome {
        Outcome::GroupI | Outcome::GroupII | Outcome::GroupIII if !pensioner => {
            Some(percentage(ordinal_of(outcome), &judged, rng))
        }
        Outcome::PredictedDisability if !pensioner => {
            Some(percentage(adult_ordinal(&judged).max(1), &judged, rng))
        }
        _ => None,
    };
    let term = term(s, outcome, rng);
    let cause = outcome.is_disability().then(|| cause(s));
    let mut opinions = BTreeMap::new();
    for kind in &s.requested {
        opinions.insert(*kind, grant(s, *kind, outcome, &judged, social_score, age));
    }
    let complex = s.contradiction.is_some()
        || (one_step_off && rng.chance(0.5))
        || s.kind == ApplicationKind::Contest
        || (s.secondary.len() >= 2 && judged.iter().any(|&q| q >= 3) && rng.chance(0.3))
        || (outcome == Outcome::Premature && rng.chance(0.3))
        || rng.chance(0.03);
    Judgement {
        outcome,
        model_outcome,
        one_step_off,
        pre_contest,
        judged,
        pct,
        term,
        cause,
        opinions,
        complex,
        expert,
    }
}

fn argmax(p: &[u8; 6]) -> usize {
    let mut best = 0;
    for i in 1..6 {
        if p[i] > p[best] {
            best = i;
        }
    }
    best
}

/// The outcome of the contested decision: usually one step milder than
/// the rules say (the person contests because they expected more).
pub fn contested_outcome(s: &Scenario, now: Outcome) -> Outcome {
    let seed = s.index as u64;
    match now {
        Outcome::GroupI => Outcome::GroupII,
        Outcome::GroupII => Outcome::GroupIII,
        Outcome::GroupIII if seed.is_multiple_of(2) => Outcome::None,
        Outcome::ChildDisability if seed.is_multiple_of(3) => Outcome::None,
        o => o,
    }
}

fn percentage(ordinal: u8, p: &[u8; 6], rng: &mut Rng) -> u8 {
    let (lo, hi) = match ordinal {
        3 => (80, 100),
        2 => (60, 79),
        _ => (25, 59),
    };
    let burden: u32 = p.iter().map(|&q| u32::from(q)).sum();
    let frac = (f64::from(burden) / 14.0).min(1.0) * 0.7 + rng.f64() * 0.3;
    let raw = f64::from(lo) + frac * f64::from(hi - lo);
    let rounded = if rng.chance(0.7) {
        (raw / 5.0).round() * 5.0
    } else {
        raw.round()
    };
    (rounded as u8).clamp(lo, hi)
}

fn term(s: &Scenario, outcome: Outcome, rng: &mut Rng) -> Option<Term> {
    let months = |m: u8| TermMonths::new(m).ok().map(Term::Months);
    let rev = s.diag.reversibility;
    let before_2025 = s.decided.year() < 2025;
    match outcome {
        Outcome::ChildDisability => {
            let turns_18 = add_months(s.birth, 18 * 12);
            if rev == Reversibility::Irreversible && (s.age >= 12 || rng.chance(0.5)) {
                return Some(Term::UntilEighteen);
            }
            let m = *rng.weighted(&[(12u8, 3.0), (24, 4.0), (60, 2.0)]);
            if add_months(s.decided, i32::from(m)) >= turns_18 {
                Some(Term::UntilEighteen)
            } else {
                months(m)
            }
        }
        Outcome::PredictedDisability => months(if rng.chance(0.6) { 12 } else { 6 }),
        Outcome::GroupI | Outcome::GroupII | Outcome::GroupIII => {
            let lifelong_p = match (rev, s.age >= 65) {
                (Reversibility::Irreversible, true) => 0.85,
                (Reversibility::Irreversible, false) => {
                    if s.kind == ApplicationKind::DisabilityRepeat
                        || s.age >= 55
                        || outcome == Outcome::GroupI
                    {
                        0.65
                    } else {
                        0.25
                    }
                }
                (Reversibility::Partial, true) => 0.35,
                _ => 0.0,
            };
            if rng.chance(lifelong_p) {
                return Some(Term::Lifelong);
            }
            let m = match rev {
                Reversibility::Reversible => *rng.weighted(&[(12u8, 7.0), (24, 3.0)]),
                Reversibility::Partial => *rng.weighted(&[(12u8, 2.0), (24, 6.0), (60, 2.5)]),
                Reversibility::Irreversible => *rng.weighted(&[(24u8, 3.0), (60, 7.0)]),
            };
            let m = if m == 12 && before_2025 && rng.chance(0.15) {
                6
            } else {
                m
            };
            months(m)
        }
        _ => None,
    }
}

fn cause(s: &Scenario) -> Cause {
    if s.age < 18 {
        return Cause::Childhood;
    }
    match s.diag.cause {
        CauseHint::Congenital => Cause::Childhood,
        CauseHint::Occupational => Cause::OccupationalDisease,
        CauseHint::Trauma if s.at_work => Cause::WorkplaceAccident,
        _ => Cause::GeneralIllness,
    }
}

fn grant(
    s: &Scenario,
    kind: OpinionKind,
    outcome: Outcome,
    p: &[u8; 6],
    social_score: Option<u8>,
    age: u32,
) -> bool {
    if !outcome.is_disability() {
        return false;
    }
    let q = |d: Domain| p[idx(d)];
    let psychiatric = matches!(
        s.diag.specialty,
        Specialty::Psychiatry | Specialty::ChildPsychiatry
    ) || s.diag.code.starts_with('F');
    match kind {
        OpinionKind::SpecialCare => {
            if age < 18 {
                q(Domain::SelfCare) >= 3 || p.contains(&4)
            } else {
                outcome == Outcome::GroupI
                    && ((psychiatric && q(Domain::Behaviour) >= 3)
                        || social_score.is_some_and(|sc| sc < 7))
            }
        }
        OpinionKind::Transport => q(Domain::Mobility) >= 3,
        OpinionKind::Escort => (5..18).contains(&age) && p.iter().copied().max().unwrap_or(0) >= 3,
        OpinionKind::TechnicalAids => q(Domain::Mobility) >= 2 || q(Domain::SelfCare) >= 2,
    }
}

/// Builds the decision JSON value.
pub fn to_json(
    s: &Scenario,
    j: &Judgement,
    decided_at: NaiveDate,
    opinion_text: String,
) -> DecisionJson {
    let codes: Vec<Icd10> = std::iter::once(s.diag.code)
        .chain(s.secondary.iter().copied())
        .filter_map(|c| c.parse().ok())
        .collect();
    let functioning: FunctioningProfile = DOMAINS
        .iter()
        .zip(j.judged.iter())
        .filter_map(|(d, q)| Qualifier::new(*q).ok().map(|q| (*d, q)))
        .collect();
    DecisionJson {
        decided_at,
        outcome: j.outcome,
        work_capacity_loss_pct: j.pct.and_then(|p| WorkCapacityLoss::new(p).ok()),
        term: j.term,
        cause: j.cause,
        primary_icd10: s.diag.code.parse().ok(),
        icd10: codes,
        functioning,
        opinions: j.opinions.clone(),
        complex: j.complex,
        opinion_text,
        expert: format!("E-{:03}", j.expert + 1),
        extra: Map::new(),
    }
}

/// The earlier decision of a repeat, contest or duplicate application.
pub fn previous(s: &Scenario, current: Outcome, rng: &mut Rng) -> Option<(DecisionJson, Outcome)> {
    let (decided, outcome) = match s.kind {
        ApplicationKind::DisabilityRepeat => {
            let m = *rng.weighted(&[(12i32, 4.0), (24, 4.0), (60, 2.0), (6, 0.5)]);
            let decided = add_months(s.submitted, -m + rng.range(1, 2) as i32);
            let then_age = age_on(s.birth, decided);
            // The condition changed since: 60 % same, 25 % was worse, 15 % milder.
            let mut p = s.profile;
            let r = rng.f64();
            let i = argmax(&p);
            if r < 0.25 {
                p[i] = (p[i] + 1).min(4);
            } else if r < 0.40 {
                p[i] = p[i].saturating_sub(1);
            }
            let o = if then_age < 18 {
                if child_disabled(&p) {
                    Outcome::ChildDisability
                } else {
                    Outcome::None
                }
            } else {
                // A repeat follows a granted status.
                group(adult_ordinal(&p).max(1))
            };
            let o = if o == Outcome::None {
                Outcome::ChildDisability
            } else {
                o
            };
            (decided, o)
        }
        ApplicationKind::Contest => {
            let decided = s.submitted - chrono::Duration::days(rng.range(8, 28));
            (decided, contested_outcome(s, current))
        }
        ApplicationKind::CertificateDuplicate => {
            let decided = add_months(s.submitted, -(rng.range(3, 40) as i32));
            let then_age = age_on(s.birth, decided);
            let o = if then_age < 18 {
                Outcome::ChildDisability
            } else {
                group(adult_ordinal(&s.profile).max(1))
            };
            (decided, o)
        }
        _ => return None,
    };
    let then_age = age_on(s.birth, decided);
    let mut prior = s.clone();
    prior.age = then_age;
    prior.decided = decided;
    prior.kind = ApplicationKind::DisabilityFirst;
    prior.missing_self_assessment = false;
    // An adult outcome for a person then under 18 cannot be: keep it valid.
    let outcome = match (then_age < 18, outcome) {
        (true, Outcome::GroupI | Outcome::GroupII | Outcome::GroupIII) => Outcome::ChildDisability,
        (false, Outcome::ChildDisability) => Outcome::GroupIII,
        (_, o) => o,
    };
    let j = Judgement {
        outcome,
        model_outcome: outcome,
        one_step_off: false,
        pre_contest: outcome,
        judged: s.profile,
        pct: match outcome {
            Outcome::GroupI | Outcome::GroupII | Outcome::GroupIII if then_age < 65 => {
                Some(percentage(ordinal_of(outcome), &s.profile, rng))
            }
            _ => None,
        },
        term: term(&prior, outcome, rng),
        cause: outcome.is_disability().then(|| cause(&prior)),
        opinions: BTreeMap::new(),
        complex: false,
        expert: rng.below(EXPERTS),
    };
    let text = super::documents::opinion_text::previous_text(&prior, &j);
    Some((to_json(&prior, &j, decided, text), outcome))
}
