//! The scale-out backend: a Qdrant server or distributed cluster over gRPC (cargo feature
//! `qdrant-server`). Its types are the gRPC ones; this module adapts them to ours. Filters,
//! IDF (the collection's sparse vector has the `idf` modifier) and fusion behave as in the
//! embedded backend; the same contract suite runs against it when `QDRANT_URL` is set.
//!
//! The trait is synchronous; this backend runs its calls on a small runtime of its own, so call
//! it from a blocking thread (as every caller of the trait does), never from inside an async
//! task.

use std::collections::HashMap;

use qdrant_client::qdrant::{
    Condition, CountPointsBuilder, CreateCollectionBuilder, CreateFieldIndexCollectionBuilder,
    DeletePointsBuilder, Distance, FieldType, Filter, GetPointsBuilder, Modifier, NamedVectors,
    PointId, PointStruct, PointsIdsList, QueryPointsBuilder, Range, SearchParamsBuilder,
    SparseVectorParamsBuilder, SparseVectorsConfigBuilder, UpsertPointsBuilder, Value, VectorInput,
    VectorParamsBuilder, VectorsConfigBuilder,
};
use qdrant_client::{Payload, Qdrant};

use crate::edge::{DENSE, SPARSE};
use crate::error::{Result, RetrievalError};
use crate::index::{
    IndexedPrecedent, PrecedentFilter, PrecedentIndex, Scored, check_dense, check_points,
};
use crate::precedent::{Precedent, month_number};
use crate::sparse::SparseVector;

/// Where the cluster is and how the collection is laid out.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// gRPC address, e.g. `http://localhost:6334`.
    pub url: String,
    pub api_key: Option<String>,
    pub collection: String,
    pub dim: usize,
    /// Set when the collection is created; ignored for an existing one.
    pub shards: u32,
    pub replicas: u32,
    pub hnsw_ef: u64,
}

impl ServerConfig {
    /// From `QDRANT_URL`, `QDRANT_API_KEY`, `QDRANT_COLLECTION` (default `precedents`),
    /// `QDRANT_SHARDS` (default 1) and `QDRANT_REPLICAS` (default 1).
    pub fn from_env(dim: usize) -> Result<ServerConfig> {
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
        let number = |name: &str, default: u32| -> Result<u32> {
            match var(name) {
                None => Ok(default),
                Some(v) => v.parse().map_err(|_| {
                    RetrievalError::Backend(format!("{name}={v:?} is not a whole number"))
                }),
            }
        };
        Ok(ServerConfig {
            url: var("QDRANT_URL")
                .ok_or_else(|| RetrievalError::Backend("QDRANT_URL is not set".into()))?,
            api_key: var("QDRANT_API_KEY"),
            collection: var("QDRANT_COLLECTION").unwrap_or_else(|| "precedents".into()),
            dim,
            shards: number("QDRANT_SHARDS", 1)?,
            replicas: number("QDRANT_REPLICAS", 1)?,
            hnsw_ef: 128,
        })
    }
}

pub struct ServerIndex {
    client: Qdrant,
    config: ServerConfig,
    runtime: tokio::runtime::Runtime,
}

fn backend(e: impl std::fmt::Display) -> RetrievalError {
    RetrievalError::Backend(e.to_string())
}

fn point_id(case_id: &str) -> PointId {
    match crate::edge::point_id(case_id) {
        qdrant_edge::PointId::Uuid(u) => PointId::from(u.to_string()),
        qdrant_edge::PointId::NumId(n) => PointId::from(n),
    }
}

