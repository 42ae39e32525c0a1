//! The generator writes a dataset the reader loads with no errors, the same
//! seed gives the same bytes whatever the thread count, and the contents
//! keep the domain's rules.

mod common;

use std::io::Read;

use atzinums_eval::dataset::read_dataset;
use atzinums_models::{ApplicationKind, Outcome, Term};
use chrono::Datelike;
use common::{case_dirs, gen_into, squeeze, tree_hashes, truth};

#[test]
fn two_hundred_cases_read_back_with_no_errors() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let out = tmp.path().join("ds");
    let summary = gen_into(&out, 200, 1, 0.2, 0.05, 2);
    assert_eq!(summary.cases, 200);
    let text = summary.to_string();
    for needle in [
        "kinds:",
        "outcomes:",
        "ages",
        "ICD-10 chapter",
        "documents per case",
    ] {
        assert!(text.contains(needle), "summary lacks {needle}:\n{text}");
    }
    let ds = read_dataset(&out).expect("read");
    assert!(ds.errors.is_empty(), "{ds}");
    assert_eq!(ds.counts.loaded, 200);
    assert_eq!(ds.counts.skipped, 0);
    assert!(ds.warnings.is_empty(), "{ds}");
    assert_eq!(ds.counts.documents, summary.documents);
    assert!(ds.manifest.deidentified);
    // Duplicates have no decision; everything else has one.
    for c in &ds.cases {
        assert_eq!(
            c.decision.is_some(),
            c.case.kind != ApplicationKind::CertificateDuplicate
        );
        assert!(c.dir.join("truth.json").exists());
    }
}

#[test]
fn same_seed_same_bytes_whatever_the_threads() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let a = tmp.path().join("a");
    let b = tmp.path().join("b");
    let c = tmp.path().join("c");
    gen_into(&a, 60, 7, 0.3, 0.2, 1);
    gen_into(&b, 60, 7, 0.3, 0.2, 3);
    gen_into(&c, 60, 8, 0.3, 0.2, 2);
    let ha = tree_hashes(&a);
    assert!(ha.len() > 60 * 3);
    assert_eq!(ha, tree_hashes(&b));
    assert_ne!(ha, tree_hashes(&c));
}

#[test]
fn refuses_a_folder_that_holds_a_dataset() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let out = tmp.path().join("ds");
    gen_into(&out, 3, 1, 0.0, 0.0, 1);
    let o = atzinums_eval::SynthOptions {
        cases: 3,
        ..Default::default()
    };
    let e = atzinums_eval::generate(&o, &out).unwrap_err().to_string();
    assert!(e.contains("already holds a dataset"), "{e}");
    let bad = atzinums_eval::SynthOptions {
        pdf_share: 0.8,
        docx_share: 0.5,
        ..Default::default()
    };
    assert!(atzinums_eval::generate(&bad, &tmp.path().join("x")).is_err());
}

#[test]
fn a_test_set_can_be_numbered_after_its_archive() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let o = atzinums_eval::SynthOptions {
        cases: 5,
        seed: 2,
        pdf_share: 0.0,
        docx_share: 0.0,
        first_case: 20_001,
        ..Default::default()
    };
    atzinums_eval::generate(&o, &tmp.path().join("ds")).expect("generate");
    let ds = read_dataset(&tmp.path().join("ds")).expect("read");
    assert!(ds.errors.is_empty(), "{ds}");
    let mut numbers: Vec<&str> = ds
        .cases
        .iter()
        .map(|c| &c.case.case_id.as_str()[7..])
        .collect();
    numbers.sort();
    assert_eq!(numbers, ["020001", "020002", "020003", "020004", "020005"]);
    for (first_case, cases) in [(0, 5), (999_999, 2)] {
        let bad = atzinums_eval::SynthOptions {
            cases,
            first_case,
            ..Default::default()
        };
        let e = atzinums_eval::generate(&bad, &tmp.path().join(format!("bad{first_case}")))
            .unwrap_err()
            .to_string();
        assert!(e.contains("--first-case"), "{e}");
    }
}

#[test]
fn identified_sets_carry_valid_personal_codes() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let out = tmp.path().join("ds");
    let o = atzinums_eval::SynthOptions {
        cases: 40,
        pdf_share: 0.0,
        docx_share: 0.0,
        identified: true,
        ..Default::default()
    };
    atzinums_eval::generate(&o, &out).expect("generate");
    let ds = read_dataset(&out).expect("read");
    assert!(ds.errors.is_empty(), "{ds}");
    assert!(!ds.manifest.deidentified);
    for c in &ds.cases {
        assert!(c.case.person.birth_date.is_some());
        assert!(matches!(
            c.case.person.person_code,
            atzinums_models::PersonRef::Code(_)
        ));
    }
}

