//! Atomic submission of an application with its documents.
//!
//! Order of work: validate everything (nothing written on bad input) → put the document bytes
//! (idempotent, content-addressed) → ONE transaction that writes the person, application,
//! documents' metadata, case, first status, first job and audit entry. Until that transaction
//! commits nothing of the application is visible; after it, all of it is.

use atzinums_models::{
    ApplicationKind, Channel, DocumentKind, MediaType, OpinionKind, PersonCode, Representative, Sex,
};
use bytes::Bytes;
use chrono::{Months, NaiveDate, Utc};
use serde::Deserialize;
use sha2::{Digest, Sha256};
use sqlx::Row;
use uuid::Uuid;

use crate::audit::append_audit;
use crate::db::{WritePool, with_db};
use crate::error::{InputError, StoreError};
use crate::jobs::INSERT_JOB;
use crate::{Actor, BlobRef, Store, now_ms};

/// The applicant, as entered in the application.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewPerson {
    pub person_code: PersonCode,
    #[serde(default)]
    pub birth_date: Option<NaiveDate>,
    #[serde(default)]
    pub sex: Option<Sex>,
    /// Declared region of residence; a later application that states one replaces it (the
    /// person moved), and the person's open cases go to that region's branch.
    #[serde(default)]
    pub region: Option<String>,
}

/// One document's metadata as entered; its bytes travel separately (multipart upload).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DocumentForm {
    pub file_name: String,
    pub kind: DocumentKind,
    pub media_type: MediaType,
    #[serde(default)]
    pub issued_at: Option<NaiveDate>,
}

/// An application as it arrives over the API (JSON), before its files are attached.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApplicationForm {
    pub kind: ApplicationKind,
    pub channel: Channel,
    pub person: NewPerson,
    #[serde(default)]
    pub representative: Option<Representative>,
    #[serde(default)]
    pub requested_opinions: Vec<OpinionKind>,
    #[serde(default)]
    pub previous_case_id: Option<String>,
    #[serde(default)]
    pub documents: Vec<DocumentForm>,
}

impl ApplicationForm {
    /// Parses JSON, naming the offending field on error (e.g. `person.person_code: …`).
    pub fn from_json(json: &[u8]) -> Result<Self, InputError> {
        let de = &mut serde_json::Deserializer::from_slice(json);
        serde_path_to_error::deserialize(de).map_err(|e| {
            let field = e.path().to_string();
            let field = if field == "." {
                "application".to_string()
            } else {
                field
            };
            InputError::new(field, e.into_inner().to_string())
        })
    }

    /// Attaches the uploaded files, in the order of `documents`.
    pub fn with_files(
        self,
        files: Vec<Bytes>,
        submitted_by: Actor,
        idempotency_key: Option<String>,
    ) -> Result<NewApplication, InputError> {
        if files.len() != self.documents.len() {
            return Err(InputError::new(
                "documents",
                format!(
                    "{} documents are described but {} files were uploaded",
                    self.documents.len(),
                    files.len()
                ),
            ));
        }
        let documents = self
            .documents
            .into_iter()
            .zip(files)
            .map(|(d, bytes)| NewDocument {
                file_name: d.file_name,
                kind: d.kind,
                media_type: d.media_type,
                issued_at: d.issued_at,
                bytes,
            })
            .collect();
        Ok(NewApplication {
            kind: self.kind,
            channel: self.channel,
            person: self.person,
            representative: self.representative,
            requested_opinions: self.requested_opinions,
            previous_case_id: self.previous_case_id,
            documents,
            submitted_by,
            idempotency_key,
        })
    }
}

/// A document with its bytes.
#[derive(Debug, Clone)]
pub struct NewDocument {
    pub file_name: String,
    pub kind: DocumentKind,
    pub media_type: MediaType,
    pub issued_at: Option<NaiveDate>,
    pub bytes: Bytes,
}

