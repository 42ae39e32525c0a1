//! OCR with Tesseract and its Latvian model, run as a separate program (`tesseract`, Debian
//! packages `tesseract-ocr` and `tesseract-ocr-lav`). Its TSV output gives each word's
//! confidence; the page's confidence is their mean.

use std::io::Write;
use std::process::{Command, Stdio};

use crate::types::{Failure, FailureKind};

/// Below this mean confidence, OCR text is shown but a person must check the page.
pub const MIN_CONFIDENCE: f32 = 60.0;

#[derive(Debug, Clone, PartialEq)]
pub struct OcrText {
    pub text: String,
    /// Mean word confidence, 0–100; 0 when no word was recognised.
    pub confidence: f32,
}

/// Recognises the text of one image (`format`: a file extension Tesseract reads).
pub fn recognise(image: &[u8], format: &str, languages: &str) -> Result<OcrText, Failure> {
    let mut file = tempfile::Builder::new()
        .suffix(&format!(".{format}"))
        .tempfile()
        .map_err(|e| {
            Failure::new(
                FailureKind::NoTextLayer,
                format!("cannot stage the image for OCR: {e}"),
            )
        })?;
    file.write_all(image).map_err(|e| {
        Failure::new(
            FailureKind::NoTextLayer,
            format!("cannot stage the image for OCR: {e}"),
        )
    })?;
    let output = Command::new("tesseract")
        .arg(file.path())
        .args(["stdout", "-l", languages, "--psm", "3", "tsv"])
        .stdin(Stdio::null())
        .stderr(Stdio::piped())
        .output()
        .map_err(|e| {
            Failure::new(
                FailureKind::NoTextLayer,
                format!("OCR is not available (install tesseract-ocr and tesseract-ocr-lav): {e}"),
            )
        })?;
    if !output.status.success() {
        let detail = String::from_utf8_lossy(&output.stderr)
            .lines()
            .last()
            .unwrap_or("")
            .to_string();
        return Err(Failure::new(
            FailureKind::NoTextLayer,
            format!("OCR failed: {detail}"),
        ));
    }
    Ok(parse_tsv(&String::from_utf8_lossy(&output.stdout)))
}

/// Rebuilds lines from Tesseract's TSV (level 5 rows are words, keyed by block/par/line).
fn parse_tsv(tsv: &str) -> OcrText {
    let mut text = String::new();
    let mut last_line: Option<(u32, u32, u32)> = None;
    let mut last_block = None;
    let (mut sum, mut count) = (0.0f32, 0u32);
    for row in tsv.lines().skip(1) {
        let cols: Vec<&str> = row.split('\t').collect();
        if cols.len() < 12 || cols[0] != "5" {
            continue;
        }
        let word = cols[11].trim();
        let conf: f32 = cols[10].parse().unwrap_or(-1.0);
        if word.is_empty() || conf < 0.0 {
            continue;
        }
        let num = |i: usize| cols[i].parse::<u32>().unwrap_or(0);
        let line = (num(2), num(3), num(4));
        if let Some(prev) = last_line {
            if prev != line {
                text.push('\n');
                if last_block != Some(line.0) {
                    text.push('\n');
                }
            } else {
                text.push(' ');
            }
        }
        text.push_str(word);
        last_line = Some(line);
        last_block = Some(line.0);
        sum += conf;
        count += 1;
    }
    OcrText {
        text,
        confidence: if count == 0 { 0.0 } else { sum / count as f32 },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tsv_words_become_lines_with_mean_confidence() {
        let tsv = "level\tpage_num\tblock_num\tpar_num\tline_num\tword_num\tleft\ttop\twidth\theight\tconf\ttext\n\
                   5\t1\t1\t1\t1\t1\t0\t0\t1\t1\t90\tIzraksts\n\
                   5\t1\t1\t1\t1\t2\t0\t0\t1\t1\t80\tno\n\
                   5\t1\t1\t1\t2\t1\t0\t0\t1\t1\t70\tslimības\n\
                   4\t1\t2\t1\t1\t0\t0\t0\t1\t1\t-1\t\n\
                   5\t1\t2\t1\t1\t1\t0\t0\t1\t1\t60\tG35\n";
        let ocr = parse_tsv(tsv);
        assert_eq!(ocr.text, "Izraksts no\nslimības\n\nG35");
        assert_eq!(ocr.confidence, 75.0);
    }
}
