//! The embedded default backend: a qdrant-edge shard in this process, on disk under
//! `<data_dir>/index`.
//!
//! qdrant-edge builds its HNSW graph only when [`PrecedentIndex::optimize`] is called (blocking;
//! minutes per 100k points) and writes to disk only on [`PrecedentIndex::flush`] (and when
//! dropped). Neither belongs on a request path: `atzinums index` runs both after bulk
//! indexing, and a long-running process calls them from a blocking task on a timer
//! ([`spawn_maintenance`]). Until optimised, new points are found by plain (exact) search.
//!
//! Layout: `<dir>/atzinums-index.json` (our format version, dimension and embedding model) and
//! `<dir>/shard/` (qdrant-edge's WAL and segments). A directory we cannot read is reported as
//! damaged with the command that rebuilds it, never a panic.

use std::collections::HashMap;
use std::mem::ManuallyDrop;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use parking_lot::Mutex;
use qdrant_edge::external::uuid::Uuid;
use qdrant_edge::{
    CountRequest, CreateIndex, Distance, EdgeConfig, EdgeOptimizersConfig, EdgeShard,
    EdgeSparseVectorParams, EdgeVectorParams, FieldIndexOperations, Filter, JsonPath, Modifier,
    NamedQuery, Payload, PayloadFieldSchema, PayloadSchemaType, PointId, PointInsertOperations,
    PointOperations, PointStructPersisted, QueryEnum, QueryRequest, ScoredPoint, ScoringQuery,
    SearchParams, UpdateOperation, VectorInternal, VectorPersisted, VectorStructPersisted,
    WithPayloadInterface, WithVector,
};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::error::{Result, RetrievalError};
use crate::index::{
    IndexedPrecedent, PrecedentFilter, PrecedentIndex, Scored, check_dense, check_points,
};
use crate::precedent::Precedent;
use crate::sparse::SparseVector;

pub const DENSE: &str = "dense";
pub const SPARSE: &str = "sparse";
const META_FILE: &str = "atzinums-index.json";
const SHARD_DIR: &str = "shard";
const FORMAT: &str = "atzinums-precedents/1";

#[derive(Debug, Clone)]
pub struct EdgeOptions {
    pub dim: usize,
    /// The embedding model the dense vectors come from; an index built with another is refused.
    pub model_id: String,
    /// Breadth of the HNSW search (higher: better recall, slower).
    pub hnsw_ef: usize,
    /// Segments above this size (KiB) get an HNSW graph on `optimize` (`None`: qdrant's default,
    /// about 10 MiB of vectors).
    pub indexing_threshold_kb: Option<usize>,
}

impl EdgeOptions {
    pub fn new(dim: usize, model_id: impl Into<String>) -> EdgeOptions {
        EdgeOptions {
            dim,
            model_id: model_id.into(),
            hnsw_ef: 128,
            indexing_threshold_kb: None,
        }
    }
}

#[derive(Debug, Serialize, Deserialize, PartialEq)]
struct Meta {
    format: String,
    dim: usize,
    model: String,
}

pub struct EdgeIndex {
    /// Dropped by hand (see `Drop`): qdrant-edge flushes on drop and panics if that fails.
    shard: ManuallyDrop<EdgeShard>,
    /// qdrant-edge 0.7 flushes with `try_lock` and panics when an update holds the lock: writes,
    /// flushes and optimisation take turns here.
    writes: Mutex<()>,
    path: PathBuf,
    options: EdgeOptions,
}

fn backend(e: impl std::fmt::Display) -> RetrievalError {
    RetrievalError::Backend(e.to_string())
}

/// The point id of a case: the first 16 bytes of sha256(case id), as a UUID.
pub fn point_id(case_id: &str) -> PointId {
    let digest = Sha256::digest(case_id.as_bytes());
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest[..16]);
    PointId::Uuid(Uuid::from_bytes(bytes))
}

