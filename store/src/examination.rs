//! The examination pipeline's durable steps: the case file an intake job assembled, the drafts
//! an examination produced, and the review task that hands a draft to people.
//!
//! Each step's results commit in ONE transaction with the completion of the job that computed
//! them, and only while that job's lease is still held. A worker killed before the commit leaves
//! nothing behind (the job comes back after its lease and is computed again); a worker whose
//! lease lapsed cannot commit a second copy. Together with at-least-once delivery that makes
//! every step's effect happen exactly once.

use atzinums_models::{CaseEvent, CaseStatus, Outcome, RouteKind};
use serde::Serialize;
use sqlx::Row;
use uuid::Uuid;

use crate::audit::append_audit;
use crate::cases::{parse, transition};
use crate::db::{WritePool, with_db};
use crate::error::StoreError;
use crate::jobs::{INSERT_JOB, complete_job_in};
use crate::{Actor, BlobRef, ClaimedJob, Store, now_ms};

/// The status of a case, read inside the caller's transaction.
macro_rules! case_status_in {
    ($tx:expr, $case_id:expr) => {{
        let status: String = sqlx::query_scalar("SELECT status FROM cases WHERE id = $1")
            .bind($case_id)
            .fetch_optional(&mut **$tx)
            .await?
            .ok_or(StoreError::NotFound { what: "case" })?;
        parse::<CaseStatus>("cases.status", &status)?
    }};
}

/// The job that examines a case once its case file is assembled.
pub const EXAMINE_JOB: &str = "examine";
/// The job that adds a signed decision to the precedents.
pub const PRECEDENT_JOB: &str = "precedent";

/// A draft to record as a case's current one.
#[derive(Debug, Clone)]
pub struct NewDraft {
    /// The pipeline's draft id (a hash of its provenance).
    pub draft_id: String,
    pub route: RouteKind,
    pub outcome: Outcome,
    /// The review queue: the route's name.
    pub queue: String,
    /// Review priority (higher first).
    pub priority: i32,
    /// The draft record, stored with [`Store::put_private`].
    pub record: BlobRef,
}

/// A stored draft's row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DraftRow {
    pub draft_id: String,
    pub case_id: String,
    pub is_current: bool,
    pub route: RouteKind,
    pub outcome: Outcome,
    pub record_sha256: String,
    pub created_at_ms: i64,
}

/// The applicant's facts the rules and retrieval read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApplicantFacts {
    pub birth_date: Option<chrono::NaiveDate>,
    pub sex: Option<atzinums_models::Sex>,
    pub region: Option<String>,
}

/// What finishing a step did to the case.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StepEffect {
    /// The results were recorded and the case moved on.
    Applied,
    /// The case was no longer waiting for this step (withdrawn, or already past it): the job is
    /// done and nothing else changed.
    Skipped(CaseStatus),
}

impl Store {
    /// Stores bytes that hold personal or health data (a case file, a draft record): encrypted,
    /// content-addressed, like documents.
    pub async fn put_private(&self, bytes: &[u8]) -> Result<BlobRef, StoreError> {
        self.blobs.put(bytes).await
    }

    /// Finishes an intake job: records the assembled case file, moves the case to processing
    /// (from `submitted`, or from `awaiting_documents` when more arrived) and queues its
    /// examination — together with the job's completion, or not at all.
    #[tracing::instrument(skip_all, fields(job_id = %job.id, case_id = %case_id))]
    pub async fn finish_intake(
        &self,
        job: &ClaimedJob,
        case_id: &str,
        case_file: &BlobRef,
        documents: usize,
        worker: &Actor,
    ) -> Result<StepEffect, StoreError> {
        let now = now_ms();
        with_db!(&self.db, pool => {
            let mut tx = pool.begin_write().await?;
            complete_job_in!(&mut tx, job);
            let status = case_status_in!(&mut tx, case_id);
            let event = match status {
                CaseStatus::Submitted => Some(CaseEvent::StartProcessing),
                CaseStatus::AwaitingDocuments => Some(CaseEvent::DocumentsReceived),
                CaseStatus::Processing => None,
                other => {
                    tx.commit().await?;
                    return Ok(StepEffect::Skipped(other));
                }
            };
            sqlx::query(
                "INSERT INTO case_files (case_id, blob_sha256, documents, created_at) VALUES ($1, $2, $3, $4)
                 ON CONFLICT (case_id) DO UPDATE SET blob_sha256 = $2, documents = $3, created_at = $4",
            )
            .bind(case_id).bind(&case_file.sha256).bind(documents as i64).bind(now)
            .execute(&mut *tx).await?;
            if let Some(event) = event {
                transition!(&mut tx, case_id, event, worker, None::<&str>);
            }
            sqlx::query(INSERT_JOB)
                .bind(Uuid::now_v7().to_string()).bind(EXAMINE_JOB).bind(case_id)
                .bind("null").bind(0).bind(5).bind(now)
                .execute(&mut *tx).await?;
            tx.commit().await?;
            Ok(StepEffect::Applied)
        })
    }

