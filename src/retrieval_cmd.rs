//! `atzinums index DATASET` (decided cases → precedent index) and `atzinums similar CASE_DIR`
//! (a case → the most similar precedents with their decisions).

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use atzinums_inference::catalogue::Icd10Catalogue;
use atzinums_inference::device::DeviceChoice;
use atzinums_inference::embed::{Embedder, EmbedderSpec, load_embedder};
use atzinums_ingest::case_file::DocumentInput;
use atzinums_ingest::{ExtractOptions, ExtractedDocument, Failure, FailureKind, Sandbox};
use atzinums_models::dataset::{CaseJson, DecisionJson};
use atzinums_models::{ApplicationKind, MediaType};
use atzinums_retrieval::edge::{EdgeIndex, EdgeOptions};
use atzinums_retrieval::{
    AgeBand, CaseDescription, Hit, Mode, PrecedentFilter, PrecedentIndex, PrecedentSource,
    Retriever, SimilarOptions,
};
use chrono::NaiveDate;
use clap::{Args, ValueEnum};
use rayon::prelude::*;
use sha2::{Digest, Sha256};

#[derive(Args)]
pub struct IndexArgs {
    /// A dataset folder (atzinums-dataset/1); its decided cases become precedents.
    dataset: PathBuf,
    /// Delete the index first and build it again from the dataset.
    #[arg(long)]
    rebuild: bool,
    /// Re-embed every case even when its content is unchanged.
    #[arg(long)]
    force: bool,
    /// Cases per embedding batch.
    #[arg(long, default_value_t = 32)]
    batch: usize,
    /// At most this many cases (the first ones by case folder name).
    #[arg(long)]
    limit: Option<usize>,
    /// Skip building the HNSW graph at the end (searches stay exact until the next
    /// `atzinums index` or the service's maintenance timer builds it).
    #[arg(long)]
    no_optimize: bool,
}

#[derive(Args)]
pub struct SimilarArgs {
    /// A case folder of the dataset format (case.json + documents/).
    case_dir: PathBuf,
    /// How many precedents.
    #[arg(long, default_value_t = 10)]
    k: usize,
    /// One JSON object per hit per line.
    #[arg(long)]
    json: bool,
    #[arg(long, value_enum, default_value_t = SearchMode::Hybrid)]
    mode: SearchMode,
    /// Only precedents of these application kinds (repeatable).
    #[arg(long = "kind")]
    kinds: Vec<ApplicationKind>,
    /// Only these age bands: 0-6, 7-17, 18-29, 30-44, 45-54, 55-64, 65+ (repeatable).
    #[arg(long = "age-band")]
    age_bands: Vec<AgeBand>,
    /// Only precedents with a code in this ICD-10 chapter, as a Roman numeral (repeatable).
    #[arg(long = "icd-chapter")]
    icd_chapters: Vec<String>,
    /// Decided in this month or later (YYYY-MM-DD; the day is ignored).
    #[arg(long)]
    from: Option<NaiveDate>,
    /// Decided in this month or earlier.
    #[arg(long)]
    to: Option<NaiveDate>,
    /// At most this many hits with the same main diagnosis category.
    #[arg(long)]
    max_per_diagnosis: Option<usize>,
}

#[derive(Clone, Copy, ValueEnum)]
pub enum SearchMode {
    Dense,
    Sparse,
    Hybrid,
}

impl From<SearchMode> for Mode {
    fn from(m: SearchMode) -> Mode {
        match m {
            SearchMode::Dense => Mode::Dense,
            SearchMode::Sparse => Mode::Sparse,
            SearchMode::Hybrid => Mode::Hybrid,
        }
    }
}

/// Where the embedded index lives.
pub fn index_dir(data_dir: &Path) -> PathBuf {
    data_dir.join("index")
}

pub fn load_e5(data_dir: &Path) -> anyhow::Result<Arc<dyn Embedder>> {
    let embedder = load_embedder(&EmbedderSpec::default_e5(data_dir), DeviceChoice::Cpu, 1)
        .context("cannot load the embedding model (run `atzinums setup` first)")?;
    Ok(Arc::new(embedder))
}

