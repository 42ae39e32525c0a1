//! `atzinums eval --cases DATASET`: the production pipeline over a labelled set (the archive is
//! whatever `atzinums index` built and `atzinums calibrate` fitted), scored against the signed
//! decisions (`atzinums_eval::scoring`; `--predictions FILE` scores another system's instead): outcome accuracy (with a seeded bootstrap interval) and confusion matrix,
//! quadratic-weighted kappa, percentage MAE, term accuracy, opinion F1, calibration (ECE and the
//! reliability bins), routing (share standard and their accuracy), groundedness, latency per
//! stage.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, bail};
use atzinums_eval::scoring::{self, Prediction};
use atzinums_models::DecisionJson;
use atzinums_pipeline::{DraftRecord, PipelineConfig};
use atzinums_retrieval::AgeBand;
use clap::Args;
use serde_json::json;

use crate::pipeline_cmd::{Drafter, Latency, decided_examinations, load_calibration};

#[derive(Args)]
pub struct EvalArgs {
    /// A labelled dataset (atzinums-dataset/1 with decision.json) to draft and score.
    #[arg(long)]
    cases: PathBuf,
    /// An archive to index from scratch (its decided cases become the precedents) and to
    /// calibrate the routing on, before drafting; without it, the data dir's index and
    /// calibration are used as they are.
    #[arg(long)]
    archive: Option<PathBuf>,
    /// With `--archive`: calibrate on its last this many decided cases.
    #[arg(long, default_value_t = 1000)]
    calibration_cases: usize,
    /// Where predictions.jsonl and summary.json go (each draft is also kept under
    /// `<data dir>/drafts/` for `atzinums replay`).
    #[arg(long, default_value = "eval-out")]
    out: PathBuf,
    /// At most this many cases (the first by folder name).
    #[arg(long)]
    limit: Option<usize>,
    #[arg(long, default_value_t = 0.02)]
    risk: f64,
    #[arg(long, default_value_t = 10)]
    k: usize,
    /// Score this predictions.jsonl (written by any program) instead of drafting.
    #[arg(long)]
    predictions: Option<PathBuf>,
    /// The regression gate: exit non-zero when a metric is worse than in this summary.json.
    #[arg(long)]
    baseline: Option<PathBuf>,
    /// How much worse a metric may be than the baseline (absolute; 0.02 = 2 points of accuracy,
    /// 2 points of percentage MAE).
    #[arg(long, default_value_t = 0.02)]
    tolerance: f64,
}

pub fn run(args: EvalArgs, max_input_bytes: u64, data_dir: &Path) -> anyhow::Result<()> {
    let started = Instant::now();
    let dataset = atzinums_eval::dataset::read_dataset(&args.cases)
        .with_context(|| format!("cannot read the dataset {}", args.cases.display()))?;
    for e in &dataset.errors {
        eprintln!("skipped {}: {} ({})", e.case_id_or_dir, e.message, e.field);
    }
    let mut cases = decided_examinations(&dataset);
    if let Some(limit) = args.limit {
        cases.truncate(limit);
    }
    let decisions: BTreeMap<String, DecisionJson> = cases
        .iter()
        .map(|(c, d)| (c.case.case_id.as_str().to_string(), (*d).clone()))
        .collect();
    if let (Some(archive), None) = (&args.archive, &args.predictions) {
        prepare_archive(&args, archive, &decisions, max_input_bytes, data_dir)?;
    }
    let predictions = match &args.predictions {
        Some(file) => {
            let text = std::fs::read_to_string(file)
                .with_context(|| format!("cannot read {}", file.display()))?;
            scoring::read_predictions(&text)
                .with_context(|| format!("{} cannot be scored", file.display()))?
        }
        None => draft_all(&args, &cases, max_input_bytes, data_dir, Instant::now())?,
    };
    std::fs::create_dir_all(&args.out)?;
    if args.predictions.is_none() {
        let mut file =
            std::io::BufWriter::new(std::fs::File::create(args.out.join("predictions.jsonl"))?);
        for p in &predictions {
            writeln!(file, "{}", serde_json::to_string(p)?)?;
        }
        file.flush()?;
    }
    let joined = scoring::join(predictions, &decisions);
    if joined.pairs.is_empty() {
        bail!(
            "no prediction matches a decided case of {}",
            args.cases.display()
        );
    }
    // Who the cases are about, for the per-slice accuracy (from the labelled set, so that
    // another system's predictions are sliced the same way).
    let slices: BTreeMap<String, Vec<(String, String)>> = cases
        .iter()
        .map(|(c, d)| {
            let case = &c.case;
            let age = AgeBand::at(case.person.year_of_birth(), case.submitted_at);
            let mut keys = vec![
                ("kind".to_string(), case.kind.as_str().to_string()),
                ("age_band".to_string(), age.as_str().to_string()),
                ("sex".to_string(), case.person.sex.as_str().to_string()),
                ("region".to_string(), case.person.region.clone()),
            ];
            if let Some(code) = &d.primary_icd10 {
                keys.push(("icd10_chapter".into(), code.chapter().roman().into()));
            }
            (case.case_id.as_str().to_string(), keys)
        })
        .collect();
    let mut summary = scoring::summarise(&joined.pairs);
    summary["slices"] = scoring::slice_metrics(&joined.pairs, &slices);
    summary["seconds"] = json!(started.elapsed().as_secs_f64());
    summary["missing_predictions"] = json!(joined.missing);
    summary["unknown_cases"] = json!(joined.unknown);
    // The routing risk level the drafts were made with (unknown for another system's file).
    summary["risk"] = if args.predictions.is_none() {
        json!(args.risk)
    } else {
        json!(null)
    };
    std::fs::write(
        args.out.join("summary.json"),
        serde_json::to_vec_pretty(&summary)?,
    )?;
    let report = atzinums_eval::report::write_report(&summary, &args.out)
        .with_context(|| format!("cannot write the report under {}", args.out.display()))?;
    eprintln!("report: {}", report.display());
    println!("{}", serde_json::to_string_pretty(&summary)?);
    if let Some(path) = &args.baseline {
        let baseline: serde_json::Value = serde_json::from_slice(
            &std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?,
        )
        .with_context(|| format!("{} is not a summary.json", path.display()))?;
        let worse = scoring::regressions(&summary, &baseline, args.tolerance);
        if !worse.is_empty() {
            bail!(
                "worse than the baseline {}:\n  {}",
                path.display(),
                worse.join("\n  ")
            );
        }
        eprintln!(
            "no metric worse than the baseline by more than {}",
            args.tolerance
        );
    }
    Ok(())
}

