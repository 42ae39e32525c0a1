//! Sparse term vectors: BM25-style weights over normalised Latvian tokens plus ICD-10 codes at
//! several granularities.
//!
//! A document (precedent) gets the BM25 term-frequency part, `tf·(k1+1) / (tf + k1·(1−b+b·dl/avgdl))`;
//! a query gets weight 1 per distinct term. The inverse document frequency is applied by the
//! backend at query time from the document frequencies it keeps for the indexed set (Qdrant's
//! `idf` modifier; the exact in-memory backend computes the same formula,
//! `ln(1 + (N − df + 0.5)/(df + 0.5))`), so IDF always reflects what is indexed now, also after
//! deletions and across processes that share one cluster.
//!
//! Term ids are the 32-bit FNV-1a hash of the term's text (stable across runs and machines;
//! collisions among the few hundred thousand distinct terms of an archive are rare and only merge
//! two terms' weights).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::error::{Result, RetrievalError};

const K1: f32 = 1.2;
const B: f32 = 0.75;
/// Typical length of a case's text in tokens; stands in for the corpus average in BM25's length
/// normalisation (a fixed value keeps stored weights valid as the archive grows).
pub const AVG_DOC_TOKENS: f32 = 600.0;

/// A sparse vector: strictly increasing indices, one finite weight each.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct SparseVector {
    pub indices: Vec<u32>,
    pub values: Vec<f32>,
}

impl SparseVector {
    pub fn is_empty(&self) -> bool {
        self.indices.is_empty()
    }

    /// Checks the shape every backend relies on.
    pub fn validate(&self) -> Result<()> {
        if self.indices.len() != self.values.len() {
            return Err(RetrievalError::Sparse(format!(
                "{} indices but {} values",
                self.indices.len(),
                self.values.len()
            )));
        }
        if self.indices.windows(2).any(|w| w[0] >= w[1]) {
            return Err(RetrievalError::Sparse(
                "indices must be strictly increasing (no duplicates)".into(),
            ));
        }
        if self.values.iter().any(|v| !v.is_finite()) {
            return Err(RetrievalError::NotFinite);
        }
        Ok(())
    }

    /// Dot product of two sparse vectors (indices sorted).
    pub fn dot(&self, other: &SparseVector) -> f32 {
        let (mut i, mut j, mut sum) = (0, 0, 0.0);
        while i < self.indices.len() && j < other.indices.len() {
            match self.indices[i].cmp(&other.indices[j]) {
                std::cmp::Ordering::Less => i += 1,
                std::cmp::Ordering::Greater => j += 1,
                std::cmp::Ordering::Equal => {
                    sum += self.values[i] * other.values[j];
                    i += 1;
                    j += 1;
                }
            }
        }
        sum
    }

    fn from_map(map: BTreeMap<u32, f32>) -> SparseVector {
        let (indices, values) = map.into_iter().unzip();
        SparseVector { indices, values }
    }
}

/// Term counts of one text, before weighting. Keys are the terms' text (kept for explanations
/// and tests); `tokens` is the text's length for BM25's normalisation.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TermCounts {
    pub counts: BTreeMap<String, f32>,
    pub tokens: usize,
}

impl TermCounts {
    /// Adds the words of a Latvian text.
    pub fn add_text(&mut self, text: &str) {
        for token in tokens(text) {
            self.tokens += 1;
            *self.counts.entry(token).or_default() += 1.0;
        }
    }

    /// Adds an ICD-10 code at its granularities: the full code (`G35.0`), its category (`G35`),
    /// and its chapter (`VI`). `weight` counts as that many mentions (the main diagnosis weighs
    /// more than a secondary one).
    pub fn add_icd10(&mut self, code: &atzinums_models::Icd10, weight: f32) {
        let mut add = |t: String| *self.counts.entry(t).or_default() += weight;
        if code.subdivision().is_some() {
            add(format!("icd:{}", code.as_str()));
        }
        add(format!("icd:{}", code.category()));
        add(format!("icdch:{}", code.chapter().roman()));
        self.tokens += 1;
    }

    /// Adds an exact structured term (e.g. `fn:mobility:3`).
    pub fn add_term(&mut self, term: &str, weight: f32) {
        *self.counts.entry(term.to_string()).or_default() += weight;
        self.tokens += 1;
    }

    /// BM25 document-side weights.
    pub fn document_vector(&self) -> SparseVector {
        let dl = self.tokens.max(1) as f32;
        let norm = K1 * (1.0 - B + B * dl / AVG_DOC_TOKENS);
        let mut map = BTreeMap::new();
        for (term, tf) in &self.counts {
            let w = tf * (K1 + 1.0) / (tf + norm);
            *map.entry(term_id(term)).or_insert(0.0) += w;
        }
        SparseVector::from_map(map)
    }

    /// Query-side weights: 1 per distinct term (the backend multiplies by IDF).
    pub fn query_vector(&self) -> SparseVector {
        let map = self.counts.keys().map(|t| (term_id(t), 1.0)).collect();
        SparseVector::from_map(map)
    }
}

