//! `atzinums ingest FILE…`: extract each file in the sandbox and print what was read.

use std::path::PathBuf;
use std::time::Duration;

use atzinums_ingest::case_file::CaseFile;
use atzinums_ingest::findings::functioning::learned::FunctioningReader;
use atzinums_ingest::{
    ExtractOptions, ExtractedDocument, Failure, FailureKind, PageSource, Sandbox, SandboxLimits,
};
use clap::Args;
use serde_json::json;

use crate::case_folder;

#[derive(Args)]
pub struct IngestArgs {
    /// Files to read (PDF, DOCX, text, PNG, JPEG).
    #[arg(required_unless_present = "case")]
    files: Vec<PathBuf>,
    /// A case folder of the dataset format (case.json + documents/): print its case file.
    #[arg(long, conflicts_with = "files")]
    case: Option<PathBuf>,
    /// One JSON object per file per line instead of a readable summary.
    #[arg(long)]
    json: bool,
    /// Wall-clock budget per file, in seconds.
    #[arg(long, default_value_t = 120)]
    timeout: u64,
    /// Do not OCR pages without a text layer.
    #[arg(long)]
    no_ocr: bool,
    /// Grade functioning with the rules only (skip the trained reader and its embedder).
    #[arg(long)]
    rules_only: bool,
}

/// The trained functioning reader, unless `--rules-only`; if it cannot be loaded (models not
/// set up), the rules alone grade functioning and stderr says why.
fn functioning_reader(args: &IngestArgs, data_dir: &std::path::Path) -> Option<FunctioningReader> {
    if args.rules_only {
        return None;
    }
    match crate::dataset_cmd::functioning_reader(data_dir, None) {
        Ok(reader) => Some(reader),
        Err(e) => {
            eprintln!(
                "functioning is graded by the rules only: the trained reader is unavailable ({e:#})"
            );
            None
        }
    }
}

/// The sandbox runs this same binary with the hidden `extract-worker` subcommand.
pub fn sandbox(timeout: Duration, max_input_bytes: u64) -> anyhow::Result<Sandbox> {
    let exe = std::env::current_exe()?;
    let limits = SandboxLimits {
        wall_time: timeout,
        cpu_time: timeout,
        max_input_bytes,
        ..SandboxLimits::default()
    };
    Ok(Sandbox::new(exe, vec!["extract-worker".into()], limits))
}

pub fn run(
    args: IngestArgs,
    max_input_bytes: u64,
    data_dir: &std::path::Path,
) -> anyhow::Result<()> {
    let sandbox = sandbox(Duration::from_secs(args.timeout), max_input_bytes)?;
    let options = ExtractOptions {
        ocr: !args.no_ocr,
        ..ExtractOptions::default()
    };
    let reader = functioning_reader(&args, data_dir);
    if let Some(dir) = &args.case {
        let file = case_file(dir, &sandbox, &options, data_dir, reader.as_ref())?;
        println!("{}", serde_json::to_string_pretty(&file)?);
        return Ok(());
    }
    let mut failures = 0;
    for file in &args.files {
        let result = match std::fs::read(file) {
            Ok(bytes) => sandbox.extract(&bytes, &options),
            Err(e) => Err(Failure::new(
                FailureKind::Unsupported,
                format!("cannot read the file: {e}"),
            )),
        };
        failures += usize::from(result.is_err());
        if args.json {
            println!("{}", as_json(file, &result, reader.as_ref()));
        } else {
            print_summary(file, &result, reader.as_ref());
        }
    }
    if failures > 0 && !args.json {
        eprintln!("{failures} of {} files could not be read", args.files.len());
    }
    Ok(())
}

/// Reads a dataset case folder and assembles its case file.
fn case_file(
    dir: &std::path::Path,
    sandbox: &Sandbox,
    options: &ExtractOptions,
    data_dir: &std::path::Path,
    reader: Option<&FunctioningReader>,
) -> anyhow::Result<CaseFile> {
    let case = case_folder::read_case_json(dir)?;
    let inputs = case_folder::document_inputs(dir, &case, |bytes| sandbox.extract(bytes, options));
    let catalogue = case_folder::load_catalogue(data_dir);
    Ok(atzinums_ingest::case_file::assemble(
        inputs,
        case.submitted_at,
        catalogue.as_ref(),
        reader,
    ))
}

