//! What other institutions read: a person's disability status as of a date, and the feed of
//! status changes they follow by cursor; and the certificates that go with a status.
//! Every read is audited under the institution's name; the audit names the person only by the
//! keyed hash of their code.

use atzinums_models::{Outcome, PersonCode, Term, WorkCapacityLoss};
use chrono::NaiveDate;
use serde::Serialize;
use sqlx::Row;

use crate::cases::parse;
use crate::db::with_db;
use crate::error::StoreError;
use crate::{Actor, Store};

/// A person's disability status on a date.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DisabilityStatus {
    pub as_of: NaiveDate,
    /// Whether a disability status is in force on `as_of`.
    pub disabled: bool,
    /// The outcome of the decision in force (or of the last one, when it has lapsed).
    pub outcome: Option<Outcome>,
    pub work_capacity_loss_pct: Option<WorkCapacityLoss>,
    pub term: Option<Term>,
    pub valid_from: Option<NaiveDate>,
    /// `None` for a lifelong status.
    pub valid_to: Option<NaiveDate>,
    /// The case whose decision this is.
    pub case_id: Option<String>,
}

/// One entry of the change feed.
#[derive(Clone, Serialize)]
pub struct StatusChangeEvent {
    pub seq: i64,
    pub person_code: PersonCode,
    pub case_id: String,
    pub at_ms: i64,
}

/// A disability certificate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Certificate {
    pub id: String,
    pub case_id: String,
    pub duplicate_of: Option<String>,
    pub issued_at_ms: i64,
}

impl Store {
    /// The status of the person with `person_code` on `as_of`, from the decisions signed up to
    /// that day. Decisions that made no judgement (incomplete, premature) do not change it.
    pub async fn disability_status(
        &self,
        person_code: &PersonCode,
        as_of: NaiveDate,
        reader: &Actor,
    ) -> Result<DisabilityStatus, StoreError> {
        let lookup = self.keys.person_lookup(person_code.as_str());
        self.audit(
            reader,
            "status.read",
            &lookup[..20],
            serde_json::json!({ "as_of": as_of }),
        )
        .await?;
        let rows = with_db!(&self.db, pool => {
            let rows = sqlx::query(
                "SELECT d.case_id, d.body, p.birth_date FROM decisions d
                 JOIN cases c ON c.id = d.case_id JOIN applications a ON a.id = c.application_id
                 JOIN persons p ON p.id = a.person_id
                 WHERE p.code_lookup = $1 AND d.decided_at <= $2
                   AND d.outcome NOT IN ('incomplete', 'premature')
                 ORDER BY d.decided_at DESC, d.created_at DESC LIMIT 1",
            )
            .bind(&lookup).bind(as_of.to_string())
            .fetch_all(pool).await?;
            rows.iter().map(|r| Ok((
                r.try_get::<String, _>("case_id")?,
                r.try_get::<String, _>("body")?,
                r.try_get::<Option<String>, _>("birth_date")?,
            ))).collect::<Result<Vec<_>, StoreError>>()?
        });
        let Some((case_id, body, birth_date)) = rows.into_iter().next() else {
            return Ok(DisabilityStatus {
                as_of,
                disabled: false,
                outcome: None,
                work_capacity_loss_pct: None,
                term: None,
                valid_from: None,
                valid_to: None,
                case_id: None,
            });
        };
        let decision: atzinums_models::DecisionJson =
            serde_json::from_str(&body).map_err(|e| StoreError::corrupt("decisions.body", e))?;
        let birth_date: Option<NaiveDate> = birth_date
            .map(|d| parse("persons.birth_date", &d))
            .transpose()?;
        let from = decision.decided_at;
        let valid_to = decision.term.and_then(|t| t.valid_until(from, birth_date));
        let lapsed = valid_to.is_some_and(|to| as_of > to);
        let disabled = decision.outcome.is_disability() && !lapsed;
        Ok(DisabilityStatus {
            as_of,
            disabled,
            outcome: Some(decision.outcome),
            work_capacity_loss_pct: decision.work_capacity_loss_pct,
            term: decision.term,
            valid_from: Some(from),
            valid_to,
            case_id: Some(case_id),
        })
    }

    /// Status changes after `cursor` (exclusive), oldest first, at most `limit`.
    pub async fn status_changes(
        &self,
        cursor: i64,
        limit: i64,
        reader: &Actor,
    ) -> Result<Vec<StatusChangeEvent>, StoreError> {
        let rows = with_db!(&self.db, pool => {
            let rows = sqlx::query(
                "SELECT s.seq, s.case_id, s.at, p.code_sealed FROM status_changes s
                 JOIN persons p ON p.code_lookup = s.person_lookup
                 WHERE s.seq > $1 ORDER BY s.seq LIMIT $2",
            )
            .bind(cursor).bind(limit)
            .fetch_all(pool).await?;
            rows.iter().map(|r| Ok((
                r.try_get::<i64, _>("seq")?,
                r.try_get::<String, _>("case_id")?,
                r.try_get::<i64, _>("at")?,
                r.try_get::<Vec<u8>, _>("code_sealed")?,
            ))).collect::<Result<Vec<_>, StoreError>>()?
        });
        self.audit(
            reader,
            "status.feed",
            "status_changes",
            serde_json::json!({ "after": cursor, "returned": rows.len() }),
        )
        .await?;
        rows.into_iter()
            .map(|(seq, case_id, at_ms, sealed)| {
                let code = String::from_utf8(self.keys.open_personal(&sealed, "person_code")?)
                    .map_err(|_| StoreError::corrupt("persons.code_sealed", "not UTF-8"))?;
                Ok(StatusChangeEvent {
                    seq,
                    person_code: parse("persons.code_sealed", &code)?,
                    case_id,
                    at_ms,
                })
            })
            .collect()
    }

