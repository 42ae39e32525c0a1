//! "Otrā lasīšana": the expert's list of sampled cases to read again, the blind case page (the
//! application and its documents, never the draft or the decision) with the outcome form, and
//! the quality team's sampling form.

use atzinums_models::{Outcome, Role};
use axum::Router;
use axum::extract::{Form, Path, State};
use axum::response::Response;
use axum::routing::{get, post};
use maud::html;

use super::i18n::T;
use super::{Page, date_of, field, outcome_and_pct};
use crate::AppState;
use crate::error::ApiError;
use crate::routes::second_reading::{Reading, SampleRequest, blind_case, open, record, sample};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/darbs/otra-lasisana", get(list_page))
        .route(
            "/darbs/otra-lasisana/{case_id}",
            get(blind_page).post(record_reading),
        )
        .route("/kvalitate/otra-lasisana", post(sample_readings))
}

async fn list_page(State(state): State<AppState>, page: Page) -> Response {
    let listed = async {
        let session = page.person_as(Role::Expert)?;
        open(&state, &session).await
    };
    let items = match listed.await {
        Ok(items) => items,
        Err(e) => return page.error(e),
    };
    let body = html! {
        p { (page.t(T::SecondReadingIntro)) }
        @if items.is_empty() {
            p { (page.t(T::Empty)) }
        } @else {
            table {
                thead { tr { th scope="col" { (page.t(T::Case)) } th scope="col" { (page.t(T::When)) } } }
                tbody {
                    @for i in &items {
                        tr {
                            td { a href={ "/darbs/otra-lasisana/" (i.case_id) } { (i.case_id) } }
                            td { (date_of(i.sampled_at_ms)) }
                        }
                    }
                }
            }
        }
        p { a href="/darbs" { (page.t(T::Queues)) } }
    };
    page.render(page.t(T::SecondReading), body)
}

async fn blind_page(
    State(state): State<AppState>,
    page: Page,
    Path(case_id): Path<String>,
) -> Response {
    let shown = async {
        let session = page.person_as(Role::Expert)?;
        blind_case(&state, &session, &case_id).await
    };
    let case = match shown.await {
        Ok(case) => case,
        Err(e) => return page.error(e),
    };
    let body = html! {
        p.notice role="note" { (page.t(T::SecondReadingBlind)) }
        dl {
            dt { (page.t(T::Kind)) } dd { (case.kind) }
            dt { (page.t(T::AgeAtFiling)) } dd { (case.age_at_filing.map_or("—".into(), |a| a.to_string())) }
            dt { (page.t(T::Sex)) } dd { (case.sex.as_deref().unwrap_or("—")) }
            @if !case.requested_opinions.is_empty() {
                dt { (page.t(T::Opinions)) } dd { (case.requested_opinions.join(", ")) }
            }
        }
        section aria-labelledby="dokumenti" {
            h2 #dokumenti { (page.t(T::Documents)) }
            ul {
                @for d in &case.documents {
                    li { a href={ "/darbs/lietas/" (case.case_id) "/dokumenti/" (d.id) "?otra=1" } { (d.file_name) } " (" (d.kind) ")" }
                }
            }
        }
        form method="post" action=(page.action(&format!("/darbs/otra-lasisana/{}", case.case_id))) {
            p {
                label for="outcome" { (page.t(T::Outcome)) }
                select #outcome name="outcome" required {
                    option value="" { (page.t(T::ChooseOne)) }
                    @for o in Outcome::ALL { option value=(o.as_str()) { (crate::routes::pdf::outcome_lv(*o)) } }
                }
            }
            p {
                label for="pct" { (page.t(T::Percent)) }
                input #pct type="number" name="work_capacity_loss_pct" min="0" max="100";
            }
            p { button type="submit" { (page.t(T::RecordReading)) } }
        }
        p { a href="/darbs/otra-lasisana" { (page.t(T::Back)) } }
    };
    page.render(
        &format!("{} — {}", page.t(T::SecondReading), case.case_id),
        body,
    )
}

async fn record_reading(
    State(state): State<AppState>,
    page: Page,
    Path(case_id): Path<String>,
    Form(form): Form<Vec<(String, String)>>,
) -> Response {
    let result = async {
        let session = page.person_as(Role::Expert)?;
        let (outcome, pct) = outcome_and_pct(&form)?;
        let reading = Reading {
            outcome,
            work_capacity_loss_pct: pct,
        };
        record(&state, &session, &case_id, &reading).await?;
        Ok("/darbs/otra-lasisana".to_string())
    };
    page.then_go(result.await)
}

async fn sample_readings(
    State(state): State<AppState>,
    page: Page,
    Form(form): Form<Vec<(String, String)>>,
) -> Response {
    let result = async {
        let session = page.person_as(Role::Quality)?;
        let number = |name: &str| -> Result<u32, ApiError> {
            field(&form, name)
                .parse()
                .map_err(|_| ApiError::bad_input(name.to_string(), "must be a whole number"))
        };
        let request = SampleRequest {
            count: number("count")? as usize,
            weeks: Some(number("weeks")?),
        };
        sample(&state, &session, &request).await?;
        Ok("/kvalitate#otra".to_string())
    };
    page.then_go(result.await)
}
