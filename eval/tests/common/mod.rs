//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use atzinums_eval::{SynthOptions, SynthSummary, generate};
use sha2::{Digest, Sha256};

pub fn gen_into(
    dir: &Path,
    cases: usize,
    seed: u64,
    pdf: f64,
    docx: f64,
    threads: usize,
) -> SynthSummary {
    let o = SynthOptions {
        cases,
        seed,
        pdf_share: pdf,
        docx_share: docx,
        threads,
        ..SynthOptions::default()
    };
    generate(&o, dir).unwrap_or_else(|e| panic!("generate: {e}"))
}

/// Every file under `dir`, relative path and SHA-256, sorted.
pub fn tree_hashes(dir: &Path) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).expect("read_dir") {
            let p = e.expect("entry").path();
            if p.is_dir() {
                stack.push(p);
            } else {
                let bytes = std::fs::read(&p).expect("read");
                let rel = p
                    .strip_prefix(dir)
                    .expect("prefix")
                    .to_string_lossy()
                    .into_owned();
                out.push((rel, hex(&Sha256::digest(&bytes))));
            }
        }
    }
    out.sort();
    out
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

pub fn truth(case_dir: &Path) -> serde_json::Value {
    let bytes = std::fs::read(case_dir.join("truth.json")).expect("truth.json");
    serde_json::from_slice(&bytes).expect("truth json")
}

pub fn squeeze(s: &str) -> String {
    s.chars().filter(|c| !c.is_whitespace()).collect()
}

pub fn case_dirs(dataset: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dataset.join("cases"))
        .expect("cases")
        .map(|e| e.expect("entry").path())
        .collect();
    v.sort();
    v
}
