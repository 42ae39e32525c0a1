//! Crash safety: a child process submits applications (or works jobs) in a loop and is killed
//! with SIGKILL at random moments; after each kill the store must hold every acknowledged
//! submission whole, nothing twice, nothing half-written, and jobs must be redelivered after their
//! lease but never after completion.
//!
//! The child is this same test binary, re-run with `CRASH_CHILD` set: the test
//! `crash_child_entry_point` does the child's work only then.

mod common;

use std::collections::{HashMap, HashSet};
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use atzinums_models::Role;
use atzinums_store::testing::sample_person_code;
use atzinums_store::{Actor, BlobLocation, MasterKey, NewJob, Store, StoreConfig};
use common::*;

const KILLS: usize = 24;
const JOB_LEASE: Duration = Duration::from_millis(700);

struct Target {
    url: String,
    blobs: std::path::PathBuf,
    key: String,
}

fn child_env(target: &Target, mode: &str, start: u64) -> Vec<(String, String)> {
    vec![
        ("CRASH_CHILD".into(), mode.into()),
        ("CRASH_URL".into(), target.url.clone()),
        ("CRASH_BLOBS".into(), target.blobs.display().to_string()),
        ("CRASH_KEY".into(), target.key.clone()),
        ("CRASH_START".into(), start.to_string()),
    ]
}

async fn open(target: &Target) -> Store {
    let config = StoreConfig {
        database_url: target.url.clone(),
        blobs: BlobLocation::Local {
            path: target.blobs.clone(),
        },
        max_document_bytes: atzinums_store::DEFAULT_MAX_DOCUMENT_BYTES,
    };
    Store::open(&config, &MasterKey::from_hex(&target.key).unwrap())
        .await
        .unwrap()
}

/// Runs the child, waits until it says it has opened the store (start-up time varies a lot on a
/// loaded machine), lets it work for `delay`, kills it; returns the lines it printed.
fn run_and_kill(target: &Target, mode: &str, start: u64, delay: Duration) -> Vec<String> {
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "crash_child_entry_point",
            "--nocapture",
            "--test-threads=1",
        ])
        .envs(child_env(target, mode, start))
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let (ready_tx, ready_rx) = std::sync::mpsc::channel();
    let reader = std::thread::spawn(move || {
        let mut lines = Vec::new();
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if line.ends_with("READY") {
                let _ = ready_tx.send(());
            }
            lines.push(line);
        }
        lines
    });
    let ready = ready_rx.recv_timeout(Duration::from_secs(60)).is_ok();
    std::thread::sleep(delay);
    child.kill().unwrap(); // SIGKILL on Unix
    child.wait().unwrap();
    assert!(ready, "the crash child did not open the store within 60 s");
    reader.join().unwrap()
}

/// Random delays that land mid-transaction and mid-blob-write alike.
fn delays(seed: u64) -> impl Iterator<Item = Duration> {
    let mut x = seed;
    std::iter::repeat_with(move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        Duration::from_millis(50 + x % 600)
    })
}

async fn crash_during_submissions(target: Target) {
    let mut acked: HashMap<u64, (String, Vec<String>)> = HashMap::new();
    let mut next = 0u64;
    for delay in delays(0x5eed).take(KILLS) {
        for line in run_and_kill(&target, "submit", next, delay) {
            // ACK <n> <case_id> <sha256,sha256>
            let parts: Vec<_> = line.split_whitespace().collect();
            if parts.first() == Some(&"ACK") {
                let n: u64 = parts[1].parse().unwrap();
                acked.insert(
                    n,
                    (
                        parts[2].to_string(),
                        parts[3].split(',').map(String::from).collect(),
                    ),
                );
                next = next.max(n + 1);
            }
        }
        // The restarted child resumes at the first unacknowledged submission and retries it
        // with the same idempotency key: if it had committed, the retry must not duplicate it.
    }
    assert!(
        acked.len() >= 5,
        "the child made too little progress to test anything ({})",
        acked.len()
    );

    let store = open(&target).await;
    let reader = Actor::system("crash-test");
    for (n, (case_id, hashes)) in &acked {
        let cases = store
            .cases_of_person(&sample_person_code(*n))
            .await
            .unwrap();
        assert_eq!(
            cases,
            vec![case_id.clone()],
            "submission {n}: present exactly once"
        );
        let case = store.read_case(case_id, &reader).await.unwrap();
        let stored: Vec<_> = case.documents.iter().map(|d| d.sha256.clone()).collect();
        assert_eq!(&stored, hashes, "submission {n}: documents complete");
        for sha in &stored {
            store
                .document_bytes(sha)
                .await
                .expect("blob readable and matching its hash");
        }
    }
    // Submissions that committed but were killed before their acknowledgement are whole too.
    for n in 0..next + 1 {
        for case_id in store.cases_of_person(&sample_person_code(n)).await.unwrap() {
            let case = store.read_case(&case_id, &reader).await.unwrap();
            assert_eq!(
                case.documents.len(),
                2,
                "no half-written application is visible"
            );
        }
        assert!(
            store
                .cases_of_person(&sample_person_code(n))
                .await
                .unwrap()
                .len()
                <= 1,
            "no duplicate"
        );
    }
    store.close().await;
}

