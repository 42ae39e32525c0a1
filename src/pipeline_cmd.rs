//! `atzinums draft CASE_DIR`, `atzinums replay DRAFT_ID` and `atzinums calibrate DATASET`: the
//! examination pipeline on dataset case folders. Reading (sandboxed extraction, findings, the
//! trained functioning reader) and retrieval happen here; assessment, routing, drafting and
//! verification are `atzinums-pipeline`'s.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use atzinums_eval::dataset::{LoadedCase, LoadedDataset};
use atzinums_inference::catalogue::Icd10Catalogue;
use atzinums_inference::embed::Embedder;
use atzinums_ingest::case_file::DocumentInput;
use atzinums_ingest::findings::functioning::learned::FunctioningReader;
use atzinums_ingest::{ExtractOptions, ExtractedDocument, Failure, Sandbox};
use atzinums_models::{CaseJson, DecisionJson};
use atzinums_pipeline::calibration::{self, Calibration};
use atzinums_pipeline::{
    Assembled, CaseInput, DraftRecord, InputRef, ModelRef, PipelineConfig, RetrievalMode,
    RunInputs, StageTimes, UsedPrecedent,
};
use atzinums_retrieval::{CaseDescription, Mode, Retriever, SimilarOptions};
use chrono::NaiveDate;
use clap::Args;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::case_folder;
use crate::config::Config;
use crate::retrieval_cmd::{load_e5, open_index};

#[derive(Args)]
pub struct DraftArgs {
    /// A case folder of the dataset format (case.json + documents/).
    case_dir: PathBuf,
    /// Print the whole draft record as JSON instead of the texts.
    #[arg(long)]
    json: bool,
    /// Precedents to retrieve.
    #[arg(long, default_value_t = 10)]
    k: usize,
    /// Routing risk: a case is standard only when the conformal set at this risk is one outcome.
    #[arg(long, default_value_t = 0.02)]
    risk: f64,
}

#[derive(Args)]
pub struct ReplayArgs {
    /// The draft's id (`D-…`), as `atzinums draft` printed it.
    draft_id: String,
}

#[derive(Args)]
pub struct CalibrateArgs {
    /// An indexed archive (atzinums-dataset/1): its decided cases are assessed without
    /// themselves as precedents and compared with their signed decisions.
    dataset: PathBuf,
    /// How many cases (the last ones by folder name, so that an index built with `--limit`
    /// over the first ones keeps them apart).
    #[arg(long, default_value_t = 1000)]
    cases: usize,
    /// Precedents to retrieve: drafts must use the same number for the bounds to hold.
    #[arg(long, default_value_t = 10)]
    k: usize,
    #[arg(long, default_value_t = 0.02)]
    risk: f64,
}

impl CalibrateArgs {
    /// Calibration on the last `cases` decided cases of an indexed archive.
    pub fn of(dataset: PathBuf, cases: usize, k: usize, risk: f64) -> Self {
        CalibrateArgs {
            dataset,
            cases,
            k,
            risk,
        }
    }
}

/// Per-stage wall time of one case.
#[derive(Debug, Clone, Copy, Default)]
pub struct Latency {
    pub extract: f64,
    pub findings: f64,
    pub embed: f64,
    pub search: f64,
    pub assess: f64,
    pub draft: f64,
    pub verify: f64,
}

impl Latency {
    pub fn total(&self) -> f64 {
        self.extract
            + self.findings
            + self.embed
            + self.search
            + self.assess
            + self.draft
            + self.verify
    }

    /// Seconds per stage, by name.
    pub fn by_stage(&self) -> BTreeMap<String, f64> {
        [
            ("extract", self.extract),
            ("findings", self.findings),
            ("embed", self.embed),
            ("search", self.search),
            ("assess", self.assess),
            ("draft", self.draft),
            ("verify", self.verify),
        ]
        .into_iter()
        .map(|(stage, seconds)| (stage.to_string(), seconds))
        .collect()
    }

    fn add_pipeline(&mut self, t: StageTimes) {
        self.assess = t.assess.as_secs_f64();
        self.draft = t.draft.as_secs_f64();
        self.verify = t.verify.as_secs_f64();
    }
}

