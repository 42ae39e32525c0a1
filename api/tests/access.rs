//! The access-control matrix (every role against every endpoint), CSRF, bad uploads, the
//! contest deadline, and the institution status service, in process against a SQLite store.

mod common;

use atzinums_models::{CaseEvent, DecisionJson, Role};
use atzinums_store::Actor;
use atzinums_store::testing::{bring_to_signature, sample_person_code};
use axum::http::StatusCode;
use common::{MAX_DOC, PDF, Who, World, json_body, multipart, staff_code, two_pdfs};
use serde_json::{Value, json};

/// One endpoint of the matrix: name, method, path, JSON body, and the expected status codes of
/// the callers, in order, separated by spaces.
type Row<'a> = (&'a str, &'a str, String, Option<Value>, &'a str);

fn decision_on(date: &str) -> DecisionJson {
    serde_json::from_value(json!({
        "decided_at": date, "outcome": "group_II", "work_capacity_loss_pct": 65, "term": {"months": 24},
        "cause": "general_illness", "primary_icd10": "G35", "icd10": ["G35"],
        "functioning": {"learning":1,"communication":0,"orientation":1,"mobility":3,"self_care":2,"behaviour":0},
        "opinions": {}, "complex": false, "opinion_text": "Slēdziens.", "expert": "E-1"
    }))
    .unwrap()
}

in_every_world!(
    every_role_reaches_only_its_endpoints,
    every_role_reaches_only_its_endpoints_in
);

async fn every_role_reaches_only_its_endpoints_in(w: &World) {
    let a = w.sign_in(&sample_person_code(1), Role::Applicant).await;
    let b = w.sign_in(&sample_person_code(2), Role::Applicant).await;
    let rep = w
        .sign_in(&sample_person_code(3), Role::Representative)
        .await;
    let clerk = w.sign_in(&staff_code(Role::Clerk), Role::Clerk).await;
    let expert = w.sign_in(&staff_code(Role::Expert), Role::Expert).await;
    let official = w.sign_in(&staff_code(Role::Official), Role::Official).await;
    let quality = w.sign_in(&staff_code(Role::Quality), Role::Quality).await;
    let admin = w.sign_in(&staff_code(Role::Admin), Role::Admin).await;
    let inst = w.institution("VSAA", &["status:read"]).await;
    let unscoped = w.institution("Pašvaldība", &["other:read"]).await;
    let nobody = Who::Nobody;

    let case_a = w.file_two_pdfs(&a).await;

    let case_path = format!("/api/v1/cases/{case_a}");
    let doc_path = format!("{case_path}/documents/0");
    let review_path = format!("{case_path}/review");
    let sign_path = format!("{case_path}/sign");
    let status_query = json!({ "person_code": sample_person_code(1).as_str() });
    // Past the 4-month limit: the roles allowed to extend get 422, everyone else is refused first.
    let too_late = chrono::Utc::now().date_naive() + chrono::Months::new(5);
    let extension = json!({ "until": too_late, "reason": "Gaidām speciālista atzinumu." });
    let who = [
        ("applicant A", &a),
        ("applicant B", &b),
        ("representative", &rep),
        ("clerk", &clerk),
        ("expert", &expert),
        ("official", &official),
        ("quality", &quality),
        ("admin", &admin),
        ("institution", &inst),
        ("institution without scope", &unscoped),
        ("nobody", &nobody),
    ];
    // (endpoint, method, path, body, expected status per caller in the order of `who`)
    let matrix: Vec<Row> = vec![
        (
            "read a case",
            "GET",
            case_path.clone(),
            None,
            "200 404 404 200 200 200 200 403 403 403 401",
        ),
        (
            "read a document",
            "GET",
            doc_path.clone(),
            None,
            "200 404 404 200 200 200 200 403 403 403 401",
        ),
        (
            "list own cases",
            "GET",
            "/api/v1/cases".into(),
            None,
            "200 200 200 200 403 403 403 403 403 403 401",
        ),
        (
            "my data",
            "GET",
            "/api/v1/me/data".into(),
            None,
            "200 200 403 403 403 403 403 403 403 403 401",
        ),
        (
            "the quality console",
            "GET",
            "/api/v1/quality/live".into(),
            None,
            "403 403 403 403 403 403 200 403 403 403 401",
        ),
        (
            "an expert queue",
            "GET",
            "/api/v1/queues/standard".into(),
            None,
            "403 403 403 403 200 403 403 403 403 403 401",
        ),
        (
            "claim a case",
            "POST",
            "/api/v1/queues/standard/claim".into(),
            None,
            "403 403 403 403 204 403 403 403 403 403 401",
        ),
        (
            "the review view",
            "GET",
            review_path.clone(),
            None,
            "403 403 403 403 200 200 200 403 403 403 401",
        ),
        (
            "the signature queue",
            "GET",
            "/api/v1/signature-queue".into(),
            None,
            "403 403 403 403 403 200 403 403 403 403 401",
        ),
        // Nothing is approved yet: the official's request is allowed but finds nothing to sign.
        (
            "sign",
            "POST",
            sign_path.clone(),
            None,
            "403 403 403 403 403 404 403 403 403 403 401",
        ),
        (
            "send back",
            "POST",
            format!("{case_path}/send-back"),
            Some(json!({"reason": "Pārbaudīt vēlreiz."})),
            "403 403 403 403 403 409 403 403 403 403 401",
        ),
        (
            "extend the deadline",
            "POST",
            format!("{case_path}/extend-deadline"),
            Some(extension),
            // The expert does not hold it (409); it is not awaiting signature (403).
            "403 403 403 403 409 403 403 403 403 403 401",
        ),
        (
            "status of a person",
            "POST",
            "/api/v1/status".into(),
            Some(status_query.clone()),
            "403 403 403 403 403 403 403 403 200 403 401",
        ),
        (
            "status changes",
            "GET",
            "/api/v1/status/changes?cursor=0".into(),
            None,
            "403 403 403 403 403 403 403 403 200 403 401",
        ),
        (
            "sample decisions for a second reading",
            "POST",
            "/api/v1/quality/second-readings".into(),
            Some(json!({ "count": 1 })),
            "403 403 403 403 403 403 200 403 403 403 401",
        ),
        (
            "the de-identified export",
            "GET",
            "/api/v1/quality/export".into(),
            None,
            "403 403 403 403 403 403 200 403 403 403 401",
        ),
        (
            "the second readings waiting",
            "GET",
            "/api/v1/second-readings".into(),
            None,
            "403 403 403 403 200 403 403 403 403 403 401",
        ),
        (
            "file an application",
            "POST",
            "/api/v1/applications".into(),
            None,
            "422 422 422 422 403 403 403 403 403 403 401",
        ),
    ];
    let mut failures = Vec::new();
    for (endpoint, method, path, body, expected) in &matrix {
        let expected: Vec<StatusCode> = expected.split(' ').map(|c| c.parse().unwrap()).collect();
        assert_eq!(
            expected.len(),
            who.len(),
            "{endpoint}: one status per caller"
        );
        for ((name, caller), want) in who.iter().zip(&expected) {
            let body = if *endpoint == "file an application" {
                // An application without documents or kind: allowed roles get 422, not 2xx.
                multipart(json!({}), &[])
            } else {
                body.clone().and_then(json_body)
            };
            let got = w.call(caller, method, path, body).await;
            if got.status != *want {
                failures.push(format!(
                    "{name} → {endpoint}: got {} want {want}",
                    got.status
                ));
            }
            if !got.status.is_success() && got.status != StatusCode::NO_CONTENT {
                assert_eq!(
                    got.content_type, "application/problem+json",
                    "{name} → {endpoint}"
                );
            }
        }
    }
    assert!(
        failures.is_empty(),
        "access matrix failures:\n{}",
        failures.join("\n")
    );
}

