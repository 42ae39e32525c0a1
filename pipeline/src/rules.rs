//! Cabinet Regulation No. 805 as a versioned rule set: which outcome a functioning profile
//! supports, the percentage band, the terms allowed, the opinions' criteria, and the
//! consistency checks a draft (or an expert's edit) must pass.
//!
//! The regulation publishes no numeric mapping from functioning to a group; the severity rule
//! here is our stated reading of it over the ICF qualifiers 0–4 (see `DOMAIN.md`): it is the
//! rules' voice in the assessment, weighed against the precedents and calibrated on the archive,
//! never the decision.

use atzinums_models::{Domain, FunctioningProfile, OpinionKind, Outcome, PctExemption, Term};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// One version of the rules, in force from `effective_from`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct RuleSet {
    /// Recorded in every draft's provenance.
    pub version: &'static str,
    pub effective_from: NaiveDate,
    /// Whether a 6-month term may be given (amendment No. 788 removed it from 2025).
    pub six_month_term: bool,
}

const fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    match NaiveDate::from_ymd_opt(y, m, d) {
        Some(d) => d,
        None => panic!("invalid rule-set date"),
    }
}

/// Every version, oldest first.
pub const RULE_SETS: [RuleSet; 2] = [
    RuleSet {
        version: "MK805/2014",
        effective_from: date(2014, 12, 23),
        six_month_term: true,
    },
    RuleSet {
        version: "MK805/2014+MK788/2024",
        effective_from: date(2025, 1, 1),
        six_month_term: false,
    },
];

/// State pension age (see `atzinums_models::state_pension_age_reached`).
pub const PENSION_AGE: u32 = 65;

/// The person, as far as the rules need them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Age {
    /// Full years on the application date (an estimate when only the birth year is known).
    pub years: u32,
    /// The birth date is unknown and the person may be on either side of 18 or of 65.
    pub uncertain_at_threshold: bool,
}

impl Age {
    pub fn is_child(self) -> bool {
        self.years < 18
    }

    /// Whether `outcome` can be given at this age: the groups are for adults, child disability
    /// for those under 18. A draft never proposes what this refuses.
    pub fn allows(self, outcome: Outcome) -> bool {
        match outcome {
            Outcome::GroupI | Outcome::GroupII | Outcome::GroupIII => !self.is_child(),
            Outcome::ChildDisability => self.is_child(),
            _ => true,
        }
    }

    pub fn exemption(self) -> PctExemption {
        if self.is_child() {
            PctExemption::Child
        } else if self.years >= PENSION_AGE {
            PctExemption::PensionAge
        } else {
            PctExemption::None
        }
    }

    /// From the birth date when known, else from the birth year (the middle of the year).
    pub fn on(birth_date: Option<NaiveDate>, birth_year: i32, day: NaiveDate) -> Age {
        use chrono::Datelike;
        if let Some(b) = birth_date {
            return Age {
                years: atzinums_models::age_on(b, day),
                uncertain_at_threshold: false,
            };
        }
        let upper = (day.year() - birth_year).max(0) as u32;
        let lower = upper.saturating_sub(1);
        let years = if day.month() >= 7 { upper } else { lower };
        let straddles = |t: u32| lower < t && upper >= t;
        Age {
            years,
            uncertain_at_threshold: straddles(18) || straddles(PENSION_AGE),
        }
    }
}

/// The rule set in force on `day` (the application date).
pub fn rule_set_on(day: NaiveDate) -> RuleSet {
    RULE_SETS
        .iter()
        .rev()
        .find(|r| r.effective_from <= day)
        .copied()
        .unwrap_or(RULE_SETS[0])
}

pub fn rule_set_by_version(version: &str) -> Option<RuleSet> {
    RULE_SETS.iter().find(|r| r.version == version).copied()
}

/// Qualifiers of the six domains in a fixed order; a domain not described counts as 0.
pub fn levels(profile: &FunctioningProfile) -> [u8; 6] {
    let mut out = [0u8; 6];
    for (i, d) in Domain::ALL.iter().enumerate().take(6) {
        out[i] = profile.get(*d).map_or(0, |q| q.value());
    }
    out
}