/// A draft record as kept under `<data dir>/drafts/`, with where its case was read from.
#[derive(Serialize, Deserialize)]
struct StoredDraft {
    case_dir: PathBuf,
    record: DraftRecord,
}

/// The loaded models, index and calibration: open once, draft many.
pub struct Drafter {
    embedder: Arc<dyn Embedder>,
    reader: Option<FunctioningReader>,
    retriever: Retriever,
    sandbox: Sandbox,
    catalogue: Option<Icd10Catalogue>,
    pub calibration: Calibration,
    pub config: PipelineConfig,
}

/// A case read from its folder.
pub struct ReadCase {
    pub input: CaseInput,
    pub description: CaseDescription,
    pub inputs: Vec<InputRef>,
    pub latency: Latency,
}

pub fn calibration_path(data_dir: &Path) -> PathBuf {
    data_dir.join("pipeline").join("calibration.json")
}

fn calibration_archive(data_dir: &Path, sha256: &str) -> PathBuf {
    data_dir
        .join("pipeline")
        .join("calibration")
        .join(format!("{sha256}.json"))
}

fn drafts_dir(data_dir: &Path) -> PathBuf {
    data_dir.join("drafts")
}

/// The current calibration, or the uncalibrated one (which routes nothing standard) with a
/// note on stderr.
pub fn load_calibration(data_dir: &Path, config: &PipelineConfig) -> anyhow::Result<Calibration> {
    let path = calibration_path(data_dir);
    match std::fs::read(&path) {
        Ok(bytes) => {
            let c: Calibration = serde_json::from_slice(&bytes).with_context(|| {
                format!(
                    "{} is damaged: run `atzinums calibrate ARCHIVE` again",
                    path.display()
                )
            })?;
            if c.format != calibration::CALIBRATION_FORMAT {
                bail!(
                    "{} has format {}, expected {}: run `atzinums calibrate ARCHIVE`",
                    path.display(),
                    c.format,
                    calibration::CALIBRATION_FORMAT
                );
            }
            // Its error bound holds only for drafts made the way its cases were.
            if c.config != *config {
                bail!(
                    "the calibration was fitted with k {} at risk {} ({:?} search{}) but this run asks k {} at risk {}: \
                     run `atzinums calibrate ARCHIVE --k {} --risk {}`, or use the calibrated settings",
                    c.config.k,
                    c.config.risk,
                    c.config.mode,
                    if c.config.functioning_reader {
                        ", trained reader"
                    } else {
                        ""
                    },
                    config.k,
                    config.risk,
                    config.k,
                    config.risk
                );
            }
            Ok(c)
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            eprintln!(
                "not calibrated yet (`atzinums calibrate ARCHIVE`): every case goes to the complex queue"
            );
            Ok(Calibration::uncalibrated(config))
        }
        Err(e) => Err(e).with_context(|| format!("cannot read {}", path.display())),
    }
}

fn save_calibration(data_dir: &Path, c: &Calibration) -> anyhow::Result<PathBuf> {
    let json = serde_json::to_vec_pretty(c)?;
    let archived = calibration_archive(data_dir, &c.sha256());
    std::fs::create_dir_all(archived.parent().expect("has a parent"))?;
    std::fs::write(&archived, &json)?;
    let path = calibration_path(data_dir);
    let tmp = path.with_extension("json.tmp");
    std::fs::write(&tmp, &json)?;
    std::fs::rename(&tmp, &path)?;
    Ok(path)
}

impl Drafter {
    pub fn open(
        data_dir: &Path,
        config: PipelineConfig,
        calibration: Calibration,
        max_input_bytes: u64,
    ) -> anyhow::Result<Drafter> {
        let embedder = load_e5(data_dir)?;
        let reader = if config.functioning_reader {
            Some(
                FunctioningReader::builtin(embedder.clone())
                    .context("the trained functioning reader")?,
            )
        } else {
            None
        };
        let index = open_index(data_dir, embedder.dim(), embedder.model_id(), false)?;
        let retriever = Retriever::new(index, embedder.clone())?;
        let sandbox = crate::ingest_cmd::sandbox(Duration::from_secs(120), max_input_bytes)?;
        let catalogue = case_folder::load_catalogue(data_dir);
        Ok(Drafter {
            embedder,
            reader,
            retriever,
            sandbox,
            catalogue,
            calibration,
            config,
        })
    }

