//! Test data: synthetic precedents with seeded vectors, and a small deterministic embedder.
#![allow(dead_code)]

use std::collections::BTreeMap;

use atzinums_inference::embed::{EmbedKind, Embedder};
use atzinums_inference::error::InferenceError;
use atzinums_models::{ApplicationKind, Outcome, Sex};
use atzinums_retrieval::precedent::month_number;
use atzinums_retrieval::sparse::TermCounts;
use atzinums_retrieval::{AgeBand, IndexedPrecedent, Precedent, PrecedentSource};
use chrono::NaiveDate;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

pub const KINDS: [ApplicationKind; 3] = [
    ApplicationKind::DisabilityFirst,
    ApplicationKind::DisabilityRepeat,
    ApplicationKind::Contest,
];
pub const CODES: [&str; 6] = ["G35", "G35.0", "F32.1", "M54.5", "I63.9", "C50.9"];
pub const OUTCOMES: [Outcome; 3] = [Outcome::GroupI, Outcome::GroupII, Outcome::None];

pub fn unit(mut v: Vec<f32>) -> Vec<f32> {
    let n = v.iter().map(|x| x * x).sum::<f32>().sqrt();
    if n > 0.0 {
        v.iter_mut().for_each(|x| *x /= n);
    }
    v
}

pub fn random_unit(rng: &mut StdRng, dim: usize) -> Vec<f32> {
    unit((0..dim).map(|_| rng.random_range(-1.0f32..1.0)).collect())
}

/// Precedent `i` of a deterministic synthetic set: its attributes cycle through small lists, so
/// every filter value has matches.
pub fn precedent(i: usize) -> Precedent {
    let code = CODES[i % CODES.len()];
    let icd: atzinums_models::Icd10 = code.parse().unwrap();
    let decided = NaiveDate::from_ymd_opt(2010 + (i % 12) as i32, 1 + (i % 12) as u32, 15).unwrap();
    Precedent {
        case_id: format!("C-{i:06}"),
        kind: KINDS[i % KINDS.len()],
        age_band: AgeBand::ALL[i % AgeBand::ALL.len()],
        sex: if i.is_multiple_of(2) { Sex::F } else { Sex::M },
        region: "Rīga".into(),
        primary_icd10: Some(code.into()),
        primary_category: Some(icd.category().into()),
        icd10: vec![code.into()],
        icd10_chapters: vec![icd.chapter().roman().into()],
        functioning: BTreeMap::from([("mobility".to_string(), (i % 5) as u8)]),
        outcome: OUTCOMES[i % OUTCOMES.len()],
        work_capacity_loss_pct: Some(40 + (i % 5) as u8 * 10),
        term: None,
        cause: None,
        opinions: BTreeMap::new(),
        decided_at: format!("{:04}-{:02}", 2010 + i % 12, 1 + i % 12),
        decided_month: month_number(decided),
        conclusion: format!("Slēdziens {i}"),
        source: PrecedentSource::Dataset,
        content_hash: format!("hash-{i}"),
    }
}

/// Sparse document vector from words: each precedent gets the word `kopīgs` (common to all),
/// a word shared by its diagnosis, and a word of its own.
pub fn sparse_words(i: usize) -> String {
    format!("kopīgs diagnoze{} unikāls{i}", i % CODES.len())
}

pub fn indexed(i: usize, dim: usize, rng: &mut StdRng) -> IndexedPrecedent {
    let mut t = TermCounts::default();
    t.add_text(&sparse_words(i));
    IndexedPrecedent {
        precedent: precedent(i),
        dense: random_unit(rng, dim),
        sparse: t.document_vector(),
    }
}

pub fn batch(n: usize, dim: usize, seed: u64) -> Vec<IndexedPrecedent> {
    let mut rng = StdRng::seed_from_u64(seed);
    (0..n).map(|i| indexed(i, dim, &mut rng)).collect()
}

/// A bag-of-words embedder: each stemmed token adds a seeded random direction. Similar texts
/// get similar vectors, which is all the retriever tests need from a model.
pub struct WordsEmbedder {
    pub dim: usize,
}

impl Embedder for WordsEmbedder {
    fn dim(&self) -> usize {
        self.dim
    }

    fn embed(&self, texts: &[&str], _kind: EmbedKind) -> Result<Vec<Vec<f32>>, InferenceError> {
        Ok(texts
            .iter()
            .map(|t| {
                let mut v = vec![0.0f32; self.dim];
                for token in atzinums_retrieval::sparse::tokens(t) {
                    let mut rng = StdRng::seed_from_u64(u64::from(
                        atzinums_retrieval::sparse::term_id(&token),
                    ));
                    for x in v.iter_mut() {
                        *x += rng.random_range(-1.0f32..1.0);
                    }
                }
                unit(v)
            })
            .collect())
    }

    fn model_id(&self) -> &str {
        "test-words"
    }

    fn model_sha256(&self) -> &str {
        "0"
    }
}