fn as_json(
    file: &std::path::Path,
    result: &Result<ExtractedDocument, Failure>,
    reader: Option<&FunctioningReader>,
) -> serde_json::Value {
    match result {
        Ok(doc) => json!({
            "file": file.display().to_string(),
            "findings": findings_of(doc, reader),
            "status": if doc.is_scanned() { "scanned" } else { "ok" },
            "encoding": doc.encoding,
            "pages": doc.pages.iter().map(|p| json!({
                "number": p.number,
                "text": p.text,
                "source": match p.source {
                    PageSource::TextLayer => json!("text_layer"),
                    PageSource::Ocr { confidence } => json!({ "ocr": { "confidence": confidence } }),
                },
                "needs_human": p.needs_human,
            })).collect::<Vec<_>>(),
        }),
        Err(f) => json!({
            "file": file.display().to_string(),
            "status": "error",
            "error_kind": f.kind.as_str(),
            "message": f.kind.advice_en(),
            "message_lv": f.kind.advice_lv(),
            "detail": f.detail,
        }),
    }
}

fn findings_of(
    doc: &ExtractedDocument,
    reader: Option<&FunctioningReader>,
) -> Vec<atzinums_ingest::findings::Finding> {
    let pages: Vec<(u32, &str)> = doc
        .pages
        .iter()
        .map(|p| (p.number, p.text.as_str()))
        .collect();
    atzinums_ingest::findings::find_all_with(&pages, reader).unwrap_or_else(|e| {
        eprintln!("the trained functioning reader failed ({e}); functioning by the rules only");
        atzinums_ingest::findings::find_all(&pages)
    })
}

fn print_summary(
    file: &std::path::Path,
    result: &Result<ExtractedDocument, Failure>,
    reader: Option<&FunctioningReader>,
) {
    match result {
        Ok(doc) => {
            let chars: usize = doc.pages.iter().map(|p| p.text.chars().count()).sum();
            let flagged = doc.pages.iter().filter(|p| p.needs_human).count();
            println!(
                "{}: {} page{}, {chars} characters{}{}",
                file.display(),
                doc.pages.len(),
                if doc.pages.len() == 1 { "" } else { "s" },
                if doc.is_scanned() {
                    ", scanned (OCR)"
                } else {
                    ""
                },
                if flagged > 0 {
                    format!(", {flagged} pages need a person")
                } else {
                    String::new()
                },
            );
            let findings = findings_of(doc, reader);
            let count = |pred: fn(&atzinums_ingest::findings::FindingKind) -> bool| {
                findings.iter().filter(|f| pred(&f.kind)).count()
            };
            use atzinums_ingest::findings::FindingKind as K;
            println!(
                "  findings: {} diagnoses, {} dates, {} measurements, {} functioning statements",
                count(|k| matches!(k, K::Diagnosis { .. })),
                count(|k| matches!(k, K::Date { .. })),
                count(|k| matches!(k, K::Measurement { .. })),
                count(|k| matches!(k, K::Functioning { .. })),
            );
            for page in &doc.pages {
                let source = match page.source {
                    PageSource::TextLayer => "text".to_string(),
                    PageSource::Ocr { confidence } => format!("OCR {confidence:.0}%"),
                };
                let first_line = page
                    .text
                    .lines()
                    .find(|l| !l.trim().is_empty())
                    .unwrap_or("");
                println!(
                    "  page {} [{source}] {}",
                    page.number,
                    first_line.chars().take(80).collect::<String>()
                );
            }
        }
        Err(f) => println!(
            "{}: cannot be read ({}). {}",
            file.display(),
            f.kind.as_str(),
            f.kind.advice_en()
        ),
    }
}
