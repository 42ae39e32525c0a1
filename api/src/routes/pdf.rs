//! The signed decision as a PDF the applicant downloads (Latvian, DejaVu Sans embedded).

use std::sync::OnceLock;

use atzinums_eval::render::layout::{Line, Style};
use atzinums_eval::render::pdf::{PdfFont, render};
use atzinums_models::DecisionJson;
use axum::http::StatusCode;

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
                "Lieta {}, pieņemts {}",
                view.case_id,
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
        lines.push(line(
            Style::Body,
            format!(
                "Termiņš: {}",
                serde_json::to_string(&t)
                    .unwrap_or_default()
                    .trim_matches('"')
            ),
        ));
    }
    for (kind, granted) in &d.opinions {
        lines.push(line(
            Style::Body,
            format!(
                "Atzinums ({}): {}",
                kind.as_str(),
                if *granted { "ir" } else { "nav" }
            ),
        ));
    }
    lines.push(line(Style::Heading, "Ekspertīzes slēdziens".into()));
    for paragraph in d.opinion_text.split('\n').filter(|p| !p.trim().is_empty()) {
        lines.push(line(Style::Body, paragraph.to_string()));
    }
    if let Some(until) = view.contest_until {
        lines.push(line(
            Style::Footer,
            format!("Lēmumu var apstrīdēt VDEĀVK vadītājam viena mēneša laikā no tā spēkā stāšanās dienas (līdz {}).", until.format("%d.%m.%Y.")),
        ));
    }
    render(&lines, font, false)
        .map(|(bytes, _)| bytes)
        .map_err(|e| {
            ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                format!("the decision could not be rendered: {e}"),
            )
        })
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
