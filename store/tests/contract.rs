//! The store contract: every test runs on SQLite and, when `DATABASE_URL` is set, on PostgreSQL.

mod common;

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use atzinums_models::dataset::DecisionJson;
use atzinums_models::{CaseEvent, CaseStatus, DocumentKind, MediaType, Role};
use atzinums_models::{Outcome, RouteKind};
use atzinums_store::{
    Actor, ApplicationForm, AuditVerdict, FailOutcome, JobState, NewDraft, NewJob, StepEffect,
    StoreError,
};
use bytes::Bytes;
use common::*;
use sqlx::Connection;

contract_tests!(
    submission_is_readable_whole,
    retried_submission_returns_the_first,
    concurrent_retries_make_one_application,
    bad_input_is_refused_and_nothing_is_written,
    personal_code_is_sealed_and_found_by_lookup,
    case_moves_only_along_legal_transitions,
    only_an_official_signs_a_decision,
    expired_job_lease_is_delivered_again,
    failed_jobs_back_off_then_dead_letter,
    eight_workers_complete_each_job_exactly_once,
    review_task_is_held_by_one_expert,
    review_queues_split_by_branch,
    pipeline_steps_commit_once_under_their_lease,
    concurrent_audited_reads_all_land_in_one_intact_chain,
    audit_alteration_is_detected,
    audit_deletion_is_detected,
    audit_reordering_is_detected,
);

async fn submission_is_readable_whole(t: &TestStore) {
    let app = two_document_application(1);
    let submitted = t.store.submit(&app).await.unwrap();
    assert!(!submitted.replayed);
    assert!(submitted.case_id.starts_with("C-"), "{}", submitted.case_id);

    let expert = Actor::person(Role::Expert, "expert-7");
    let case = t
        .store
        .read_case(&submitted.case_id, &expert)
        .await
        .unwrap();
    assert_eq!(case.status, CaseStatus::Submitted);
    assert_eq!(case.documents.len(), 2);
    for (doc, sent) in case.documents.iter().zip(&app.documents) {
        assert_eq!(doc.kind, sent.kind);
        assert_eq!(
            t.store.document_bytes(&doc.sha256).await.unwrap(),
            sent.bytes
        );
    }
    let history = t.store.status_history(&submitted.case_id).await.unwrap();
    assert_eq!(history.len(), 1);
    assert_eq!(history[0].to, CaseStatus::Submitted);

    let job = t
        .store
        .claim_job(Duration::from_secs(30))
        .await
        .unwrap()
        .expect("intake job");
    assert_eq!(job.kind, "intake");
    assert_eq!(job.case_id.as_deref(), Some(submitted.case_id.as_str()));
    assert_eq!(
        job.payload["application_id"],
        submitted.application_id.as_str()
    );

    // The person read was audited, after the submission.
    let entries = t.store.audit_entries(1, 100).await.unwrap();
    let actions: Vec<_> = entries.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(actions, ["application.submit", "case.read"]);
    assert_eq!(entries[1].actor, "expert-7");
    assert_eq!(
        t.store.verify_audit().await.unwrap(),
        AuditVerdict::Intact { entries: 2 }
    );

    // Workers (the system) read without an audit entry per read.
    t.store
        .read_case(&submitted.case_id, &Actor::system("worker"))
        .await
        .unwrap();
    assert_eq!(t.store.audit_entries(1, 100).await.unwrap().len(), 2);
    assert!(matches!(
        t.store.read_case("C-1999-000001", &expert).await,
        Err(StoreError::NotFound { .. })
    ));
}

async fn retried_submission_returns_the_first(t: &TestStore) {
    let mut app = two_document_application(2);
    app.idempotency_key = Some("form-2".into());
    let first = t.store.submit(&app).await.unwrap();
    let again = t.store.submit(&app).await.unwrap();
    assert!(again.replayed);
    assert_eq!(again.case_id, first.case_id);
    assert_eq!(again.application_id, first.application_id);
    assert_eq!(
        t.store
            .cases_of_person(&app.person.person_code)
            .await
            .unwrap(),
        vec![first.case_id]
    );

    let mut different = app.clone();
    different.documents.pop();
    assert!(matches!(
        t.store.submit(&different).await,
        Err(StoreError::IdempotencyConflict)
    ));
}