/// Shares within tolerances of the targets in SYNTH.md (1,500 text cases).
#[test]
fn distribution_shares_are_realistic() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let out = tmp.path().join("ds");
    let s = gen_into(&out, 1500, 3, 0.0, 0.0, 2);
    let within = |name: &str, v: f64, lo: f64, hi: f64| {
        assert!(
            (lo..=hi).contains(&v),
            "{name}: {v:.3} not in {lo}..{hi}\n{s}"
        );
    };
    within("first", s.share(&s.kinds, "disability_first"), 0.32, 0.42);
    within("repeat", s.share(&s.kinds, "disability_repeat"), 0.52, 0.64);
    within(
        "predicted",
        s.share(&s.kinds, "predicted_disability"),
        0.005,
        0.05,
    );
    within("contest", s.share(&s.kinds, "contest"), 0.005, 0.04);
    within(
        "duplicate",
        s.share(&s.kinds, "certificate_duplicate"),
        0.005,
        0.04,
    );
    let children: f64 = ["00-06", "07-12", "13-17"]
        .iter()
        .map(|k| s.share(&s.age_bands, k))
        .sum();
    within("children", children, 0.11, 0.19);
    within("50-64", s.share(&s.age_bands, "50-64"), 0.33, 0.50);
    let pensioners = s.share(&s.age_bands, "65-74") + s.share(&s.age_bands, "75+");
    within("pensioners", pensioners, 0.15, 0.30);
    within("female", s.share(&s.sexes, "F"), 0.47, 0.59);
    within("Riga", s.share(&s.regions, "Rīga"), 0.26, 0.36);
    within("Latgale", s.share(&s.regions, "Latgale"), 0.10, 0.19);
    within("eservice", s.share(&s.channels, "eservice"), 0.40, 0.60);
    within("paper", s.share(&s.channels, "paper"), 0.15, 0.32);
    within("complex", s.complex as f64 / s.cases as f64, 0.08, 0.30);
    within(
        "one step off",
        s.one_step_off as f64 / s.cases as f64,
        0.05,
        0.15,
    );
    within(
        "contradictions",
        s.contradictions as f64 / s.cases as f64,
        0.04,
        0.10,
    );
    within("none", s.share(&s.outcomes, "none"), 0.08, 0.30);
    within("group_I", s.share(&s.outcomes, "group_I"), 0.05, 0.25);
    within("premature", s.share(&s.outcomes, "premature"), 0.002, 0.06);
    assert!(s.icd_chapters.len() >= 12, "{s}");
    assert!(s.documents as f64 / s.cases as f64 > 2.5);
}

#[test]
fn decisions_keep_bands_terms_and_ages() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let out = tmp.path().join("ds");
    gen_into(&out, 400, 11, 0.0, 0.0, 2);
    let ds = read_dataset(&out).expect("read");
    assert!(ds.errors.is_empty(), "{ds}");
    for c in &ds.cases {
        let Some(d) = &c.decision else { continue };
        let t = truth(&c.dir);
        let age = t["latent"]["age_at_decision"].as_u64().expect("age") as u32;
        let pct = d.work_capacity_loss_pct.map(|p| p.value());
        let id = c.case.case_id.as_str();
        if age < 18 {
            assert!(pct.is_none(), "{id}: child with percentage");
            assert!(
                matches!(
                    d.outcome,
                    Outcome::ChildDisability | Outcome::None | Outcome::Premature
                ),
                "{id}: child outcome {}",
                d.outcome
            );
            assert_ne!(d.term, Some(Term::Lifelong), "{id}");
        } else {
            assert_ne!(d.outcome, Outcome::ChildDisability, "{id}");
            assert_ne!(d.term, Some(Term::UntilEighteen), "{id}");
        }
        if age >= 65 {
            assert!(pct.is_none(), "{id}: pensioner with percentage");
        }
        if (18..65).contains(&age) {
            let band = match d.outcome {
                Outcome::GroupI => Some((80, 100)),
                Outcome::GroupII => Some((60, 79)),
                Outcome::GroupIII => Some((25, 59)),
                _ => None,
            };
            if let Some((lo, hi)) = band {
                let p = pct.unwrap_or_else(|| panic!("{id}: group without percentage"));
                assert!((lo..=hi).contains(&p), "{id}: {p} outside {lo}..{hi}");
            }
        }
        match d.outcome {
            Outcome::None | Outcome::Premature | Outcome::Incomplete => {
                assert!(d.term.is_none(), "{id}")
            }
            Outcome::PredictedDisability => assert!(
                matches!(d.term, Some(Term::Months(m)) if m.get() == 6 || m.get() == 12),
                "{id}"
            ),
            _ => assert!(d.term.is_some(), "{id}: disability without a term"),
        }
        if let Some(Term::Months(m)) = d.term {
            assert!([6, 12, 24, 60].contains(&m.get()), "{id}");
        }
        if d.outcome == Outcome::Premature {
            assert_eq!(c.case.kind, ApplicationKind::DisabilityFirst, "{id}");
        }
        assert!(!d.opinion_text.is_empty());
        assert_eq!(
            d.primary_icd10.as_ref().map(|c| c.as_str().to_owned()),
            t["latent"]["main_icd10"].as_str().map(str::to_owned)
        );
        // Special care for adults only with group I.
        if age >= 18 && d.opinions.get(&atzinums_models::OpinionKind::SpecialCare) == Some(&true) {
            assert_eq!(d.outcome, Outcome::GroupI, "{id}");
        }
    }
}