/// Adult severity 0..=3 (none, III, II, I): very severe when a domain is complete or three are
/// severe; severe when one is severe or three are moderate; moderate when one is moderate.
pub fn adult_severity(levels: &[u8; 6]) -> u8 {
    let max = levels.iter().copied().max().unwrap_or(0);
    let at_least = |q: u8| levels.iter().filter(|&&l| l >= q).count();
    if max == 4 || at_least(3) >= 3 {
        3
    } else if max == 3 || at_least(2) >= 3 {
        2
    } else if max == 2 {
        1
    } else {
        0
    }
}

/// A child has a disability with one moderate limitation or four mild ones.
pub fn child_disabled(levels: &[u8; 6]) -> bool {
    levels.iter().copied().max().unwrap_or(0) >= 2
        || levels.iter().filter(|&&l| l >= 1).count() >= 4
}

pub fn group_of(severity: u8) -> Outcome {
    match severity {
        0 => Outcome::None,
        1 => Outcome::GroupIII,
        2 => Outcome::GroupII,
        _ => Outcome::GroupI,
    }
}

/// What the rules say about a judged profile.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RulesVerdict {
    pub outcome: Outcome,
    /// The outcome stays the same when any one domain moves one step either way, or when the
    /// heaviest limitations move one step together: ordinary disagreement between readers
    /// does not change it.
    pub stable: bool,
}

impl RuleSet {
    /// The outcome for a profile, for a person of `age` applying with `predicted` (a predicted
    /// disability application). Preconditions (documents, treatment time) are the assessment's.
    pub fn verdict(&self, profile: &FunctioningProfile, age: Age, predicted: bool) -> RulesVerdict {
        let base = levels(profile);
        let outcome = self.outcome_of(&base, age, predicted);
        let mut stable = true;
        for variant in one_step_variants(&base) {
            if self.outcome_of(&variant, age, predicted) != outcome {
                stable = false;
                break;
            }
        }
        RulesVerdict { outcome, stable }
    }

    fn outcome_of(&self, levels: &[u8; 6], age: Age, predicted: bool) -> Outcome {
        if age.is_child() {
            return if child_disabled(levels) {
                Outcome::ChildDisability
            } else {
                Outcome::None
            };
        }
        let severity = adult_severity(levels);
        if predicted {
            return if severity >= 1 {
                Outcome::PredictedDisability
            } else {
                Outcome::None
            };
        }
        group_of(severity)
    }

    /// The loss-of-working-capacity band for an outcome, or `None` when no percentage is given.
    pub fn pct_band(&self, outcome: Outcome, age: Age) -> Option<(u8, u8)> {
        if age.exemption() != PctExemption::None {
            return None;
        }
        match outcome {
            Outcome::GroupI => Some((80, 100)),
            Outcome::GroupII => Some((60, 79)),
            Outcome::GroupIII => Some((25, 59)),
            _ => None,
        }
    }

    /// The terms that may be given with `outcome` to a person of `age`.
    pub fn allowed_terms(&self, outcome: Outcome, age: Age) -> Vec<Term> {
        use atzinums_models::TermMonths;
        let months = |m: u8| TermMonths::new(m).map(Term::Months).ok();
        match outcome {
            Outcome::PredictedDisability => [6, 12].into_iter().filter_map(months).collect(),
            Outcome::ChildDisability => {
                let mut t: Vec<Term> = [12, 24, 60].into_iter().filter_map(months).collect();
                t.push(Term::UntilEighteen);
                t
            }
            Outcome::GroupI | Outcome::GroupII | Outcome::GroupIII if !age.is_child() => {
                let mut t: Vec<Term> = Vec::new();
                if self.six_month_term {
                    t.extend(months(6));
                }
                t.extend([12, 24, 60].into_iter().filter_map(months));
                t.push(Term::Lifelong);
                t
            }
            _ => Vec::new(),
        }
    }

