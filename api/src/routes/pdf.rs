//! The signed decision as a PDF the applicant downloads (Latvian, DejaVu Sans embedded).

use std::sync::OnceLock;

use atzinums_eval::render::layout::{Line, Style};
use atzinums_eval::render::pdf::{PdfFont, render};
use atzinums_models::DecisionJson;
use axum::http::StatusCode;
use chrono::NaiveDate;

use crate::error::ApiError;
use crate::routes::eservice::CaseView;

static FONT: OnceLock<Result<std::sync::Arc<PdfFont>, String>> = OnceLock::new();

pub fn decision_pdf(view: &CaseView, d: &DecisionJson) -> Result<Vec<u8>, ApiError> {
    let font = FONT
        .get_or_init(|| PdfFont::load(None).map_err(|e| e.to_string()))
        .as_ref()
        .map_err(|e| {
            ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                format!("the decision cannot be rendered now: {e}"),
            )
        })?;
    let readable = DecisionJson {
        opinion_text: readable_citations(&d.opinion_text, view),
        ..d.clone()
    };
    let lines = decision_lines(&view.case_id, view.contest_until, &readable);
    render(&lines, font, false)
        .map(|(bytes, _)| bytes)
        .map_err(|e| {
            ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                format!("the decision could not be rendered: {e}"),
            )
        })
}

/// The decision's text, line by line, in the words of a decision (never field names or JSON).
fn decision_lines(case_id: &str, contest_until: Option<NaiveDate>, d: &DecisionJson) -> Vec<Line> {
    let line = |style, text: String| Line { style, text };
    let mut lines = vec![
        line(
            Style::Header,
            "Veselības un darbspēju ekspertīzes ārstu valsts komisija".into(),
        ),
        line(Style::Title, "LĒMUMS".into()),
        line(
            Style::Body,
            format!(
                "Lieta {case_id}, pieņemts {}",
                d.decided_at.format("%d.%m.%Y.")
            ),
        ),
        line(Style::Heading, "Lēmums".into()),
        line(Style::Body, format!("Iznākums: {}", outcome_lv(d.outcome))),
    ];
    if let Some(p) = d.work_capacity_loss_pct {
        lines.push(line(
            Style::Body,
            format!("Darbspēju zaudējums: {} %", p.value()),
        ));
    }
    if let Some(t) = d.term {
        lines.push(line(Style::Body, format!("Termiņš: {}", t.latvian())));
    }
    if let Some(c) = d.cause {
        lines.push(line(Style::Body, format!("Cēlonis: {}", c.latvian())));
    }
    for (kind, granted) in &d.opinions {
        let answer = if *granted { "ir" } else { "nav" };
        lines.push(line(
            Style::Body,
            format!("{}: {answer}", capitalised(kind.latvian())),
        ));
    }
    lines.push(line(Style::Heading, "Ekspertīzes slēdziens".into()));
    for paragraph in d.opinion_text.split('\n').filter(|p| !p.trim().is_empty()) {
        lines.push(line(Style::Body, paragraph.to_string()));
    }
    if let Some(until) = contest_until {
        lines.push(line(
            Style::Footer,
            format!("Lēmumu var apstrīdēt VDEĀVK vadītājam viena mēneša laikā no tā spēkā stāšanās dienas (līdz {}).", until.format("%d.%m.%Y.")),
        ));
    }
    lines
}

/// Citations name documents by id (what the verifier checks); people read them by file name.
pub fn readable_citations(text: &str, view: &CaseView) -> String {
    view.documents.iter().fold(text.to_string(), |text, d| {
        text.replace(&d.id, &d.file_name)
    })
}

fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

/// The outcome in the words of the decision.
pub fn outcome_lv(o: atzinums_models::Outcome) -> &'static str {
    use atzinums_models::Outcome as O;
    match o {
        O::None => "invaliditāte nav noteikta",
        O::GroupI => "I invaliditātes grupa (ļoti smaga invaliditāte)",
        O::GroupII => "II invaliditātes grupa (smaga invaliditāte)",
        O::GroupIII => "III invaliditātes grupa (mēreni izteikta invaliditāte)",
        O::ChildDisability => "bērns ar invaliditāti",
        O::PredictedDisability => "prognozējama invaliditāte",
        O::Premature => "ekspertīze priekšlaicīga (nav izpildīts ārstēšanās ilguma nosacījums)",
        O::Incomplete => "trūkst dokumentu",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_decision_reads_in_words() {
        let d: DecisionJson = serde_json::from_value(serde_json::json!({
            "decided_at": "2026-11-27", "outcome": "group_II", "work_capacity_loss_pct": 65,
            "term": {"months": 24}, "cause": "general_illness", "primary_icd10": "G35",
            "icd10": ["G35"], "functioning": {}, "opinions": {"special_care": false, "transport": true},
            "complex": false, "opinion_text": "Pirmā rindkopa.\n\nOtrā.", "expert": "E-1"
        }))
        .unwrap();
        let until = "2026-12-27".parse().ok();
        let text: Vec<String> = decision_lines("C-2026-000001", until, &d)
            .into_iter()
            .map(|l| l.text)
            .collect();
        for expected in [
            "Lieta C-2026-000001, pieņemts 27.11.2026.",
            "Iznākums: II invaliditātes grupa (smaga invaliditāte)",
            "Darbspēju zaudējums: 65 %",
            "Termiņš: uz 2 gadiem",
            "Cēlonis: vispārēja saslimšana",
            "Īpašas kopšanas nepieciešamība: nav",
            "Transporta izdevumu kompensācija: ir",
            "Pirmā rindkopa.",
            "Otrā.",
        ] {
            assert!(
                text.iter().any(|l| l == expected),
                "{expected} in {text:#?}"
            );
        }
        assert!(text.last().unwrap().contains("līdz 27.12.2026."));
        assert!(
            !text.iter().any(|l| l.contains('{') || l.contains('_')),
            "{text:#?}"
        );
    }
}
