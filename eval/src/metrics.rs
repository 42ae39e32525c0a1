//! Metrics for drafts against signed decisions: accuracy, quadratic-weighted kappa over the
//! ordinal adult outcomes, mean absolute error, percentiles. Small and tested against
//! hand-computed examples; the quality reports build on them.

/// Share of equal pairs; `None` for no pairs.
pub fn accuracy<T: PartialEq>(pairs: &[(T, T)]) -> Option<f64> {
    if pairs.is_empty() {
        return None;
    }
    Some(pairs.iter().filter(|(a, b)| a == b).count() as f64 / pairs.len() as f64)
}

/// Cohen's kappa with quadratic weights over ratings `0..classes` (predicted, true).
/// `None` when there are no pairs or the expected disagreement is zero (one class only).
pub fn quadratic_weighted_kappa(pairs: &[(usize, usize)], classes: usize) -> Option<f64> {
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
    let w = |i: usize, j: usize| {
        let d = i as f64 - j as f64;
        d * d / ((classes - 1) as f64).powi(2)
    };
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

#[cfg(test)]
mod tests {
    use super::*;

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
