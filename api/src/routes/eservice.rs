//! The unified e-service: apply (with documents), follow the status against the legal deadline,
//! read one's documents and decision, contest it, ask for a duplicate certificate.
//! Applicants see their own cases (and representatives those they filed); staff see any case;
//! every read of a case by a person is audited by the store.

use atzinums_models::{
    ApplicationKind, CaseStatus, Channel, DecisionJson, DocumentKind, MediaType, PersonCode, Role,
};
use atzinums_store::{
    ApplicationForm, CaseRecord, NewApplication, NewDocument, NewPerson, Session, human_size,
};
use axum::Json;
use axum::extract::multipart::MultipartError;
use axum::extract::{Multipart, Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use chrono::{DateTime, NaiveDate};
use serde::Serialize;
use utoipa::ToSchema;

use crate::AppState;
use crate::auth::Person;
use crate::error::{ApiError, ApiResult};

/// Staff who may open any case (audited); applicants and representatives see their own.
pub const CASE_STAFF: &[Role] = &[Role::Clerk, Role::Expert, Role::Official, Role::Quality];
const FILERS: &[Role] = &[Role::Applicant, Role::Representative, Role::Clerk];
const OWNERS: &[Role] = &[Role::Applicant, Role::Representative];

/// Refuses a case the person may not see: 404 for someone else's (as for one that does not
/// exist), 403 for roles that never read cases.
pub async fn check_case_access(
    state: &AppState,
    session: &Session,
    case_id: &str,
) -> ApiResult<()> {
    if CASE_STAFF.contains(&session.role) {
        return Ok(());
    }
    if !OWNERS.contains(&session.role) {
        return Err(ApiError::forbidden("read cases"));
    }
    if state
        .store
        .case_is_own(case_id, &session.person_code)
        .await?
    {
        Ok(())
    } else {
        Err(ApiError::no_such_case())
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CaseSummary {
    pub case_id: String,
    pub kind: String,
    pub status: String,
    /// The legal deadline for the decision (1 month from filing).
    pub deadline: String,
    pub submitted_at_ms: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DocumentInfo {
    /// What drafts and evidence cite.
    pub id: String,
    pub position: i32,
    pub file_name: String,
    pub kind: String,
    pub media_type: String,
    pub size_bytes: i64,
}

impl From<&atzinums_store::DocumentRecord> for DocumentInfo {
    fn from(d: &atzinums_store::DocumentRecord) -> Self {
        DocumentInfo {
            id: d.id.clone(),
            position: d.position,
            file_name: d.file_name.clone(),
            kind: d.kind.as_str().into(),
            media_type: d.media_type.as_str().into(),
            size_bytes: d.size_bytes,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TimelineEntry {
    pub status: String,
    /// What happened (`extend_deadline` keeps the status and moves the deadline).
    pub event: Option<String>,
    /// The role that moved the case (`system` for the service's own steps); never a name.
    pub by_role: String,
    pub reason: Option<String>,
    pub at_ms: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CertificateInfo {
    pub id: String,
    pub duplicate_of: Option<String>,
    pub issued_at_ms: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CaseView {
    pub case_id: String,
    pub kind: String,
    pub channel: String,
    pub status: String,
    pub deadline: String,
    /// The latest the deadline can be extended to (4 months from filing).
    pub deadline_extended_max: String,
    pub submitted_at_ms: i64,
    pub requested_opinions: Vec<String>,
    pub previous_case_id: Option<String>,
    pub documents: Vec<DocumentInfo>,
    pub timeline: Vec<TimelineEntry>,
    /// The signed decision, once there is one (never a draft).
    #[schema(value_type = Option<Object>)]
    pub decision: Option<DecisionJson>,
    /// The last day the decision can be contested.
    pub contest_until: Option<NaiveDate>,
    pub certificates: Vec<CertificateInfo>,
}

pub fn filed_on(record: &CaseRecord) -> NaiveDate {
    DateTime::from_timestamp_millis(record.submitted_at_ms)
        .map(|d| d.date_naive())
        .unwrap_or_default()
}

pub async fn case_view(state: &AppState, session: &Session, case_id: &str) -> ApiResult<CaseView> {
    check_case_access(state, session, case_id).await?;
    let record = state.store.read_case(case_id, &session.actor()).await?;
    let timeline = state
        .store
        .status_history(case_id)
        .await?
        .into_iter()
        .map(|c| TimelineEntry {
            status: c.to.as_str().into(),
            event: c.event.map(|e| e.as_str().to_string()),
            by_role: c.actor_role,
            reason: c.reason,
            at_ms: c.at_ms,
        })
        .collect();
    let decision = state.store.decision(case_id).await?;
    let certificates = state
        .store
        .certificates(case_id)
        .await?
        .into_iter()
        .map(|c| CertificateInfo {
            id: c.id,
            duplicate_of: c.duplicate_of,
            issued_at_ms: c.issued_at_ms,
        })
        .collect();
    let filed = filed_on(&record);
    Ok(CaseView {
        case_id: record.case_id.clone(),
        kind: record.kind.as_str().into(),
        channel: record.channel.as_str().into(),
        status: record.status.as_str().into(),
        deadline: record.deadline.clone(),
        deadline_extended_max: atzinums_models::deadlines::decision_due_extended(filed).to_string(),
        submitted_at_ms: record.submitted_at_ms,
        requested_opinions: record
            .requested_opinions
            .iter()
            .map(|o| o.as_str().to_string())
            .collect(),
        previous_case_id: record.previous_case_id.clone(),
        documents: record.documents.iter().map(DocumentInfo::from).collect(),
        timeline,
        contest_until: decision
            .as_ref()
            .map(|d| atzinums_models::deadlines::contest_until(d.decided_at)),
        decision,
        certificates,
    })
}

/// The person's own cases (applicants) and those they filed for others (representatives, and
/// clerks for the applications they took at a branch).
pub async fn own_cases(state: &AppState, session: &Session) -> ApiResult<Vec<CaseSummary>> {
    let mut ids = if session.role == Role::Clerk {
        Vec::new()
    } else {
        state.store.cases_of_person(&session.person_code).await?
    };
    for id in state.store.cases_submitted_by(&session.user_id).await? {
        if !ids.contains(&id) {
            ids.push(id);
        }
    }
    let mut out = Vec::with_capacity(ids.len());
    for id in ids {
        let r = state.store.read_case(&id, &session.actor()).await?;
        out.push(CaseSummary {
            case_id: r.case_id,
            kind: r.kind.as_str().into(),
            status: r.status.as_str().into(),
            deadline: r.deadline,
            submitted_at_ms: r.submitted_at_ms,
        });
    }
    Ok(out)
}

#[utoipa::path(get, path = "/api/v1/cases", tag = "e-service",
    responses((status = 200, body = Vec<CaseSummary>), (status = 401, body = crate::Problem), (status = 403, body = crate::Problem)))]
/// The caller's cases: an applicant's own, and the applications a representative or a clerk
/// filed for others, newest first.
pub async fn list_cases(
    State(state): State<AppState>,
    person: Person,
) -> ApiResult<Json<Vec<CaseSummary>>> {
    person.require(FILERS, "list own cases (staff use the queues)")?;
    Ok(Json(own_cases(&state, &person.0).await?))
}

#[utoipa::path(get, path = "/api/v1/cases/{case_id}", tag = "e-service",
    params(("case_id" = String, Path, description = "Case number, C-YYYY-NNNNNN")),
    responses((status = 200, body = CaseView), (status = 401, body = crate::Problem), (status = 403, body = crate::Problem), (status = 404, body = crate::Problem)))]
pub async fn get_case(
    State(state): State<AppState>,
    person: Person,
    Path(case_id): Path<String>,
) -> ApiResult<Json<CaseView>> {
    Ok(Json(case_view(&state, &person.0, &case_id).await?))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SubmittedInfo {
    pub case_id: String,
    /// True when an earlier submission with the same `Idempotency-Key` was returned.
    pub replayed: bool,
}

/// One uploaded file of a multipart form.
pub struct Upload {
    /// The form field it came in (`file`, or `file_0`… on the pages).
    pub field: String,
    pub file_name: String,
    pub bytes: Bytes,
}

/// Reads the multipart form: the `application` part (JSON) and the files in order. Sizes are
/// checked as the parts arrive.
pub async fn read_multipart(
    state: &AppState,
    mut multipart: Multipart,
) -> ApiResult<(
    Option<serde_json::Value>,
    Vec<Upload>,
    Vec<(String, String)>,
)> {
    let max = state.config.max_document_bytes;
    let mut application = None;
    let mut files = Vec::new();
    let mut fields = Vec::new();
    while let Some(field) = multipart
        .next_field()
        .await
        .map_err(|e| multipart_error(e, max))?
    {
        let name = field.name().unwrap_or_default().to_string();
        let file_name = field.file_name().map(str::to_string);
        let bytes = field.bytes().await.map_err(|e| multipart_error(e, max))?;
        match (name.as_str(), file_name) {
            ("application", _) => {
                application = Some(serde_json::from_slice(&bytes).map_err(|e| {
                    ApiError::bad_input("application", format!("not valid JSON: {e}"))
                })?);
            }
            (_, Some(file_name)) => {
                if file_name.is_empty() && bytes.is_empty() {
                    continue; // a file input left empty in a plain form
                }
                let i = files.len();
                if bytes.len() as u64 > max {
                    return Err(too_large(
                        &format!("documents[{i}]"),
                        bytes.len() as u64,
                        max,
                    ));
                }
                if files.len() >= state.config.max_documents {
                    return Err(ApiError::bad_input(
                        "documents",
                        format!(
                            "at most {} documents per upload",
                            state.config.max_documents
                        ),
                    ));
                }
                if MediaType::sniff(&bytes).is_none() {
                    return Err(ApiError {
                        status: StatusCode::UNSUPPORTED_MEDIA_TYPE,
                        detail: format!(
                            "{file_name}: only PDF, DOCX, plain-text, PNG and JPEG files are accepted"
                        ),
                        field: Some(format!("documents[{i}]")),
                    });
                }
                files.push(Upload {
                    field: name,
                    file_name,
                    bytes,
                });
            }
            (_, None) => fields.push((name, String::from_utf8_lossy(&bytes).into_owned())),
        }
    }
    Ok((application, files, fields))
}

fn too_large(field: &str, size: u64, max: u64) -> ApiError {
    ApiError {
        status: StatusCode::PAYLOAD_TOO_LARGE,
        detail: format!(
            "the file is {} but the limit is {} per document",
            human_size(size),
            human_size(max)
        ),
        field: Some(field.to_string()),
    }
}

fn multipart_error(e: MultipartError, max: u64) -> ApiError {
    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!(
                "the upload is larger than allowed: at most {} per document",
                human_size(max)
            ),
        )
    } else {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            format!("the upload could not be read: {}", e.body_text()),
        )
    }
}

/// Fills what the filer's role decides: whose application it is and by which channel, and the
/// documents' media types from their content when not declared.
pub fn complete_application(
    session: &Session,
    mut json: serde_json::Value,
    files: &[Upload],
) -> ApiResult<ApplicationForm> {
    let obj = json
        .as_object_mut()
        .ok_or_else(|| ApiError::bad_input("application", "must be a JSON object"))?;
    match session.role {
        Role::Applicant => {
            let person = obj.entry("person").or_insert_with(|| serde_json::json!({}));
            let person = person
                .as_object_mut()
                .ok_or_else(|| ApiError::bad_input("person", "must be an object"))?;
            match person.get("person_code").and_then(|v| v.as_str()) {
                Some(code) if code != session.person_code.as_str() => {
                    return Err(ApiError::new(
                        StatusCode::FORBIDDEN,
                        "an applicant applies for themselves; a representative applies for someone else",
                    ));
                }
                _ => {
                    person.insert("person_code".into(), session.person_code.as_str().into());
                }
            }
            obj.entry("channel")
                .or_insert_with(|| Channel::Eservice.as_str().into());
        }
        Role::Representative => {
            if obj.get("representative").is_none_or(|r| r.is_null()) {
                return Err(ApiError::bad_input(
                    "representative",
                    "a representative states their role and name",
                ));
            }
            obj.entry("channel")
                .or_insert_with(|| Channel::Eservice.as_str().into());
        }
        _ => {}
    }
    if obj.get("channel").and_then(|c| c.as_str()) == Some(Channel::Eservice.as_str())
        && session.role == Role::Clerk
    {
        return Err(ApiError::bad_input(
            "channel",
            "a clerk files assisted or paper applications",
        ));
    }
    if let Some(docs) = obj.get_mut("documents").and_then(|d| d.as_array_mut()) {
        for (doc, file) in docs.iter_mut().zip(files) {
            if let Some(doc) = doc.as_object_mut() {
                doc.entry("file_name")
                    .or_insert_with(|| file.file_name.clone().into());
                if let Some(found) = MediaType::sniff(&file.bytes) {
                    doc.entry("media_type")
                        .or_insert_with(|| found.as_str().into());
                }
            }
        }
    }
    check_region(obj)?;
    let bytes = serde_json::to_vec(&json).unwrap_or_default();
    ApplicationForm::from_json(&bytes).map_err(|e| ApiError::bad_input(e.field, e.rule))
}

/// A stated region must be one the branches serve: it decides which branch examines the case.
fn check_region(application: &serde_json::Map<String, serde_json::Value>) -> ApiResult<()> {
    let region = application.get("person").and_then(|p| p.get("region"));
    match region {
        None | Some(serde_json::Value::Null) => Ok(()),
        Some(serde_json::Value::String(r)) if atzinums_models::REGIONS.contains(&r.as_str()) => {
            Ok(())
        }
        Some(_) => Err(ApiError::bad_input(
            "person.region",
            format!(
                "must be one of the regions the branches serve: {}",
                atzinums_models::REGIONS.join(", ")
            ),
        )),
    }
}

/// Files an application from the person's form; shared by the JSON API and the pages.
pub async fn file_application(
    state: &AppState,
    session: &Session,
    json: serde_json::Value,
    files: Vec<Upload>,
    idempotency_key: Option<String>,
) -> ApiResult<SubmittedInfo> {
    state.limits.upload.check(&session.user_id)?;
    let form = complete_application(session, json, &files)?;
    let app = form
        .with_files(
            files.into_iter().map(|f| f.bytes).collect(),
            session.actor(),
            idempotency_key,
        )
        .map_err(|e| ApiError::bad_input(e.field, e.rule))?;
    let submitted = state.store.submit(&app).await?;
    Ok(SubmittedInfo {
        case_id: submitted.case_id,
        replayed: submitted.replayed,
    })
}

/// The multipart form of an application, as documented (the handler reads it part by part).
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct ApplicationParts {
    /// The application as JSON: `kind`, `requested_opinions`, `documents[]` with `kind` and
    /// optional `issued_at`; `person` and `representative` when a representative or clerk files.
    #[schema(content_media_type = "application/json")]
    application: String,
    /// One file part per entry of `documents`, in order.
    #[schema(value_type = Vec<String>, format = Binary)]
    file: Vec<Vec<u8>>,
}

/// The multipart form of more documents for a case waiting for them.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct MoreDocumentParts {
    /// Optional: `{"documents": [{"kind": …}]}`, one entry per file.
    #[schema(content_media_type = "application/json")]
    application: Option<String>,
    /// One file part per document.
    #[schema(value_type = Vec<String>, format = Binary)]
    file: Vec<Vec<u8>>,
}

#[utoipa::path(post, path = "/api/v1/applications", tag = "e-service",
    request_body(content = ApplicationParts, content_type = "multipart/form-data"),
    params(("Idempotency-Key" = Option<String>, Header, description = "A retry with the same key returns the first submission")),
    responses((status = 201, body = SubmittedInfo), (status = 200, body = SubmittedInfo, description = "a retry"),
        (status = 403, body = crate::Problem), (status = 413, body = crate::Problem), (status = 415, body = crate::Problem), (status = 422, body = crate::Problem)))]
