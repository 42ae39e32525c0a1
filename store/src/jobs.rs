//! The job queue: at-least-once delivery with leases.
//!
//! A claimed job is leased to one worker until `lease_until`; a worker that dies simply stops
//! renewing, and the job is handed out again once the lease expires. Completion and failure are
//! accepted only from the current lease holder (its `lease_token`), so a slow worker whose lease
//! expired cannot complete a job someone else now holds. Completed jobs are never handed out again.
//! PostgreSQL claims with `FOR UPDATE SKIP LOCKED`, so concurrent workers never wait on each
//! other's rows; SQLite serialises writers anyway.

use std::time::Duration;

use serde::Serialize;
use sqlx::Row;
use uuid::Uuid;

use crate::db::{Db, with_db};
use crate::error::StoreError;
use crate::{Store, now_ms};

/// A job to enqueue.
#[derive(Debug, Clone, Serialize)]
pub struct NewJob {
    pub kind: String,
    pub case_id: Option<String>,
    pub payload: serde_json::Value,
    pub priority: i32,
    pub max_attempts: i32,
}

impl NewJob {
    pub fn new(kind: impl Into<String>, case_id: Option<String>) -> Self {
        NewJob {
            kind: kind.into(),
            case_id,
            payload: serde_json::Value::Null,
            priority: 0,
            max_attempts: 5,
        }
    }
}

/// A job leased to the caller. Pass it back to `complete_job` / `fail_job`.
#[derive(Debug, Clone, PartialEq)]
pub struct ClaimedJob {
    pub id: String,
    pub kind: String,
    pub case_id: Option<String>,
    pub payload: serde_json::Value,
    /// 1 on first delivery.
    pub attempt: i32,
    pub max_attempts: i32,
    lease_token: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum JobState {
    Queued,
    Running,
    Done,
    Dead,
}

impl JobState {
    fn parse(s: &str) -> Result<Self, StoreError> {
        Ok(match s {
            "queued" => JobState::Queued,
            "running" => JobState::Running,
            "done" => JobState::Done,
            "dead" => JobState::Dead,
            other => return Err(StoreError::corrupt("jobs.state", other)),
        })
    }
}

/// A job's state as an admin sees it.
#[derive(Debug, Clone, Serialize)]
pub struct JobInfo {
    pub id: String,
    pub kind: String,
    pub case_id: Option<String>,
    pub state: JobState,
    pub attempts: i32,
    pub max_attempts: i32,
    pub last_error: Option<String>,
}

impl ClaimedJob {
    pub(crate) fn lease_token(&self) -> &str {
        &self.lease_token
    }
}

/// What becomes of a failed job.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailOutcome {
    /// It will be retried after the given delay.
    Retry { after: Duration },
    /// Attempts are spent (or the failure is permanent): dead-lettered for an admin.
    DeadLettered,
}

/// Exponential backoff with jitter: 2 s, 4 s, 8 s … capped at 10 minutes.
fn backoff(attempt: i32) -> Duration {
    let base = 2u64.saturating_pow(attempt.clamp(1, 20) as u32).min(600);
    let jitter_ms = rand::random::<u64>() % 1000;
    Duration::from_secs(base) + Duration::from_millis(jitter_ms)
}

const SELECT_READY_SQLITE: &str = "SELECT id FROM jobs WHERE (state = 'queued' AND run_at <= $3)
     OR (state = 'running' AND lease_until < $3 AND attempts < max_attempts)
     ORDER BY priority DESC, run_at, id LIMIT 1";
const SELECT_READY_POSTGRES: &str = "SELECT id FROM jobs WHERE (state = 'queued' AND run_at <= $3)
     OR (state = 'running' AND lease_until < $3 AND attempts < max_attempts)
     ORDER BY priority DESC, run_at, id LIMIT 1 FOR UPDATE SKIP LOCKED";

impl Store {
    /// Enqueues a job outside any other write (submissions enqueue inside their own transaction).
    pub async fn enqueue_job(&self, job: &NewJob) -> Result<String, StoreError> {
        let id = Uuid::now_v7().to_string();
        let now = now_ms();
        let payload = job.payload.to_string();
        with_db!(&self.db, pool => {
            sqlx::query(INSERT_JOB)
                .bind(&id).bind(&job.kind).bind(&job.case_id).bind(&payload)
                .bind(job.priority).bind(job.max_attempts).bind(now)
                .execute(pool).await?;
        });
        Ok(id)
    }

