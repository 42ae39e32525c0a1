//! Generated PDFs carry a text layer that `pdftotext` (poppler-utils) and
//! the `pdf-extract` crate give back exactly, diacritics included, up to
//! whitespace; fonts are embedded as small subsets; output has no dates.

mod common;

use std::process::Command;

use common::{case_dirs, gen_into, squeeze, truth};

/// Drops a hyphen at a line end (a word split across lines).
fn dehyphenate(s: &str) -> String {
    s.replace("-\r\n", "").replace("-\n", "")
}

fn require_pdftotext() {
    let ok = Command::new("pdftotext").arg("-v").output().is_ok();
    assert!(
        ok,
        "pdftotext is required for this test: install it with `apt-get install -y poppler-utils`"
    );
}

/// (pdf path, pages of source text) for up to `max` PDFs.
fn sample(dir: &std::path::Path, max: usize) -> Vec<(std::path::PathBuf, Vec<String>)> {
    let mut out = Vec::new();
    for case in case_dirs(dir) {
        let t = truth(&case);
        for d in t["documents"].as_array().expect("docs") {
            let file = d["file"].as_str().expect("file");
            if file.ends_with(".pdf") && out.len() < max {
                let pages = d["pages"]
                    .as_array()
                    .expect("pages")
                    .iter()
                    .map(|p| p.as_str().unwrap_or("").to_owned())
                    .collect();
                out.push((case.join("documents").join(file), pages));
            }
        }
    }
    out
}

#[test]
fn pdftotext_gives_back_the_source_page_by_page() {
    require_pdftotext();
    let tmp = tempfile::tempdir().expect("tempdir");
    let out = tmp.path().join("ds");
    gen_into(&out, 30, 4, 1.0, 0.0, 2);
    let pdfs = sample(&out, 40);
    assert!(pdfs.len() >= 30);
    let mut multipage = 0;
    let mut diacritics = 0;
    for (pdf, pages) in &pdfs {
        multipage += usize::from(pages.len() > 1);
        for (i, page) in pages.iter().enumerate() {
            let n = (i + 1).to_string();
            let o = Command::new("pdftotext")
                .args(["-enc", "UTF-8", "-f", &n, "-l", &n])
                .arg(pdf)
                .arg("-")
                .output()
                .expect("run pdftotext");
            assert!(
                o.status.success(),
                "{}: {}",
                pdf.display(),
                String::from_utf8_lossy(&o.stderr)
            );
            let got = String::from_utf8(o.stdout).expect("utf8");
            // pdftotext joins words hyphenated across line ends; so do we.
            assert_eq!(
                squeeze(&dehyphenate(&got)),
                squeeze(&dehyphenate(page)),
                "{} page {n}",
                pdf.display()
            );
            diacritics += page
                .chars()
                .filter(|c| "āčēģīķļņšūžĀČĒĢĪĶĻŅŠŪŽ".contains(*c))
                .count();
        }
        let bytes = std::fs::read(pdf).expect("pdf");
        assert!(
            bytes.len() < 80_000,
            "{}: {} bytes, font not subset?",
            pdf.display(),
            bytes.len()
        );
        let head = String::from_utf8_lossy(&bytes);
        assert!(head.contains("/FontFile2") && head.contains("/ToUnicode"));
        assert!(!head.contains("/CreationDate") && !head.contains("/ID"));
    }
    assert!(multipage > 0, "no multi-page PDF in the sample");
    assert!(diacritics > 500);
}

#[test]
fn pdf_extract_gives_back_the_source() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let out = tmp.path().join("ds");
    gen_into(&out, 12, 6, 1.0, 0.0, 2);
    let pdfs = sample(&out, 20);
    assert!(pdfs.len() >= 10);
    for (pdf, pages) in &pdfs {
        let bytes = std::fs::read(pdf).expect("pdf");
        let got = pdf_extract::extract_text_from_mem(&bytes)
            .unwrap_or_else(|e| panic!("{}: {e}", pdf.display()));
        assert_eq!(
            squeeze(&dehyphenate(&got)),
            squeeze(&dehyphenate(&pages.join("\n"))),
            "{}",
            pdf.display()
        );
    }
}

#[test]
fn missing_font_is_a_clear_error() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let o = atzinums_eval::SynthOptions {
        cases: 2,
        pdf_share: 0.5,
        font: Some(tmp.path().join("no-such-font.ttf")),
        ..Default::default()
    };
    let e = atzinums_eval::generate(&o, &tmp.path().join("ds"))
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("fonts-dejavu-core") && e.contains("ATZINUMS_FONT"),
        "{e}"
    );
}