/// A complete application ready to submit.
#[derive(Debug, Clone)]
pub struct NewApplication {
    pub kind: ApplicationKind,
    pub channel: Channel,
    pub person: NewPerson,
    pub representative: Option<Representative>,
    pub requested_opinions: Vec<OpinionKind>,
    pub previous_case_id: Option<String>,
    pub documents: Vec<NewDocument>,
    pub submitted_by: Actor,
    /// The same key on a retried submission returns the first one instead of a second application.
    pub idempotency_key: Option<String>,
}

/// What a submission produced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Submitted {
    pub application_id: String,
    pub case_id: String,
    pub documents: Vec<BlobRef>,
    /// True when this was a retry answered with the earlier submission.
    pub replayed: bool,
}

/// The job kind every new application starts with.
pub const INTAKE_JOB: &str = "intake";

impl NewApplication {
    /// Checks what the types cannot: sizes, emptiness, names, that content matches its declared type.
    pub fn validate(&self, max_document_bytes: u64) -> Result<(), InputError> {
        if let Some(key) = &self.idempotency_key
            && (key.is_empty() || key.len() > 200)
        {
            return Err(InputError::new(
                "idempotency_key",
                "must be 1 to 200 characters",
            ));
        }
        // A contest must say which decision it contests. (A repeat application need not: the
        // earlier decision may predate this system, and is found by the person instead.)
        if self.kind == ApplicationKind::Contest
            && self.previous_case_id.as_deref().is_none_or(str::is_empty)
        {
            return Err(InputError::new(
                "previous_case_id",
                "a contest must name the case whose decision it contests",
            ));
        }
        if let Some(region) = &self.person.region
            && region.chars().count() > 100
        {
            return Err(InputError::new(
                "person.region",
                "must be at most 100 characters",
            ));
        }
        for (i, doc) in self.documents.iter().enumerate() {
            validate_document(i, doc, max_document_bytes)?;
        }
        Ok(())
    }

    /// Digest of everything submitted: a retry with the same idempotency key must match it.
    fn fingerprint(&self, person_lookup: &str, blobs: &[BlobRef]) -> String {
        let mut h = Sha256::new();
        let parts = serde_json::json!({
            "kind": self.kind.as_str(),
            "channel": self.channel.as_str(),
            "person": person_lookup,
            "requested_opinions": self.requested_opinions.iter().map(|o| o.as_str()).collect::<Vec<_>>(),
            "previous_case_id": self.previous_case_id,
            "documents": self.documents.iter().zip(blobs).map(|(d, b)| serde_json::json!([
                d.file_name, d.kind.as_str(), d.media_type.as_str(), d.issued_at, b.sha256
            ])).collect::<Vec<_>>(),
        });
        h.update(parts.to_string().as_bytes());
        hex::encode(h.finalize())
    }
}

fn validate_document(i: usize, doc: &NewDocument, max_bytes: u64) -> Result<(), InputError> {
    let field = |name: &str| format!("documents[{i}].{name}");
    let name = doc.file_name.trim();
    if name.is_empty()
        || name.chars().count() > 200
        || name.contains(['/', '\\', '\0'])
        || name == ".."
    {
        return Err(InputError::new(
            field("file_name"),
            "must be a plain file name of 1 to 200 characters",
        ));
    }
    let size = doc.bytes.len() as u64;
    if size == 0 {
        return Err(InputError::new(
            field("bytes"),
            "the file is empty; attach the document again",
        ));
    }
    if size > max_bytes {
        return Err(InputError::new(
            field("bytes"),
            format!(
                "the file is {} but the limit is {} per document",
                human_size(size),
                human_size(max_bytes)
            ),
        ));
    }
    match MediaType::sniff(&doc.bytes) {
        Some(found) if found == doc.media_type => Ok(()),
        Some(found) => Err(InputError::new(
            field("media_type"),
            format!(
                "declared {} but the content is {}",
                doc.media_type.as_str(),
                found.as_str()
            ),
        )),
        None => Err(InputError::new(
            field("media_type"),
            "the content is not a PDF, DOCX, plain-text, PNG or JPEG file; only those are accepted",
        )),
    }
}