/// The configured index: a Qdrant server or cluster when `QDRANT_URL` is set (binary built with
/// the `qdrant-server` feature), else the embedded one under the data directory.
pub fn open_index(
    data_dir: &Path,
    dim: usize,
    model_id: &str,
    rebuild: bool,
) -> anyhow::Result<Arc<dyn PrecedentIndex>> {
    if let Ok(url) = std::env::var("QDRANT_URL")
        && !url.is_empty()
    {
        #[cfg(feature = "qdrant-server")]
        {
            let config = atzinums_retrieval::server::ServerConfig::from_env(dim)?;
            let index = atzinums_retrieval::server::ServerIndex::connect(config, rebuild)?;
            return Ok(Arc::new(index));
        }
        #[cfg(not(feature = "qdrant-server"))]
        anyhow::bail!(
            "QDRANT_URL is set ({url}) but this binary was built without the `qdrant-server` \
             feature; rebuild with `cargo build --release --features qdrant-server` or unset QDRANT_URL"
        );
    }
    let dir = index_dir(data_dir);
    if rebuild && dir.exists() {
        std::fs::remove_dir_all(&dir)
            .with_context(|| format!("cannot remove the old index at {}", dir.display()))?;
    }
    let index = EdgeIndex::open(&dir, EdgeOptions::new(dim, model_id))?;
    Ok(Arc::new(index))
}

/// Reads a case's documents (plain text decoded here; PDF, DOCX and images parsed in the
/// sandbox) and assembles its case file and text.
pub fn describe(
    dir: &Path,
    case: &CaseJson,
    sandbox: &Sandbox,
    catalogue: Option<&Icd10Catalogue>,
) -> CaseDescription {
    let options = ExtractOptions {
        ocr: false,
        ..ExtractOptions::default()
    };
    let inputs: Vec<DocumentInput> = case
        .documents
        .iter()
        .map(|entry| {
            let file = dir.join("documents").join(entry.file.as_str());
            let (sha256, extracted) = match std::fs::read(&file) {
                Ok(bytes) => (hex::encode(Sha256::digest(&bytes)), extract(&bytes, sandbox, &options)),
                Err(e) => (
                    String::new(),
                    Err(Failure::new(FailureKind::Corrupt, format!("cannot read the file: {e}"))),
                ),
            };
            DocumentInput {
                id: entry.file.as_str().to_string(),
                sha256,
                kind: entry.kind,
                issued_at: entry.issued_at,
                extracted,
            }
        })
        .collect();
    let mut text = String::new();
    for input in &inputs {
        if let Ok(doc) = &input.extracted {
            for page in &doc.pages {
                text.push_str(&page.text);
                text.push('\n');
            }
        }
    }
    let file = atzinums_ingest::case_file::assemble(inputs, case.submitted_at, catalogue, None);
    CaseDescription::from_case_json(case, file, text)
}

/// Plain text is only decoded and normalised, which cannot execute anything or grow beyond the
/// file: done in this process (an archive of 20,000 cases would otherwise start 80,000 children).
/// Everything else goes through the sandbox.
fn extract(
    bytes: &[u8],
    sandbox: &Sandbox,
    options: &ExtractOptions,
) -> Result<ExtractedDocument, Failure> {
    if MediaType::sniff(bytes) == Some(MediaType::PlainText) {
        atzinums_ingest::extract_in_process(bytes, options)
    } else {
        sandbox.extract(bytes, options)
    }
}

fn load_catalogue(data_dir: &Path) -> Option<Icd10Catalogue> {
    let path = atzinums_inference::setup::catalogues_dir(data_dir).join("icd10.tsv");
    match atzinums_inference::catalogue::Catalogue::load(&path) {
        Ok(c) => Some(c),
        Err(e) => {
            eprintln!("ICD-10 codes are not checked against the WHO list: {e}");
            None
        }
    }
}

fn read_case_json(dir: &Path) -> anyhow::Result<CaseJson> {
    let path = dir.join("case.json");
    let text = std::fs::read_to_string(&path)
        .with_context(|| format!("cannot read {}", path.display()))?;
    let value: serde_json::Value =
        serde_json::from_str(&text).with_context(|| format!("{} is not JSON", path.display()))?;
    CaseJson::from_value(value).with_context(|| format!("{} is not a valid case", path.display()))
}

