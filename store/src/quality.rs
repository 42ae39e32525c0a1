//! What the quality team reads: signed decisions beside the drafts they were made from, with
//! the expert's approved changes. Aggregates only leave through the console (no case content),
//! and each read is one audit entry naming how many decisions it covered.

use sqlx::Row;

use atzinums_models::Role;

use crate::db::with_db;
use crate::error::StoreError;
use crate::review::{ProposalBody, require};
use crate::{Actor, Store};

/// One signed decision compared with its draft.
#[derive(Debug, Clone)]
pub struct SignedComparison {
    pub case_id: String,
    pub signed_at_ms: i64,
    pub signed_outcome: String,
    /// The draft the decision was made from; `None` for a decision entered without one.
    pub draft_outcome: Option<String>,
    pub draft_route: Option<String>,
    /// The approved proposal's changes against the draft; `None` without a proposal.
    pub diff: Option<serde_json::Value>,
}

impl Store {
    /// Signed decisions since `since_ms`, newest first, at most `limit` — for the quality role.
    pub async fn signed_comparisons(
        &self,
        since_ms: i64,
        limit: i64,
        reader: &Actor,
    ) -> Result<Vec<SignedComparison>, StoreError> {
        require(reader, Role::Quality, "read quality statistics")?;
        let rows = with_db!(&self.db, pool => {
            sqlx::query(
                "SELECT d.case_id, d.created_at, d.outcome, r.outcome AS draft_outcome,
                        r.route AS draft_route,
                        (SELECT p.blob_sha256 FROM proposals p
                          WHERE p.case_id = d.case_id AND p.approved = 1
                          ORDER BY p.seq DESC LIMIT 1) AS proposal_blob
                 FROM decisions d LEFT JOIN drafts r ON r.id = d.draft_id
                 WHERE d.created_at >= $1 ORDER BY d.created_at DESC, d.case_id LIMIT $2",
            )
            .bind(since_ms).bind(limit)
            .fetch_all(pool).await?
            .iter()
            .map(|r| Ok((
                r.try_get::<String, _>("case_id")?,
                r.try_get::<i64, _>("created_at")?,
                r.try_get::<String, _>("outcome")?,
                r.try_get::<Option<String>, _>("draft_outcome")?,
                r.try_get::<Option<String>, _>("draft_route")?,
                r.try_get::<Option<String>, _>("proposal_blob")?,
            )))
            .collect::<Result<Vec<_>, StoreError>>()?
        });
        let mut out = Vec::with_capacity(rows.len());
        for (case_id, signed_at_ms, signed_outcome, draft_outcome, draft_route, blob) in rows {
            let diff = match blob {
                Some(sha) => {
                    let bytes = self.blobs.get(&sha).await?;
                    let body: ProposalBody = serde_json::from_slice(&bytes)
                        .map_err(|e| StoreError::corrupt("proposal", e))?;
                    Some(body.diff)
                }
                None => None,
            };
            out.push(SignedComparison {
                case_id,
                signed_at_ms,
                signed_outcome,
                draft_outcome,
                draft_route,
                diff,
            });
        }
        self.audit(
            reader,
            "quality.read",
            "signed_decisions",
            serde_json::json!({ "since": since_ms, "decisions": out.len() }),
        )
        .await?;
        Ok(out)
    }
}

/// A signed case as the de-identified export needs it: pseudonyms instead of identifiers, the
/// birth year instead of the date.
#[derive(Debug, Clone)]
pub struct ExportRow {
    pub case_id: String,
    /// `PK-…`: a keyed hash of the person's internal id, the same in every export of this
    /// installation (a person's cases stay linked) and meaningless without the key.
    pub person_pseudonym: String,
    pub birth_year: Option<i32>,
    pub sex: Option<String>,
    pub region: Option<String>,
    pub decision: atzinums_models::dataset::DecisionJson,
    /// `E-…`: the deciding expert, by keyed hash.
    pub expert_pseudonym: String,
}

impl Store {
    /// Keyed, one-way and domain-separated from the personal-code lookup.
    fn export_pseudonym(&self, what: &str, id: &str) -> String {
        self.keys.person_lookup(&format!("export:{what}:{id}"))[..16].to_string()
    }

    /// Decisions signed since `since_ms`, oldest first, at most `limit`, for a de-identified
    /// export by the quality role (one `quality.export` audit entry; the caller reads each
    /// case through the audited case read).
    pub async fn export_rows(
        &self,
        since_ms: i64,
        limit: i64,
        reader: &Actor,
    ) -> Result<Vec<ExportRow>, StoreError> {
        require(reader, Role::Quality, "export signed decisions")?;
        let rows = with_db!(&self.db, pool => {
            sqlx::query(
                "SELECT d.case_id, d.body, p.id AS person_id, p.birth_date, p.sex, p.region
                 FROM decisions d JOIN cases c ON c.id = d.case_id
                 JOIN applications a ON a.id = c.application_id JOIN persons p ON p.id = a.person_id
                 WHERE d.created_at >= $1 ORDER BY d.created_at, d.case_id LIMIT $2",
            )
            .bind(since_ms).bind(limit)
            .fetch_all(pool).await?
            .iter()
            .map(|r| Ok((
                r.try_get::<String, _>("case_id")?,
                r.try_get::<String, _>("body")?,
                r.try_get::<String, _>("person_id")?,
                r.try_get::<Option<String>, _>("birth_date")?,
                r.try_get::<Option<String>, _>("sex")?,
                r.try_get::<Option<String>, _>("region")?,
            )))
            .collect::<Result<Vec<_>, StoreError>>()?
        });
        let mut out = Vec::with_capacity(rows.len());
        for (case_id, body, person_id, birth_date, sex, region) in rows {
            let decision: atzinums_models::dataset::DecisionJson = serde_json::from_str(&body)
                .map_err(|e| StoreError::corrupt("decisions.body", e))?;
            out.push(ExportRow {
                person_pseudonym: format!("PK-{}", self.export_pseudonym("person", &person_id)),
                expert_pseudonym: format!(
                    "E-{}",
                    self.export_pseudonym("expert", &decision.expert)
                ),
                birth_year: birth_date.and_then(|d| d.get(..4)?.parse().ok()),
                case_id,
                sex,
                region,
                decision,
            });
        }
        self.audit(
            reader,
            "quality.export",
            "signed_decisions",
            serde_json::json!({ "since": since_ms, "decisions": out.len() }),
        )
        .await?;
        Ok(out)
    }
}