    /// Whether the criteria for a requested opinion are met, given the outcome and profile.
    /// `None` when the criteria need something the case file does not hold.
    pub fn opinion_criteria(
        &self,
        kind: OpinionKind,
        outcome: Outcome,
        profile: &FunctioningProfile,
        age: Age,
        facts: &OpinionFacts,
    ) -> Option<bool> {
        let level = |d: Domain| profile.get(d).map_or(0, |q| q.value());
        if !outcome.is_disability() {
            return Some(false);
        }
        match kind {
            OpinionKind::SpecialCare => {
                if age.is_child() {
                    Some(level(Domain::SelfCare) >= 3 || levels(profile).contains(&4))
                } else if outcome != Outcome::GroupI {
                    Some(false)
                } else {
                    let behaviour =
                        facts.psychiatric_main_diagnosis && level(Domain::Behaviour) >= 3;
                    match facts.social_care_score {
                        Some(score) => Some(behaviour || score < 7),
                        None if behaviour => Some(true),
                        None => None,
                    }
                }
            }
            OpinionKind::Transport => Some(level(Domain::Mobility) >= 3),
            OpinionKind::Escort => {
                Some((5..18).contains(&age.years) && levels(profile).iter().any(|&l| l >= 3))
            }
            OpinionKind::TechnicalAids => {
                Some(level(Domain::Mobility) >= 2 || level(Domain::SelfCare) >= 2)
            }
        }
    }
}

/// Facts beyond the profile that opinion criteria need.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OpinionFacts {
    /// ICD-10 chapter V (mental and behavioural disorders) as the main diagnosis.
    pub psychiatric_main_diagnosis: bool,
    /// The social worker's self-care/mobility/home-life score (0–20), when supplied.
    pub social_care_score: Option<u8>,
}

/// Every profile one reader's step away: each domain ±1, and the heaviest domains one step
/// up or down together.
fn one_step_variants(base: &[u8; 6]) -> Vec<[u8; 6]> {
    let mut out = Vec::new();
    for i in 0..6 {
        if base[i] < 4 {
            let mut v = *base;
            v[i] += 1;
            out.push(v);
        }
        if base[i] > 0 {
            let mut v = *base;
            v[i] -= 1;
            out.push(v);
        }
    }
    let max = base.iter().copied().max().unwrap_or(0);
    if max > 0 {
        let mut down = *base;
        for l in down.iter_mut().filter(|l| **l == max) {
            *l -= 1;
        }
        out.push(down);
    }
    out
}

/// A consistency problem between fields of a draft.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Violation {
    /// Machine-readable: `pct_band`, `pct_not_allowed`, `term_not_allowed`, `term_missing`,
    /// `child_outcome_for_adult`, `adult_group_for_child`, `special_care_criteria`,
    /// `transport_criteria`.
    pub code: String,
    /// What is wrong, in English, naming the values.
    pub message: String,
}

/// The decision fields the consistency checks look at.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DecisionFields {
    pub outcome: Outcome,
    pub work_capacity_loss_pct: Option<u8>,
    pub term: Option<Term>,
    pub special_care: Option<bool>,
    pub transport: Option<bool>,
}

impl RuleSet {
    /// Checks group ↔ percentage band ↔ age, the term against age and outcome, and the
    /// criteria of granted opinions. Empty when consistent.
    pub fn check(
        &self,
        fields: &DecisionFields,
        profile: &FunctioningProfile,
        age: Age,
    ) -> Vec<Violation> {
        let mut out = Vec::new();
        let mut add = |code: &str, message: String| {
            out.push(Violation {
                code: code.to_string(),
                message,
            })
        };
        let o = fields.outcome;
        if !age.allows(o) {
            if age.is_child() {
                add(
                    "adult_group_for_child",
                    format!("{o} is for adults; the person is {} years old", age.years),
                );
            } else {
                add(
                    "child_outcome_for_adult",
                    format!("child_disability for a person of {} years", age.years),
                );
            }
        }
        // Predicted disability carries the percentage of the group it anticipates (any band)
        // for a person of working age, none for a child or a pensioner.
        let band = match o {
            Outcome::PredictedDisability if age.exemption() == PctExemption::None => {
                Some((25, 100))
            }
            _ => self.pct_band(o, age),
        };
        match (band, fields.work_capacity_loss_pct) {
            (Some((lo, hi)), Some(p)) if p < lo || p > hi => add(
                "pct_band",
                format!("{o} requires {lo}–{hi} %, the draft says {p} %"),
            ),
            (Some((lo, hi)), None) => {
                add("pct_band", format!("{o} requires a percentage {lo}–{hi} %"))
            }
            (None, Some(p)) if o != Outcome::None || p >= 25 => add(
                "pct_not_allowed",
                format!(
                    "no percentage is given with {o} at age {}, the draft says {p} %",
                    age.years
                ),
            ),
            _ => {}
        }
        let allowed = self.allowed_terms(o, age);
        match fields.term {
            Some(t) if !allowed.contains(&t) => add(
                "term_not_allowed",
                format!(
                    "term {} is not allowed with {o} at age {} under {}",
                    term_label(t),
                    age.years,
                    self.version
                ),
            ),
            None if !allowed.is_empty() => add("term_missing", format!("{o} needs a term")),
            _ => {}
        }
        let level = |d: Domain| profile.get(d).map_or(0, |q| q.value());
        if fields.special_care == Some(true) && !age.is_child() && o != Outcome::GroupI {
            add(
                "special_care_criteria",
                format!("special care for an adult requires group I, the draft says {o}"),
            );
        }
        if fields.transport == Some(true) && level(Domain::Mobility) < 3 {
            add(
                "transport_criteria",
                format!(
                    "transport requires a severe mobility limitation, the profile has {}",
                    level(Domain::Mobility)
                ),
            );
        }
        out
    }
}

