//! The unified e-service's pages: my cases, apply with documents, a case's status against the
//! legal deadline, the decision, contest, duplicate certificate.

use atzinums_models::{ApplicationKind, DocumentKind, Role, Sex};
use axum::Router;
use axum::extract::{Multipart, Path, State};
use axum::response::Response;
use axum::routing::{get, post};
use maud::html;

use super::i18n::{T, status};
use super::{Page, date_of};
use crate::AppState;
use crate::error::ApiError;
use crate::routes::eservice;

/// File inputs on the application form.
const FILE_SLOTS: usize = 3;
const FILERS: &[Role] = &[Role::Applicant, Role::Representative, Role::Clerk];
/// The form's choices of sex, as (value, Latvian, English).
const SEXES: [(Sex, &str, &str); 3] = [
    (Sex::F, "sieviete", "female"),
    (Sex::M, "vīrietis", "male"),
    (Sex::X, "cits", "other"),
];

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/e-pakalpojums", get(my_cases))
        .route("/e-pakalpojums/pieteikums", post(apply))
        .route("/e-pakalpojums/lietas/{case_id}", get(case_page))
        .route("/e-pakalpojums/lietas/{case_id}/apstridet", post(contest))
        .route("/e-pakalpojums/lietas/{case_id}/dublikats", post(duplicate))
        .route(
            "/e-pakalpojums/lietas/{case_id}/dokumenti",
            post(add_documents),
        )
}

/// The documents of a plain form: file input `file_N` has its kind in select `doc_kind_N`.
fn described(files: &[eservice::Upload], fields: &[(String, String)]) -> Vec<serde_json::Value> {
    files
        .iter()
        .map(|f| {
            let slot = f.field.trim_start_matches("file_");
            let kind = fields
                .iter()
                .find(|(k, _)| *k == format!("doc_kind_{slot}"))
                .map_or("other", |(_, v)| v.as_str());
            serde_json::json!({ "kind": kind })
        })
        .collect()
}

fn signed_in(page: &Page, roles: &[Role]) -> Result<atzinums_store::Session, ApiError> {
    let s = page.session.clone().ok_or_else(ApiError::unauthenticated)?;
    if roles.contains(&s.role) {
        Ok(s)
    } else {
        Err(ApiError::forbidden("use the e-service"))
    }
}

async fn my_cases(State(state): State<AppState>, page: Page) -> Response {
    let session = match signed_in(&page, FILERS) {
        Ok(s) => s,
        Err(e) => return page.error(e),
    };
    let cases = match eservice::own_cases(&state, &session).await {
        Ok(c) => c,
        Err(e) => return page.error(e),
    };
    let kinds = [
        ApplicationKind::DisabilityFirst,
        ApplicationKind::DisabilityRepeat,
        ApplicationKind::PredictedDisability,
        ApplicationKind::OpinionOnly,
    ];
    // A clerk files for others: their list is the applications they took.
    let list_title = if session.role == Role::Clerk {
        T::FiledCases
    } else {
        T::MyCases
    };
    let body = html! {
        @if session.role == Role::Applicant {
            p { a href="/e-pakalpojums/mani-dati" { (page.t(T::MyData)) } }
        }
        section aria-labelledby="lietas" {
                h2 #lietas { (page.t(list_title)) }
                @if cases.is_empty() {
                    p { (page.t(T::NoCases)) }
                } @else {
                    table {
                        thead { tr { th scope="col" { (page.t(T::Case)) } th scope="col" { (page.t(T::Status)) } th scope="col" { (page.t(T::Deadline)) } } }
                        tbody {
                            @for c in &cases {
                                tr {
                                    td { a href={ "/e-pakalpojums/lietas/" (c.case_id) } { (c.case_id) } }
                                    td { (status(page.lang, &c.status)) }
                                    td { (c.deadline) }
                                }
                            }
                        }
                    }
                }
        }
        section aria-labelledby="pieteikties" {
            h2 #pieteikties { (page.t(T::Apply)) }
            form method="post" enctype="multipart/form-data" action=(page.action("/e-pakalpojums/pieteikums")) {
                p {
                    label for="kind" { (page.t(T::Kind)) }
                    select #kind name="kind" { @for k in kinds { option value=(k.as_str()) { (page.name_of(k.latvian(), k.as_str())) } } }
                }
                @if session.role != Role::Applicant {
                    p {
                        label for="person_code" { (page.t(T::PersonCode)) }
                        input #person_code type="text" name="person_code" required autocomplete="off";
                    }
                }
                p {
                    label for="region" { (page.t(T::Region)) }
                    select #region name="region" required {
                        option value="" { (page.t(T::ChooseOne)) }
                        @for r in atzinums_models::REGIONS { option value=(r) { (r) } }
                    }
                }
                p {
                    label for="sex" { (page.t(T::Sex)) }
                    select #sex name="sex" required {
                        option value="" { (page.t(T::ChooseOne)) }
                        @for (sex, latvian, english) in SEXES {
                            option value=(sex.as_str()) { (page.name_of(latvian, english)) }
                        }
                    }
                }
                @if session.role == Role::Representative {
                    p {
                        label for="rep_role" { "Pārstāvības pamats / Basis of representation" }
                        select #rep_role name="rep_role" {
                            @for r in atzinums_models::RepresentativeRole::ALL {
                                option value=(r.as_str()) { (page.name_of(r.latvian(), r.as_str())) }
                            }
                        }
                    }
                    p {
                        label for="rep_name" { "Pārstāvja vārds, uzvārds / Representative's name" }
                        input #rep_name type="text" name="rep_name" required;
                    }
                }
                fieldset {
                    legend { (page.t(T::Documents)) }
                    p #doc-hint { (page.t(T::DocumentHint)) }
                    @for i in 0..FILE_SLOTS {
                        p {
                            label for={ "doc_kind_" (i) } { (page.t(T::DocumentKind)) " " (i + 1) }
                            select id={ "doc_kind_" (i) } name={ "doc_kind_" (i) } {
                                @for k in DocumentKind::ALL { option value=(k.as_str()) { (page.name_of(k.latvian(), k.as_str())) } }
                            }
                            label for={ "file_" (i) } { (page.t(T::Document)) " " (i + 1) }
                            input id={ "file_" (i) } type="file" name={ "file_" (i) } aria-describedby="doc-hint" accept=".pdf,.docx,.txt,.png,.jpg,.jpeg";
                        }
                    }
                }
                button type="submit" { (page.t(T::Submit)) }
            }
        }
    };
    page.render(page.t(list_title), body)
}