async fn crash_during_jobs(target: Target) {
    let store = open(&target).await;
    const JOBS: usize = 1000;
    for _ in 0..JOBS {
        store.enqueue_job(&NewJob::new("work", None)).await.unwrap();
    }
    let mut completed = HashSet::new();
    let mut claimed_not_completed = HashSet::new();
    // A later round usually finishes what an earlier kill interrupted, so whether kills landed
    // mid-job is counted per round, not read off the final set.
    let mut mid_job_kills = 0;
    for delay in delays(0xc0ffee).take(KILLS / 2) {
        let mut open_this_round = HashSet::new();
        for line in run_and_kill(&target, "work", 0, delay) {
            let (what, id) = line.split_once(' ').unwrap_or((&line, ""));
            match what {
                "CLAIMED" => {
                    claimed_not_completed.insert(id.to_string());
                    open_this_round.insert(id.to_string());
                }
                "DONE" => {
                    claimed_not_completed.remove(id);
                    open_this_round.remove(id);
                    assert!(completed.insert(id.to_string()), "job {id} completed twice");
                }
                _ => {}
            }
        }
        mid_job_kills += usize::from(!open_this_round.is_empty());
    }
    assert!(
        !completed.is_empty() && mid_job_kills > 0,
        "kills must land mid-job ({} completed, {mid_job_kills} mid-job kills)",
        completed.len()
    );
    // After the lease, everything not completed is delivered again; nothing completed is.
    tokio::time::sleep(JOB_LEASE + Duration::from_millis(200)).await;
    let mut redelivered = HashSet::new();
    while let Some(job) = store.claim_job(Duration::from_secs(60)).await.unwrap() {
        assert!(
            !completed.contains(&job.id),
            "completed job {} delivered again",
            job.id
        );
        redelivered.insert(job.id.clone());
        store.complete_job(&job).await.unwrap();
    }
    // A job held by a killed worker may have completed in the store just before the kill cut
    // its "DONE" line; those are the only ones allowed to be missing from the redelivery.
    let mut done_unreported = 0;
    for id in claimed_not_completed
        .iter()
        .filter(|id| !redelivered.contains(*id))
    {
        assert_eq!(
            store.job(id).await.unwrap().state,
            atzinums_store::JobState::Done,
            "job {id} lost"
        );
        done_unreported += 1;
    }
    assert_eq!(
        completed.len() + redelivered.len() + done_unreported,
        JOBS,
        "every job completed exactly once"
    );
    store.close().await;
}

fn sqlite_target(dir: &std::path::Path) -> Target {
    Target {
        url: format!("sqlite://{}", dir.join("crash.db").display()),
        blobs: dir.join("blobs"),
        key: MasterKey::generate().to_hex(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_survives_sigkill_during_submissions() {
    let dir = tempfile::tempdir().unwrap();
    crash_during_submissions(sqlite_target(dir.path())).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_jobs_survive_sigkill() {
    let dir = tempfile::tempdir().unwrap();
    crash_during_jobs(sqlite_target(dir.path())).await;
}

async fn postgres_target(
    dir: &std::path::Path,
) -> Option<(Target, atzinums_store::testing::IsolatedPostgres)> {
    let Ok(base) = std::env::var("DATABASE_URL") else {
        eprintln!("SKIPPED: PostgreSQL crash test needs DATABASE_URL");
        return None;
    };
    let pg = atzinums_store::testing::IsolatedPostgres::create(&base)
        .await
        .unwrap();
    let target = Target {
        url: pg.url().to_string(),
        blobs: dir.join("blobs"),
        key: MasterKey::generate().to_hex(),
    };
    Some((target, pg))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_survives_sigkill_during_submissions() {
    let dir = tempfile::tempdir().unwrap();
    let Some((target, pg)) = postgres_target(dir.path()).await else {
        return;
    };
    crash_during_submissions(target).await;
    pg.drop_schema().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_jobs_survive_sigkill() {
    let dir = tempfile::tempdir().unwrap();
    let Some((target, pg)) = postgres_target(dir.path()).await else {
        return;
    };
    crash_during_jobs(target).await;
    pg.drop_schema().await.unwrap();
}

/// The child's work; a no-op unless run by the tests above.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn crash_child_entry_point() {
    let Ok(mode) = std::env::var("CRASH_CHILD") else {
        return;
    };
    let env = |k: &str| std::env::var(k).unwrap();
    let target = Target {
        url: env("CRASH_URL"),
        blobs: env("CRASH_BLOBS").into(),
        key: env("CRASH_KEY"),
    };
    let store = open(&target).await;
    println!("READY");
    let started = Instant::now();
    match mode.as_str() {
        "submit" => {
            let mut n: u64 = env("CRASH_START").parse().unwrap();
            loop {
                let mut app = two_document_application(n);
                app.idempotency_key = Some(format!("crash-{n}"));
                app.submitted_by = Actor::person(Role::Applicant, "applicant");
                let s = store.submit(&app).await.unwrap();
                let hashes: Vec<_> = s.documents.iter().map(|d| d.sha256.as_str()).collect();
                println!("ACK {n} {} {}", s.case_id, hashes.join(","));
                n += 1;
            }
        }
        "work" => loop {
            let Some(job) = store.claim_job(JOB_LEASE).await.unwrap() else {
                assert!(started.elapsed() < Duration::from_secs(60));
                tokio::time::sleep(Duration::from_millis(20)).await;
                continue;
            };
            println!("CLAIMED {}", job.id);
            let busy_ms = u64::from_str_radix(&job.id[job.id.len() - 1..], 16).unwrap_or(0);
            tokio::time::sleep(Duration::from_millis(busy_ms)).await;
            store.complete_job(&job).await.unwrap();
            println!("DONE {}", job.id);
        },
        other => panic!("unknown child mode {other}"),
    }
}