impl ServerIndex {
    /// Connects, and creates the collection (with its payload indexes) when it does not exist;
    /// `recreate` drops it first.
    pub fn connect(config: ServerConfig, recreate: bool) -> Result<ServerIndex> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(backend)?;
        let client = Qdrant::from_url(&config.url)
            .api_key(config.api_key.clone())
            .skip_compatibility_check()
            .build()
            .map_err(backend)?;
        let index = ServerIndex {
            client,
            config,
            runtime,
        };
        index.ensure_collection(recreate)?;
        Ok(index)
    }

    fn ensure_collection(&self, recreate: bool) -> Result<()> {
        let name = self.config.collection.clone();
        self.runtime.block_on(async {
            let exists = self
                .client
                .collection_exists(&name)
                .await
                .map_err(backend)?;
            if exists && recreate {
                self.client
                    .delete_collection(&name)
                    .await
                    .map_err(backend)?;
            }
            if exists && !recreate {
                return Ok(());
            }
            let mut vectors = VectorsConfigBuilder::default();
            vectors.add_named_vector_params(
                DENSE,
                VectorParamsBuilder::new(self.config.dim as u64, Distance::Cosine),
            );
            let mut sparse = SparseVectorsConfigBuilder::default();
            sparse.add_named_vector_params(
                SPARSE,
                SparseVectorParamsBuilder::default().modifier(Modifier::Idf),
            );
            self.client
                .create_collection(
                    CreateCollectionBuilder::new(&name)
                        .vectors_config(vectors)
                        .sparse_vectors_config(sparse)
                        .shard_number(self.config.shards)
                        .replication_factor(self.config.replicas),
                )
                .await
                .map_err(backend)?;
            for (field, kind) in [
                ("case_id", FieldType::Keyword),
                ("kind", FieldType::Keyword),
                ("age_band", FieldType::Keyword),
                ("icd10_chapters", FieldType::Keyword),
                ("primary_category", FieldType::Keyword),
                ("decided_month", FieldType::Integer),
            ] {
                self.client
                    .create_field_index(
                        CreateFieldIndexCollectionBuilder::new(&name, field, kind).wait(true),
                    )
                    .await
                    .map_err(backend)?;
            }
            Ok(())
        })
    }

    fn filter(&self, f: &PrecedentFilter) -> Option<Filter> {
        let mut must = Vec::new();
        let mut any = |key: &str, values: Vec<String>| {
            if !values.is_empty() {
                must.push(Condition::matches(key, values));
            }
        };
        any(
            "kind",
            f.kinds.iter().map(|k| k.as_str().to_string()).collect(),
        );
        any(
            "age_band",
            f.age_bands.iter().map(|b| b.as_str().to_string()).collect(),
        );
        any("icd10_chapters", f.icd10_chapters.clone());
        if f.decided_from.is_some() || f.decided_to.is_some() {
            must.push(Condition::range(
                "decided_month",
                Range {
                    gte: f.decided_from.map(|d| month_number(d) as f64),
                    lte: f.decided_to.map(|d| month_number(d) as f64),
                    ..Default::default()
                },
            ));
        }
        let mut filter = Filter::must(must);
        if !f.exclude_case_ids.is_empty() {
            filter.must_not = vec![Condition::matches("case_id", f.exclude_case_ids.clone())];
        }
        (!filter.must.is_empty() || !filter.must_not.is_empty()).then_some(filter)
    }

    fn query(&self, builder: QueryPointsBuilder) -> Result<Vec<Scored>> {
        let response = self
            .runtime
            .block_on(self.client.query(builder))
            .map_err(backend)?;
        response
            .result
            .into_iter()
            .map(|p| {
                Ok(Scored {
                    score: p.score,
                    precedent: precedent_of(p.payload)?,
                })
            })
            .collect()
    }
}

fn precedent_of(payload: HashMap<String, Value>) -> Result<Precedent> {
    let json: serde_json::Value = Payload::from(payload).into();
    serde_json::from_value(json)
        .map_err(|e| backend(format!("a stored precedent cannot be read: {e}")))
}

