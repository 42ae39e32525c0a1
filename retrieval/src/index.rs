//! The `PrecedentIndex` contract, spoken in our own types; every backend adapts to it. Hybrid
//! search (fusion, diversity, score parts) is written once here over the backends' two
//! primitive searches.

use std::collections::HashMap;

use atzinums_models::ApplicationKind;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::error::{Result, RetrievalError};
use crate::precedent::{AgeBand, Precedent, month_number};
use crate::sparse::SparseVector;

/// A precedent with its vectors, ready to store.
#[derive(Debug, Clone)]
pub struct IndexedPrecedent {
    pub precedent: Precedent,
    /// L2-normalised dense embedding of the case summary (`passage:`).
    pub dense: Vec<f32>,
    /// BM25 document weights ([`crate::sparse`]).
    pub sparse: SparseVector,
}

/// Payload filters. Empty lists do not restrict; a non-empty list matches any of its values.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PrecedentFilter {
    pub kinds: Vec<ApplicationKind>,
    pub age_bands: Vec<AgeBand>,
    /// Roman numerals (`VI`): a precedent matches when any of its codes is in one of them.
    pub icd10_chapters: Vec<String>,
    /// Decided in this month or later.
    pub decided_from: Option<NaiveDate>,
    /// Decided in this month or earlier.
    pub decided_to: Option<NaiveDate>,
    /// Never return these (the query case itself, when it is already a precedent).
    pub exclude_case_ids: Vec<String>,
}

impl PrecedentFilter {
    pub fn is_empty(&self) -> bool {
        self == &PrecedentFilter::default()
    }

    /// The reference semantics every backend must reproduce.
    pub fn matches(&self, p: &Precedent) -> bool {
        (self.kinds.is_empty() || self.kinds.contains(&p.kind))
            && (self.age_bands.is_empty() || self.age_bands.contains(&p.age_band))
            && (self.icd10_chapters.is_empty()
                || p.icd10_chapters
                    .iter()
                    .any(|c| self.icd10_chapters.contains(c)))
            && self
                .decided_from
                .is_none_or(|d| p.decided_month >= month_number(d))
            && self
                .decided_to
                .is_none_or(|d| p.decided_month <= month_number(d))
            && !self.exclude_case_ids.contains(&p.case_id)
    }

    /// The filter in Qdrant's REST JSON shape (both Qdrant backends deserialize it).
    pub fn to_qdrant_json(&self) -> Option<serde_json::Value> {
        use serde_json::json;
        let mut must = Vec::new();
        let mut any = |key: &str, values: Vec<String>| {
            if !values.is_empty() {
                must.push(json!({ "key": key, "match": { "any": values } }));
            }
        };
        any(
            "kind",
            self.kinds.iter().map(|k| k.as_str().to_string()).collect(),
        );
        any(
            "age_band",
            self.age_bands
                .iter()
                .map(|b| b.as_str().to_string())
                .collect(),
        );
        any("icd10_chapters", self.icd10_chapters.clone());
        if self.decided_from.is_some() || self.decided_to.is_some() {
            let mut range = serde_json::Map::new();
            if let Some(d) = self.decided_from {
                range.insert("gte".into(), json!(month_number(d)));
            }
            if let Some(d) = self.decided_to {
                range.insert("lte".into(), json!(month_number(d)));
            }
            must.push(json!({ "key": "decided_month", "range": range }));
        }
        let mut filter = serde_json::Map::new();
        if !must.is_empty() {
            filter.insert("must".into(), json!(must));
        }
        if !self.exclude_case_ids.is_empty() {
            filter.insert(
                "must_not".into(),
                json!([{ "key": "case_id", "match": { "any": self.exclude_case_ids } }]),
            );
        }
        (!filter.is_empty()).then_some(serde_json::Value::Object(filter))
    }
}

/// One primitive search result.
#[derive(Debug, Clone)]
pub struct Scored {
    pub score: f32,
    pub precedent: Precedent,
}

/// A hybrid query. Give a dense vector, a sparse vector, or both (fused).
#[derive(Debug, Clone, Default)]
pub struct Query {
    pub dense: Option<Vec<f32>>,
    pub sparse: Option<SparseVector>,
    pub filter: PrecedentFilter,
    pub k: usize,
    /// At most this many hits per main-diagnosis category (`G35`), so near-duplicates do not
    /// crowd out the rest. `None`: no cap.
    pub max_per_diagnosis: Option<usize>,
    /// Exact (brute-force) dense search instead of the approximate graph.
    pub exact: bool,
}

/// A hit with the parts of its score, so the expert sees why it matched.
#[derive(Debug, Clone, Serialize)]
pub struct Hit {
    pub case_id: String,
    /// The fused score (reciprocal-rank fusion), or the single arm's score for one-arm queries.
    pub score: f32,
    /// Cosine similarity, when the dense arm found it.
    pub dense: Option<f32>,
    /// BM25 score, when the sparse arm found it.
    pub sparse: Option<f32>,
    pub dense_rank: Option<usize>,
    pub sparse_rank: Option<usize>,
    pub precedent: Precedent,
}

/// The RRF constant of Cormack et al.; larger values flatten the rank differences.
pub const RRF_K: f32 = 60.0;

