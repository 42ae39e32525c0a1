//! Scoring predictions against signed decisions. The one place the summary metrics are computed,
//! whether the predictions are our drafts or a file another program wrote (`predictions.jsonl`,
//! one JSON object per line, values in the shapes of `decision.json`).

use std::collections::BTreeMap;

use atzinums_models::{Cause, DecisionJson, OpinionKind, Outcome, ReasonCode, RouteKind, Term};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::metrics::{
    accuracy, bootstrap_interval, confusion_matrix, coverage_accuracy, expected_calibration_error,
    f1, mean_absolute_error, percentile, quadratic_weighted_kappa, share_true,
};

/// One case's prediction. Only `case_id` and `outcome` are required: a system that does not
/// route, state a confidence or verify leaves those out and their metrics are `null`. Fields
/// this scorer does not know (another system's extras) are ignored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Prediction {
    pub case_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub draft_id: Option<String>,
    pub outcome: Outcome,
    #[serde(default)]
    pub work_capacity_loss_pct: Option<u8>,
    #[serde(default)]
    pub term: Option<Term>,
    #[serde(default)]
    pub cause: Option<Cause>,
    /// Requested opinions and whether each is granted.
    #[serde(default)]
    pub opinions: BTreeMap<OpinionKind, bool>,
    #[serde(default)]
    pub route: Option<RouteKind>,
    #[serde(default)]
    pub reasons: Vec<ReasonCode>,
    /// The stated probability that `outcome` is right.
    #[serde(default)]
    pub confidence: Option<f64>,
    /// Codes, dates, numbers, quotations or citations the evidence does not hold.
    #[serde(default)]
    pub ungrounded_items: Option<usize>,
    /// Fields failing a consistency check (group ↔ percentage ↔ age, term, opinions).
    #[serde(default)]
    pub inconsistent_fields: Option<usize>,
    /// Documents in the case (for the latency of 5-document cases).
    #[serde(default)]
    pub documents: Option<usize>,
    /// Seconds per stage (extract, findings, embed, search, assess, draft, verify).
    #[serde(default)]
    pub latency: BTreeMap<String, f64>,
}

/// Why a predictions file cannot be scored; names the line.
#[derive(Debug, thiserror::Error)]
pub enum ScoringError {
    #[error("line {line}: {message}")]
    Line { line: usize, message: String },
    #[error("case {0} is predicted twice")]
    Duplicate(String),
}

/// Reads `predictions.jsonl` (blank lines allowed).
pub fn read_predictions(text: &str) -> Result<Vec<Prediction>, ScoringError> {
    let mut seen = std::collections::BTreeSet::new();
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let p: Prediction = serde_json::from_str(line).map_err(|e| ScoringError::Line {
            line: i + 1,
            message: e.to_string(),
        })?;
        if !seen.insert(p.case_id.clone()) {
            return Err(ScoringError::Duplicate(p.case_id));
        }
        out.push(p);
    }
    Ok(out)
}

/// Predictions joined with the signed decisions, and what did not match.
pub struct Joined {
    pub pairs: Vec<(Prediction, DecisionJson)>,
    /// Decided cases without a prediction: scored as missing, never silently dropped.
    pub missing: Vec<String>,
    /// Predictions for cases the labelled set does not hold.
    pub unknown: Vec<String>,
}

pub fn join(predictions: Vec<Prediction>, decisions: &BTreeMap<String, DecisionJson>) -> Joined {
    let mut pairs = Vec::new();
    let mut unknown = Vec::new();
    let mut predicted = std::collections::BTreeSet::new();
    for p in predictions {
        match decisions.get(&p.case_id) {
            Some(d) => {
                predicted.insert(p.case_id.clone());
                pairs.push((p, d.clone()));
            }
            None => unknown.push(p.case_id),
        }
    }
    let missing = decisions
        .keys()
        .filter(|id| !predicted.contains(*id))
        .cloned()
        .collect();
    Joined {
        pairs,
        missing,
        unknown,
    }
}

/// Fixed, so that two runs over the same predictions give the same intervals.
const BOOTSTRAP_SEED: u64 = 20_261_127;

/// none < III < II < I as 0..=3.
fn ordinal(o: Outcome) -> Option<usize> {
    o.ordinal().map(usize::from)
}