pub fn term_label(t: Term) -> String {
    match t {
        Term::Months(m) => format!("{} months", m.get()),
        Term::Lifelong => "lifelong".into(),
        Term::UntilEighteen => "until 18".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use atzinums_models::Qualifier;

    fn profile(levels: [u8; 6]) -> FunctioningProfile {
        let mut p = FunctioningProfile::new();
        for (d, l) in Domain::ALL.iter().zip(levels) {
            p.set(*d, Qualifier::new(l).unwrap());
        }
        p
    }

    const ADULT: Age = Age {
        years: 50,
        uncertain_at_threshold: false,
    };
    const CHILD: Age = Age {
        years: 10,
        uncertain_at_threshold: false,
    };
    const PENSIONER: Age = Age {
        years: 70,
        uncertain_at_threshold: false,
    };

    #[test]
    fn versions_follow_the_application_date() {
        assert_eq!(rule_set_on(date(2024, 12, 31)).version, "MK805/2014");
        assert_eq!(
            rule_set_on(date(2025, 1, 1)).version,
            "MK805/2014+MK788/2024"
        );
        assert!(rule_set_on(date(2020, 5, 1)).six_month_term);
        assert!(!rule_set_on(date(2026, 5, 1)).six_month_term);
    }

    #[test]
    fn adult_groups_by_severity() {
        let r = rule_set_on(date(2025, 6, 1));
        let v = |l| r.verdict(&profile(l), ADULT, false).outcome;
        assert_eq!(v([0, 0, 0, 4, 0, 0]), Outcome::GroupI);
        assert_eq!(v([3, 3, 3, 0, 0, 0]), Outcome::GroupI);
        assert_eq!(v([0, 0, 0, 3, 0, 0]), Outcome::GroupII);
        assert_eq!(v([2, 2, 2, 0, 0, 0]), Outcome::GroupII);
        assert_eq!(v([0, 2, 0, 1, 1, 0]), Outcome::GroupIII);
        assert_eq!(v([1, 1, 1, 1, 1, 1]), Outcome::None);
        assert_eq!(
            r.verdict(&profile([0, 0, 0, 2, 0, 0]), ADULT, true).outcome,
            Outcome::PredictedDisability
        );
        assert_eq!(
            r.verdict(&profile([1, 1, 1, 1, 0, 0]), CHILD, false)
                .outcome,
            Outcome::ChildDisability
        );
        assert_eq!(
            r.verdict(&profile([1, 1, 0, 0, 0, 0]), CHILD, false)
                .outcome,
            Outcome::None
        );
    }

    #[test]
    fn stability_means_no_single_step_changes_the_outcome() {
        let r = rule_set_on(date(2025, 6, 1));
        // Three complete limitations: any one step keeps group I.
        assert!(r.verdict(&profile([4, 4, 4, 0, 0, 0]), ADULT, false).stable);
        // One severe domain: a step down makes it group III.
        assert!(!r.verdict(&profile([0, 0, 0, 3, 0, 0]), ADULT, false).stable);
        // A child with two complete limitations stays a child with disability.
        assert!(r.verdict(&profile([4, 4, 0, 0, 0, 0]), CHILD, false).stable);
    }

    #[test]
    fn terms_follow_the_version_and_age() {
        use atzinums_models::TermMonths;
        let six = Term::Months(TermMonths::new(6).unwrap());
        assert!(
            rule_set_on(date(2020, 1, 1))
                .allowed_terms(Outcome::GroupII, ADULT)
                .contains(&six)
        );
        assert!(
            !rule_set_on(date(2025, 2, 1))
                .allowed_terms(Outcome::GroupII, ADULT)
                .contains(&six)
        );
        assert!(
            rule_set_on(date(2025, 2, 1))
                .allowed_terms(Outcome::ChildDisability, CHILD)
                .contains(&Term::UntilEighteen)
        );
        assert!(
            rule_set_on(date(2025, 2, 1))
                .allowed_terms(Outcome::None, ADULT)
                .is_empty()
        );
    }

    #[test]
    fn consistency_checks_name_the_problem() {
        let r = rule_set_on(date(2025, 6, 1));
        let p = profile([0, 0, 0, 2, 0, 0]);
        let fields = |outcome, pct, term, special_care, transport| DecisionFields {
            outcome,
            work_capacity_loss_pct: pct,
            term,
            special_care,
            transport,
        };
        let codes = |f: &DecisionFields, age| -> Vec<String> {
            r.check(f, &p, age).into_iter().map(|v| v.code).collect()
        };
        assert!(
            codes(
                &fields(
                    Outcome::GroupIII,
                    Some(40),
                    Some(Term::Lifelong),
                    None,
                    None
                ),
                ADULT
            )
            .is_empty()
        );
        assert_eq!(
            codes(
                &fields(
                    Outcome::GroupIII,
                    Some(70),
                    Some(Term::Lifelong),
                    None,
                    None
                ),
                ADULT
            ),
            ["pct_band"]
        );
        assert_eq!(
            codes(
                &fields(
                    Outcome::GroupIII,
                    Some(40),
                    Some(Term::Lifelong),
                    None,
                    None
                ),
                PENSIONER
            ),
            ["pct_not_allowed"]
        );
        assert_eq!(
            codes(
                &fields(Outcome::GroupIII, Some(40), None, Some(true), Some(true)),
                ADULT
            ),
            [
                "term_missing",
                "special_care_criteria",
                "transport_criteria"
            ]
        );
        assert_eq!(
            codes(
                &fields(
                    Outcome::GroupII,
                    None,
                    Some(Term::UntilEighteen),
                    None,
                    None
                ),
                CHILD
            ),
            ["adult_group_for_child", "term_not_allowed"]
        );
        let msg = &r.check(
            &fields(
                Outcome::GroupIII,
                Some(70),
                Some(Term::Lifelong),
                None,
                None,
            ),
            &p,
            ADULT,
        )[0]
        .message;
        assert!(msg.contains("25–59") && msg.contains("70"), "{msg}");
    }

    #[test]
    fn predicted_disability_takes_a_percentage_only_at_working_age() {
        let r = rule_set_on(date(2025, 6, 1));
        let p = profile([0, 0, 0, 2, 0, 0]);
        let six = atzinums_models::TermMonths::new(6).map(Term::Months).ok();
        let fields = |pct| DecisionFields {
            outcome: Outcome::PredictedDisability,
            work_capacity_loss_pct: pct,
            term: six,
            special_care: None,
            transport: None,
        };
        assert!(r.check(&fields(Some(65)), &p, ADULT).is_empty());
        assert_eq!(
            r.check(&fields(Some(65)), &p, PENSIONER)[0].code,
            "pct_not_allowed"
        );
    }

    #[test]
    fn age_from_birth_year_is_flagged_near_thresholds() {
        let a = Age::on(None, 2008, date(2026, 3, 1));
        assert!(a.uncertain_at_threshold);
        let b = Age::on(None, 1970, date(2026, 3, 1));
        assert!(!b.uncertain_at_threshold);
        assert_eq!(
            Age::on(Some(date(2008, 2, 1)), 2008, date(2026, 3, 1)).years,
            18
        );
    }
}
