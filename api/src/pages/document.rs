//! The document viewer of the workspace: a document's text as intake read it, page by page,
//! with every span a finding was read from highlighted and named, beside a link to the original
//! bytes. The expert checks the draft's evidence here.

use atzinums_ingest::findings::{Finding, FindingKind};
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use axum::routing::get;
use maud::{Markup, html};

use super::Page;
use super::i18n::T;
use crate::AppState;
use crate::error::ApiError;
use crate::routes::review;

pub fn router() -> Router<AppState> {
    Router::new().route(
        "/darbs/lietas/{case_id}/dokumenti/{document_id}",
        get(document_page),
    )
}

/// A highlighted span of a page: char offsets `[start, end)` and what was read there.
struct Mark {
    start: usize,
    end: usize,
    label: String,
}

/// What a finding says, in the expert's words.
fn label(finding: &Finding) -> String {
    match &finding.kind {
        FindingKind::Diagnosis { code, .. } => format!("diagnoze {code}"),
        FindingKind::Date { date, .. } => format!("datums {}", date.format("%d.%m.%Y.")),
        FindingKind::Measurement {
            measure,
            value,
            unit,
        } => format!("mērījums: {measure:?} {value} {unit}"),
        FindingKind::Functioning {
            domain, qualifier, ..
        } => format!("{}: {}", domain.latvian(), qualifier.value()),
        FindingKind::Section { section } => format!("sadaļa: {section:?}"),
    }
}

/// The marks of one page whose offsets still hold their quotes, in order, overlaps dropped
/// (the first of two overlapping spans is shown). Section headings are structure, not
/// evidence: not marked.
fn marks_of(text: &str, page: u32, findings: &[&Finding]) -> Vec<Mark> {
    let chars: Vec<char> = text.chars().collect();
    let mut marks: Vec<Mark> = findings
        .iter()
        .filter(|f| !matches!(f.kind, FindingKind::Section { .. }))
        .filter(|f| f.at.page == page && f.at.start < f.at.end && f.at.end <= chars.len())
        .filter(|f| chars[f.at.start..f.at.end].iter().collect::<String>() == f.at.quote)
        .map(|f| Mark {
            start: f.at.start,
            end: f.at.end,
            label: label(f),
        })
        .collect();
    marks.sort_by_key(|m| (m.start, std::cmp::Reverse(m.end)));
    let mut shown: Vec<Mark> = Vec::with_capacity(marks.len());
    for m in marks {
        if shown.last().is_none_or(|last| m.start >= last.end) {
            shown.push(m);
        }
    }
    shown
}

/// The page's text with its marks, line breaks kept.
fn highlighted(text: &str, marks: &[Mark]) -> Markup {
    let chars: Vec<char> = text.chars().collect();
    let piece = |from: usize, to: usize| chars[from..to].iter().collect::<String>();
    let mut at = 0;
    html! {
        @for m in marks {
            (piece(at, m.start))
            mark title=(m.label) { (piece(m.start, m.end)) }
            span.mark-label { " [" (m.label) "]" }
            ({ at = m.end; "" })
        }
        (piece(at, chars.len()))
    }
}

/// `?otra=1`: opened from a blind second reading.
#[derive(serde::Deserialize)]
struct OpenedFrom {
    otra: Option<String>,
}

async fn document_page(
    State(state): State<AppState>,
    page: Page,
    Path((case_id, document_id)): Path<(String, String)>,
    Query(from): Query<OpenedFrom>,
) -> Response {
    // A second reader came from the blind page: back goes there, not to the case's review.
    let back = if from.otra.is_some() {
        format!("/darbs/otra-lasisana/{case_id}")
    } else {
        format!("/darbs/lietas/{case_id}")
    };
    let shown = async {
        let session = page.person()?;
        // The case (access checked, the read audited) and its case file; not the whole review
        // view, which would read and decode the draft and the case file once more.
        if !review::REVIEWERS.contains(&session.role) {
            return Err(ApiError::forbidden("review drafts"));
        }
        let case = crate::routes::eservice::case_view(&state, &session, &case_id).await?;
        let document = case
            .documents
            .into_iter()
            .find(|d| d.id == document_id)
            .ok_or_else(|| ApiError::new(axum::http::StatusCode::NOT_FOUND, "no such document"))?;
        let stored = review::stored_case_file(&state, &case_id).await?;
        // Which document was read, like a download of its bytes.
        state
            .store
            .audit(
                &session.actor(),
                "document.read",
                &case_id,
                serde_json::json!({ "position": document.position, "view": "text" }),
            )
            .await?;
        Ok((document, stored))
    };
    let (document, stored) = match shown.await {
        Ok(found) => found,
        Err(e) => return page.error(e),
    };
    let Some(stored) = stored else {
        return page.error(ApiError::new(
            axum::http::StatusCode::CONFLICT,
            "the documents have not been read yet",
        ));
    };
    let findings: Vec<&Finding> = stored
        .assembled
        .file
        .findings
        .iter()
        .filter(|(doc, _)| *doc == document.id)
        .map(|(_, f)| f)
        .collect();
    let pages = stored.assembled.pages.get(&document.id);
    let body = html! {
        p {
            a href={ "/api/v1/cases/" (case_id) "/documents/" (document.position) } { (page.t(T::Original)) ": " (document.file_name) }
            " · " a href=(back) { (page.t(T::Back)) }
        }
        p.notice role="note" { (page.t(T::HighlightNotice)) }
        @match pages {
            None => p { (page.t(T::Empty)) },
            Some(pages) => @for (number, text) in pages {
                section aria-labelledby={ "p" (number) } {
                    h2 id={ "p" (number) } { (number) ". lpp." }
                    pre.document { (highlighted(text, &marks_of(text, *number, &findings))) }
                }
            },
        }
    };
    page.render(&format!("{} {}", case_id, document.file_name), body)
}

#[cfg(test)]
mod tests {
    use super::*;
    use atzinums_ingest::findings::Provenance;

    fn date_at(start: usize, end: usize, quote: &str) -> Finding {
        Finding {
            kind: FindingKind::Date {
                date: "2019-03-14".parse().unwrap(),
                role: atzinums_ingest::findings::DateRole::TreatmentStart,
                precision: atzinums_ingest::findings::DatePrecision::Day,
            },
            at: Provenance {
                page: 1,
                start,
                end,
                quote: quote.into(),
            },
        }
    }

    #[test]
    fn marks_keep_their_quotes_and_never_overlap() {
        let text = "Ārstējas kopš 14.03.2019. ambulatori";
        let good = date_at(14, 25, "14.03.2019.");
        let inside = date_at(17, 19, "03");
        let stale = date_at(0, 8, "Sūdzības");
        let marks = marks_of(text, 1, &[&inside, &good, &stale]);
        assert_eq!(
            marks.len(),
            1,
            "the stale quote and the overlap are dropped"
        );
        assert_eq!((marks[0].start, marks[0].end), (14, 25));
        let html = highlighted(text, &marks).into_string();
        assert!(
            html.starts_with("Ārstējas kopš <mark title=\"datums 14.03.2019.\">14.03.2019.</mark>"),
            "{html}"
        );
        assert!(html.ends_with(" ambulatori"), "{html}");
    }
}