async fn concurrent_retries_make_one_application(t: &TestStore) {
    let mut app = two_document_application(3);
    app.idempotency_key = Some("form-3".into());
    let app = Arc::new(app);
    let tasks: Vec<_> = (0..8)
        .map(|_| {
            let (store, app) = (t.store.clone(), app.clone());
            tokio::spawn(async move { store.submit(&app).await })
        })
        .collect();
    let mut case_ids = HashSet::new();
    for task in tasks {
        case_ids.insert(task.await.unwrap().unwrap().case_id);
    }
    assert_eq!(case_ids.len(), 1);
    assert_eq!(
        t.store
            .cases_of_person(&app.person.person_code)
            .await
            .unwrap()
            .len(),
        1
    );
}

async fn bad_input_is_refused_and_nothing_is_written(t: &TestStore) {
    // Parsing names the field and the rule.
    let form = |person_code: &str, kind: &str, media: &str| {
        format!(
            r#"{{"kind":"{kind}","channel":"eservice","person":{{"person_code":"{person_code}"}},
               "documents":[{{"file_name":"a.pdf","kind":"referral_088u","media_type":"{media}"}}]}}"#
        )
    };
    let err = ApplicationForm::from_json(
        form("161175-19998", "disability_first", "application/pdf").as_bytes(),
    )
    .unwrap_err();
    assert_eq!(err.field, "person.person_code");
    assert!(err.rule.contains("check digit"), "{err}");
    assert!(
        !err.to_string().contains("161175"),
        "personal data in an error: {err}"
    );
    let err = ApplicationForm::from_json(
        form("161175-19997", "disability_maybe", "application/pdf").as_bytes(),
    )
    .unwrap_err();
    assert_eq!(err.field, "kind");
    assert!(err.rule.contains("disability_first"), "{err}");
    let err = ApplicationForm::from_json(
        form("161175-19997", "disability_first", "application/zip").as_bytes(),
    )
    .unwrap_err();
    assert_eq!(err.field, "documents[0].media_type");
    let ok = ApplicationForm::from_json(
        form("161175-19997", "disability_first", "application/pdf").as_bytes(),
    )
    .unwrap();
    let err = ok.clone().with_files(vec![], clerk(), None).unwrap_err();
    assert_eq!(err.field, "documents");

    // Each rejected submission writes nothing.
    let png = Bytes::from_static(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR");
    let cases: Vec<(&str, DocumentKind, MediaType, Bytes, &str, &str)> = vec![
        (
            "empty.pdf",
            DocumentKind::Referral088u,
            MediaType::Pdf,
            Bytes::new(),
            "documents[0].bytes",
            "empty",
        ),
        (
            "scan.pdf",
            DocumentKind::Referral088u,
            MediaType::Pdf,
            png,
            "documents[0].media_type",
            "image/png",
        ),
        (
            "x.pdf",
            DocumentKind::Other,
            MediaType::Pdf,
            Bytes::from_static(b"\0\x01\x02garbage\0"),
            "documents[0].media_type",
            "not a PDF",
        ),
        (
            "../../etc/passwd",
            DocumentKind::Other,
            MediaType::Pdf,
            pdf("x"),
            "documents[0].file_name",
            "plain file name",
        ),
        (
            "big.pdf",
            DocumentKind::Imaging,
            MediaType::Pdf,
            oversized_pdf(),
            "documents[0].bytes",
            "the limit is 50.0 MB",
        ),
    ];
    for (i, (name, kind, media, bytes, field, rule)) in cases.into_iter().enumerate() {
        let app = application(100 + i as u64, vec![(name, kind, media, bytes)]);
        match t.store.submit(&app).await {
            Err(StoreError::Invalid(e)) => {
                assert_eq!(e.field, field);
                assert!(e.rule.contains(rule), "{e}");
            }
            other => panic!("expected a refusal for {name}, got {other:?}"),
        }
        assert!(
            t.store
                .cases_of_person(&app.person.person_code)
                .await
                .unwrap()
                .is_empty()
        );
    }
    let mut contest = two_document_application(120);
    contest.kind = atzinums_models::ApplicationKind::Contest;
    assert!(
        matches!(t.store.submit(&contest).await, Err(StoreError::Invalid(e)) if e.field == "previous_case_id")
    );
    assert!(
        t.store.job_counts().await.unwrap().is_empty(),
        "no job was enqueued"
    );
    assert_eq!(
        t.store.verify_audit().await.unwrap(),
        AuditVerdict::Intact { entries: 0 }
    );
}

