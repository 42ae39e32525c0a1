//! People's work on a drafted case: the expert who holds its review task edits the proposed
//! decision (every version kept with its diff against the draft), approves it, returns it,
//! asks for documents or escalates it; the deciding official signs the approved version or
//! sends it back.
//!
//! The task's claim is the lock: only the expert holding a live claim changes a case in review,
//! and every change commits with its status move and audit entry, or not at all.

use std::time::Duration;

use atzinums_models::dataset::DecisionJson;
use atzinums_models::{CaseEvent, Role};
use serde::{Deserialize, Serialize};
use sqlx::Row;
use uuid::Uuid;

use crate::audit::append_audit;
use crate::cases::transition;
use crate::db::{WritePool, with_db};
use crate::error::StoreError;
use crate::{Actor, Store, now_ms};

/// The queue complex and escalated cases go to.
pub const COMPLEX_QUEUE: &str = "complex";

/// What an expert proposes: the decision as it would be signed, and what they changed.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ProposalBody {
    pub decision: DecisionJson,
    /// The changes against the draft: `[{"field": …, "draft": …, "expert": …}]`.
    pub diff: serde_json::Value,
}

/// One saved version of an expert's proposal.
#[derive(Debug, Clone, Serialize)]
pub struct Proposal {
    pub seq: i64,
    pub draft_id: Option<String>,
    pub expert: String,
    pub approved: bool,
    pub created_at_ms: i64,
    pub body: ProposalBody,
}

/// A review task as a queue lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct QueueItem {
    pub task_id: String,
    pub case_id: String,
    pub queue: String,
    pub priority: i32,
    pub deadline: String,
    /// The branch that examines it: the applicant's region, when known.
    pub branch: Option<String>,
    /// Who holds it now (a lapsed claim counts as free).
    pub claimed_by: Option<String>,
}

