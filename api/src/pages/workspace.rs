//! The expert workspace and the official's signing pages: queues by legal deadline, the case
//! beside its evidence (quoted, with document and page) and its precedents, the proposed
//! decision as an editable form, and the actions, each with its reason.

use std::collections::BTreeMap;

use atzinums_models::{Cause, OpinionKind, Outcome, Role, Term, TermMonths};
use axum::Router;
use axum::extract::{Form, Path, Query, State};
use axum::response::Response;
use axum::routing::{get, post};
use maud::{Markup, html};

use super::i18n::{T, status};
use super::{Page, field, outcome_and_pct};
use crate::AppState;
use crate::error::ApiError;
use crate::routes::pdf::readable_citations;
use crate::routes::review::{self, ProposalEdit, QUEUES, ReasonedAction};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/darbs", get(queues))
        .route("/darbs/{queue}/nemt", post(take_next))
        .route("/darbs/lietas/{case_id}", get(case_page))
        .route("/darbs/lietas/{case_id}/priekslikums", post(save))
        .route("/darbs/lietas/{case_id}/darbiba", post(act))
        .route("/darbs/lietas/{case_id}/termins", post(extend_deadline))
        .route("/parakstisana", get(signature_queue))
        .route("/parakstisana/lietas/{case_id}", get(case_page))
        .route("/parakstisana/lietas/{case_id}/parakstit", post(sign))
}

/// `?filiale=…`: one branch's part of the queues.
#[derive(serde::Deserialize)]
struct BranchFilter {
    filiale: Option<String>,
}

/// A queue's name on the pages.
fn queue_title(queue: &str) -> T {
    match queue {
        "standard" => T::QueueStandard,
        "incomplete" => T::QueueIncomplete,
        _ => T::QueueComplex,
    }
}

/// The queues, whole or one branch's part: experts take work from them; the quality team sees
/// them (read only).
async fn queues(
    State(state): State<AppState>,
    page: Page,
    Query(filter): Query<BranchFilter>,
) -> Response {
    let expert = match page
        .person_as(Role::Expert)
        .or_else(|_| page.person_as(Role::Quality))
    {
        Ok(s) => s.role == Role::Expert,
        Err(e) => return page.error(e),
    };
    let branch = filter.filiale.as_deref().filter(|b| !b.is_empty());
    // Every branch, also one without work today, and any other region stored cases name.
    let mut branches: Vec<String> = atzinums_models::REGIONS.map(String::from).to_vec();
    match state.store.review_branches().await {
        Ok(with_work) => branches.extend(
            with_work
                .into_iter()
                .filter(|b| !atzinums_models::REGIONS.contains(&b.as_str())),
        ),
        Err(e) => return page.error(e.into()),
    }
    let mut listed = Vec::new();
    for q in QUEUES {
        match state.store.queue_items(q, branch, 50).await {
            Ok(items) => listed.push((*q, items)),
            Err(e) => return page.error(e.into()),
        }
    }
    let body = html! {
        @if expert {
            p { a href="/darbs/otra-lasisana" { (page.t(T::SecondReading)) } }
        } @else {
            p { a href="/kvalitate" { (page.t(T::Quality)) } }
        }
        form method="get" action="/darbs" {
            p {
                label for="filiale" { (page.t(T::Branch)) }
                select #filiale name="filiale" {
                    option value="" selected[branch.is_none()] { (page.t(T::AllBranches)) }
                    @for b in &branches { option value=(b) selected[Some(b.as_str()) == branch] { (b) } }
                }
                " "
                button.secondary type="submit" { (page.t(T::Show)) }
            }
        }
        @for (queue, items) in &listed {
            section aria-labelledby={ "q-" (queue) } {
                h2 id={ "q-" (queue) } { (page.t(queue_title(queue))) " (" (items.len()) ")" }
                @if *queue == "standard" {
                    p.notice { (page.t(T::StandardQueueHint)) }
                }
                @if items.is_empty() {
                    p { (page.t(T::Empty)) }
                } @else {
                    @if expert {
                        form method="post" action=(page.action(&format!("/darbs/{queue}/nemt"))) {
                            @if let Some(b) = branch { input type="hidden" name="filiale" value=(b); }
                            button type="submit" { (page.t(T::TakeNext)) }
                        }
                    }
                    table {
                        thead { tr { th scope="col" { (page.t(T::Case)) } th scope="col" { (page.t(T::Deadline)) } th scope="col" { (page.t(T::Branch)) } th scope="col" { (page.t(T::Priority)) } th scope="col" { (page.t(T::HeldBy)) } } }
                        tbody {
                            @for i in items {
                                tr { td { (i.case_id) } td { (i.deadline) } td { (i.branch.as_deref().unwrap_or("—")) } td { (page.t(if i.priority > 0 { T::PriorityHigh } else { T::PriorityNormal })) } td { (i.claimed_by.as_deref().unwrap_or("—")) } }
                            }
                        }
                    }
                }
            }
        }
    };
    page.render(page.t(T::Queues), body)
}