/// One byte over the default 50 MB limit.
fn oversized_pdf() -> Bytes {
    let mut bytes = b"%PDF-1.7\n".to_vec();
    bytes.resize(
        atzinums_store::DEFAULT_MAX_DOCUMENT_BYTES as usize + 1,
        b' ',
    );
    Bytes::from(bytes)
}

async fn personal_code_is_sealed_and_found_by_lookup(t: &TestStore) {
    let app = two_document_application(4);
    let submitted = t.store.submit(&app).await.unwrap();
    let official = Actor::person(Role::Official, "official-1");
    let code = t
        .store
        .person_code_of_case(&submitted.case_id, &official)
        .await
        .unwrap();
    assert_eq!(code, app.person.person_code);
    let last = t.store.audit_entries(1, 10).await.unwrap().pop().unwrap();
    assert_eq!(last.action, "case.read_person_code");

    // Neither the code nor the document text is anywhere in clear on disk (SQLite file, blobs).
    if let Some(db) = t.sqlite_path() {
        let digits = app.person.person_code.as_str().replace('-', "");
        let mut files = vec![db.clone(), db.with_extension("db-wal")];
        files.extend(walk(&t.dir.path().join("blobs")));
        for file in files {
            let Ok(bytes) = std::fs::read(&file) else {
                continue;
            };
            let text = String::from_utf8_lossy(&bytes);
            assert!(
                !text.contains(app.person.person_code.as_str()) && !text.contains(&digits),
                "{file:?}"
            );
            assert!(
                !text.contains("pacients ārstējies"),
                "document text in clear in {file:?}"
            );
        }
    }
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(walk(&path))
        } else {
            out.push(path)
        }
    }
    out
}

async fn case_moves_only_along_legal_transitions(t: &TestStore) {
    let case_id = t
        .store
        .submit(&two_document_application(5))
        .await
        .unwrap()
        .case_id;
    let worker = Actor::system("worker");
    let expert = Actor::person(Role::Expert, "expert-1");
    assert_eq!(
        t.store
            .transition_case(&case_id, CaseEvent::StartProcessing, &worker, None)
            .await
            .unwrap(),
        CaseStatus::Processing
    );
    // Illegal: a case being processed cannot be signed. Nothing is written.
    let err = t
        .store
        .transition_case(&case_id, CaseEvent::Sign, &worker, None)
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::IllegalTransition(_)), "{err}");
    assert_eq!(t.store.status_history(&case_id).await.unwrap().len(), 2);
    t.store
        .transition_case(&case_id, CaseEvent::DraftReady, &worker, None)
        .await
        .unwrap();
    t.store
        .transition_case(&case_id, CaseEvent::Claim, &expert, None)
        .await
        .unwrap();
    t.store
        .transition_case(
            &case_id,
            CaseEvent::Approve,
            &expert,
            Some("draft accepted"),
        )
        .await
        .unwrap();
    let history = t.store.status_history(&case_id).await.unwrap();
    let path: Vec<_> = history.iter().map(|h| h.to).collect();
    assert_eq!(
        path,
        [
            CaseStatus::Submitted,
            CaseStatus::Processing,
            CaseStatus::ReadyForReview,
            CaseStatus::InReview,
            CaseStatus::AwaitingSignature
        ]
    );
    assert_eq!(history[4].reason.as_deref(), Some("draft accepted"));
    assert_eq!(history[4].actor, "expert-1");
    assert_eq!(
        t.store.read_case(&case_id, &worker).await.unwrap().status,
        CaseStatus::AwaitingSignature
    );
}