pub async fn submit(
    State(state): State<AppState>,
    person: Person,
    headers: HeaderMap,
    multipart: Multipart,
) -> ApiResult<Response> {
    person.require(FILERS, "file applications")?;
    let (json, files, _) = read_multipart(&state, multipart).await?;
    let json = json
        .ok_or_else(|| ApiError::bad_input("application", "the `application` part is missing"))?;
    let key = headers
        .get("idempotency-key")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let submitted = file_application(&state, &person.0, json, files, key).await?;
    let status = if submitted.replayed {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    };
    Ok((status, Json(submitted)).into_response())
}

#[utoipa::path(get, path = "/api/v1/cases/{case_id}/documents/{position}", tag = "e-service",
    params(("case_id" = String, Path), ("position" = i32, Path, description = "0-based position in the application")),
    responses((status = 200, description = "the document's bytes", content_type = "application/octet-stream"), (status = 404, body = crate::Problem)))]
pub async fn document(
    State(state): State<AppState>,
    person: Person,
    Path((case_id, position)): Path<(String, i32)>,
) -> ApiResult<Response> {
    check_case_access(&state, &person.0, &case_id).await?;
    let record = state.store.read_case(&case_id, &person.0.actor()).await?;
    let doc = record
        .documents
        .iter()
        .find(|d| d.position == position)
        .ok_or_else(|| ApiError::new(StatusCode::NOT_FOUND, "no such document in this case"))?;
    let bytes = state.store.document_bytes(&doc.sha256).await?;
    state
        .store
        .audit(
            &person.0.actor(),
            "document.read",
            &case_id,
            serde_json::json!({ "position": position }),
        )
        .await?;
    Ok((
        [
            (header::CONTENT_TYPE, doc.media_type.as_str().to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("inline; filename=\"document-{position}\""),
            ),
            (header::CACHE_CONTROL, "private, no-store".to_string()),
        ],
        bytes,
    )
        .into_response())
}

