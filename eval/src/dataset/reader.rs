//! The dataset reader: validates each case and reports per-case errors.

use std::fmt;
use std::fs;
use std::path::{Path, PathBuf};

use atzinums_models::{
    CaseJson, DatasetFieldError, DecisionJson, Manifest, MediaType, Outcome, PctExemption, Term,
    age_on,
};
use chrono::{Datelike, NaiveDate};
use serde_json::Value;

use super::DatasetError;

/// One case that passed validation.
#[derive(Debug, Clone)]
pub struct LoadedCase {
    pub case: CaseJson,
    pub decision: Option<DecisionJson>,
    /// The case folder (`<dataset>/cases/<case_id>`).
    pub dir: PathBuf,
}

/// Why one case was skipped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseError {
    /// The `case_id` when it could be read, else the folder name.
    pub case_id_or_dir: String,
    /// `file:path`, e.g. `case.json:person.sex`, `decision.json:term`,
    /// `documents/01-x.pdf` or `case.json` when the whole file is at fault.
    pub field: String,
    pub message: String,
}

impl fmt::Display for CaseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "case {}: {}: {}",
            self.case_id_or_dir, self.field, self.message
        )
    }
}

/// How many cases and documents were seen, loaded and skipped.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DatasetCounts {
    /// Case folders found under `cases/`.
    pub seen: usize,
    pub loaded: usize,
    pub skipped: usize,
    /// Loaded cases that carry a decision.
    pub with_decision: usize,
    /// Documents of the loaded cases.
    pub documents: usize,
    /// What the manifest says the producer wrote.
    pub manifest_cases: u64,
}

/// A read dataset: the good cases plus one error per skipped case.
#[derive(Debug, Clone)]
pub struct LoadedDataset {
    pub manifest: Manifest,
    pub cases: Vec<LoadedCase>,
    pub errors: Vec<CaseError>,
    pub counts: DatasetCounts,
    /// Not errors, but worth a look (e.g. the manifest count disagrees).
    pub warnings: Vec<String>,
}

impl fmt::Display for LoadedDataset {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let c = &self.counts;
        writeln!(
            f,
            "dataset \"{}\": {} case folders, {} loaded ({} with a decision, {} documents), {} skipped",
            self.manifest.name, c.seen, c.loaded, c.with_decision, c.documents, c.skipped
        )?;
        for e in &self.errors {
            writeln!(f, "  error: {e}")?;
        }
        for w in &self.warnings {
            writeln!(f, "  warning: {w}")?;
        }
        Ok(())
    }
}

/// Reads a dataset folder. Fails only when the manifest or the `cases/`
/// folder cannot be read; every bad case is reported in `errors` and skipped.
pub fn read_dataset(dir: &Path) -> Result<LoadedDataset, DatasetError> {
    let manifest_path = dir.join("manifest.json");
    let value = read_json(&manifest_path)?;
    let manifest = Manifest::from_value(value).map_err(DatasetError::Manifest)?;

    let cases_dir = dir.join("cases");
    let mut folders = Vec::new();
    let entries = fs::read_dir(&cases_dir).map_err(|e| DatasetError::io(&cases_dir, e))?;
    for entry in entries {
        let entry = entry.map_err(|e| DatasetError::io(&cases_dir, e))?;
        if entry.file_type().is_ok_and(|t| t.is_dir()) {
            folders.push(entry.path());
        }
    }
    folders.sort();

    let mut out = LoadedDataset {
        counts: DatasetCounts {
            seen: folders.len(),
            manifest_cases: manifest.cases,
            ..DatasetCounts::default()
        },
        manifest,
        cases: Vec::with_capacity(folders.len()),
        errors: Vec::new(),
        warnings: Vec::new(),
    };
    for folder in folders {
        match read_case(&folder) {
            Ok(case) => {
                out.counts.loaded += 1;
                out.counts.documents += case.case.documents.len();
                out.counts.with_decision += usize::from(case.decision.is_some());
                out.cases.push(case);
            }
            Err(e) => {
                out.counts.skipped += 1;
                out.errors.push(e);
            }
        }
    }
    if out.counts.seen as u64 != out.manifest.cases {
        out.warnings.push(format!(
            "manifest.json says {} cases, {} case folders found",
            out.manifest.cases, out.counts.seen
        ));
    }
    Ok(out)
}

fn read_json(path: &Path) -> Result<Value, DatasetError> {
    let bytes = fs::read(path).map_err(|e| DatasetError::io(path, e))?;
    serde_json::from_slice(&bytes).map_err(|e| DatasetError::Json {
        path: path.to_owned(),
        message: e.to_string(),
    })
}

