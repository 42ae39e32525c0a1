//! The exact in-memory backend: brute force over every precedent. It is the reference the
//! approximate backends are measured against (recall), and a backend for tests and small sets.
//! It keeps nothing on disk.

use std::collections::HashMap;

use parking_lot::RwLock;

use crate::error::Result;
use crate::index::{
    IndexedPrecedent, PrecedentFilter, PrecedentIndex, Scored, check_dense, check_points,
};
use crate::precedent::Precedent;
use crate::sparse::SparseVector;

pub struct MemoryIndex {
    dim: usize,
    points: RwLock<HashMap<String, IndexedPrecedent>>,
}

impl MemoryIndex {
    pub fn new(dim: usize) -> MemoryIndex {
        MemoryIndex {
            dim,
            points: RwLock::new(HashMap::new()),
        }
    }
}

fn top(mut scored: Vec<Scored>, limit: usize) -> Vec<Scored> {
    scored.sort_by(|a, b| {
        b.score
            .total_cmp(&a.score)
            .then_with(|| a.precedent.case_id.cmp(&b.precedent.case_id))
    });
    scored.truncate(limit);
    scored
}

fn cosine(a: &[f32], b: &[f32]) -> f32 {
    let (mut dot, mut na, mut nb) = (0.0f32, 0.0f32, 0.0f32);
    for (x, y) in a.iter().zip(b) {
        dot += x * y;
        na += x * x;
        nb += y * y;
    }
    if na == 0.0 || nb == 0.0 {
        0.0
    } else {
        dot / (na.sqrt() * nb.sqrt())
    }
}

impl PrecedentIndex for MemoryIndex {
    fn backend(&self) -> &'static str {
        "memory"
    }

    fn dim(&self) -> usize {
        self.dim
    }

    fn upsert(&self, points: Vec<IndexedPrecedent>) -> Result<()> {
        check_points(&points, self.dim)?;
        let mut map = self.points.write();
        for p in points {
            map.insert(p.precedent.case_id.clone(), p);
        }
        Ok(())
    }

    fn delete(&self, case_ids: &[String]) -> Result<()> {
        let mut map = self.points.write();
        for id in case_ids {
            map.remove(id);
        }
        Ok(())
    }

    fn content_hashes(&self, case_ids: &[String]) -> Result<HashMap<String, String>> {
        let map = self.points.read();
        Ok(case_ids
            .iter()
            .filter_map(|id| {
                map.get(id)
                    .map(|p| (id.clone(), p.precedent.content_hash.clone()))
            })
            .collect())
    }

    fn get(&self, case_id: &str) -> Result<Option<Precedent>> {
        Ok(self.points.read().get(case_id).map(|p| p.precedent.clone()))
    }

    fn search_dense(
        &self,
        vector: &[f32],
        filter: &PrecedentFilter,
        limit: usize,
        _exact: bool,
    ) -> Result<Vec<Scored>> {
        check_dense(vector, self.dim)?;
        let map = self.points.read();
        let scored = map
            .values()
            .filter(|p| filter.matches(&p.precedent))
            .map(|p| Scored {
                score: cosine(vector, &p.dense),
                precedent: p.precedent.clone(),
            })
            .collect();
        Ok(top(scored, limit))
    }

    fn search_sparse(
        &self,
        vector: &SparseVector,
        filter: &PrecedentFilter,
        limit: usize,
    ) -> Result<Vec<Scored>> {
        vector.validate()?;
        let map = self.points.read();
        // IDF over everything indexed, as Qdrant's `idf` modifier computes it.
        let n = map.len() as f32;
        let mut df: HashMap<u32, f32> = HashMap::new();
        for p in map.values() {
            for i in &p.sparse.indices {
                if vector.indices.binary_search(i).is_ok() {
                    *df.entry(*i).or_default() += 1.0;
                }
            }
        }
        let weighted = SparseVector {
            indices: vector.indices.clone(),
            values: vector
                .indices
                .iter()
                .zip(&vector.values)
                .map(|(i, v)| {
                    let d = df.get(i).copied().unwrap_or(0.0);
                    v * (1.0 + (n - d + 0.5) / (d + 0.5)).ln()
                })
                .collect(),
        };
        let scored = map
            .values()
            .filter(|p| filter.matches(&p.precedent))
            .filter_map(|p| {
                let s = weighted.dot(&p.sparse);
                (s > 0.0).then(|| Scored {
                    score: s,
                    precedent: p.precedent.clone(),
                })
            })
            .collect();
        Ok(top(scored, limit))
    }

    fn count(&self, filter: &PrecedentFilter) -> Result<usize> {
        Ok(self
            .points
            .read()
            .values()
            .filter(|p| filter.matches(&p.precedent))
            .count())
    }

    fn flush(&self) -> Result<()> {
        Ok(())
    }

    fn optimize(&self) -> Result<()> {
        Ok(())
    }
}
