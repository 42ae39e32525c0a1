//! How far medical experts agree with each other, from blind second readings of signed
//! decisions: the share of equal outcomes, Cohen's kappa over all outcomes, the quadratic
//! kappa over the ordinal adult outcomes (none < III < II < I) and the mean difference of the
//! percentages — each count-based number with a seeded bootstrap interval. This is the ceiling
//! a draft's agreement with signed decisions should be read against.

use atzinums_models::Outcome;
use serde::Serialize;

use crate::metrics::{
    accuracy, bootstrap_interval, cohen_kappa, mean_absolute_error, quadratic_weighted_kappa,
};

/// One case read twice: the signed decision and the blind second reading.
#[derive(Debug, Clone, PartialEq)]
pub struct ReadingPair {
    pub signed: Outcome,
    pub signed_pct: Option<f64>,
    pub second: Outcome,
    pub second_pct: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ExpertAgreement {
    /// Completed second readings.
    pub pairs: usize,
    /// Sampled cases still waiting for their second reading.
    pub pending: usize,
    pub outcome_agreement: Option<f64>,
    pub outcome_agreement_95: Option<(f64, f64)>,
    /// Cohen's kappa over all outcomes (nominal).
    pub kappa: Option<f64>,
    pub kappa_95: Option<(f64, f64)>,
    /// Pairs where both outcomes are on the adult scale.
    pub adult_pairs: usize,
    pub quadratic_weighted_kappa: Option<f64>,
    /// Mean absolute difference of the percentages, where both readings give one.
    pub pct_mae: Option<f64>,
}

const SEED: u64 = 20_261_128;
const RESAMPLES: usize = 1000;

fn class(o: Outcome) -> usize {
    Outcome::ALL.iter().position(|x| *x == o).unwrap_or(0)
}

fn kappa_of(pairs: &[(usize, usize)]) -> Option<f64> {
    cohen_kappa(pairs, Outcome::ALL.len())
}

/// Agreement of `pairs`, with `pending` readings still open.
pub fn expert_agreement(pairs: &[ReadingPair], pending: usize) -> ExpertAgreement {
    let classes: Vec<(usize, usize)> = pairs
        .iter()
        .map(|p| (class(p.signed), class(p.second)))
        .collect();
    let adult: Vec<(usize, usize)> = pairs
        .iter()
        .filter_map(|p| Some((p.signed.ordinal()? as usize, p.second.ordinal()? as usize)))
        .collect();
    let pct: Vec<(f64, f64)> = pairs
        .iter()
        .filter_map(|p| Some((p.signed_pct?, p.second_pct?)))
        .collect();
    let agree = |xs: &[(usize, usize)]| accuracy(xs);
    ExpertAgreement {
        pairs: pairs.len(),
        pending,
        outcome_agreement: accuracy(&classes),
        outcome_agreement_95: bootstrap_interval(&classes, agree, RESAMPLES, 0.95, SEED),
        kappa: kappa_of(&classes),
        kappa_95: bootstrap_interval(&classes, kappa_of, RESAMPLES, 0.95, SEED),
        adult_pairs: adult.len(),
        quadratic_weighted_kappa: quadratic_weighted_kappa(&adult, 4),
        pct_mae: mean_absolute_error(&pct),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pair(signed: Outcome, second: Outcome) -> ReadingPair {
        ReadingPair {
            signed,
            signed_pct: None,
            second,
            second_pct: None,
        }
    }

    #[test]
    fn agreement_and_kappa_by_hand() {
        use Outcome as O;
        // 4 pairs, 3 agree. Marginals: signed {II: 2, III: 1, none: 1}, second {II: 1, III: 2,
        // none: 1}. p_o = 3/4; p_e = (2·1 + 1·2 + 1·1)/16 = 5/16; kappa = (12/16 − 5/16)/(11/16)
        // = 7/11.
        let mut pairs = vec![
            pair(O::GroupII, O::GroupII),
            pair(O::GroupII, O::GroupIII),
            pair(O::GroupIII, O::GroupIII),
            pair(O::None, O::None),
        ];
        pairs[1].signed_pct = Some(60.0);
        pairs[1].second_pct = Some(50.0);
        let a = expert_agreement(&pairs, 2);
        assert_eq!((a.pairs, a.pending, a.adult_pairs), (4, 2, 4));
        assert_eq!(a.outcome_agreement, Some(0.75));
        assert!((a.kappa.unwrap() - 7.0 / 11.0).abs() < 1e-12);
        assert_eq!(a.pct_mae, Some(10.0));
        let (lo, hi) = a.kappa_95.unwrap();
        assert!(lo <= a.kappa.unwrap() && a.kappa.unwrap() <= hi);
        // Seeded: the same pairs give the same intervals.
        assert_eq!(expert_agreement(&pairs, 2), a);
        // A child's outcome is off the adult scale: counted for kappa, not the ordinal one.
        pairs.push(pair(O::ChildDisability, O::ChildDisability));
        let b = expert_agreement(&pairs, 0);
        assert_eq!((b.pairs, b.adult_pairs), (5, 4));
    }

    #[test]
    fn no_pairs_no_numbers() {
        let a = expert_agreement(&[], 7);
        assert_eq!(a.pending, 7);
        assert_eq!(
            (a.outcome_agreement, a.kappa, a.pct_mae),
            (None, None, None)
        );
    }
}
