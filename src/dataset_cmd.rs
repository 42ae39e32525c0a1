//! `atzinums synth` (write a synthetic archive) and `atzinums dataset check` (read one back).

use std::path::PathBuf;
use std::time::Instant;

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

pub fn dataset(command: DatasetCommand) -> anyhow::Result<()> {
    let dir = match command {
        DatasetCommand::Check { dir } => dir,
        DatasetCommand::IngestQuality { dir, cases } => {
            let started = Instant::now();
            let quality = atzinums_eval::ingest_quality::score(&dir, cases)?;
            print!("{quality}");
            println!("({:.1} s)", started.elapsed().as_secs_f64());
            return Ok(());
        }
    };
    let loaded = atzinums_eval::dataset::read_dataset(&dir)?;
    print!("{loaded}");
    if !loaded.errors.is_empty() {
        std::process::exit(1);
    }
    Ok(())
}
