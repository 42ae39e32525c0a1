//! Extending a case's legal deadline. A decision is due 1 month after filing; when it cannot be
//! made in time, an expert or the deciding official moves the deadline later — to at most 4
//! months after filing (Administrative Procedure Law) — with a reason the applicant sees.

use atzinums_models::deadlines::decision_due_extended;
use atzinums_models::{CaseEvent, Role};
use chrono::NaiveDate;
use sqlx::Row;

use crate::audit::append_audit;
use crate::cases::transition;
use crate::db::{WritePool, with_db};
use crate::error::StoreError;
use crate::review::{held_task_in, require_reason};
use crate::{Actor, InputError, Store};

impl Store {
    /// Moves the case's deadline (and its open review task's, which orders the queues) to
    /// `until`, recording who did it and why in the case's history. Only the expert holding the
    /// case's review, or an official while it awaits signature; refused for a date not after
    /// the current deadline, or one past the 4-month limit.
    #[tracing::instrument(skip_all, fields(case_id = %case_id))]
    pub async fn extend_deadline(
        &self,
        case_id: &str,
        until: NaiveDate,
        actor: &Actor,
        reason: &str,
    ) -> Result<(), StoreError> {
        if !matches!(actor.role, Some(Role::Expert | Role::Official)) {
            return Err(StoreError::Forbidden {
                action: "extend a deadline",
                role: actor.role_name(),
            });
        }
        require_reason(reason)?;
        with_db!(&self.db, pool => {
            let mut tx = pool.begin_write().await?;
            let row = sqlx::query(
                "SELECT c.deadline, a.submitted_at FROM cases c
                 JOIN applications a ON a.id = c.application_id WHERE c.id = $1",
            )
            .bind(case_id).fetch_optional(&mut *tx).await?
            .ok_or(StoreError::NotFound { what: "case" })?;
            let current: NaiveDate = row.try_get::<String, _>("deadline")?
                .parse().map_err(|e| StoreError::corrupt("cases.deadline", e))?;
            let filed = chrono::DateTime::from_timestamp_millis(row.try_get("submitted_at")?)
                .ok_or_else(|| StoreError::corrupt("applications.submitted_at", "out of range"))?
                .date_naive();
            // Who may: the expert holding the case's review, or an official while it awaits
            // signature.
            if actor.role == Some(Role::Expert) {
                held_task_in!(&mut tx, case_id, actor, crate::now_ms());
            } else {
                let status: String = sqlx::query_scalar("SELECT status FROM cases WHERE id = $1")
                    .bind(case_id).fetch_one(&mut *tx).await?;
                if status != atzinums_models::CaseStatus::AwaitingSignature.as_str() {
                    return Err(StoreError::Forbidden {
                        action: "extend the deadline of a case that is not awaiting signature",
                        role: actor.role_name(),
                    });
                }
            }
            let limit = decision_due_extended(filed);
            if until <= current {
                return Err(InputError::new("until", format!(
                    "must be later than the current deadline, {current}"
                )).into());
            }
            if until > limit {
                return Err(InputError::new("until", format!(
                    "a decision is due at most 4 months after the application was filed \
                     ({filed}): {limit} at the latest"
                )).into());
            }
            transition!(&mut tx, case_id, CaseEvent::ExtendDeadline, actor, Some(reason.trim()));
            // Only if no one moved it since it was read: two extensions at once must not leave
            // the earlier date standing over the later one.
            let moved = sqlx::query("UPDATE cases SET deadline = $1 WHERE id = $2 AND deadline = $3")
                .bind(until.to_string()).bind(case_id).bind(current.to_string())
                .execute(&mut *tx).await?.rows_affected();
            if moved == 0 {
                return Err(StoreError::Conflict);
            }
            sqlx::query(
                "UPDATE review_tasks SET deadline = $1 WHERE case_id = $2 AND state IN ('open', 'claimed')",
            )
            .bind(until.to_string()).bind(case_id).execute(&mut *tx).await?;
            append_audit!(&mut tx, actor, "case.extend_deadline", case_id,
                serde_json::json!({ "from": current.to_string(), "to": until.to_string() }));
            tx.commit().await?;
            Ok(())
        })
    }
}
