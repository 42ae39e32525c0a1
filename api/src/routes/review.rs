//! The expert workspace and the official's signing (JSON). The expert claims the most urgent
//! case of a queue, sees the draft beside its evidence and precedents, edits the proposed
//! decision (each version kept with its diff against the draft), and approves, returns, asks
//! for documents or escalates. The official signs exactly what was approved, or sends it back.

use atzinums_models::{Cause, OpinionKind, Outcome, Role, Term, WorkCapacityLoss};
use atzinums_pipeline::{DraftRecord, StoredCaseFile, proposed_decision};
use atzinums_store::{ProposalBody, Session};
use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use utoipa::{IntoParams, ToSchema};

use crate::AppState;
use crate::auth::Person;
use crate::error::{ApiError, ApiResult};
use crate::routes::eservice::{CaseView, case_view};

/// The expert queues: the routes' names.
pub const QUEUES: &[&str] = &["standard", "complex", "incomplete"];
/// Who reads drafts and the documents' evidence.
pub const REVIEWERS: &[Role] = &[Role::Expert, Role::Official, Role::Quality];

#[derive(Debug, Serialize, ToSchema)]
pub struct QueueEntry {
    pub case_id: String,
    pub priority: i32,
    pub deadline: String,
    /// The branch that examines it (the applicant's region), when known.
    pub branch: Option<String>,
    /// Who holds the case now, if anyone.
    pub claimed_by: Option<String>,
}

fn check_queue(queue: &str) -> ApiResult<()> {
    if QUEUES.contains(&queue) {
        Ok(())
    } else {
        Err(ApiError::new(
            StatusCode::NOT_FOUND,
            format!("no queue {queue:?}; the queues are {}", QUEUES.join(", ")),
        ))
    }
}

/// Which branch's part of a queue. Unknown fields are allowed: a changing request made with a
/// session may carry its CSRF token as `?csrf=`.
#[derive(Debug, Deserialize, IntoParams)]
pub struct BranchQuery {
    /// Only cases of this branch (the applicant's region, e.g. `Kurzeme`); every branch when
    /// absent.
    pub branch: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/queues/{queue}", tag = "expert",
    params(("queue" = String, Path, description = "standard | complex | incomplete"), BranchQuery),
    responses((status = 200, body = Vec<QueueEntry>), (status = 403, body = crate::Problem), (status = 404, body = crate::Problem)))]
pub async fn queue(
    State(state): State<AppState>,
    person: Person,
    Path(queue): Path<String>,
    Query(filter): Query<BranchQuery>,
) -> ApiResult<Json<Vec<QueueEntry>>> {
    person.require(&[Role::Expert], "work the expert queues")?;
    check_queue(&queue)?;
    let branch = filter.branch.as_deref();
    let items = state.store.queue_items(&queue, branch, 200).await?;
    Ok(Json(
        items
            .into_iter()
            .map(|i| QueueEntry {
                case_id: i.case_id,
                priority: i.priority,
                deadline: i.deadline,
                branch: i.branch,
                claimed_by: i.claimed_by,
            })
            .collect(),
    ))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Claimed {
    pub case_id: String,
    pub lease_seconds: u64,
}

#[utoipa::path(post, path = "/api/v1/queues/{queue}/claim", tag = "expert",
    params(("queue" = String, Path, description = "standard | complex | incomplete"), BranchQuery),
    responses((status = 200, body = Claimed), (status = 204, description = "the queue is empty"), (status = 403, body = crate::Problem),
        (status = 404, body = crate::Problem, description = "no such queue")))]
pub async fn claim(
    State(state): State<AppState>,
    person: Person,
    Path(queue): Path<String>,
    Query(filter): Query<BranchQuery>,
) -> ApiResult<Response> {
    person.require(&[Role::Expert], "claim cases")?;
    check_queue(&queue)?;
    let lease = state.config.review_lease;
    let branch = filter.branch.as_deref();
    match state
        .store
        .claim_review_task(&queue, branch, &person.0.actor(), lease)
        .await?
    {
        Some(task) => Ok(Json(Claimed {
            case_id: task.case_id,
            lease_seconds: lease.as_secs(),
        })
        .into_response()),
        None => Ok(StatusCode::NO_CONTENT.into_response()),
    }
}

