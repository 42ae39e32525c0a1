//! One application's whole life in headless Chromium, against `atzinums demo` started with empty
//! queues: the applicant applies with two PDFs, the demo's worker drafts the case, an expert
//! claims it, checks its evidence in the document viewer, edits and approves it, the official
//! signs, the applicant sees the decision and downloads it as a PDF; then a representative and
//! a branch clerk each file for someone else. axe-core runs on every page shown; a serious or
//! critical WCAG 2.1 violation fails the test. The browser is driven by `e2e/walkthrough.mjs` (playwright-core);
//! screenshots, the downloaded PDF and the axe report stay under
//! `$CARGO_TARGET_DIR/tmp/browser-e2e/` as the test's artefacts.
//!
//! Needs Node.js, Chromium (`apt-get install chromium`) and `npm ci --prefix e2e`; `.ci/run`
//! installs them and sets `ATZINUMS_EXTERNAL_TOOLS=required`. Without them, and not required, the
//! test says SKIPPED and passes.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use atzinums_store::testing::sample_person_code;
use common::demo::Demo;
use common::{atzinums, chromium, data_dir, external_tools_required, stdout_of};
use serde_json::{Value, json};

/// Written into the draft by the expert; must come back in the signed decision's PDF.
const EXPERT_NOTE: &str = "Eksperta piezīme: dokumenti pārskatīti pārlūkā, labojumi saskaņoti.";
/// How long the demo's worker may take to draft the case.
const DRAFTED: Duration = Duration::from_secs(240);

/// What is missing for the browser test, if anything.
fn missing_prerequisites(repo: &Path) -> Vec<String> {
    let mut missing = Vec::new();
    if Command::new("node").arg("--version").output().is_err() {
        missing.push("Node.js (`node`)".to_string());
    }
    if !chromium().exists() {
        missing.push(format!("Chromium at {}", chromium().display()));
    }
    // The decision PDF's words are checked through poppler's pdftotext.
    if Command::new("pdftotext").arg("-v").output().is_err() {
        missing.push("pdftotext (poppler-utils)".to_string());
    }
    for package in ["playwright-core", "axe-core"] {
        if !repo.join("e2e/node_modules").join(package).exists() {
            missing.push(format!("{package} (`npm ci --prefix e2e`)"));
        }
    }
    missing
}

