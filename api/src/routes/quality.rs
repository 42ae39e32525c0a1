//! The quality console's data: live quality from signed decisions (agreement of drafts with
//! signatures per week, how much experts edit, which fields, drift), for the quality role.

use atzinums_eval::expert_agreement::{ExpertAgreement, ReadingPair, expert_agreement};
use atzinums_eval::live::{LiveQuality, SignedRecord, live_quality};
use atzinums_models::Outcome;
use atzinums_models::Role;
use atzinums_store::Session;
use axum::Json;
use axum::extract::{Query, State};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::AppState;
use crate::auth::Person;
use crate::error::{ApiError, ApiResult};

/// Most signed decisions one view reads.
const MOST_DECISIONS: i64 = 5_000;

#[derive(Debug, Deserialize, IntoParams)]
pub struct Window {
    /// How many weeks back (1–104, default 26).
    pub weeks: Option<u32>,
}

/// What the console shows: live quality of the drafts and agreement between experts.
#[derive(Debug, Serialize)]
pub struct QualityView {
    #[serde(flatten)]
    pub live: LiveQuality,
    /// Blind second readings completed in the window against the signed decisions.
    pub second_reading: ExpertAgreement,
}

/// The console's JSON (see `atzinums_eval::live` and `atzinums_eval::expert_agreement`).
#[derive(ToSchema)]
#[schema(value_type = Object)]
#[allow(dead_code)]
pub struct QualityViewDoc(QualityView);

/// Live quality and expert agreement over the last `weeks` weeks.
pub async fn live(
    state: &AppState,
    session: &Session,
    weeks: Option<u32>,
) -> ApiResult<QualityView> {
    let weeks = weeks.unwrap_or(26);
    if !(1..=104).contains(&weeks) {
        return Err(ApiError::bad_input("weeks", "must be 1 to 104"));
    }
    let now = chrono::Utc::now();
    let since = now - chrono::Duration::weeks(i64::from(weeks));
    let rows = state
        .store
        .signed_comparisons(since.timestamp_millis(), MOST_DECISIONS, &session.actor())
        .await?;
    let records: Vec<SignedRecord> = rows
        .into_iter()
        .map(|c| {
            let signed_on = chrono::DateTime::from_timestamp_millis(c.signed_at_ms)
                .map(|d| d.date_naive())
                .unwrap_or_default();
            SignedRecord {
                signed_on,
                draft_outcome: c.draft_outcome,
                signed_outcome: c.signed_outcome,
                route: c.draft_route,
                fields_changed: None,
                text_edit: None,
            }
            .with_diff(c.diff.as_ref())
        })
        .collect();
    let readings = state
        .store
        .second_readings(since.timestamp_millis(), &session.actor())
        .await?;
    let pairs: Vec<ReadingPair> = readings
        .pairs
        .iter()
        .filter_map(|p| {
            Some(ReadingPair {
                signed: p.signed_outcome.parse::<Outcome>().ok()?,
                signed_pct: p.signed_pct.map(f64::from),
                second: p.second_outcome.parse::<Outcome>().ok()?,
                second_pct: p.second_pct.map(f64::from),
            })
        })
        .collect();
    Ok(QualityView {
        live: live_quality(&records, now.date_naive()),
        second_reading: expert_agreement(&pairs, readings.pending),
    })
}

#[utoipa::path(get, path = "/api/v1/quality/live", tag = "quality", params(Window),
    responses((status = 200, body = QualityViewDoc, description = "per week (newest first): signed, compared, outcome agreement, unedited share, mean fields changed, mean text edit, standard route agreement; fields changed; a drift alert; agreement between experts on blind second readings (Cohen's kappa)"),
        (status = 401, body = crate::Problem), (status = 403, body = crate::Problem), (status = 422, body = crate::Problem)))]
pub async fn get_live(
    State(state): State<AppState>,
    person: Person,
    Query(window): Query<Window>,
) -> ApiResult<Json<QualityView>> {
    person.require(&[Role::Quality], "read quality statistics")?;
    Ok(Json(live(&state, &person.0, window.weeks).await?))
}