/// Everything the expert reviews a case with.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReviewView {
    pub case: CaseView,
    /// The current draft: texts with citations, assessment, routing, verification, and the
    /// precedents in full (`provenance.precedents`).
    #[schema(value_type = Option<Object>)]
    pub draft: Option<DraftRecord>,
    /// Diagnoses, functioning with evidence, documents' findings as intake read them.
    #[schema(value_type = Option<Object>)]
    pub case_file: Option<atzinums_ingest::case_file::CaseFile>,
    /// The decision as it stands: the latest saved version, else the draft's proposal.
    #[schema(value_type = Option<Object>)]
    pub proposal: Option<atzinums_models::DecisionJson>,
    /// Every saved version with its diff against the draft.
    #[schema(value_type = Vec<Object>)]
    pub versions: Vec<atzinums_store::Proposal>,
}

fn unreadable(case_id: &str, what: &str, e: serde_json::Error) -> ApiError {
    tracing::error!(case_id, error = %e, "stored {what} unreadable");
    ApiError::new(
        StatusCode::INTERNAL_SERVER_ERROR,
        format!("the stored {what} of this case cannot be read"),
    )
}

/// The case file intake assembled (pages, findings), once it has; read from the blob store.
/// Callers check access first.
pub async fn stored_case_file(
    state: &AppState,
    case_id: &str,
) -> ApiResult<Option<StoredCaseFile>> {
    let Some(file_sha) = state.store.case_file_sha256(case_id).await? else {
        return Ok(None);
    };
    let bytes = state.store.document_bytes(&file_sha).await?;
    let file = serde_json::from_slice(&bytes).map_err(|e| unreadable(case_id, "case file", e))?;
    Ok(Some(file))
}

/// The draft and case file of a case, read from the blob store.
async fn draft_and_file(
    state: &AppState,
    case_id: &str,
) -> ApiResult<Option<(DraftRecord, StoredCaseFile)>> {
    let Some(row) = state.store.current_draft(case_id).await? else {
        return Ok(None);
    };
    let Some(file) = stored_case_file(state, case_id).await? else {
        return Ok(None);
    };
    let record: DraftRecord =
        serde_json::from_slice(&state.store.document_bytes(&row.record_sha256).await?)
            .map_err(|e| unreadable(case_id, "draft", e))?;
    Ok(Some((record, file)))
}

pub async fn review_view(
    state: &AppState,
    session: &Session,
    case_id: &str,
) -> ApiResult<ReviewView> {
    if !REVIEWERS.contains(&session.role) {
        return Err(ApiError::forbidden("review drafts"));
    }
    let case = case_view(state, session, case_id).await?;
    let versions = state.store.proposals(case_id).await?;
    let drafted = draft_and_file(state, case_id).await?;
    let today = chrono::Utc::now().date_naive();
    let proposal = match (versions.last(), &drafted) {
        (Some(v), _) => Some(v.body.decision.clone()),
        (None, Some((record, file))) => Some(proposed_decision(
            record,
            &file.assembled.file,
            &session.user_id,
            today,
        )),
        (None, None) => None,
    };
    let (draft, case_file) = match drafted {
        Some((record, file)) => (Some(record), Some(file.assembled.file)),
        None => (None, None),
    };
    Ok(ReviewView {
        case,
        draft,
        case_file,
        proposal,
        versions,
    })
}

#[utoipa::path(get, path = "/api/v1/cases/{case_id}/review", tag = "expert",
    params(("case_id" = String, Path)),
    responses((status = 200, body = ReviewView), (status = 403, body = crate::Problem), (status = 404, body = crate::Problem)))]
pub async fn get_review(
    State(state): State<AppState>,
    person: Person,
    Path(case_id): Path<String>,
) -> ApiResult<Json<ReviewView>> {
    Ok(Json(review_view(&state, &person.0, &case_id).await?))
}

/// The fields an expert may change; the rest of the decision comes from the evidence.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProposalEdit {
    #[schema(value_type = String, example = "group_II")]
    pub outcome: Outcome,
    #[serde(default)]
    #[schema(value_type = Option<u8>)]
    pub work_capacity_loss_pct: Option<WorkCapacityLoss>,
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    pub term: Option<Term>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub cause: Option<Cause>,
    #[serde(default)]
    #[schema(value_type = Object)]
    pub opinions: BTreeMap<OpinionKind, bool>,
    pub opinion_text: String,
}

