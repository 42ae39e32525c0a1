//! `atzinums eval --cases DATASET`: the production pipeline over a labelled set (the archive is
//! whatever `atzinums index` built and `atzinums calibrate` fitted), scored against the signed
//! decisions: outcome accuracy (with a seeded bootstrap interval) and confusion matrix,
//! quadratic-weighted kappa, percentage MAE, term accuracy, opinion F1, calibration (ECE and the
//! reliability bins), routing (share standard and their accuracy), groundedness, latency per
//! stage.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::Context;
use atzinums_eval::metrics::{
    accuracy, bootstrap_interval, confusion_matrix, expected_calibration_error, f1,
    mean_absolute_error, percentile, quadratic_weighted_kappa,
};
use atzinums_models::{DecisionJson, OpinionKind, Outcome, RouteKind};
use atzinums_pipeline::{DraftRecord, PipelineConfig};
use clap::Args;
use serde_json::json;

use crate::pipeline_cmd::{Drafter, Latency, decided_examinations, load_calibration};

#[derive(Args)]
pub struct EvalArgs {
    /// A labelled dataset (atzinums-dataset/1 with decision.json) to draft and score.
    #[arg(long)]
    cases: PathBuf,
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
}

/// One scored case.
struct Scored {
    record: DraftRecord,
    truth: DecisionJson,
    latency: Latency,
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
    let config = PipelineConfig {
        k: args.k,
        risk: args.risk,
        ..PipelineConfig::default()
    };
    let calibration = load_calibration(data_dir, &config)?;
    let drafter = Drafter::open(data_dir, config, calibration, max_input_bytes)?;
    eprintln!("drafting {} cases", cases.len());
    // One case at a time: the embedder already uses every core.
    let results: Vec<anyhow::Result<Scored>> = cases
        .iter()
        .enumerate()
        .map(|(i, (c, d))| {
            let (record, latency) = drafter
                .draft(&c.dir)
                .with_context(|| format!("case {}", c.case.case_id.as_str()))?;
            crate::pipeline_cmd::keep(data_dir, &c.dir, &record)?;
            let n = i + 1;
            if n.is_multiple_of(50) {
                eprintln!(
                    "[{n}/{}] {:.1} cases/s",
                    cases.len(),
                    n as f64 / started.elapsed().as_secs_f64()
                );
            }
            Ok(Scored {
                record,
                truth: (*d).clone(),
                latency,
            })
        })
        .collect();
    let mut scored = Vec::new();
    for r in results {
        match r {
            Ok(s) => scored.push(s),
            Err(e) => eprintln!("failed: {e:#}"),
        }
    }
    std::fs::create_dir_all(&args.out)?;
    let mut predictions =
        std::io::BufWriter::new(std::fs::File::create(args.out.join("predictions.jsonl"))?);
    for s in &scored {
        writeln!(predictions, "{}", prediction_json(s))?;
    }
    predictions.flush()?;
    let summary = summarise(&scored, started.elapsed().as_secs_f64());
    std::fs::write(
        args.out.join("summary.json"),
        serde_json::to_vec_pretty(&summary)?,
    )?;
    println!("{}", serde_json::to_string_pretty(&summary)?);
    Ok(())
}

fn prediction_json(s: &Scored) -> serde_json::Value {
    let f = &s.record.draft.fields;
    json!({
        "case_id": s.record.provenance.case_id,
        "draft_id": s.record.draft_id,
        "outcome": f.outcome,
        "work_capacity_loss_pct": f.work_capacity_loss_pct,
        "term": f.term,
        "cause": f.cause,
        "opinions": f.opinions,
        "route": s.record.routing.route.kind(),
        "reasons": s.record.routing.route.reasons(),
        "confidence": s.record.assessment.outcome.confidence,
        "verified": s.record.verification.passed(),
        "latency": s.latency,
    })
}

/// Fixed, so that the intervals of two runs on the same drafts are the same.
const BOOTSTRAP_SEED: u64 = 20_261_127;

/// none < III < II < I as 0..=3.
fn ordinal(o: Outcome) -> Option<usize> {
    o.ordinal().map(usize::from)
}