/// A size as people read it: `1.5 MB`, `64 KB` (rounded up, so a file over a limit never
/// reads as equal to it).
pub fn human_size(bytes: u64) -> String {
    const MB: u64 = 1024 * 1024;
    if bytes >= MB {
        format!("{:.1} MB", bytes as f64 / MB as f64)
    } else {
        format!("{} KB", bytes.div_ceil(1024))
    }
}

/// A contest must name a decided case of the same person, within 1 month of the decision
/// taking effect (the day it was signed). Fails the submission otherwise, saying which rule.
macro_rules! check_contest_window {
    ($tx:expr, $previous:expr, $person_id:expr, $today:expr) => {{
        let decided: Option<String> = sqlx::query_scalar(
            "SELECT d.decided_at FROM decisions d JOIN cases c ON c.id = d.case_id
             JOIN applications a ON a.id = c.application_id WHERE c.id = $1 AND a.person_id = $2",
        )
        .bind($previous)
        .bind($person_id)
        .fetch_optional(&mut **$tx)
        .await?;
        let Some(decided) = decided else {
            return Err(InputError::new(
                "previous_case_id",
                "this person has no decided case with that number; a contest names the case whose decision it contests",
            )
            .into());
        };
        let decided: NaiveDate = crate::cases::parse("decisions.decided_at", &decided)?;
        let until = atzinums_models::deadlines::contest_until(decided);
        if $today > until {
            return Err(InputError::new(
                "previous_case_id",
                format!(
                    "a decision can be contested within 1 month of taking effect: the decision of {decided} could be contested until {until}"
                ),
            )
            .into());
        }
    }};
}

impl Store {
    /// Submits an application atomically; see the module docs for the guarantees.
    pub async fn submit(&self, app: &NewApplication) -> Result<Submitted, StoreError> {
        app.validate(self.max_document_bytes)?;
        let mut blobs = Vec::with_capacity(app.documents.len());
        for doc in &app.documents {
            blobs.push(self.blobs.put(&doc.bytes).await?);
        }
        match self.write_submission(app, &blobs).await {
            // Two concurrent retries with one key: the loser hits the unique index and, on the
            // second try, finds the winner's application.
            Err(e) if e.is_unique_violation() && app.idempotency_key.is_some() => {
                self.write_submission(app, &blobs).await
            }
            other => other,
        }
    }