pub fn index(args: IndexArgs, max_input_bytes: u64, data_dir: &Path) -> anyhow::Result<()> {
    let started = Instant::now();
    let dataset = atzinums_eval::dataset::read_dataset(&args.dataset)
        .with_context(|| format!("cannot read the dataset {}", args.dataset.display()))?;
    for e in &dataset.errors {
        eprintln!("skipped {}: {} ({})", e.case_id_or_dir, e.message, e.field);
    }
    let mut decided: Vec<_> = dataset
        .cases
        .iter()
        .filter_map(|c| c.decision.as_ref().map(|d| (c, d)))
        .collect();
    let undecided = dataset.cases.len() - decided.len();
    if let Some(limit) = args.limit {
        decided.truncate(limit);
    }
    let embedder = load_e5(data_dir)?;
    let index = open_index(data_dir, embedder.dim(), embedder.model_id(), args.rebuild)?;
    let retriever = Retriever::new(index.clone(), embedder)?;
    let sandbox = crate::ingest_cmd::sandbox(Duration::from_secs(120), max_input_bytes)?;
    let catalogue = load_catalogue(data_dir);
    let before = index.count(&PrecedentFilter::default())?;
    eprintln!(
        "indexing {} decided cases ({undecided} without a decision skipped) into {} ({} precedents already)",
        decided.len(),
        index.backend(),
        before
    );

    let total = decided.len();
    let mut progress = Progress::new(total);
    let (mut indexed, mut unchanged, mut no_text) = (0usize, 0usize, 0usize);
    let mut since_flush = 0usize;
    for chunk in decided.chunks(args.batch.max(1)) {
        let described: Vec<(CaseDescription, DecisionJson)> = chunk
            .par_iter()
            .map(|(c, d)| (describe(&c.dir, &c.case, &sandbox, catalogue.as_ref()), (*d).clone()))
            .collect();
        let (ok, empty): (Vec<_>, Vec<_>) = described.into_iter().partition(|(c, _)| c.check().is_ok());
        for (c, _) in &empty {
            no_text += 1;
            progress.note(&format!("skipped {}: {}", c.case_id, c.check().unwrap_err()));
        }
        let outcome = retriever.index_batch(&ok, PrecedentSource::Dataset, args.force)?;
        indexed += outcome.indexed;
        unchanged += outcome.unchanged;
        since_flush += outcome.indexed;
        // Flushed every ~1000 new precedents: an interrupted run resumes from there.
        if since_flush >= 1000 {
            index.flush()?;
            since_flush = 0;
        }
        progress.advance(chunk.len(), indexed, unchanged);
    }
    index.flush()?;
    progress.finish();
    let elapsed = started.elapsed().as_secs_f64();
    eprintln!(
        "{indexed} indexed, {unchanged} unchanged (already indexed), {no_text} without readable text; \
         {:.1} cases/s over {:.1} s ({:.1} new precedents/s)",
        total as f64 / elapsed,
        elapsed,
        indexed as f64 / elapsed
    );
    if !args.no_optimize && indexed > 0 {
        let t = Instant::now();
        eprintln!("building the search graph (HNSW)…");
        index.optimize()?;
        eprintln!("search graph built in {:.1} s", t.elapsed().as_secs_f64());
    }
    println!(
        "{} precedents in the index ({indexed} new or changed, {unchanged} unchanged)",
        index.count(&PrecedentFilter::default())?
    );
    Ok(())
}

pub fn similar(args: SimilarArgs, max_input_bytes: u64, data_dir: &Path) -> anyhow::Result<()> {
    let case = read_case_json(&args.case_dir)?;
    let sandbox = crate::ingest_cmd::sandbox(Duration::from_secs(120), max_input_bytes)?;
    let catalogue = load_catalogue(data_dir);
    let description = describe(&args.case_dir, &case, &sandbox, catalogue.as_ref());
    description.check()?;
    let embedder = load_e5(data_dir)?;
    let index = open_index(data_dir, embedder.dim(), embedder.model_id(), false)?;
    let retriever = Retriever::new(index, embedder)?;
    let options = SimilarOptions {
        k: args.k,
        mode: args.mode.into(),
        max_per_diagnosis: args.max_per_diagnosis,
        filter: PrecedentFilter {
            kinds: args.kinds,
            age_bands: args.age_bands,
            icd10_chapters: args.icd_chapters,
            decided_from: args.from,
            decided_to: args.to,
            exclude_case_ids: Vec::new(),
        },
    };
    let hits = retriever.similar(&description, &options)?;
    if hits.is_empty() && !args.json {
        println!("no precedents match (is the index built? `atzinums index DATASET`)");
    }
    for hit in &hits {
        if args.json {
            println!("{}", hit_json(hit));
        } else {
            print_hit(hit);
        }
    }
    Ok(())
}

