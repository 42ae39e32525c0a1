//! What each job kind does. A step computes from the store's inputs and hands its results to
//! the store's `finish_*`, which commits them with the job's completion: a step may be computed
//! twice (a worker died before committing), its effect happens once. Computation is
//! deterministic, so a recomputed draft is the same draft.

use std::sync::Arc;

use atzinums_ingest::case_file::DocumentInput;
use atzinums_models::Sex;
use atzinums_pipeline::route::Priority;
use atzinums_pipeline::{CaseInput, InputRef};
use atzinums_retrieval::{AgeBand, CaseDescription};
use atzinums_store::{Actor, ClaimedJob, NewDraft, StepEffect, Store, StoreError};
use chrono::Datelike;
use sha2::{Digest, Sha256};

use atzinums_pipeline::{CASE_FILE_FORMAT, StoredCaseFile};

use crate::pipeline_cmd::{Drafter, Latency, ReadCase};

/// Why a step failed, in words an admin can act on (no personal data: ids and error kinds).
#[derive(Debug)]
pub struct StepError {
    pub reason: String,
    pub disposition: Disposition,
}

/// What becomes of the job after a failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Disposition {
    /// Retried with backoff while attempts remain.
    Retry,
    /// Retrying cannot help (the input is wrong): dead-lettered at once.
    Permanent,
    /// The lease ran out and another worker holds the job: nothing to record, its run counts.
    LeaseLost,
}

impl StepError {
    fn retry(reason: impl Into<String>) -> StepError {
        StepError {
            reason: reason.into(),
            disposition: Disposition::Retry,
        }
    }

    fn permanent(reason: impl Into<String>) -> StepError {
        StepError {
            reason: reason.into(),
            disposition: Disposition::Permanent,
        }
    }
}

impl From<StoreError> for StepError {
    fn from(e: StoreError) -> StepError {
        // Store errors never echo personal data; a missing row will not appear by retrying.
        let disposition = match e {
            StoreError::LeaseLost => Disposition::LeaseLost,
            StoreError::NotFound { .. } | StoreError::Corrupt { .. } => Disposition::Permanent,
            _ => Disposition::Retry,
        };
        StepError {
            reason: format!("store: {e}"),
            disposition,
        }
    }
}

/// The case as the pipeline and retrieval read it. Without a birth year the rules cannot tell a
/// child from an adult: refused, never guessed.
pub fn read_stored(stored: &StoredCaseFile) -> Result<ReadCase, StepError> {
    let birth_year = stored.birth_year.ok_or_else(|| {
        StepError::permanent(
            "the applicant's birth date is unknown (not in the application, not in the personal code): enter it and requeue",
        )
    })?;
    let input = CaseInput {
        case_id: stored.case_id.clone(),
        kind: stored.kind,
        submitted_at: stored.submitted_at,
        birth_date: stored.birth_date,
        birth_year,
        requested_opinions: stored.requested_opinions.clone(),
        previous_outcome: stored.previous_outcome,
        file: stored.assembled.file.clone(),
        pages: stored.assembled.pages.clone(),
    };
    let description = CaseDescription {
        case_id: stored.case_id.clone(),
        kind: stored.kind,
        age_band: AgeBand::at(birth_year, stored.submitted_at),
        sex: stored.sex,
        region: stored.region.clone(),
        file: stored.assembled.file.clone(),
        text: stored.assembled.text.clone(),
        source_hash: None,
    };
    Ok(ReadCase {
        input,
        description,
        inputs: stored.assembled.inputs.clone(),
        latency: Latency::default(),
    })
}

/// Runs CPU-bound work off the async threads.
async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, StepError> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| StepError::retry(format!("the step panicked or was cancelled: {e}")))
}

/// Intake: reads every document of the application (extraction in the sandbox, findings) into
/// the case file. A document that cannot be read is part of the case file (flagged for people),
/// not a failure of the job.
pub async fn intake(
    store: &Store,
    drafter: &Arc<Drafter>,
    job: &ClaimedJob,
    case_id: &str,
    worker: &Actor,
) -> Result<StepEffect, StepError> {
    let stored = read_application(store, drafter, case_id, worker).await?;
    // Inputs are the application and its documents.
    let documents = stored.assembled.inputs.len().saturating_sub(1);
    let bytes = serde_json::to_vec(&stored)
        .map_err(|e| StepError::retry(format!("cannot serialise the case file: {e}")))?;
    let blob = store.put_private(&bytes).await?;
    Ok(store
        .finish_intake(job, case_id, &blob, documents, worker)
        .await?)
}