/// Indexes the archive from scratch and calibrates on it: the precedents and the routing the
/// drafts will use. A test case that is also in the archive would find itself as its own
/// precedent, so such an overlap is refused.
fn prepare_archive(
    args: &EvalArgs,
    archive: &Path,
    test_cases: &BTreeMap<String, DecisionJson>,
    max_input_bytes: u64,
    data_dir: &Path,
) -> anyhow::Result<()> {
    let listed = atzinums_eval::dataset::read_dataset(archive)
        .with_context(|| format!("cannot read the archive {}", archive.display()))?;
    let overlap: Vec<&str> = listed
        .cases
        .iter()
        .map(|c| c.case.case_id.as_str())
        .filter(|id| test_cases.contains_key(*id))
        .take(5)
        .collect();
    if !overlap.is_empty() {
        bail!(
            "the archive {} holds test cases ({}…): a case would be its own precedent; use an archive without them",
            archive.display(),
            overlap.join(", ")
        );
    }
    drop(listed);
    crate::retrieval_cmd::index(
        crate::retrieval_cmd::IndexArgs::rebuilding(archive.to_path_buf()),
        max_input_bytes,
        data_dir,
    )?;
    crate::pipeline_cmd::calibrate(
        crate::pipeline_cmd::CalibrateArgs::of(
            archive.to_path_buf(),
            args.calibration_cases,
            args.k,
            args.risk,
        ),
        max_input_bytes,
        data_dir,
    )
}

/// Drafts every case with the production pipeline (keeping each draft for replay).
fn draft_all(
    args: &EvalArgs,
    cases: &[(&atzinums_eval::dataset::LoadedCase, &DecisionJson)],
    max_input_bytes: u64,
    data_dir: &Path,
    started: Instant,
) -> anyhow::Result<Vec<Prediction>> {
    let config = PipelineConfig {
        k: args.k,
        risk: args.risk,
        ..PipelineConfig::default()
    };
    let calibration = load_calibration(data_dir, &config)?;
    let drafter = Drafter::open(data_dir, config, calibration, max_input_bytes)?;
    eprintln!("drafting {} cases", cases.len());
    let mut predictions = Vec::with_capacity(cases.len());
    // One case at a time: the embedder already uses every core.
    for (i, (c, _)) in cases.iter().enumerate() {
        match drafter.draft(&c.dir) {
            Ok((record, latency)) => {
                crate::pipeline_cmd::keep(data_dir, &c.dir, &record)?;
                predictions.push(prediction_of(&record, &latency));
            }
            // Reported as missing in the summary, never silently dropped.
            Err(e) => eprintln!("failed: case {}: {e:#}", c.case.case_id.as_str()),
        }
        crate::pipeline_cmd::report_progress(i + 1, cases.len(), 50, started);
    }
    if let Some(line) = drafter.reader_memory() {
        eprintln!("{line}");
    }
    Ok(predictions)
}

fn prediction_of(record: &DraftRecord, latency: &Latency) -> Prediction {
    let f = &record.draft.fields;
    let problems = &record.verification.problems;
    let inconsistent = problems.iter().filter(|p| p.kind == "consistency").count();
    Prediction {
        case_id: record.provenance.case_id.clone(),
        draft_id: Some(record.draft_id.clone()),
        outcome: f.outcome,
        work_capacity_loss_pct: f.work_capacity_loss_pct,
        term: f.term,
        cause: f.cause,
        opinions: f.opinions.clone(),
        route: Some(record.routing.route.kind()),
        reasons: record.routing.route.reasons().to_vec(),
        confidence: Some(record.assessment.outcome.confidence),
        ungrounded_items: Some(problems.len() - inconsistent),
        inconsistent_fields: Some(inconsistent),
        // Inputs are the application (case.json) and its documents.
        documents: Some(record.provenance.inputs.len().saturating_sub(1)),
        latency: latency.by_stage(),
    }
}
