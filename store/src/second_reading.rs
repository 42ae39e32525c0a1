//! Blind second readings: the quality team samples signed decisions at random, and a medical
//! expert who had no part in a decision reads its case again from the documents alone (not the
//! draft, not the decision) and records the outcome they would have proposed. The pairs measure
//! how far experts agree with each other — the ceiling any draft is judged against.

use atzinums_models::{Outcome, PctExemption, Role, WorkCapacityLoss};
use rand::seq::SliceRandom;
use serde::Serialize;
use sqlx::Row;

use crate::audit::append_audit;
use crate::db::{WritePool, with_db};
use crate::error::StoreError;
use crate::review::require;
use crate::{Actor, InputError, Store, now_ms};

/// Most decisions one sampling may pick.
pub const MOST_SAMPLED: usize = 500;

/// A sampled case waiting for its second reading.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OpenSecondReading {
    pub case_id: String,
    pub sampled_at_ms: i64,
}

/// A completed second reading beside the signed decision it reread (for the quality team).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecondReadingPair {
    pub read_at_ms: i64,
    pub signed_outcome: String,
    pub signed_pct: Option<i32>,
    pub second_outcome: String,
    pub second_pct: Option<i32>,
}

/// The completed pairs of a period and how many sampled cases still wait.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecondReadings {
    pub pairs: Vec<SecondReadingPair>,
    pub pending: usize,
}

/// Experts who took part in the decision: those who proposed on it, and the signer. `$2` binds
/// the reader.
const TOOK_PART: &str =
    "(EXISTS (SELECT 1 FROM proposals p WHERE p.case_id = s.case_id AND p.expert = $2)
     OR EXISTS (SELECT 1 FROM decisions d WHERE d.case_id = s.case_id AND d.signed_by = $2))";

impl Store {
    /// Samples, uniformly at random, up to `count` decisions signed since `since_ms` that have
    /// no second reading yet; returns how many were sampled.
    pub async fn sample_second_readings(
        &self,
        since_ms: i64,
        count: usize,
        sampler: &Actor,
    ) -> Result<usize, StoreError> {
        require(
            sampler,
            Role::Quality,
            "sample decisions for a second reading",
        )?;
        if !(1..=MOST_SAMPLED).contains(&count) {
            return Err(InputError::new("count", format!("must be 1 to {MOST_SAMPLED}")).into());
        }
        let now = now_ms();
        with_db!(&self.db, pool => {
            let mut tx = pool.begin_write().await?;
            let mut candidates: Vec<String> = sqlx::query_scalar(
                "SELECT d.case_id FROM decisions d
                 WHERE d.created_at >= $1
                   AND NOT EXISTS (SELECT 1 FROM second_readings s WHERE s.case_id = d.case_id)
                 ORDER BY d.case_id",
            )
            .bind(since_ms)
            .fetch_all(&mut *tx).await?;
            candidates.shuffle(&mut rand::rng());
            candidates.truncate(count);
            for case_id in &candidates {
                sqlx::query(
                    "INSERT INTO second_readings (case_id, sampled_by, sampled_at) VALUES ($1, $2, $3)",
                )
                .bind(case_id).bind(&sampler.id).bind(now)
                .execute(&mut *tx).await?;
            }
            append_audit!(&mut tx, sampler, "quality.sample_second_reading", "second_readings",
                serde_json::json!({ "since": since_ms, "asked": count, "sampled": candidates.len() }));
            tx.commit().await?;
            Ok(candidates.len())
        })
    }

    /// The sampled cases this expert may read a second time (not those they proposed on or
    /// signed), oldest sample first.
    pub async fn open_second_readings(
        &self,
        reader: &Actor,
        limit: i64,
    ) -> Result<Vec<OpenSecondReading>, StoreError> {
        require(reader, Role::Expert, "read a case a second time")?;
        with_db!(&self.db, pool => {
            let rows = sqlx::query(&format!(
                "SELECT s.case_id, s.sampled_at FROM second_readings s
                 WHERE s.read_at IS NULL AND NOT {TOOK_PART}
                 ORDER BY s.sampled_at, s.case_id LIMIT $1"
            ))
            .bind(limit).bind(&reader.id)
            .fetch_all(pool).await?;
            rows.iter().map(|r| Ok(OpenSecondReading {
                case_id: r.try_get("case_id")?,
                sampled_at_ms: r.try_get("sampled_at")?,
            })).collect()
        })
    }