/// Applies the expert's edit to the draft's proposal; the diff names each changed field with
/// the draft's and the expert's value.
pub async fn build_proposal(
    state: &AppState,
    session: &Session,
    case_id: &str,
    edit: &ProposalEdit,
) -> ApiResult<ProposalBody> {
    let (record, file) = draft_and_file(state, case_id)
        .await?
        .ok_or_else(|| ApiError::new(StatusCode::CONFLICT, "this case has no draft yet"))?;
    if edit.opinion_text.trim().is_empty() || edit.opinion_text.len() > 50_000 {
        return Err(ApiError::bad_input(
            "opinion_text",
            "must be 1 to 50000 characters",
        ));
    }
    let today = chrono::Utc::now().date_naive();
    let drafted = proposed_decision(&record, &file.assembled.file, &session.user_id, today);
    let mut decision = drafted.clone();
    decision.outcome = edit.outcome;
    decision.work_capacity_loss_pct = edit.work_capacity_loss_pct;
    decision.term = edit.term;
    decision.cause = edit.cause;
    decision.opinions = edit.opinions.clone();
    decision.opinion_text = edit.opinion_text.clone();
    let before = serde_json::to_value(&drafted).unwrap_or_default();
    let after = serde_json::to_value(&decision).unwrap_or_default();
    let diff: Vec<serde_json::Value> = [
        "outcome",
        "work_capacity_loss_pct",
        "term",
        "cause",
        "opinions",
        "opinion_text",
    ]
    .iter()
    .filter(|f| before.get(**f) != after.get(**f))
    .map(|f| serde_json::json!({ "field": f, "draft": before.get(*f), "expert": after.get(*f) }))
    .collect();
    Ok(ProposalBody {
        decision,
        diff: serde_json::Value::Array(diff),
    })
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Saved {
    /// The version number of the saved proposal.
    pub version: i64,
    /// How many fields differ from the draft.
    pub changed_fields: usize,
}

pub async fn save(
    state: &AppState,
    session: &Session,
    case_id: &str,
    edit: &ProposalEdit,
    approve: bool,
) -> ApiResult<Saved> {
    if session.role != Role::Expert {
        return Err(ApiError::forbidden("edit or approve drafts"));
    }
    let body = build_proposal(state, session, case_id, edit).await?;
    let changed_fields = body.diff.as_array().map_or(0, Vec::len);
    let version = state
        .store
        .save_proposal(case_id, &session.actor(), &body, approve)
        .await?;
    if !approve {
        state
            .store
            .renew_review_claim(case_id, &session.actor(), state.config.review_lease)
            .await?;
    }
    Ok(Saved {
        version,
        changed_fields,
    })
}

#[utoipa::path(put, path = "/api/v1/cases/{case_id}/proposal", tag = "expert",
    params(("case_id" = String, Path)), request_body = ProposalEdit,
    responses((status = 200, body = Saved), (status = 403, body = crate::Problem), (status = 409, body = crate::Problem), (status = 422, body = crate::Problem)))]
pub async fn put_proposal(
    State(state): State<AppState>,
    person: Person,
    Path(case_id): Path<String>,
    Json(edit): Json<ProposalEdit>,
) -> ApiResult<Json<Saved>> {
    Ok(Json(save(&state, &person.0, &case_id, &edit, false).await?))
}

#[utoipa::path(post, path = "/api/v1/cases/{case_id}/approve", tag = "expert",
    params(("case_id" = String, Path)), request_body = ProposalEdit,
    responses((status = 200, body = Saved), (status = 403, body = crate::Problem), (status = 409, body = crate::Problem), (status = 422, body = crate::Problem)))]
pub async fn approve(
    State(state): State<AppState>,
    person: Person,
    Path(case_id): Path<String>,
    Json(edit): Json<ProposalEdit>,
) -> ApiResult<Json<Saved>> {
    Ok(Json(save(&state, &person.0, &case_id, &edit, true).await?))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Reason {
    /// Why, in words the next person can act on (3 to 2000 characters).
    pub reason: String,
}

/// An expert's or official's move of a case that needs a reason.
#[derive(Debug, Clone, Copy)]
pub enum ReasonedAction {
    Release,
    Escalate,
    RequestDocuments,
    SendBack,
}

pub async fn act(
    state: &AppState,
    session: &Session,
    case_id: &str,
    action: ReasonedAction,
    reason: &str,
) -> ApiResult<()> {
    let actor = session.actor();
    let store = &state.store;
    let (role, what) = match action {
        ReasonedAction::SendBack => (Role::Official, "send cases back"),
        _ => (Role::Expert, "return, escalate or request documents"),
    };
    if session.role != role {
        return Err(ApiError::forbidden(what));
    }
    match action {
        ReasonedAction::Release => store.release_case(case_id, &actor, reason).await?,
        ReasonedAction::Escalate => store.escalate_case(case_id, &actor, reason).await?,
        ReasonedAction::RequestDocuments => {
            store.request_documents(case_id, &actor, reason).await?
        }
        ReasonedAction::SendBack => store.send_back(case_id, &actor, reason).await?,
    }
    Ok(())
}

macro_rules! reasoned {
    ($name:ident, $path:literal, $tag:literal, $action:expr) => {
        #[utoipa::path(post, path = $path, tag = $tag, params(("case_id" = String, Path)), request_body = Reason,
            responses((status = 204), (status = 403, body = crate::Problem), (status = 409, body = crate::Problem), (status = 422, body = crate::Problem)))]
        pub async fn $name(State(state): State<AppState>, person: Person, Path(case_id): Path<String>, Json(body): Json<Reason>) -> ApiResult<StatusCode> {
            act(&state, &person.0, &case_id, $action, &body.reason).await?;
            Ok(StatusCode::NO_CONTENT)
        }
    };
}

