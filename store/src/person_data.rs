//! What the service holds about a person and who has read it: the applicant's "my data" view
//! (GDPR Art. 15). Staff are named by role only; institutions, which receive the data, by name.

use atzinums_models::PersonCode;
use serde::Serialize;
use sqlx::Row;

use crate::Store;
use crate::db::with_db;
use crate::error::StoreError;

/// The person's own record, as stored (the code itself is sealed and not repeated here).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PersonProfile {
    pub birth_date: Option<String>,
    pub sex: Option<String>,
    /// Declared region of residence: the branch that examines the person's cases.
    pub region: Option<String>,
    pub registered_at_ms: i64,
}

/// One read of the person's data by someone else.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DataAccess {
    pub at_ms: i64,
    /// The reader's role (`expert`, `institution`…).
    pub by_role: String,
    /// An institution's name; `None` for staff, who are not named to applicants.
    pub institution: Option<String>,
    /// `case.read`, `case.read_person_code`, `document.read` or `status.read`.
    pub action: String,
    /// The case read; `None` for a status read, which concerns the person.
    pub case_id: Option<String>,
}

/// Audit actions that are reads of a person's data.
const CASE_READS: [&str; 3] = ["case.read", "case.read_person_code", "document.read"];
const STATUS_READ: &str = "status.read";

impl Store {
    /// The person's record, or `None` when they never applied.
    pub async fn person_profile(
        &self,
        person_code: &PersonCode,
    ) -> Result<Option<PersonProfile>, StoreError> {
        let lookup = self.keys.person_lookup(person_code.as_str());
        with_db!(&self.db, pool => {
            let row = sqlx::query(
                "SELECT birth_date, sex, region, created_at FROM persons WHERE code_lookup = $1",
            )
            .bind(&lookup).fetch_optional(pool).await?;
            row.map(|r| Ok(PersonProfile {
                birth_date: r.try_get("birth_date")?,
                sex: r.try_get("sex")?,
                region: r.try_get("region")?,
                registered_at_ms: r.try_get("created_at")?,
            })).transpose()
        })
    }

    /// Reads of the person's cases and status by anyone but the person (`own_user_id`), newest
    /// first, at most `limit`.
    pub async fn data_accesses(
        &self,
        person_code: &PersonCode,
        case_ids: &[String],
        own_user_id: &str,
        limit: i64,
    ) -> Result<Vec<DataAccess>, StoreError> {
        let lookup = self.keys.person_lookup(person_code.as_str());
        // Status reads are audited under the first 20 hex digits of the keyed hash.
        let mut subjects: Vec<(&str, Option<&str>)> = vec![(&lookup[..20], None)];
        subjects.extend(case_ids.iter().map(|c| (c.as_str(), Some(c.as_str()))));
        let mut out = Vec::new();
        for (subject, case_id) in subjects {
            let rows = with_db!(&self.db, pool => {
                sqlx::query(
                    "SELECT at, actor_role, actor, action FROM audit_log
                     WHERE subject = $1 AND actor <> $2 AND action IN ($3, $4, $5, $6)
                     ORDER BY seq DESC LIMIT $7",
                )
                .bind(subject).bind(own_user_id)
                .bind(CASE_READS[0]).bind(CASE_READS[1]).bind(CASE_READS[2]).bind(STATUS_READ)
                .bind(limit)
                .fetch_all(pool).await?
                .iter()
                .map(|r| Ok((r.try_get::<i64, _>("at")?, r.try_get::<String, _>("actor_role")?,
                             r.try_get::<String, _>("actor")?, r.try_get::<String, _>("action")?)))
                .collect::<Result<Vec<_>, StoreError>>()?
            });
            for (at_ms, by_role, actor, action) in rows {
                let institution = (by_role == "institution").then_some(actor);
                out.push(DataAccess {
                    at_ms,
                    by_role,
                    institution,
                    action,
                    case_id: case_id.map(str::to_string),
                });
            }
        }
        out.sort_by_key(|a| std::cmp::Reverse(a.at_ms));
        out.truncate(usize::try_from(limit).unwrap_or(0));
        Ok(out)
    }
}