fn sample_decision() -> DecisionJson {
    serde_json::from_str(
        r#"{"decided_at":"2026-11-20","outcome":"group_II","work_capacity_loss_pct":65,"term":{"months":24},
            "cause":"general_illness","primary_icd10":"G35","icd10":["G35"],
            "functioning":{"learning":1,"communication":0,"orientation":1,"mobility":3,"self_care":2,"behaviour":0},
            "opinions":{"special_care":false},"complex":false,"opinion_text":"Slēdziens.","expert":"E-042"}"#,
    )
    .unwrap()
}

async fn only_an_official_signs_a_decision(t: &TestStore) {
    let case_id = t
        .store
        .submit(&two_document_application(6))
        .await
        .unwrap()
        .case_id;
    let worker = Actor::system("worker");
    let expert = Actor::person(Role::Expert, "expert-1");
    atzinums_store::testing::bring_to_signature(&t.store, &case_id)
        .await
        .unwrap();
    let decision = sample_decision();
    for who in [expert.clone(), worker.clone()] {
        assert!(matches!(
            t.store.sign_decision(&case_id, &decision, &who).await,
            Err(StoreError::Forbidden { .. })
        ));
    }
    assert!(t.store.decision(&case_id).await.unwrap().is_none());
    let official = Actor::person(Role::Official, "official-1");
    t.store
        .sign_decision(&case_id, &decision, &official)
        .await
        .unwrap();
    assert_eq!(
        t.store.decision(&case_id).await.unwrap(),
        Some(decision.clone())
    );
    assert_eq!(
        t.store.read_case(&case_id, &worker).await.unwrap().status,
        CaseStatus::Decided
    );
    // A decided case cannot be signed twice.
    assert!(
        t.store
            .sign_decision(&case_id, &decision, &official)
            .await
            .is_err()
    );
}

async fn expired_job_lease_is_delivered_again(t: &TestStore) {
    let id = t
        .store
        .enqueue_job(&NewJob::new("ingest", None))
        .await
        .unwrap();
    let first = t
        .store
        .claim_job(Duration::from_millis(300))
        .await
        .unwrap()
        .unwrap();
    assert_eq!((first.id.as_str(), first.attempt), (id.as_str(), 1));
    assert!(
        t.store
            .claim_job(Duration::from_secs(30))
            .await
            .unwrap()
            .is_none(),
        "leased jobs are not handed out"
    );
    tokio::time::sleep(Duration::from_millis(400)).await;
    let second = t
        .store
        .claim_job(Duration::from_secs(30))
        .await
        .unwrap()
        .expect("redelivered after the lease");
    assert_eq!((second.id.as_str(), second.attempt), (id.as_str(), 2));
    // The first holder lost its lease: it can neither complete nor renew.
    assert!(matches!(
        t.store.complete_job(&first).await,
        Err(StoreError::LeaseLost)
    ));
    assert!(matches!(
        t.store
            .renew_job_lease(&first, Duration::from_secs(1))
            .await,
        Err(StoreError::LeaseLost)
    ));
    t.store
        .renew_job_lease(&second, Duration::from_secs(30))
        .await
        .unwrap();
    t.store.complete_job(&second).await.unwrap();
    // Completed jobs are never delivered again.
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert!(
        t.store
            .claim_job(Duration::from_millis(1))
            .await
            .unwrap()
            .is_none()
    );
    assert_eq!(t.store.job(&id).await.unwrap().state, JobState::Done);
}