    /// Leases the most urgent ready job for `lease`, or returns `None` when nothing is ready.
    pub async fn claim_job(&self, lease: Duration) -> Result<Option<ClaimedJob>, StoreError> {
        let now = now_ms();
        let lease_until = now + lease.as_millis() as i64;
        let token = Uuid::new_v4().to_string();
        // Jobs whose lease expired with no attempts left are dead-lettered, not handed out again.
        let reap = "UPDATE jobs SET state = 'dead', lease_token = NULL, lease_until = NULL, updated_at = $1,
             last_error = 'the worker holding it stopped (lease expired) on every attempt'
             WHERE state = 'running' AND lease_until < $1 AND attempts >= max_attempts";
        let select = match self.db {
            Db::Sqlite(_) => SELECT_READY_SQLITE,
            Db::Postgres(_) => SELECT_READY_POSTGRES,
        };
        let claim = format!(
            "UPDATE jobs SET state = 'running', attempts = attempts + 1, lease_token = $1,
                 lease_until = $2, updated_at = $3
             WHERE id = ({select})
             RETURNING id, kind, case_id, payload, attempts, max_attempts"
        );
        let row = with_db!(&self.db, pool => {
            sqlx::query(reap).bind(now).execute(pool).await?;
            sqlx::query(&claim).bind(&token).bind(lease_until).bind(now).fetch_optional(pool).await?
                .map(|row| -> Result<ClaimedJob, StoreError> {
                    let payload: String = row.try_get("payload")?;
                    Ok(ClaimedJob {
                        id: row.try_get("id")?,
                        kind: row.try_get("kind")?,
                        case_id: row.try_get("case_id")?,
                        payload: serde_json::from_str(&payload).map_err(|e| StoreError::corrupt("jobs.payload", e))?,
                        attempt: row.try_get("attempts")?,
                        max_attempts: row.try_get("max_attempts")?,
                        lease_token: token.clone(),
                    })
                })
                .transpose()?
        });
        if let Some(job) = &row {
            tracing::debug!(job_id = %job.id, case_id = job.case_id.as_deref().unwrap_or(""), attempt = job.attempt, "job claimed");
        }
        Ok(row)
    }

    /// Extends the lease of a job the caller still holds.
    pub async fn renew_job_lease(
        &self,
        job: &ClaimedJob,
        lease: Duration,
    ) -> Result<(), StoreError> {
        let lease_until = now_ms() + lease.as_millis() as i64;
        let sql = "UPDATE jobs SET lease_until = $1 WHERE id = $2 AND lease_token = $3 AND state = 'running'";
        let affected = with_db!(&self.db, pool => {
            sqlx::query(sql).bind(lease_until).bind(&job.id).bind(&job.lease_token)
                .execute(pool).await?.rows_affected()
        });
        if affected == 0 {
            Err(StoreError::LeaseLost)
        } else {
            Ok(())
        }
    }

    /// Marks a job done. Fails with `LeaseLost` if the lease expired and another worker took it.
    pub async fn complete_job(&self, job: &ClaimedJob) -> Result<(), StoreError> {
        let affected = with_db!(&self.db, pool => {
            sqlx::query(COMPLETE_JOB).bind(now_ms()).bind(&job.id).bind(&job.lease_token)
                .execute(pool).await?.rows_affected()
        });
        if affected == 0 {
            Err(StoreError::LeaseLost)
        } else {
            Ok(())
        }
    }

    /// Records a failure: retried with backoff while attempts remain, otherwise dead-lettered.
    /// `permanent` dead-letters at once (the input can never succeed, e.g. a malformed payload).
    /// `reason` is shown to admins: keep personal data out of it.
    #[tracing::instrument(skip_all, fields(job_id = %job.id, case_id = job.case_id.as_deref().unwrap_or("")))]
    pub async fn fail_job(
        &self,
        job: &ClaimedJob,
        reason: &str,
        permanent: bool,
    ) -> Result<FailOutcome, StoreError> {
        let outcome = if permanent || job.attempt >= job.max_attempts {
            FailOutcome::DeadLettered
        } else {
            FailOutcome::Retry {
                after: backoff(job.attempt),
            }
        };
        let (state, run_at) = match outcome {
            FailOutcome::Retry { after } => ("queued", now_ms() + after.as_millis() as i64),
            FailOutcome::DeadLettered => ("dead", now_ms()),
        };
        let sql = "UPDATE jobs SET state = $1, run_at = $2, last_error = $3, lease_token = NULL,
                 lease_until = NULL, updated_at = $4
             WHERE id = $5 AND lease_token = $6 AND state = 'running'";
        let affected = with_db!(&self.db, pool => {
            sqlx::query(sql).bind(state).bind(run_at).bind(reason).bind(now_ms())
                .bind(&job.id).bind(&job.lease_token).execute(pool).await?.rows_affected()
        });
        if affected == 0 {
            Err(StoreError::LeaseLost)
        } else {
            Ok(outcome)
        }
    }