/// FNV-1a, 32 bits.
pub fn term_id(term: &str) -> u32 {
    let mut h: u32 = 0x811c_9dc5;
    for b in term.as_bytes() {
        h ^= u32::from(*b);
        h = h.wrapping_mul(0x0100_0193);
    }
    h
}

/// Words too common in clinical Latvian to tell cases apart.
const STOPWORDS: &[&str] = &[
    "un", "ar", "no", "uz", "ir", "par", "kas", "bet", "vai", "nav", "ka", "to", "tā", "pēc",
    "līdz", "kā", "arī", "gan", "jo", "tad", "pie", "pa", "bez", "ja", "lai", "tas", "tie", "šo",
    "šī", "šis", "kur", "kad", "nevis", "vēl", "jau", "ļoti", "tikai", "bija", "būt", "var",
    "tiek", "tika", "gada", "g", "gadā", "the", "and", "of",
];

/// Latvian inflectional endings, longest first: stripping them joins the forms of one word
/// ("sāpes", "sāpēm", "sāpju" → "sāp").
const ENDINGS: &[&str] = &[
    "ajiem", "ajām", "ošām", "iem", "ajā", "ām", "ās", "ēm", "ēs", "īm", "īs", "os", "as", "us",
    "ai", "am", "ei", "is", "es", "ij", "ju", "um", "ie", "a", "e", "i", "o", "u", "s", "š", "ā",
    "ē", "ī", "ū",
];

/// Lowercases (keeping diacritics), splits on anything that is not a letter or digit, drops stop
/// words and bare numbers, and strips a Latvian ending when a stem of at least 3 letters remains.
pub fn tokens(text: &str) -> impl Iterator<Item = String> + '_ {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .filter_map(|w| {
            let lower = w.to_lowercase();
            if lower.chars().all(|c| c.is_ascii_digit()) || STOPWORDS.contains(&lower.as_str()) {
                return None;
            }
            if lower.chars().count() < 2 {
                return None;
            }
            Some(stem(&lower))
        })
}

/// Strips one inflectional ending.
pub fn stem(word: &str) -> String {
    for ending in ENDINGS {
        if let Some(stem) = word.strip_suffix(ending)
            && stem.chars().count() >= 3
        {
            return stem.to_string();
        }
    }
    word.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forms_of_one_word_share_a_stem() {
        assert_eq!(stem("sāpes"), stem("sāpēm"));
        assert_eq!(stem("kustības"), stem("kustību").trim_end_matches('u'));
        assert_eq!(stem("mobilitāte"), stem("mobilitātes"));
        assert_eq!(stem("ar"), "ar");
    }

    #[test]
    fn tokens_lowercase_keep_diacritics_and_drop_noise() {
        let t: Vec<_> =
            tokens("Pacientam IR smagas Sāpes, 2019. gada 12 mēnešus un ŪDENS").collect();
        assert!(t.contains(&"sāp".to_string()), "{t:?}");
        assert!(t.contains(&"ūden".to_string()), "{t:?}");
        assert!(
            !t.iter().any(|w| w == "ir" || w == "un" || w == "2019"),
            "{t:?}"
        );
    }

    #[test]
    fn icd10_codes_at_three_granularities() {
        let mut c = TermCounts::default();
        c.add_icd10(&"G35.0".parse().unwrap(), 2.0);
        c.add_icd10(&"G35".parse().unwrap(), 1.0);
        assert_eq!(c.counts["icd:G35.0"], 2.0);
        assert_eq!(c.counts["icd:G35"], 3.0);
        assert_eq!(c.counts["icdch:VI"], 3.0);
    }

    #[test]
    fn bm25_saturates_and_normalises_by_length() {
        let mut short = TermCounts::default();
        short.add_text("sklerozes sklerozes");
        let mut long = TermCounts::default();
        long.add_text(&format!("sklerozes sklerozes {}", "vārds ".repeat(2000)));
        let id = term_id("skleroz");
        let w = |v: &SparseVector| v.values[v.indices.iter().position(|i| *i == id).unwrap()];
        let (ws, wl) = (w(&short.document_vector()), w(&long.document_vector()));
        assert!(ws > wl, "a term in a short text weighs more: {ws} vs {wl}");
        assert!(ws < K1 + 1.0);
        let q = short.query_vector();
        q.validate().unwrap();
        assert!(q.values.iter().all(|v| *v == 1.0));
    }

    #[test]
    fn malformed_sparse_vectors_are_refused() {
        let dup = SparseVector {
            indices: vec![3, 3],
            values: vec![1.0, 1.0],
        };
        assert!(dup.validate().is_err());
        let nan = SparseVector {
            indices: vec![1],
            values: vec![f32::NAN],
        };
        assert!(matches!(nan.validate(), Err(RetrievalError::NotFinite)));
        let uneven = SparseVector {
            indices: vec![1, 2],
            values: vec![1.0],
        };
        assert!(uneven.validate().is_err());
    }
}
