//! schemathesis against `/openapi.json` of a running `atzinums demo` (6 applications, so the
//! queues hold work), once per kind of caller: applicant, representative, clerk, expert,
//! official, quality, an institution's token, and nobody. Every generated request must get a
//! response that is not a server error and matches the document: a documented status, content
//! type, headers and body schema; an operation that needs credentials must refuse a request
//! without them. At least 500 requests in all. The logs stay in
//! `$CARGO_TARGET_DIR/tmp/schemathesis/`.
//!
//! Needs schemathesis (PyPI; `.ci/run` installs the pinned version into
//! `~/.cache/atzinums/schemathesis` and sets `ATZINUMS_EXTERNAL_TOOLS=required`). Without it,
//! and not required, the test says SKIPPED and passes.

mod common;

use std::path::PathBuf;
use std::process::Command;

use atzinums_store::testing::sample_person_code;
use common::data_dir;
use common::demo::Demo;

/// What each response is checked for (schemathesis' names).
const CHECKS: &str = "not_a_server_error,status_code_conformance,content_type_conformance,\
                      response_headers_conformance,response_schema_conformance,ignored_auth";
/// Generated cases per operation and phase; with 26 operations, several hundred per caller.
const EXAMPLES: &str = "25";

fn schemathesis() -> Option<PathBuf> {
    let candidates = [
        std::env::var_os("ATZINUMS_SCHEMATHESIS").map(PathBuf::from),
        std::env::var_os("HOME")
            .map(|h| PathBuf::from(h).join(".cache/atzinums/schemathesis/bin/schemathesis")),
    ];
    candidates.into_iter().flatten().find(|p| p.exists())
}

/// The cases schemathesis generated, from its summary line (`N generated, …`).
fn generated(output: &str) -> usize {
    output
        .lines()
        .filter_map(|l| l.trim().split_once(" generated"))
        .filter_map(|(n, _)| n.trim().parse().ok())
        .next_back()
        .unwrap_or(0)
}

#[test]
fn every_generated_request_gets_a_documented_answer_and_no_server_error() {
    let Some(st) = schemathesis() else {
        let required = std::env::var("ATZINUMS_EXTERNAL_TOOLS").as_deref() == Ok("required");
        assert!(!required, "schemathesis is not installed (see .ci/run)");
        eprintln!("SKIPPED: schemathesis is not installed (see .ci/run)");
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let demo = Demo::start(&data_dir(tmp.path()), 6);
    let logs = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("schemathesis");
    let _ = std::fs::remove_dir_all(&logs);
    std::fs::create_dir_all(&logs).unwrap();

    // Sign everyone in first: the unauthenticated run fuzzes the sign-in, whose rate limit it
    // soon reaches.
    let people = [
        ("applicant", 1),
        ("representative", 3),
        ("clerk", 901),
        ("expert", 902),
        ("official", 903),
        ("quality", 904),
    ];
    let mut callers: Vec<(&str, Vec<String>)> = people
        .iter()
        .map(|(role, n)| {
            let (cookie, csrf) = demo.sign_in(sample_person_code(*n).as_str(), role);
            let headers = vec![
                "-H".into(),
                format!("Cookie: atz_session={cookie}"),
                "-H".into(),
                format!("X-CSRF-Token: {csrf}"),
                // Signing out would end the run's session halfway.
                "--exclude-path".into(),
                "/api/v1/session".into(),
            ];
            (*role, headers)
        })
        .collect();
    let bearer = format!("Authorization: Bearer {}", demo.token);
    callers.push(("institution", vec!["-H".into(), bearer]));
    callers.push(("nobody", Vec::new()));

    let (mut total, mut failed) = (0, Vec::new());
    for (who, args) in &callers {
        let output = Command::new(&st)
            .args(["run", &format!("{}/openapi.json", demo.base)])
            .args(args)
            .args([
                "--checks",
                CHECKS,
                "-n",
                EXAMPLES,
                "--seed",
                "1",
                "--no-color",
            ])
            // schemathesis keeps a cache in its working directory: not in the repository.
            .current_dir(tmp.path())
            .output()
            .expect("schemathesis runs");
        let text = String::from_utf8_lossy(&output.stdout).into_owned()
            + &String::from_utf8_lossy(&output.stderr);
        std::fs::write(logs.join(format!("{who}.log")), &text).unwrap();
        let n = generated(&text);
        eprintln!("schemathesis as {who}: {n} requests, {}", output.status);
        total += n;
        if !output.status.success() {
            failed.push(format!("as {who}:\n{text}"));
        }
    }
    drop(demo);
    assert!(failed.is_empty(), "{}", failed.join("\n\n"));
    assert!(total >= 500, "only {total} generated requests");
}
