//! Bad model files: missing, truncated, tampered or malformed files are refused with an error
//! that names the file and says to run `atzinums setup`.

mod common;

use std::path::Path;

use atzinums_inference::InferenceError;
use atzinums_inference::embed::{BertSafetensorsEmbedder, E5Q4Embedder};

fn assert_names_file_and_setup(e: &InferenceError, path: &Path) {
    let msg = e.to_string();
    assert!(msg.contains(&path.display().to_string()), "{msg}");
    assert!(msg.contains("atzinums setup"), "{msg}");
}

#[test]
fn e5_missing_truncated_tampered_and_malformed() {
    let good = std::fs::read(common::model_path("e5-small-q4.bin")).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("e5-small-q4.bin");

    let e = E5Q4Embedder::load(&p)
        .err()
        .expect("missing file is refused");
    assert_names_file_and_setup(&e, &p);

    std::fs::write(&p, &good[..good.len() / 2]).unwrap();
    let e = E5Q4Embedder::load(&p)
        .err()
        .expect("truncated file is refused");
    assert!(e.to_string().contains("truncated"), "{e}");
    assert_names_file_and_setup(&e, &p);

    let mut bad = good.clone();
    bad[good.len() - 100] ^= 0x55;
    std::fs::write(&p, &bad).unwrap();
    let e = E5Q4Embedder::load(&p)
        .err()
        .expect("tampered file is refused");
    assert!(e.to_string().contains("checksum"), "{e}");
    assert_names_file_and_setup(&e, &p);

    // A file the manifest does not know is still parsed defensively.
    let other = dir.path().join("custom-e5.bin");
    std::fs::write(&other, &good[..good.len() - 1000]).unwrap();
    let e = E5Q4Embedder::load(&other)
        .err()
        .expect("cut custom file is refused");
    assert_names_file_and_setup(&e, &other);
    std::fs::write(&other, b"E5S1 nonsense").unwrap();
    let e = E5Q4Embedder::load(&other)
        .err()
        .expect("garbage is refused");
    assert_names_file_and_setup(&e, &other);
}

#[test]
fn bert_dir_with_tampered_weights_is_refused() {
    let src = common::model_path("all-MiniLM-L6-v2");
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().join("all-MiniLM-L6-v2");
    std::fs::create_dir(&d).unwrap();
    for f in ["config.json", "tokenizer.json"] {
        std::fs::copy(src.join(f), d.join(f)).unwrap();
    }
    let e = BertSafetensorsEmbedder::load(&d)
        .err()
        .expect("missing weights are refused");
    assert_names_file_and_setup(&e, &d.join("model.safetensors"));
    let mut w = std::fs::read(src.join("model.safetensors")).unwrap();
    let n = w.len();
    w[n - 10] ^= 1;
    std::fs::write(d.join("model.safetensors"), &w).unwrap();
    let e = BertSafetensorsEmbedder::load(&d)
        .err()
        .expect("tampered weights are refused");
    assert_names_file_and_setup(&e, &d.join("model.safetensors"));
}