    async fn write_submission(
        &self,
        app: &NewApplication,
        blobs: &[BlobRef],
    ) -> Result<Submitted, StoreError> {
        let person_lookup = self.keys.person_lookup(app.person.person_code.as_str());
        let fingerprint = app.fingerprint(&person_lookup, blobs);
        let now = now_ms();
        let today = Utc::now().date_naive();
        let deadline = today.checked_add_months(Months::new(1)).unwrap_or(today);
        let application_id = Uuid::now_v7().to_string();
        let opinions = serde_json::to_string(
            &app.requested_opinions
                .iter()
                .map(|o| o.as_str())
                .collect::<Vec<_>>(),
        )
        .map_err(|e| StoreError::corrupt("requested_opinions", e))?;
        let code_sealed = self
            .keys
            .seal_personal(app.person.person_code.as_str().as_bytes(), "person_code");
        let representative_sealed = match &app.representative {
            Some(r) => Some(
                self.keys.seal_personal(
                    serde_json::to_string(r)
                        .map_err(|e| StoreError::corrupt("representative", e))?
                        .as_bytes(),
                    "representative",
                ),
            ),
            None => None,
        };

        with_db!(&self.db, pool => {
            let mut tx = pool.begin_write().await?;
            if let Some(key) = &app.idempotency_key {
                let existing = sqlx::query(
                    "SELECT a.id, a.fingerprint, c.id AS case_id FROM applications a
                     JOIN cases c ON c.application_id = a.id WHERE a.idempotency_key = $1",
                )
                .bind(key)
                .fetch_optional(&mut *tx)
                .await?;
                if let Some(row) = existing {
                    let earlier: String = row.try_get("fingerprint")?;
                    if earlier != fingerprint {
                        return Err(StoreError::IdempotencyConflict);
                    }
                    return Ok(Submitted {
                        application_id: row.try_get("id")?,
                        case_id: row.try_get("case_id")?,
                        documents: blobs.to_vec(),
                        replayed: true,
                    });
                }
            }

            sqlx::query(
                "INSERT INTO persons (id, code_lookup, code_sealed, birth_date, sex, region, created_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7)
                 ON CONFLICT (code_lookup) DO UPDATE SET
                   region = COALESCE(excluded.region, persons.region),
                   birth_date = COALESCE(persons.birth_date, excluded.birth_date),
                   sex = COALESCE(persons.sex, excluded.sex)",
            )
            .bind(Uuid::now_v7().to_string())
            .bind(&person_lookup)
            .bind(&code_sealed)
            // An old-format personal code states the birth date: kept, as the rules need the age.
            .bind(app.person.birth_date.or_else(|| app.person.person_code.birth_date()).map(|d| d.to_string()))
            .bind(app.person.sex.map(|s| s.as_str()))
            .bind(&app.person.region)
            .bind(now)
            .execute(&mut *tx)
            .await?;
            let person_id: String = sqlx::query_scalar("SELECT id FROM persons WHERE code_lookup = $1")
                .bind(&person_lookup)
                .fetch_one(&mut *tx)
                .await?;

            if app.kind == ApplicationKind::Contest {
                check_contest_window!(&mut tx, app.previous_case_id.as_deref().unwrap_or_default(), &person_id, today);
            }

            let number: i64 = sqlx::query_scalar(
                "INSERT INTO counters (name, value) VALUES ($1, 1)
                 ON CONFLICT (name) DO UPDATE SET value = counters.value + 1 RETURNING value",
            )
            .bind(format!("case-{}", today.format("%Y")))
            .fetch_one(&mut *tx)
            .await?;
            let case_id = format!("C-{}-{number:06}", today.format("%Y"));

            sqlx::query(
                "INSERT INTO applications (id, person_id, kind, channel, submitted_at, submitted_by_role,
                     submitted_by, representative_sealed, requested_opinions, previous_case_id,
                     idempotency_key, fingerprint)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
            )
            .bind(&application_id)
            .bind(&person_id)
            .bind(app.kind.as_str())
            .bind(app.channel.as_str())
            .bind(now)
            .bind(app.submitted_by.role_name())
            .bind(&app.submitted_by.id)
            .bind(&representative_sealed)
            .bind(&opinions)
            .bind(&app.previous_case_id)
            .bind(&app.idempotency_key)
            .bind(&fingerprint)
            .execute(&mut *tx)
            .await?;

            for (position, (doc, blob)) in app.documents.iter().zip(blobs).enumerate() {
                sqlx::query(
                    "INSERT INTO documents (id, application_id, position, file_name, kind, media_type,
                         issued_at, size_bytes, sha256, uploaded_at)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
                )
                .bind(Uuid::now_v7().to_string())
                .bind(&application_id)
                .bind(position as i32)
                .bind(doc.file_name.trim())
                .bind(doc.kind.as_str())
                .bind(doc.media_type.as_str())
                .bind(doc.issued_at.map(|d| d.to_string()))
                .bind(blob.size as i64)
                .bind(&blob.sha256)
                .bind(now)
                .execute(&mut *tx)
                .await?;
            }

            let status = atzinums_models::CaseStatus::Submitted;
            sqlx::query(
                "INSERT INTO cases (id, application_id, status, priority, deadline, version, updated_at)
                 VALUES ($1, $2, $3, 0, $4, 1, $5)",
            )
            .bind(&case_id)
            .bind(&application_id)
            .bind(status.as_str())
            .bind(deadline.to_string())
            .bind(now)
            .execute(&mut *tx)
            .await?;
            sqlx::query(
                "INSERT INTO case_status_history (case_id, seq, from_status, to_status, event, actor_role, actor, reason, at)
                 VALUES ($1, 1, NULL, $2, NULL, $3, $4, NULL, $5)",
            )
            .bind(&case_id)
            .bind(status.as_str())
            .bind(app.submitted_by.role_name())
            .bind(&app.submitted_by.id)
            .bind(now)
            .execute(&mut *tx)
            .await?;

            let payload = serde_json::json!({ "application_id": application_id }).to_string();
            sqlx::query(INSERT_JOB)
                .bind(Uuid::now_v7().to_string())
                .bind(INTAKE_JOB)
                .bind(&case_id)
                .bind(&payload)
                .bind(0i32)
                .bind(5i32)
                .bind(now)
                .execute(&mut *tx)
                .await?;

            let details = serde_json::json!({
                "application_id": application_id,
                "kind": app.kind.as_str(),
                "channel": app.channel.as_str(),
                "documents": app.documents.len(),
            });
            append_audit!(&mut tx, &app.submitted_by, "application.submit", &case_id, details);
            tx.commit().await?;
            Ok(Submitted { application_id, case_id, documents: blobs.to_vec(), replayed: false })
        })
    }
}