/// The summary metrics of scored predictions.
pub fn summarise(pairs: &[(Prediction, DecisionJson)]) -> serde_json::Value {
    let outcomes: Vec<(Outcome, Outcome)> =
        pairs.iter().map(|(p, t)| (p.outcome, t.outcome)).collect();
    let ordinal_pairs: Vec<(usize, usize)> = outcomes
        .iter()
        .filter_map(|(p, t)| Some((ordinal(*p)?, ordinal(*t)?)))
        .collect();
    let pct: Vec<(f64, f64)> = pairs
        .iter()
        .filter_map(|(p, t)| {
            Some((
                f64::from(p.work_capacity_loss_pct?),
                f64::from(t.work_capacity_loss_pct?.value()),
            ))
        })
        .collect();
    let terms: Vec<_> = pairs
        .iter()
        .filter(|(p, t)| p.outcome == t.outcome && t.term.is_some())
        .map(|(p, t)| (p.term, t.term))
        .collect();
    let routed = |kind: RouteKind| pairs.iter().filter(move |(p, _)| p.route == Some(kind));
    let standard: Vec<(Outcome, Outcome)> = routed(RouteKind::Standard)
        .map(|(p, t)| (p.outcome, t.outcome))
        .collect();
    let all_routed = pairs.iter().all(|(p, _)| p.route.is_some());
    let share = |kind: RouteKind| {
        all_routed.then(|| routed(kind).count() as f64 / pairs.len().max(1) as f64)
    };
    let mut reasons = BTreeMap::<&str, usize>::new();
    for (p, _) in pairs {
        for r in &p.reasons {
            *reasons.entry(r.as_str()).or_default() += 1;
        }
    }
    let sum_all = |f: fn(&Prediction) -> Option<usize>| -> Option<usize> {
        pairs.iter().map(|(p, _)| f(p)).sum()
    };
    let confidence: Option<Vec<(f64, bool)>> = pairs
        .iter()
        .map(|(p, t)| Some((p.confidence?, p.outcome == t.outcome)))
        .collect();
    let calibration = confidence
        .as_deref()
        .and_then(|c| expected_calibration_error(c, 10))
        .map(|(ece, bins)| json!({ "ece": ece, "bins": bins }));
    let coverage = confidence
        .as_deref()
        .map(|c| thinned(coverage_accuracy(c), 200));
    let index = |o: Outcome| Outcome::ALL.iter().position(|x| *x == o).unwrap_or(0);
    let confusion = confusion_matrix(
        &outcomes
            .iter()
            .map(|(p, t)| (index(*p), index(*t)))
            .collect::<Vec<_>>(),
        Outcome::ALL.len(),
    );
    // Requested opinions: granted in the prediction against granted in the decision.
    let opinion_f1: BTreeMap<&str, Option<f64>> = OpinionKind::ALL
        .iter()
        .map(|kind| {
            let granted: Vec<(bool, bool)> = pairs
                .iter()
                .filter_map(|(p, t)| {
                    Some((p.opinions.get(kind) == Some(&true), *t.opinions.get(kind)?))
                })
                .collect();
            (kind.as_str(), f1(&granted))
        })
        .collect();
    let latency = |only: &dyn Fn(&Prediction) -> bool| {
        let chosen: Vec<&Prediction> = pairs.iter().map(|(p, _)| p).filter(|p| only(p)).collect();
        let stages: std::collections::BTreeSet<&str> = chosen
            .iter()
            .flat_map(|p| p.latency.keys().map(String::as_str))
            .collect();
        let mut out = serde_json::Map::new();
        out.insert("cases".into(), json!(chosen.len()));
        let quantiles =
            |v: Vec<f64>| json!({"p50": percentile(&v, 0.5), "p95": percentile(&v, 0.95)});
        for stage in stages {
            let v = chosen
                .iter()
                .filter_map(|p| p.latency.get(stage).copied())
                .collect();
            out.insert(stage.into(), quantiles(v));
        }
        let totals = chosen
            .iter()
            .filter(|p| !p.latency.is_empty())
            .map(|p| p.latency.values().sum())
            .collect();
        out.insert("total".into(), quantiles(totals));
        serde_json::Value::Object(out)
    };
    json!({
        "cases": pairs.len(),
        "outcome_accuracy": accuracy(&outcomes),
        "outcome_accuracy_95": bootstrap_interval(&outcomes, |o: &[(Outcome, Outcome)]| accuracy(o), 1000, 0.95, BOOTSTRAP_SEED),
        "confusion": {
            "labels": Outcome::ALL.iter().map(|o| o.as_str()).collect::<Vec<_>>(),
            "rows_true_columns_predicted": confusion,
        },
        "quadratic_weighted_kappa": quadratic_weighted_kappa(&ordinal_pairs, 4),
        "pct_mae": mean_absolute_error(&pct),
        "term_accuracy_when_outcome_right": accuracy(&terms),
        "opinion_f1": opinion_f1,
        "calibration": calibration,
        "coverage_accuracy": coverage,
        "routing": {
            "standard_share": share(RouteKind::Standard),
            "standard_accuracy": accuracy(&standard),
            "complex_share": share(RouteKind::Complex),
            "incomplete_share": share(RouteKind::Incomplete),
            "reasons": reasons,
        },
        "groundedness": {
            "ungrounded_items": sum_all(|p| p.ungrounded_items),
            "inconsistent_fields": sum_all(|p| p.inconsistent_fields),
        },
        "latency_seconds": latency(&|_| true),
        "latency_seconds_5_documents": latency(&|p| p.documents == Some(5)),
    })
}

