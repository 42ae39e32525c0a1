//! The examination workers on PostgreSQL, killed with SIGKILL again and again mid-batch: every
//! application must still end with exactly one current draft and one review task, no job
//! dead-lettered. Then an expert and the official decide one case through the HTTP service
//! (claim, review, edit, approve, sign): the signed decision becomes a precedent through the
//! `precedent` job, and is kept beside the draft it was made from.
//!
//! Needs `DATABASE_URL` (CI sets it); without it the test says SKIPPED and passes.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use atzinums_models::{CaseStatus, Role};
use atzinums_store::testing::IsolatedPostgres;
use atzinums_store::{
    Actor, BlobLocation, EXAMINE_JOB, INTAKE_JOB, JobState, MasterKey, PRECEDENT_JOB, Store,
    StoreConfig,
};
use common::{atzinums, data_dir, stdout_of};

const KEY: &str = "5a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f9";
const CASES: usize = 6;
const KILLS: usize = 5;
/// Short, so that a killed worker's job comes back quickly.
const LEASE: Duration = Duration::from_secs(2);

struct Env {
    data: PathBuf,
    url: String,
}

impl Env {
    fn command(&self, args: &[&str]) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_atzinums"));
        c.arg("--data-dir")
            .arg(&self.data)
            .args(args)
            .env_remove("DATABASE_URL")
            .env("ATZINUMS_DATABASE_URL", &self.url)
            .env("ATZINUMS_MASTER_KEY", KEY)
            .env("ATZINUMS_LOG", "error");
        c
    }

    fn run(&self, args: &[&str]) -> String {
        stdout_of(&self.command(args).output().expect("the binary runs"))
    }

    fn spawn_worker(&self) -> Child {
        self.command(&[
            "worker",
            "--until-idle",
            "--lease-secs",
            &LEASE.as_secs().to_string(),
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("the worker starts")
    }

    async fn store(&self) -> Store {
        let config = StoreConfig {
            database_url: self.url.clone(),
            blobs: BlobLocation::Local {
                path: self.data.join("blobs"),
            },
            max_document_bytes: atzinums_store::DEFAULT_MAX_DOCUMENT_BYTES,
        };
        Store::open(&config, &MasterKey::from_hex(KEY).unwrap())
            .await
            .unwrap()
    }
}

async fn count(store: &Store, state: JobState) -> i64 {
    store
        .job_counts()
        .await
        .unwrap()
        .into_iter()
        .find(|(s, _)| *s == state)
        .map_or(0, |(_, n)| n)
}

/// Starts a worker, waits until it has completed a job and holds another, then kills it
/// (SIGKILL) a moment later: mid-batch, usually mid-job. Returns false if the worker finished
/// the whole queue first.
async fn kill_mid_batch(env: &Env, store: &Store, pause_ms: u64) -> bool {
    let done_before = count(store, JobState::Done).await;
    let mut worker = env.spawn_worker();
    let started = Instant::now();
    loop {
        if worker.try_wait().unwrap().is_some() {
            return false;
        }
        let done = count(store, JobState::Done).await;
        let running = count(store, JobState::Running).await;
        if done > done_before && running > 0 {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(300),
            "the worker made no progress in 5 minutes"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    tokio::time::sleep(Duration::from_millis(pause_ms)).await;
    worker.kill().unwrap(); // SIGKILL on Unix
    worker.wait().unwrap();
    // Let the dead worker's lease run out, as a restarted worker would find it: the job it held
    // is then the first one taken again, and runs to its end before the next kill (each kill
    // is one attempt; a job killed on every attempt is dead-lettered as a poison job would be).
    tokio::time::sleep(LEASE + Duration::from_millis(500)).await;
    true
}

fn run_to_completion(env: &Env) {
    let status = env
        .command(&[
            "worker",
            "--until-idle",
            "--lease-secs",
            &LEASE.as_secs().to_string(),
        ])
        .status()
        .unwrap();
    assert!(status.success(), "the last worker run failed: {status}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_workers_survive_sigkill() {
    let Ok(base) = std::env::var("DATABASE_URL") else {
        eprintln!("SKIPPED: the PostgreSQL worker crash test needs DATABASE_URL");
        return;
    };
    let pg = IsolatedPostgres::create(&base).await.unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let env = Env {
        data: data_dir(tmp.path()),
        url: pg.url().to_string(),
    };
    workers_survive_sigkill_and_signed_decisions_become_precedents(&env, tmp.path()).await;
    pg.drop_schema().await.unwrap();
}

/// The embedded default: SQLite in the data directory.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_workers_survive_sigkill() {
    let tmp = tempfile::tempdir().unwrap();
    let data = data_dir(tmp.path());
    let env = Env {
        url: format!("sqlite://{}", data.join("atzinums.db").display()),
        data,
    };
    workers_survive_sigkill_and_signed_decisions_become_precedents(&env, tmp.path()).await;
}

async fn workers_survive_sigkill_and_signed_decisions_become_precedents(env: &Env, tmp: &Path) {
    let cases = tmp.join("cases");
    stdout_of(&atzinums(
        &env.data,
        &[
            "synth",
            "--cases",
            &CASES.to_string(),
            "--seed",
            "31",
            "--identified",
            "--out",
            cases.to_str().unwrap(),
        ],
    ));
    let folders: Vec<PathBuf> = {
        let mut f: Vec<_> = std::fs::read_dir(cases.join("cases"))
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        f.sort();
        f
    };
    let mut args = vec!["submit"];
    args.extend(folders.iter().map(|p| p.to_str().unwrap()));
    let submitted = env.run(&args);
    // "<folder> → <case id>"
    let case_of: BTreeMap<PathBuf, String> = submitted
        .lines()
        .map(|l| {
            let (dir, case) = l.split_once(" → ").expect("one line per folder");
            (PathBuf::from(dir), case.trim().to_string())
        })
        .collect();
    assert_eq!(case_of.len(), CASES, "{submitted}");
    // Submitting again is idempotent.
    assert!(
        env.run(&args)
            .lines()
            .all(|l| l.ends_with("(submitted before)"))
    );

    let store = env.store().await;
    let mut kills = 0;
    for round in 0..KILLS {
        if kill_mid_batch(env, &store, 150 + 400 * round as u64).await {
            kills += 1;
        }
    }
    run_to_completion(env);
    assert!(kills >= 2, "only {kills} kills landed mid-batch");

    let mut retried = 0;
    for case_id in case_of.values() {
        let drafts = store.drafts_of_case(case_id).await.unwrap();
        let jobs = store.jobs_of_case(case_id).await.unwrap();
        let current: Vec<_> = drafts.iter().filter(|d| d.is_current).collect();
        assert_eq!(current.len(), 1, "{case_id}: {drafts:?} {jobs:?}");
        assert_eq!(drafts.len(), 1, "{case_id}: one examination, one draft");
        let tasks = store.live_review_tasks(case_id).await.unwrap();
        assert_eq!(tasks.len(), 1, "{case_id}: {tasks:?}");
        assert_eq!(tasks[0].queue, current[0].route.as_str());
        let case = store
            .read_case(case_id, &Actor::system("test"))
            .await
            .unwrap();
        assert_eq!(case.status, CaseStatus::ReadyForReview);
        let kinds: Vec<_> = jobs.iter().map(|j| j.kind.as_str()).collect();
        assert_eq!(kinds, [INTAKE_JOB, EXAMINE_JOB], "{case_id}: {jobs:?}");
        assert!(jobs.iter().all(|j| j.state == JobState::Done), "{jobs:?}");
        retried += jobs.iter().filter(|j| j.attempts > 1).count();
    }
    assert!(
        retried > 0,
        "no job was ever taken over after a kill: the kills did not land mid-job"
    );
    assert_eq!(count(&store, JobState::Dead).await, 0);

    // A worker's draft is reproducible from its provenance and the stored documents.
    let first = store
        .current_draft(case_of.values().next().unwrap())
        .await
        .unwrap()
        .unwrap();
    let replay = env.run(&["replay", &first.draft_id]);
    assert!(replay.contains("byte-identical"), "{replay}");

    // An expert and the official decide one case through the service: the decision is kept
    // beside the draft it was made from, and the precedent job puts it in the index.
    let (case_id, draft_id) = expert_and_official_decide_through_the_api(&store).await;
    let case_id = &case_id;
    let folder = case_of
        .iter()
        .find(|(_, c)| *c == case_id)
        .map(|(f, _)| f)
        .unwrap();
    assert_eq!(
        store.signed_draft_id(case_id).await.unwrap(),
        Some(draft_id)
    );
    run_to_completion(env);
    let jobs = store.jobs_of_case(case_id).await.unwrap();
    let precedent = jobs.iter().find(|j| j.kind == PRECEDENT_JOB).unwrap();
    assert_eq!(precedent.state, JobState::Done, "{precedent:?}");
    // The same documents now find the signed case as their nearest precedent.
    let similar = env.run(&["similar", folder.to_str().unwrap(), "--json"]);
    assert!(similar.contains(case_id.as_str()), "{similar}");

    eprintln!("{kills} kills mid-batch; {retried} job(s) taken over after a kill");
    store.close().await;
}

/// One request to the service in process; returns the status and the JSON body.
async fn call(
    app: &axum::Router,
    session: &(String, String),
    method: &str,
    uri: &str,
    body: Option<serde_json::Value>,
) -> (axum::http::StatusCode, serde_json::Value) {
    use http_body_util::BodyExt;
    use tower::ServiceExt;
    let req = axum::http::Request::builder()
        .method(method)
        .uri(uri)
        .header("cookie", format!("atz_session={}", session.0))
        .header("x-csrf-token", &session.1)
        .header("content-type", "application/json");
    let req = req
        .body(axum::body::Body::from(
            body.map(|b| b.to_string()).unwrap_or_default(),
        ))
        .unwrap();
    let res = app.clone().oneshot(req).await.unwrap();
    let status = res.status();
    let bytes = res.into_body().collect().await.unwrap().to_bytes();
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(serde_json::Value::Null),
    )
}

/// A page's HTML as the signed-in person sees it.
async fn page(app: &axum::Router, session: &(String, String), uri: &str) -> String {
    use http_body_util::BodyExt;
    use tower::ServiceExt;
    let req = axum::http::Request::get(uri)
        .header("cookie", format!("atz_session={}", session.0))
        .body(axum::body::Body::empty())
        .unwrap();
    let res = app.clone().oneshot(req).await.unwrap();
    assert_eq!(res.status(), axum::http::StatusCode::OK, "{uri}");
    let bytes = res.into_body().collect().await.unwrap().to_bytes();
    String::from_utf8(bytes.to_vec()).unwrap()
}

/// Text as maud escapes it in HTML.
fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// An expert claims a drafted case, sees the draft with its precedents, edits and approves it;
/// the official signs exactly the approved version; the edit is kept as a diff. Returns the
/// case and the draft it was decided from.
async fn expert_and_official_decide_through_the_api(store: &Store) -> (String, String) {
    use atzinums_store::testing::sample_person_code;
    use axum::http::StatusCode;
    let (expert_code, official_code) = (sample_person_code(902), sample_person_code(903));
    let quality_code = sample_person_code(904);
    let idp = atzinums_api::LocalIdentityProvider::new([
        (expert_code.clone(), Role::Expert),
        (official_code.clone(), Role::Official),
        (quality_code.clone(), Role::Quality),
    ]);
    let state = atzinums_api::AppState::new(
        store.clone(),
        std::sync::Arc::new(idp),
        atzinums_api::ApiConfig::default(),
    );
    let app = atzinums_api::router(state);
    let ttl = Duration::from_secs(600);
    let session = |(token, s): (String, atzinums_store::Session)| (token, s.csrf);
    let expert = session(
        store
            .start_session(Role::Expert, &expert_code, ttl)
            .await
            .unwrap(),
    );
    let official = session(
        store
            .start_session(Role::Official, &official_code, ttl)
            .await
            .unwrap(),
    );

    let mut claimed = None;
    for queue in ["standard", "complex", "incomplete"] {
        let (status, body) = call(
            &app,
            &expert,
            "POST",
            &format!("/api/v1/queues/{queue}/claim"),
            None,
        )
        .await;
        if status == StatusCode::OK {
            claimed = Some(body["case_id"].as_str().unwrap().to_string());
            break;
        }
    }
    let case_id = claimed.expect("a drafted case waits in some queue");
    let (status, review) = call(
        &app,
        &expert,
        "GET",
        &format!("/api/v1/cases/{case_id}/review"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{review}");
    assert_eq!(review["case"]["status"], "in_review");
    assert!(
        review["draft"]["draft"]["conclusion"]
            .as_str()
            .is_some_and(|t| !t.is_empty())
    );
    // The precedents beside the draft (none here: this archive's index is empty).
    assert!(review["draft"]["provenance"]["precedents"].is_array());
    assert!(review["case_file"]["documents"].is_array());
    // The same case as the expert's page: the draft beside its evidence, the form to edit it.
    let html = page(&app, &expert, &format!("/darbs/lietas/{case_id}")).await;
    let first_paragraph = review["draft"]["draft"]["conclusion"]
        .as_str()
        .unwrap()
        .lines()
        .next()
        .unwrap();
    assert!(
        html.contains(&escape(first_paragraph)),
        "the draft's text on the page"
    );
    assert!(html.contains("id=\"opinion_text\"") && html.contains("?csrf="));
    let proposal = &review["proposal"];
    let mut edit = serde_json::json!({
        "outcome": proposal["outcome"],
        "work_capacity_loss_pct": proposal["work_capacity_loss_pct"],
        "term": proposal["term"],
        "cause": proposal["cause"],
        "opinions": proposal["opinions"],
        "opinion_text": format!("{}\nEksperts papildina: pārbaudīts.", proposal["opinion_text"].as_str().unwrap()),
    });
    let (status, saved) = call(
        &app,
        &expert,
        "PUT",
        &format!("/api/v1/cases/{case_id}/proposal"),
        Some(edit.clone()),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{saved}");
    assert_eq!(saved["changed_fields"], 1, "only the text changed");
    // An official cannot approve; the expert can.
    let (status, _) = call(
        &app,
        &official,
        "POST",
        &format!("/api/v1/cases/{case_id}/approve"),
        Some(edit.clone()),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    edit["opinion_text"] = serde_json::json!(format!(
        "{} Apstiprināts.",
        edit["opinion_text"].as_str().unwrap()
    ));
    let (status, approved) = call(
        &app,
        &expert,
        "POST",
        &format!("/api/v1/cases/{case_id}/approve"),
        Some(edit.clone()),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{approved}");
    assert_eq!(approved["version"], 2);

    let (_, queue) = call(&app, &official, "GET", "/api/v1/signature-queue", None).await;
    assert!(
        queue
            .as_array()
            .unwrap()
            .iter()
            .any(|q| q["case_id"] == case_id.as_str()),
        "{queue}"
    );
    let html = page(&app, &official, &format!("/parakstisana/lietas/{case_id}")).await;
    assert!(
        html.contains(&format!("/parakstisana/lietas/{case_id}/parakstit")),
        "the sign button"
    );
    let (status, signed) = call(
        &app,
        &official,
        "POST",
        &format!("/api/v1/cases/{case_id}/sign"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{signed}");
    assert_eq!(
        signed["decision"]["opinion_text"], edit["opinion_text"],
        "the official signs what was approved"
    );
    let (_, view) = call(
        &app,
        &official,
        "GET",
        &format!("/api/v1/cases/{case_id}/review"),
        None,
    )
    .await;
    assert_eq!(view["case"]["status"], "decided");
    let versions = view["versions"].as_array().unwrap();
    assert_eq!(versions.len(), 2);
    assert_eq!(versions[1]["body"]["diff"][0]["field"], "opinion_text");
    assert_eq!(versions[1]["approved"], true);

    // The quality console: this week, one signed decision, its outcome as drafted, one field
    // edited (a sentence added to the conclusion: a small word-level edit).
    let quality = session(
        store
            .start_session(Role::Quality, &quality_code, ttl)
            .await
            .unwrap(),
    );
    let (status, live) = call(&app, &quality, "GET", "/api/v1/quality/live?weeks=4", None).await;
    assert_eq!(status, StatusCode::OK, "{live}");
    let week = &live["weeks"][0];
    assert_eq!(week["signed"], 1, "{live}");
    assert_eq!(week["outcome_agreement"], 1.0, "{live}");
    assert_eq!(week["unedited_share"], 0.0, "{live}");
    assert_eq!(week["mean_fields_changed"], 1.0, "{live}");
    let text_edit = week["mean_text_edit"].as_f64().unwrap();
    assert!(text_edit > 0.0 && text_edit < 0.2, "{live}");
    assert_eq!(live["fields_changed"]["opinion_text"], 1, "{live}");
    let (status, _) = call(&app, &expert, "GET", "/api/v1/quality/live", None).await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "an expert does not read the console"
    );
    let html = page(&app, &quality, "/kvalitate").await;
    assert!(
        html.contains(week["week"].as_str().unwrap()),
        "the console lists the week"
    );
    let draft_id = review["draft"]["draft_id"].as_str().unwrap().to_string();
    (case_id, draft_id)
}