pub fn hit_json(hit: &Hit) -> serde_json::Value {
    let p = &hit.precedent;
    serde_json::json!({
        "case_id": hit.case_id,
        "score": hit.score,
        "dense": hit.dense,
        "sparse": hit.sparse,
        "dense_rank": hit.dense_rank,
        "sparse_rank": hit.sparse_rank,
        "outcome": p.outcome,
        "primary_icd10": p.primary_icd10,
        "work_capacity_loss_pct": p.work_capacity_loss_pct,
        "term": p.term,
        "kind": p.kind,
        "age_band": p.age_band,
        "decided_at": p.decided_at,
    })
}

fn print_hit(hit: &Hit) {
    let p = &hit.precedent;
    let part = |v: Option<f32>, r: Option<usize>| match (v, r) {
        (Some(v), Some(r)) => format!("{v:.3} (#{r})"),
        _ => "—".to_string(),
    };
    println!(
        "{:<16} score {:.4}  dense {}  sparse {}",
        hit.case_id,
        hit.score,
        part(hit.dense, hit.dense_rank),
        part(hit.sparse, hit.sparse_rank)
    );
    println!(
        "    {} {} · {} · {} · decided {} · {} {}",
        p.outcome,
        p.work_capacity_loss_pct.map(|v| format!("{v}%")).unwrap_or_default(),
        p.primary_icd10.as_deref().unwrap_or("—"),
        p.kind,
        p.decided_at,
        p.age_band.as_str(),
        p.sex,
    );
    let conclusion: String = p.conclusion.chars().take(160).collect();
    if !conclusion.is_empty() {
        println!("    {conclusion}…");
    }
}

/// Progress on stderr: a rewritten line on a terminal, a line every 10 s otherwise.
struct Progress {
    total: usize,
    done: usize,
    started: Instant,
    last: Instant,
    tty: bool,
}

impl Progress {
    fn new(total: usize) -> Progress {
        Progress {
            total,
            done: 0,
            started: Instant::now(),
            last: Instant::now(),
            tty: std::io::stderr().is_terminal(),
        }
    }

    fn note(&mut self, line: &str) {
        if self.tty {
            eprint!("\r\x1b[K");
        }
        eprintln!("{line}");
    }

    fn advance(&mut self, n: usize, indexed: usize, unchanged: usize) {
        self.done += n;
        if !self.tty && self.last.elapsed() < Duration::from_secs(10) && self.done < self.total {
            return;
        }
        self.last = Instant::now();
        let secs = self.started.elapsed().as_secs_f64().max(1e-3);
        let rate = self.done as f64 / secs;
        let eta = (self.total - self.done) as f64 / rate.max(1e-9);
        let line = format!(
            "[{}/{}] {:.0}% · {indexed} indexed, {unchanged} unchanged · {:.1} cases/s · ETA {:.0} s",
            self.done,
            self.total,
            100.0 * self.done as f64 / self.total.max(1) as f64,
            rate,
            eta
        );
        if self.tty {
            eprint!("\r\x1b[K{line}");
            let _ = std::io::stderr().flush();
        } else {
            eprintln!("{line}");
        }
    }

    fn finish(&mut self) {
        if self.tty {
            eprintln!();
        }
    }
}

