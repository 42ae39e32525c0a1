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
use atzinums_ingest::{ExtractOptions, Sandbox};
use atzinums_models::ApplicationKind;
use atzinums_models::dataset::{CaseJson, DecisionJson};
use atzinums_retrieval::edge::{EdgeIndex, EdgeOptions};
use atzinums_retrieval::{
    AgeBand, CaseDescription, Hit, Mode, PrecedentFilter, PrecedentIndex, PrecedentSource,
    Retriever, SimilarOptions,
};
use chrono::NaiveDate;
use clap::{Args, ValueEnum};
use rayon::prelude::*;

use crate::case_folder;

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
    /// OCR pages without a text layer (seconds per page: off by default for bulk indexing,
    /// where such pages then add nothing to a precedent's text). `similar` always OCRs.
    #[arg(long)]
    ocr: bool,
    /// Skip building the HNSW graph at the end (searches stay exact until the next
    /// `atzinums index` or the service's maintenance timer builds it).
    #[arg(long)]
    no_optimize: bool,
}

impl IndexArgs {
    /// The whole dataset, from scratch: what `eval --archive` indexes.
    pub fn rebuilding(dataset: PathBuf) -> Self {
        IndexArgs {
            dataset,
            rebuild: true,
            force: false,
            batch: 32,
            limit: None,
            ocr: false,
            no_optimize: false,
        }
    }
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
    ocr: bool,
) -> CaseDescription {
    let options = ExtractOptions {
        ocr,
        ..ExtractOptions::default()
    };
    let inputs = case_folder::document_inputs(dir, case, |bytes| {
        case_folder::extract_text_in_process(bytes, sandbox, &options)
    });
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
    let catalogue = case_folder::load_catalogue(data_dir);
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
    // Reading a batch's documents overlaps embedding and storing the batch before it
    // (`rayon::join`): either alone leaves one of the two cores idle part of the time.
    let mut pending: Option<(Vec<(CaseDescription, DecisionJson)>, usize)> = None;
    let store = |batch: Vec<(CaseDescription, DecisionJson)>| {
        retriever.index_batch(&batch, PrecedentSource::Dataset, args.force)
    };
    for chunk in decided.chunks(args.batch.max(1)) {
        // Unchanged cases (same files, same hash as indexed) are skipped before their
        // documents are read: a rerun over an indexed archive reads only the files.
        let hashes: Vec<String> = chunk
            .par_iter()
            .map(|(c, _)| case_folder::source_hash(&c.dir, &c.case, args.ocr))
            .collect::<std::io::Result<_>>()
            .context("cannot read a case folder")?;
        let known = if args.force {
            Default::default()
        } else {
            let ids: Vec<String> = chunk
                .iter()
                .map(|(c, _)| c.case.case_id.as_str().to_string())
                .collect();
            index.content_hashes(&ids)?
        };
        let todo: Vec<_> = chunk
            .iter()
            .zip(hashes)
            .filter(|((c, _), hash)| known.get(c.case.case_id.as_str()) != Some(hash))
            .collect();
        unchanged += chunk.len() - todo.len();
        let previous = pending.take();
        let (described, stored) = rayon::join(
            || {
                todo.par_iter()
                    .map(|((c, d), hash)| {
                        let mut description =
                            describe(&c.dir, &c.case, &sandbox, catalogue.as_ref(), args.ocr);
                        description.source_hash = Some(hash.clone());
                        (description, (*d).clone())
                    })
                    .collect::<Vec<_>>()
            },
            || previous.map(|(batch, read)| store(batch).map(|o| (o, read))),
        );
        if let Some((outcome, read)) = stored.transpose()? {
            indexed += outcome.indexed;
            unchanged += outcome.unchanged;
            since_flush += outcome.indexed;
            progress.advance(read, indexed, unchanged);
        }
        let mut ok = Vec::with_capacity(described.len());
        for (description, decision) in described {
            match description.check() {
                Ok(()) => ok.push((description, decision)),
                Err(e) => {
                    no_text += 1;
                    progress.note(&format!("skipped {}: {e}", description.case_id));
                }
            }
        }
        pending = Some((ok, chunk.len()));
        // Flushed every ~1000 new precedents: an interrupted run resumes from there.
        if since_flush >= 1000 {
            index.flush()?;
            since_flush = 0;
        }
    }
    if let Some((batch, read)) = pending {
        let outcome = store(batch)?;
        indexed += outcome.indexed;
        unchanged += outcome.unchanged;
        progress.advance(read, indexed, unchanged);
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
    let case = case_folder::read_case_json(&args.case_dir)?;
    let sandbox = crate::ingest_cmd::sandbox(Duration::from_secs(120), max_input_bytes)?;
    let catalogue = case_folder::load_catalogue(data_dir);
    let description = describe(&args.case_dir, &case, &sandbox, catalogue.as_ref(), true);
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
        p.work_capacity_loss_pct
            .map(|v| format!("{v}%"))
            .unwrap_or_default(),
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