async fn pipeline_steps_commit_once_under_their_lease(t: &TestStore) {
    let case_id = t
        .store
        .submit(&two_document_application(41))
        .await
        .unwrap()
        .case_id;
    let worker = Actor::system("worker");
    let case_file = t.store.put_private(b"{\"case file\": 1}").await.unwrap();
    let status = |t: &TestStore, case_id: String| {
        let store = t.store.clone();
        async move {
            store
                .read_case(&case_id, &Actor::system("test"))
                .await
                .unwrap()
                .status
        }
    };

    // Intake: a worker whose lease lapsed cannot commit; the one holding the job can, once.
    let slow = t
        .store
        .claim_job(Duration::from_millis(300))
        .await
        .unwrap()
        .unwrap();
    tokio::time::sleep(Duration::from_millis(400)).await;
    let intake = t
        .store
        .claim_job(Duration::from_secs(30))
        .await
        .unwrap()
        .unwrap();
    assert_eq!((intake.id.as_str(), intake.attempt), (slow.id.as_str(), 2));
    assert!(matches!(
        t.store
            .finish_intake(&slow, &case_id, &case_file, 2, &worker)
            .await,
        Err(StoreError::LeaseLost)
    ));
    assert_eq!(t.store.case_file_sha256(&case_id).await.unwrap(), None);
    assert_eq!(status(t, case_id.clone()).await, CaseStatus::Submitted);
    assert_eq!(
        t.store
            .finish_intake(&intake, &case_id, &case_file, 2, &worker)
            .await
            .unwrap(),
        StepEffect::Applied
    );
    assert!(matches!(
        t.store
            .finish_intake(&intake, &case_id, &case_file, 2, &worker)
            .await,
        Err(StoreError::LeaseLost)
    ));
    assert_eq!(
        t.store.case_file_sha256(&case_id).await.unwrap(),
        Some(case_file.sha256.clone())
    );
    assert_eq!(status(t, case_id.clone()).await, CaseStatus::Processing);

    // Examine: one current draft, one review task in the route's queue.
    let examine = t
        .store
        .claim_job(Duration::from_secs(30))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(examine.kind, atzinums_store::EXAMINE_JOB);
    assert!(
        t.store
            .claim_job(Duration::from_secs(30))
            .await
            .unwrap()
            .is_none(),
        "one examine job"
    );
    let draft = NewDraft {
        draft_id: "D-0000000000000001".into(),
        route: RouteKind::Complex,
        outcome: Outcome::GroupIII,
        queue: "complex".into(),
        priority: 1,
        record: t.store.put_private(b"{\"draft\": 1}").await.unwrap(),
    };
    assert_eq!(
        t.store
            .finish_examination(&examine, &case_id, &draft, &worker)
            .await
            .unwrap(),
        StepEffect::Applied
    );
    assert_eq!(status(t, case_id.clone()).await, CaseStatus::ReadyForReview);
    let tasks = t.store.live_review_tasks(&case_id).await.unwrap();
    assert_eq!(tasks.len(), 1);
    assert_eq!((tasks[0].queue.as_str(), tasks[0].priority), ("complex", 1));
    // An examination run again (an admin's extra job) finds the case past it: nothing changes.
    t.store
        .enqueue_job(&NewJob::new(
            atzinums_store::EXAMINE_JOB,
            Some(case_id.clone()),
        ))
        .await
        .unwrap();
    let again = t
        .store
        .claim_job(Duration::from_secs(30))
        .await
        .unwrap()
        .unwrap();
    let other = NewDraft {
        draft_id: "D-0000000000000002".into(),
        ..draft.clone()
    };
    assert_eq!(
        t.store
            .finish_examination(&again, &case_id, &other, &worker)
            .await
            .unwrap(),
        StepEffect::Skipped(CaseStatus::ReadyForReview)
    );
    let drafts = t.store.drafts_of_case(&case_id).await.unwrap();
    assert_eq!(drafts.len(), 1);
    assert!(drafts[0].is_current && drafts[0].draft_id == draft.draft_id);
    assert_eq!(t.store.live_review_tasks(&case_id).await.unwrap().len(), 1);

    // The signed decision records its draft and queues the precedent job.
    let expert = Actor::person(Role::Expert, "expert-1");
    for event in [CaseEvent::Claim, CaseEvent::Approve] {
        t.store
            .transition_case(&case_id, event, &expert, None)
            .await
            .unwrap();
    }
    let official = Actor::person(Role::Official, "official-1");
    t.store
        .sign_decision(&case_id, &sample_decision(), &official)
        .await
        .unwrap();
    assert_eq!(
        t.store.signed_draft_id(&case_id).await.unwrap(),
        Some(draft.draft_id.clone())
    );
    let precedent = t
        .store
        .claim_job(Duration::from_secs(30))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (precedent.kind.as_str(), precedent.case_id.as_deref()),
        (atzinums_store::PRECEDENT_JOB, Some(case_id.as_str()))
    );
}

