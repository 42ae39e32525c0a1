//! Cases: reading them (audited for persons), moving them through the status state machine,
//! decisions, and the review tasks experts claim.

use std::time::Duration;

use atzinums_models::dataset::DecisionJson;
use atzinums_models::{
    ApplicationKind, CaseEvent, CaseStatus, Channel, DocumentKind, MediaType, OpinionKind, Role,
};
use serde::Serialize;
use sqlx::Row;
use uuid::Uuid;

use crate::audit::append_audit;
use crate::db::{WritePool, with_db};
use crate::error::StoreError;
use crate::{Actor, Store, now_ms};

/// Applies a status event inside the caller's write transaction; evaluates to the new status.
/// The version check makes a concurrent change fail with `Conflict` instead of being overwritten.
macro_rules! transition {
    ($tx:expr, $case_id:expr, $event:expr, $actor:expr, $reason:expr) => {{
        let case_id: &str = $case_id;
        let event: atzinums_models::CaseEvent = $event;
        let actor: &$crate::Actor = $actor;
        let reason: Option<&str> = $reason;
        let row = sqlx::query("SELECT status, version FROM cases WHERE id = $1")
            .bind(case_id)
            .fetch_optional(&mut **$tx)
            .await?
            .ok_or($crate::StoreError::NotFound { what: "case" })?;
        let current: atzinums_models::CaseStatus = sqlx::Row::try_get::<String, _>(&row, "status")?
            .parse()
            .map_err(|e| $crate::StoreError::corrupt("cases.status", e))?;
        let version: i64 = sqlx::Row::try_get(&row, "version")?;
        let next = current.apply(event)?;
        let now = $crate::now_ms();
        let updated = sqlx::query("UPDATE cases SET status = $1, version = version + 1, updated_at = $2 WHERE id = $3 AND version = $4")
            .bind(next.as_str()).bind(now).bind(case_id).bind(version)
            .execute(&mut **$tx)
            .await?
            .rows_affected();
        if updated == 0 {
            return Err($crate::StoreError::Conflict);
        }
        sqlx::query(
            "INSERT INTO case_status_history (case_id, seq, from_status, to_status, event, actor_role, actor, reason, at)
             SELECT $1, COALESCE(MAX(seq), 0) + 1, $2, $3, $4, $5, $6, $7, $8 FROM case_status_history WHERE case_id = $1",
        )
        .bind(case_id).bind(current.as_str()).bind(next.as_str()).bind(event.as_str())
        .bind(actor.role_name()).bind(&actor.id).bind(reason).bind(now)
        .execute(&mut **$tx)
        .await?;
        $crate::audit::append_audit!($tx, actor, "case.transition", case_id,
            serde_json::json!({ "from": current.as_str(), "to": next.as_str(), "event": event.as_str() }));
        next
    }};
}
pub(crate) use transition;

/// A document's metadata; its bytes come from [`Store::document_bytes`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DocumentRecord {
    pub id: String,
    pub position: i32,
    pub file_name: String,
    pub kind: DocumentKind,
    pub media_type: MediaType,
    pub issued_at: Option<String>,
    pub size_bytes: i64,
    pub sha256: String,
}

/// A case with its application, as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CaseRecord {
    pub case_id: String,
    pub application_id: String,
    pub kind: ApplicationKind,
    pub channel: Channel,
    pub status: CaseStatus,
    pub priority: i32,
    pub deadline: String,
    pub submitted_at_ms: i64,
    pub requested_opinions: Vec<OpinionKind>,
    pub previous_case_id: Option<String>,
    pub documents: Vec<DocumentRecord>,
}

/// One step of a case's status history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StatusChange {
    pub seq: i64,
    pub from: Option<CaseStatus>,
    pub to: CaseStatus,
    pub event: Option<CaseEvent>,
    pub actor_role: String,
    pub actor: String,
    pub reason: Option<String>,
    pub at_ms: i64,
}

/// A unit of expert work on a case.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReviewTask {
    pub id: String,
    pub case_id: String,
    pub queue: String,
    pub priority: i32,
    pub deadline: String,
    pub claimed_by: Option<String>,
}