/// A store of precedents with dense and sparse vectors.
///
/// Contract (the suite in `tests/contract.rs` checks it for every backend):
/// - `upsert` replaces a precedent with the same `case_id`; vectors of the wrong dimension,
///   non-finite values and malformed sparse vectors are refused before anything is written.
/// - searches return at most `limit` results, best first, all matching the filter.
/// - `count` counts the precedents matching a filter.
/// - `flush` makes everything upserted so far durable; a reopened index has it.
/// - `optimize` builds the search structures (blocking, slow: run it off the request path).
pub trait PrecedentIndex: Send + Sync {
    /// A short name for messages (`qdrant-edge`, `qdrant-server`, `memory`).
    fn backend(&self) -> &'static str;
    fn dim(&self) -> usize;
    fn upsert(&self, points: Vec<IndexedPrecedent>) -> Result<()>;
    fn delete(&self, case_ids: &[String]) -> Result<()>;
    /// The stored content hash of each of these cases that is indexed.
    fn content_hashes(&self, case_ids: &[String]) -> Result<HashMap<String, String>>;
    fn get(&self, case_id: &str) -> Result<Option<Precedent>>;
    fn search_dense(
        &self,
        vector: &[f32],
        filter: &PrecedentFilter,
        limit: usize,
        exact: bool,
    ) -> Result<Vec<Scored>>;
    fn search_sparse(
        &self,
        vector: &SparseVector,
        filter: &PrecedentFilter,
        limit: usize,
    ) -> Result<Vec<Scored>>;
    fn count(&self, filter: &PrecedentFilter) -> Result<usize>;
    fn flush(&self) -> Result<()>;
    fn optimize(&self) -> Result<()>;

    /// Dense + sparse, fused by reciprocal rank, filtered, optionally diversified.
    fn search(&self, query: &Query) -> Result<Vec<Hit>> {
        hybrid_search(self, query)
    }
}

/// Checks a dense vector against the index dimension.
pub fn check_dense(vector: &[f32], dim: usize) -> Result<()> {
    if vector.len() != dim {
        return Err(RetrievalError::Dimension {
            expected: dim,
            got: vector.len(),
        });
    }
    if vector.iter().any(|v| !v.is_finite()) {
        return Err(RetrievalError::NotFinite);
    }
    Ok(())
}

/// Checks a batch before any backend writes it.
pub fn check_points(points: &[IndexedPrecedent], dim: usize) -> Result<()> {
    for p in points {
        check_dense(&p.dense, dim)?;
        p.sparse.validate()?;
        if p.precedent.case_id.is_empty() {
            return Err(RetrievalError::BadPrecedent {
                case_id: String::new(),
                detail: "empty case id".into(),
            });
        }
    }
    Ok(())
}

/// Hybrid search over any backend.
pub fn hybrid_search<I: PrecedentIndex + ?Sized>(index: &I, query: &Query) -> Result<Vec<Hit>> {
    if query.k == 0 {
        return Ok(Vec::new());
    }
    // Each arm fetches more than k: fusion reorders, and the diversity cap drops some.
    let depth = match query.max_per_diagnosis {
        Some(_) => (query.k * 8).max(50),
        None => (query.k * 4).max(20),
    };
    let dense = match &query.dense {
        Some(v) => Some(index.search_dense(v, &query.filter, depth, query.exact)?),
        None => None,
    };
    let sparse = match &query.sparse {
        Some(v) if !v.is_empty() => Some(index.search_sparse(v, &query.filter, depth)?),
        Some(v) => {
            v.validate()?;
            Some(Vec::new())
        }
        None => None,
    };
    let both = dense.is_some() && sparse.is_some();
    let mut hits: HashMap<String, Hit> = HashMap::new();
    let mut add = |list: Vec<Scored>, is_dense: bool| {
        for (rank, s) in list.into_iter().enumerate() {
            let entry = hits
                .entry(s.precedent.case_id.clone())
                .or_insert_with(|| Hit {
                    case_id: s.precedent.case_id.clone(),
                    score: 0.0,
                    dense: None,
                    sparse: None,
                    dense_rank: None,
                    sparse_rank: None,
                    precedent: s.precedent,
                });
            if is_dense {
                entry.dense = Some(s.score);
                entry.dense_rank = Some(rank + 1);
            } else {
                entry.sparse = Some(s.score);
                entry.sparse_rank = Some(rank + 1);
            }
            entry.score = if both {
                entry.score + 1.0 / (RRF_K + (rank + 1) as f32)
            } else {
                s.score
            };
        }
    };
    if let Some(d) = dense {
        add(d, true);
    }
    if let Some(s) = sparse {
        add(s, false);
    }
    let mut hits: Vec<Hit> = hits.into_values().collect();
    hits.sort_by(|a, b| {
        b.score
            .total_cmp(&a.score)
            .then_with(|| a.case_id.cmp(&b.case_id))
    });
    let mut per_diagnosis: HashMap<Option<String>, usize> = HashMap::new();
    let mut out = Vec::with_capacity(query.k);
    for h in hits {
        if let Some(cap) = query.max_per_diagnosis {
            let n = per_diagnosis
                .entry(h.precedent.primary_category.clone())
                .or_default();
            if *n >= cap {
                continue;
            }
            *n += 1;
        }
        out.push(h);
        if out.len() == query.k {
            break;
        }
    }
    Ok(out)
}