/// What becomes of the task when an expert hands a case on.
#[derive(Clone, Copy)]
enum HandOff {
    /// Back to its queue for anyone.
    Reopen,
    /// Closed: the case waits for something else (documents).
    Close,
    /// Closed, and a new task opens in this queue.
    CloseAndQueue(&'static str),
}

/// Fails with `LeaseLost` unless `$expert` holds a live claim on the case's task; evaluates to
/// the task's id and queue.
macro_rules! held_task_in {
    ($tx:expr, $case_id:expr, $expert:expr, $now:expr) => {{
        let row = sqlx::query(
            "SELECT id, queue FROM review_tasks WHERE case_id = $1 AND state = 'claimed'
             AND claimed_by = $2 AND lease_until >= $3",
        )
        .bind($case_id)
        .bind(&$expert.id)
        .bind($now)
        .fetch_optional(&mut **$tx)
        .await?
        .ok_or(StoreError::LeaseLost)?;
        (
            sqlx::Row::try_get::<String, _>(&row, "id")?,
            sqlx::Row::try_get::<String, _>(&row, "queue")?,
        )
    }};
}

pub(crate) use held_task_in;

/// Opens a review task for the case in `$queue` inside the caller's write transaction.
macro_rules! open_task_in {
    ($tx:expr, $case_id:expr, $queue:expr, $now:expr) => {{
        let row = sqlx::query("SELECT deadline, priority FROM cases WHERE id = $1")
            .bind($case_id)
            .fetch_one(&mut **$tx)
            .await?;
        let deadline: String = sqlx::Row::try_get(&row, "deadline")?;
        let priority: i32 = sqlx::Row::try_get(&row, "priority")?;
        sqlx::query(
            "INSERT INTO review_tasks (id, case_id, queue, priority, deadline, state, created_at)
             VALUES ($1, $2, $3, $4, $5, 'open', $6)",
        )
        .bind(Uuid::now_v7().to_string())
        .bind($case_id)
        .bind($queue)
        .bind(priority)
        .bind(deadline)
        .bind($now)
        .execute(&mut **$tx)
        .await?;
    }};
}

pub(crate) fn require(actor: &Actor, role: Role, action: &'static str) -> Result<(), StoreError> {
    if actor.role == Some(role) {
        Ok(())
    } else {
        Err(StoreError::Forbidden {
            action,
            role: actor.role_name(),
        })
    }
}

pub(crate) fn require_reason(reason: &str) -> Result<(), StoreError> {
    let n = reason.trim().chars().count();
    if (3..=2000).contains(&n) {
        Ok(())
    } else {
        Err(crate::InputError::new("reason", "must be 3 to 2000 characters").into())
    }
}

impl Store {
    /// Tasks of a queue, most urgent first (nearest legal deadline, then priority); with
    /// `branch`, only those of cases of that branch (the applicant's region).
    pub async fn queue_items(
        &self,
        queue: &str,
        branch: Option<&str>,
        limit: i64,
    ) -> Result<Vec<QueueItem>, StoreError> {
        let now = now_ms();
        with_db!(&self.db, pool => {
            let rows = sqlx::query(
                "SELECT t.id, t.case_id, t.queue, t.priority, t.deadline, p.region,
                     CASE WHEN t.state = 'claimed' AND t.lease_until >= $2 THEN t.claimed_by END AS holder
                 FROM review_tasks t JOIN cases c ON c.id = t.case_id
                 JOIN applications a ON a.id = c.application_id JOIN persons p ON p.id = a.person_id
                 WHERE t.queue = $1 AND t.state IN ('open', 'claimed')
                     AND (CAST($4 AS TEXT) IS NULL OR p.region = $4)
                 ORDER BY t.deadline, t.priority DESC, t.created_at LIMIT $3",
            )
            .bind(queue).bind(now).bind(limit).bind(branch)
            .fetch_all(pool).await?;
            rows.iter().map(|r| Ok(QueueItem {
                task_id: r.try_get("id")?,
                case_id: r.try_get("case_id")?,
                queue: r.try_get("queue")?,
                priority: r.try_get("priority")?,
                deadline: r.try_get("deadline")?,
                branch: r.try_get("region")?,
                claimed_by: r.try_get("holder")?,
            })).collect()
        })
    }

    /// The branches (applicants' regions) that have open or claimed review tasks, by name.
    pub async fn review_branches(&self) -> Result<Vec<String>, StoreError> {
        with_db!(&self.db, pool => {
            Ok(sqlx::query_scalar(
                "SELECT DISTINCT p.region FROM review_tasks t JOIN cases c ON c.id = t.case_id
                 JOIN applications a ON a.id = c.application_id JOIN persons p ON p.id = a.person_id
                 WHERE t.state IN ('open', 'claimed') AND p.region IS NOT NULL ORDER BY p.region",
            )
            .fetch_all(pool).await?)
        })
    }

    /// Extends the expert's claim on a case they hold (the workspace does while the case is open).
    pub async fn renew_review_claim(
        &self,
        case_id: &str,
        expert: &Actor,
        lease: Duration,
    ) -> Result<(), StoreError> {
        let now = now_ms();
        let affected = with_db!(&self.db, pool => {
            sqlx::query(
                "UPDATE review_tasks SET lease_until = $1 WHERE case_id = $2 AND state = 'claimed'
                 AND claimed_by = $3 AND lease_until >= $4",
            )
            .bind(now + lease.as_millis() as i64).bind(case_id).bind(&expert.id).bind(now)
            .execute(pool).await?.rows_affected()
        });
        if affected == 0 {
            Err(StoreError::LeaseLost)
        } else {
            Ok(())
        }
    }