    /// The sha256 of a case's assembled case file (its bytes via [`Store::document_bytes`]).
    pub async fn case_file_sha256(&self, case_id: &str) -> Result<Option<String>, StoreError> {
        with_db!(&self.db, pool => {
            Ok(sqlx::query_scalar("SELECT blob_sha256 FROM case_files WHERE case_id = $1")
                .bind(case_id).fetch_optional(pool).await?)
        })
    }

    /// Finishes an examine job: the draft becomes the case's only current one, the case is
    /// ready for review and a review task opens in the draft's queue — together with the job's
    /// completion, or not at all. Only a case being processed gets a draft this way.
    #[tracing::instrument(skip_all, fields(job_id = %job.id, case_id = %case_id))]
    pub async fn finish_examination(
        &self,
        job: &ClaimedJob,
        case_id: &str,
        draft: &NewDraft,
        worker: &Actor,
    ) -> Result<StepEffect, StoreError> {
        let now = now_ms();
        with_db!(&self.db, pool => {
            let mut tx = pool.begin_write().await?;
            complete_job_in!(&mut tx, job);
            let status = case_status_in!(&mut tx, case_id);
            if status != CaseStatus::Processing {
                tx.commit().await?;
                return Ok(StepEffect::Skipped(status));
            }
            sqlx::query("UPDATE drafts SET is_current = 0 WHERE case_id = $1 AND is_current = 1")
                .bind(case_id).execute(&mut *tx).await?;
            sqlx::query(
                "INSERT INTO drafts (id, case_id, is_current, route, outcome, blob_sha256, created_at)
                 VALUES ($1, $2, 1, $3, $4, $5, $6)
                 ON CONFLICT (id) DO UPDATE SET is_current = 1",
            )
            .bind(&draft.draft_id).bind(case_id).bind(draft.route.as_str())
            .bind(draft.outcome.as_str()).bind(&draft.record.sha256).bind(now)
            .execute(&mut *tx).await?;
            transition!(&mut tx, case_id, CaseEvent::DraftReady, worker, None::<&str>);
            let deadline: String = sqlx::query_scalar("SELECT deadline FROM cases WHERE id = $1")
                .bind(case_id).fetch_one(&mut *tx).await?;
            sqlx::query(
                "INSERT INTO review_tasks (id, case_id, queue, priority, deadline, state, created_at)
                 VALUES ($1, $2, $3, $4, $5, 'open', $6)",
            )
            .bind(Uuid::now_v7().to_string()).bind(case_id).bind(&draft.queue)
            .bind(draft.priority).bind(&deadline).bind(now)
            .execute(&mut *tx).await?;
            append_audit!(&mut tx, worker, "draft.ready", case_id, serde_json::json!({
                "draft": draft.draft_id, "route": draft.route.as_str(), "queue": draft.queue,
            }));
            tx.commit().await?;
            Ok(StepEffect::Applied)
        })
    }