impl PrecedentIndex for ServerIndex {
    fn backend(&self) -> &'static str {
        "qdrant-server"
    }

    fn dim(&self) -> usize {
        self.config.dim
    }

    fn upsert(&self, points: Vec<IndexedPrecedent>) -> Result<()> {
        check_points(&points, self.config.dim)?;
        if points.is_empty() {
            return Ok(());
        }
        let mut out = Vec::with_capacity(points.len());
        for p in points {
            let payload = Payload::try_from(serde_json::to_value(&p.precedent).map_err(backend)?)
                .map_err(backend)?;
            let vectors = NamedVectors::default()
                .add_vector(DENSE, p.dense)
                .add_vector(
                    SPARSE,
                    qdrant_client::qdrant::Vector::new_sparse(p.sparse.indices, p.sparse.values),
                );
            out.push(PointStruct::new(
                point_id(&p.precedent.case_id),
                vectors,
                payload,
            ));
        }
        self.runtime
            .block_on(
                self.client.upsert_points(
                    UpsertPointsBuilder::new(&self.config.collection, out).wait(true),
                ),
            )
            .map_err(backend)?;
        Ok(())
    }

    fn delete(&self, case_ids: &[String]) -> Result<()> {
        let ids = PointsIdsList {
            ids: case_ids.iter().map(|c| point_id(c)).collect(),
        };
        self.runtime
            .block_on(
                self.client.delete_points(
                    DeletePointsBuilder::new(&self.config.collection)
                        .points(ids)
                        .wait(true),
                ),
            )
            .map_err(backend)?;
        Ok(())
    }

    fn content_hashes(&self, case_ids: &[String]) -> Result<HashMap<String, String>> {
        if case_ids.is_empty() {
            return Ok(HashMap::new());
        }
        let ids: Vec<PointId> = case_ids.iter().map(|c| point_id(c)).collect();
        let response =
            self.runtime
                .block_on(self.client.get_points(
                    GetPointsBuilder::new(&self.config.collection, ids).with_payload(true),
                ))
                .map_err(backend)?;
        Ok(response
            .result
            .into_iter()
            .filter_map(|p| {
                let json: serde_json::Value = Payload::from(p.payload).into();
                Some((
                    json.get("case_id")?.as_str()?.to_string(),
                    json.get("content_hash")?.as_str()?.to_string(),
                ))
            })
            .collect())
    }

    fn get(&self, case_id: &str) -> Result<Option<Precedent>> {
        let response = self
            .runtime
            .block_on(
                self.client.get_points(
                    GetPointsBuilder::new(&self.config.collection, vec![point_id(case_id)])
                        .with_payload(true),
                ),
            )
            .map_err(backend)?;
        response
            .result
            .into_iter()
            .next()
            .map(|p| precedent_of(p.payload))
            .transpose()
    }

    fn search_dense(
        &self,
        vector: &[f32],
        filter: &PrecedentFilter,
        limit: usize,
        exact: bool,
    ) -> Result<Vec<Scored>> {
        check_dense(vector, self.config.dim)?;
        let mut builder = QueryPointsBuilder::new(&self.config.collection)
            .query(VectorInput::new_dense(vector.to_vec()))
            .using(DENSE)
            .limit(limit as u64)
            .with_payload(true)
            .params(
                SearchParamsBuilder::default()
                    .hnsw_ef(self.config.hnsw_ef.max(limit as u64))
                    .exact(exact),
            );
        if let Some(f) = self.filter(filter) {
            builder = builder.filter(f);
        }
        self.query(builder)
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
        let mut builder = QueryPointsBuilder::new(&self.config.collection)
            .query(VectorInput::new_sparse(
                vector.indices.clone(),
                vector.values.clone(),
            ))
            .using(SPARSE)
            .limit(limit as u64)
            .with_payload(true);
        if let Some(f) = self.filter(filter) {
            builder = builder.filter(f);
        }
        self.query(builder)
    }

    fn count(&self, filter: &PrecedentFilter) -> Result<usize> {
        let mut builder = CountPointsBuilder::new(&self.config.collection).exact(true);
        if let Some(f) = self.filter(filter) {
            builder = builder.filter(f);
        }
        let response = self
            .runtime
            .block_on(self.client.count(builder))
            .map_err(backend)?;
        Ok(response.result.map(|r| r.count as usize).unwrap_or(0))
    }

    /// Writes are acknowledged durable by the server (`wait: true`).
    fn flush(&self) -> Result<()> {
        Ok(())
    }

    /// The server builds its graph in the background.
    fn optimize(&self) -> Result<()> {
        Ok(())
    }
}