impl EdgeIndex {
    /// Opens the index at `dir`, creating it when the directory is absent or empty.
    pub fn open(dir: &Path, options: EdgeOptions) -> Result<EdgeIndex> {
        let damaged = |detail: String| RetrievalError::Damaged {
            path: dir.to_path_buf(),
            detail,
        };
        let io = |e: std::io::Error| RetrievalError::Io {
            path: dir.to_path_buf(),
            source: e,
        };
        let fresh = match std::fs::read_dir(dir) {
            Ok(mut entries) => entries.next().is_none(),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => true,
            Err(e) => return Err(io(e)),
        };
        let shard_dir = dir.join(SHARD_DIR);
        let config = edge_config(&options);
        let wanted = Meta {
            format: FORMAT.into(),
            dim: options.dim,
            model: options.model_id.clone(),
        };
        let shard = if fresh {
            std::fs::create_dir_all(&shard_dir).map_err(io)?;
            let shard = guarded(|| EdgeShard::new(&shard_dir, config)).map_err(damaged)?;
            for (field, schema) in [
                ("case_id", PayloadSchemaType::Keyword),
                ("kind", PayloadSchemaType::Keyword),
                ("age_band", PayloadSchemaType::Keyword),
                ("icd10_chapters", PayloadSchemaType::Keyword),
                ("primary_category", PayloadSchemaType::Keyword),
                ("decided_month", PayloadSchemaType::Integer),
            ] {
                shard
                    .update(UpdateOperation::FieldIndexOperation(
                        FieldIndexOperations::CreateIndex(CreateIndex {
                            field_name: json_path(field)?,
                            field_schema: Some(PayloadFieldSchema::FieldType(schema)),
                        }),
                    ))
                    .map_err(backend)?;
            }
            guarded(|| {
                shard.flush();
                Ok::<_, String>(())
            })
            .map_err(damaged)?;
            let meta = serde_json::to_vec_pretty(&wanted).map_err(backend)?;
            std::fs::write(dir.join(META_FILE), meta).map_err(io)?;
            shard
        } else {
            let meta_path = dir.join(META_FILE);
            let bytes = std::fs::read(&meta_path)
                .map_err(|e| damaged(format!("cannot read {META_FILE}: {e}")))?;
            let found: Meta = serde_json::from_slice(&bytes)
                .map_err(|e| damaged(format!("{META_FILE} is not valid: {e}")))?;
            if found.format != wanted.format
                || found.dim != wanted.dim
                || found.model != wanted.model
            {
                return Err(RetrievalError::Incompatible {
                    path: dir.to_path_buf(),
                    found: format!(
                        "{} ({}-d vectors of {})",
                        found.format, found.dim, found.model
                    ),
                    wanted: format!(
                        "{} ({}-d vectors of {})",
                        wanted.format, wanted.dim, wanted.model
                    ),
                });
            }
            if !shard_dir.is_dir() {
                return Err(damaged("the shard folder is missing".into()));
            }
            guarded(|| EdgeShard::load(&shard_dir, Some(config))).map_err(damaged)?
        };
        Ok(EdgeIndex {
            shard: ManuallyDrop::new(shard),
            writes: Mutex::new(()),
            path: dir.to_path_buf(),
            options,
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Vectors in search structures: the sparse vector of every point, plus the dense vectors
    /// in the HNSW graph (none before the first `optimize` of a big enough segment).
    pub fn indexed_vectors(&self) -> Result<usize> {
        Ok(self.shard.info().indexed_vectors_count)
    }

    fn filter(&self, filter: &PrecedentFilter) -> Result<Option<Filter>> {
        filter
            .to_qdrant_json()
            .map(|json| serde_json::from_value::<Filter>(json).map_err(backend))
            .transpose()
    }

    fn query(&self, request: QueryRequest) -> Result<Vec<Scored>> {
        let points = guarded(|| self.shard.query(request)).map_err(backend)?;
        points.into_iter().map(scored).collect()
    }
}

/// A payload field's path (`JsonPath::new` exists only in qdrant-edge's tests).
fn json_path(field: &str) -> Result<JsonPath> {
    field
        .parse()
        .map_err(|_| backend(format!("`{field}` is not a valid payload path")))
}

/// Runs a qdrant-edge call, turning its errors and panics into messages.
fn guarded<T, E: std::fmt::Display>(f: impl FnOnce() -> Result<T, E>) -> Result<T, String> {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(e)) => Err(e.to_string()),
        Err(panic) => Err(panic
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_else(|| "the storage engine panicked".into())),
    }
}

fn edge_config(options: &EdgeOptions) -> EdgeConfig {
    EdgeConfig {
        vectors: HashMap::from([(
            DENSE.to_string(),
            EdgeVectorParams::builder(options.dim, Distance::Cosine).build(),
        )]),
        sparse_vectors: HashMap::from([(
            SPARSE.to_string(),
            EdgeSparseVectorParams {
                modifier: Some(Modifier::Idf),
                ..Default::default()
            },
        )]),
        on_disk_payload: true,
        optimizers: EdgeOptimizersConfig {
            indexing_threshold: options.indexing_threshold_kb,
            ..Default::default()
        },
        ..Default::default()
    }
}

fn request(
    query: ScoringQuery,
    filter: Option<Filter>,
    limit: usize,
    params: Option<SearchParams>,
) -> QueryRequest {
    QueryRequest {
        prefetches: Vec::new(),
        query: Some(query),
        filter,
        score_threshold: None,
        limit,
        offset: 0,
        params,
        with_vector: WithVector::Bool(false),
        with_payload: WithPayloadInterface::Bool(true),
    }
}

fn scored(p: ScoredPoint) -> Result<Scored> {
    let payload = p
        .payload
        .ok_or_else(|| backend("a search hit came back without its payload"))?;
    Ok(Scored {
        score: p.score,
        precedent: precedent_of(payload)?,
    })
}

fn precedent_of(payload: Payload) -> Result<Precedent> {
    serde_json::from_value(serde_json::Value::Object(payload.0))
        .map_err(|e| backend(format!("a stored precedent cannot be read: {e}")))
}

fn payload_of(p: &Precedent) -> Result<Payload> {
    match serde_json::to_value(p).map_err(backend)? {
        // Built directly (not with `PointStruct::new`, which panics on a non-object).
        serde_json::Value::Object(map) => Ok(Payload(map)),
        other => Err(RetrievalError::BadPrecedent {
            case_id: p.case_id.clone(),
            detail: format!("payload is not an object: {other}"),
        }),
    }
}

impl PrecedentIndex for EdgeIndex {
    fn backend(&self) -> &'static str {
        "qdrant-edge"
    }

