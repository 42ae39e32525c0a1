//! "My data" (GDPR Art. 15): everything the service holds about the signed-in applicant — their
//! record, their cases with decisions, opinions and certificates — and who has read it. The
//! pages show it; the API hands it over as one JSON document.

use atzinums_models::Role;
use atzinums_store::{DataAccess, Session};
use axum::Json;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

use crate::AppState;
use crate::auth::Person;
use crate::error::ApiResult;
use crate::routes::eservice::{CaseView, case_view};

/// Most reads of one's data listed (newest first).
const ACCESSES_SHOWN: i64 = 500;

#[derive(Debug, Serialize, ToSchema)]
pub struct MyData {
    /// The person's record; `None` before their first application.
    pub person: Option<PersonData>,
    /// The person's own cases, newest first, each with its decision and certificates.
    pub cases: Vec<CaseView>,
    /// Reads of the person's cases and status by others, newest first.
    pub accesses: Vec<AccessInfo>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PersonData {
    pub person_code: String,
    pub birth_date: Option<String>,
    pub sex: Option<String>,
    /// Declared region of residence: its branch examines the person's cases.
    pub region: Option<String>,
    pub registered_at_ms: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AccessInfo {
    pub at_ms: i64,
    /// The reader's role; staff are not named.
    pub by_role: String,
    /// The institution that read it, for status-service reads.
    pub institution: Option<String>,
    /// `case.read`, `case.read_person_code`, `document.read` or `status.read`.
    pub action: String,
    pub case_id: Option<String>,
}

impl From<DataAccess> for AccessInfo {
    fn from(a: DataAccess) -> Self {
        AccessInfo {
            at_ms: a.at_ms,
            by_role: a.by_role,
            institution: a.institution,
            action: a.action,
            case_id: a.case_id,
        }
    }
}

/// Gathers the applicant's data. Each case is read through the audited path, like any read.
pub async fn my_data(state: &AppState, session: &Session) -> ApiResult<MyData> {
    let profile = state.store.person_profile(&session.person_code).await?;
    let case_ids = state.store.cases_of_person(&session.person_code).await?;
    let mut cases = Vec::with_capacity(case_ids.len());
    for id in &case_ids {
        cases.push(case_view(state, session, id).await?);
    }
    let accesses = state
        .store
        .data_accesses(
            &session.person_code,
            &case_ids,
            &session.user_id,
            ACCESSES_SHOWN,
        )
        .await?;
    Ok(MyData {
        person: profile.map(|p| PersonData {
            person_code: session.person_code.as_str().to_string(),
            birth_date: p.birth_date,
            sex: p.sex,
            region: p.region,
            registered_at_ms: p.registered_at_ms,
        }),
        cases,
        accesses: accesses.into_iter().map(AccessInfo::from).collect(),
    })
}

#[utoipa::path(get, path = "/api/v1/me/data", tag = "e-service",
    responses((status = 200, body = MyData, description = "the applicant's data, as a file to keep"),
        (status = 401, body = crate::Problem), (status = 403, body = crate::Problem)))]
pub async fn get_my_data(State(state): State<AppState>, person: Person) -> ApiResult<Response> {
    person.require(
        &[Role::Applicant],
        "export one's own data (a representative sees the cases they filed in the case list)",
    )?;
    let data = my_data(&state, &person.0).await?;
    Ok((
        [
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"mani-dati.json\"",
            ),
            (header::CACHE_CONTROL, "private, no-store"),
        ],
        Json(data),
    )
        .into_response())
}