    /// How the functioning reader's sentence memory did: a line for progress reports.
    pub fn reader_memory(&self) -> Option<String> {
        let (hits, misses) = self.reader.as_ref()?.sentences_remembered();
        let all = hits + misses;
        (all > 0).then(|| {
            format!(
                "functioning reader: {all} sentences, {:.1} % from memory ({misses} embedded)",
                hits as f64 * 100.0 / all as f64
            )
        })
    }

    pub fn models(&self) -> Vec<ModelRef> {
        let mut models = vec![ModelRef {
            role: "embedder".into(),
            id: self.embedder.model_id().into(),
            sha256: self.embedder.model_sha256().into(),
        }];
        if let Some(r) = &self.reader {
            for head in r.heads() {
                models.push(ModelRef {
                    role: format!("functioning_heads/{}", head.card().task),
                    id: head.card().embedder.clone(),
                    sha256: head.card().weights_sha256.clone(),
                });
            }
            let questionnaire = r.questionnaire();
            models.push(ModelRef {
                role: format!("functioning_heads/{}", questionnaire.task),
                id: questionnaire.training_source.clone(),
                sha256: questionnaire.sha256(),
            });
        }
        models
    }

    /// Reads and assembles a case folder: extraction in the sandbox, findings, case file.
    pub fn read(&self, dir: &Path) -> anyhow::Result<ReadCase> {
        let case = case_folder::read_case_json(dir)?;
        if !case.kind.is_examination() {
            bail!(
                "{} is a {} application: there is nothing to examine",
                case.case_id.as_str(),
                case.kind
            );
        }
        self.read_parsed(dir, &case)
    }

    fn read_parsed(&self, dir: &Path, case: &CaseJson) -> anyhow::Result<ReadCase> {
        let mut latency = Latency::default();
        let t = Instant::now();
        let documents = case_folder::document_inputs(dir, case, |bytes| self.extract(bytes));
        latency.extract = t.elapsed().as_secs_f64();
        let case_json = std::fs::read(dir.join("case.json"))?;
        let case_json = InputRef {
            name: "case.json".into(),
            sha256: hex::encode(Sha256::digest(&case_json)),
        };
        let t = Instant::now();
        let assembled = self.assemble(documents, case.submitted_at, case_json);
        latency.findings = t.elapsed().as_secs_f64();
        let description =
            CaseDescription::from_case_json(case, assembled.file.clone(), assembled.text);
        Ok(ReadCase {
            input: CaseInput::from_case_json(case, assembled.file, assembled.pages),
            description,
            inputs: assembled.inputs,
            latency,
        })
    }

    /// Extracts one document's text: plain text here, everything else in the sandbox.
    pub fn extract(&self, bytes: &[u8]) -> Result<ExtractedDocument, Failure> {
        let options = ExtractOptions {
            ocr: self.config.ocr,
            ..ExtractOptions::default()
        };
        case_folder::extract_text_in_process(bytes, &self.sandbox, &options)
    }

    /// Assembles the case file of extracted documents (findings, the functioning reader) with
    /// the pages and text the drafts cite; `application` is the hash of what describes the
    /// application (case.json, or the stored application).
    pub fn assemble(
        &self,
        documents: Vec<DocumentInput>,
        submitted_at: NaiveDate,
        application: InputRef,
    ) -> Assembled {
        let mut inputs = vec![application];
        let mut pages = BTreeMap::new();
        let mut text = String::new();
        for d in &documents {
            inputs.push(InputRef {
                name: d.id.clone(),
                sha256: d.sha256.clone(),
            });
            if let Ok(doc) = &d.extracted {
                pages.insert(
                    d.id.clone(),
                    doc.pages
                        .iter()
                        .map(|p| (p.number, p.text.clone()))
                        .collect::<Vec<_>>(),
                );
                for p in &doc.pages {
                    text.push_str(&p.text);
                    text.push('\n');
                }
            }
        }
        let file = atzinums_ingest::case_file::assemble(
            documents,
            submitted_at,
            self.catalogue.as_ref(),
            self.reader.as_ref(),
        );
        Assembled {
            file,
            pages,
            text,
            inputs,
        }
    }

