//! Draft: the examination conclusion and the decision text in Latvian, rendered from the
//! templates in `prompts/` (minijinja). Every fact in them comes from the case file with its
//! citation `[document, N. lpp.]`; a template's sha256 is its version in the provenance.

use std::collections::BTreeMap;

use atzinums_ingest::case_file::{CaseFile, Evidence};
use atzinums_ingest::findings::{FindingKind, GradedBy};
use atzinums_models::{Cause, MissingItem, OpinionKind, Outcome, Term};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::assess::Assessment;
use crate::case::CaseInput;

/// A template: its name, source and content hash.
#[derive(Debug, Clone)]
pub struct Template {
    pub name: &'static str,
    pub source: &'static str,
}

impl Template {
    pub fn sha256(&self) -> String {
        hex::encode(Sha256::digest(self.source.as_bytes()))
    }
}

/// The templates compiled into this build.
pub const TEMPLATES: [Template; 2] = [
    Template {
        name: "conclusion.lv.j2",
        source: include_str!("../../prompts/conclusion.lv.j2"),
    },
    Template {
        name: "decision.lv.j2",
        source: include_str!("../../prompts/decision.lv.j2"),
    },
];

/// Template name → sha256, as provenance records it.
pub fn template_hashes() -> BTreeMap<String, String> {
    TEMPLATES
        .iter()
        .map(|t| (t.name.to_string(), t.sha256()))
        .collect()
}

/// The decision fields a draft proposes (and an expert may edit).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DraftFields {
    pub outcome: Outcome,
    pub work_capacity_loss_pct: Option<u8>,
    pub term: Option<Term>,
    pub cause: Option<Cause>,
    pub opinions: BTreeMap<OpinionKind, bool>,
    /// What the applicant must still supply (incomplete and premature cases).
    pub missing: Vec<MissingItem>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Draft {
    pub fields: DraftFields,
    /// ekspertīzes slēdziens: documents, diagnoses, functioning with citations, justification.
    pub conclusion: String,
    /// lēmums: the operative text.
    pub decision: String,
}

#[derive(Debug, thiserror::Error)]
pub enum DraftError {
    #[error("template {name}: {source}")]
    Template {
        name: &'static str,
        #[source]
        source: minijinja::Error,
    },
}

/// `14.03.2019.` as Latvian documents write dates.
pub fn date_lv(d: NaiveDate) -> String {
    d.format("%d.%m.%Y.").to_string()
}

/// `[01-referral_088u.pdf, 1. lpp.]`
pub fn cite(e: &Evidence) -> String {
    format!("[{}, {}. lpp.]", e.document, e.at.page)
}

/// The fields the assessment proposes.
pub fn fields_of(a: &Assessment) -> DraftFields {
    DraftFields {
        outcome: a.outcome.value,
        work_capacity_loss_pct: a.work_capacity_loss_pct.value,
        term: a.term.value,
        cause: a.cause.value,
        opinions: a.opinions.iter().map(|(k, e)| (*k, e.value)).collect(),
        missing: a
            .precondition
            .as_ref()
            .map(|p| p.missing.clone())
            .unwrap_or_default(),
    }
}

/// Renders both texts for `fields` (the assessment's, or an expert's edit).
pub fn render(case: &CaseInput, a: &Assessment, fields: &DraftFields) -> Result<Draft, DraftError> {
    let view = view(case, a, fields);
    let mut env = minijinja::Environment::new();
    env.set_undefined_behavior(minijinja::UndefinedBehavior::Strict);
    for t in &TEMPLATES {
        env.add_template(t.name, t.source)
            .map_err(|source| DraftError::Template {
                name: t.name,
                source,
            })?;
    }
    let render = |name: &'static str| {
        env.get_template(name)
            .and_then(|t| t.render(&view))
            .map_err(|source| DraftError::Template { name, source })
    };
    Ok(Draft {
        fields: fields.clone(),
        conclusion: tidy(&render("conclusion.lv.j2")?),
        decision: tidy(&render("decision.lv.j2")?),
    })
}

/// No trailing spaces, no runs of blank lines, one final newline.
fn tidy(text: &str) -> String {
    let mut out = String::new();
    let mut blank = 0;
    for line in text.lines() {
        let line = line.trim_end();
        if line.is_empty() {
            blank += 1;
            if blank > 1 {
                continue;
            }
        } else {
            blank = 0;
        }
        out.push_str(line);
        out.push('\n');
    }
    let trimmed = out.trim_end_matches('\n');
    format!("{trimmed}\n")
}

