//! `atzinums-retrieval` owns precedent retrieval: what a precedent is (a decided, de-identified
//! case: [`precedent`]), its vectors (a dense e5 `passage:` embedding of the case summary and a
//! sparse BM25 vector over Latvian tokens and ICD-10 codes: [`sparse`]), the [`PrecedentIndex`]
//! contract that every backend passes, hybrid search (reciprocal-rank fusion of dense and
//! sparse, payload filters, a diversity cap, score parts on every hit: [`index`]), and the
//! backends:
//! - [`edge::EdgeIndex`] — qdrant-edge in this process, on disk under the data directory (the
//!   default);
//! - `server::ServerIndex` — a Qdrant server or distributed cluster over gRPC (cargo feature
//!   `qdrant-server`);
//! - [`memory::MemoryIndex`] — exact brute force in memory: the reference for recall.
//!
//! [`retriever::Retriever`] joins an embedder and an index: it indexes decided cases (skipping
//! unchanged ones by content hash) and finds similar ones; [`retriever::add_signed_decision`]
//! adds a decision signed in the store. It knows nothing of HTTP.

pub mod edge;
pub mod error;
pub mod index;
pub mod memory;
pub mod precedent;
pub mod retriever;
#[cfg(feature = "qdrant-server")]
pub mod server;
pub mod sparse;

pub use error::{Result, RetrievalError};
pub use index::{Hit, IndexedPrecedent, PrecedentFilter, PrecedentIndex, Query, Scored};
pub use precedent::{AgeBand, CaseDescription, Precedent, PrecedentSource};
pub use retriever::{Mode, Retriever, SimilarOptions, add_signed_decision};
pub use sparse::SparseVector;