    pub fn retriever(&self) -> &Retriever {
        &self.retriever
    }

    /// The most similar precedents (never the case itself).
    pub fn precedents(&self, read: &mut ReadCase) -> anyhow::Result<Vec<UsedPrecedent>> {
        let mode = match self.config.mode {
            RetrievalMode::Dense => Mode::Dense,
            RetrievalMode::Sparse => Mode::Sparse,
            RetrievalMode::Hybrid => Mode::Hybrid,
        };
        let options = SimilarOptions {
            k: self.config.k,
            mode,
            max_per_diagnosis: self.config.max_per_diagnosis,
            filter: Default::default(),
        };
        if read.description.check().is_err() {
            return Ok(Vec::new());
        }
        let t = Instant::now();
        let query = self.retriever.query_for(&read.description, &options)?;
        read.latency.embed = t.elapsed().as_secs_f64();
        let t = Instant::now();
        let hits = self.retriever.index.search(&query)?;
        read.latency.search = t.elapsed().as_secs_f64();
        Ok(hits
            .into_iter()
            .map(|h| UsedPrecedent {
                score: h.score,
                dense: h.dense,
                sparse: h.sparse,
                precedent: h.precedent,
            })
            .collect())
    }

    /// Reads, retrieves and runs the pipeline on one case folder.
    pub fn draft(&self, dir: &Path) -> anyhow::Result<(DraftRecord, Latency)> {
        let mut read = self.read(dir)?;
        let precedents = self.precedents(&mut read)?;
        self.run(read, precedents)
    }

    /// Runs the pipeline on a read case with its precedents.
    pub fn run(
        &self,
        read: ReadCase,
        precedents: Vec<UsedPrecedent>,
    ) -> anyhow::Result<(DraftRecord, Latency)> {
        let mut latency = read.latency;
        let (record, times) = atzinums_pipeline::run(
            &read.input,
            RunInputs {
                precedents,
                calibration: &self.calibration,
                config: self.config.clone(),
                models: self.models(),
                inputs: read.inputs,
            },
        )?;
        latency.add_pipeline(times);
        Ok((record, latency))
    }
}

/// Prints a progress bar line on stderr every `every` cases and at the last: done of total,
/// cases per second and the time left at that rate. One line each (no carriage returns), so
/// logs keep it.
pub fn report_progress(n: usize, total: usize, every: usize, started: Instant) {
    if n.is_multiple_of(every) || n == total {
        eprintln!(
            "{}",
            progress_line(n, total, started.elapsed().as_secs_f64())
        );
    }
}

fn progress_line(n: usize, total: usize, seconds: f64) -> String {
    const WIDTH: usize = 30;
    let filled = (n * WIDTH).checked_div(total).unwrap_or(WIDTH).min(WIDTH);
    let rate = n as f64 / seconds.max(1e-9);
    let left = total.saturating_sub(n) as f64 / rate.max(1e-9);
    format!(
        "[{}{}] {n}/{total} {rate:.1} cases/s, about {:.0} s left",
        "#".repeat(filled),
        "-".repeat(WIDTH - filled),
        left
    )
}

/// Keeps a draft record under `<data dir>/drafts/<id>.json` for review and replay.
pub fn keep(data_dir: &Path, case_dir: &Path, record: &DraftRecord) -> anyhow::Result<PathBuf> {
    let dir = drafts_dir(data_dir);
    std::fs::create_dir_all(&dir)?;
    let stored = StoredDraft {
        case_dir: std::path::absolute(case_dir)?,
        record: record.clone(),
    };
    let path = dir.join(format!("{}.json", record.draft_id));
    let tmp = path.with_extension("json.tmp");
    std::fs::write(&tmp, serde_json::to_vec_pretty(&stored)?)?;
    std::fs::rename(&tmp, &path)?;
    Ok(path)
}