async fn failed_jobs_back_off_then_dead_letter(t: &TestStore) {
    let mut job = NewJob::new("ingest", Some("C-2026-000009".into()));
    job.max_attempts = 2;
    let id = t.store.enqueue_job(&job).await.unwrap();
    let claimed = t
        .store
        .claim_job(Duration::from_secs(30))
        .await
        .unwrap()
        .unwrap();
    let outcome = t
        .store
        .fail_job(&claimed, "extraction timed out", false)
        .await
        .unwrap();
    assert!(matches!(outcome, FailOutcome::Retry { after } if after >= Duration::from_secs(2)));
    assert!(
        t.store
            .claim_job(Duration::from_secs(30))
            .await
            .unwrap()
            .is_none(),
        "backoff holds it back"
    );
    assert_eq!(
        t.store.job(&id).await.unwrap().last_error.as_deref(),
        Some("extraction timed out")
    );

    // A second job that fails permanently is dead-lettered at once, with its reason.
    let other = t
        .store
        .enqueue_job(&NewJob::new("ingest", None))
        .await
        .unwrap();
    let claimed = t
        .store
        .claim_job(Duration::from_secs(30))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(claimed.id, other);
    assert_eq!(
        t.store
            .fail_job(&claimed, "payload is not valid JSON", true)
            .await
            .unwrap(),
        FailOutcome::DeadLettered
    );
    let dead = t.store.dead_jobs(10).await.unwrap();
    assert_eq!(dead.len(), 1);
    assert_eq!(
        dead[0].last_error.as_deref(),
        Some("payload is not valid JSON")
    );
    // An admin requeues it; it is delivered again with fresh attempts.
    t.store.requeue_dead_job(&other).await.unwrap();
    let again = t
        .store
        .claim_job(Duration::from_secs(30))
        .await
        .unwrap()
        .unwrap();
    assert_eq!((again.id.as_str(), again.attempt), (other.as_str(), 1));
    assert!(matches!(
        t.store.requeue_dead_job(&id).await,
        Err(StoreError::NotFound { .. })
    ));
}

async fn eight_workers_complete_each_job_exactly_once(t: &TestStore) {
    const JOBS: usize = 2000;
    for _ in 0..JOBS {
        t.store
            .enqueue_job(&NewJob::new("bench", None))
            .await
            .unwrap();
    }
    let workers: Vec<_> = (0..8)
        .map(|_| {
            let store = t.store.clone();
            tokio::spawn(async move {
                let mut done = Vec::new();
                while let Some(job) = store.claim_job(Duration::from_secs(60)).await.unwrap() {
                    store.complete_job(&job).await.unwrap();
                    done.push(job.id);
                }
                done
            })
        })
        .collect();
    let mut all = Vec::new();
    for w in workers {
        all.extend(w.await.unwrap());
    }
    let unique: HashSet<_> = all.iter().collect();
    assert_eq!(all.len(), JOBS, "every job completed once");
    assert_eq!(unique.len(), JOBS, "no job completed twice");
    assert_eq!(
        t.store.job_counts().await.unwrap(),
        vec![(JobState::Done, JOBS as i64)]
    );
}

/// Each branch (the applicant's region) works its own part of a queue; without a branch the
/// queue is whole.
async fn review_queues_split_by_branch(t: &TestStore) {
    let mut cases = Vec::new();
    for (n, region) in [(21, "Kurzeme"), (22, "Latgale")] {
        let mut app = two_document_application(n);
        app.person.region = Some(region.into());
        let case_id = t.store.submit(&app).await.unwrap().case_id;
        t.store
            .open_review_task(&case_id, "standard", 0)
            .await
            .unwrap();
        cases.push(case_id);
    }
    let listed = |branch: Option<&'static str>| async move {
        let items = t.store.queue_items("standard", branch, 50).await.unwrap();
        items
            .into_iter()
            .map(|i| (i.case_id, i.branch.unwrap_or_default()))
            .collect::<Vec<_>>()
    };
    assert_eq!(
        listed(Some("Kurzeme")).await,
        [(cases[0].clone(), "Kurzeme".to_string())]
    );
    assert_eq!(listed(None).await.len(), 2);
    assert!(listed(Some("Vidzeme")).await.is_empty());
    assert_eq!(
        t.store.review_branches().await.unwrap(),
        ["Kurzeme", "Latgale"]
    );
    let expert = Actor::person(Role::Expert, "expert-l");
    let lease = Duration::from_secs(30);
    let claim = |branch| {
        t.store
            .claim_review_task("standard", branch, &expert, lease)
    };
    assert_eq!(
        claim(Some("Latgale")).await.unwrap().unwrap().case_id,
        cases[1]
    );
    assert!(
        claim(Some("Latgale")).await.unwrap().is_none(),
        "Latgale's part is taken"
    );
    assert_eq!(claim(None).await.unwrap().unwrap().case_id, cases[0]);
}