/// Reads and checks one case folder.
pub(crate) fn read_case(folder: &Path) -> Result<LoadedCase, CaseError> {
    let dir_name = folder
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let err = |who: &str, field: &str, message: String| CaseError {
        case_id_or_dir: who.to_owned(),
        field: field.to_owned(),
        message,
    };

    let case_value =
        read_file_json(folder, "case.json").map_err(|m| err(&dir_name, "case.json", m))?;
    let case =
        CaseJson::from_value(case_value).map_err(|e| field_error(&dir_name, "case.json", e))?;
    let id = case.case_id.as_str().to_owned();
    if id != dir_name {
        return Err(err(
            &id,
            "case.json:case_id",
            format!("does not match the case folder name \"{dir_name}\""),
        ));
    }

    for (i, doc) in case.documents.iter().enumerate() {
        let path = folder.join("documents").join(doc.file.as_str());
        let field = format!("case.json:documents[{i}].file");
        let bytes = fs::read(&path).map_err(|e| {
            let why = if e.kind() == std::io::ErrorKind::NotFound {
                "the file is missing from documents/".to_owned()
            } else {
                format!("cannot be read: {e}")
            };
            err(&id, &field, why)
        })?;
        if let Some(found) = MediaType::sniff(&bytes)
            && found != doc.media_type
        {
            return Err(err(
                &id,
                &format!("case.json:documents[{i}].media_type"),
                format!(
                    "says {} but the file's content is {}",
                    doc.media_type, found
                ),
            ));
        }
        if let Some(issued) = doc.issued_at
            && issued > case.submitted_at
        {
            return Err(err(
                &id,
                &format!("case.json:documents[{i}].issued_at"),
                "is after the application was submitted".to_owned(),
            ));
        }
    }

    let decision_path = folder.join("decision.json");
    let decision = if decision_path.exists() {
        let v =
            read_file_json(folder, "decision.json").map_err(|m| err(&id, "decision.json", m))?;
        let d = DecisionJson::from_value(v).map_err(|e| field_error(&id, "decision.json", e))?;
        check_decision_against_case(&case, &d).map_err(|e| field_error(&id, "decision.json", e))?;
        Some(d)
    } else {
        None
    };

    Ok(LoadedCase {
        case,
        decision,
        dir: folder.to_owned(),
    })
}

fn read_file_json(folder: &Path, name: &str) -> Result<Value, String> {
    let bytes = fs::read(folder.join(name)).map_err(|e| {
        if e.kind() == std::io::ErrorKind::NotFound {
            "the file is missing".to_owned()
        } else {
            format!("cannot be read: {e}")
        }
    })?;
    serde_json::from_slice(&bytes).map_err(|e| format!("not valid JSON: {e}"))
}

fn field_error(who: &str, file: &str, e: DatasetFieldError) -> CaseError {
    CaseError {
        case_id_or_dir: who.to_owned(),
        field: if e.path.is_empty() {
            file.to_owned()
        } else {
            format!("{file}:{}", e.path)
        },
        message: e.message,
    }
}

/// What can be checked once the person's age is known: the percentage
/// against the group's band, children's outcomes and terms, and the date.
fn check_decision_against_case(case: &CaseJson, d: &DecisionJson) -> Result<(), DatasetFieldError> {
    let fe = |path: &str, msg: &str| {
        Err(DatasetFieldError {
            path: path.to_owned(),
            message: msg.to_owned(),
        })
    };
    if d.decided_at < case.submitted_at {
        return fe("decided_at", "is before the application was submitted");
    }
    let (min_age, max_age) = age_range(case, d.decided_at);
    let exemptions: Vec<PctExemption> = [
        (max_age < 18, PctExemption::Child),
        (min_age >= 65, PctExemption::PensionAge),
        (min_age >= 18 && max_age < 65, PctExemption::None),
    ]
    .into_iter()
    .filter_map(|(c, e)| c.then_some(e))
    .collect();
    // With only a birth year the age may straddle a boundary: accept a
    // decision that fits any of the possible ages.
    let candidates = if exemptions.is_empty() {
        vec![
            PctExemption::None,
            PctExemption::Child,
            PctExemption::PensionAge,
        ]
    } else {
        exemptions
    };
    let fits = candidates.iter().any(|&e| d.check_work_capacity(e).is_ok());
    if !fits {
        let e = d
            .check_work_capacity(candidates[0])
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        return fe("work_capacity_loss_pct", &e);
    }
    if d.outcome == Outcome::ChildDisability && min_age >= 18 {
        return fe("outcome", "child_disability for a person aged 18 or over");
    }
    if matches!(
        d.outcome,
        Outcome::GroupI | Outcome::GroupII | Outcome::GroupIII
    ) && max_age < 18
    {
        return fe("outcome", "an adult group for a person under 18");
    }
    if d.term == Some(Term::UntilEighteen) && min_age >= 18 {
        return fe("term", "until_18 for a person aged 18 or over");
    }
    Ok(())
}

/// The youngest and oldest the person can be on `on`.
fn age_range(case: &CaseJson, on: NaiveDate) -> (u32, u32) {
    match case.person.birth_date {
        Some(b) => {
            let a = age_on(b, on);
            (a, a)
        }
        None => {
            let diff = u32::try_from(on.year() - case.person.year_of_birth()).unwrap_or(0);
            (diff.saturating_sub(1), diff)
        }
    }
}
