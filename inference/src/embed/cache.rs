//! Remembered embeddings. The functioning reader embeds every sentence of every case, and
//! medical documents repeat their sentences (standard phrasings, boilerplate) from case to
//! case. The e5 embedder is batch-invariant — a text's vector is bit for bit the same alone or
//! in any batch (tested in `tests/e5_parity.rs`) — so a remembered vector is exactly the one a
//! fresh call would give, and drafts stay reproducible.
//!
//! Bounded by two generations: lookups read both, a hit in the old one moves to the new one,
//! and when the new one is full the old one is dropped. Recently used texts survive; memory
//! stays under twice the capacity.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use super::{EmbedKind, Embedder};
use crate::error::InferenceError;

type Key = (EmbedKind, String);

struct Generations {
    current: HashMap<Key, Arc<[f32]>>,
    previous: HashMap<Key, Arc<[f32]>>,
}

pub struct CachedEmbedder {
    inner: Arc<dyn Embedder>,
    capacity: usize,
    entries: Mutex<Generations>,
    hits: AtomicU64,
    misses: AtomicU64,
}

impl CachedEmbedder {
    /// Remembers up to `capacity` texts per generation; 0 remembers nothing.
    pub fn new(inner: Arc<dyn Embedder>, capacity: usize) -> CachedEmbedder {
        CachedEmbedder {
            inner,
            capacity,
            entries: Mutex::new(Generations {
                current: HashMap::new(),
                previous: HashMap::new(),
            }),
            hits: AtomicU64::new(0),
            misses: AtomicU64::new(0),
        }
    }

    /// Texts answered from memory and texts embedded, since loading.
    pub fn hits_and_misses(&self) -> (u64, u64) {
        (
            self.hits.load(Ordering::Relaxed),
            self.misses.load(Ordering::Relaxed),
        )
    }

    fn remember(&self, g: &mut Generations, key: Key, vector: Arc<[f32]>) {
        if g.current.len() >= self.capacity {
            g.previous = std::mem::take(&mut g.current);
        }
        g.current.insert(key, vector);
    }
}

impl Embedder for CachedEmbedder {
    fn dim(&self) -> usize {
        self.inner.dim()
    }

    fn embed(&self, texts: &[&str], kind: EmbedKind) -> Result<Vec<Vec<f32>>, InferenceError> {
        if self.capacity == 0 {
            self.misses.fetch_add(texts.len() as u64, Ordering::Relaxed);
            return self.inner.embed(texts, kind);
        }
        let mut out: Vec<Option<Vec<f32>>> = vec![None; texts.len()];
        let mut missing: Vec<&str> = Vec::new();
        {
            let mut g = self.entries.lock().unwrap_or_else(|p| p.into_inner());
            for (slot, text) in out.iter_mut().zip(texts) {
                let key = (kind, (*text).to_string());
                if let Some(v) = g.current.get(&key) {
                    *slot = Some(v.to_vec());
                } else if let Some(v) = g.previous.remove(&key) {
                    *slot = Some(v.to_vec());
                    self.remember(&mut g, key, v);
                } else if !missing.contains(text) {
                    missing.push(text);
                }
            }
        }
        let found = texts.len() - out.iter().filter(|v| v.is_none()).count();
        self.hits.fetch_add(found as u64, Ordering::Relaxed);
        self.misses
            .fetch_add((texts.len() - found) as u64, Ordering::Relaxed);
        if !missing.is_empty() {
            // Embedded outside the lock: other callers' hits need not wait for the model.
            let fresh = self.inner.embed(&missing, kind)?;
            let fresh: HashMap<&str, Arc<[f32]>> = missing
                .iter()
                .copied()
                .zip(fresh.into_iter().map(Arc::<[f32]>::from))
                .collect();
            let mut g = self.entries.lock().unwrap_or_else(|p| p.into_inner());
            for (slot, text) in out.iter_mut().zip(texts) {
                if slot.is_none() {
                    let v = &fresh[*text];
                    *slot = Some(v.to_vec());
                    self.remember(&mut g, (kind, (*text).to_string()), v.clone());
                }
            }
        }
        Ok(out.into_iter().map(Option::unwrap_or_default).collect())
    }

    fn model_id(&self) -> &str {
        self.inner.model_id()
    }

    fn model_sha256(&self) -> &str {
        self.inner.model_sha256()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Counts the texts it is asked to embed; a text's vector is its length and first byte.
    struct Counting(AtomicU64);

    impl Embedder for Counting {
        fn dim(&self) -> usize {
            2
        }
        fn embed(&self, texts: &[&str], _: EmbedKind) -> Result<Vec<Vec<f32>>, InferenceError> {
            self.0.fetch_add(texts.len() as u64, Ordering::Relaxed);
            Ok(texts
                .iter()
                .map(|t| vec![t.len() as f32, f32::from(t.bytes().next().unwrap_or(0))])
                .collect())
        }
        fn model_id(&self) -> &str {
            "counting"
        }
        fn model_sha256(&self) -> &str {
            "0"
        }
    }

    #[test]
    fn remembered_vectors_are_the_fresh_ones_and_each_text_is_embedded_once() {
        let inner = Arc::new(Counting(AtomicU64::new(0)));
        let cached = CachedEmbedder::new(inner.clone(), 100);
        let first = cached
            .embed(&["aa", "b", "aa", "ccc"], EmbedKind::Query)
            .unwrap();
        assert_eq!(
            first,
            inner
                .embed(&["aa", "b", "aa", "ccc"], EmbedKind::Query)
                .unwrap()
        );
        let embedded = inner.0.load(Ordering::Relaxed);
        assert_eq!(embedded, 3 + 4, "the repeated text is embedded once");
        let again = cached.embed(&["ccc", "aa"], EmbedKind::Query).unwrap();
        assert_eq!(again, vec![first[3].clone(), first[0].clone()]);
        assert_eq!(inner.0.load(Ordering::Relaxed), embedded, "all from memory");
        // The kind is part of the key: a passage is embedded anew.
        cached.embed(&["aa"], EmbedKind::Passage).unwrap();
        assert_eq!(inner.0.load(Ordering::Relaxed), embedded + 1);
        assert_eq!(cached.hits_and_misses(), (2, 5));
    }

    #[test]
    fn capacity_zero_remembers_nothing() {
        let inner = Arc::new(Counting(AtomicU64::new(0)));
        let cached = CachedEmbedder::new(inner.clone(), 0);
        for _ in 0..3 {
            cached.embed(&["aa", "aa"], EmbedKind::Query).unwrap();
        }
        assert_eq!(inner.0.load(Ordering::Relaxed), 6);
        assert_eq!(cached.hits_and_misses(), (0, 6));
    }

    #[test]
    fn memory_is_bounded_and_keeps_what_is_used() {
        let inner = Arc::new(Counting(AtomicU64::new(0)));
        let cached = CachedEmbedder::new(inner.clone(), 2);
        let texts: Vec<String> = (0..10).map(|i| format!("t{i}")).collect();
        for t in &texts {
            cached.embed(&[t.as_str()], EmbedKind::Query).unwrap();
            // "keep" is used after every other text: it is never dropped.
            cached.embed(&["keep"], EmbedKind::Query).unwrap();
        }
        let g = cached.entries.lock().unwrap();
        assert!(g.current.len() <= 2 && g.previous.len() <= 2);
        drop(g);
        let before = inner.0.load(Ordering::Relaxed);
        cached.embed(&["keep"], EmbedKind::Query).unwrap();
        assert_eq!(inner.0.load(Ordering::Relaxed), before);
        assert_eq!(before, 10 + 1, "keep was embedded once");
    }
}
