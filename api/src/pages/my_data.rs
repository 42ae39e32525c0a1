//! "Mani dati": the applicant's record, decisions, opinions and certificates, and who has read
//! their data, with the whole as a JSON file to keep.

use atzinums_models::Role;
use axum::Router;
use axum::extract::State;
use axum::response::Response;
use axum::routing::get;
use maud::html;

use super::i18n::{T, role_name};
use super::{Page, date_of};
use crate::AppState;
use crate::error::ApiError;
use crate::routes::my_data::my_data;
use crate::routes::pdf::outcome_lv;

pub fn router() -> Router<AppState> {
    Router::new().route("/e-pakalpojums/mani-dati", get(my_data_page))
}

async fn my_data_page(State(state): State<AppState>, page: Page) -> Response {
    let session = match page.person() {
        Ok(s) if s.role == Role::Applicant => s,
        Ok(_) => {
            return page.error(ApiError::forbidden(
                "see one's own data (a representative sees the cases they filed in the case list)",
            ));
        }
        Err(e) => return page.error(e),
    };
    let data = match my_data(&state, &session).await {
        Ok(d) => d,
        Err(e) => return page.error(e),
    };
    let decided: Vec<_> = data
        .cases
        .iter()
        .filter_map(|c| c.decision.as_ref().map(|d| (c, d)))
        .collect();
    let yes_no = |granted: bool| match (granted, page.lang) {
        (true, super::i18n::Lang::Lv) => "ir",
        (false, super::i18n::Lang::Lv) => "nav",
        (true, super::i18n::Lang::En) => "granted",
        (false, super::i18n::Lang::En) => "not granted",
    };
    let body = html! {
        p { a href="/api/v1/me/data" download="mani-dati.json" { (page.t(T::DownloadMyData)) } }
        section aria-labelledby="persona" {
            h2 #persona { (page.t(T::PersonalData)) }
            @if let Some(p) = &data.person {
                dl {
                    dt { (page.t(T::PersonCode)) } dd { (p.person_code) }
                    dt { (page.t(T::BirthDate)) } dd { (p.birth_date.as_deref().unwrap_or("—")) }
                    dt { (page.t(T::Sex)) } dd { (p.sex.as_deref().unwrap_or("—")) }
                    dt { (page.t(T::Region)) } dd { (p.region.as_deref().unwrap_or("—")) }
                    dt { (page.t(T::Registered)) } dd { (date_of(p.registered_at_ms)) }
                }
            } @else {
                p { (page.t(T::NoCases)) }
            }
        }
        section aria-labelledby="lemumi" {
            h2 #lemumi { (page.t(T::Decisions)) }
            @if decided.is_empty() {
                p { (page.t(T::NoDecisions)) }
            } @else {
                table {
                    thead { tr {
                        th scope="col" { (page.t(T::Case)) }
                        th scope="col" { (page.t(T::DecidedOn)) }
                        th scope="col" { (page.t(T::Outcome)) }
                        th scope="col" { (page.t(T::Percent)) }
                        th scope="col" { (page.t(T::Term)) }
                        th scope="col" { (page.t(T::Decision)) }
                    } }
                    tbody {
                        @for (c, d) in &decided {
                            tr {
                                td { a href={ "/e-pakalpojums/lietas/" (c.case_id) } { (c.case_id) } }
                                td { (d.decided_at.format("%d.%m.%Y.")) }
                                td { (outcome_lv(d.outcome)) }
                                td { @if let Some(p) = d.work_capacity_loss_pct { (p.value()) } @else { "—" } }
                                td { @if let Some(t) = d.term { (t.latvian()) } @else { "—" } }
                                td { a href={ "/api/v1/cases/" (c.case_id) "/decision.pdf" } { "PDF" span.visually-hidden { " " (c.case_id) } } }
                            }
                        }
                    }
                }
            }
        }
        section aria-labelledby="atzinumi" {
            h2 #atzinumi { (page.t(T::Opinions)) }
            @let opinions: Vec<_> = decided.iter().flat_map(|(c, d)| d.opinions.iter().map(move |(k, g)| (c, k, *g))).collect();
            @if opinions.is_empty() {
                p { (page.t(T::NoOpinions)) }
            } @else {
                ul {
                    @for (c, kind, granted) in opinions {
                        li { (c.case_id) ": " (page.name_of(kind.latvian(), kind.as_str())) " — " (yes_no(granted)) }
                    }
                }
            }
        }
        section aria-labelledby="apliecibas" {
            h2 #apliecibas { (page.t(T::Certificates)) }
            @let certificates: Vec<_> = data.cases.iter().flat_map(|c| c.certificates.iter().map(move |k| (c, k))).collect();
            @if certificates.is_empty() {
                p { (page.t(T::NoCertificates)) }
            } @else {
                ul {
                    @for (c, k) in certificates {
                        li {
                            (k.id) " (" (c.case_id) ", " (date_of(k.issued_at_ms))
                            @if k.duplicate_of.is_some() { ", " (page.t(T::DuplicateCopy)) }
                            ")"
                        }
                    }
                }
            }
        }
        section aria-labelledby="piekluve" {
            h2 #piekluve { (page.t(T::WhoRead)) }
            p { (page.t(T::WhoReadHint)) }
            @if data.accesses.is_empty() {
                p { (page.t(T::NoAccesses)) }
            } @else {
                table {
                    thead { tr {
                        th scope="col" { (page.t(T::When)) }
                        th scope="col" { (page.t(T::Who)) }
                        th scope="col" { (page.t(T::What)) }
                    } }
                    tbody {
                        @for a in &data.accesses {
                            tr {
                                td { (date_of(a.at_ms)) }
                                td { (a.institution.as_deref().unwrap_or(role_name(page.lang, &a.by_role))) }
                                td {
                                    @match (a.case_id.as_deref(), a.action.as_str()) {
                                        (Some(case_id), "document.read") => { (page.t(T::DocumentRead)) " " (case_id) }
                                        (Some(case_id), _) => { (page.t(T::CaseRead)) " " (case_id) }
                                        (None, _) => { (page.t(T::StatusRead)) }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        p { a href="/e-pakalpojums" { (page.t(T::Back)) } }
    };
    page.render(page.t(T::MyData), body)
}
