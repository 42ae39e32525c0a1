//! Helpers shared by the end-to-end tests of the binary.
#![allow(dead_code)] // each test binary uses part of them

pub mod demo;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// Runs the binary on its own data directory, logging only errors.
pub fn atzinums(data_dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_atzinums"))
        .arg("--data-dir")
        .arg(data_dir)
        .args(args)
        .env("ATZINUMS_LOG", "error")
        .output()
        .expect("the binary runs")
}

/// The standard output of a run that must have succeeded (else both streams in the panic).
pub fn stdout_of(out: &Output) -> String {
    assert!(
        out.status.success(),
        "failed: {}\n{}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout.clone()).expect("UTF-8 output")
}

/// A data directory of its own (its index, its database, its drafts) sharing the set-up models
/// and, when set up, the catalogues.
pub fn data_dir(root: &Path) -> PathBuf {
    let shared = atzinums_inference::default_data_dir();
    atzinums_inference::setup::ensure_group(&shared, "embed").expect("embed models");
    let dir = root.join("data");
    std::fs::create_dir_all(&dir).unwrap();
    for part in ["models", "catalogues"] {
        if shared.join(part).exists() {
            std::os::unix::fs::symlink(shared.join(part), dir.join(part)).unwrap();
        }
    }
    dir
}

/// Debian's Chromium, or the one `ATZINUMS_CHROMIUM` names.
pub fn chromium() -> PathBuf {
    std::env::var_os("ATZINUMS_CHROMIUM").map_or_else(|| "/usr/bin/chromium".into(), PathBuf::from)
}

/// Whether a test may skip when a system tool is missing; `.ci/run` sets
/// `ATZINUMS_EXTERNAL_TOOLS=required`, so there a missing tool fails the test instead.
pub fn external_tools_required() -> bool {
    std::env::var("ATZINUMS_EXTERNAL_TOOLS").as_deref() == Ok("required")
}

/// A full-page screenshot of a local HTML file by headless Chromium; `None` (after saying why)
/// when Chromium is missing and tools are not required.
pub fn screenshot(page: &Path, png: &Path, size: (u32, u32)) -> Option<PathBuf> {
    if !chromium().exists() {
        assert!(
            !external_tools_required(),
            "no Chromium at {}",
            chromium().display()
        );
        eprintln!(
            "SKIPPED screenshot: no Chromium at {}",
            chromium().display()
        );
        return None;
    }
    let out = Command::new(chromium())
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
        ])
        .arg(format!("--screenshot={}", png.display()))
        .arg(format!("--window-size={},{}", size.0, size.1))
        .arg(format!("file://{}", page.display()))
        .output()
        .expect("Chromium runs");
    assert!(
        out.status.success() && png.exists(),
        "Chromium did not take the screenshot: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    Some(png.to_path_buf())
}