    /// Issues a duplicate of the case's latest certificate (lost, damaged, data changed).
    pub async fn issue_duplicate_certificate(
        &self,
        case_id: &str,
        requested_by: &Actor,
    ) -> Result<Certificate, StoreError> {
        let now = crate::now_ms();
        let id = with_db!(&self.db, pool => {
            let mut tx = crate::db::WritePool::begin_write(pool).await?;
            let latest: Option<String> = sqlx::query_scalar(
                "SELECT id FROM certificates WHERE case_id = $1 ORDER BY issued_at DESC, id DESC LIMIT 1",
            )
            .bind(case_id).fetch_optional(&mut *tx).await?;
            let Some(latest) = latest else {
                return Err(StoreError::NotFound { what: "certificate" });
            };
            let id = issue_certificate_in!(&mut tx, case_id, Some(latest.clone()), now);
            crate::audit::append_audit!(&mut tx, requested_by, "certificate.duplicate", case_id,
                serde_json::json!({ "certificate": id, "duplicate_of": latest }));
            tx.commit().await?;
            id
        });
        self.certificates(case_id)
            .await?
            .into_iter()
            .find(|c| c.id == id)
            .ok_or(StoreError::NotFound {
                what: "certificate",
            })
    }

    /// The certificates of a case, oldest first.
    pub async fn certificates(&self, case_id: &str) -> Result<Vec<Certificate>, StoreError> {
        with_db!(&self.db, pool => {
            let rows = sqlx::query(
                "SELECT id, case_id, duplicate_of, issued_at FROM certificates WHERE case_id = $1
                 ORDER BY issued_at, id",
            )
            .bind(case_id).fetch_all(pool).await?;
            rows.iter().map(|r| Ok(Certificate {
                id: r.try_get("id")?,
                case_id: r.try_get("case_id")?,
                duplicate_of: r.try_get("duplicate_of")?,
                issued_at_ms: r.try_get("issued_at")?,
            })).collect()
        })
    }
}

/// Inside the signing transaction: the feed entry and, for a decision that grants a status,
/// its certificate.
macro_rules! record_status_change_in {
    ($tx:expr, $case_id:expr, $outcome:expr, $now:expr) => {{
        let case_id: &str = $case_id;
        let outcome: atzinums_models::Outcome = $outcome;
        let lookup: String = sqlx::query_scalar(
            "SELECT p.code_lookup FROM cases c JOIN applications a ON a.id = c.application_id
             JOIN persons p ON p.id = a.person_id WHERE c.id = $1",
        )
        .bind(case_id)
        .fetch_one(&mut **$tx)
        .await?;
        // Serialised by the audit head the signing transaction already updated.
        sqlx::query(
            "INSERT INTO status_changes (seq, person_lookup, case_id, at)
             SELECT COALESCE(MAX(seq), 0) + 1, $1, $2, $3 FROM status_changes",
        )
        .bind(&lookup)
        .bind(case_id)
        .bind($now)
        .execute(&mut **$tx)
        .await?;
        if outcome.is_disability() {
            $crate::status::issue_certificate_in!($tx, case_id, None::<String>, $now);
        }
    }};
}
pub(crate) use record_status_change_in;

/// Issues a certificate number (A-YYYY-NNNNNN) inside the caller's write transaction;
/// evaluates to it.
macro_rules! issue_certificate_in {
    ($tx:expr, $case_id:expr, $duplicate_of:expr, $now:expr) => {{
        let year = chrono::Utc::now().format("%Y").to_string();
        let number: i64 = sqlx::query_scalar(
            "INSERT INTO counters (name, value) VALUES ($1, 1)
             ON CONFLICT (name) DO UPDATE SET value = counters.value + 1 RETURNING value",
        )
        .bind(format!("certificate-{year}"))
        .fetch_one(&mut **$tx)
        .await?;
        let id = format!("A-{year}-{number:06}");
        sqlx::query("INSERT INTO certificates (id, case_id, duplicate_of, issued_at) VALUES ($1, $2, $3, $4)")
            .bind(&id)
            .bind($case_id)
            .bind($duplicate_of)
            .bind($now)
            .execute(&mut **$tx)
            .await?;
        id
    }};
}
pub(crate) use issue_certificate_in;