/// Adds the documents an expert asked for; the case goes back to processing. Each file's kind
/// comes from the `application` part's `documents[i].kind` (else `other`).
pub async fn add_case_documents(
    state: &AppState,
    session: &Session,
    case_id: &str,
    json: Option<serde_json::Value>,
    files: Vec<Upload>,
) -> ApiResult<usize> {
    if !FILERS.contains(&session.role) {
        return Err(ApiError::forbidden("add documents"));
    }
    check_case_access(state, session, case_id).await?;
    state.limits.upload.check(&session.user_id)?;
    let described = json
        .as_ref()
        .and_then(|j| j.get("documents"))
        .and_then(|d| d.as_array())
        .cloned()
        .unwrap_or_default();
    let mut documents = Vec::with_capacity(files.len());
    for (i, file) in files.into_iter().enumerate() {
        let kind = match described
            .get(i)
            .and_then(|d| d.get("kind"))
            .and_then(|k| k.as_str())
        {
            Some(k) => k
                .parse::<DocumentKind>()
                .map_err(|e| ApiError::bad_input(format!("documents[{i}].kind"), e.to_string()))?,
            None => DocumentKind::Other,
        };
        let media_type = MediaType::sniff(&file.bytes).ok_or_else(|| {
            ApiError::bad_input(format!("documents[{i}]"), "unsupported file type")
        })?;
        documents.push(NewDocument {
            file_name: file.file_name,
            kind,
            media_type,
            issued_at: None,
            bytes: file.bytes,
        });
    }
    Ok(state
        .store
        .add_documents(case_id, &documents, &session.actor())
        .await?)
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Added {
    pub documents: usize,
}

#[utoipa::path(post, path = "/api/v1/cases/{case_id}/documents", tag = "e-service",
    params(("case_id" = String, Path)),
    request_body(content = MoreDocumentParts, content_type = "multipart/form-data"),
    responses((status = 201, body = Added), (status = 404, body = crate::Problem), (status = 409, body = crate::Problem, description = "the case is not waiting for documents"),
        (status = 413, body = crate::Problem), (status = 415, body = crate::Problem), (status = 422, body = crate::Problem)))]