impl Store {
    /// Adds documents the applicant was asked for to a case waiting for them, and queues its
    /// intake again (which moves the case back to processing). Bad files are refused before
    /// anything is written; the rows and the job commit together.
    pub async fn add_documents(
        &self,
        case_id: &str,
        documents: &[NewDocument],
        actor: &Actor,
    ) -> Result<usize, StoreError> {
        if documents.is_empty() {
            return Err(InputError::new("documents", "attach at least one document").into());
        }
        for (i, doc) in documents.iter().enumerate() {
            validate_document(i, doc, self.max_document_bytes)?;
        }
        let mut blobs = Vec::with_capacity(documents.len());
        for doc in documents {
            blobs.push(self.blobs.put(&doc.bytes).await?);
        }
        let now = now_ms();
        with_db!(&self.db, pool => {
            let mut tx = pool.begin_write().await?;
            let row = sqlx::query("SELECT c.status, c.application_id FROM cases c WHERE c.id = $1")
                .bind(case_id).fetch_optional(&mut *tx).await?
                .ok_or(StoreError::NotFound { what: "case" })?;
            let status: atzinums_models::CaseStatus =
                crate::cases::parse("cases.status", &row.try_get::<String, _>("status")?)?;
            let application_id: String = row.try_get("application_id")?;
            if status != atzinums_models::CaseStatus::AwaitingDocuments {
                return Err(atzinums_models::IllegalTransition {
                    from: status,
                    event: atzinums_models::CaseEvent::DocumentsReceived,
                }
                .into());
            }
            let next: i32 = sqlx::query_scalar(
                "SELECT COALESCE(MAX(position), -1) + 1 FROM documents WHERE application_id = $1",
            )
            .bind(&application_id).fetch_one(&mut *tx).await?;
            for (i, (doc, blob)) in documents.iter().zip(&blobs).enumerate() {
                sqlx::query(
                    "INSERT INTO documents (id, application_id, position, file_name, kind, media_type,
                         issued_at, size_bytes, sha256, uploaded_at)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
                )
                .bind(Uuid::now_v7().to_string()).bind(&application_id).bind(next + i as i32)
                .bind(doc.file_name.trim()).bind(doc.kind.as_str()).bind(doc.media_type.as_str())
                .bind(doc.issued_at.map(|d| d.to_string())).bind(blob.size as i64)
                .bind(&blob.sha256).bind(now)
                .execute(&mut *tx).await?;
            }
            let payload = serde_json::json!({ "application_id": application_id }).to_string();
            sqlx::query(INSERT_JOB)
                .bind(Uuid::now_v7().to_string()).bind(INTAKE_JOB).bind(case_id).bind(&payload)
                .bind(0i32).bind(5i32).bind(now)
                .execute(&mut *tx).await?;
            append_audit!(&mut tx, actor, "documents.add", case_id,
                serde_json::json!({ "documents": documents.len() }));
            tx.commit().await?;
            Ok(documents.len())
        })
    }
}
