//! Metrics for drafts against signed decisions: accuracy, confusion matrix, quadratic-weighted
//! kappa over the ordinal adult outcomes, mean absolute error, F1, expected calibration error
//! with its reliability bins, percentiles, and seeded bootstrap intervals. Small and tested
//! against hand-computed examples; the quality reports build on them.

/// Share of equal pairs; `None` for no pairs.
pub fn accuracy<T: PartialEq>(pairs: &[(T, T)]) -> Option<f64> {
    if pairs.is_empty() {
        return None;
    }
    Some(pairs.iter().filter(|(a, b)| a == b).count() as f64 / pairs.len() as f64)
}

/// Share of `true` values; `None` for none.
pub fn share_true(values: impl IntoIterator<Item = bool>) -> Option<f64> {
    let (mut yes, mut all) = (0usize, 0usize);
    for v in values {
        yes += usize::from(v);
        all += 1;
    }
    (all > 0).then(|| yes as f64 / all as f64)
}

/// Cohen's kappa with quadratic weights over ratings `0..classes` (predicted, true).
/// `None` when there are no pairs or the expected disagreement is zero (one class only).
pub fn quadratic_weighted_kappa(pairs: &[(usize, usize)], classes: usize) -> Option<f64> {
    let span = (classes.max(2) - 1) as f64;
    weighted_kappa(pairs, classes, |i, j| {
        let d = i as f64 - j as f64;
        d * d / (span * span)
    })
}

/// Cohen's (unweighted) kappa over nominal ratings `0..classes`: agreement beyond chance,
/// `(p_o − p_e) / (1 − p_e)`. `None` when there are no pairs or chance agreement is certain.
pub fn cohen_kappa(pairs: &[(usize, usize)], classes: usize) -> Option<f64> {
    weighted_kappa(pairs, classes, |i, j| if i == j { 0.0 } else { 1.0 })
}

/// `1 − Σ w·observed / Σ w·expected` with disagreement weights `w(i, j)` (zero on the diagonal).
fn weighted_kappa(
    pairs: &[(usize, usize)],
    classes: usize,
    w: impl Fn(usize, usize) -> f64,
) -> Option<f64> {
    if pairs.is_empty() || classes < 2 {
        return None;
    }
    let n = pairs.len() as f64;
    let mut observed = vec![vec![0.0f64; classes]; classes];
    let mut row = vec![0.0f64; classes];
    let mut col = vec![0.0f64; classes];
    for &(a, b) in pairs {
        observed[a][b] += 1.0;
        row[a] += 1.0;
        col[b] += 1.0;
    }
    let (mut num, mut den) = (0.0, 0.0);
    for i in 0..classes {
        for j in 0..classes {
            num += w(i, j) * observed[i][j];
            den += w(i, j) * row[i] * col[j] / n;
        }
    }
    (den > 0.0).then(|| 1.0 - num / den)
}

pub fn mean_absolute_error(pairs: &[(f64, f64)]) -> Option<f64> {
    if pairs.is_empty() {
        return None;
    }
    Some(pairs.iter().map(|(a, b)| (a - b).abs()).sum::<f64>() / pairs.len() as f64)
}

/// The `q`-quantile (0..=1) by the nearest-rank method.
pub fn percentile(values: &[f64], q: f64) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    let rank = ((q * v.len() as f64).ceil() as usize).clamp(1, v.len());
    Some(v[rank - 1])
}

/// Counts of (predicted, true) pairs over `0..classes`: `m[true][predicted]`.
pub fn confusion_matrix(pairs: &[(usize, usize)], classes: usize) -> Vec<Vec<u32>> {
    let mut m = vec![vec![0u32; classes]; classes];
    for &(predicted, truth) in pairs {
        if predicted < classes && truth < classes {
            m[truth][predicted] += 1;
        }
    }
    m
}