/// At most about `most` points of a curve, evenly by position, always keeping the last (all
/// cases accepted).
fn thinned<T: Clone>(points: Vec<T>, most: usize) -> Vec<T> {
    let step = points.len().div_ceil(most.max(1)).max(1);
    let last = points.len().saturating_sub(1);
    points
        .iter()
        .enumerate()
        .filter(|(i, _)| i % step == 0 || *i == last)
        .map(|(_, p)| p.clone())
        .collect()
}

/// A slice is flagged when its accuracy is more than this below the overall one and its
/// interval does not reach the overall accuracy.
const SLICE_FLAG_GAP: f64 = 0.05;

/// One case as the per-slice metrics see it: cheap to copy into bootstrap resamples.
#[derive(Clone, Copy)]
struct SliceRow {
    right: bool,
    /// (predicted, true) on none < III < II < I, when both are on that scale.
    ordinal: Option<(usize, usize)>,
    /// (predicted, true) percentage, when both state one.
    pct: Option<(f64, f64)>,
    /// Term right, among cases with the outcome right and a term in the decision.
    term: Option<bool>,
    standard: Option<bool>,
}

impl SliceRow {
    fn of((p, t): &(Prediction, DecisionJson)) -> SliceRow {
        SliceRow {
            right: p.outcome == t.outcome,
            ordinal: ordinal(p.outcome).zip(ordinal(t.outcome)),
            pct: p
                .work_capacity_loss_pct
                .zip(t.work_capacity_loss_pct)
                .map(|(a, b)| (f64::from(a), f64::from(b.value()))),
            term: (p.outcome == t.outcome && t.term.is_some()).then(|| p.term == t.term),
            standard: p.route.map(|r| r == RouteKind::Standard),
        }
    }
}

fn slice_accuracy_of(rows: &[SliceRow]) -> Option<f64> {
    share_true(rows.iter().map(|r| r.right))
}

fn slice_kappa_of(rows: &[SliceRow]) -> Option<f64> {
    let pairs: Vec<(usize, usize)> = rows.iter().filter_map(|r| r.ordinal).collect();
    quadratic_weighted_kappa(&pairs, 4)
}

fn slice_pct_mae_of(rows: &[SliceRow]) -> Option<f64> {
    let pairs: Vec<(f64, f64)> = rows.iter().filter_map(|r| r.pct).collect();
    mean_absolute_error(&pairs)
}