fn summarise(scored: &[Scored], seconds: f64) -> serde_json::Value {
    let outcomes: Vec<(Outcome, Outcome)> = scored
        .iter()
        .map(|s| (s.record.draft.fields.outcome, s.truth.outcome))
        .collect();
    let ordinal_pairs: Vec<(usize, usize)> = outcomes
        .iter()
        .filter_map(|(p, t)| Some((ordinal(*p)?, ordinal(*t)?)))
        .collect();
    let pct: Vec<(f64, f64)> = scored
        .iter()
        .filter_map(|s| {
            Some((
                f64::from(s.record.draft.fields.work_capacity_loss_pct?),
                f64::from(s.truth.work_capacity_loss_pct?.value()),
            ))
        })
        .collect();
    let terms: Vec<_> = scored
        .iter()
        .filter(|s| s.record.draft.fields.outcome == s.truth.outcome && s.truth.term.is_some())
        .map(|s| (s.record.draft.fields.term, s.truth.term))
        .collect();
    let standard: Vec<(Outcome, Outcome)> = scored
        .iter()
        .filter(|s| s.record.routing.route.kind() == RouteKind::Standard)
        .map(|s| (s.record.draft.fields.outcome, s.truth.outcome))
        .collect();
    let problems = || scored.iter().flat_map(|s| &s.record.verification.problems);
    let ungrounded = problems().filter(|p| p.kind != "consistency").count();
    let inconsistent = problems().filter(|p| p.kind == "consistency").count();
    let mut reasons = std::collections::BTreeMap::<String, usize>::new();
    for s in scored {
        for r in s.record.routing.route.reasons() {
            *reasons.entry(r.as_str().to_string()).or_default() += 1;
        }
    }
    let share = |kind: RouteKind| {
        scored
            .iter()
            .filter(|s| s.record.routing.route.kind() == kind)
            .count() as f64
            / scored.len().max(1) as f64
    };
    let latency = |only: &dyn Fn(&Scored) -> bool| {
        let stage = |f: fn(&Latency) -> f64| {
            let v: Vec<f64> = scored
                .iter()
                .filter(|s| only(s))
                .map(|s| f(&s.latency))
                .collect();
            json!({"p50": percentile(&v, 0.5), "p95": percentile(&v, 0.95)})
        };
        json!({
            "cases": scored.iter().filter(|s| only(s)).count(),
            "extract": stage(|l| l.extract),
            "findings": stage(|l| l.findings),
            "embed": stage(|l| l.embed),
            "search": stage(|l| l.search),
            "assess": stage(|l| l.assess),
            "draft": stage(|l| l.draft),
            "verify": stage(|l| l.verify),
            "total": stage(Latency::total),
        })
    };
    // Confidence of the drafted outcome against whether it was right: the reliability diagram.
    let confidence: Vec<(f64, bool)> = scored
        .iter()
        .map(|s| {
            (
                s.record.assessment.outcome.confidence,
                s.record.draft.fields.outcome == s.truth.outcome,
            )
        })
        .collect();
    let calibration = expected_calibration_error(&confidence, 10)
        .map(|(ece, bins)| json!({ "ece": ece, "bins": bins }));
    let index = |o: Outcome| Outcome::ALL.iter().position(|x| *x == o).unwrap_or(0);
    let confusion = confusion_matrix(
        &outcomes
            .iter()
            .map(|(p, t)| (index(*p), index(*t)))
            .collect::<Vec<_>>(),
        Outcome::ALL.len(),
    );
    // Requested opinions: granted in the draft against granted in the decision.
    let opinion_f1: serde_json::Map<String, serde_json::Value> = OpinionKind::ALL
        .iter()
        .map(|kind| {
            let pairs: Vec<(bool, bool)> = scored
                .iter()
                .filter_map(|s| {
                    let truth = *s.truth.opinions.get(kind)?;
                    Some((
                        s.record.draft.fields.opinions.get(kind) == Some(&true),
                        truth,
                    ))
                })
                .collect();
            (kind.as_str().to_string(), json!(f1(&pairs)))
        })
        .collect();
    let accuracy_interval = bootstrap_interval(
        &outcomes,
        |pairs: &[(Outcome, Outcome)]| accuracy(pairs),
        1000,
        0.95,
        BOOTSTRAP_SEED,
    );
    // A case's inputs are its case.json and its documents.
    let five_documents = |s: &Scored| s.record.provenance.inputs.len() == 6;
    json!({
        "cases": scored.len(),
        "seconds": seconds,
        "outcome_accuracy": accuracy(&outcomes),
        "outcome_accuracy_95": accuracy_interval,
        "confusion": {
            "labels": Outcome::ALL.iter().map(|o| o.as_str()).collect::<Vec<_>>(),
            "rows_true_columns_drafted": confusion,
        },
        "calibration": calibration,
        "opinion_f1": opinion_f1,
        "quadratic_weighted_kappa": quadratic_weighted_kappa(&ordinal_pairs, 4),
        "pct_mae": mean_absolute_error(&pct),
        "term_accuracy_when_outcome_right": accuracy(&terms),
        "routing": {
            "standard_share": share(RouteKind::Standard),
            "standard_accuracy": accuracy(&standard),
            "complex_share": share(RouteKind::Complex),
            "incomplete_share": share(RouteKind::Incomplete),
            "reasons": reasons,
        },
        "groundedness": {
            "ungrounded_items": ungrounded,
            "inconsistent_fields": inconsistent,
            "drafts_failing_verification": scored.iter().filter(|s| !s.record.verification.passed()).count(),
        },
        "latency_seconds": latency(&|_| true),
        "latency_seconds_5_documents": latency(&five_documents),
    })
}