async fn take_next(
    State(state): State<AppState>,
    page: Page,
    Path(queue): Path<String>,
    Form(form): Form<Vec<(String, String)>>,
) -> Response {
    let branch = Some(field(&form, "filiale")).filter(|b| !b.is_empty());
    let result = async {
        let session = page.person_as(Role::Expert)?;
        if !QUEUES.contains(&queue.as_str()) {
            return Err(ApiError::new(
                axum::http::StatusCode::NOT_FOUND,
                "no such queue",
            ));
        }
        Ok(state
            .store
            .claim_review_task(&queue, branch, &session.actor(), state.config.review_lease)
            .await?)
    }
    .await;
    page.then_go(result.map(|task| match task {
        Some(task) => format!("/darbs/lietas/{}", task.case_id),
        None => match branch {
            Some(b) => format!("/darbs?filiale={}", query_escaped(b)),
            None => "/darbs".to_string(),
        },
    }))
}

/// `{"months":12}` → `months:12`; the form's value for a term.
fn term_value(term: Option<Term>) -> String {
    match term {
        None => String::new(),
        Some(Term::Months(m)) => format!("months:{}", m.get()),
        Some(Term::Lifelong) => "lifelong".into(),
        Some(Term::UntilEighteen) => "until_18".into(),
    }
}

fn parse_term(value: &str) -> Result<Option<Term>, ApiError> {
    let bad = || ApiError::bad_input("term", "choose one of the terms listed");
    match value {
        "" => Ok(None),
        "lifelong" => Ok(Some(Term::Lifelong)),
        "until_18" => Ok(Some(Term::UntilEighteen)),
        other => {
            let months: u8 = other
                .strip_prefix("months:")
                .and_then(|m| m.parse().ok())
                .ok_or_else(bad)?;
            Ok(Some(Term::Months(
                TermMonths::new(months).map_err(|_| bad())?,
            )))
        }
    }
}