/// The metrics per slice: for each dimension (kind, age band, sex, region, ICD chapter…) and
/// value, the cases; outcome accuracy, quadratic-weighted kappa and percentage MAE, each with
/// its seeded bootstrap 95 % interval; term accuracy and the standard route's share; and
/// whether the slice is flagged — its accuracy more than 5 points below overall with an
/// interval that does not reach overall. `slices` maps a case id to its (dimension, value)
/// pairs.
pub fn slice_metrics(
    pairs: &[(Prediction, DecisionJson)],
    slices: &BTreeMap<String, Vec<(String, String)>>,
) -> serde_json::Value {
    let rows: Vec<SliceRow> = pairs.iter().map(SliceRow::of).collect();
    let Some(overall) = slice_accuracy_of(&rows) else {
        return json!({});
    };
    let mut groups: BTreeMap<(&str, &str), Vec<SliceRow>> = BTreeMap::new();
    for ((p, _), row) in pairs.iter().zip(&rows) {
        for (dimension, value) in slices.get(&p.case_id).into_iter().flatten() {
            groups.entry((dimension, value)).or_default().push(*row);
        }
    }
    let interval = |xs: &[SliceRow], f: fn(&[SliceRow]) -> Option<f64>| {
        bootstrap_interval(xs, f, 1000, 0.95, BOOTSTRAP_SEED)
    };
    let mut out: BTreeMap<&str, BTreeMap<&str, serde_json::Value>> = BTreeMap::new();
    for ((dimension, value), xs) in groups {
        let accuracy = slice_accuracy_of(&xs).unwrap_or(0.0);
        let accuracy_95 = interval(&xs, slice_accuracy_of);
        let flagged = accuracy < overall - SLICE_FLAG_GAP
            && accuracy_95.is_some_and(|(_, upper)| upper < overall);
        out.entry(dimension).or_default().insert(
            value,
            json!({
                "cases": xs.len(),
                "accuracy": accuracy,
                "accuracy_95": accuracy_95,
                "flagged": flagged,
                "quadratic_weighted_kappa": slice_kappa_of(&xs),
                "quadratic_weighted_kappa_95": interval(&xs, slice_kappa_of),
                "pct_mae": slice_pct_mae_of(&xs),
                "pct_mae_95": interval(&xs, slice_pct_mae_of),
                "term_accuracy_when_outcome_right": share_true(xs.iter().filter_map(|r| r.term)),
                "standard_share": share_true(xs.iter().filter_map(|r| r.standard)),
            }),
        );
    }
    json!(out)
}

/// A metric the regression gate watches: its path in the summary and which way is better.
struct Gated {
    path: &'static [&'static str],
    higher_is_better: bool,
}

const GATED: &[Gated] = &[
    Gated {
        path: &["outcome_accuracy"],
        higher_is_better: true,
    },
    Gated {
        path: &["quadratic_weighted_kappa"],
        higher_is_better: true,
    },
    Gated {
        path: &["term_accuracy_when_outcome_right"],
        higher_is_better: true,
    },
    Gated {
        path: &["routing", "standard_accuracy"],
        higher_is_better: true,
    },
    Gated {
        path: &["pct_mae"],
        higher_is_better: false,
    },
    Gated {
        path: &["calibration", "ece"],
        higher_is_better: false,
    },
];

