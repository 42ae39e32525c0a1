//! `atzinums bench retrieval`: search latency at scale on random vectors (p50/p99, memory and
//! disk per million points), and, with `--quality`, dense vs sparse vs hybrid on held-out cases.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use atzinums_models::ApplicationKind;
use atzinums_retrieval::edge::{EdgeIndex, EdgeOptions};
use atzinums_retrieval::{
    AgeBand, Mode, PrecedentFilter, PrecedentIndex, PrecedentSource, Retriever, SimilarOptions,
};
use chrono::NaiveDate;
use clap::Args;

use crate::case_folder;
use crate::retrieval_cmd::{describe, load_e5, open_index};

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

pub fn bench(
    args: RetrievalBenchArgs,
    max_input_bytes: u64,
    data_dir: &Path,
) -> anyhow::Result<()> {
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
    anyhow::ensure!(
        in_index > 0,
        "the index is empty: run `atzinums index DATASET` first"
    );
    let retriever = Retriever::new(index, embedder)?;
    let sandbox = crate::ingest_cmd::sandbox(Duration::from_secs(120), max_input_bytes)?;
    let catalogue = case_folder::load_catalogue(data_dir);
    let cases: Vec<_> = loaded
        .cases
        .iter()
        .filter_map(|c| c.decision.as_ref().map(|d| (c, d)))
        .take(limit)
        .collect();
    let modes = [
        ("dense", Mode::Dense),
        ("sparse", Mode::Sparse),
        ("hybrid", Mode::Hybrid),
    ];
    let mut same_both = [0usize; 3];
    let mut same_dx = [0usize; 3];
    let mut latency = [Duration::ZERO; 3];
    let mut asked = 0usize;
    for (c, decision) in &cases {
        let description = describe(&c.dir, &c.case, &sandbox, catalogue.as_ref(), true);
        if description.check().is_err() {
            continue;
        }
        asked += 1;
        let primary = decision
            .primary_icd10
            .as_ref()
            .map(|p| p.as_str().to_string());
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
            if hits.iter().any(|h| {
                h.precedent.primary_icd10 == primary && h.precedent.outcome == decision.outcome
            }) {
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
    const CODES: [&str; 8] = [
        "G35", "F32.1", "M54.5", "I63.9", "C50.9", "E11.9", "F20.0", "G80.1",
    ];
    let code: atzinums_models::Icd10 = CODES[i % CODES.len()].parse().expect("valid code");
    let year = 1998 + (i % 28) as i32;
    let month = 1 + (i % 12) as u32;
    let decided = NaiveDate::from_ymd_opt(year, month, 1).expect("valid date");
    let mut terms = TermCounts::default();
    terms.add_icd10(&code, 3.0);
    terms.add_text(&format!(
        "vārds{} vārds{} vārds{}",
        i % 997,
        i % 101,
        i % 13
    ));
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

/// Bytes the folder occupies on disk (allocated blocks, as `du` counts: qdrant-edge's files are
/// sparse, their lengths overstate it).
fn dir_bytes(dir: &Path) -> u64 {
    use std::os::unix::fs::MetadataExt;
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
                e.metadata().map(|m| m.blocks() * 512).unwrap_or(0)
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

/// One measured search, given the query number.
type SearchRun<'a> = dyn Fn(usize) -> anyhow::Result<()> + Sync + 'a;

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
    // Before the index is opened: an existing one is mapped in by `open`.
    let rss_before = proc_status_kib("VmRSS:").unwrap_or(0);
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
    let existing = index.count(&PrecedentFilter::default())?;
    if existing != args.points {
        anyhow::ensure!(
            existing == 0,
            "{} holds {existing} points, not {}: use an empty folder",
            dir.display(),
            args.points
        );
        let t = Instant::now();
        let mut i = 0;
        while i < args.points {
            let n = 2000.min(args.points - i);
            let batch: Vec<_> = (i..i + n)
                .map(|j| synthetic_point(j, near(&mut rng)))
                .collect();
            index.upsert(batch)?;
            i += n;
            if i % 100_000 == 0 {
                eprintln!(
                    "  upserted {i} ({:.0} points/s)",
                    i as f64 / t.elapsed().as_secs_f64()
                );
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
    // qdrant-edge 0.7 never truncates its write-ahead log: it keeps every write until the
    // index is rebuilt, so it is reported on its own.
    let wal = dir_bytes(&dir.join("shard/wal"));
    let rss = proc_status_kib("VmRSS:").unwrap_or(0);
    let per_million = 1e6 / args.points as f64;
    let mib = |bytes: u64| bytes as f64 / 1048576.0;
    println!(
        "disk {:.0} MiB = segments {:.0} MiB ({:.0} MiB per million points) + write-ahead log {:.0} MiB ({:.0} MiB per million)",
        mib(disk),
        mib(disk - wal),
        mib(disk - wal) * per_million,
        mib(wal),
        mib(wal) * per_million,
    );
    println!(
        "process RSS {:.0} MiB ({:.0} MiB over the start: {:.0} MiB per million points), peak {:.0} MiB",
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
    let cases: [(&str, Box<SearchRun>); 4] = [
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