#[test]
fn documents_mention_the_previous_decision_never_the_new_one() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let out = tmp.path().join("ds");
    gen_into(&out, 300, 5, 0.0, 0.0, 2);
    let ds = read_dataset(&out).expect("read");
    let mut mentioned = 0;
    for c in &ds.cases {
        let t = truth(&c.dir);
        let new_date = c.decision.as_ref().map(|d| {
            let x = d.decided_at;
            format!("{:02}.{:02}.{}", x.day(), x.month(), x.year())
        });
        for (doc, dt) in c
            .case
            .documents
            .iter()
            .zip(t["documents"].as_array().expect("docs"))
        {
            assert!(doc.issued_at.is_some_and(|i| i <= c.case.submitted_at));
            let text: String = dt["pages"]
                .as_array()
                .expect("pages")
                .iter()
                .filter_map(|p| p.as_str())
                .collect();
            if let Some(nd) = &new_date {
                assert!(
                    !text.contains(nd.as_str()),
                    "{}: {} states the new decision date",
                    c.case.case_id,
                    doc.file
                );
            }
            if dt["mentions_previous_decision"].as_bool() == Some(true) {
                assert!(c.case.previous_decision.is_some());
                mentioned += 1;
            }
        }
        if c.case.previous_decision.is_none() {
            assert!(
                t["documents"]
                    .as_array()
                    .expect("docs")
                    .iter()
                    .all(|d| d["mentions_previous_decision"] == false)
            );
        }
    }
    assert!(mentioned > 50, "{mentioned}");
}

#[test]
fn truth_matches_the_documents() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let out = tmp.path().join("ds");
    gen_into(&out, 120, 9, 0.0, 0.3, 2);
    let mut contradictions = 0;
    for dir in case_dirs(&out) {
        let t = truth(&dir);
        let main = t["latent"]["main_icd10"].as_str().expect("main").to_owned();
        for d in t["documents"].as_array().expect("docs") {
            let file = d["file"].as_str().expect("file");
            let bytes = std::fs::read(dir.join("documents").join(file)).expect("doc");
            let source: String = d["pages"]
                .as_array()
                .expect("pages")
                .iter()
                .filter_map(|p| p.as_str())
                .collect::<Vec<_>>()
                .join("\n");
            if file.ends_with(".txt") {
                assert_eq!(String::from_utf8(bytes).expect("utf8"), source);
            } else if file.ends_with(".docx") {
                let mut z = zip::ZipArchive::new(std::io::Cursor::new(bytes)).expect("docx zip");
                let mut xml = String::new();
                z.by_name("word/document.xml")
                    .expect("document.xml")
                    .read_to_string(&mut xml)
                    .expect("xml");
                let mut plain = String::new();
                let mut in_tag = false;
                for ch in xml.replace("</w:p>", "\n").chars() {
                    match ch {
                        '<' => in_tag = true,
                        '>' => in_tag = false,
                        c if !in_tag => plain.push(c),
                        _ => {}
                    }
                }
                let plain = plain
                    .replace("&amp;", "&")
                    .replace("&lt;", "<")
                    .replace("&gt;", ">")
                    .replace("&quot;", "\"");
                assert_eq!(squeeze(&plain), squeeze(&source), "{file}");
            }
            if d["kind"] == "referral_088u" {
                assert_eq!(d["icd10_main"].as_str(), Some(main.as_str()));
                assert!(source.contains(&main), "referral lacks the main code");
                assert!(d["treatment_start"].is_string());
                assert!(!d["functioning"].as_object().expect("f").is_empty());
            }
        }
        if t["documents_contradict"] == true {
            contradictions += 1;
            let c = &t["contradiction"];
            let domain = c["domain"].as_str().expect("domain");
            let a = c["true_level"].as_u64().expect("true");
            let b = c["contradicting_level"].as_u64().expect("other");
            assert!(a.abs_diff(b) >= 2);
            let levels: Vec<u64> = t["documents"]
                .as_array()
                .expect("docs")
                .iter()
                .filter_map(|d| d["functioning"][domain].as_u64())
                .collect();
            let (lo, hi) = (
                levels.iter().min().copied().unwrap_or(0),
                levels.iter().max().copied().unwrap_or(0),
            );
            assert!(
                hi - lo >= 2,
                "{}: contradiction not visible: {levels:?}",
                dir.display()
            );
        }
    }
    assert!(contradictions > 0);
}