/// Two PDFs of one synthetic first application decided as a disability group: its referral
/// 088/u (diagnoses, treatment since) and the applicant's functioning self-assessment — what a
/// complete application needs — and the decision the archive signed for it. The walk's expert
/// signs that decision's outcome, changing the draft's where it differs, so a certificate
/// follows whatever the draft proposed.
fn two_pdfs(data: &Path, root: &Path) -> (Vec<Value>, Value) {
    let out = root.join("applications");
    stdout_of(&atzinums(
        data,
        &[
            "synth",
            "--cases",
            "8",
            "--seed",
            "31",
            "--identified",
            "--pdf-share",
            "1",
            "--docx-share",
            "0",
            "--out",
            out.to_str().unwrap(),
        ],
    ));
    let mut cases: Vec<_> = std::fs::read_dir(out.join("cases"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    cases.sort();
    let read =
        |p: PathBuf| -> Value { serde_json::from_slice(&std::fs::read(p).unwrap()).unwrap() };
    for case in cases {
        let (meta, truth) = (
            read(case.join("case.json")),
            read(case.join("decision.json")),
        );
        let group = truth["outcome"].as_str().unwrap().starts_with("group_");
        if meta["kind"] != "disability_first" || !group {
            continue;
        }
        let docs = meta["documents"].as_array().unwrap();
        let chosen: Vec<Value> = ["referral_088u", "self_assessment"]
            .iter()
            .filter_map(|kind| docs.iter().find(|d| d["kind"] == *kind))
            .map(|d| {
                json!({
                    "path": case.join("documents").join(d["file"].as_str().unwrap()),
                    "kind": d["kind"],
                })
            })
            .collect();
        if chosen.len() == 2 {
            return (chosen, truth);
        }
    }
    panic!("no synthetic first application decided as a group has both documents");
}

/// Text of a PDF by poppler's `pdftotext` (CI installs it), or None where it is missing.
fn pdf_text(pdf: &Path) -> String {
    let out = Command::new("pdftotext")
        .arg(pdf)
        .arg("-")
        .output()
        .expect("pdftotext runs");
    assert!(out.status.success(), "pdftotext reads {}", pdf.display());
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn an_application_goes_from_browser_upload_to_signed_decision() {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let missing = missing_prerequisites(repo);
    if !missing.is_empty() {
        assert!(
            !external_tools_required(),
            "the browser test needs {}",
            missing.join(", ")
        );
        eprintln!("SKIPPED: the browser test needs {}", missing.join(", "));
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let data = data_dir(tmp.path());
    let (documents, decided) = two_pdfs(&data, tmp.path());
    let demo = Demo::start(&data, 0);
    let base = demo.base.clone();

    let artefacts = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("browser-e2e");
    let _ = std::fs::remove_dir_all(&artefacts);
    let config = json!({
        "base": base,
        "chromium": chromium(),
        "out": artefacts,
        "applicant": sample_person_code(1).as_str(),
        "expert": sample_person_code(902).as_str(),
        "second_expert": sample_person_code(905).as_str(),
        "official": sample_person_code(903).as_str(),
        "quality": sample_person_code(904).as_str(),
        "clerk": sample_person_code(901).as_str(),
        "representative": sample_person_code(3).as_str(),
        "represented": sample_person_code(4).as_str(),
        "assisted": sample_person_code(5).as_str(),
        "documents": documents,
        "draft_timeout_ms": DRAFTED.as_millis() as u64,
        "expert_note": EXPERT_NOTE,
        // The applicant (sample person 1) is past pension age: a group carries no percentage.
        "expert_decides": {
            "outcome": decided["outcome"],
            "term": decided["term"],
            "cause": decided["cause"],
        },
    });
    let walked = Command::new("node")
        .arg(repo.join("e2e/walkthrough.mjs"))
        .arg(config.to_string())
        .current_dir(repo.join("e2e"))
        .status()
        .expect("node runs");
    drop(demo);
    eprintln!("browser artefacts: {}", artefacts.display());

    let report: Value = serde_json::from_slice(
        &std::fs::read(artefacts.join("report.json")).expect("the walk writes its report"),
    )
    .unwrap();
    assert!(
        walked.success(),
        "the walk failed after {:?}: {}",
        report["steps"],
        report["error"]
    );

    // Every page the walk showed: the expected status and language, no serious or critical
    // accessibility violation.
    let pages = report["pages"].as_array().unwrap();
    let names: Vec<_> = pages.iter().map(|p| p["name"].as_str().unwrap()).collect();
    for expected in [
        "sign-in",
        "applicant-start",
        "applicant-case-filed",
        "expert-queues",
        "expert-case",
        "expert-document",
        "expert-approved",
        "quality-queues",
        "quality-console",
        "quality-sampled",
        "second-reading-list",
        "second-reading-case",
        "quality-agreement",
        "signature-queue",
        "official-case",
        "official-signed",
        "applicant-decision",
        "applicant-duplicate-en",
        "applicant-my-data",
        "representative-start",
        "representative-case",
        "clerk-start",
        "clerk-case",
        "error-not-found",
    ] {
        assert!(names.contains(&expected), "no page {expected} in {names:?}");
    }
    let mut serious = Vec::new();
    for p in pages {
        let name = p["name"].as_str().unwrap();
        let want = if name == "error-not-found" { 404 } else { 200 };
        assert_eq!(p["status"], want, "page {name} ({})", p["url"]);
        let lang = if name.ends_with("-en") { "en" } else { "lv" };
        assert_eq!(p["lang"], lang, "page {name}");
        assert!(
            p["passes"].as_u64().unwrap() > 10,
            "axe checked page {name}"
        );
        for v in p["violations"].as_array().unwrap() {
            if matches!(v["impact"].as_str(), Some("serious" | "critical")) {
                serious.push(format!(
                    "{name}: {} ({}) at {}",
                    v["id"], v["impact"], v["targets"]
                ));
            }
        }
    }
    assert!(
        serious.is_empty(),
        "serious or critical accessibility violations:\n{}",
        serious.join("\n")
    );

    assert!(
        report["document_marks"].as_u64().unwrap_or(0) > 0,
        "the document viewer highlights the evidence"
    );

    // "My data": the decision, the certificate and its duplicate, the region stated when
    // applying, and the expert and official who read the case (by role, not by name); the
    // export holds the same.
    let case_id = report["case_id"].as_str().unwrap();
    let mine = &report["my_data"];
    let decisions = mine["decisions"].as_array().unwrap();
    assert!(
        decisions.len() == 1 && decisions[0].as_str().unwrap().contains(case_id),
        "{mine}"
    );
    assert_eq!(mine["certificates"], 2, "{mine}");
    assert_eq!(mine["region"], "Latgale", "{mine}");
    let readers: Vec<_> = mine["readers"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    for role in ["ārsts eksperts", "lēmuma pieņēmējs"] {
        assert!(
            readers.contains(&role),
            "{role} among the readers {readers:?}"
        );
    }
    let exported: Value = serde_json::from_slice(
        &std::fs::read(artefacts.join("mani-dati.json")).expect("the data was exported"),
    )
    .unwrap();
    assert_eq!(exported["cases"][0]["case_id"], case_id);
    assert!(
        !exported
            .to_string()
            .contains(sample_person_code(902).as_str()),
        "staff personal codes are not in the export"
    );
    assert!(
        exported["accesses"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a["by_role"] == "expert"),
        "the export lists the expert's reads"
    );
    // The quality console counts the decision just signed, and whether its outcome is the
    // draft's (the expert changes it where the draft proposed another).
    let week = report["quality_week"].as_str().unwrap_or_default();
    let as_drafted = if report["draft_outcome"] == decided["outcome"] {
        "100.0 %"
    } else {
        "0.0 %"
    };
    let columns: Vec<&str> = week.split('\t').collect();
    assert_eq!(
        columns.get(1..3),
        Some(&["1", as_drafted][..]),
        "one signed, {as_drafted} as drafted: {week}"
    );
    // The blind second reading shows the case without the draft or the decision (the
    // expert's edit is in both), and the console counts the pair.
    let blind = report["second_reading_text"].as_str().unwrap_or_default();
    assert!(blind.contains(case_id), "the blind page names the case");
    assert!(
        !blind.contains(EXPERT_NOTE),
        "the blind page shows no draft or decision: {blind}"
    );
    let agreement = report["quality_agreement"].as_str().unwrap_or_default();
    assert!(
        agreement.lines().any(|l| l.trim() == "1"),
        "one completed reading on the console: {agreement}"
    );
    // The export holds the signed case, renumbered, with no personal code or real case id.
    let zip = std::fs::File::open(artefacts.join("export.zip")).expect("the export downloaded");
    let mut zip = zip::ZipArchive::new(zip).expect("the export is a ZIP");
    let mut names = Vec::new();
    for i in 0..zip.len() {
        let mut entry = zip.by_index(i).unwrap();
        let mut text = String::new();
        std::io::Read::read_to_string(&mut entry, &mut text).unwrap();
        for secret in [sample_person_code(1).as_str(), case_id] {
            assert!(
                !text.contains(secret),
                "{} holds an identifier",
                entry.name()
            );
        }
        names.push(entry.name().to_string());
    }
    assert!(
        names.iter().any(|n| n.ends_with("X-000001/case.json")),
        "{names:?}"
    );
    assert_eq!(
        report["clerk_lists_filed"], true,
        "a clerk's start page lists the application they took"
    );

    // The decision the applicant downloaded is the signed one, with the expert's edit.
    let pdf = artefacts.join("decision.pdf");
    let bytes = std::fs::read(&pdf).expect("the decision was downloaded");
    assert!(bytes.starts_with(b"%PDF-"), "the download is a PDF");
    assert_eq!(
        report["decision_pdf"]["suggested_name"],
        format!("{case_id}-lemums.pdf")
    );
    let flat = pdf_text(&pdf)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    assert!(
        flat.contains(EXPERT_NOTE),
        "the decision PDF carries the expert's edit:\n{flat}"
    );
    assert!(
        !flat.contains("PROJEKTS") && !flat.contains('{'),
        "a signed decision is not a draft and has no raw data:\n{flat}"
    );
    assert!(flat.contains("Termiņš: uz"), "the term in words:\n{flat}");
    let names = documents.iter().map(|d| d["path"].as_str().unwrap());
    for name in names.filter_map(|p| Path::new(p).file_name()?.to_str()) {
        assert!(flat.contains(name), "citations name {name}:\n{flat}");
    }
    for p in pages {
        assert!(
            artefacts
                .join(p["screenshot"].as_str().unwrap())
                .metadata()
                .is_ok_and(|m| m.len() > 1000),
            "screenshot of {}",
            p["name"]
        );
    }
}