async fn apply(State(state): State<AppState>, page: Page, multipart: Multipart) -> Response {
    let session = match signed_in(&page, FILERS) {
        Ok(s) => s,
        Err(e) => return page.error(e),
    };
    let result = async {
        let (_, files, fields) = eservice::read_multipart(&state, multipart).await?;
        let field = |name: &str| {
            fields
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.clone())
        };
        let documents = described(&files, &fields);
        let mut json = serde_json::json!({
            "kind": field("kind").unwrap_or_default(),
            "documents": documents,
        });
        if let Some(code) = field("person_code") {
            json["person"] = serde_json::json!({ "person_code": code.trim() });
        }
        if let Some(region) =
            field("region").filter(|r| atzinums_models::REGIONS.contains(&r.as_str()))
        {
            json["person"]["region"] = region.into();
        }
        // Sex is not in a Latvian personal code; the quality team's slices and the dataset
        // export need it. An unknown value is refused (422) by the application's own parsing.
        if let Some(sex) = field("sex").filter(|s| !s.is_empty()) {
            json["person"]["sex"] = sex.into();
        }
        if session.role == Role::Representative {
            json["representative"] =
                serde_json::json!({ "role": field("rep_role"), "name": field("rep_name") });
        }
        if session.role == Role::Clerk {
            json["channel"] = "assisted".into();
        }
        eservice::file_application(&state, &session, json, files, None).await
    }
    .await;
    page.then_go(result.map(|s| format!("/e-pakalpojums/lietas/{}", s.case_id)))
}

