//! `atzinums synth` (write a synthetic archive), `atzinums dataset check` (read one back),
//! `dataset ingest-quality` (score ingestion on one) and `dataset train-functioning` (train the
//! functioning reader on a decided archive).

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use anyhow::Context;
use atzinums_inference::device::DeviceChoice;
use atzinums_inference::embed::{EmbedderSpec, load_embedder};
use atzinums_ingest::findings::functioning::learned::{self, FunctioningReader};
use atzinums_ingest::findings::functioning::questionnaire_model::{
    QUESTIONNAIRE_MODEL, QuestionnaireModel,
};

use atzinums_eval::SynthOptions;
use clap::{Args, Subcommand};

#[derive(Args)]
pub struct SynthArgs {
    /// Number of cases.
    #[arg(long, default_value_t = 200)]
    cases: usize,
    /// The same seed gives byte-identical output.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Share of documents written as PDF.
    #[arg(long, default_value_t = 0.2)]
    pdf_share: f64,
    /// Share of documents written as DOCX (the rest is plain text).
    #[arg(long, default_value_t = 0.05)]
    docx_share: f64,
    /// Worker threads (the output does not depend on it).
    #[arg(long, default_value_t = 2)]
    threads: usize,
    /// Write valid synthetic personal codes and birth dates instead of pseudonyms.
    #[arg(long)]
    identified: bool,
    /// The number of the first case's id (`C-YYYY-NNNNNN`): number a test set drawn with
    /// another seed after its archive (e.g. `--first-case 20001`) so no id is shared.
    #[arg(long, default_value_t = 1)]
    first_case: usize,
    /// A new folder for the dataset.
    #[arg(long)]
    out: PathBuf,
}

#[derive(Subcommand)]
pub enum DatasetCommand {
    /// Read a dataset, validating every case; print counts and per-case errors.
    Check { dir: PathBuf },
    /// Score ingestion against a synthetic dataset's truth.json: text fidelity, ICD-10
    /// precision/recall, functioning qualifiers, treatment start.
    IngestQuality {
        dir: PathBuf,
        /// At most this many cases.
        #[arg(long, default_value_t = 500)]
        cases: usize,
        /// Grade functioning with the rules only (no trained reader).
        #[arg(long)]
        rules_only: bool,
        /// Heads of the functioning reader (default: the built-in ones).
        #[arg(long, conflicts_with = "rules_only")]
        heads: Option<PathBuf>,
        /// Write each functioning pair read wrongly or not at all to this file, one JSON object
        /// per line with the statements read (it quotes the documents: synthetic data only).
        #[arg(long)]
        mismatches: Option<PathBuf>,
    },
    /// Train the functioning reader's heads on a decided archive (labels from decision.json).
    TrainFunctioning {
        dir: PathBuf,
        /// At most this many decided cases.
        #[arg(long, default_value_t = 500)]
        cases: usize,
        /// Folder for `functioning-domain` and `functioning-level` (.safetensors + .json).
        #[arg(long)]
        out: PathBuf,
    },
}

