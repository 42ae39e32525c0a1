//! `atzinums-pipeline`: the examination workflow for one case — assess (rules of Regulation 805
//! and precedents, calibrated), route (standard only inside a conformal bound), draft (Latvian
//! templates with citations), verify (every code, date, number and citation grounded; fields
//! consistent) — and the provenance that lets `atzinums replay` reproduce a draft byte for byte.
//!
//! The model never decides: a draft is a proposal for a person to edit and sign. This crate does
//! no I/O; the binary reads the case, retrieves precedents and stores the record.

pub mod assess;
pub mod calibration;
pub mod case;
pub mod draft;
pub mod provenance;
pub mod route;
pub mod rules;
pub mod stored;
pub mod verify;

use std::time::{Duration, Instant};

pub use assess::{Assessment, UsedPrecedent, assess};
pub use calibration::Calibration;
pub use case::{CaseInput, Page};
pub use draft::{Draft, DraftError, DraftFields};
pub use provenance::{DraftRecord, InputRef, ModelRef, PipelineConfig, Provenance, RetrievalMode};
pub use route::Routing;
pub use stored::{Assembled, CASE_FILE_FORMAT, StoredCaseFile, proposed_decision};
pub use verify::Verification;

/// Wall-clock time of the pipeline's own stages (not part of the record: not reproducible).
#[derive(Debug, Clone, Copy, Default)]
pub struct StageTimes {
    pub assess: Duration,
    pub draft: Duration,
    pub verify: Duration,
}

/// Everything a run needs besides the case.
pub struct RunInputs<'a> {
    pub precedents: Vec<UsedPrecedent>,
    pub calibration: &'a Calibration,
    pub config: PipelineConfig,
    pub models: Vec<ModelRef>,
    pub inputs: Vec<InputRef>,
}

/// Assess, draft, verify and route one case.
pub fn run(case: &CaseInput, run: RunInputs<'_>) -> Result<(DraftRecord, StageTimes), DraftError> {
    let mut times = StageTimes::default();
    let t = Instant::now();
    let assessment = assess(case, &run.precedents, run.calibration);
    times.assess = t.elapsed();

    let t = Instant::now();
    let rules = rules::rule_set_by_version(&assessment.rule_set)
        .unwrap_or_else(|| rules::rule_set_on(case.submitted_at));
    let fields = draft::fields_of(&assessment);
    let draft = draft::render(case, &assessment, &fields)?;
    times.draft = t.elapsed();

    let t = Instant::now();
    let verification = verify::verify(case, &draft, &rules, &assessment.profile, assessment.age);
    times.verify = t.elapsed();

    let routing = route::route(
        case,
        &assessment,
        &run.precedents,
        run.calibration,
        verification.passed(),
    );
    let provenance = Provenance {
        pipeline: format!("{} {}", env!("CARGO_PKG_NAME"), env!("CARGO_PKG_VERSION")),
        case_id: case.case_id.clone(),
        rule_set: assessment.rule_set.clone(),
        templates: draft::template_hashes(),
        models: run.models,
        calibration_sha256: run.calibration.sha256(),
        config: run.config,
        seed: 0,
        inputs: run.inputs,
        precedents: run.precedents,
    };
    let record = DraftRecord {
        format: provenance::DRAFT_FORMAT.into(),
        draft_id: provenance.draft_id(),
        provenance,
        assessment,
        routing,
        draft,
        verification,
        drafted_by: "template".into(),
        attempts: 1,
        output_sha256: String::new(),
    }
    .seal();
    Ok((record, times))
}
