//! Calibration on a held-out part of the archive: the weight of the rules against the
//! precedents, per-stratum split-conformal thresholds for routing, and confidences that are
//! observed accuracies, not raw scores.
//!
//! Routing's guarantee: within a stratum (who: adult, child, predicted; rules stable or not),
//! the prediction set `{o : 1 − score(o) ≤ q̂}` holds the signed outcome with probability at least
//! `1 − risk` for a case exchangeable with the calibration cases. A stratum with too few
//! calibration cases for that risk gets `q̂ = ∞`: every outcome is in the set, so nothing from it
//! is routed standard.

use std::collections::BTreeMap;

use atzinums_models::Outcome;

use crate::provenance::PipelineConfig;
use crate::rules::Age;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

pub const CALIBRATION_FORMAT: &str = "atzinums-calibration/2";

/// Candidate weights of the rules (the rest goes to the precedents' vote).
const RULES_WEIGHTS: [f64; 10] = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0];

/// Upper edges of the score bins within a stratum.
const SCORE_BINS: [f64; 4] = [0.5, 0.75, 0.9, f64::INFINITY];

/// Bins with fewer cases than this borrow their stratum's accuracy.
const MIN_BIN: u32 = 20;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Calibration {
    pub format: String,
    /// How the calibration cases were drafted (precedents retrieved, retrieval mode, reader)
    /// and the risk the conformal thresholds were computed for: its bounds hold for drafts
    /// made the same way only.
    pub config: PipelineConfig,
    pub rules_weight: f64,
    pub strata: BTreeMap<String, Stratum>,
    /// Share of calibration cases whose percentage was within 5 points (of those with one).
    pub pct_within_5: f64,
    pub term_accuracy: f64,
    pub cause_accuracy: f64,
    pub opinion_accuracy: f64,
    /// How many calibration cases, and the sha256 of their records.
    pub cases: usize,
    pub records_sha256: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Stratum {
    pub n: u32,
    pub correct: u32,
    /// Conformal threshold on `1 − score`; `None` stands for ∞ (too few cases).
    pub qhat: Option<f64>,
    /// Per score bin (upper edges [`SCORE_BINS`]): cases and correct.
    pub bins: Vec<(u32, u32)>,
}

/// One calibration case, as the assessment saw it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Record {
    pub case_id: String,
    pub stratum: String,
    pub rules: Outcome,
    pub vote: BTreeMap<Outcome, f64>,
    /// The person's age: it limits the outcomes a draft can propose.
    pub age: Age,
    /// The precondition's outcome, when one stopped the examination.
    pub precondition: Option<Outcome>,
    pub truth: Outcome,
    /// (predicted, signed) when both exist.
    pub pct: Option<(u8, u8)>,
    pub term_right: Option<bool>,
    pub cause_right: Option<bool>,
    /// Requested opinions: (right, all).
    pub opinions: (u32, u32),
}

impl Calibration {
    /// Before any calibration: confidences are zero and no stratum can route standard.
    pub fn uncalibrated(config: &PipelineConfig) -> Calibration {
        Calibration {
            format: CALIBRATION_FORMAT.into(),
            config: config.clone(),
            rules_weight: 0.7,
            strata: BTreeMap::new(),
            pct_within_5: 0.0,
            term_accuracy: 0.0,
            cause_accuracy: 0.0,
            opinion_accuracy: 0.0,
            cases: 0,
            records_sha256: String::new(),
        }
    }

    /// sha256 of the canonical JSON: what provenance records.
    pub fn sha256(&self) -> String {
        let json = serde_json::to_vec(self).unwrap_or_default();
        hex::encode(Sha256::digest(json))
    }

    /// The observed accuracy of the top outcome in this stratum and score bin (Laplace-smoothed).
    pub fn outcome_confidence(&self, stratum: &str, score: f64) -> f64 {
        let Some(s) = self.strata.get(stratum) else {
            return 0.0;
        };
        let bin = SCORE_BINS
            .iter()
            .position(|&edge| score < edge)
            .unwrap_or(SCORE_BINS.len() - 1);
        let (n, c) = s.bins.get(bin).copied().unwrap_or((0, 0));
        let (n, c) = if n >= MIN_BIN {
            (n, c)
        } else {
            (s.n, s.correct)
        };
        f64::from(c + 1) / f64::from(n + 2)
    }

    /// The conformal prediction set for an assessment's scores in `stratum`, best first.
    pub fn prediction_set(&self, stratum: &str, scores: &BTreeMap<Outcome, f64>) -> Vec<Outcome> {
        let qhat = self.strata.get(stratum).and_then(|s| s.qhat);
        let mut set: Vec<(Outcome, f64)> = scores
            .iter()
            .filter(|(_, s)| match qhat {
                Some(q) => 1.0 - **s <= q + 1e-12,
                None => true,
            })
            .map(|(o, s)| (*o, *s))
            .collect();
        set.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        set.into_iter().map(|(o, _)| o).collect()
    }

    /// The routing risk the thresholds hold for.
    pub fn risk(&self) -> f64 {
        self.config.risk
    }