/// Reads a stored application and its documents into its case file (what intake keeps and
/// replay recomputes).
pub async fn read_application(
    store: &Store,
    drafter: &Arc<Drafter>,
    case_id: &str,
    reader: &Actor,
) -> Result<StoredCaseFile, StepError> {
    let case = store.read_case(case_id, reader).await?;
    let applicant = store.applicant_facts(case_id).await?;
    let previous_outcome = match &case.previous_case_id {
        Some(previous) => store.decision(previous).await?.map(|d| d.outcome),
        None => None,
    };
    let submitted_at = chrono::DateTime::from_timestamp_millis(case.submitted_at_ms)
        .ok_or_else(|| StepError::permanent("the application's submission time is out of range"))?
        .date_naive();
    let mut documents = Vec::with_capacity(case.documents.len());
    for d in &case.documents {
        documents.push((d.clone(), store.document_bytes(&d.sha256).await?));
    }
    // The application as the pipeline reads it: its hash stands for "case.json" in provenance.
    let application = serde_json::json!({
        "case_id": case_id,
        "kind": case.kind,
        "submitted_at": submitted_at,
        "birth_date": applicant.birth_date,
        "sex": applicant.sex,
        "region": applicant.region,
        "requested_opinions": case.requested_opinions,
        "previous_outcome": previous_outcome,
    });
    let application = InputRef {
        name: "application".into(),
        sha256: hex::encode(Sha256::digest(application.to_string().as_bytes())),
    };
    let drafter = drafter.clone();
    let assembled = blocking(move || {
        let inputs = documents
            .into_iter()
            // The blob store has checked each document's bytes against its hash.
            .map(|(d, bytes)| DocumentInput {
                extracted: drafter.extract(&bytes),
                id: d.id,
                sha256: d.sha256,
                kind: d.kind,
                issued_at: d.issued_at.and_then(|s| s.parse().ok()),
            })
            .collect();
        drafter.assemble(inputs, submitted_at, application)
    })
    .await?;
    Ok(StoredCaseFile {
        format: CASE_FILE_FORMAT.into(),
        case_id: case_id.to_string(),
        kind: case.kind,
        submitted_at,
        birth_date: applicant.birth_date,
        birth_year: applicant.birth_date.map(|d| d.year()),
        sex: applicant.sex.unwrap_or(Sex::X),
        region: applicant.region.unwrap_or_default(),
        requested_opinions: case.requested_opinions,
        previous_outcome,
        assembled,
    })
}

async fn load_case_file(store: &Store, case_id: &str) -> Result<StoredCaseFile, StepError> {
    let sha = store.case_file_sha256(case_id).await?.ok_or_else(|| {
        StepError::permanent("the case has no case file: requeue its intake job first")
    })?;
    let bytes = store.document_bytes(&sha).await?;
    let stored: StoredCaseFile = serde_json::from_slice(&bytes)
        .map_err(|e| StepError::permanent(format!("the stored case file is damaged: {e}")))?;
    if stored.format != CASE_FILE_FORMAT {
        return Err(StepError::permanent(format!(
            "the stored case file has format {}, this worker reads {CASE_FILE_FORMAT}: requeue its intake job",
            stored.format
        )));
    }
    Ok(stored)
}

/// Examine: precedents, assessment, routing, draft, verification; the draft becomes the case's
/// current one and a review task opens in its route's queue.
pub async fn examine(
    store: &Store,
    drafter: &Arc<Drafter>,
    job: &ClaimedJob,
    case_id: &str,
    worker: &Actor,
) -> Result<StepEffect, StepError> {
    let read = read_stored(&load_case_file(store, case_id).await?)?;
    let drafter = drafter.clone();
    let record = blocking(move || -> anyhow::Result<_> {
        let mut read = read;
        let precedents = drafter.precedents(&mut read)?;
        Ok(drafter.run(read, precedents)?.0)
    })
    .await?
    .map_err(|e| StepError::retry(format!("the pipeline failed: {e}")))?;
    let bytes = serde_json::to_vec(&record)
        .map_err(|e| StepError::retry(format!("cannot serialise the draft: {e}")))?;
    let blob = store.put_private(&bytes).await?;
    let route = record.routing.route.kind();
    let draft = NewDraft {
        draft_id: record.draft_id.clone(),
        route,
        outcome: record.assessment.outcome.value,
        queue: route.as_str().to_string(),
        priority: match record.routing.priority {
            Priority::High => 1,
            Priority::Normal => 0,
        },
        record: blob,
    };
    Ok(store
        .finish_examination(job, case_id, &draft, worker)
        .await?)
}

/// Precedent: a signed decision joins the archive the next drafts are grounded in.
pub async fn precedent(
    store: &Store,
    drafter: &Arc<Drafter>,
    job: &ClaimedJob,
    case_id: &str,
) -> Result<StepEffect, StepError> {
    let description = read_stored(&load_case_file(store, case_id).await?)?.description;
    let decision = store
        .decision(case_id)
        .await?
        .ok_or_else(|| StepError::permanent("the case has no signed decision"))?;
    let drafter = drafter.clone();
    blocking(move || drafter.retriever().add_decided(&description, &decision))
        .await?
        .map_err(|e| StepError::retry(format!("cannot add the precedent: {e}")))?;
    store.complete_job(job).await?;
    Ok(StepEffect::Applied)
}

/// Dispatches a job by kind.
pub async fn run(
    store: &Store,
    drafter: &Arc<Drafter>,
    job: &ClaimedJob,
    worker: &Actor,
) -> Result<StepEffect, StepError> {
    let case_id = job
        .case_id
        .as_deref()
        .ok_or_else(|| StepError::permanent("the job names no case"))?;
    match job.kind.as_str() {
        atzinums_store::INTAKE_JOB => intake(store, drafter, job, case_id, worker).await,
        atzinums_store::EXAMINE_JOB => examine(store, drafter, job, case_id, worker).await,
        atzinums_store::PRECEDENT_JOB => precedent(store, drafter, job, case_id).await,
        other => Err(StepError::permanent(format!(
            "unknown job kind `{other}`: this worker handles intake, examine and precedent"
        ))),
    }
}