fn view(case: &CaseInput, a: &Assessment, fields: &DraftFields) -> Value {
    let file = &case.file;
    let documents: Vec<Value> = file
        .documents
        .iter()
        .map(|d| {
            let note = if let Some(other) = &d.duplicate_of {
                Some(format!("tāds pats kā [{other}], nav vērtēts atkārtoti"))
            } else if d.failure.is_some() {
                Some("nav nolasāms, jāskata oriģināls".to_string())
            } else if !d.pages_needing_a_person.is_empty() {
                Some("daļa lapu jāskata oriģinālā".to_string())
            } else {
                None
            };
            json!({
                "id": d.id,
                "kind": d.kind.latvian(),
                "issued_at": d.issued_at.map(date_lv),
                "note": note,
            })
        })
        .collect();
    let diagnosis = |d: &atzinums_ingest::case_file::DiagnosisEntry| {
        json!({
            "code": d.code.as_str(),
            "phrase": d.phrase,
            "cite": d.evidence.first().map(cite).unwrap_or_default(),
        })
    };
    let functioning: Vec<Value> = file
        .functioning
        .iter()
        .filter(|(_, f)| f.qualifier.value() > 0)
        .map(|(d, f)| {
            json!({
                "domain": d.latvian(),
                "level": f.qualifier.latvian(),
                "cite": f.supporting.first().map(cite).unwrap_or_default(),
                "by_model": by_model(file, f.supporting.first()),
                "conflicting": f
                    .conflicting
                    .iter()
                    .filter(|e| !case.is_self_assessment(&e.document))
                    .map(cite)
                    .collect::<Vec<_>>()
                    .join(" "),
                "self_view": f
                    .conflicting
                    .iter()
                    .filter(|e| case.is_self_assessment(&e.document))
                    .map(cite)
                    .collect::<Vec<_>>()
                    .join(" "),
            })
        })
        .collect();
    let measurements: Vec<Value> = file
        .findings
        .iter()
        .filter(|(_, f)| matches!(f.kind, FindingKind::Measurement { .. }))
        .take(3)
        .map(|(doc, f)| {
            json!({
                "quote": one_line(&f.at.quote),
                "cite": format!("[{}, {}. lpp.]", doc, f.at.page),
            })
        })
        .collect();
    let treatment = match (&file.treatment_start, file.treatment_months) {
        (Some((start, e)), Some(months)) => json!({
            "start": date_lv(*start),
            "cite": cite(e),
            "months": months,
        }),
        _ => Value::Null,
    };
    let prognosis = a
        .severe_prognosis
        .as_ref()
        .map(|e| json!({"quote": e.at.quote, "cite": cite(e)}));
    json!({
        "case_id": case.case_id,
        "kind": case.kind.latvian(),
        "submitted_at": date_lv(case.submitted_at),
        "documents": documents,
        "main": file.main_diagnosis.as_ref().map(diagnosis),
        "secondary": file.secondary_diagnoses.iter().map(diagnosis).collect::<Vec<_>>(),
        "functioning": functioning,
        "measurements": measurements,
        "treatment": treatment,
        "prognosis": prognosis,
        "previous": case.previous_outcome.map(|o| o.latvian()),
        "justification": justification(case, a, fields),
        "outcome": fields.outcome.latvian(),
        "disability": fields.outcome.is_disability(),
        "pct": fields.work_capacity_loss_pct,
        "term": fields.term.map(Term::latvian),
        "cause": fields.cause.map(Cause::latvian),
        "opinions": fields.opinions.iter().map(|(k, g)| json!({"kind": k.latvian(), "granted": g})).collect::<Vec<_>>(),
        "missing": fields.missing.iter().map(|m| m.latvian()).collect::<Vec<_>>(),
    })
}

/// A quotation on one line: whitespace runs (line breaks of the page) become one space.
pub fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Whether the statement behind `e` was graded by the trained reader (an estimate to check).
fn by_model(file: &CaseFile, e: Option<&Evidence>) -> bool {
    let Some(e) = e else { return false };
    file.findings.iter().any(|(doc, f)| {
        doc == &e.document
            && f.at == e.at
            && matches!(
                f.kind,
                FindingKind::Functioning {
                    by: GradedBy::Model,
                    ..
                }
            )
    })
}

/// Why: the heaviest limitations with their citations, what the rules make of them, where the
/// precedents lean when they differ, and what needs the expert's eye.
fn justification(case: &CaseInput, a: &Assessment, fields: &DraftFields) -> Vec<String> {
    let mut lines = Vec::new();
    if let Some(p) = &a.precondition {
        lines.push(format!(
            "Nav izpildīts ekspertīzes priekšnosacījums: {}.",
            p.outcome.latvian()
        ));
        return lines;
    }
    let mut heaviest: Vec<_> = case
        .file
        .functioning
        .iter()
        .filter(|(_, f)| f.qualifier.value() >= 2)
        .collect();
    heaviest.sort_by(|x, y| y.1.qualifier.cmp(&x.1.qualifier).then(x.0.cmp(y.0)));
    if heaviest.is_empty() {
        lines.push(
            "Dokumentos nav aprakstītu vismaz mēreni izteiktu funkcionēšanas ierobežojumu.".into(),
        );
    } else {
        let list: Vec<String> = heaviest
            .iter()
            .take(3)
            .map(|(d, f)| {
                let c = f.supporting.first().map(cite).unwrap_or_default();
                format!("{} – {} {c}", d.latvian(), f.qualifier.latvian())
            })
            .collect();
        lines.push(format!("Izteiktākie ierobežojumi: {}.", list.join("; ")));
    }
    lines.push(format!(
        "Pēc noteikumu kritērijiem tas atbilst: {}.",
        a.rules.latvian()
    ));
    if fields.outcome != a.rules {
        lines.push(format!(
            "Līdzīgu gadījumu lēmumi atbalsta citu iznākumu: {}; ārstam ekspertam jāizvērtē.",
            fields.outcome.latvian()
        ));
    } else if !a.precedents_agree() {
        lines.push("Līdzīgu gadījumu lēmumi pārsvarā atšķiras no noteikumu kritērijiem.".into());
    }
    if !a.rules_stable {
        lines
            .push("Vērtējums ir uz robežas: viena ierobežojuma pakāpe var mainīt iznākumu.".into());
    }
    if case.medical_documents_conflict() {
        lines.push(
            "Medicīniskajos dokumentos ir pretrunīgi vērtējumi; tie jāizvērtē ārstam ekspertam."
                .into(),
        );
    }
    lines
}