    /// Whether the case waits for a second reading this expert may do. `Forbidden` for an
    /// expert who took part in the decision, `NotFound` when it is not sampled or already read.
    pub async fn check_second_reader(
        &self,
        case_id: &str,
        reader: &Actor,
    ) -> Result<(), StoreError> {
        require(reader, Role::Expert, "read a case a second time")?;
        let row = with_db!(&self.db, pool => {
            sqlx::query(&format!(
                "SELECT s.read_at IS NULL AS open, {TOOK_PART} AS took_part
                 FROM second_readings s WHERE s.case_id = $1"
            ))
            .bind(case_id).bind(&reader.id)
            .fetch_optional(pool).await?
            .map(|r| Ok::<_, StoreError>((r.try_get::<bool, _>("open")?, r.try_get::<bool, _>("took_part")?)))
            .transpose()?
        });
        match row {
            Some((true, false)) => Ok(()),
            Some((true, true)) => Err(StoreError::Forbidden {
                action: "read a second time a decision they took part in",
                role: "expert",
            }),
            _ => Err(StoreError::NotFound {
                what: "second reading waiting for this case",
            }),
        }
    }

    /// Records the second reader's outcome (once per case).
    pub async fn record_second_reading(
        &self,
        case_id: &str,
        outcome: Outcome,
        pct: Option<WorkCapacityLoss>,
        reader: &Actor,
    ) -> Result<(), StoreError> {
        // Without a percentage the reader may mean a child or a pensioner (no percentage);
        // with one it must fit the outcome's band.
        if pct.is_some() {
            WorkCapacityLoss::check_against(outcome, pct, PctExemption::None)
                .map_err(|e| InputError::new("work_capacity_loss_pct", e.to_string()))?;
        }
        self.check_second_reader(case_id, reader).await?;
        let now = now_ms();
        with_db!(&self.db, pool => {
            let mut tx = pool.begin_write().await?;
            let written = sqlx::query(
                "UPDATE second_readings SET reader = $1, outcome = $2, work_capacity_loss_pct = $3,
                     read_at = $4 WHERE case_id = $5 AND read_at IS NULL",
            )
            .bind(&reader.id).bind(outcome.as_str()).bind(pct.map(|p| i32::from(p.value())))
            .bind(now).bind(case_id)
            .execute(&mut *tx).await?.rows_affected();
            // Another expert recorded it between the check and this write.
            if written == 0 {
                return Err(StoreError::Conflict);
            }
            append_audit!(&mut tx, reader, "second_reading.record", case_id, serde_json::json!({}));
            tx.commit().await?;
            Ok(())
        })
    }

    /// Second readings completed since `since_ms`, each beside the signed decision, and how
    /// many sampled cases wait — for the quality role; one audit entry per read.
    pub async fn second_readings(
        &self,
        since_ms: i64,
        reader: &Actor,
    ) -> Result<SecondReadings, StoreError> {
        require(reader, Role::Quality, "read quality statistics")?;
        let (rows, pending) = with_db!(&self.db, pool => {
            let rows = sqlx::query(
                "SELECT s.read_at, d.outcome AS signed_outcome, d.body, s.outcome, s.work_capacity_loss_pct
                 FROM second_readings s JOIN decisions d ON d.case_id = s.case_id
                 WHERE s.read_at IS NOT NULL AND s.read_at >= $1 ORDER BY s.read_at, s.case_id",
            )
            .bind(since_ms).fetch_all(pool).await?
            .iter()
            .map(|r| Ok((
                r.try_get::<i64, _>("read_at")?,
                r.try_get::<String, _>("signed_outcome")?,
                r.try_get::<String, _>("body")?,
                r.try_get::<String, _>("outcome")?,
                r.try_get::<Option<i32>, _>("work_capacity_loss_pct")?,
            )))
            .collect::<Result<Vec<_>, StoreError>>()?;
            let pending: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM second_readings WHERE read_at IS NULL")
                .fetch_one(pool).await?;
            (rows, pending)
        });
        let mut pairs = Vec::with_capacity(rows.len());
        for (read_at_ms, signed_outcome, body, second_outcome, second_pct) in rows {
            let decision: serde_json::Value = serde_json::from_str(&body)
                .map_err(|e| StoreError::corrupt("decisions.body", e))?;
            pairs.push(SecondReadingPair {
                read_at_ms,
                signed_outcome,
                signed_pct: decision["work_capacity_loss_pct"]
                    .as_i64()
                    .and_then(|p| i32::try_from(p).ok()),
                second_outcome,
                second_pct,
            });
        }
        self.audit(
            reader,
            "quality.read",
            "second_readings",
            serde_json::json!({ "since": since_ms, "pairs": pairs.len() }),
        )
        .await?;
        Ok(SecondReadings {
            pairs,
            pending: pending as usize,
        })
    }
}