    /// Puts a dead-lettered job back in the queue with fresh attempts (an admin action).
    pub async fn requeue_dead_job(&self, job_id: &str) -> Result<(), StoreError> {
        let sql = "UPDATE jobs SET state = 'queued', attempts = 0, run_at = $1, updated_at = $1
             WHERE id = $2 AND state = 'dead'";
        let affected = with_db!(&self.db, pool => {
            sqlx::query(sql).bind(now_ms()).bind(job_id).execute(pool).await?.rows_affected()
        });
        if affected == 0 {
            Err(StoreError::NotFound {
                what: "dead-lettered job",
            })
        } else {
            Ok(())
        }
    }

    pub async fn job(&self, job_id: &str) -> Result<JobInfo, StoreError> {
        let sql = "SELECT id, kind, case_id, state, attempts, max_attempts, last_error FROM jobs WHERE id = $1";
        with_db!(&self.db, pool => {
            let row = sqlx::query(sql).bind(job_id).fetch_optional(pool).await?
                .ok_or(StoreError::NotFound { what: "job" })?;
            job_info(&row)
        })
    }

    /// A case's jobs, oldest first: how its processing went.
    pub async fn jobs_of_case(&self, case_id: &str) -> Result<Vec<JobInfo>, StoreError> {
        let sql = "SELECT id, kind, case_id, state, attempts, max_attempts, last_error FROM jobs
             WHERE case_id = $1 ORDER BY created_at, id";
        with_db!(&self.db, pool => {
            sqlx::query(sql).bind(case_id).fetch_all(pool).await?.iter().map(job_info).collect()
        })
    }

    /// Dead-lettered jobs, oldest first.
    pub async fn dead_jobs(&self, limit: i64) -> Result<Vec<JobInfo>, StoreError> {
        let sql = "SELECT id, kind, case_id, state, attempts, max_attempts, last_error FROM jobs
             WHERE state = 'dead' ORDER BY updated_at, id LIMIT $1";
        with_db!(&self.db, pool => {
            sqlx::query(sql).bind(limit).fetch_all(pool).await?.iter().map(job_info).collect()
        })
    }

    /// Count of jobs per state, for health and metrics.
    pub async fn job_counts(&self) -> Result<Vec<(JobState, i64)>, StoreError> {
        let sql = "SELECT state, COUNT(*) AS n FROM jobs GROUP BY state ORDER BY state";
        with_db!(&self.db, pool => {
            sqlx::query(sql).fetch_all(pool).await?.iter().map(|row| {
                let state: String = row.try_get("state")?;
                Ok((JobState::parse(&state)?, row.try_get("n")?))
            }).collect()
        })
    }
}

pub(crate) const COMPLETE_JOB: &str =
    "UPDATE jobs SET state = 'done', lease_token = NULL, lease_until = NULL, updated_at = $1
     WHERE id = $2 AND lease_token = $3 AND state = 'running'";

/// Completes `job` inside the caller's write transaction, returning `LeaseLost` from the
/// enclosing function (so the transaction rolls back) when the caller no longer holds it: a
/// step's results then commit with its completion or not at all.
macro_rules! complete_job_in {
    ($tx:expr, $job:expr) => {{
        let job: &$crate::ClaimedJob = $job;
        let affected = sqlx::query($crate::jobs::COMPLETE_JOB)
            .bind($crate::now_ms())
            .bind(&job.id)
            .bind(job.lease_token())
            .execute(&mut **$tx)
            .await?
            .rows_affected();
        if affected == 0 {
            return Err($crate::StoreError::LeaseLost);
        }
    }};
}
pub(crate) use complete_job_in;

pub(crate) const INSERT_JOB: &str =
    "INSERT INTO jobs (id, kind, case_id, payload, state, priority, attempts,
         max_attempts, run_at, created_at, updated_at)
     VALUES ($1, $2, $3, $4, 'queued', $5, 0, $6, $7, $7, $7)";

fn job_info<R: Row>(row: &R) -> Result<JobInfo, StoreError>
where
    for<'r> String: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> Option<String>: sqlx::Decode<'r, R::Database>,
    for<'r> i32: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'a> &'a str: sqlx::ColumnIndex<R>,
{
    let state: String = row.try_get("state")?;
    Ok(JobInfo {
        id: row.try_get("id")?,
        kind: row.try_get("kind")?,
        case_id: row.try_get("case_id")?,
        state: JobState::parse(&state)?,
        attempts: row.try_get("attempts")?,
        max_attempts: row.try_get("max_attempts")?,
        last_error: row.try_get("last_error")?,
    })
}
