//! The reader on a deliberately broken dataset: each bad case is reported
//! once, naming the case and the field, and the rest is loaded.

mod common;

use atzinums_eval::dataset::{DatasetError, read_dataset};
use common::{case_dirs, gen_into};
use serde_json::Value;

fn edit_json(path: &std::path::Path, f: impl FnOnce(&mut Value)) {
    let mut v: Value = serde_json::from_slice(&std::fs::read(path).expect("read")).expect("json");
    f(&mut v);
    std::fs::write(path, serde_json::to_vec_pretty(&v).expect("ser")).expect("write");
}

#[test]
fn bad_cases_are_reported_and_skipped() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let out = tmp.path().join("ds");
    gen_into(&out, 30, 2, 0.0, 0.0, 2);
    let dirs = case_dirs(&out);
    let name = |i: usize| {
        dirs[i]
            .file_name()
            .expect("name")
            .to_string_lossy()
            .into_owned()
    };

    // 0: a document file is missing.
    let doc0 = {
        let v: Value =
            serde_json::from_slice(&std::fs::read(dirs[0].join("case.json")).expect("r"))
                .expect("j");
        v["documents"][0]["file"].as_str().expect("file").to_owned()
    };
    std::fs::remove_file(dirs[0].join("documents").join(&doc0)).expect("rm");
    // 1: an impossible date.
    edit_json(&dirs[1].join("case.json"), |v| {
        v["submitted_at"] = "2019-02-30".into()
    });
    // 2: an unknown kind.
    edit_json(&dirs[2].join("case.json"), |v| {
        v["kind"] = "disability_third".into()
    });
    // 3: not JSON at all.
    std::fs::write(dirs[3].join("case.json"), b"{ \"case_id\": ").expect("w");
    // 4: case.json missing.
    std::fs::remove_file(dirs[4].join("case.json")).expect("rm");
    // 5: case_id does not match the folder.
    edit_json(&dirs[5].join("case.json"), |v| {
        v["case_id"] = "C-1999-999999".into()
    });
    // 6: a bad document kind inside the list.
    edit_json(&dirs[6].join("case.json"), |v| {
        v["documents"][0]["kind"] = "selfie".into()
    });
    // 7: a decision with a bad date.
    let mut broke_decision = None;
    for (i, d) in dirs.iter().enumerate().skip(7) {
        if d.join("decision.json").exists() {
            edit_json(&d.join("decision.json"), |v| {
                v["decided_at"] = "02.04.2019".into()
            });
            broke_decision = Some(i);
            break;
        }
    }
    let di = broke_decision.expect("a case with a decision");
    // truth.json is ignored even when it is garbage.
    std::fs::write(dirs[29].join("truth.json"), b"not json").expect("w");

    let ds = read_dataset(&out).expect("the import as a whole succeeds");
    assert_eq!(ds.counts.seen, 30);
    assert_eq!(ds.counts.skipped, 8, "{ds}");
    assert_eq!(ds.counts.loaded, 22, "{ds}");
    assert_eq!(ds.cases.len(), 22);
    assert_eq!(ds.errors.len(), 8);

    let find = |who: &str| {
        ds.errors
            .iter()
            .find(|e| e.case_id_or_dir == who)
            .unwrap_or_else(|| panic!("no error for {who}: {ds}"))
    };
    let e = find(&name(0));
    assert_eq!(e.field, "case.json:documents[0].file");
    assert!(e.message.contains("missing"), "{e}");
    let e = find(&name(1));
    assert_eq!(e.field, "case.json:submitted_at");
    let e = find(&name(2));
    assert_eq!(e.field, "case.json:kind");
    assert!(e.message.contains("disability_third"), "{e}");
    let e = find(&name(3));
    assert_eq!(e.field, "case.json");
    assert!(e.message.contains("not valid JSON"), "{e}");
    let e = find(&name(4));
    assert_eq!(e.field, "case.json");
    assert!(e.message.contains("missing"), "{e}");
    let e = find("C-1999-999999");
    assert_eq!(e.field, "case.json:case_id");
    assert!(e.message.contains(&name(5)), "{e}");
    let e = find(&name(6));
    assert_eq!(e.field, "case.json:documents[0].kind");
    let e = find(&name(di));
    assert_eq!(e.field, "decision.json:decided_at");
    // The printed report names every skipped case.
    let report = ds.to_string();
    assert!(
        report.contains("22 loaded") && report.contains("8 skipped"),
        "{report}"
    );
    for e in &ds.errors {
        assert!(report.contains(&e.to_string()));
    }
}

#[test]
fn a_missing_or_foreign_manifest_fails_the_whole_read() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let out = tmp.path().join("ds");
    gen_into(&out, 2, 2, 0.0, 0.0, 1);
    edit_json(&out.join("manifest.json"), |v| {
        v["format"] = "atzinums-dataset/2".into()
    });
    match read_dataset(&out) {
        Err(DatasetError::Manifest(e)) => assert_eq!(e.path, "format"),
        other => panic!("{other:?}"),
    }
    std::fs::remove_file(out.join("manifest.json")).expect("rm");
    assert!(matches!(read_dataset(&out), Err(DatasetError::Io { .. })));
}

#[test]
fn a_count_mismatch_is_a_warning() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let out = tmp.path().join("ds");
    gen_into(&out, 3, 2, 0.0, 0.0, 1);
    edit_json(&out.join("manifest.json"), |v| v["cases"] = 5.into());
    let ds = read_dataset(&out).expect("read");
    assert_eq!(ds.counts.loaded, 3);
    assert_eq!(ds.warnings.len(), 1);
}