/// F1 of the positive class over (predicted, true) pairs; `None` when neither side has a
/// positive (nothing to find, nothing claimed).
pub fn f1(pairs: &[(bool, bool)]) -> Option<f64> {
    let tp = pairs.iter().filter(|(p, t)| *p && *t).count() as f64;
    let predicted = pairs.iter().filter(|(p, _)| *p).count() as f64;
    let actual = pairs.iter().filter(|(_, t)| *t).count() as f64;
    (predicted + actual > 0.0).then(|| 2.0 * tp / (predicted + actual))
}

/// One bin of a reliability diagram.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ReliabilityBin {
    /// The bin's confidence range [lower, upper).
    pub lower: f64,
    pub upper: f64,
    pub cases: usize,
    pub mean_confidence: f64,
    pub accuracy: f64,
}

/// Expected calibration error over `bins` equal-width confidence bins of (confidence, right)
/// pairs: Σ (cases in bin / all) · |accuracy − mean confidence|. Returns it with the non-empty
/// bins; `None` for no pairs.
pub fn expected_calibration_error(
    pairs: &[(f64, bool)],
    bins: usize,
) -> Option<(f64, Vec<ReliabilityBin>)> {
    if pairs.is_empty() || bins == 0 {
        return None;
    }
    let mut sums = vec![(0usize, 0.0f64, 0usize); bins];
    for &(confidence, right) in pairs {
        // Confidence 1.0 falls in the last bin.
        let b = ((confidence.clamp(0.0, 1.0) * bins as f64) as usize).min(bins - 1);
        sums[b].0 += 1;
        sums[b].1 += confidence;
        sums[b].2 += usize::from(right);
    }
    let n = pairs.len() as f64;
    let mut ece = 0.0;
    let mut reliability = Vec::new();
    for (b, &(cases, confidence, right)) in sums.iter().enumerate() {
        if cases == 0 {
            continue;
        }
        let mean_confidence = confidence / cases as f64;
        let accuracy = right as f64 / cases as f64;
        ece += cases as f64 / n * (accuracy - mean_confidence).abs();
        reliability.push(ReliabilityBin {
            lower: b as f64 / bins as f64,
            upper: (b + 1) as f64 / bins as f64,
            cases,
            mean_confidence,
            accuracy,
        });
    }
    Some((ece, reliability))
}

/// One point of the coverage–accuracy curve: accepting only the cases whose confidence is at
/// least `confidence_at_least`, the share of cases accepted and the accuracy among them.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct CoveragePoint {
    pub confidence_at_least: f64,
    pub coverage: f64,
    pub accuracy: f64,
}

/// The coverage–accuracy curve of (confidence, right) pairs: one point per distinct
/// confidence, from the most confident cases alone to all of them. Routing by a risk level α
/// picks the point where accuracy stays above 1 − α; the curve shows what each α would cost in
/// coverage. Empty for no pairs.
pub fn coverage_accuracy(pairs: &[(f64, bool)]) -> Vec<CoveragePoint> {
    let mut sorted: Vec<(f64, bool)> = pairs.to_vec();
    sorted.sort_by(|a, b| b.0.total_cmp(&a.0));
    let n = sorted.len() as f64;
    let mut out = Vec::new();
    let mut right = 0usize;
    for (i, &(confidence, r)) in sorted.iter().enumerate() {
        right += usize::from(r);
        // Ties are accepted together: a threshold cannot split equal confidences.
        if sorted.get(i + 1).is_some_and(|next| next.0 == confidence) {
            continue;
        }
        out.push(CoveragePoint {
            confidence_at_least: confidence,
            coverage: (i + 1) as f64 / n,
            accuracy: right as f64 / (i + 1) as f64,
        });
    }
    out
}

