//! The status service for institutions (VSAA, SIVA, municipalities): a person's disability
//! status as of a date, and the feed of changes read by cursor. Token scope `status:read`.
//! The person code travels in the request body, never in a URL (URLs end up in logs).

use atzinums_models::PersonCode;
use atzinums_store::DisabilityStatus;
use axum::Json;
use axum::extract::{Query, State};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::AppState;
use crate::auth::Institution;
use crate::error::{ApiError, ApiResult};

pub const STATUS_SCOPE: &str = "status:read";

fn require_scope(token: &atzinums_store::ApiToken) -> ApiResult<()> {
    if token.allows(STATUS_SCOPE) {
        Ok(())
    } else {
        Err(ApiError::new(
            axum::http::StatusCode::FORBIDDEN,
            format!("this token lacks the scope {STATUS_SCOPE}"),
        ))
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StatusQuery {
    #[schema(value_type = String, example = "010203-12345")]
    pub person_code: PersonCode,
    /// The day to answer for; today when absent.
    #[serde(default)]
    pub as_of: Option<NaiveDate>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct StatusAnswer {
    pub as_of: NaiveDate,
    pub disabled: bool,
    pub outcome: Option<String>,
    pub work_capacity_loss_pct: Option<u8>,
    #[schema(value_type = Option<Object>)]
    pub term: Option<atzinums_models::Term>,
    pub valid_from: Option<NaiveDate>,
    pub valid_to: Option<NaiveDate>,
}

impl From<DisabilityStatus> for StatusAnswer {
    fn from(s: DisabilityStatus) -> Self {
        StatusAnswer {
            as_of: s.as_of,
            disabled: s.disabled,
            outcome: s.outcome.map(|o| o.as_str().to_string()),
            work_capacity_loss_pct: s.work_capacity_loss_pct.map(|p| p.value()),
            term: s.term,
            valid_from: s.valid_from,
            valid_to: s.valid_to,
        }
    }
}

#[utoipa::path(post, path = "/api/v1/status", tag = "institutions", request_body = StatusQuery,
    security(("bearer" = [])),
    responses((status = 200, body = StatusAnswer), (status = 401, body = crate::Problem), (status = 403, body = crate::Problem), (status = 422, body = crate::Problem)))]
pub async fn status(
    State(state): State<AppState>,
    Institution(token): Institution,
    Json(q): Json<StatusQuery>,
) -> ApiResult<Json<StatusAnswer>> {
    require_scope(&token)?;
    let as_of = q.as_of.unwrap_or_else(|| chrono::Utc::now().date_naive());
    let answer = state
        .store
        .disability_status(&q.person_code, as_of, &token.actor())
        .await?;
    Ok(Json(answer.into()))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ChangesQuery {
    /// The last `seq` already read (0 to start).
    #[serde(default)]
    pub cursor: i64,
    /// At most this many (1 to 1000, default 100).
    #[serde(default)]
    pub limit: Option<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Change {
    pub seq: i64,
    #[schema(value_type = String)]
    pub person_code: PersonCode,
    pub at_ms: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Changes {
    pub changes: Vec<Change>,
    /// Pass as `cursor` next time.
    pub next_cursor: i64,
}

#[utoipa::path(get, path = "/api/v1/status/changes", tag = "institutions", params(ChangesQuery),
    security(("bearer" = [])),
    responses((status = 200, body = Changes), (status = 401, body = crate::Problem), (status = 403, body = crate::Problem)))]
pub async fn changes(
    State(state): State<AppState>,
    Institution(token): Institution,
    Query(q): Query<ChangesQuery>,
) -> ApiResult<Json<Changes>> {
    require_scope(&token)?;
    let limit = q.limit.unwrap_or(100);
    if !(1..=1000).contains(&limit) {
        return Err(ApiError::bad_input("limit", "must be 1 to 1000"));
    }
    if q.cursor < 0 {
        return Err(ApiError::bad_input(
            "cursor",
            "must be 0 or a seq returned before",
        ));
    }
    let events = state
        .store
        .status_changes(q.cursor, limit, &token.actor())
        .await?;
    let next_cursor = events.last().map_or(q.cursor, |e| e.seq);
    Ok(Json(Changes {
        changes: events
            .into_iter()
            .map(|e| Change {
                seq: e.seq,
                person_code: e.person_code,
                at_ms: e.at_ms,
            })
            .collect(),
        next_cursor,
    }))
}
