//! Choosing the next token: greedy, or seeded sampling with temperature, top-k and top-p.

/// A small seeded generator (SplitMix64): the same seed gives the same tokens everywhere.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed ^ 0x9E37_79B9_7F4A_7C15)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    pub fn next_f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// How the next token is chosen.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Sampling {
    /// 0 (or below): greedy, deterministic.
    pub temperature: f32,
    /// Keep only the `top_k` most likely tokens (0: all).
    pub top_k: usize,
    /// Keep the smallest set whose probability reaches `top_p` (1.0: all).
    pub top_p: f32,
    pub seed: u64,
}

impl Default for Sampling {
    fn default() -> Self {
        Sampling {
            temperature: 0.0,
            top_k: 40,
            top_p: 0.95,
            seed: 42,
        }
    }
}

impl Sampling {
    pub fn greedy() -> Sampling {
        Sampling::default()
    }

    pub fn is_greedy(&self) -> bool {
        self.temperature <= 0.0
    }
}

/// The index of the largest value (the first on ties, like llama.cpp's greedy sampler).
pub fn argmax(row: &[f32]) -> u32 {
    let mut best = 0usize;
    for (i, &v) in row.iter().enumerate() {
        if v > row[best] {
            best = i;
        }
    }
    best as u32
}

/// Samples among `candidates` (token id, logit) with temperature, top-k and top-p.
/// `candidates` need not be sorted; an empty list gives `None`.
pub fn sample_from(mut candidates: Vec<(u32, f32)>, s: &Sampling, rng: &mut Rng) -> Option<u32> {
    if candidates.is_empty() {
        return None;
    }
    if s.is_greedy() {
        return candidates
            .iter()
            .fold(None::<(u32, f32)>, |best, &(id, v)| match best {
                Some((_, bv)) if bv >= v => best,
                _ => Some((id, v)),
            })
            .map(|(id, _)| id);
    }
    candidates.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    if s.top_k > 0 && candidates.len() > s.top_k {
        candidates.truncate(s.top_k);
    }
    let max = candidates[0].1;
    let mut probs: Vec<f64> = candidates
        .iter()
        .map(|&(_, v)| (((v - max) / s.temperature) as f64).exp())
        .collect();
    let total: f64 = probs.iter().sum();
    probs.iter_mut().for_each(|p| *p /= total);
    if s.top_p < 1.0 {
        let mut acc = 0.0;
        let mut keep = probs.len();
        for (i, p) in probs.iter().enumerate() {
            acc += p;
            if acc >= s.top_p as f64 {
                keep = i + 1;
                break;
            }
        }
        probs.truncate(keep);
        candidates.truncate(keep);
        let total: f64 = probs.iter().sum();
        probs.iter_mut().for_each(|p| *p /= total);
    }
    let r = rng.next_f64();
    let mut acc = 0.0;
    for (i, p) in probs.iter().enumerate() {
        acc += p;
        if r < acc {
            return Some(candidates[i].0);
        }
    }
    candidates.last().map(|c| c.0)
}

/// Token ids sorted by logit, highest first, taking only the best `k` (partial sort).
pub fn top_ids(row: &[f32], k: usize) -> Vec<u32> {
    let mut ids: Vec<u32> = (0..row.len() as u32).collect();
    let k = k.min(ids.len());
    if k == 0 {
        return Vec::new();
    }
    let cmp = |a: &u32, b: &u32| row[*b as usize].total_cmp(&row[*a as usize]).then(a.cmp(b));
    if k < ids.len() {
        ids.select_nth_unstable_by(k - 1, cmp);
        ids.truncate(k);
    }
    ids.sort_by(cmp);
    ids
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn greedy_takes_the_first_maximum() {
        assert_eq!(argmax(&[0.1, 3.0, 3.0, -1.0]), 1);
        let s = Sampling::greedy();
        let mut rng = Rng::new(1);
        assert_eq!(sample_from(vec![(5, 1.0), (7, 2.0)], &s, &mut rng), Some(7));
    }

    #[test]
    fn sampling_is_seeded_and_respects_top_k() {
        let s = Sampling {
            temperature: 1.0,
            top_k: 2,
            top_p: 1.0,
            seed: 7,
        };
        let cands: Vec<(u32, f32)> = (0..10).map(|i| (i, i as f32 * 0.1)).collect();
        let run = |seed| {
            let mut rng = Rng::new(seed);
            (0..50)
                .map(|_| sample_from(cands.clone(), &s, &mut rng).unwrap())
                .collect::<Vec<_>>()
        };
        let a = run(7);
        assert_eq!(a, run(7));
        assert_ne!(a, run(8));
        assert!(a.iter().all(|&t| t == 9 || t == 8), "{a:?}");
    }

    #[test]
    fn top_p_keeps_the_likely_head() {
        let s = Sampling {
            temperature: 1.0,
            top_k: 0,
            top_p: 0.5,
            seed: 1,
        };
        let mut rng = Rng::new(3);
        for _ in 0..20 {
            assert_eq!(
                sample_from(vec![(1, 10.0), (2, 0.0), (3, 0.0)], &s, &mut rng),
                Some(1)
            );
        }
    }

    #[test]
    fn top_ids_sorts_the_best() {
        assert_eq!(top_ids(&[0.5, 2.0, -1.0, 1.0], 2), vec![1, 3]);
        assert_eq!(top_ids(&[0.5, 2.0], 5), vec![1, 0]);
    }
}