/// The editable proposal as a form.
fn proposal_form(page: &Page, case_id: &str, d: &atzinums_models::DecisionJson) -> Markup {
    let terms: Vec<String> = TermMonths::ALLOWED
        .iter()
        .map(|m| format!("months:{m}"))
        .chain(["lifelong".to_string(), "until_18".to_string()])
        .collect();
    let current_term = term_value(d.term);
    html! {
        form method="post" action=(page.action(&format!("/darbs/lietas/{case_id}/priekslikums"))) {
            p {
                label for="outcome" { (page.t(T::Outcome)) }
                select #outcome name="outcome" {
                    @for o in Outcome::ALL { option value=(o.as_str()) selected[*o == d.outcome] { (crate::routes::pdf::outcome_lv(*o)) } }
                }
            }
            p {
                label for="pct" { (page.t(T::Percent)) }
                input #pct type="number" name="work_capacity_loss_pct" min="0" max="100" value=[d.work_capacity_loss_pct.map(|p| p.value())];
            }
            p {
                label for="term" { (page.t(T::Term)) }
                select #term name="term" {
                    option value="" selected[current_term.is_empty()] { "—" }
                    @for t in &terms { option value=(t) selected[*t == current_term] { (t) } }
                }
            }
            p {
                label for="cause" { (page.t(T::Cause)) }
                select #cause name="cause" {
                    option value="" selected[d.cause.is_none()] { "—" }
                    @for c in Cause::ALL { option value=(c.as_str()) selected[Some(*c) == d.cause] { (page.name_of(c.latvian(), c.as_str())) } }
                }
            }
            @if !d.opinions.is_empty() {
                fieldset {
                    legend { "Atzinumi / Opinions" }
                    @for (kind, granted) in &d.opinions {
                        p {
                            input id={ "op-" (kind.as_str()) } type="checkbox" name={ "opinion." (kind.as_str()) } value="yes" checked[*granted];
                            " "
                            label style="display:inline" for={ "op-" (kind.as_str()) } { (page.name_of(kind.latvian(), kind.as_str())) }
                            input type="hidden" name="requested" value=(kind.as_str());
                        }
                    }
                }
            }
            p {
                label for="opinion_text" { (page.t(T::OpinionText)) }
                textarea #opinion_text name="opinion_text" required { (d.opinion_text) }
            }
            button type="submit" name="action" value="save" class="secondary" { (page.t(T::Save)) }
            " "
            button type="submit" name="action" value="approve" { (page.t(T::Approve)) }
        }
    }
}

/// A form that moves the case on with a reason.
fn reason_form(page: &Page, path: &str, action: &str, label: &str, id: &str) -> Markup {
    html! {
        form method="post" action=(page.action(path)) {
            input type="hidden" name="action" value=(action);
            p {
                label for=(id) { (label) " — " (page.t(T::Reason)) }
                input id=(id) type="text" name="reason" required minlength="3" maxlength="2000";
            }
            button.secondary type="submit" { (label) }
        }
    }
}