pub(crate) fn parse<T: std::str::FromStr>(field: &'static str, value: &str) -> Result<T, StoreError>
where
    T::Err: std::fmt::Display,
{
    value
        .parse()
        .map_err(|e: T::Err| StoreError::corrupt(field, e))
}

impl Store {
    /// Reads a case. Every read by a person is written to the audit log first.
    #[tracing::instrument(skip_all, fields(case_id = %case_id))]
    pub async fn read_case(&self, case_id: &str, reader: &Actor) -> Result<CaseRecord, StoreError> {
        let record = self.load_case(case_id).await?;
        if reader.is_person() {
            self.audit(reader, "case.read", case_id, serde_json::json!({}))
                .await?;
        }
        Ok(record)
    }

    async fn load_case(&self, case_id: &str) -> Result<CaseRecord, StoreError> {
        with_db!(&self.db, pool => {
            let row = sqlx::query(
                "SELECT c.id, c.application_id, c.status, c.priority, c.deadline, a.kind, a.channel,
                     a.submitted_at, a.requested_opinions, a.previous_case_id
                 FROM cases c JOIN applications a ON a.id = c.application_id WHERE c.id = $1",
            )
            .bind(case_id)
            .fetch_optional(pool)
            .await?
            .ok_or(StoreError::NotFound { what: "case" })?;
            let application_id: String = row.try_get("application_id")?;
            let opinions: String = row.try_get("requested_opinions")?;
            let opinions: Vec<String> =
                serde_json::from_str(&opinions).map_err(|e| StoreError::corrupt("requested_opinions", e))?;
            let docs = sqlx::query(
                "SELECT id, position, file_name, kind, media_type, issued_at, size_bytes, sha256
                 FROM documents WHERE application_id = $1 ORDER BY position",
            )
            .bind(&application_id)
            .fetch_all(pool)
            .await?;
            let documents = docs
                .iter()
                .map(|d| {
                    Ok(DocumentRecord {
                        id: d.try_get("id")?,
                        position: d.try_get("position")?,
                        file_name: d.try_get("file_name")?,
                        kind: parse("documents.kind", &d.try_get::<String, _>("kind")?)?,
                        media_type: parse("documents.media_type", &d.try_get::<String, _>("media_type")?)?,
                        issued_at: d.try_get("issued_at")?,
                        size_bytes: d.try_get("size_bytes")?,
                        sha256: d.try_get("sha256")?,
                    })
                })
                .collect::<Result<Vec<_>, StoreError>>()?;
            Ok(CaseRecord {
                case_id: row.try_get("id")?,
                application_id,
                kind: parse("applications.kind", &row.try_get::<String, _>("kind")?)?,
                channel: parse("applications.channel", &row.try_get::<String, _>("channel")?)?,
                status: parse("cases.status", &row.try_get::<String, _>("status")?)?,
                priority: row.try_get("priority")?,
                deadline: row.try_get("deadline")?,
                submitted_at_ms: row.try_get("submitted_at")?,
                requested_opinions: opinions.iter().map(|o| parse("requested_opinions", o)).collect::<Result<_, _>>()?,
                previous_case_id: row.try_get("previous_case_id")?,
                documents,
            })
        })
    }

    /// Case ids of a person, found by the keyed hash of their personal code, newest first.
    pub async fn cases_of_person(
        &self,
        person_code: &atzinums_models::PersonCode,
    ) -> Result<Vec<String>, StoreError> {
        let lookup = self.keys.person_lookup(person_code.as_str());
        with_db!(&self.db, pool => {
            Ok(sqlx::query_scalar(
                "SELECT c.id FROM cases c JOIN applications a ON a.id = c.application_id
                 JOIN persons p ON p.id = a.person_id WHERE p.code_lookup = $1
                 ORDER BY a.submitted_at DESC, c.id DESC",
            )
            .bind(&lookup)
            .fetch_all(pool)
            .await?)
        })
    }

    /// The personal code of a case's applicant, decrypted. Audited: it is personal data.
    pub async fn person_code_of_case(
        &self,
        case_id: &str,
        reader: &Actor,
    ) -> Result<atzinums_models::PersonCode, StoreError> {
        let sealed: Vec<u8> = with_db!(&self.db, pool => {
            sqlx::query_scalar(
                "SELECT p.code_sealed FROM cases c JOIN applications a ON a.id = c.application_id
                 JOIN persons p ON p.id = a.person_id WHERE c.id = $1",
            )
            .bind(case_id)
            .fetch_optional(pool)
            .await?
            .ok_or(StoreError::NotFound { what: "case" })?
        });
        self.audit(
            reader,
            "case.read_person_code",
            case_id,
            serde_json::json!({}),
        )
        .await?;
        let plain = self.keys.open_personal(&sealed, "person_code")?;
        let text = String::from_utf8(plain)
            .map_err(|_| StoreError::corrupt("persons.code_sealed", "not UTF-8"))?;
        text.parse()
            .map_err(|_| StoreError::corrupt("persons.code_sealed", "not a personal code"))
    }

    /// Applies `event` to the case's status through the state machine; illegal moves are refused
    /// and nothing is written. Records history and an audit entry in the same transaction.
    #[tracing::instrument(skip_all, fields(case_id = %case_id, event = %event))]
    pub async fn transition_case(
        &self,
        case_id: &str,
        event: CaseEvent,
        actor: &Actor,
        reason: Option<&str>,
    ) -> Result<CaseStatus, StoreError> {
        with_db!(&self.db, pool => {
            let mut tx = pool.begin_write().await?;
            let next = transition!(&mut tx, case_id, event, actor, reason);
            tx.commit().await?;
            Ok(next)
        })
    }

    pub async fn status_history(&self, case_id: &str) -> Result<Vec<StatusChange>, StoreError> {
        with_db!(&self.db, pool => {
            let rows = sqlx::query(
                "SELECT seq, from_status, to_status, event, actor_role, actor, reason, at
                 FROM case_status_history WHERE case_id = $1 ORDER BY seq",
            )
            .bind(case_id)
            .fetch_all(pool)
            .await?;
            rows.iter()
                .map(|r| {
                    let from: Option<String> = r.try_get("from_status")?;
                    let event: Option<String> = r.try_get("event")?;
                    Ok(StatusChange {
                        seq: r.try_get("seq")?,
                        from: from.map(|s| parse("from_status", &s)).transpose()?,
                        to: parse("to_status", &r.try_get::<String, _>("to_status")?)?,
                        event: event.map(|s| parse("event", &s)).transpose()?,
                        actor_role: r.try_get("actor_role")?,
                        actor: r.try_get("actor")?,
                        reason: r.try_get("reason")?,
                        at_ms: r.try_get("at")?,
                    })
                })
                .collect()
        })
    }

    /// Signs a decision: only a named deciding official can, and only for a case awaiting
    /// signature. The decision row (with the current draft's id), the status change and the job
    /// that makes it a precedent commit together.
    #[tracing::instrument(skip_all, fields(case_id = %case_id))]
    pub async fn sign_decision(
        &self,
        case_id: &str,
        decision: &DecisionJson,
        official: &Actor,
    ) -> Result<(), StoreError> {
        if official.role != Some(Role::Official) {
            return Err(StoreError::Forbidden {
                action: "sign a decision",
                role: official.role_name(),
            });
        }
        let body =
            serde_json::to_string(decision).map_err(|e| StoreError::corrupt("decision", e))?;
        with_db!(&self.db, pool => {
            let mut tx = pool.begin_write().await?;
            transition!(&mut tx, case_id, CaseEvent::Sign, official, None::<&str>);
            // Kept beside the draft it was made from, for quality.
            let draft_id: Option<String> = sqlx::query_scalar(
                "SELECT id FROM drafts WHERE case_id = $1 AND is_current = 1",
            )
            .bind(case_id)
            .fetch_optional(&mut *tx)
            .await?;
            let now = now_ms();
            sqlx::query(
                "INSERT INTO decisions (id, case_id, outcome, decided_at, signed_by, body, created_at, draft_id)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            )
            .bind(Uuid::now_v7().to_string())
            .bind(case_id)
            .bind(decision.outcome.as_str())
            .bind(decision.decided_at.to_string())
            .bind(&official.id)
            .bind(&body)
            .bind(now)
            .bind(&draft_id)
            .execute(&mut *tx)
            .await?;
            // The signed decision becomes a precedent (a worker embeds and indexes it).
            sqlx::query(crate::jobs::INSERT_JOB)
                .bind(Uuid::now_v7().to_string()).bind(crate::examination::PRECEDENT_JOB)
                .bind(case_id).bind("null").bind(0).bind(5).bind(now)
                .execute(&mut *tx)
                .await?;
            append_audit!(&mut tx, official, "decision.sign", case_id,
                serde_json::json!({ "outcome": decision.outcome.as_str() }));
            crate::status::record_status_change_in!(&mut tx, case_id, decision.outcome, now);
            tx.commit().await?;
            Ok(())
        })
    }

    pub async fn decision(&self, case_id: &str) -> Result<Option<DecisionJson>, StoreError> {
        let body: Option<String> = with_db!(&self.db, pool => {
            sqlx::query_scalar("SELECT body FROM decisions WHERE case_id = $1").bind(case_id).fetch_optional(pool).await?
        });
        body.map(|b| serde_json::from_str(&b).map_err(|e| StoreError::corrupt("decisions.body", e)))
            .transpose()
    }

    /// Opens a review task for a case in `queue`. A case has at most one live task.
    pub async fn open_review_task(
        &self,
        case_id: &str,
        queue: &str,
        priority: i32,
    ) -> Result<ReviewTask, StoreError> {
        let id = Uuid::now_v7().to_string();
        with_db!(&self.db, pool => {
            let deadline: String = sqlx::query_scalar("SELECT deadline FROM cases WHERE id = $1")
                .bind(case_id)
                .fetch_optional(pool)
                .await?
                .ok_or(StoreError::NotFound { what: "case" })?;
            sqlx::query(
                "INSERT INTO review_tasks (id, case_id, queue, priority, deadline, state, created_at)
                 VALUES ($1, $2, $3, $4, $5, 'open', $6)",
            )
            .bind(&id).bind(case_id).bind(queue).bind(priority).bind(&deadline).bind(now_ms())
            .execute(pool)
            .await?;
            Ok(ReviewTask { id, case_id: case_id.to_string(), queue: queue.to_string(), priority, deadline, claimed_by: None })
        })
    }

    /// Claims the most urgent task of `queue` (nearest legal deadline, then priority) for `lease`
    /// and puts its case in review; with `branch`, only among cases of that branch (the
    /// applicant's region). Tasks whose claim lapsed are claimable again.
    pub async fn claim_review_task(
        &self,
        queue: &str,
        branch: Option<&str>,
        expert: &Actor,
        lease: Duration,
    ) -> Result<Option<ReviewTask>, StoreError> {
        let now = now_ms();
        with_db!(&self.db, pool => {
            let mut tx = pool.begin_write().await?;
            let lock = if self.backend() == crate::Backend::Postgres { " FOR UPDATE SKIP LOCKED" } else { "" };
            let sql = format!(
                "UPDATE review_tasks SET state = 'claimed', claimed_by = $1, lease_until = $2
                 WHERE id = (SELECT id FROM review_tasks WHERE queue = $3
                     AND (state = 'open' OR (state = 'claimed' AND lease_until < $4))
                     AND (CAST($5 AS TEXT) IS NULL OR case_id IN (SELECT c.id FROM cases c
                         JOIN applications a ON a.id = c.application_id
                         JOIN persons p ON p.id = a.person_id WHERE p.region = $5))
                     ORDER BY deadline, priority DESC, created_at LIMIT 1{lock})
                 RETURNING id, case_id, queue, priority, deadline"
            );
            let Some(row) = sqlx::query(&sql)
                .bind(&expert.id).bind(now + lease.as_millis() as i64).bind(queue).bind(now).bind(branch)
                .fetch_optional(&mut *tx)
                .await?
            else {
                return Ok(None);
            };
            let task = ReviewTask {
                id: row.try_get("id")?,
                case_id: row.try_get("case_id")?,
                queue: row.try_get("queue")?,
                priority: row.try_get("priority")?,
                deadline: row.try_get("deadline")?,
                claimed_by: Some(expert.id.clone()),
            };
            // A first claim puts the case in review; taking over a lapsed claim finds it there.
            let status: String = sqlx::query_scalar("SELECT status FROM cases WHERE id = $1")
                .bind(&task.case_id).fetch_one(&mut *tx).await?;
            if parse::<CaseStatus>("cases.status", &status)? == CaseStatus::ReadyForReview {
                transition!(&mut tx, &task.case_id, CaseEvent::Claim, expert, None::<&str>);
            }
            append_audit!(&mut tx, expert, "review.claim", &task.case_id, serde_json::json!({ "task": task.id }));
            tx.commit().await?;
            Ok(Some(task))
        })
    }

    /// Closes a task the expert holds.
    pub async fn complete_review_task(
        &self,
        task_id: &str,
        expert: &Actor,
    ) -> Result<(), StoreError> {
        let affected = with_db!(&self.db, pool => {
            sqlx::query(
                "UPDATE review_tasks SET state = 'done', closed_at = $1, lease_until = NULL
                 WHERE id = $2 AND state = 'claimed' AND claimed_by = $3",
            )
            .bind(now_ms()).bind(task_id).bind(&expert.id)
            .execute(pool).await?.rows_affected()
        });
        if affected == 0 {
            Err(StoreError::LeaseLost)
        } else {
            Ok(())
        }
    }
}
