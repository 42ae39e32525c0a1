//! Blind second readings (JSON). The quality team samples signed decisions; an expert who took
//! no part in a decision reads its case again from the documents alone — the draft and the
//! decision are not shown — and records the outcome they would have proposed. The console then
//! reports how far experts agree (Cohen's kappa).

use atzinums_models::{Outcome, Role, WorkCapacityLoss};
use atzinums_store::{MOST_SAMPLED, OpenSecondReading, Session};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::AppState;
use crate::auth::Person;
use crate::error::{ApiError, ApiResult};
use crate::routes::eservice::{DocumentInfo, filed_on};

/// Most open readings one list shows.
const MOST_LISTED: i64 = 200;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SampleRequest {
    /// How many signed decisions to sample (1–500).
    pub count: usize,
    /// From the decisions signed in the last this many weeks (1–104, default 4).
    #[serde(default)]
    pub weeks: Option<u32>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Sampled {
    /// How many were sampled: fewer than asked when fewer decisions are left unsampled.
    pub sampled: usize,
}

pub async fn sample(state: &AppState, session: &Session, req: &SampleRequest) -> ApiResult<usize> {
    let weeks = req.weeks.unwrap_or(4);
    if !(1..=104).contains(&weeks) {
        return Err(ApiError::bad_input("weeks", "must be 1 to 104"));
    }
    if !(1..=MOST_SAMPLED).contains(&req.count) {
        return Err(ApiError::bad_input(
            "count",
            format!("must be 1 to {MOST_SAMPLED}"),
        ));
    }
    let since = chrono::Utc::now() - chrono::Duration::weeks(i64::from(weeks));
    Ok(state
        .store
        .sample_second_readings(since.timestamp_millis(), req.count, &session.actor())
        .await?)
}

#[utoipa::path(post, path = "/api/v1/quality/second-readings", tag = "quality",
    request_body = SampleRequest,
    responses((status = 200, body = Sampled, description = "signed decisions sampled at random for a blind second reading"),
        (status = 401, body = crate::Problem), (status = 403, body = crate::Problem), (status = 422, body = crate::Problem)))]
pub async fn post_sample(
    State(state): State<AppState>,
    person: Person,
    Json(req): Json<SampleRequest>,
) -> ApiResult<Json<Sampled>> {
    person.require(&[Role::Quality], "sample decisions for a second reading")?;
    Ok(Json(Sampled {
        sampled: sample(&state, &person.0, &req).await?,
    }))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct OpenReading {
    pub case_id: String,
    pub sampled_at_ms: i64,
}

impl From<OpenSecondReading> for OpenReading {
    fn from(o: OpenSecondReading) -> Self {
        OpenReading {
            case_id: o.case_id,
            sampled_at_ms: o.sampled_at_ms,
        }
    }
}

pub async fn open(state: &AppState, session: &Session) -> ApiResult<Vec<OpenReading>> {
    Ok(state
        .store
        .open_second_readings(&session.actor(), MOST_LISTED)
        .await?
        .into_iter()
        .map(OpenReading::from)
        .collect())
}

#[utoipa::path(get, path = "/api/v1/second-readings", tag = "expert",
    responses((status = 200, body = Vec<OpenReading>, description = "sampled cases waiting for a second reading that this expert took no part in, oldest first"),
        (status = 401, body = crate::Problem), (status = 403, body = crate::Problem)))]
pub async fn list(
    State(state): State<AppState>,
    person: Person,
) -> ApiResult<Json<Vec<OpenReading>>> {
    person.require(&[Role::Expert], "read a case a second time")?;
    Ok(Json(open(&state, &person.0).await?))
}

/// What a second reader sees: the application and its documents, without the draft, the
/// decision or the case's history.
#[derive(Debug, Serialize, ToSchema)]
pub struct BlindCase {
    pub case_id: String,
    pub kind: String,
    pub submitted_at_ms: i64,
    /// Full years at filing, when the birth date is known.
    pub age_at_filing: Option<u32>,
    pub sex: Option<String>,
    pub requested_opinions: Vec<String>,
    pub previous_case_id: Option<String>,
    pub documents: Vec<DocumentInfo>,
}

pub async fn blind_case(
    state: &AppState,
    session: &Session,
    case_id: &str,
) -> ApiResult<BlindCase> {
    state
        .store
        .check_second_reader(case_id, &session.actor())
        .await?;
    // Audited like any case read by staff.
    let record = state.store.read_case(case_id, &session.actor()).await?;
    let facts = state.store.applicant_facts(case_id).await?;
    let filed = filed_on(&record);
    Ok(BlindCase {
        age_at_filing: facts.birth_date.and_then(|b| filed.years_since(b)),
        sex: facts.sex.map(|s| s.as_str().to_string()),
        kind: record.kind.as_str().into(),
        submitted_at_ms: record.submitted_at_ms,
        requested_opinions: record
            .requested_opinions
            .iter()
            .map(|o| o.as_str().to_string())
            .collect(),
        documents: record.documents.iter().map(DocumentInfo::from).collect(),
        previous_case_id: record.previous_case_id,
        case_id: record.case_id,
    })
}

#[utoipa::path(get, path = "/api/v1/second-readings/{case_id}", tag = "expert",
    params(("case_id" = String, Path)),
    responses((status = 200, body = BlindCase),
        (status = 401, body = crate::Problem), (status = 403, body = crate::Problem, description = "the expert took part in this decision"),
        (status = 404, body = crate::Problem, description = "not sampled, or already read")))]
pub async fn get_blind(
    State(state): State<AppState>,
    person: Person,
    Path(case_id): Path<String>,
) -> ApiResult<Json<BlindCase>> {
    person.require(&[Role::Expert], "read a case a second time")?;
    Ok(Json(blind_case(&state, &person.0, &case_id).await?))
}

/// The second reader's outcome.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Reading {
    #[schema(value_type = String, example = "group_II")]
    pub outcome: Outcome,
    /// Required with a group for an adult of working age; empty for children and pensioners.
    #[serde(default)]
    #[schema(value_type = Option<u8>)]
    pub work_capacity_loss_pct: Option<WorkCapacityLoss>,
}

pub async fn record(
    state: &AppState,
    session: &Session,
    case_id: &str,
    reading: &Reading,
) -> ApiResult<()> {
    Ok(state
        .store
        .record_second_reading(
            case_id,
            reading.outcome,
            reading.work_capacity_loss_pct,
            &session.actor(),
        )
        .await?)
}

#[utoipa::path(post, path = "/api/v1/second-readings/{case_id}", tag = "expert",
    params(("case_id" = String, Path)), request_body = Reading,
    responses((status = 204, description = "recorded"),
        (status = 401, body = crate::Problem), (status = 403, body = crate::Problem),
        (status = 404, body = crate::Problem), (status = 409, body = crate::Problem, description = "another expert recorded it first"),
        (status = 422, body = crate::Problem)))]
pub async fn post_reading(
    State(state): State<AppState>,
    person: Person,
    Path(case_id): Path<String>,
    Json(reading): Json<Reading>,
) -> ApiResult<StatusCode> {
    person.require(&[Role::Expert], "read a case a second time")?;
    record(&state, &person.0, &case_id, &reading).await?;
    Ok(StatusCode::NO_CONTENT)
}
