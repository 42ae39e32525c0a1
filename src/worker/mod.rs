//! `atzinums worker`: takes jobs from the store's queue (intake → examine; precedent after a
//! signature) and runs them. Any number of worker processes may share one PostgreSQL queue
//! (each needs the precedent index: a Qdrant server with `QDRANT_URL`, as the embedded index
//! is one process's); within a process `--concurrency` loops share the loaded models.
//!
//! A job is leased; while it runs, its lease is renewed every third of its length. A worker
//! killed mid-job stops renewing and the job returns to the queue when the lease runs out.
//! Failures retry with backoff and are dead-lettered with a reason after the last attempt
//! (`atzinums jobs dead`, `atzinums jobs requeue ID`).

pub mod steps;

use steps::Disposition;

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use anyhow::Context;
use atzinums_store::{Actor, ClaimedJob, FailOutcome, JobState, StepEffect, Store, StoreError};
use clap::Args;

use crate::pipeline_cmd::{Drafter, load_calibration};

#[derive(Args, Debug, Clone)]
pub struct WorkerArgs {
    /// Jobs run at once in this process (they share the models; on 2 cores, 1).
    #[arg(long, default_value_t = 1)]
    concurrency: usize,
    /// Seconds a claimed job stays leased without renewal.
    #[arg(long, default_value_t = 60)]
    lease_secs: u64,
    /// Exit once no job is queued or running (for batches and tests); otherwise poll forever.
    #[arg(long)]
    until_idle: bool,
    /// Precedents to retrieve per case.
    #[arg(long, default_value_t = 10)]
    k: usize,
    /// Routing risk (must match the calibration).
    #[arg(long, default_value_t = 0.02)]
    risk: f64,
}

/// How long an idle loop waits before asking the queue again.
const POLL: Duration = Duration::from_millis(500);

pub async fn run(
    args: WorkerArgs,
    store: Store,
    data_dir: &Path,
    max_input_bytes: u64,
) -> anyhow::Result<()> {
    let config = atzinums_pipeline::PipelineConfig {
        k: args.k,
        risk: args.risk,
        ..Default::default()
    };
    let calibration = load_calibration(data_dir, &config)?;
    let data_dir = data_dir.to_path_buf();
    let drafter = tokio::task::spawn_blocking(move || {
        Drafter::open(&data_dir, config, calibration, max_input_bytes)
    })
    .await
    .context("loading the models")??;
    let drafter = Arc::new(drafter);
    let stopping = Arc::new(AtomicBool::new(false));
    {
        let stopping = stopping.clone();
        tokio::spawn(async move {
            let _ = tokio::signal::ctrl_c().await;
            eprintln!("stopping: finishing the jobs in hand");
            stopping.store(true, Ordering::SeqCst);
        });
    }
    let name = format!("worker-{}", std::process::id());
    eprintln!(
        "{name}: {} loop(s) on {} (lease {} s)",
        args.concurrency,
        store.backend().name(),
        args.lease_secs
    );
    let lease = Duration::from_secs(args.lease_secs.max(1));
    let mut loops = tokio::task::JoinSet::new();
    for i in 0..args.concurrency.max(1) {
        let worker = Actor::system(format!("{name}.{i}"));
        let (store, drafter, stopping) = (store.clone(), drafter.clone(), stopping.clone());
        let until_idle = args.until_idle;
        loops.spawn(async move {
            work_loop(&store, &drafter, &worker, lease, until_idle, &stopping).await
        });
    }
    let mut done = 0usize;
    while let Some(joined) = loops.join_next().await {
        done += joined.context("a worker loop panicked")??;
    }
    eprintln!("{name}: {done} job(s) done");
    store.close().await;
    Ok(())
}

/// Claims and runs jobs until stopped (or idle, with `until_idle`); returns the jobs done.
async fn work_loop(
    store: &Store,
    drafter: &Arc<Drafter>,
    worker: &Actor,
    lease: Duration,
    until_idle: bool,
    stopping: &AtomicBool,
) -> anyhow::Result<usize> {
    let mut done = 0;
    while !stopping.load(Ordering::SeqCst) {
        let Some(job) = store.claim_job(lease).await? else {
            if until_idle && queue_is_idle(store).await? {
                break;
            }
            tokio::time::sleep(POLL).await;
            continue;
        };
        if run_job(store, drafter, &job, worker, lease).await {
            done += 1;
        }
    }
    Ok(done)
}

/// Nothing queued (now or later) and nothing running anywhere.
async fn queue_is_idle(store: &Store) -> Result<bool, StoreError> {
    Ok(store
        .job_counts()
        .await?
        .iter()
        .all(|(state, n)| *n == 0 || matches!(state, JobState::Done | JobState::Dead)))
}

/// Runs one job with its lease renewed; records the outcome. True when the job completed.
async fn run_job(
    store: &Store,
    drafter: &Arc<Drafter>,
    job: &ClaimedJob,
    worker: &Actor,
    lease: Duration,
) -> bool {
    let heartbeat = {
        let (store, job) = (store.clone(), job.clone());
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(lease / 3).await;
                if store.renew_job_lease(&job, lease).await.is_err() {
                    break;
                }
            }
        })
    };
    let started = std::time::Instant::now();
    let result = steps::run(store, drafter, job, worker).await;
    heartbeat.abort();
    let case_id = job.case_id.as_deref().unwrap_or("");
    match result {
        Ok(effect) => {
            let effect = match effect {
                StepEffect::Applied => "applied".to_string(),
                StepEffect::Skipped(status) => format!("skipped (case is {status})"),
            };
            tracing::info!(job_id = %job.id, kind = %job.kind, case_id, attempt = job.attempt,
                seconds = started.elapsed().as_secs_f64(), effect, "job done");
            true
        }
        Err(e) if e.disposition == Disposition::LeaseLost => {
            // Another worker holds it now; its result will count, ours is dropped.
            tracing::warn!(job_id = %job.id, kind = %job.kind, case_id, "lease lost; result dropped");
            false
        }
        Err(e) => {
            match store
                .fail_job(job, &e.reason, e.disposition == Disposition::Permanent)
                .await
            {
                Ok(FailOutcome::Retry { after }) => {
                    tracing::warn!(job_id = %job.id, kind = %job.kind, case_id, attempt = job.attempt,
                        retry_in_s = after.as_secs(), reason = %e.reason, "job failed; will retry");
                }
                Ok(FailOutcome::DeadLettered) => {
                    tracing::error!(job_id = %job.id, kind = %job.kind, case_id, attempt = job.attempt,
                        reason = %e.reason, "job dead-lettered");
                }
                Err(fail) => {
                    tracing::warn!(job_id = %job.id, error = %fail, "could not record the failure; the lease will return the job");
                }
            }
            false
        }
    }
}