    /// A case's drafts, oldest first.
    pub async fn drafts_of_case(&self, case_id: &str) -> Result<Vec<DraftRow>, StoreError> {
        let sql = format!("{SELECT_DRAFT} WHERE case_id = $1 ORDER BY created_at, id");
        with_db!(&self.db, pool => {
            sqlx::query(&sql).bind(case_id).fetch_all(pool).await?.iter().map(draft_row).collect()
        })
    }

    /// A draft by its id.
    pub async fn draft(&self, draft_id: &str) -> Result<Option<DraftRow>, StoreError> {
        let sql = format!("{SELECT_DRAFT} WHERE id = $1");
        with_db!(&self.db, pool => {
            sqlx::query(&sql).bind(draft_id).fetch_optional(pool).await?.as_ref().map(draft_row).transpose()
        })
    }

    /// The case's current draft, if it has one.
    pub async fn current_draft(&self, case_id: &str) -> Result<Option<DraftRow>, StoreError> {
        Ok(self
            .drafts_of_case(case_id)
            .await?
            .into_iter()
            .find(|d| d.is_current))
    }

    /// The draft a signed decision was made from.
    pub async fn signed_draft_id(&self, case_id: &str) -> Result<Option<String>, StoreError> {
        with_db!(&self.db, pool => {
            Ok(sqlx::query_scalar::<_, Option<String>>("SELECT draft_id FROM decisions WHERE case_id = $1")
                .bind(case_id).fetch_optional(pool).await?.flatten())
        })
    }

    /// Review tasks of a case that are open or claimed (at most one by construction).
    pub async fn live_review_tasks(
        &self,
        case_id: &str,
    ) -> Result<Vec<crate::ReviewTask>, StoreError> {
        with_db!(&self.db, pool => {
            let rows = sqlx::query(
                "SELECT id, case_id, queue, priority, deadline, claimed_by FROM review_tasks
                 WHERE case_id = $1 AND state IN ('open', 'claimed') ORDER BY created_at",
            )
            .bind(case_id).fetch_all(pool).await?;
            rows.iter().map(|r| Ok(crate::ReviewTask {
                id: r.try_get("id")?,
                case_id: r.try_get("case_id")?,
                queue: r.try_get("queue")?,
                priority: r.try_get("priority")?,
                deadline: r.try_get("deadline")?,
                claimed_by: r.try_get("claimed_by")?,
            })).collect()
        })
    }

    /// What the pipeline needs to know of a case's applicant, read by the system (no personal
    /// code): birth date, sex, region.
    pub async fn applicant_facts(&self, case_id: &str) -> Result<ApplicantFacts, StoreError> {
        with_db!(&self.db, pool => {
            let row = sqlx::query(
                "SELECT p.birth_date, p.sex, p.region FROM cases c
                 JOIN applications a ON a.id = c.application_id
                 JOIN persons p ON p.id = a.person_id WHERE c.id = $1",
            )
            .bind(case_id).fetch_optional(pool).await?
            .ok_or(StoreError::NotFound { what: "case" })?;
            let birth_date: Option<String> = row.try_get("birth_date")?;
            let sex: Option<String> = row.try_get("sex")?;
            Ok(ApplicantFacts {
                birth_date: birth_date.map(|d| parse("persons.birth_date", &d)).transpose()?,
                sex: sex.map(|s| parse("persons.sex", &s)).transpose()?,
                region: row.try_get("region")?,
            })
        })
    }
}

const SELECT_DRAFT: &str =
    "SELECT id, case_id, is_current, route, outcome, blob_sha256, created_at FROM drafts";

fn draft_row<R: Row>(row: &R) -> Result<DraftRow, StoreError>
where
    for<'r> String: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> i32: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> i64: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'a> &'a str: sqlx::ColumnIndex<R>,
{
    let is_current: i32 = row.try_get("is_current")?;
    Ok(DraftRow {
        draft_id: row.try_get("id")?,
        case_id: row.try_get("case_id")?,
        is_current: is_current == 1,
        route: parse("drafts.route", &row.try_get::<String, _>("route")?)?,
        outcome: parse("drafts.outcome", &row.try_get::<String, _>("outcome")?)?,
        record_sha256: row.try_get("blob_sha256")?,
        created_at_ms: row.try_get("created_at")?,
    })
}