/// `atzinums bench retrieval`: search latency at scale on random vectors, and (with
/// `--quality`) how often the top 5 holds a precedent with the same main diagnosis and outcome.
#[derive(Args)]
pub struct RetrievalBenchArgs {
    /// Points to index (random unit vectors around 1,000 centres, synthetic payloads).
    #[arg(long, default_value_t = 100_000)]
    points: usize,
    #[arg(long, default_value_t = 384)]
    dim: usize,
    /// Search queries per measurement.
    #[arg(long, default_value_t = 2000)]
    queries: usize,
    /// Concurrent searching threads (and the shard's search pool).
    #[arg(long, default_value_t = 2)]
    threads: usize,
    /// Where to build the index (default: a temporary folder, deleted afterwards). An existing
    /// index there with as many points is reused (no rebuild).
    #[arg(long)]
    dir: Option<PathBuf>,
    /// Instead of the latency run: a held-out dataset (decided cases, not in the index) whose
    /// cases are queried against the index of the data directory, dense vs sparse vs hybrid.
    #[arg(long)]
    quality: Option<PathBuf>,
    /// At most this many held-out cases for `--quality`.
    #[arg(long, default_value_t = 500)]
    limit: usize,
}

pub fn bench(args: RetrievalBenchArgs, max_input_bytes: u64, data_dir: &Path) -> anyhow::Result<()> {
    match &args.quality {
        Some(dataset) => bench_quality(dataset, args.limit, max_input_bytes, data_dir),
        None => bench_latency(&args),
    }
}

fn bench_quality(
    dataset: &Path,
    limit: usize,
    max_input_bytes: u64,
    data_dir: &Path,
) -> anyhow::Result<()> {
    let loaded = atzinums_eval::dataset::read_dataset(dataset)?;
    let embedder = load_e5(data_dir)?;
    let index = open_index(data_dir, embedder.dim(), embedder.model_id(), false)?;
    let in_index = index.count(&PrecedentFilter::default())?;
    anyhow::ensure!(in_index > 0, "the index is empty: run `atzinums index DATASET` first");
    let retriever = Retriever::new(index, embedder)?;
    let sandbox = crate::ingest_cmd::sandbox(Duration::from_secs(120), max_input_bytes)?;
    let catalogue = load_catalogue(data_dir);
    let cases: Vec<_> = loaded
        .cases
        .iter()
        .filter_map(|c| c.decision.as_ref().map(|d| (c, d)))
        .take(limit)
        .collect();
    let modes = [("dense", Mode::Dense), ("sparse", Mode::Sparse), ("hybrid", Mode::Hybrid)];
    let mut same_both = [0usize; 3];
    let mut same_dx = [0usize; 3];
    let mut latency = [Duration::ZERO; 3];
    let mut asked = 0usize;
    for (c, decision) in &cases {
        let description = describe(&c.dir, &c.case, &sandbox, catalogue.as_ref());
        if description.check().is_err() {
            continue;
        }
        asked += 1;
        let primary = decision.primary_icd10.as_ref().map(|p| p.as_str().to_string());
        for (m, (_, mode)) in modes.iter().enumerate() {
            let options = SimilarOptions {
                k: 5,
                mode: *mode,
                ..SimilarOptions::default()
            };
            let t = Instant::now();
            let hits = retriever.similar(&description, &options)?;
            latency[m] += t.elapsed();
            if hits.iter().any(|h| h.precedent.primary_icd10 == primary) {
                same_dx[m] += 1;
            }
            if hits
                .iter()
                .any(|h| h.precedent.primary_icd10 == primary && h.precedent.outcome == decision.outcome)
            {
                same_both[m] += 1;
            }
        }
    }
    println!(
        "top-5 over {asked} held-out cases against {in_index} precedents (same main diagnosis AND same outcome / same main diagnosis; mean time per query incl. embedding):"
    );
    for (m, (name, _)) in modes.iter().enumerate() {
        println!(
            "  {name:<7} {:5.1}%   {:5.1}%   {:6.1} ms",
            100.0 * same_both[m] as f64 / asked.max(1) as f64,
            100.0 * same_dx[m] as f64 / asked.max(1) as f64,
            latency[m].as_secs_f64() * 1e3 / asked.max(1) as f64
        );
    }
    Ok(())
}

fn random_unit(rng: &mut impl rand::Rng, dim: usize) -> Vec<f32> {
    let mut v: Vec<f32> = (0..dim).map(|_| rng.random_range(-1.0f32..1.0)).collect();
    let n = v.iter().map(|x| x * x).sum::<f32>().sqrt();
    v.iter_mut().for_each(|x| *x /= n);
    v
}

