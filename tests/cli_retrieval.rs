//! `atzinums index` and `atzinums similar` end to end, on a small synthetic archive with the real
//! e5 model: indexing, a rerun that changes nothing, a restart, JSON hits, and the errors for a
//! case without text and for a damaged index.

mod common;

use common::{atzinums, data_dir, stdout_of};

#[test]
fn index_is_idempotent_survives_a_restart_and_similar_explains_its_hits() {
    let root = tempfile::tempdir().unwrap();
    let data = data_dir(root.path());
    let archive = root.path().join("archive");
    let held_out = root.path().join("held-out");
    for (out, cases, seed) in [(&archive, "24", "3"), (&held_out, "2", "4")] {
        let out = out.to_str().unwrap();
        stdout_of(&atzinums(
            &data,
            &["synth", "--cases", cases, "--seed", seed, "--out", out],
        ));
    }

    let first = stdout_of(&atzinums(&data, &["index", archive.to_str().unwrap()]));
    let n: usize = first
        .split_whitespace()
        .next()
        .and_then(|w| w.parse().ok())
        .unwrap_or_else(|| panic!("a count first: {first}"));
    assert!(n >= 20, "most synthetic cases are decided: {first}");
    assert!(
        first.contains(&format!("({n} new or changed, 0 unchanged)")),
        "{first}"
    );

    // A second process: the index is still there, and nothing is indexed again.
    let again = stdout_of(&atzinums(&data, &["index", archive.to_str().unwrap()]));
    assert!(
        again.contains(&format!(
            "{n} precedents in the index (0 new or changed, {n} unchanged)"
        )),
        "{again}"
    );

    let query = std::fs::read_dir(held_out.join("cases"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .min()
        .unwrap();
    let query_id = query.file_name().unwrap().to_str().unwrap().to_string();
    let hits = stdout_of(&atzinums(
        &data,
        &["similar", query.to_str().unwrap(), "--k", "3", "--json"],
    ));
    let hits: Vec<serde_json::Value> = hits
        .lines()
        .map(|l| serde_json::from_str(l).expect("one JSON object per line"))
        .collect();
    assert_eq!(hits.len(), 3);
    for hit in &hits {
        for key in [
            "case_id",
            "score",
            "dense",
            "sparse",
            "outcome",
            "primary_icd10",
        ] {
            assert!(hit.get(key).is_some(), "{key} missing in {hit}");
        }
        assert_ne!(hit["case_id"], query_id.as_str());
        assert!(
            hit["dense"].is_number() || hit["sparse"].is_number(),
            "{hit}"
        );
    }
    let scores: Vec<f64> = hits.iter().map(|h| h["score"].as_f64().unwrap()).collect();
    assert!(
        scores.windows(2).all(|w| w[0] >= w[1]),
        "best first: {scores:?}"
    );

    // A case whose documents hold no text.
    let empty = root.path().join("empty-case");
    std::fs::create_dir_all(empty.join("documents")).unwrap();
    std::fs::copy(query.join("case.json"), empty.join("case.json")).unwrap();
    let case: serde_json::Value =
        serde_json::from_slice(&std::fs::read(query.join("case.json")).unwrap()).unwrap();
    for doc in case["documents"].as_array().unwrap() {
        let file = doc["file"].as_str().unwrap();
        std::fs::write(empty.join("documents").join(file), "   \n").unwrap();
    }
    let out = atzinums(&data, &["similar", empty.to_str().unwrap()]);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("no readable text"), "{stderr}");

    // A damaged index: a clear error naming the rebuild, never a panic.
    std::fs::write(data.join("index/atzinums-index.json"), b"{ not json").unwrap();
    let out = atzinums(&data, &["similar", query.to_str().unwrap()]);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("atzinums index --rebuild"), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}