    fn dim(&self) -> usize {
        self.options.dim
    }

    fn upsert(&self, points: Vec<IndexedPrecedent>) -> Result<()> {
        check_points(&points, self.options.dim)?;
        if points.is_empty() {
            return Ok(());
        }
        let mut persisted = Vec::with_capacity(points.len());
        for p in points {
            let sparse = qdrant_edge::SparseVector::new(p.sparse.indices, p.sparse.values)
                .map_err(|e| RetrievalError::Sparse(e.to_string()))?;
            persisted.push(PointStructPersisted {
                id: point_id(&p.precedent.case_id),
                vector: VectorStructPersisted::Named(HashMap::from([
                    (DENSE.to_string(), VectorPersisted::Dense(p.dense)),
                    (SPARSE.to_string(), VectorPersisted::Sparse(sparse)),
                ])),
                payload: Some(payload_of(&p.precedent)?),
            });
        }
        let _turn = self.writes.lock();
        guarded(|| {
            self.shard.update(UpdateOperation::PointOperation(
                PointOperations::UpsertPoints(PointInsertOperations::PointsList(persisted)),
            ))
        })
        .map_err(backend)
    }

    fn delete(&self, case_ids: &[String]) -> Result<()> {
        let ids = case_ids.iter().map(|c| point_id(c)).collect();
        let _turn = self.writes.lock();
        guarded(|| {
            self.shard.update(UpdateOperation::PointOperation(
                PointOperations::DeletePoints { ids },
            ))
        })
        .map_err(backend)
    }

    fn content_hashes(&self, case_ids: &[String]) -> Result<HashMap<String, String>> {
        if case_ids.is_empty() {
            return Ok(HashMap::new());
        }
        let ids: Vec<PointId> = case_ids.iter().map(|c| point_id(c)).collect();
        let fields =
            WithPayloadInterface::Fields(vec![json_path("case_id")?, json_path("content_hash")?]);
        let records = guarded(|| {
            self.shard
                .retrieve(&ids, Some(fields), Some(WithVector::Bool(false)))
        })
        .map_err(backend)?;
        Ok(records
            .into_iter()
            .filter_map(|r| {
                let payload = r.payload?;
                let id = payload.0.get("case_id")?.as_str()?.to_string();
                let hash = payload.0.get("content_hash")?.as_str()?.to_string();
                Some((id, hash))
            })
            .collect())
    }