fn config_for(k: usize, risk: f64) -> PipelineConfig {
    PipelineConfig {
        k,
        risk,
        ..PipelineConfig::default()
    }
}

pub fn draft(args: DraftArgs, max_input_bytes: u64, data_dir: &Path) -> anyhow::Result<()> {
    let config = config_for(args.k, args.risk);
    let calibration = load_calibration(data_dir, &config)?;
    let drafter = Drafter::open(data_dir, config, calibration, max_input_bytes)?;
    let (record, latency) = drafter.draft(&args.case_dir)?;
    let path = keep(data_dir, &args.case_dir, &record)?;
    let r = &record;
    if args.json {
        println!("{}", serde_json::to_string_pretty(r)?);
        return Ok(());
    }
    println!("{}", r.draft.conclusion);
    println!("{}", r.draft.decision);
    println!("— draft {} ({})", r.draft_id, path.display());
    println!(
        "— route: {}{}{}; prediction set: {:?}; outcome confidence {:.3} ({})",
        r.routing.route.kind(),
        if r.routing.route.reasons().is_empty() {
            String::new()
        } else {
            format!(
                " ({})",
                r.routing
                    .route
                    .reasons()
                    .iter()
                    .map(|c| c.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        },
        if r.routing.route.missing().is_empty() {
            String::new()
        } else {
            format!(
                " (missing: {})",
                r.routing
                    .route
                    .missing()
                    .iter()
                    .map(|c| c.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        },
        r.routing
            .prediction_set
            .iter()
            .map(|o| o.as_str())
            .collect::<Vec<_>>(),
        r.assessment.outcome.confidence,
        r.routing.stratum,
    );
    if r.verification.passed() {
        println!(
            "— verification passed ({} items checked)",
            r.verification.checked
        );
    } else {
        println!("— VERIFICATION FAILED:");
        for p in &r.verification.problems {
            println!("    {}: {} — {}", p.kind, p.token, p.message);
        }
    }
    println!(
        "— {:.2} s (extract {:.2}, findings {:.2}, embed {:.2}, search {:.3}, assess {:.3}, draft {:.3}, verify {:.3})",
        latency.total(),
        latency.extract,
        latency.findings,
        latency.embed,
        latency.search,
        latency.assess,
        latency.draft,
        latency.verify
    );
    Ok(())
}

pub async fn replay(args: ReplayArgs, config: &Config) -> anyhow::Result<()> {
    if !args.draft_id.starts_with("D-")
        || args.draft_id.len() != 18
        || !args.draft_id[2..].chars().all(|c| c.is_ascii_hexdigit())
    {
        bail!(
            "\"{}\" is not a draft id (D- and 16 hex digits)",
            args.draft_id.chars().take(40).collect::<String>()
        );
    }
    let (data_dir, max_input_bytes) = (&config.data_dir, config.max_document_bytes);
    let path = drafts_dir(data_dir).join(format!("{}.json", args.draft_id));
    // A draft of `atzinums draft` is kept in the data directory; a worker's is in the store.
    let (record, replayed) = if path.exists() {
        let bytes =
            std::fs::read(&path).with_context(|| format!("cannot read {}", path.display()))?;
        let stored: StoredDraft = serde_json::from_slice(&bytes)
            .with_context(|| format!("{} is damaged", path.display()))?;
        let drafter = replay_drafter(&stored.record, max_input_bytes, data_dir)?;
        let read = drafter.read(&stored.case_dir)?;
        check_inputs(&read, &stored.record)?;
        let replayed = drafter
            .run(read, stored.record.provenance.precedents.clone())?
            .0;
        (stored.record, replayed)
    } else {
        let store = config.open_store().await?;
        let row = store.draft(&args.draft_id).await?.with_context(|| {
            format!(
                "no draft {} under {} nor in the store",
                args.draft_id,
                drafts_dir(data_dir).display()
            )
        })?;
        let record: DraftRecord =
            serde_json::from_slice(&store.document_bytes(&row.record_sha256).await?)
                .context("the stored draft record is damaged")?;
        let drafter = Arc::new(replay_drafter(&record, max_input_bytes, data_dir)?);
        let replayer = atzinums_store::Actor::system("replay");
        let stored =
            crate::worker::steps::read_application(&store, &drafter, &row.case_id, &replayer)
                .await
                .map_err(|e| anyhow::anyhow!("{}", e.reason))?;
        let read = crate::worker::steps::read_stored(&stored)
            .map_err(|e| anyhow::anyhow!("{}", e.reason))?;
        check_inputs(&read, &record)?;
        let replayed = drafter.run(read, record.provenance.precedents.clone())?.0;
        (record, replayed)
    };
    if replayed.output_sha256 == record.output_sha256
        && replayed.output_bytes() == record.output_bytes()
    {
        println!(
            "{}: byte-identical (output sha256 {})",
            args.draft_id, replayed.output_sha256
        );
        Ok(())
    } else {
        let a = serde_json::to_value(&record)?;
        let b = serde_json::to_value(&replayed)?;
        let differing: Vec<&String> = a
            .as_object()
            .map(|m| m.keys().filter(|k| a.get(*k) != b.get(*k)).collect())
            .unwrap_or_default();
        println!("{}: DIFFERS in {differing:?}", args.draft_id);
        std::process::exit(1);
    }
}

/// A drafter set up as the record's provenance says: the same templates and models (checked),
/// the recorded calibration and configuration.
fn replay_drafter(
    record: &DraftRecord,
    max_input_bytes: u64,
    data_dir: &Path,
) -> anyhow::Result<Drafter> {
    let p = &record.provenance;
    let templates = atzinums_pipeline::draft::template_hashes();
    if templates != p.templates {
        bail!(
            "the templates changed since the draft (recorded {:?}, now {:?}): replay needs the build it was drafted with",
            p.templates,
            templates
        );
    }
    let calibration = if p.calibration_sha256 == Calibration::uncalibrated(&p.config).sha256() {
        Calibration::uncalibrated(&p.config)
    } else {
        let path = calibration_archive(data_dir, &p.calibration_sha256);
        let c: Calibration = serde_json::from_slice(
            &std::fs::read(&path)
                .with_context(|| format!("the calibration {} is gone", path.display()))?,
        )?;
        if c.sha256() != p.calibration_sha256 {
            bail!("{} does not hash to its name", path.display());
        }
        c
    };
    let drafter = Drafter::open(data_dir, p.config.clone(), calibration, max_input_bytes)?;
    if drafter.models() != p.models {
        bail!("the models differ from the recorded ones: {:?}", p.models);
    }
    Ok(drafter)
}

/// The case's inputs must hash as they did when the draft was made.
fn check_inputs(read: &ReadCase, record: &DraftRecord) -> anyhow::Result<()> {
    let p = &record.provenance;
    for (now, then) in read.inputs.iter().zip(&p.inputs) {
        if now != then {
            bail!(
                "input {} changed since the draft (sha256 {} → {})",
                then.name,
                then.sha256,
                now.sha256
            );
        }
    }
    if read.inputs.len() != p.inputs.len() {
        bail!(
            "the case has {} inputs now, {} when drafted",
            read.inputs.len(),
            p.inputs.len()
        );
    }
    Ok(())
}

pub fn calibrate(args: CalibrateArgs, max_input_bytes: u64, data_dir: &Path) -> anyhow::Result<()> {
    let started = Instant::now();
    let dataset = atzinums_eval::dataset::read_dataset(&args.dataset)
        .with_context(|| format!("cannot read the dataset {}", args.dataset.display()))?;
    let mut decided = decided_examinations(&dataset);
    let skip = decided.len().saturating_sub(args.cases);
    decided.drain(..skip);
    let config = config_for(args.k, args.risk);
    let drafter = Drafter::open(
        data_dir,
        config.clone(),
        Calibration::uncalibrated(&config),
        max_input_bytes,
    )?;
    eprintln!(
        "calibrating on {} decided cases (each without itself as a precedent)",
        decided.len()
    );
    // One case at a time: the embedder already uses every core (two cases at once measured
    // 0.7 cases/s against 1.1 one at a time on 2 cores).
    let records: Vec<calibration::Record> = decided
        .iter()
        .enumerate()
        .filter_map(|(i, (c, decision))| {
            let read = drafter.read_parsed(&c.dir, &c.case).and_then(|mut read| {
                let precedents = drafter.precedents(&mut read)?;
                Ok((read, precedents))
            });
            report_progress(i + 1, decided.len(), 100, started);
            match read {
                Ok((read, precedents)) => {
                    let a =
                        atzinums_pipeline::assess(&read.input, &precedents, &drafter.calibration);
                    Some(record_of(&read.input.case_id, &a, decision))
                }
                Err(e) => {
                    eprintln!("skipped {}: {e:#}", c.case.case_id.as_str());
                    None
                }
            }
        })
        .collect();
    if let Some(line) = drafter.reader_memory() {
        eprintln!("{line}");
    }
    let c = Calibration::fit(&records, &config);
    let path = save_calibration(data_dir, &c)?;
    // The records themselves (de-identified: case ids, outcomes, scores), for the quality team.
    let mut jsonl = String::new();
    for r in &records {
        jsonl.push_str(&serde_json::to_string(r)?);
        jsonl.push('\n');
    }
    std::fs::write(path.with_file_name("calibration-records.jsonl"), jsonl)?;
    println!(
        "calibrated on {} cases in {:.0} s → {} (sha256 {})",
        c.cases,
        started.elapsed().as_secs_f64(),
        path.display(),
        c.sha256()
    );
    println!(
        "rules weight {:.1}; percentage within 5 points {:.3}; term {:.3}; cause {:.3}; opinions {:.3}",
        c.rules_weight, c.pct_within_5, c.term_accuracy, c.cause_accuracy, c.opinion_accuracy
    );
    println!(
        "{:<28} {:>6} {:>9} {:>8}",
        "stratum", "cases", "accuracy", "q̂"
    );
    for (k, s) in &c.strata {
        println!(
            "{k:<28} {:>6} {:>9.3} {:>8}",
            s.n,
            f64::from(s.correct) / f64::from(s.n.max(1)),
            s.qhat.map_or("∞".to_string(), |q| format!("{q:.3}"))
        );
    }
    Ok(())
}

/// The examinations of a dataset that carry a signed decision, in folder order.
pub fn decided_examinations(dataset: &LoadedDataset) -> Vec<(&LoadedCase, &DecisionJson)> {
    dataset
        .cases
        .iter()
        .filter(|c| c.case.kind.is_examination())
        .filter_map(|c| c.decision.as_ref().map(|d| (c, d)))
        .collect()
}

/// A calibration record: what the assessment said and what was signed.
pub fn record_of(
    case_id: &str,
    a: &atzinums_pipeline::Assessment,
    d: &DecisionJson,
) -> calibration::Record {
    let outcome_right = a.outcome.value == d.outcome;
    let mut opinions = (0, 0);
    for (kind, est) in &a.opinions {
        if let Some(signed) = d.opinions.get(kind) {
            opinions.1 += 1;
            if *signed == est.value {
                opinions.0 += 1;
            }
        }
    }
    calibration::Record {
        case_id: case_id.to_string(),
        stratum: a.stratum(),
        rules: a.rules,
        vote: a.vote.clone(),
        age: a.age,
        precondition: a.precondition.as_ref().map(|p| p.outcome),
        truth: d.outcome,
        pct: match (a.work_capacity_loss_pct.value, d.work_capacity_loss_pct) {
            (Some(p), Some(t)) if outcome_right => Some((p, t.value())),
            _ => None,
        },
        term_right: (outcome_right && d.term.is_some()).then(|| a.term.value == d.term),
        cause_right: (outcome_right && d.cause.is_some()).then(|| a.cause.value == d.cause),
        opinions,
    }
}

#[cfg(test)]
mod progress_tests {
    #[test]
    fn the_bar_fills_with_the_cases_done() {
        assert_eq!(
            super::progress_line(50, 200, 10.0),
            format!(
                "[{}{}] 50/200 5.0 cases/s, about 30 s left",
                "#".repeat(7),
                "-".repeat(23)
            )
        );
        assert!(super::progress_line(3, 3, 1.0).starts_with(&format!("[{}]", "#".repeat(30))));
    }
}