fn synthetic_point(i: usize, dense: Vec<f32>) -> atzinums_retrieval::IndexedPrecedent {
    use atzinums_models::Outcome;
    use atzinums_retrieval::sparse::TermCounts;
    const KINDS: [ApplicationKind; 3] = [
        ApplicationKind::DisabilityFirst,
        ApplicationKind::DisabilityRepeat,
        ApplicationKind::PredictedDisability,
    ];
    const CODES: [&str; 8] = ["G35", "F32.1", "M54.5", "I63.9", "C50.9", "E11.9", "F20.0", "G80.1"];
    let code: atzinums_models::Icd10 = CODES[i % CODES.len()].parse().expect("valid code");
    let year = 1998 + (i % 28) as i32;
    let month = 1 + (i % 12) as u32;
    let decided = NaiveDate::from_ymd_opt(year, month, 1).expect("valid date");
    let mut terms = TermCounts::default();
    terms.add_icd10(&code, 3.0);
    terms.add_text(&format!("vārds{} vārds{} vārds{}", i % 997, i % 101, i % 13));
    atzinums_retrieval::IndexedPrecedent {
        precedent: atzinums_retrieval::Precedent {
            case_id: format!("B-{i:08}"),
            kind: KINDS[i % KINDS.len()],
            age_band: AgeBand::ALL[i % AgeBand::ALL.len()],
            sex: atzinums_models::Sex::F,
            region: "Rīga".into(),
            primary_icd10: Some(code.as_str().into()),
            primary_category: Some(code.category().into()),
            icd10: vec![code.as_str().into()],
            icd10_chapters: vec![code.chapter().roman().into()],
            functioning: Default::default(),
            outcome: Outcome::GroupII,
            work_capacity_loss_pct: Some(60),
            term: None,
            cause: None,
            opinions: Default::default(),
            decided_at: format!("{year:04}-{month:02}"),
            decided_month: atzinums_retrieval::precedent::month_number(decided),
            conclusion: "Sintētisks precedents.".into(),
            source: PrecedentSource::Dataset,
            content_hash: format!("{i}"),
        },
        dense,
        sparse: terms.document_vector(),
    }
}

fn dir_bytes(dir: &Path) -> u64 {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    entries
        .flatten()
        .map(|e| {
            let p = e.path();
            if p.is_dir() {
                dir_bytes(&p)
            } else {
                e.metadata().map(|m| m.len()).unwrap_or(0)
            }
        })
        .sum()
}

fn proc_status_kib(field: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find(|l| l.starts_with(field))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i].as_secs_f64() * 1e3
}