pub async fn add_documents(
    State(state): State<AppState>,
    person: Person,
    Path(case_id): Path<String>,
    multipart: Multipart,
) -> ApiResult<Response> {
    let (json, files, _) = read_multipart(&state, multipart).await?;
    let documents = add_case_documents(&state, &person.0, &case_id, json, files).await?;
    Ok((StatusCode::CREATED, Json(Added { documents })).into_response())
}

/// Contests a decision: a new case of kind `contest` naming this one. Refused after the
/// 1-month window, with the rule and the dates.
pub async fn contest_case(
    state: &AppState,
    session: &Session,
    case_id: &str,
) -> ApiResult<SubmittedInfo> {
    if !OWNERS.contains(&session.role) {
        return Err(ApiError::forbidden(
            "contest a decision (the applicant or their representative does)",
        ));
    }
    check_case_access(state, session, case_id).await?;
    let person_code: PersonCode = state
        .store
        .person_code_of_case(case_id, &session.actor())
        .await?;
    let app = NewApplication {
        kind: ApplicationKind::Contest,
        channel: Channel::Eservice,
        person: NewPerson {
            person_code,
            birth_date: None,
            sex: None,
            region: None,
        },
        representative: None,
        requested_opinions: Vec::new(),
        previous_case_id: Some(case_id.to_string()),
        documents: Vec::new(),
        submitted_by: session.actor(),
        idempotency_key: Some(format!("contest:{case_id}")),
    };
    let submitted = state.store.submit(&app).await?;
    Ok(SubmittedInfo {
        case_id: submitted.case_id,
        replayed: submitted.replayed,
    })
}

