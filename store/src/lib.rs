//! `atzinums-store` owns the durable state of Atzinums: persons (personal codes sealed, looked up
//! by keyed hash), applications and their documents, cases with their status history, decisions,
//! review tasks, the job queue and the hash-chained audit log — on SQLite (the embedded default)
//! or PostgreSQL, through one API — and the encrypted, content-addressed blob store for document
//! bytes (local folder or S3-compatible storage).
//!
//! It knows nothing of HTTP or models; callers pass typed domain values from `atzinums-models`.

mod access;
mod audit;
mod blob;
mod cases;
pub mod crypto;
mod db;
mod deadline;
mod error;
mod examination;
mod jobs;
mod person_data;
mod quality;
mod review;
mod second_reading;
mod status;
mod submission;
pub mod testing;

use std::sync::Arc;

use atzinums_models::Role;
use serde::{Deserialize, Serialize};

pub use access::{ApiToken, Session};
pub use audit::{AuditEntry, AuditVerdict};
pub use blob::{BlobLocation, BlobRef};
pub use cases::{CaseRecord, DocumentRecord, ReviewTask, StatusChange};
pub use crypto::MasterKey;
pub use db::Backend;
pub use error::{InputError, StoreError};
pub use examination::{ApplicantFacts, DraftRow, EXAMINE_JOB, NewDraft, PRECEDENT_JOB, StepEffect};
pub use jobs::{ClaimedJob, FailOutcome, JobInfo, JobState, NewJob};
pub use person_data::{DataAccess, PersonProfile};
pub use quality::{ExportRow, SignedComparison};
pub use review::{COMPLEX_QUEUE, Proposal, ProposalBody, QueueItem};
pub use second_reading::{MOST_SAMPLED, OpenSecondReading, SecondReadingPair, SecondReadings};
pub use status::{Certificate, DisabilityStatus, StatusChangeEvent};
pub use submission::{
    ApplicationForm, DocumentForm, INTAKE_JOB, NewApplication, NewDocument, NewPerson, Submitted,
    human_size,
};

/// Default upper bound of one document's size.
pub const DEFAULT_MAX_DOCUMENT_BYTES: u64 = 50 * 1024 * 1024;

/// How to open a store.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StoreConfig {
    /// `sqlite://PATH` or `postgres://USER@HOST/DB`.
    pub database_url: String,
    pub blobs: BlobLocation,
    pub max_document_bytes: u64,
}

/// Who did something: a person in a role, or the system itself (workers).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    /// `None` for the system.
    pub role: Option<Role>,
    /// A user id or worker name; never a personal code.
    pub id: String,
}

impl Actor {
    pub fn person(role: Role, id: impl Into<String>) -> Self {
        Actor {
            role: Some(role),
            id: id.into(),
        }
    }

    pub fn system(name: impl Into<String>) -> Self {
        Actor {
            role: None,
            id: name.into(),
        }
    }

    pub(crate) fn role_name(&self) -> &'static str {
        self.role.map_or("system", |r| r.as_str())
    }

    pub fn is_person(&self) -> bool {
        self.role.is_some()
    }
}

/// The store: one handle, cheap to clone, shared by all tasks of a process.
#[derive(Clone)]
pub struct Store {
    db: db::Db,
    audit_writer: audit::AuditWriter,
    blobs: Arc<blob::BlobStore>,
    keys: Arc<crypto::Keys>,
    max_document_bytes: u64,
}

impl Store {
    /// Opens the database (creating and migrating it as needed) and the blob store.
    pub async fn open(config: &StoreConfig, master_key: &MasterKey) -> Result<Store, StoreError> {
        let keys = Arc::new(crypto::Keys::derive(master_key));
        let db = db::Db::connect(&config.database_url).await?;
        let blobs = Arc::new(blob::BlobStore::open(&config.blobs, keys.clone())?);
        Ok(Store {
            audit_writer: audit::AuditWriter::start(db.clone()),
            db,
            blobs,
            keys,
            max_document_bytes: config.max_document_bytes,
        })
    }

    pub fn backend(&self) -> Backend {
        self.db.backend()
    }

    /// Closes the connection pool, waiting for connections in use.
    pub async fn close(&self) {
        self.db.close().await
    }

    /// The bytes of a stored document, checked against their hash.
    pub async fn document_bytes(&self, sha256: &str) -> Result<bytes::Bytes, StoreError> {
        self.blobs.get(sha256).await
    }
}

pub(crate) fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}