fn bench_latency(args: &RetrievalBenchArgs) -> anyhow::Result<()> {
    use rand::SeedableRng;
    let temp;
    let dir = match &args.dir {
        Some(d) => d.clone(),
        None => {
            temp = tempfile::tempdir()?;
            temp.path().join("index")
        }
    };
    let options = EdgeOptions::new(args.dim, "bench-random");
    let index = EdgeIndex::open(&dir, options)?;
    let mut rng = rand::rngs::StdRng::seed_from_u64(42);
    let centres: Vec<Vec<f32>> = (0..1000).map(|_| random_unit(&mut rng, args.dim)).collect();
    let near = |rng: &mut rand::rngs::StdRng| {
        use rand::Rng;
        let c = &centres[rng.random_range(0..centres.len())];
        let noise = random_unit(rng, args.dim);
        let mut v: Vec<f32> = c.iter().zip(&noise).map(|(a, b)| a + 0.7 * b).collect();
        let n = v.iter().map(|x| x * x).sum::<f32>().sqrt();
        v.iter_mut().for_each(|x| *x /= n);
        v
    };
    let rss_before = proc_status_kib("VmRSS:").unwrap_or(0);
    let existing = index.count(&PrecedentFilter::default())?;
    if existing != args.points {
        anyhow::ensure!(existing == 0, "{} holds {existing} points, not {}: use an empty folder", dir.display(), args.points);
        let t = Instant::now();
        let mut i = 0;
        while i < args.points {
            let n = 2000.min(args.points - i);
            let batch: Vec<_> = (i..i + n).map(|j| synthetic_point(j, near(&mut rng))).collect();
            index.upsert(batch)?;
            i += n;
            if i % 100_000 == 0 {
                eprintln!("  upserted {i} ({:.0} points/s)", i as f64 / t.elapsed().as_secs_f64());
            }
        }
        index.flush()?;
        let upsert_s = t.elapsed().as_secs_f64();
        let t = Instant::now();
        eprintln!("building HNSW for {} points…", args.points);
        index.optimize()?;
        println!(
            "indexed {} points of {}-d: upsert {:.1} s ({:.0}/s), HNSW build {:.1} s",
            args.points,
            args.dim,
            upsert_s,
            args.points as f64 / upsert_s,
            t.elapsed().as_secs_f64()
        );
    }
    let disk = dir_bytes(&dir);
    let rss = proc_status_kib("VmRSS:").unwrap_or(0);
    let per_million = 1e6 / args.points as f64;
    println!(
        "disk {:.0} MiB ({:.0} MiB per million points); process RSS {:.0} MiB after indexing ({:.0} MiB over the start; {:.0} MiB per million), peak {:.0} MiB",
        disk as f64 / 1048576.0,
        disk as f64 / 1048576.0 * per_million,
        rss as f64 / 1024.0,
        rss.saturating_sub(rss_before) as f64 / 1024.0,
        rss.saturating_sub(rss_before) as f64 / 1024.0 * per_million,
        proc_status_kib("VmHWM:").unwrap_or(0) as f64 / 1024.0
    );
    let queries: Vec<Vec<f32>> = (0..args.queries).map(|_| near(&mut rng)).collect();
    let filter = PrecedentFilter {
        kinds: vec![ApplicationKind::DisabilityFirst],
        age_bands: vec![AgeBand::A30, AgeBand::A45, AgeBand::A55],
        ..PrecedentFilter::default()
    };
    let selectivity = index.count(&filter)? as f64 / args.points as f64;
    let sparse_query = |i: usize| {
        let mut t = atzinums_retrieval::sparse::TermCounts::default();
        t.add_text(&format!("vārds{} vārds{}", i % 997, i % 13));
        t.query_vector()
    };
    let cases: [(&str, Box<dyn Fn(usize) -> anyhow::Result<()> + Sync>); 4] = [
        (
            "dense, no filter",
            Box::new(|i| {
                index.search_dense(&queries[i], &PrecedentFilter::default(), 10, false)?;
                Ok(())
            }),
        ),
        (
            "dense + filter",
            Box::new(|i| {
                index.search_dense(&queries[i], &filter, 10, false)?;
                Ok(())
            }),
        ),
        (
            "sparse + filter",
            Box::new(|i| {
                index.search_sparse(&sparse_query(i), &filter, 10)?;
                Ok(())
            }),
        ),
        (
            "hybrid RRF + filter",
            Box::new(|i| {
                index.search(&atzinums_retrieval::Query {
                    dense: Some(queries[i].clone()),
                    sparse: Some(sparse_query(i)),
                    filter: filter.clone(),
                    k: 10,
                    ..Default::default()
                })?;
                Ok(())
            }),
        ),
    ];
    println!(
        "search latency, {} queries on {} threads, k=10, filter = kind ∧ age band (selects {:.1}%):",
        args.queries,
        args.threads,
        100.0 * selectivity
    );
    for (name, run) in &cases {
        let next = std::sync::atomic::AtomicUsize::new(0);
        let t = Instant::now();
        let mut all: Vec<Duration> = std::thread::scope(|s| {
            let handles: Vec<_> = (0..args.threads.max(1))
                .map(|_| {
                    s.spawn(|| {
                        let mut times = Vec::new();
                        loop {
                            let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                            if i >= queries.len() {
                                return Ok::<_, anyhow::Error>(times);
                            }
                            let q = Instant::now();
                            run(i)?;
                            times.push(q.elapsed());
                        }
                    })
                })
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().expect("bench thread"))
                .collect::<anyhow::Result<Vec<_>>>()
                .map(|v| v.into_iter().flatten().collect())
        })?;
        let wall = t.elapsed().as_secs_f64();
        all.sort();
        println!(
            "  {name:<20} p50 {:6.2} ms  p99 {:6.2} ms  max {:6.2} ms  ({:.0} queries/s)",
            percentile(&all, 0.5),
            percentile(&all, 0.99),
            percentile(&all, 1.0),
            all.len() as f64 / wall
        );
    }
    Ok(())
}