    /// Saves an expert's version of the decision; with `approve`, hands it to the official
    /// (the case awaits signature and the task closes). Refused unless the expert holds the
    /// case's task.
    #[tracing::instrument(skip_all, fields(case_id = %case_id, approve))]
    pub async fn save_proposal(
        &self,
        case_id: &str,
        expert: &Actor,
        body: &ProposalBody,
        approve: bool,
    ) -> Result<i64, StoreError> {
        require(expert, Role::Expert, "edit or approve a draft")?;
        let bytes = serde_json::to_vec(body).map_err(|e| StoreError::corrupt("proposal", e))?;
        let blob = self.blobs.put(&bytes).await?;
        let now = now_ms();
        with_db!(&self.db, pool => {
            let mut tx = pool.begin_write().await?;
            let (task_id, _) = held_task_in!(&mut tx, case_id, expert, now);
            let draft_id: Option<String> = sqlx::query_scalar(
                "SELECT id FROM drafts WHERE case_id = $1 AND is_current = 1",
            )
            .bind(case_id).fetch_optional(&mut *tx).await?;
            let seq: i64 = sqlx::query_scalar(
                "SELECT COALESCE(MAX(seq), 0) + 1 FROM proposals WHERE case_id = $1",
            )
            .bind(case_id).fetch_one(&mut *tx).await?;
            sqlx::query(
                "INSERT INTO proposals (id, case_id, seq, draft_id, expert, approved, blob_sha256, created_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            )
            .bind(Uuid::now_v7().to_string()).bind(case_id).bind(seq).bind(&draft_id)
            .bind(&expert.id).bind(i32::from(approve)).bind(&blob.sha256).bind(now)
            .execute(&mut *tx).await?;
            if approve {
                transition!(&mut tx, case_id, CaseEvent::Approve, expert, None::<&str>);
                sqlx::query("UPDATE review_tasks SET state = 'done', closed_at = $1, lease_until = NULL WHERE id = $2")
                    .bind(now).bind(&task_id).execute(&mut *tx).await?;
            }
            let changed = body.diff.as_array().map_or(0, Vec::len);
            append_audit!(&mut tx, expert, if approve { "proposal.approve" } else { "proposal.save" }, case_id,
                serde_json::json!({ "seq": seq, "draft": draft_id, "fields_changed": changed }));
            tx.commit().await?;
            Ok(seq)
        })
    }

    /// Every saved version of the experts' proposals for a case, oldest first.
    pub async fn proposals(&self, case_id: &str) -> Result<Vec<Proposal>, StoreError> {
        let rows: Vec<(i64, Option<String>, String, i32, String, i64)> = with_db!(&self.db, pool => {
            let rows = sqlx::query(
                "SELECT seq, draft_id, expert, approved, blob_sha256, created_at FROM proposals
                 WHERE case_id = $1 ORDER BY seq",
            )
            .bind(case_id).fetch_all(pool).await?;
            rows.iter().map(|r| Ok((r.try_get("seq")?, r.try_get("draft_id")?, r.try_get("expert")?,
                r.try_get("approved")?, r.try_get("blob_sha256")?, r.try_get("created_at")?)))
                .collect::<Result<_, StoreError>>()?
        });
        let mut out = Vec::with_capacity(rows.len());
        for (seq, draft_id, expert, approved, sha, created_at_ms) in rows {
            let bytes = self.blobs.get(&sha).await?;
            let body =
                serde_json::from_slice(&bytes).map_err(|e| StoreError::corrupt("proposal", e))?;
            out.push(Proposal {
                seq,
                draft_id,
                expert,
                approved: approved == 1,
                created_at_ms,
                body,
            });
        }
        Ok(out)
    }

    /// The expert puts the case back in its queue, saying why (another expert may take it).
    pub async fn release_case(
        &self,
        case_id: &str,
        expert: &Actor,
        reason: &str,
    ) -> Result<(), StoreError> {
        self.hand_off(case_id, expert, reason, CaseEvent::Release, HandOff::Reopen)
            .await
    }

    /// The expert re-queues the case as complex, saying why.
    pub async fn escalate_case(
        &self,
        case_id: &str,
        expert: &Actor,
        reason: &str,
    ) -> Result<(), StoreError> {
        let then = HandOff::CloseAndQueue(COMPLEX_QUEUE);
        self.hand_off(case_id, expert, reason, CaseEvent::Escalate, then)
            .await
    }

    /// The expert asks the applicant for more documents; the case waits for them (an upload
    /// starts intake again).
    pub async fn request_documents(
        &self,
        case_id: &str,
        expert: &Actor,
        reason: &str,
    ) -> Result<(), StoreError> {
        let event = CaseEvent::RequestDocuments;
        self.hand_off(case_id, expert, reason, event, HandOff::Close)
            .await
    }

    /// Moves a case the expert holds on, with a reason, and settles its task — together.
    async fn hand_off(
        &self,
        case_id: &str,
        expert: &Actor,
        reason: &str,
        event: CaseEvent,
        then: HandOff,
    ) -> Result<(), StoreError> {
        require(expert, Role::Expert, "move a case in review")?;
        require_reason(reason)?;
        let now = now_ms();
        with_db!(&self.db, pool => {
            let mut tx = pool.begin_write().await?;
            let (task_id, _) = held_task_in!(&mut tx, case_id, expert, now);
            transition!(&mut tx, case_id, event, expert, Some(reason));
            match then {
                HandOff::Reopen => sqlx::query(
                    "UPDATE review_tasks SET state = 'open', claimed_by = NULL, lease_until = NULL WHERE id = $1",
                )
                .bind(&task_id).execute(&mut *tx).await?,
                HandOff::Close | HandOff::CloseAndQueue(_) => sqlx::query(
                    "UPDATE review_tasks SET state = 'cancelled', closed_at = $1, lease_until = NULL WHERE id = $2",
                )
                .bind(now).bind(&task_id).execute(&mut *tx).await?,
            };
            if let HandOff::CloseAndQueue(queue) = then {
                open_task_in!(&mut tx, case_id, queue, now);
            }
            tx.commit().await?;
            Ok(())
        })
    }

    /// Cases awaiting an official's signature, nearest deadline first.
    pub async fn signature_queue(&self, limit: i64) -> Result<Vec<(String, String)>, StoreError> {
        with_db!(&self.db, pool => {
            let rows = sqlx::query(
                "SELECT id, deadline FROM cases WHERE status = 'awaiting_signature'
                 ORDER BY deadline, priority DESC, id LIMIT $1",
            )
            .bind(limit).fetch_all(pool).await?;
            rows.iter().map(|r| Ok((r.try_get("id")?, r.try_get("deadline")?))).collect()
        })
    }

    /// The official signs what the expert approved: exactly that version, unchanged.
    pub async fn sign_approved(
        &self,
        case_id: &str,
        official: &Actor,
    ) -> Result<DecisionJson, StoreError> {
        let approved = self
            .proposals(case_id)
            .await?
            .into_iter()
            .rev()
            .find(|p| p.approved)
            .ok_or(StoreError::NotFound {
                what: "approved proposal",
            })?;
        let mut decision = approved.body.decision;
        decision.decided_at = chrono::Utc::now().date_naive();
        self.sign_decision(case_id, &decision, official).await?;
        Ok(decision)
    }

    /// The official returns the case to its expert queue, saying why.
    pub async fn send_back(
        &self,
        case_id: &str,
        official: &Actor,
        reason: &str,
    ) -> Result<(), StoreError> {
        require(official, Role::Official, "send a case back")?;
        require_reason(reason)?;
        let now = now_ms();
        with_db!(&self.db, pool => {
            let mut tx = pool.begin_write().await?;
            let queue: Option<String> = sqlx::query_scalar(
                "SELECT queue FROM review_tasks WHERE case_id = $1 ORDER BY created_at DESC LIMIT 1",
            )
            .bind(case_id).fetch_optional(&mut *tx).await?;
            transition!(&mut tx, case_id, CaseEvent::SendBack, official, Some(reason));
            open_task_in!(&mut tx, case_id, queue.as_deref().unwrap_or(COMPLEX_QUEUE), now);
            tx.commit().await?;
            Ok(())
        })
    }
}
