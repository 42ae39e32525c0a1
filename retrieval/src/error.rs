//! Errors of the retrieval crate. Every message says what was wrong and what to do.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum RetrievalError {
    /// The case has no readable text: nothing to embed and nothing to match on.
    #[error(
        "case {case_id} has no readable text (no document could be read, or all are empty): \
         it cannot be matched against precedents; check its documents (`atzinums ingest --case DIR`)"
    )]
    NoText { case_id: String },
    #[error("vector of dimension {got} given, the index holds vectors of dimension {expected}")]
    Dimension { expected: usize, got: usize },
    #[error("vector holds a value that is not a finite number (NaN or infinity)")]
    NotFinite,
    #[error("sparse vector is malformed: {0}")]
    Sparse(String),
    #[error(
        "the precedent index at {path} is damaged or unreadable ({detail}). Rebuild it: \
         `atzinums index --rebuild DATASET` (from the archive) — signed decisions are re-added \
         from the store as they are signed"
    )]
    Damaged { path: PathBuf, detail: String },
    #[error(
        "the precedent index at {path} was built for {found}, this configuration needs {wanted}; \
         rebuild it with `atzinums index --rebuild DATASET`"
    )]
    Incompatible {
        path: PathBuf,
        found: String,
        wanted: String,
    },
    #[error("precedent index backend failed: {0}")]
    Backend(String),
    #[error("precedent {case_id} cannot be stored: {detail}")]
    BadPrecedent { case_id: String, detail: String },
    #[error(
        "case {case_id} has no signed decision in the store; only decided cases are precedents"
    )]
    NotDecided { case_id: String },
    #[error("store: {0}")]
    Store(#[from] atzinums_store::StoreError),
    #[error("embedding: {0}")]
    Embed(#[from] atzinums_inference::error::InferenceError),
    #[error("I/O at {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
}

pub type Result<T, E = RetrievalError> = std::result::Result<T, E>;