async fn case_page(
    State(state): State<AppState>,
    page: Page,
    Path(case_id): Path<String>,
) -> Response {
    let session = match page.person() {
        Ok(s) => s,
        Err(e) => return page.error(e),
    };
    let view = match eservice::case_view(&state, &session, &case_id).await {
        Ok(v) => v,
        Err(e) => return page.error(e),
    };
    let today = chrono::Utc::now().date_naive();
    let owner = matches!(session.role, Role::Applicant | Role::Representative);
    let body = html! {
        dl {
            dt { (page.t(T::Status)) } dd { strong { (status(page.lang, &view.status)) } }
            dt { (page.t(T::Deadline)) } dd { (view.deadline) }
            dt { (page.t(T::DeadlineMax)) } dd { (view.deadline_extended_max) }
        }
        section aria-labelledby="gaita" {
            h2 #gaita { (page.t(T::Timeline)) }
            ol {
                @for e in &view.timeline {
                    li {
                        (date_of(e.at_ms)) " — "
                        @if e.event.as_deref() == Some("extend_deadline") { (page.t(T::DeadlineExtended)) } @else { (status(page.lang, &e.status)) }
                        @if let Some(r) = &e.reason { ": " (r) }
                    }
                }
            }
        }
        section aria-labelledby="dokumenti" {
            h2 #dokumenti { (page.t(T::Documents)) }
            ul {
                @for d in &view.documents {
                    li { a href={ "/api/v1/cases/" (view.case_id) "/documents/" (d.position) } { (d.file_name) } " (" (d.kind) ")" }
                }
            }
        }
        @if view.status == "awaiting_documents" && session.role != Role::Expert {
            section aria-labelledby="papildinat" {
                h2 #papildinat { (page.t(T::Documents)) }
                @if let Some(why) = view.timeline.iter().rev().find(|e| e.event.as_deref() == Some("request_documents")).and_then(|e| e.reason.as_ref()) { p.notice { (why) } }
                form method="post" enctype="multipart/form-data" action=(page.action(&format!("/e-pakalpojums/lietas/{}/dokumenti", view.case_id))) {
                    p {
                        label for="more_kind" { (page.t(T::DocumentKind)) }
                        select #more_kind name="doc_kind_0" { @for k in DocumentKind::ALL { option value=(k.as_str()) { (page.name_of(k.latvian(), k.as_str())) } } }
                    }
                    p {
                        label for="more_file" { (page.t(T::Document)) }
                        input #more_file type="file" name="file_0" required accept=".pdf,.docx,.txt,.png,.jpg,.jpeg";
                    }
                    button type="submit" { (page.t(T::Submit)) }
                }
            }
        }
        @if let Some(d) = &view.decision {
            section aria-labelledby="lemums" {
                h2 #lemums { (page.t(T::Decision)) }
                p { (crate::routes::pdf::outcome_lv(d.outcome)) }
                p { a href={ "/api/v1/cases/" (view.case_id) "/decision.pdf" } { (page.t(T::DownloadDecision)) } }
                @if let Some(until) = view.contest_until {
                    p { (page.t(T::ContestUntil)) " " (until) }
                    @if owner && today <= until {
                        form method="post" action=(page.action(&format!("/e-pakalpojums/lietas/{}/apstridet", view.case_id))) {
                            button type="submit" { (page.t(T::Contest)) }
                        }
                    }
                }
                @if !view.certificates.is_empty() {
                    h3 { (page.t(T::Certificates)) }
                    ul { @for c in &view.certificates { li { (c.id) } } }
                    @if owner {
                        form method="post" action=(page.action(&format!("/e-pakalpojums/lietas/{}/dublikats", view.case_id))) {
                            button.secondary type="submit" { (page.t(T::Duplicate)) }
                        }
                    }
                }
            }
        }
        p { a href="/" { (page.t(T::Back)) } }
    };
    page.render(&format!("{} {}", page.t(T::Case), view.case_id), body)
}

async fn contest(
    State(state): State<AppState>,
    page: Page,
    Path(case_id): Path<String>,
) -> Response {
    let to = async {
        let session = page.person()?;
        let contest = eservice::contest_case(&state, &session, &case_id).await?;
        Ok(format!("/e-pakalpojums/lietas/{}", contest.case_id))
    };
    page.then_go(to.await)
}

async fn duplicate(
    State(state): State<AppState>,
    page: Page,
    Path(case_id): Path<String>,
) -> Response {
    let result = async {
        let session = signed_in(&page, &[Role::Applicant, Role::Representative])?;
        eservice::check_case_access(&state, &session, &case_id).await?;
        state
            .store
            .issue_duplicate_certificate(&case_id, &session.actor())
            .await?;
        Ok::<_, ApiError>(())
    }
    .await;
    page.then_go(result.map(|()| format!("/e-pakalpojums/lietas/{case_id}")))
}

async fn add_documents(
    State(state): State<AppState>,
    page: Page,
    Path(case_id): Path<String>,
    multipart: Multipart,
) -> Response {
    let result = async {
        let session = page.person()?;
        let (_, files, fields) = eservice::read_multipart(&state, multipart).await?;
        let json = serde_json::json!({ "documents": described(&files, &fields) });
        eservice::add_case_documents(&state, &session, &case_id, Some(json), files).await
    };
    page.then_go(
        result
            .await
            .map(|_| format!("/e-pakalpojums/lietas/{case_id}")),
    )
}