async fn review_task_is_held_by_one_expert(t: &TestStore) {
    let case_id = t
        .store
        .submit(&two_document_application(7))
        .await
        .unwrap()
        .case_id;
    let task = t
        .store
        .open_review_task(&case_id, "standard", 0)
        .await
        .unwrap();
    assert!(
        t.store
            .open_review_task(&case_id, "complex", 0)
            .await
            .is_err(),
        "one live task per case"
    );
    let a = Actor::person(Role::Expert, "expert-a");
    let b = Actor::person(Role::Expert, "expert-b");
    let held = t
        .store
        .claim_review_task("standard", None, &a, Duration::from_millis(300))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(held.id, task.id);
    assert!(
        t.store
            .claim_review_task("standard", None, &b, Duration::from_secs(30))
            .await
            .unwrap()
            .is_none()
    );
    tokio::time::sleep(Duration::from_millis(400)).await;
    let taken = t
        .store
        .claim_review_task("standard", None, &b, Duration::from_secs(30))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(taken.claimed_by.as_deref(), Some("expert-b"));
    assert!(matches!(
        t.store.complete_review_task(&task.id, &a).await,
        Err(StoreError::LeaseLost)
    ));
    t.store.complete_review_task(&task.id, &b).await.unwrap();
    t.store
        .open_review_task(&case_id, "complex", 1)
        .await
        .expect("a new task once the last one closed");
}

/// Runs SQL straight on the database, as someone with full access could.
async fn tamper(t: &TestStore, statements: &[&str]) {
    if t.sqlite_path().is_some() {
        let mut conn = sqlx::SqliteConnection::connect(&t.raw_url()).await.unwrap();
        for s in statements {
            sqlx::query(s).execute(&mut conn).await.unwrap();
        }
    } else {
        let mut conn = sqlx::PgConnection::connect(&t.raw_url()).await.unwrap();
        for s in statements {
            sqlx::query(s).execute(&mut conn).await.unwrap();
        }
    }
}

async fn fill_audit(t: &TestStore, n: usize) {
    let official = Actor::person(Role::Official, "official-1");
    for i in 0..n {
        t.store
            .audit(
                &official,
                "case.read",
                &format!("C-2026-{i:06}"),
                serde_json::json!({ "i": i }),
            )
            .await
            .unwrap();
    }
    assert_eq!(
        t.store.verify_audit().await.unwrap(),
        AuditVerdict::Intact { entries: n as i64 }
    );
}

/// Checks that the database refuses UPDATE and DELETE on the log, then removes that guard, as
/// someone with full access to the database could.
async fn remove_audit_guards(t: &TestStore) {
    let refused = if t.sqlite_path().is_some() {
        let mut conn = sqlx::SqliteConnection::connect(&t.raw_url()).await.unwrap();
        sqlx::query("UPDATE audit_log SET actor = 'x'")
            .execute(&mut conn)
            .await
            .is_err()
            && sqlx::query("DELETE FROM audit_log")
                .execute(&mut conn)
                .await
                .is_err()
    } else {
        let mut conn = sqlx::PgConnection::connect(&t.raw_url()).await.unwrap();
        sqlx::query("UPDATE audit_log SET actor = 'x'")
            .execute(&mut conn)
            .await
            .is_err()
            && sqlx::query("DELETE FROM audit_log")
                .execute(&mut conn)
                .await
                .is_err()
    };
    assert!(refused, "UPDATE/DELETE on audit_log must be refused");
    if t.sqlite_path().is_some() {
        tamper(
            t,
            &[
                "DROP TRIGGER audit_log_no_update",
                "DROP TRIGGER audit_log_no_delete",
            ],
        )
        .await;
    } else {
        tamper(t, &["DROP TRIGGER audit_log_no_update ON audit_log"]).await;
    }
}