    /// Fits on calibration records drafted with `config`, at its risk.
    pub fn fit(records: &[Record], config: &PipelineConfig) -> Calibration {
        let risk = config.risk;
        let judged: Vec<&Record> = records
            .iter()
            .filter(|r| r.precondition.is_none())
            .collect();
        let accuracy = |w: f64| judged.iter().filter(|r| predict(r, w) == r.truth).count();
        // The best weight; ties go to the larger weight (the rules are the stated law).
        let mut rules_weight = RULES_WEIGHTS[0];
        let mut best = 0;
        for w in RULES_WEIGHTS {
            let a = accuracy(w);
            if a >= best {
                best = a;
                rules_weight = w;
            }
        }
        let mut by_stratum: BTreeMap<String, Vec<&Record>> = BTreeMap::new();
        for r in &judged {
            by_stratum.entry(r.stratum.clone()).or_default().push(r);
        }
        let strata = by_stratum
            .into_iter()
            .map(|(key, rs)| {
                let mut nonconformity: Vec<f64> = rs
                    .iter()
                    .map(|r| 1.0 - score(r, r.truth, rules_weight))
                    .collect();
                nonconformity.sort_by(f64::total_cmp);
                let n = nonconformity.len();
                let k = (((n + 1) as f64) * (1.0 - risk)).ceil() as usize;
                let qhat = (k >= 1 && k <= n).then(|| nonconformity[k - 1]);
                let mut bins = vec![(0u32, 0u32); SCORE_BINS.len()];
                let mut correct = 0;
                for r in &rs {
                    let p = predict(r, rules_weight);
                    let s = score(r, p, rules_weight);
                    let bin = SCORE_BINS
                        .iter()
                        .position(|&edge| s < edge)
                        .unwrap_or(SCORE_BINS.len() - 1);
                    bins[bin].0 += 1;
                    if p == r.truth {
                        bins[bin].1 += 1;
                        correct += 1;
                    }
                }
                (
                    key,
                    Stratum {
                        n: n as u32,
                        correct,
                        qhat,
                        bins,
                    },
                )
            })
            .collect();
        let share = |xs: Vec<bool>| {
            if xs.is_empty() {
                0.0
            } else {
                xs.iter().filter(|x| **x).count() as f64 / xs.len() as f64
            }
        };
        let (op_right, op_all) = records.iter().fold((0, 0), |acc, r| {
            (acc.0 + r.opinions.0, acc.1 + r.opinions.1)
        });
        Calibration {
            format: CALIBRATION_FORMAT.into(),
            config: config.clone(),
            rules_weight,
            strata,
            pct_within_5: share(
                records
                    .iter()
                    .filter_map(|r| r.pct.map(|(p, t)| p.abs_diff(t) <= 5))
                    .collect(),
            ),
            term_accuracy: share(records.iter().filter_map(|r| r.term_right).collect()),
            cause_accuracy: share(records.iter().filter_map(|r| r.cause_right).collect()),
            opinion_accuracy: if op_all == 0 {
                0.0
            } else {
                f64::from(op_right) / f64::from(op_all)
            },
            cases: records.len(),
            records_sha256: hex::encode(Sha256::digest(
                serde_json::to_vec(records).unwrap_or_default(),
            )),
        }
    }
}

/// The combined score of outcome `o`: the rules' weight `w` when it is the rules' outcome, plus
/// `1 − w` times its share of the precedents' vote. The assessment and the fit share it.
pub fn combined_score(rules: Outcome, vote: &BTreeMap<Outcome, f64>, o: Outcome, w: f64) -> f64 {
    w * f64::from(u8::from(o == rules)) + (1.0 - w) * vote.get(&o).copied().unwrap_or(0.0)
}

/// Outcomes a judgement can reach (preconditions are decided before).
pub fn judged(o: Outcome) -> bool {
    !matches!(o, Outcome::Premature | Outcome::Incomplete)
}

/// The judged outcome with the highest combined score among those `age` allows (a child's
/// precedents cannot make an adult's draft child disability); a tie goes to the rules' outcome.
/// (An outcome neither voted for nor the rules' scores 0 and cannot win.)
pub fn best_outcome(rules: Outcome, vote: &BTreeMap<Outcome, f64>, w: f64, age: Age) -> Outcome {
    vote.keys()
        .copied()
        .filter(|o| judged(*o) && age.allows(*o))
        .chain([rules])
        .max_by(|a, b| {
            combined_score(rules, vote, *a, w)
                .total_cmp(&combined_score(rules, vote, *b, w))
                .then((*b != rules).cmp(&(*a != rules)))
        })
        .unwrap_or(rules)
}

fn score(r: &Record, o: Outcome, w: f64) -> f64 {
    combined_score(r.rules, &r.vote, o, w)
}