pub fn synth(args: SynthArgs) -> anyhow::Result<()> {
    let options = SynthOptions {
        cases: args.cases,
        seed: args.seed,
        pdf_share: args.pdf_share,
        docx_share: args.docx_share,
        threads: args.threads,
        identified: args.identified,
        first_case: args.first_case,
        ..SynthOptions::default()
    };
    let started = Instant::now();
    let summary = atzinums_eval::generate(&options, &args.out)?;
    println!("{summary}");
    println!(
        "wrote {} cases to {} in {:.1} s",
        args.cases,
        args.out.display(),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

pub fn dataset(command: DatasetCommand, data_dir: &Path) -> anyhow::Result<()> {
    let dir = match command {
        DatasetCommand::Check { dir } => dir,
        DatasetCommand::IngestQuality {
            dir,
            cases,
            rules_only,
            heads,
            mismatches,
        } => {
            let reader = if rules_only {
                None
            } else {
                Some(functioning_reader(data_dir, heads.as_deref())?)
            };
            let started = Instant::now();
            let quality = atzinums_eval::ingest_quality::score(&dir, cases, reader.as_ref())?;
            print!("{quality}");
            println!("({:.1} s)", started.elapsed().as_secs_f64());
            if let Some(path) = mismatches {
                write_mismatches(&path, &quality.functioning_mismatches)?;
            }
            return Ok(());
        }
        DatasetCommand::TrainFunctioning { dir, cases, out } => {
            return train_functioning(&dir, cases, &out, data_dir);
        }
    };
    let loaded = atzinums_eval::dataset::read_dataset(&dir)?;
    print!("{loaded}");
    if !loaded.errors.is_empty() {
        std::process::exit(1);
    }
    Ok(())
}

fn write_mismatches(
    path: &Path,
    mismatches: &[atzinums_eval::ingest_quality::FunctioningMismatch],
) -> anyhow::Result<()> {
    let mut lines = String::new();
    for m in mismatches {
        lines.push_str(&serde_json::to_string(m)?);
        lines.push('\n');
    }
    std::fs::write(path, lines).with_context(|| format!("writing {}", path.display()))
}

/// The functioning reader: the heads in `heads` on the default embedder, else the built-in ones.
pub fn functioning_reader(
    data_dir: &Path,
    heads: Option<&Path>,
) -> anyhow::Result<FunctioningReader> {
    let Some(dir) = heads else {
        return Ok(FunctioningReader::default_in(data_dir)?);
    };
    let embedder = load_embedder(&EmbedderSpec::default_e5(data_dir), DeviceChoice::Cpu, 1)?;
    FunctioningReader::load(Arc::new(embedder), dir)
        .with_context(|| format!("functioning heads in {}", dir.display()))
}

fn train_functioning(dir: &Path, cases: usize, out: &Path, data_dir: &Path) -> anyhow::Result<()> {
    let started = Instant::now();
    let set = atzinums_eval::functioning_training::collect(dir, cases)?;
    let with_level = set.examples.iter().filter(|e| e.level.is_some()).count();
    let none = set.examples.iter().filter(|e| e.domain.is_none()).count();
    println!(
        "{} examples ({with_level} with a level, {none} saying nothing of functioning) from {} \
         cases, {} documents ({:.1} s)",
        set.examples.len(),
        set.cases,
        set.documents,
        started.elapsed().as_secs_f64()
    );
    let embedder = load_embedder(&EmbedderSpec::default_e5(data_dir), DeviceChoice::Cpu, 1)?;
    let started = Instant::now();
    let (mut domain, mut level) = learned::train(&embedder, &set.examples, &set.source)?;
    for head in [&mut domain, &mut level] {
        head.save(out, &head.card().task.clone())?;
        println!(
            "{}: {} examples, training accuracy {:.3}",
            head.card().task,
            head.card().examples,
            head.card().train_accuracy
        );
    }
    let questionnaires = QuestionnaireModel::fit(&set.forms, &set.source);
    let path = out.join(format!("{QUESTIONNAIRE_MODEL}.json"));
    std::fs::write(&path, serde_json::to_vec_pretty(&questionnaires)?)
        .with_context(|| format!("writing {}", path.display()))?;
    let shifts: Vec<String> = questionnaires
        .shifts
        .iter()
        .map(|(s, share)| format!("{s:+}: {share:.2}"))
        .collect();
    println!(
        "{QUESTIONNAIRE_MODEL}: {} forms, {} questions known; self-rating against the decision {}",
        questionnaires.forms,
        questionnaires.questions.len(),
        shifts.join(", ")
    );
    println!(
        "trained in {:.1} s; wrote {}",
        started.elapsed().as_secs_f64(),
        out.display()
    );
    Ok(())
}