/// A percentile bootstrap interval of `statistic` at `level` (e.g. 0.95) from `resamples`
/// resamples drawn with a generator seeded by `seed`: the same inputs and seed give the same
/// interval on every machine. `None` when the statistic is undefined on the data.
pub fn bootstrap_interval<T: Clone>(
    items: &[T],
    statistic: impl Fn(&[T]) -> Option<f64>,
    resamples: usize,
    level: f64,
    seed: u64,
) -> Option<(f64, f64)> {
    statistic(items)?;
    // Our own generator: a crate's may change between versions, a report's intervals must not.
    let mut rng = crate::rng::Rng::new(seed);
    let mut values = Vec::with_capacity(resamples);
    let mut sample = Vec::with_capacity(items.len());
    for _ in 0..resamples {
        sample.clear();
        for _ in 0..items.len() {
            sample.push(items[rng.below(items.len())].clone());
        }
        if let Some(v) = statistic(&sample) {
            values.push(v);
        }
    }
    let tail = (1.0 - level) / 2.0;
    Some((percentile(&values, tail)?, percentile(&values, 1.0 - tail)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cohen_kappa_matches_a_hand_computed_table() {
        // 50 items: both "yes" 20, A yes / B no 5, A no / B yes 10, both "no" 15.
        // p_o = 35/50 = 0.7; A says yes 25/50, B 30/50: p_e = 0.5·0.6 + 0.5·0.4 = 0.5;
        // kappa = (0.7 − 0.5) / (1 − 0.5) = 0.4.
        let mut pairs = vec![(0, 0); 20];
        pairs.extend(vec![(0, 1); 5]);
        pairs.extend(vec![(1, 0); 10]);
        pairs.extend(vec![(1, 1); 15]);
        assert!((cohen_kappa(&pairs, 2).unwrap() - 0.4).abs() < 1e-12);
        // Perfect agreement is 1; one class only has no chance baseline.
        assert_eq!(cohen_kappa(&[(0, 0), (1, 1), (2, 2)], 3), Some(1.0));
        assert_eq!(cohen_kappa(&[(1, 1), (1, 1)], 3), None);
        assert_eq!(cohen_kappa(&[], 3), None);
        // Unweighted: a near miss counts as much as a far one, unlike the quadratic kappa.
        let near = [(0, 0), (1, 1), (2, 2), (0, 1)];
        let far = [(0, 0), (1, 1), (2, 2), (0, 2)];
        assert_eq!(cohen_kappa(&near, 3), cohen_kappa(&far, 3));
        assert!(quadratic_weighted_kappa(&near, 3) > quadratic_weighted_kappa(&far, 3));
    }

    #[test]
    fn kappa_matches_a_hand_computed_example() {
        // 2 classes, pairs (0,0) (0,1) (1,1) (1,1): observed weighted disagreement 1;
        // rows [2,2], cols [1,3], expected = (2·3 + 2·1)/4 = 2 → κ = 1 − 1/2.
        let k = quadratic_weighted_kappa(&[(0, 0), (0, 1), (1, 1), (1, 1)], 2).unwrap();
        assert!((k - 0.5).abs() < 1e-12, "{k}");
        // Perfect agreement is 1; one class only is undefined.
        assert_eq!(
            quadratic_weighted_kappa(&[(0, 0), (3, 3), (1, 1)], 4),
            Some(1.0)
        );
        assert_eq!(quadratic_weighted_kappa(&[(2, 2), (2, 2)], 4), None);
        // Far misses cost more than near ones.
        let near =
            quadratic_weighted_kappa(&[(0, 0), (1, 1), (2, 2), (3, 3), (1, 0), (2, 3)], 4).unwrap();
        let far =
            quadratic_weighted_kappa(&[(0, 0), (1, 1), (2, 2), (3, 3), (3, 0), (0, 3)], 4).unwrap();
        assert!(near > far, "{near} {far}");
    }

    #[test]
    fn coverage_accuracy_matches_a_hand_computed_example() {
        // Sorted: 0.9 right | 0.8 wrong, 0.8 right (tied: one point) | 0.5 right.
        // ≥ 0.9: 1 of 4 accepted, 1/1 right; ≥ 0.8: 3 of 4, 2/3; ≥ 0.5: all, 3/4.
        let curve = coverage_accuracy(&[(0.8, false), (0.5, true), (0.9, true), (0.8, true)]);
        let got: Vec<(f64, f64, f64)> = curve
            .iter()
            .map(|p| (p.confidence_at_least, p.coverage, p.accuracy))
            .collect();
        assert_eq!(
            got,
            vec![(0.9, 0.25, 1.0), (0.8, 0.75, 2.0 / 3.0), (0.5, 1.0, 0.75)]
        );
        assert!(coverage_accuracy(&[]).is_empty());
    }

    #[test]
    fn ece_matches_a_hand_computed_example() {
        // Bin [0.2, 0.4): confidences 0.3, 0.3, one right → accuracy 0.5, |0.5 − 0.3| = 0.2.
        // Bin [0.8, 0.9): 0.8, 0.8 both right → |1.0 − 0.8| = 0.2. Bin [0.9, 1.0]: 1.0 right → 0.
        // ECE = 2/5·0.2 + 2/5·0.2 + 1/5·0 = 0.16.
        let pairs = [
            (0.3, true),
            (0.3, false),
            (0.8, true),
            (0.8, true),
            (1.0, true),
        ];
        let (ece, bins) = expected_calibration_error(&pairs, 10).unwrap();
        assert!((ece - 0.16).abs() < 1e-12, "{ece}");
        assert_eq!(bins.len(), 3);
        assert_eq!((bins[0].cases, bins[0].accuracy), (2, 0.5));
        assert_eq!((bins[2].lower, bins[2].cases), (0.9, 1));
        // Perfectly calibrated: 0.
        let perfect = [(1.0, true), (0.0, false)];
        assert_eq!(expected_calibration_error(&perfect, 10).unwrap().0, 0.0);
        assert!(expected_calibration_error(&[], 10).is_none());
    }

    #[test]
    fn f1_and_confusion() {
        // tp 1, predicted 2, actual 2 → 2·1/4.
        let pairs = [(true, true), (true, false), (false, true), (false, false)];
        assert_eq!(f1(&pairs), Some(0.5));
        assert_eq!(f1(&[(false, false)]), None);
        let m = confusion_matrix(&[(0, 0), (1, 0), (1, 1), (2, 1)], 3);
        assert_eq!(m, vec![vec![1, 1, 0], vec![0, 1, 1], vec![0, 0, 0]]);
    }

    #[test]
    fn bootstrap_is_seeded_and_brackets_the_estimate() {
        let right: Vec<bool> = (0..200).map(|i| i % 4 != 0).collect(); // accuracy 0.75
        let share = |xs: &[bool]| accuracy(&xs.iter().map(|&x| (x, true)).collect::<Vec<_>>());
        let a = bootstrap_interval(&right, share, 500, 0.95, 7).unwrap();
        assert_eq!(a, bootstrap_interval(&right, share, 500, 0.95, 7).unwrap());
        assert_ne!(a, bootstrap_interval(&right, share, 500, 0.95, 8).unwrap());
        assert!(a.0 < 0.75 && 0.75 < a.1 && a.1 - a.0 < 0.15, "{a:?}");
        assert!(bootstrap_interval::<bool>(&[], share, 500, 0.95, 7).is_none());
    }

    #[test]
    fn simple_metrics() {
        assert_eq!(accuracy(&[(1, 1), (2, 3)]), Some(0.5));
        assert_eq!(accuracy::<u8>(&[]), None);
        assert_eq!(
            mean_absolute_error(&[(60.0, 65.0), (40.0, 40.0)]),
            Some(2.5)
        );
        let v = [5.0, 1.0, 3.0, 2.0, 4.0];
        assert_eq!(percentile(&v, 0.5), Some(3.0));
        assert_eq!(percentile(&v, 0.95), Some(5.0));
        assert_eq!(percentile(&v, 0.0), Some(1.0));
    }
}
