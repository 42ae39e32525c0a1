//! "Kvalitāte": the quality team's console — per week, how often the signed outcome is the
//! drafted one, how much experts edit and which fields, and a drift alert.

use atzinums_models::Role;
use axum::Router;
use axum::extract::{Query, State};
use axum::response::Response;
use axum::routing::get;
use maud::html;

use super::Page;
use super::i18n::T;
use crate::AppState;
use crate::error::ApiError;
use crate::routes::quality::{Window, live};

pub fn router() -> Router<AppState> {
    Router::new().route("/kvalitate", get(console))
}

fn pct(v: Option<f64>) -> String {
    v.map_or("—".into(), |x| format!("{:.1} %", x * 100.0))
}

fn num(v: Option<f64>) -> String {
    v.map_or("—".into(), |x| format!("{x:.2}"))
}

/// ` (0.41–0.77)`, or nothing without an interval.
fn interval(v: Option<(f64, f64)>) -> String {
    v.map_or(String::new(), |(lo, hi)| format!(" ({lo:.2}–{hi:.2})"))
}

fn interval_pct(v: Option<(f64, f64)>) -> String {
    v.map_or(String::new(), |(lo, hi)| {
        format!(" ({:.1}–{:.1} %)", lo * 100.0, hi * 100.0)
    })
}

async fn console(
    State(state): State<AppState>,
    page: Page,
    Query(window): Query<Window>,
) -> Response {
    let session = match page.person() {
        Ok(s) if s.role == Role::Quality => s,
        Ok(_) => return page.error(ApiError::forbidden("read quality statistics")),
        Err(e) => return page.error(e),
    };
    let q = match live(&state, &session, window.weeks).await {
        Ok(q) => q,
        Err(e) => return page.error(e),
    };
    let agreement = &q.second_reading;
    let q = &q.live;
    let mut fields: Vec<(&String, &usize)> = q.fields_changed.iter().collect();
    fields.sort_by_key(|(f, n)| (std::cmp::Reverse(**n), (*f).clone()));
    let body = html! {
        p { (page.t(T::QualityIntro)) }
        @if let Some(d) = &q.drift {
            p.notice role="alert" {
                strong { (page.t(T::DriftAlert)) } " "
                (pct(Some(d.recent_agreement))) " (" (pct(Some(d.recent_agreement_95.0))) "–" (pct(Some(d.recent_agreement_95.1))) "), "
                (d.recent_cases) " / " (d.recent_weeks) " " (page.t(T::WeeksShort)) "; "
                (page.t(T::Before)) " " (pct(Some(d.earlier_agreement))) ", " (d.earlier_cases) " / " (d.earlier_weeks) " " (page.t(T::WeeksShort)) "."
            }
        }
        section aria-labelledby="nedelas" {
            h2 #nedelas { (page.t(T::ByWeek)) }
            @if q.weeks.is_empty() {
                p { (page.t(T::NoSignedDecisions)) }
            } @else {
                table {
                    thead { tr {
                        th scope="col" { (page.t(T::Week)) }
                        th scope="col" { (page.t(T::Signed)) }
                        th scope="col" { (page.t(T::OutcomeAgreement)) }
                        th scope="col" { (page.t(T::Unedited)) }
                        th scope="col" { (page.t(T::FieldsChanged)) }
                        th scope="col" { (page.t(T::TextEdited)) }
                        th scope="col" { (page.t(T::StandardAgreement)) }
                    } }
                    tbody {
                        @for w in &q.weeks {
                            tr {
                                th scope="row" { (w.week) }
                                td { (w.signed) }
                                td { (pct(w.outcome_agreement)) }
                                td { (pct(w.unedited_share)) }
                                td { (w.mean_fields_changed.map_or("—".into(), |x| format!("{x:.2}"))) }
                                td { (pct(w.mean_text_edit)) }
                                td { (pct(w.standard_agreement)) " (" (w.standard) ")" }
                            }
                        }
                    }
                }
            }
        }
        section aria-labelledby="lauki" {
            h2 #lauki { (page.t(T::MostEdited)) }
            @if fields.is_empty() {
                p { "—" }
            } @else {
                ul { @for (f, n) in &fields { li { code { (f) } ": " (n) } } }
            }
        }
        section aria-labelledby="otra" {
            h2 #otra { (page.t(T::ExpertAgreement)) }
            p { (page.t(T::ExpertAgreementIntro)) }
            @if agreement.pairs == 0 {
                p { (page.t(T::NoReadings)) }
            } @else {
                dl {
                    dt { (page.t(T::CompletedReadings)) } dd { (agreement.pairs) }
                    dt { (page.t(T::OutcomeAgreement)) } dd { (pct(agreement.outcome_agreement)) (interval_pct(agreement.outcome_agreement_95)) }
                    dt { (page.t(T::CohenKappa)) } dd { (num(agreement.kappa)) (interval(agreement.kappa_95)) }
                    dt { (page.t(T::QuadraticKappa)) } dd { (num(agreement.quadratic_weighted_kappa)) " (" (agreement.adult_pairs) ")" }
                    dt { (page.t(T::PctDifference)) } dd { (agreement.pct_mae.map_or("—".into(), |x| format!("{x:.1}"))) }
                }
            }
            p { (page.t(T::AwaitingReading)) ": " (agreement.pending) }
            form method="post" action=(page.action("/kvalitate/otra-lasisana")) {
                p {
                    label for="count" { (page.t(T::HowMany)) }
                    input #count type="number" name="count" min="1" max=(atzinums_store::MOST_SAMPLED) value="20" required;
                    " "
                    label for="weeks" { (page.t(T::WeeksBack)) }
                    input #weeks type="number" name="weeks" min="1" max="104" value="4" required;
                    " "
                    button type="submit" { (page.t(T::SampleForReading)) }
                }
            }
        }
        section aria-labelledby="eksports" {
            h2 #eksports { (page.t(T::Export)) }
            p { (page.t(T::ExportIntro)) }
            p { a href={ "/api/v1/quality/export?weeks=" (window.weeks.unwrap_or(26)) } download { (page.t(T::ExportDownload)) } }
        }
        p { a href="/api/v1/quality/live" { "JSON" } " · " a href="/darbs" { (page.t(T::Queues)) } }
    };
    page.render(page.t(T::Quality), body)
}