/// The regression gate: every watched metric that is worse than `baseline` by more than
/// `tolerance` (absolute; percentage MAE in points × 100), and any ungrounded item where the
/// baseline had none. Empty when the run may land.
pub fn regressions(
    summary: &serde_json::Value,
    baseline: &serde_json::Value,
    tolerance: f64,
) -> Vec<String> {
    let at = |v: &serde_json::Value, path: &[&str]| -> Option<f64> {
        path.iter().try_fold(v, |v, key| v.get(key))?.as_f64()
    };
    let mut out = Vec::new();
    for g in GATED {
        let name = g.path.join(".");
        let (Some(now), Some(then)) = (at(summary, g.path), at(baseline, g.path)) else {
            if at(baseline, g.path).is_some() {
                out.push(format!("{name}: in the baseline, missing now"));
            }
            continue;
        };
        // MAE is in points: its tolerance scales so that 0.02 allows 2 points.
        let allowed = if name == "pct_mae" {
            tolerance * 100.0
        } else {
            tolerance
        };
        let worse_by = if g.higher_is_better {
            then - now
        } else {
            now - then
        };
        if worse_by > allowed + 1e-12 {
            out.push(format!(
                "{name}: {now:.4} against {then:.4} in the baseline (tolerance {allowed})"
            ));
        }
    }
    let ungrounded = |v: &serde_json::Value| at(v, &["groundedness", "ungrounded_items"]);
    if let (Some(now), Some(then)) = (ungrounded(summary), ungrounded(baseline))
        && now > then
    {
        out.push(format!(
            "groundedness.ungrounded_items: {now} against {then} in the baseline"
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pair(case_id: &str, predicted: Outcome, truth: Outcome) -> (Prediction, DecisionJson) {
        let p: Prediction =
            serde_json::from_value(json!({ "case_id": case_id, "outcome": predicted })).unwrap();
        let t: DecisionJson = serde_json::from_value(json!({
            "decided_at": "2026-01-05", "outcome": truth, "icd10": [], "functioning": {},
            "opinions": {}, "complex": false, "opinion_text": "", "expert": "E-1"
        }))
        .unwrap();
        (p, t)
    }

    #[test]
    fn slices_worse_beyond_their_interval_are_flagged() {
        // Region "A": 300 cases, all right. Region "B": 100 cases, 60 right. Overall 0.9.
        // "B" at 0.6 is far below and its interval (≈ 0.5–0.7) does not reach 0.9: flagged.
        // Region "C": 2 cases, one right: 0.5, but its interval reaches 0.9: not flagged.
        let mut pairs = Vec::new();
        let mut slices = BTreeMap::new();
        let mut add = |region: &str, n: usize, right: usize, pairs: &mut Vec<_>| {
            for i in 0..n {
                let id = format!("{region}{i}");
                let truth = Outcome::GroupIII;
                let predicted = if i < right { truth } else { Outcome::GroupII };
                pairs.push(pair(&id, predicted, truth));
                slices.insert(id, vec![("region".to_string(), region.to_string())]);
            }
        };
        add("A", 298, 298, &mut pairs);
        add("B", 100, 60, &mut pairs);
        add("C", 2, 1, &mut pairs);
        let s = slice_metrics(&pairs, &slices);
        assert_eq!(s["region"]["A"]["flagged"], false);
        assert_eq!(s["region"]["B"]["accuracy"], 0.6);
        assert_eq!(s["region"]["B"]["flagged"], true, "{s:#}");
        assert_eq!(s["region"]["C"]["flagged"], false, "{s:#}");
        assert_eq!(s["region"]["C"]["cases"], 2);
        // The other metrics per slice: in "B" every signed outcome is III, so the observed
        // disagreement is exactly what chance gives: kappa 0. No percentages, so no MAE.
        assert_eq!(s["region"]["B"]["quadratic_weighted_kappa"], 0.0);
        assert!(s["region"]["B"]["pct_mae"].is_null());
        assert!(
            s["region"]["A"]["standard_share"].is_null(),
            "no routes in the predictions"
        );
        // Seeded: the same intervals every time.
        assert_eq!(s, slice_metrics(&pairs, &slices));
    }

    #[test]
    fn slice_kappa_and_percentage_error_match_hand_counts() {
        // Slice "X": (III, 50 %) for a III at 45 %, and (II, 60 %) for a II at 60 %:
        // both outcomes right on two classes → kappa 1; MAE (5 + 0) / 2 = 2.5.
        let with_pct = |id: &str, o: Outcome, predicted: u8, signed: u8| {
            let (mut p, t) = pair(id, o, o);
            p.work_capacity_loss_pct = Some(predicted);
            let mut t = serde_json::to_value(&t).unwrap();
            t["work_capacity_loss_pct"] = json!(signed);
            (p, serde_json::from_value::<DecisionJson>(t).unwrap())
        };
        let pairs = vec![
            with_pct("x1", Outcome::GroupIII, 50, 45),
            with_pct("x2", Outcome::GroupII, 60, 60),
        ];
        let slices = pairs
            .iter()
            .map(|(p, _)| {
                (
                    p.case_id.clone(),
                    vec![("region".to_string(), "X".to_string())],
                )
            })
            .collect();
        let s = slice_metrics(&pairs, &slices);
        assert_eq!(s["region"]["X"]["quadratic_weighted_kappa"], 1.0, "{s:#}");
        assert_eq!(s["region"]["X"]["pct_mae"], 2.5, "{s:#}");
    }

    #[test]
    fn the_gate_flags_what_got_worse_beyond_tolerance() {
        let base = json!({"outcome_accuracy": 0.80, "quadratic_weighted_kappa": 0.85, "pct_mae": 10.0,
            "routing": {"standard_accuracy": 0.99}, "groundedness": {"ungrounded_items": 0}});
        let same = base.clone();
        assert!(regressions(&same, &base, 0.02).is_empty());
        let slightly = json!({"outcome_accuracy": 0.79, "quadratic_weighted_kappa": 0.85, "pct_mae": 11.5,
            "routing": {"standard_accuracy": 0.99}, "groundedness": {"ungrounded_items": 0}});
        assert!(
            regressions(&slightly, &base, 0.02).is_empty(),
            "within tolerance"
        );
        let degraded = json!({"outcome_accuracy": 0.70, "quadratic_weighted_kappa": 0.86, "pct_mae": 13.0,
            "routing": {}, "groundedness": {"ungrounded_items": 2}});
        let found = regressions(&degraded, &base, 0.02);
        let names: Vec<&str> = found.iter().map(|f| f.split(':').next().unwrap()).collect();
        assert_eq!(
            names,
            [
                "outcome_accuracy",
                "routing.standard_accuracy",
                "pct_mae",
                "groundedness.ungrounded_items"
            ],
            "{found:?}"
        );
    }
}