    fn get(&self, case_id: &str) -> Result<Option<Precedent>> {
        let ids = [point_id(case_id)];
        let records = guarded(|| {
            self.shard.retrieve(
                &ids,
                Some(WithPayloadInterface::Bool(true)),
                Some(WithVector::Bool(false)),
            )
        })
        .map_err(backend)?;
        records
            .into_iter()
            .next()
            .and_then(|r| r.payload)
            .map(precedent_of)
            .transpose()
    }

    fn search_dense(
        &self,
        vector: &[f32],
        filter: &PrecedentFilter,
        limit: usize,
        exact: bool,
    ) -> Result<Vec<Scored>> {
        check_dense(vector, self.options.dim)?;
        let query = ScoringQuery::Vector(QueryEnum::Nearest(NamedQuery {
            query: VectorInternal::Dense(vector.to_vec()),
            using: Some(DENSE.to_string()),
        }));
        let params = SearchParams {
            hnsw_ef: Some(self.options.hnsw_ef.max(limit)),
            exact,
            ..Default::default()
        };
        self.query(request(query, self.filter(filter)?, limit, Some(params)))
    }

    fn search_sparse(
        &self,
        vector: &SparseVector,
        filter: &PrecedentFilter,
        limit: usize,
    ) -> Result<Vec<Scored>> {
        vector.validate()?;
        if vector.is_empty() {
            return Ok(Vec::new());
        }
        let sparse = qdrant_edge::SparseVector::new(vector.indices.clone(), vector.values.clone())
            .map_err(|e| RetrievalError::Sparse(e.to_string()))?;
        let query = ScoringQuery::Vector(QueryEnum::Nearest(NamedQuery {
            query: VectorInternal::Sparse(sparse),
            using: Some(SPARSE.to_string()),
        }));
        self.query(request(query, self.filter(filter)?, limit, None))
    }

    fn count(&self, filter: &PrecedentFilter) -> Result<usize> {
        let request = CountRequest {
            filter: self.filter(filter)?,
            exact: true,
        };
        guarded(|| self.shard.count(request)).map_err(backend)
    }

    fn flush(&self) -> Result<()> {
        let _turn = self.writes.lock();
        guarded(|| {
            self.shard.flush();
            Ok::<_, String>(())
        })
        .map_err(backend)
    }

    fn optimize(&self) -> Result<()> {
        {
            let _turn = self.writes.lock();
            guarded(|| self.shard.optimize()).map_err(backend)?;
        }
        self.flush()
    }
}

impl Drop for EdgeIndex {
    fn drop(&mut self) {
        let _turn = self.writes.lock();
        // SAFETY: `shard` is taken exactly once, here, and never used afterwards.
        let shard = unsafe { ManuallyDrop::take(&mut self.shard) };
        // Its final flush panics when the disk fails or the folder was removed under it; a
        // panic in a destructor could abort the process, so it is contained and reported.
        if let Err(e) = guarded(move || {
            drop(shard);
            Ok::<_, String>(())
        }) {
            tracing::error!(error = %e, "the precedent index could not be flushed on close");
        }
    }
}

/// For a long-running process: flushes every `flush_every` and optimises every
/// `optimize_every`, on a thread of its own (never on a request path). Errors are logged.
/// The thread ends when the index is dropped elsewhere (it holds only a weak reference).
pub fn spawn_maintenance(
    index: &Arc<dyn PrecedentIndex>,
    flush_every: Duration,
    optimize_every: Duration,
) -> std::io::Result<std::thread::JoinHandle<()>> {
    let weak = Arc::downgrade(index);
    std::thread::Builder::new()
        .name("precedent-index-maintenance".into())
        .spawn(move || {
            let mut since_optimize = Duration::ZERO;
            loop {
                std::thread::sleep(flush_every);
                let Some(index) = weak.upgrade() else { return };
                since_optimize += flush_every;
                let result = if since_optimize >= optimize_every {
                    since_optimize = Duration::ZERO;
                    index.optimize()
                } else {
                    index.flush()
                };
                if let Err(e) = result {
                    tracing::warn!(error = %e, "precedent index maintenance failed");
                }
            }
        })
}