reasoned!(
    release,
    "/api/v1/cases/{case_id}/release",
    "expert",
    ReasonedAction::Release
);
reasoned!(
    escalate,
    "/api/v1/cases/{case_id}/escalate",
    "expert",
    ReasonedAction::Escalate
);
reasoned!(
    request_documents,
    "/api/v1/cases/{case_id}/request-documents",
    "expert",
    ReasonedAction::RequestDocuments
);
/// A later legal deadline, and why.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Extension {
    /// The new deadline: after the current one, at most 4 months after filing.
    pub until: chrono::NaiveDate,
    /// Why the decision cannot be made in time; the applicant reads it (3 to 2000 characters).
    pub reason: String,
}

/// An expert or the official extends a case's deadline (stated in the applicant's history).
pub async fn extend(
    state: &AppState,
    session: &Session,
    case_id: &str,
    extension: &Extension,
) -> ApiResult<()> {
    if !matches!(session.role, Role::Expert | Role::Official) {
        return Err(ApiError::forbidden("extend deadlines"));
    }
    let actor = session.actor();
    state
        .store
        .extend_deadline(case_id, extension.until, &actor, &extension.reason)
        .await?;
    Ok(())
}

#[utoipa::path(post, path = "/api/v1/cases/{case_id}/extend-deadline", tag = "expert",
    params(("case_id" = String, Path)), request_body = Extension,
    responses((status = 204), (status = 403, body = crate::Problem), (status = 404, body = crate::Problem),
        (status = 409, body = crate::Problem), (status = 422, body = crate::Problem)))]
pub async fn extend_deadline(
    State(state): State<AppState>,
    person: Person,
    Path(case_id): Path<String>,
    Json(body): Json<Extension>,
) -> ApiResult<StatusCode> {
    extend(&state, &person.0, &case_id, &body).await?;
    Ok(StatusCode::NO_CONTENT)
}

reasoned!(
    send_back,
    "/api/v1/cases/{case_id}/send-back",
    "official",
    ReasonedAction::SendBack
);

#[utoipa::path(get, path = "/api/v1/signature-queue", tag = "official",
    responses((status = 200, body = Vec<QueueEntry>), (status = 403, body = crate::Problem)))]
pub async fn signature_queue(
    State(state): State<AppState>,
    person: Person,
) -> ApiResult<Json<Vec<QueueEntry>>> {
    person.require(&[Role::Official], "see the signature queue")?;
    let cases = state.store.signature_queue(200).await?;
    Ok(Json(
        cases
            .into_iter()
            .map(|(case_id, deadline)| QueueEntry {
                case_id,
                priority: 0,
                deadline,
                branch: None,
                claimed_by: None,
            })
            .collect(),
    ))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Signed {
    pub case_id: String,
    #[schema(value_type = Object)]
    pub decision: atzinums_models::DecisionJson,
}

#[utoipa::path(post, path = "/api/v1/cases/{case_id}/sign", tag = "official",
    params(("case_id" = String, Path)),
    responses((status = 200, body = Signed), (status = 403, body = crate::Problem), (status = 404, body = crate::Problem), (status = 409, body = crate::Problem)))]
pub async fn sign(
    State(state): State<AppState>,
    person: Person,
    Path(case_id): Path<String>,
) -> ApiResult<Json<Signed>> {
    person.require(&[Role::Official], "sign decisions")?;
    let decision = state
        .store
        .sign_approved(&case_id, &person.0.actor())
        .await?;
    Ok(Json(Signed { case_id, decision }))
}