async fn assert_broken_at(t: &TestStore, seq: i64, what: &str) {
    match t.store.verify_audit().await.unwrap() {
        AuditVerdict::Broken { at_seq, problem } => assert_eq!(at_seq, seq, "{what}: {problem}"),
        AuditVerdict::Intact { .. } => panic!("{what} went unnoticed"),
    }
}

/// Reads are audited through a group commit: 300 at once must give 300 entries, each answered
/// only once written, and the chain intact.
async fn concurrent_audited_reads_all_land_in_one_intact_chain(t: &TestStore) {
    const READS: usize = 300;
    let case_id = t
        .store
        .submit(&two_document_application(8))
        .await
        .unwrap()
        .case_id;
    let before = match t.store.verify_audit().await.unwrap() {
        AuditVerdict::Intact { entries } => entries,
        broken => panic!("{broken:?}"),
    };
    let reads: Vec<_> = (0..READS)
        .map(|i| {
            let store = t.store.clone();
            let case_id = case_id.clone();
            tokio::spawn(async move {
                let reader = Actor::person(Role::Expert, format!("expert-{i}"));
                store.read_case(&case_id, &reader).await.unwrap();
            })
        })
        .collect();
    for r in reads {
        r.await.unwrap();
    }
    assert_eq!(
        t.store.verify_audit().await.unwrap(),
        AuditVerdict::Intact {
            entries: before + READS as i64
        }
    );
    let entries = t
        .store
        .audit_entries(before + 1, before + READS as i64)
        .await
        .unwrap();
    let readers: HashSet<_> = entries.iter().map(|e| e.actor.as_str()).collect();
    assert_eq!(readers.len(), READS, "every reader's entry, once");
}

async fn audit_alteration_is_detected(t: &TestStore) {
    fill_audit(t, 6).await;
    remove_audit_guards(t).await;
    tamper(
        t,
        &["UPDATE audit_log SET details = '{\"i\":99}' WHERE seq = 3"],
    )
    .await;
    assert_broken_at(t, 3, "an altered entry").await;
}

async fn audit_deletion_is_detected(t: &TestStore) {
    fill_audit(t, 6).await;
    remove_audit_guards(t).await;
    tamper(t, &["DELETE FROM audit_log WHERE seq = 6"]).await;
    assert_broken_at(t, 6, "the last entry deleted").await;
    tamper(t, &["DELETE FROM audit_log WHERE seq = 3"]).await;
    assert_broken_at(t, 3, "a middle entry deleted").await;
}

async fn audit_reordering_is_detected(t: &TestStore) {
    fill_audit(t, 6).await;
    remove_audit_guards(t).await;
    tamper(
        t,
        &[
            "UPDATE audit_log SET seq = -1 WHERE seq = 2",
            "UPDATE audit_log SET seq = 2 WHERE seq = 4",
            "UPDATE audit_log SET seq = 4 WHERE seq = -1",
        ],
    )
    .await;
    assert_broken_at(t, 2, "two entries swapped").await;
}

/// Stores opening one new SQLite database at once (as a demo's server and its worker do) all
/// come up: one switches it to WAL and migrates it, under a lock beside the file.
#[tokio::test]
async fn openers_of_a_new_sqlite_database_all_come_up() {
    use atzinums_store::{BlobLocation, DEFAULT_MAX_DOCUMENT_BYTES, MasterKey, Store, StoreConfig};
    for round in 0..12 {
        let dir = tempfile::tempdir().unwrap();
        let config = StoreConfig {
            database_url: format!("sqlite://{}", dir.path().join("new.db").display()),
            blobs: BlobLocation::Local {
                path: dir.path().join("blobs"),
            },
            max_document_bytes: DEFAULT_MAX_DOCUMENT_BYTES,
        };
        let key = MasterKey::generate();
        let (a, b, c) = tokio::join!(
            Store::open(&config, &key),
            Store::open(&config, &key),
            Store::open(&config, &key)
        );
        for opened in [a, b, c] {
            let store = opened.unwrap_or_else(|e| panic!("round {round}: {e}"));
            store.close().await;
        }
    }
}