in_every_world!(
    a_change_without_the_csrf_token_is_refused_and_nothing_is_saved,
    a_change_without_the_csrf_token_is_refused_and_nothing_is_saved_in
);

async fn a_change_without_the_csrf_token_is_refused_and_nothing_is_saved_in(w: &World) {
    let a = w.sign_in(&sample_person_code(1), Role::Applicant).await;
    let res = w
        .call_csrf(
            &a,
            "POST",
            "/api/v1/applications",
            multipart(two_pdfs(), &[("a.pdf", PDF), ("b.pdf", PDF)]),
            false,
        )
        .await;
    assert_eq!(res.status, StatusCode::FORBIDDEN);
    assert!(res.json()["detail"].as_str().unwrap().contains("CSRF"));
    let listed = w.call(&a, "GET", "/api/v1/cases", None).await;
    assert_eq!(listed.json(), json!([]), "nothing half-saved");
}

in_every_world!(
    bad_uploads_say_what_was_wrong,
    bad_uploads_say_what_was_wrong_in
);

async fn bad_uploads_say_what_was_wrong_in(w: &World) {
    let a = w.sign_in(&sample_person_code(1), Role::Applicant).await;
    let big = [b"%PDF-1.4\n".as_slice(), &vec![b'x'; MAX_DOC as usize + 1]].concat();
    let res = w
        .call(
            &a,
            "POST",
            "/api/v1/applications",
            multipart(two_pdfs(), &[("a.pdf", PDF), ("big.pdf", &big)]),
        )
        .await;
    assert_eq!(res.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(
        res.json()["detail"],
        "the file is 65 KB but the limit is 64 KB per document"
    );
    assert_eq!(res.json()["field"], "documents[1]");

    let exe = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00\xb8\x00";
    let res = w
        .call(
            &a,
            "POST",
            "/api/v1/applications",
            multipart(two_pdfs(), &[("a.pdf", PDF), ("b.exe", exe)]),
        )
        .await;
    assert_eq!(res.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert_eq!(res.json()["field"], "documents[1]");

    let declared_wrong = json!({ "kind": "disability_first", "documents": [{ "kind": "referral_088u", "media_type": "image/png" }] });
    let res = w
        .call(
            &a,
            "POST",
            "/api/v1/applications",
            multipart(declared_wrong, &[("a.pdf", PDF)]),
        )
        .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(res.json()["field"], "documents[0].media_type");

    let listed = w.call(&a, "GET", "/api/v1/cases", None).await;
    assert_eq!(listed.json(), json!([]), "nothing half-saved");
}

in_every_world!(
    a_contest_after_one_month_states_the_rule_and_a_timely_one_opens_a_case,
    a_contest_after_one_month_states_the_rule_and_a_timely_one_opens_a_case_in
);

async fn a_contest_after_one_month_states_the_rule_and_a_timely_one_opens_a_case_in(w: &World) {
    let a = w.sign_in(&sample_person_code(1), Role::Applicant).await;
    let official = Actor::person(Role::Official, "official-1");
    let mut cases = Vec::new();
    for (days_ago, n) in [(40, 0), (10, 1)] {
        let filed = w
            .call(
                &a,
                "POST",
                "/api/v1/applications",
                multipart(
                    two_pdfs(),
                    &[
                        ("a.pdf", PDF),
                        (if n == 0 { "b.pdf" } else { "c.pdf" }, PDF),
                    ],
                ),
            )
            .await;
        let case_id = filed.json()["case_id"].as_str().unwrap().to_string();
        bring_to_signature(&w.store, &case_id).await.unwrap();
        let date = (chrono::Utc::now().date_naive() - chrono::Days::new(days_ago)).to_string();
        w.store
            .sign_decision(&case_id, &decision_on(&date), &official)
            .await
            .unwrap();
        cases.push((case_id, date));
    }
    let (late, late_date) = &cases[0];
    let res = w
        .call(&a, "POST", &format!("/api/v1/cases/{late}/contest"), None)
        .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    let detail = res.json()["detail"].as_str().unwrap().to_string();
    assert!(
        detail.contains("within 1 month") && detail.contains(late_date.as_str()),
        "{detail}"
    );

    let (timely, _) = &cases[1];
    let res = w
        .call(&a, "POST", &format!("/api/v1/cases/{timely}/contest"), None)
        .await;
    assert_eq!(
        res.status,
        StatusCode::CREATED,
        "{}",
        String::from_utf8_lossy(&res.body)
    );
    let contest = res.json()["case_id"].as_str().unwrap().to_string();
    let view = w
        .call(&a, "GET", &format!("/api/v1/cases/{contest}"), None)
        .await
        .json();
    assert_eq!(view["kind"], "contest");
    assert_eq!(view["previous_case_id"], timely.as_str());

    // The decision PDF and a duplicate certificate of the decided case.
    let pdf = w
        .call(
            &a,
            "GET",
            &format!("/api/v1/cases/{timely}/decision.pdf"),
            None,
        )
        .await;
    assert_eq!(pdf.status, StatusCode::OK);
    assert!(pdf.body.starts_with(b"%PDF-"));
    let view = w
        .call(&a, "GET", &format!("/api/v1/cases/{timely}"), None)
        .await
        .json();
    let first = view["certificates"][0]["id"].as_str().unwrap().to_string();
    let dup = w
        .call(
            &a,
            "POST",
            &format!("/api/v1/cases/{timely}/certificate-duplicate"),
            None,
        )
        .await;
    assert_eq!(dup.status, StatusCode::CREATED);
    assert_eq!(dup.json()["duplicate_of"], first.as_str());
}

in_every_world!(
    institutions_read_status_as_of_a_date_and_follow_changes,
    institutions_read_status_as_of_a_date_and_follow_changes_in
);

async fn institutions_read_status_as_of_a_date_and_follow_changes_in(w: &World) {
    let a = w.sign_in(&sample_person_code(1), Role::Applicant).await;
    let inst = w.institution("VSAA", &["status:read"]).await;
    let case_id = w.file_two_pdfs(&a).await;
    let query = |as_of: &str| {
        json_body(json!({ "person_code": sample_person_code(1).as_str(), "as_of": as_of }))
    };
    let before = w
        .call(&inst, "POST", "/api/v1/status", query("2026-01-01"))
        .await;
    assert_eq!(before.json()["disabled"], false);

    bring_to_signature(&w.store, &case_id).await.unwrap();
    w.store
        .sign_decision(
            &case_id,
            &decision_on("2026-03-10"),
            &Actor::person(Role::Official, "o-1"),
        )
        .await
        .unwrap();
    let during = w
        .call(&inst, "POST", "/api/v1/status", query("2027-03-09"))
        .await
        .json();
    assert_eq!(during["disabled"], true);
    assert_eq!(during["outcome"], "group_II");
    assert_eq!(during["valid_from"], "2026-03-10");
    assert_eq!(during["valid_to"], "2028-03-09");
    let after = w
        .call(&inst, "POST", "/api/v1/status", query("2028-03-10"))
        .await
        .json();
    assert_eq!(after["disabled"], false, "the 24-month term has ended");
    let before = w
        .call(&inst, "POST", "/api/v1/status", query("2026-03-09"))
        .await
        .json();
    assert_eq!(before["disabled"], false, "not yet decided on that day");

    let feed = w
        .call(&inst, "GET", "/api/v1/status/changes?cursor=0", None)
        .await
        .json();
    assert_eq!(feed["changes"].as_array().unwrap().len(), 1);
    assert_eq!(
        feed["changes"][0]["person_code"],
        sample_person_code(1).as_str()
    );
    let next = feed["next_cursor"].as_i64().unwrap();
    let empty = w
        .call(
            &inst,
            "GET",
            &format!("/api/v1/status/changes?cursor={next}"),
            None,
        )
        .await
        .json();
    assert_eq!(empty["changes"], json!([]));

    let bad = w
        .call(
            &inst,
            "POST",
            "/api/v1/status",
            json_body(json!({ "person_code": "123" })),
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    // The audit names the institution and the person only by a keyed hash.
    let entries = w.store.audit_entries(1, 10_000).await.unwrap();
    let reads: Vec<_> = entries
        .iter()
        .filter(|e| e.action == "status.read")
        .collect();
    assert_eq!(reads.len(), 4);
    assert!(
        reads
            .iter()
            .all(|e| e.actor == "VSAA" && !e.subject.contains(sample_person_code(1).as_str()))
    );
}

in_every_world!(
    an_expert_returns_escalates_and_asks_for_documents_with_a_reason,
    an_expert_returns_escalates_and_asks_for_documents_with_a_reason_in
);

async fn an_expert_returns_escalates_and_asks_for_documents_with_a_reason_in(w: &World) {
    let a = w.sign_in(&sample_person_code(1), Role::Applicant).await;
    let expert = w.sign_in(&staff_code(Role::Expert), Role::Expert).await;
    let case_id = w.file_two_pdfs(&a).await;
    w.queue_for_review(&case_id).await;
    let post = |path: &str, reason: &str| {
        let (path, body) = (
            format!("/api/v1/cases/{case_id}/{path}"),
            json_body(json!({ "reason": reason })),
        );
        let expert = expert.clone();
        async move { w.call(&expert, "POST", &path, body).await }
    };

    let claimed = w
        .call(&expert, "POST", "/api/v1/queues/standard/claim", None)
        .await;
    assert_eq!(claimed.json()["case_id"], case_id.as_str());
    assert_eq!(case_status(w, &expert, &case_id).await, "in_review");
    assert_eq!(
        post("release", "x").await.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "a reason is required"
    );
    assert_eq!(
        post("release", "Nepieciešama cita specialitāte.")
            .await
            .status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(case_status(w, &expert, &case_id).await, "ready_for_review");
    assert_eq!(
        post("escalate", "Not held any more.").await.status,
        StatusCode::CONFLICT,
        "only the holder moves it"
    );

    w.call(&expert, "POST", "/api/v1/queues/standard/claim", None)
        .await;
    assert_eq!(
        post("escalate", "Pretrunīgi atzinumi.").await.status,
        StatusCode::NO_CONTENT
    );
    let complex = w
        .call(&expert, "GET", "/api/v1/queues/complex", None)
        .await
        .json();
    assert_eq!(complex[0]["case_id"], case_id.as_str());
    assert_eq!(
        w.call(&expert, "GET", "/api/v1/queues/standard", None)
            .await
            .json(),
        json!([])
    );

    w.call(&expert, "POST", "/api/v1/queues/complex/claim", None)
        .await;
    assert_eq!(
        post("request-documents", "Trūkst funkcionālo izmeklējumu.")
            .await
            .status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        case_status(w, &expert, &case_id).await,
        "awaiting_documents"
    );
    let view = w
        .call(&a, "GET", &format!("/api/v1/cases/{case_id}"), None)
        .await
        .json();
    let last = view["timeline"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(
        last["reason"], "Trūkst funkcionālo izmeklējumu.",
        "the applicant reads why"
    );
    assert_eq!(last["by_role"], "expert");

    // The applicant sends what was asked for: stored, and intake is queued again.
    let more = multipart(
        json!({ "documents": [{ "kind": "functioning_assessment" }] }),
        &[("funkcijas.pdf", PDF)],
    );
    let path = format!("/api/v1/cases/{case_id}/documents");
    let b = w.sign_in(&sample_person_code(2), Role::Applicant).await;
    assert_eq!(
        w.call(&b, "POST", &path, more.clone()).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        w.call(&expert, "POST", &path, more.clone()).await.status,
        StatusCode::FORBIDDEN
    );
    let added = w.call(&a, "POST", &path, more.clone()).await;
    assert_eq!(
        added.status,
        StatusCode::CREATED,
        "{}",
        String::from_utf8_lossy(&added.body)
    );
    let view = w
        .call(&a, "GET", &format!("/api/v1/cases/{case_id}"), None)
        .await
        .json();
    let documents = view["documents"].as_array().unwrap();
    assert_eq!(documents.len(), 3);
    assert_eq!(documents[2]["kind"], "functioning_assessment");
    assert_eq!(documents[2]["position"], 2);
    let jobs = w.store.jobs_of_case(&case_id).await.unwrap();
    assert_eq!(
        jobs.iter()
            .filter(|j| j.kind == atzinums_store::INTAKE_JOB)
            .count(),
        2
    );
    // Only a case waiting for documents takes more.
    let worker = Actor::system("worker");
    w.store
        .transition_case(&case_id, CaseEvent::DocumentsReceived, &worker, None)
        .await
        .unwrap();
    assert_eq!(
        w.call(&a, "POST", &path, more).await.status,
        StatusCode::CONFLICT
    );
}

in_every_world!(
    a_deadline_is_extended_with_a_reason_to_at_most_four_months,
    a_deadline_is_extended_with_a_reason_to_at_most_four_months_in
);

async fn a_deadline_is_extended_with_a_reason_to_at_most_four_months_in(w: &World) {
    let a = w.sign_in(&sample_person_code(1), Role::Applicant).await;
    let expert = w.sign_in(&staff_code(Role::Expert), Role::Expert).await;
    let official = w.sign_in(&staff_code(Role::Official), Role::Official).await;
    let case_id = w.file_two_pdfs(&a).await;
    w.queue_for_review(&case_id).await;
    let case_path = format!("/api/v1/cases/{case_id}");
    let path = format!("{case_path}/extend-deadline");
    let before = w.call(&a, "GET", &case_path, None).await.json();
    let (due, limit) = (
        before["deadline"].clone(),
        before["deadline_extended_max"].clone(),
    );
    let extend = |who: &Who, until: Value, reason: &str| {
        let (who, path) = (who.clone(), path.clone());
        let body = json_body(json!({ "until": until, "reason": reason }));
        async move { w.call(&who, "POST", &path, body).await }
    };
    let two_months: chrono::NaiveDate = due.as_str().unwrap().parse().unwrap();
    let two_months = two_months + chrono::Months::new(1);

    let refused = extend(&a, json!(two_months), "Es gribu vēlāk.").await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "not the applicant");
    let unheld = extend(&expert, json!(two_months), "Gaidām MRI rezultātus.").await;
    assert_eq!(
        unheld.status,
        StatusCode::CONFLICT,
        "only the expert holding it"
    );
    let claimed = w
        .call(&expert, "POST", "/api/v1/queues/standard/claim", None)
        .await;
    assert_eq!(claimed.json()["case_id"], case_id.as_str());
    let past = extend(&expert, json!("2099-01-01"), "Gaidām MRI rezultātus.").await;
    assert_eq!(past.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(past.json()["field"], "until");
    let detail = past.json()["detail"].as_str().unwrap().to_string();
    assert!(
        detail.contains("4 months") && detail.contains(limit.as_str().unwrap()),
        "states the rule and the limit: {detail}"
    );
    let no_reason = extend(&expert, json!(two_months), "").await;
    assert_eq!(no_reason.status, StatusCode::UNPROCESSABLE_ENTITY);

    let done = extend(&expert, json!(two_months), "Gaidām MRI rezultātus.").await;
    assert_eq!(
        done.status,
        StatusCode::NO_CONTENT,
        "{}",
        String::from_utf8_lossy(&done.body)
    );
    let after = w.call(&a, "GET", &case_path, None).await.json();
    assert_eq!(after["deadline"], json!(two_months));
    assert_eq!(after["status"], "in_review", "the status stays");
    let last = after["timeline"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .clone();
    assert_eq!(last["event"], "extend_deadline");
    assert_eq!(
        last["reason"], "Gaidām MRI rezultātus.",
        "the applicant reads why"
    );
    let queued = w
        .call(&expert, "GET", "/api/v1/queues/standard", None)
        .await
        .json();
    assert_eq!(
        queued[0]["deadline"],
        json!(two_months),
        "the queue orders by the new deadline"
    );

    let same = extend(&expert, json!(two_months), "Vēl vienreiz.").await;
    assert_eq!(same.status, StatusCode::UNPROCESSABLE_ENTITY, "only later");
    assert!(
        same.json()["detail"]
            .as_str()
            .unwrap()
            .contains(&two_months.to_string())
    );
    let official_early = extend(&official, limit.clone(), "Komisijas sēde.").await;
    assert_eq!(
        official_early.status,
        StatusCode::FORBIDDEN,
        "not awaiting signature"
    );
    assert_eq!(
        extend(&expert, limit.clone(), "Komisijas sēde.")
            .await
            .status,
        StatusCode::NO_CONTENT
    );

    let (_, _, page) = w.get(&a, &format!("/e-pakalpojums/lietas/{case_id}")).await;
    assert!(
        page.contains("Lēmuma pieņemšanas termiņš pagarināts: Gaidām MRI rezultātus."),
        "{page}"
    );
}

async fn case_status(w: &World, who: &Who, case_id: &str) -> Value {
    w.call(who, "GET", &format!("/api/v1/cases/{case_id}"), None)
        .await
        .json()["status"]
        .clone()
}

#[tokio::test]
async fn without_a_configured_identity_provider_nobody_signs_in_but_tokens_work() {
    use tower::ServiceExt;
    let w = World::new(None).await;
    let state = atzinums_api::AppState::new(
        w.store.clone(),
        std::sync::Arc::new(atzinums_api::NoIdentityProvider),
        atzinums_api::ApiConfig::default(),
    );
    let app = atzinums_api::router(state);
    let sign_in = axum::http::Request::post("/api/v1/session")
        .header("content-type", "application/json")
        .body(axum::body::Body::from(
            json!({ "person_code": sample_person_code(1).as_str() }).to_string(),
        ))
        .unwrap();
    let res = app.clone().oneshot(sign_in).await.unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    let token = w
        .store
        .issue_api_token("VSAA", &["status:read"], &Actor::person(Role::Admin, "a-1"))
        .await
        .unwrap();
    let status = axum::http::Request::post("/api/v1/status")
        .header("content-type", "application/json")
        .header("authorization", format!("Bearer {token}"))
        .body(axum::body::Body::from(
            json!({ "person_code": sample_person_code(1).as_str() }).to_string(),
        ))
        .unwrap();
    assert_eq!(app.oneshot(status).await.unwrap().status(), StatusCode::OK);
}

#[tokio::test]
async fn the_openapi_document_lists_every_route() {
    let w = World::new(None).await;
    let doc = w.call(&Who::Nobody, "GET", "/openapi.json", None).await;
    assert_eq!(doc.status, StatusCode::OK);
    let doc = doc.json();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"));
    let paths = doc["paths"].as_object().unwrap();
    for p in [
        "/api/v1/applications",
        "/api/v1/cases/{case_id}",
        "/api/v1/status",
        "/api/v1/status/changes",
        "/api/v1/cases/{case_id}/sign",
    ] {
        assert!(paths.contains_key(p), "{p} missing from /openapi.json");
    }
    // Every operation documents its errors as problem+json, the common ones included.
    for (path, item) in paths {
        for (method, operation) in item.as_object().unwrap() {
            let responses = operation["responses"].as_object().unwrap();
            for status in ["400", "401", "403"] {
                assert!(responses.contains_key(status), "{method} {path}: {status}");
            }
            for (status, response) in responses {
                if status.starts_with('4') {
                    let content = response["content"].as_object().unwrap();
                    let types: Vec<_> = content.keys().collect();
                    assert_eq!(
                        types,
                        ["application/problem+json"],
                        "{method} {path} {status}"
                    );
                }
            }
        }
    }
    assert!(paths["/api/v1/session"]["post"]["responses"]["429"].is_object());
}

/// What axum itself refuses — an unknown route, a wrong method, a malformed query or JSON body,
/// a body without its content type — is problem+json too, saying what was wrong.
#[tokio::test]
async fn malformed_requests_get_problems_too() {
    let w = World::new(None).await;
    let token = w
        .store
        .issue_api_token(
            "VSAA",
            &["status:read"],
            &Actor::person(Role::Admin, "admin-1"),
        )
        .await
        .unwrap();
    let inst = Who::Token(token);
    let cases = [
        ("GET", "/api/v1/no-such-thing", None, StatusCode::NOT_FOUND),
        (
            "DELETE",
            "/api/v1/status",
            None,
            StatusCode::METHOD_NOT_ALLOWED,
        ),
        (
            "GET",
            "/api/v1/status/changes?cursor=abc",
            None,
            StatusCode::BAD_REQUEST,
        ),
        (
            "POST",
            "/api/v1/status",
            Some((
                "application/json".to_string(),
                b"{\"person_code\":".to_vec(),
            )),
            StatusCode::BAD_REQUEST,
        ),
        (
            "POST",
            "/api/v1/status",
            Some(("text/plain".to_string(), b"{}".to_vec())),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
        ),
    ];
    for (method, path, body, want) in cases {
        let got = w.call(&inst, method, path, body).await;
        assert_eq!(got.status, want, "{method} {path}");
        assert_eq!(
            got.content_type, "application/problem+json",
            "{method} {path}"
        );
        let problem = got.json();
        assert_eq!(problem["status"], want.as_u16(), "{method} {path}");
        assert!(
            !problem["detail"].as_str().unwrap().is_empty(),
            "{method} {path}"
        );
    }
}

in_every_world!(
    my_data_holds_the_record_decisions_certificates_and_who_read_them,
    my_data_holds_the_record_decisions_certificates_and_who_read_them_in
);

async fn my_data_holds_the_record_decisions_certificates_and_who_read_them_in(w: &World) {
    let a = w.sign_in(&sample_person_code(1), Role::Applicant).await;
    let b = w.sign_in(&sample_person_code(2), Role::Applicant).await;
    let expert = w.sign_in(&staff_code(Role::Expert), Role::Expert).await;
    let inst = w.institution("VSAA", &["status:read"]).await;
    let filed = apply_in_region(w, &a, "Latgale", ["a.pdf", "b.pdf"]).await;
    assert_eq!(filed.status, StatusCode::CREATED);
    let case_id = filed.json()["case_id"].as_str().unwrap().to_string();
    bring_to_signature(&w.store, &case_id).await.unwrap();
    let today = chrono::Utc::now().date_naive().to_string();
    w.store
        .sign_decision(
            &case_id,
            &decision_on(&today),
            &Actor::person(Role::Official, "o-1"),
        )
        .await
        .unwrap();
    // Others read it: an expert the case, an institution the status; the applicant reads too.
    let read = w
        .call(&expert, "GET", &format!("/api/v1/cases/{case_id}"), None)
        .await;
    assert_eq!(read.status, StatusCode::OK);
    let status_query = json_body(json!({ "person_code": sample_person_code(1).as_str() }));
    assert_eq!(
        w.call(&inst, "POST", "/api/v1/status", status_query)
            .await
            .status,
        StatusCode::OK
    );
    w.call(&a, "GET", &format!("/api/v1/cases/{case_id}"), None)
        .await;

    let res = w.call(&a, "GET", "/api/v1/me/data", None).await;
    assert_eq!(res.status, StatusCode::OK);
    let data = res.json();
    assert_eq!(
        data["person"]["person_code"],
        sample_person_code(1).as_str()
    );
    assert_eq!(data["person"]["region"], "Latgale");
    assert_eq!(data["cases"].as_array().unwrap().len(), 1);
    assert_eq!(data["cases"][0]["decision"]["outcome"], "group_II");
    assert_eq!(
        data["cases"][0]["certificates"].as_array().unwrap().len(),
        1
    );
    let accesses = data["accesses"].as_array().unwrap();
    assert!(
        accesses.iter().any(|x| x["by_role"] == "expert"
            && x["case_id"] == case_id.as_str()
            && x["action"] == "case.read"
            && x["institution"].is_null()),
        "{accesses:?}"
    );
    assert!(
        accesses
            .iter()
            .any(|x| x["institution"] == "VSAA" && x["action"] == "status.read"),
        "{accesses:?}"
    );
    assert!(
        accesses.iter().all(|x| x["by_role"] != "applicant"),
        "the applicant's own reads are not listed: {accesses:?}"
    );

    // Someone who never applied has no record and sees nothing of A's.
    let other = w.call(&b, "GET", "/api/v1/me/data", None).await.json();
    assert!(other["person"].is_null(), "{other}");
    assert_eq!(other["cases"], json!([]));
    assert_eq!(other["accesses"], json!([]));

    // A later application from a new address moves the person to that region's branch.
    let filed = apply_in_region(w, &a, "Kurzeme", ["c.pdf", "d.pdf"]).await;
    assert_eq!(filed.status, StatusCode::CREATED);
    let data = w.call(&a, "GET", "/api/v1/me/data", None).await.json();
    assert_eq!(data["person"]["region"], "Kurzeme");
    assert_eq!(data["cases"].as_array().unwrap().len(), 2);
}

in_every_world!(
    a_region_the_branches_do_not_serve_is_refused,
    a_region_the_branches_do_not_serve_is_refused_in
);

async fn a_region_the_branches_do_not_serve_is_refused_in(w: &World) {
    let a = w.sign_in(&sample_person_code(1), Role::Applicant).await;
    let res = apply_in_region(w, &a, "Atlantīda", ["a.pdf", "b.pdf"]).await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    let problem = res.json();
    assert_eq!(problem["field"], "person.region");
    assert!(
        problem["detail"].as_str().unwrap().contains("Latgale"),
        "{problem}"
    );
    let listed = w.call(&a, "GET", "/api/v1/cases", None).await;
    assert_eq!(listed.json(), json!([]), "nothing half-saved");
}

/// Files two PDFs as `who`, stating `region` as the applicant's.
async fn apply_in_region(w: &World, who: &Who, region: &str, files: [&str; 2]) -> common::Reply {
    let mut application = two_pdfs();
    application["person"] = json!({ "region": region });
    let files = [(files[0], PDF), (files[1], PDF)];
    w.call(
        who,
        "POST",
        "/api/v1/applications",
        multipart(application, &files),
    )
    .await
}

in_every_world!(
    experts_read_sampled_decisions_blind_and_the_console_reports_their_kappa,
    experts_read_sampled_decisions_blind_and_the_console_reports_their_kappa_in
);

async fn experts_read_sampled_decisions_blind_and_the_console_reports_their_kappa_in(w: &World) {
    let a = w.sign_in(&sample_person_code(1), Role::Applicant).await;
    let expert = w.sign_in(&staff_code(Role::Expert), Role::Expert).await;
    let other_expert = w.sign_in(&common::second_expert_code(), Role::Expert).await;
    let quality = w.sign_in(&staff_code(Role::Quality), Role::Quality).await;
    let expert_id = w.call(&expert, "GET", "/api/v1/me", None).await.json()["user_id"]
        .as_str()
        .unwrap()
        .to_string();
    // Three signed decisions: II 65 %, III 40 %, and II 65 % signed under the first expert's
    // id — a decision they took part in.
    let today = chrono::Utc::now().date_naive().to_string();
    let mut group_three = decision_on(&today);
    group_three.outcome = atzinums_models::Outcome::GroupIII;
    group_three.work_capacity_loss_pct = Some(atzinums_models::WorkCapacityLoss::new(40).unwrap());
    let mut cases = Vec::new();
    for (decision, signer) in [
        (decision_on(&today), "o-1"),
        (group_three, "o-1"),
        (decision_on(&today), expert_id.as_str()),
    ] {
        let case_id = w.file_two_pdfs(&a).await;
        bring_to_signature(&w.store, &case_id).await.unwrap();
        w.store
            .sign_decision(&case_id, &decision, &Actor::person(Role::Official, signer))
            .await
            .unwrap();
        cases.push(case_id);
    }
    let sample = |count: i64| json_body(json!({ "count": count, "weeks": 4 }));
    assert_eq!(
        w.call(
            &quality,
            "POST",
            "/api/v1/quality/second-readings",
            sample(0)
        )
        .await
        .status,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    let sampled = w
        .call(
            &quality,
            "POST",
            "/api/v1/quality/second-readings",
            sample(10),
        )
        .await;
    assert_eq!(sampled.json(), json!({ "sampled": 3 }));
    let again = w
        .call(
            &quality,
            "POST",
            "/api/v1/quality/second-readings",
            sample(10),
        )
        .await;
    assert_eq!(
        again.json(),
        json!({ "sampled": 0 }),
        "each case is sampled once"
    );

    // The first expert is offered the two decisions they had no part in.
    let open: Vec<String> = w
        .call(&expert, "GET", "/api/v1/second-readings", None)
        .await
        .json()
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["case_id"].as_str().unwrap().to_string())
        .collect();
    let mut want = cases[..2].to_vec();
    want.sort();
    let mut open_sorted = open.clone();
    open_sorted.sort();
    assert_eq!(open_sorted, want);
    let path = |case_id: &str| format!("/api/v1/second-readings/{case_id}");
    assert_eq!(
        w.call(&expert, "GET", &path(&cases[2]), None).await.status,
        StatusCode::FORBIDDEN,
        "not a decision they took part in"
    );
    // Blind: the application and its documents, nothing of the draft or the decision.
    let blind = w.call(&expert, "GET", &path(&cases[0]), None).await;
    assert_eq!(blind.status, StatusCode::OK);
    let blind = blind.json();
    assert_eq!(blind["documents"].as_array().unwrap().len(), 2);
    let text = blind.to_string();
    for hidden in ["decision", "outcome", "draft", "group_II", "timeline"] {
        assert!(
            !text.contains(hidden),
            "{hidden} shown to a second reader: {text}"
        );
    }

    let reading = |outcome: &str, pct: i64| {
        json_body(json!({ "outcome": outcome, "work_capacity_loss_pct": pct }))
    };
    assert_eq!(
        w.call(&expert, "POST", &path(&cases[0]), reading("group_II", 65))
            .await
            .status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        w.call(
            &other_expert,
            "POST",
            &path(&cases[0]),
            reading("group_I", 90)
        )
        .await
        .status,
        StatusCode::NOT_FOUND,
        "one reading per case"
    );
    let bad = w
        .call(&expert, "POST", &path(&cases[1]), reading("group_III", 70))
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(bad.json()["field"], "work_capacity_loss_pct");
    for (who, case_id, outcome, pct) in [
        (&expert, &cases[1], "group_II", 60),
        (&other_expert, &cases[2], "group_II", 65),
    ] {
        assert_eq!(
            w.call(who, "POST", &path(case_id), reading(outcome, pct))
                .await
                .status,
            StatusCode::NO_CONTENT
        );
    }
    assert_eq!(
        w.call(&expert, "GET", "/api/v1/second-readings", None)
            .await
            .json(),
        json!([])
    );

    // Signed II, III, II against read II, II, II: p_o = 2/3; the second reader's marginal is
    // all II, so p_e = 2/3 too and kappa is 0. Percentages differ by 0, 20, 0.
    let console = w
        .call(&quality, "GET", "/api/v1/quality/live", None)
        .await
        .json();
    let agreement = &console["second_reading"];
    assert_eq!(agreement["pairs"], 3, "{console}");
    assert_eq!(agreement["pending"], 0);
    assert_eq!(agreement["adult_pairs"], 3);
    let close = |v: &Value, want: f64| (v.as_f64().unwrap() - want).abs() < 1e-9;
    assert!(
        close(&agreement["outcome_agreement"], 2.0 / 3.0),
        "{agreement}"
    );
    assert!(close(&agreement["kappa"], 0.0), "{agreement}");
    assert!(close(&agreement["pct_mae"], 20.0 / 3.0), "{agreement}");
}

in_every_world!(
    the_export_is_a_dataset_without_the_people,
    the_export_is_a_dataset_without_the_people_in
);

async fn the_export_is_a_dataset_without_the_people_in(w: &World) {
    let a = w.sign_in(&sample_person_code(1), Role::Applicant).await;
    let quality = w.sign_in(&staff_code(Role::Quality), Role::Quality).await;
    let mut application = two_pdfs();
    application["person"] = json!({ "region": "Vidzeme", "birth_date": "1971-05-02", "sex": "F" });
    let filed = w
        .call(
            &a,
            "POST",
            "/api/v1/applications",
            multipart(application, &[("a.pdf", PDF), ("b.pdf", PDF)]),
        )
        .await;
    assert_eq!(
        filed.status,
        StatusCode::CREATED,
        "{}",
        String::from_utf8_lossy(&filed.body)
    );
    let case_id = filed.json()["case_id"].as_str().unwrap().to_string();
    bring_to_signature(&w.store, &case_id).await.unwrap();
    let today = chrono::Utc::now().date_naive().to_string();
    let mut decision = decision_on(&today);
    decision.expert = "u-expert-of-record".into();
    // Conclusions cite the case and its documents by their ids in this system.
    let view = w
        .call(&a, "GET", &format!("/api/v1/cases/{case_id}"), None)
        .await
        .json();
    let document_id = view["documents"][0]["id"].as_str().unwrap().to_string();
    decision.opinion_text = format!(
        "Lieta: {case_id}. Slēdziens [{document_id}, 1. lpp.]. Pacientei 010171-10017 noteikta II grupa."
    );
    w.store
        .sign_decision(&case_id, &decision, &Actor::person(Role::Official, "o-1"))
        .await
        .unwrap();

    let res = w
        .call(&quality, "GET", "/api/v1/quality/export?weeks=4", None)
        .await;
    assert_eq!(res.status, StatusCode::OK);
    assert_eq!(res.content_type, "application/zip");
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(res.body.clone())).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut everything = String::new();
    for i in 0..archive.len() {
        let mut entry = archive.by_index(i).unwrap();
        let path = dir.path().join(entry.name());
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        let mut text = String::new();
        std::io::Read::read_to_string(&mut entry, &mut text).unwrap();
        std::fs::write(&path, &text).unwrap();
        everything.push_str(&text);
    }
    // Nothing that names the person, the case or the expert leaves.
    for secret in [
        sample_person_code(1).as_str(),
        "010171-10017",
        "1971-05-02",
        case_id.as_str(),
        document_id.as_str(),
        "u-expert-of-record",
    ] {
        assert!(!everything.contains(secret), "{secret} in the export");
    }
    // It reads back in the dataset format, de-identified.
    let dataset = atzinums_eval::dataset::read_dataset(dir.path()).unwrap();
    assert!(dataset.errors.is_empty(), "{:?}", dataset.errors);
    assert!(dataset.manifest.deidentified);
    assert_eq!(dataset.cases.len(), 1);
    let case: Value =
        serde_json::from_slice(&std::fs::read(dataset.cases[0].dir.join("case.json")).unwrap())
            .unwrap();
    assert!(
        case["person"]["person_code"]
            .as_str()
            .unwrap()
            .starts_with("PK-")
    );
    assert_eq!(case["person"]["birth_year"], 1971);
    assert!(case["person"].get("birth_date").is_none());
    let signed = dataset.cases[0].decision.as_ref().unwrap();
    assert_eq!(signed.outcome, atzinums_models::Outcome::GroupII);
    assert!(signed.expert.starts_with("E-"));
    assert!(signed.opinion_text.contains("[personas kods]"));
    assert!(
        signed
            .opinion_text
            .contains("Lieta: X-000001. Slēdziens [01-"),
        "{}",
        signed.opinion_text
    );
    // The read of the case is in the person's record of who read their data.
    let data = w.call(&a, "GET", "/api/v1/me/data", None).await.json();
    assert!(
        data["accesses"]
            .as_array()
            .unwrap()
            .iter()
            .any(|x| x["by_role"] == "quality" && x["action"] == "case.read"),
        "{data}"
    );
}