#[utoipa::path(post, path = "/api/v1/cases/{case_id}/contest", tag = "e-service",
    params(("case_id" = String, Path)),
    responses((status = 201, body = SubmittedInfo), (status = 404, body = crate::Problem), (status = 422, body = crate::Problem, description = "past the 1-month window, or no decision")))]
pub async fn contest(
    State(state): State<AppState>,
    person: Person,
    Path(case_id): Path<String>,
) -> ApiResult<Response> {
    let submitted = contest_case(&state, &person.0, &case_id).await?;
    let status = if submitted.replayed {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    };
    Ok((status, Json(submitted)).into_response())
}

#[utoipa::path(post, path = "/api/v1/cases/{case_id}/certificate-duplicate", tag = "e-service",
    params(("case_id" = String, Path)),
    responses((status = 201, body = CertificateInfo), (status = 404, body = crate::Problem)))]
pub async fn certificate_duplicate(
    State(state): State<AppState>,
    person: Person,
    Path(case_id): Path<String>,
) -> ApiResult<Response> {
    person.require(
        &[Role::Applicant, Role::Representative, Role::Clerk],
        "issue certificate duplicates",
    )?;
    check_case_access(&state, &person.0, &case_id).await?;
    let c = state
        .store
        .issue_duplicate_certificate(&case_id, &person.0.actor())
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(CertificateInfo {
            id: c.id,
            duplicate_of: c.duplicate_of,
            issued_at_ms: c.issued_at_ms,
        }),
    )
        .into_response())
}

#[utoipa::path(get, path = "/api/v1/cases/{case_id}/decision.pdf", tag = "e-service",
    params(("case_id" = String, Path)),
    responses((status = 200, description = "the signed decision", content_type = "application/pdf"), (status = 404, body = crate::Problem)))]
pub async fn decision_pdf(
    State(state): State<AppState>,
    person: Person,
    Path(case_id): Path<String>,
) -> ApiResult<Response> {
    let view = case_view(&state, &person.0, &case_id).await?;
    if view.status != CaseStatus::Decided.as_str() {
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "this case has no signed decision yet",
        ));
    }
    let decision = view.decision.as_ref().ok_or_else(|| {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "this case has no signed decision yet",
        )
    })?;
    let bytes = crate::routes::pdf::decision_pdf(&view, decision)?;
    Ok((
        [
            (header::CONTENT_TYPE, "application/pdf".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{case_id}-lemums.pdf\""),
            ),
            (header::CACHE_CONTROL, "private, no-store".to_string()),
        ],
        bytes,
    )
        .into_response())
}
