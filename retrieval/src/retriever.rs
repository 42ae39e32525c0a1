//! Precedents in and similar cases out: builds the vectors of a case (dense e5 embedding of its
//! summary, sparse BM25 terms) and talks to whichever [`PrecedentIndex`] is configured.

use std::sync::Arc;

use atzinums_inference::embed::{EmbedKind, Embedder};
use atzinums_models::dataset::DecisionJson;
use atzinums_store::Store;

use crate::error::{Result, RetrievalError};
use crate::index::{Hit, IndexedPrecedent, PrecedentFilter, PrecedentIndex, Query};
use crate::precedent::{CaseDescription, Precedent, PrecedentSource};

/// How to search for similar cases.
#[derive(Debug, Clone)]
pub struct SimilarOptions {
    pub k: usize,
    pub filter: PrecedentFilter,
    pub mode: Mode,
    pub max_per_diagnosis: Option<usize>,
}

impl Default for SimilarOptions {
    fn default() -> Self {
        SimilarOptions {
            k: 10,
            filter: PrecedentFilter::default(),
            mode: Mode::Hybrid,
            max_per_diagnosis: None,
        }
    }
}

/// Which arms of the search run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Dense,
    Sparse,
    Hybrid,
}

/// What one batch did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BatchOutcome {
    pub indexed: usize,
    /// Already indexed with the same content hash.
    pub unchanged: usize,
}

#[derive(Clone)]
pub struct Retriever {
    pub index: Arc<dyn PrecedentIndex>,
    pub embedder: Arc<dyn Embedder>,
}

impl Retriever {
    pub fn new(index: Arc<dyn PrecedentIndex>, embedder: Arc<dyn Embedder>) -> Result<Retriever> {
        if index.dim() != embedder.dim() {
            return Err(RetrievalError::Dimension {
                expected: index.dim(),
                got: embedder.dim(),
            });
        }
        Ok(Retriever { index, embedder })
    }

    /// Builds the vectors of decided cases: one embedding call for the whole batch.
    pub fn prepare(
        &self,
        precedents: Vec<(Precedent, &CaseDescription)>,
    ) -> Result<Vec<IndexedPrecedent>> {
        for (_, case) in &precedents {
            case.check()?;
        }
        let summaries: Vec<String> = precedents.iter().map(|(_, c)| c.summary()).collect();
        let refs: Vec<&str> = summaries.iter().map(String::as_str).collect();
        let dense = if refs.is_empty() {
            Vec::new()
        } else {
            self.embedder.embed(&refs, EmbedKind::Passage)?
        };
        Ok(precedents
            .into_iter()
            .zip(dense)
            .map(|((precedent, case), dense)| IndexedPrecedent {
                precedent,
                dense,
                sparse: case.document_sparse(),
            })
            .collect())
    }

    /// Indexes a batch of decided cases, skipping those already indexed with the same content
    /// (unless `force`). Cases without readable text are refused before anything is written.
    pub fn index_batch(
        &self,
        cases: &[(CaseDescription, DecisionJson)],
        source: PrecedentSource,
        force: bool,
    ) -> Result<BatchOutcome> {
        for (case, _) in cases {
            case.check()?;
        }
        let precedents: Vec<(Precedent, &CaseDescription)> = cases
            .iter()
            .map(|(c, d)| (Precedent::from_decision(c, d, source), c))
            .collect();
        let known = if force {
            Default::default()
        } else {
            let ids: Vec<String> = precedents.iter().map(|(p, _)| p.case_id.clone()).collect();
            self.index.content_hashes(&ids)?
        };
        let total = precedents.len();
        let todo: Vec<(Precedent, &CaseDescription)> = precedents
            .into_iter()
            .filter(|(p, _)| known.get(&p.case_id) != Some(&p.content_hash))
            .collect();
        let indexed = todo.len();
        let points = self.prepare(todo)?;
        self.index.upsert(points)?;
        Ok(BatchOutcome {
            indexed,
            unchanged: total - indexed,
        })
    }

    /// The query vectors of a case (e5 `query:` embedding, sparse query terms).
    pub fn query_for(&self, case: &CaseDescription, options: &SimilarOptions) -> Result<Query> {
        case.check()?;
        let dense = match options.mode {
            Mode::Sparse => None,
            _ => {
                let summary = case.summary();
                let mut v = self.embedder.embed(&[summary.as_str()], EmbedKind::Query)?;
                v.pop()
            }
        };
        let sparse = match options.mode {
            Mode::Dense => None,
            _ => Some(case.query_sparse()),
        };
        let mut filter = options.filter.clone();
        if !filter.exclude_case_ids.contains(&case.case_id) {
            filter.exclude_case_ids.push(case.case_id.clone());
        }
        Ok(Query {
            dense,
            sparse,
            filter,
            k: options.k,
            max_per_diagnosis: options.max_per_diagnosis,
            exact: false,
        })
    }

    /// Adds (or replaces) `case` as a precedent with its signed `decision`, durably. Embedding
    /// runs on the calling thread.
    pub fn add_decided(
        &self,
        case: &CaseDescription,
        decision: &atzinums_models::DecisionJson,
    ) -> Result<Precedent> {
        case.check()?;
        let precedent = Precedent::from_decision(case, decision, PrecedentSource::Store);
        let points = self.prepare(vec![(precedent.clone(), case)])?;
        self.index.upsert(points)?;
        self.index.flush()?;
        Ok(precedent)
    }

    /// Precedents similar to `case` (never the case itself).
    pub fn similar(&self, case: &CaseDescription, options: &SimilarOptions) -> Result<Vec<Hit>> {
        let query = self.query_for(case, options)?;
        self.index.search(&query)
    }
}

/// Adds the case's signed decision to the index as a precedent. The pipeline calls this once the
/// official has signed (`Store::sign_decision`); `case` is the case's description (its case
/// file and text, de-identified). Embedding runs on the calling thread: call it from a worker or
/// blocking task. Returns the stored precedent; a case without a signed decision is refused.
pub async fn add_signed_decision(
    store: &Store,
    retriever: &Retriever,
    case: &CaseDescription,
) -> Result<Precedent> {
    let decision =
        store
            .decision(&case.case_id)
            .await?
            .ok_or_else(|| RetrievalError::NotDecided {
                case_id: case.case_id.clone(),
            })?;
    retriever.add_decided(case, &decision)
}