fn predict(r: &Record, w: f64) -> Outcome {
    best_outcome(r.rules, &r.vote, w, r.age)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(i: usize, rules: Outcome, vote_for: Outcome, truth: Outcome) -> Record {
        Record {
            case_id: format!("C-{i}"),
            stratum: "adult/stable".into(),
            rules,
            vote: BTreeMap::from([(vote_for, 1.0)]),
            age: Age {
                years: 40,
                uncertain_at_threshold: false,
            },
            precondition: None,
            truth,
            pct: None,
            term_right: None,
            cause_right: None,
            opinions: (0, 0),
        }
    }

    #[test]
    fn precedents_cannot_propose_an_outcome_the_age_forbids() {
        let at = |years| Age {
            years,
            uncertain_at_threshold: false,
        };
        // Every precedent a child's case: an adult's draft still gets an adult outcome.
        let children = BTreeMap::from([(Outcome::ChildDisability, 1.0)]);
        assert_eq!(
            best_outcome(Outcome::GroupIII, &children, 0.3, at(20)),
            Outcome::GroupIII
        );
        assert_eq!(
            best_outcome(Outcome::ChildDisability, &children, 0.3, at(12)),
            Outcome::ChildDisability
        );
        // And the other way: adult precedents do not give a child a group.
        let adults = BTreeMap::from([(Outcome::GroupII, 0.8), (Outcome::None, 0.2)]);
        assert_eq!(
            best_outcome(Outcome::ChildDisability, &adults, 0.3, at(12)),
            Outcome::ChildDisability
        );
        assert_eq!(
            best_outcome(Outcome::None, &adults, 0.3, at(12)),
            Outcome::None
        );
        assert_eq!(
            best_outcome(Outcome::None, &adults, 0.3, at(40)),
            Outcome::GroupII
        );
    }

    #[test]
    fn conformal_threshold_is_the_finite_sample_quantile() {
        // 99 cases where rules and precedents are right, 1 where the truth is elsewhere.
        let mut rs: Vec<Record> = (0..99)
            .map(|i| record(i, Outcome::GroupII, Outcome::GroupII, Outcome::GroupII))
            .collect();
        rs.push(record(
            99,
            Outcome::GroupII,
            Outcome::GroupII,
            Outcome::GroupI,
        ));
        let c = Calibration::fit(&rs, &PipelineConfig::default());
        let s = &c.strata["adult/stable"];
        assert_eq!(s.n, 100);
        // k = ceil(101 × 0.98) = 99 → the 99th smallest nonconformity, which is 0.
        assert_eq!(s.qhat, Some(0.0));
        let scores = BTreeMap::from([(Outcome::GroupII, 1.0), (Outcome::GroupI, 0.0)]);
        assert_eq!(
            c.prediction_set("adult/stable", &scores),
            vec![Outcome::GroupII]
        );
        // Confidence is the observed accuracy, smoothed: (99 + 1) / (100 + 2).
        assert!((c.outcome_confidence("adult/stable", 1.0) - 100.0 / 102.0).abs() < 1e-9);
    }

    #[test]
    fn too_few_cases_or_too_many_errors_give_no_singleton() {
        let few: Vec<Record> = (0..10)
            .map(|i| record(i, Outcome::GroupII, Outcome::GroupII, Outcome::GroupII))
            .collect();
        let c = Calibration::fit(&few, &PipelineConfig::default());
        assert_eq!(c.strata["adult/stable"].qhat, None);
        let scores = BTreeMap::from([(Outcome::GroupII, 1.0), (Outcome::GroupI, 0.0)]);
        assert_eq!(c.prediction_set("adult/stable", &scores).len(), 2);
        // 10 % wrong: the 98 % quantile reaches the wrong ones' nonconformity (1.0).
        let mut noisy: Vec<Record> = (0..90)
            .map(|i| record(i, Outcome::GroupII, Outcome::GroupII, Outcome::GroupII))
            .collect();
        noisy.extend(
            (90..100).map(|i| record(i, Outcome::GroupII, Outcome::GroupII, Outcome::GroupIII)),
        );
        let c = Calibration::fit(&noisy, &PipelineConfig::default());
        assert_eq!(c.strata["adult/stable"].qhat, Some(1.0));
        assert!(c.prediction_set("adult/stable", &scores).len() > 1);
        // An unknown stratum never routes standard either.
        assert_eq!(c.prediction_set("child/stable", &scores).len(), 2);
    }

    #[test]
    fn the_weight_is_fitted_to_the_archive() {
        // Precedents right, rules wrong in most cases: the precedents must outweigh the rules.
        let mut rs: Vec<Record> = (0..60)
            .map(|i| record(i, Outcome::GroupIII, Outcome::GroupII, Outcome::GroupII))
            .collect();
        rs.extend(
            (60..100).map(|i| record(i, Outcome::GroupII, Outcome::GroupII, Outcome::GroupII)),
        );
        assert_eq!(
            Calibration::fit(&rs, &PipelineConfig::default()).rules_weight,
            0.4
        );
        // Rules right: the largest weight.
        let rs: Vec<Record> = (0..100)
            .map(|i| record(i, Outcome::GroupIII, Outcome::GroupII, Outcome::GroupIII))
            .collect();
        assert_eq!(
            Calibration::fit(&rs, &PipelineConfig::default()).rules_weight,
            1.0
        );
    }
}