/// Moving the legal deadline later, with the reason the applicant will read.
fn extension_form(page: &Page, case_id: &str, case: &crate::routes::eservice::CaseView) -> Markup {
    html! {
        section aria-labelledby="termins" {
            h2 #termins { (page.t(T::ExtendDeadline)) }
            p { (page.t(T::DeadlineMax)) " " (case.deadline_extended_max) }
            form method="post" action=(page.action(&format!("/darbs/lietas/{case_id}/termins"))) {
                p {
                    label for="until" { (page.t(T::NewDeadline)) }
                    input #until type="date" name="until" required min=(case.deadline) max=(case.deadline_extended_max);
                }
                p {
                    label for="r-extend" { (page.t(T::Reason)) }
                    input #r-extend type="text" name="reason" required minlength="3" maxlength="2000";
                }
                button.secondary type="submit" { (page.t(T::ExtendDeadline)) }
            }
        }
    }
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
    let view = match review::review_view(&state, &session, &case_id).await {
        Ok(v) => v,
        Err(e) => return page.error(e),
    };
    // Evidence cites documents by id; people read them by file name.
    let file_name = |id: &str| {
        view.case
            .documents
            .iter()
            .find(|d| d.id == id)
            .map_or(id.to_string(), |d| d.file_name.clone())
    };
    let in_review = view.case.status == "in_review" && session.role == Role::Expert;
    let to_sign = view.case.status == "awaiting_signature" && session.role == Role::Official;
    let body = html! {
        p { (page.t(T::Status)) ": " strong { (status(page.lang, &view.case.status)) } " · " (page.t(T::Deadline)) " " (view.case.deadline) }
        p.notice role="note" { (page.t(T::ModelDraftNotice)) }
        @if let (Some(record), Some(file)) = (&view.draft, &view.case_file) {
            section aria-labelledby="projekts" {
                h2 #projekts { (page.t(T::Draft)) " (" (record.routing.route.kind().as_str()) ")" }
                @for para in readable_citations(&record.draft.conclusion, &view.case).split('\n').filter(|p| !p.trim().is_empty()) { p { (para) } }
            }
            section aria-labelledby="dokumenti" {
                h2 #dokumenti { (page.t(T::Documents)) }
                ul {
                    @for d in &view.case.documents {
                        li { a href={ "/darbs/lietas/" (case_id) "/dokumenti/" (d.id) } { (d.file_name) } " (" (d.kind) ")" }
                    }
                }
            }
            section aria-labelledby="pieradijumi" {
                h2 #pieradijumi { (page.t(T::Evidence)) }
                table {
                    thead { tr { th scope="col" { "Joma / Domain" } th scope="col" { "Līmenis / Level" } th scope="col" { (page.t(T::Evidence)) } } }
                    tbody {
                        @for (domain, a) in &file.functioning {
                            tr {
                                td { (page.name_of(domain.latvian(), domain.as_str())) }
                                td { (a.qualifier.value()) }
                                td {
                                    @for e in &a.supporting {
                                        div {
                                            mark { "„" (e.at.quote) "”" } " — "
                                            a href={ "/darbs/lietas/" (case_id) "/dokumenti/" (e.document) "#p" (e.at.page) } { (file_name(&e.document)) ", " (e.at.page) ". lpp." }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
            section aria-labelledby="precedenti" {
                h2 #precedenti { (page.t(T::Precedents)) }
                @if record.provenance.precedents.is_empty() { p { (page.t(T::Empty)) } }
                ol {
                    @for p in &record.provenance.precedents {
                        li {
                            strong { (p.precedent.case_id) } " — " (crate::routes::pdf::outcome_lv(p.precedent.outcome))
                            " · " (p.precedent.primary_icd10.as_deref().unwrap_or("—")) " · " (p.precedent.decided_at)
                            " · score " (format!("{:.3}", p.score))
                            @if let Some(d) = p.dense { " (dense " (format!("{d:.3}")) ")" }
                            @if let Some(s) = p.sparse { " (sparse " (format!("{s:.3}")) ")" }
                        }
                    }
                }
            }
            section aria-labelledby="parbaudes" {
                h2 #parbaudes { (page.t(T::Checks)) }
                @if record.verification.problems.is_empty() {
                    p { "✓ " (record.verification.checked) }
                } @else {
                    ul { @for p in &record.verification.problems { li { (p.kind) ": " (p.message) } } }
                }
            }
        }
        @if let Some(proposal) = &view.proposal {
            section aria-labelledby="lemums" {
                h2 #lemums { (page.t(T::Decision)) }
                @if in_review {
                    (proposal_form(&page, &case_id, proposal))
                    (reason_form(&page, &format!("/darbs/lietas/{case_id}/darbiba"), "release", page.t(T::Return), "r-release"))
                    (reason_form(&page, &format!("/darbs/lietas/{case_id}/darbiba"), "escalate", page.t(T::Escalate), "r-escalate"))
                    (reason_form(&page, &format!("/darbs/lietas/{case_id}/darbiba"), "request-documents", page.t(T::RequestDocuments), "r-docs"))
                } @else {
                    p { (crate::routes::pdf::outcome_lv(proposal.outcome)) }
                    @for para in readable_citations(&proposal.opinion_text, &view.case).split('\n').filter(|p| !p.trim().is_empty()) { p { (para) } }
                }
                @if to_sign {
                    form method="post" action=(page.action(&format!("/parakstisana/lietas/{case_id}/parakstit"))) {
                        button type="submit" { (page.t(T::Sign)) }
                    }
                    (reason_form(&page, &format!("/darbs/lietas/{case_id}/darbiba"), "send-back", page.t(T::SendBack), "r-back"))
                }
            }
        }
        @if (in_review || to_sign) && view.case.deadline < view.case.deadline_extended_max {
            (extension_form(&page, &case_id, &view.case))
        }
    };
    page.render(&format!("{} {}", page.t(T::Case), case_id), body)
}

/// `text` for a URL's query: unreserved ASCII as is, every other byte as `%XX` (branch names
/// are Latvian words, and a redirect's `Location` must be ASCII).
fn query_escaped(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                char::from(b).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Reads the proposal form back into an edit.
fn edit_from(form: &[(String, String)]) -> Result<ProposalEdit, ApiError> {
    let get = |k: &str| field(form, k);
    let (outcome, pct) = outcome_and_pct(form)?;
    let cause = match get("cause") {
        "" => None,
        v => Some(
            v.parse::<Cause>()
                .map_err(|e| ApiError::bad_input("cause", format!("{e}")))?,
        ),
    };
    let mut opinions = BTreeMap::new();
    for (name, value) in form.iter().filter(|(n, _)| n == "requested") {
        let _ = name;
        let kind: OpinionKind = value
            .parse()
            .map_err(|e| ApiError::bad_input("opinions", format!("{e}")))?;
        opinions.insert(kind, get(&format!("opinion.{value}")) == "yes");
    }
    Ok(ProposalEdit {
        outcome,
        work_capacity_loss_pct: pct,
        term: parse_term(get("term"))?,
        cause,
        opinions,
        opinion_text: get("opinion_text").replace("\r\n", "\n"),
    })
}

async fn save(
    State(state): State<AppState>,
    page: Page,
    Path(case_id): Path<String>,
    Form(form): Form<Vec<(String, String)>>,
) -> Response {
    let result = async {
        let session = page.person_as(Role::Expert)?;
        let edit = edit_from(&form)?;
        let approve = form.iter().any(|(k, v)| k == "action" && v == "approve");
        review::save(&state, &session, &case_id, &edit, approve).await
    }
    .await;
    page.then_go(result.map(|_| format!("/darbs/lietas/{case_id}")))
}

async fn act(
    State(state): State<AppState>,
    page: Page,
    Path(case_id): Path<String>,
    Form(form): Form<Vec<(String, String)>>,
) -> Response {
    let get = |k: &str| field(&form, k);
    let action = match get("action") {
        "release" => ReasonedAction::Release,
        "escalate" => ReasonedAction::Escalate,
        "request-documents" => ReasonedAction::RequestDocuments,
        "send-back" => ReasonedAction::SendBack,
        _ => return page.error(ApiError::bad_input("action", "unknown action")),
    };
    let done = async {
        let session = page.person()?;
        review::act(&state, &session, &case_id, action, get("reason")).await
    };
    page.then_go(done.await.map(|()| "/".to_string()))
}

async fn extend_deadline(
    State(state): State<AppState>,
    page: Page,
    Path(case_id): Path<String>,
    Form(form): Form<Vec<(String, String)>>,
) -> Response {
    let get = |k: &str| field(&form, k);
    let done = async {
        let session = page.person()?;
        let until = get("until")
            .parse()
            .map_err(|_| ApiError::bad_input("until", "a date, YYYY-MM-DD"))?;
        let extension = review::Extension {
            until,
            reason: get("reason").to_string(),
        };
        review::extend(&state, &session, &case_id, &extension).await?;
        Ok(match session.role {
            Role::Official => format!("/parakstisana/lietas/{case_id}"),
            _ => format!("/darbs/lietas/{case_id}"),
        })
    };
    page.then_go(done.await)
}

async fn signature_queue(State(state): State<AppState>, page: Page) -> Response {
    if let Err(e) = page.person_as(Role::Official) {
        return page.error(e);
    }
    let cases = match state.store.signature_queue(200).await {
        Ok(c) => c,
        Err(e) => return page.error(e.into()),
    };
    let body = html! {
        @if cases.is_empty() { p { (page.t(T::Empty)) } }
        ul {
            @for (case_id, deadline) in &cases {
                li { a href={ "/parakstisana/lietas/" (case_id) } { (case_id) } " — " (page.t(T::Deadline)) " " (deadline) }
            }
        }
    };
    page.render(page.t(T::SignatureQueue), body)
}

async fn sign(State(state): State<AppState>, page: Page, Path(case_id): Path<String>) -> Response {
    let result = async {
        let session = page.person_as(Role::Official)?;
        Ok::<_, ApiError>(
            state
                .store
                .sign_approved(&case_id, &session.actor())
                .await?,
        )
    }
    .await;
    page.then_go(result.map(|_| format!("/parakstisana/lietas/{case_id}")))
}
