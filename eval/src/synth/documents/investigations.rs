//! Stand-alone investigation results: an imaging report or a laboratory
//! sheet, as they are attached to applications.

use atzinums_models::{DocumentKind, Domain};
use chrono::Duration;

use super::common::doc_levels;
use super::{Ctx, Doc};
use crate::rng::Rng;
use crate::synth::clinical;
use crate::synth::diagnoses::Specialty;
use crate::synth::lang::date_any;
use crate::synth::measures::Measure;
use crate::synth::people;
use crate::synth::scenario::idx;

/// Whether the condition is usually documented by imaging (else by labs).
pub fn by_imaging(s: Specialty) -> bool {
    matches!(
        s,
        Specialty::Neurology
            | Specialty::Paediatrics
            | Specialty::Oncology
            | Specialty::Pulmonology
            | Specialty::Rheumatology
            | Specialty::Orthopaedics
            | Specialty::Cardiology
            | Specialty::Vascular
            | Specialty::Occupational
    )
}

pub fn imaging(ctx: &Ctx<'_>, rng: &mut Rng) -> Doc {
    let s = ctx.s;
    let span = (s.submitted - s.treatment_start).num_days().max(5);
    let issued = s.submitted - Duration::days(rng.range(5, span.min(300)));
    let mut doc = Doc::new(DocumentKind::Imaging, "imaging", issued, rng);
    doc.header.push(rng.choose(people::OUTPATIENT).to_owned());
    doc.header.push("Radioloģijas nodaļa".to_owned());
    let finding = ctx
        .subject
        .fill(clinical::investigation(s.diag.specialty, s.diag.code, rng));
    let (method, title) = if finding.starts_with("Rtg") {
        ("Rentgenogrāfija", "RENTGENOLOĢISKĀ IZMEKLĒJUMA APRAKSTS")
    } else if finding.contains("DT") {
        ("Datortomogrāfija", "DT IZMEKLĒJUMA PROTOKOLS")
    } else if finding.starts_with("EhoKG")
        || finding.starts_with("EKG")
        || finding.starts_with("Holtera")
    {
        (
            "Funkcionālā diagnostika",
            "FUNKCIONĀLĀS DIAGNOSTIKAS SLĒDZIENS",
        )
    } else {
        ("Magnētiskā rezonanse", "MR IZMEKLĒJUMA PROTOKOLS")
    };
    doc.title = title.to_owned();
    doc.field("Pacients", ctx.person_label.clone());
    doc.field("Izmeklējums", method);
    doc.field("Datums", date_any(issued, rng));
    doc.field("Nosūtītāja diagnoze", super::common::dx(s.diag.code, rng));
    doc.icd_main = Some(s.diag.code.to_owned());
    doc.heading("Apraksts");
    doc.para(finding);
    doc.heading("Slēdziens");
    doc.para(rng.choose(&[
        "Izmaiņas atbilst klīniskajai diagnozei.",
        "Salīdzinot ar iepriekšējo izmeklējumu - bez būtiskas dinamikas.",
        "Salīdzinot ar iepriekšējo izmeklējumu - progresija.",
        "Ieteicama klīniska korelācija.",
    ]));
    doc.footer
        .push(format!("Radiologs: {}", people::doctor(rng)));
    doc
}

pub fn lab(ctx: &Ctx<'_>, rng: &mut Rng) -> Doc {
    let s = ctx.s;
    let issued = s.submitted - Duration::days(rng.range(3, 90));
    let mut doc = Doc::new(DocumentKind::LabResult, "lab-results", issued, rng);
    doc.header.push(
        rng.choose(&[
            "SIA \"E. Gulbja laboratorija\"",
            "SIA \"Centrālā laboratorija\"",
            "Klīniskās laboratorijas nodaļa",
        ])
        .to_owned(),
    );
    doc.title = "LABORATORISKO IZMEKLĒJUMU REZULTĀTI".to_owned();
    doc.field("Pacients", ctx.person_label.clone());
    doc.field("Parauga ņemšanas datums", date_any(issued, rng));
    let levels = doc_levels(ctx, false, rng);
    let severity = levels[idx(Domain::Mobility)].max(levels[idx(Domain::SelfCare)]);
    let hb = 140 - i64::from(severity) * 9 + rng.range(-6, 6);
    let crea = match s.diag.specialty {
        Specialty::Nephrology => 150 + i64::from(severity) * 120 + rng.range(-30, 30),
        _ => 70 + rng.range(-10, 30),
    };
    doc.para("Izmeklējums | Rezultāts | Mērvienība | References intervāls");
    doc.para(format!("Hemoglobīns | {hb} | g/l | 120-160"));
    doc.para(format!(
        "Leikocīti | {},{} | x10^9/l | 4,0-10,0",
        rng.range(4, 9),
        rng.range(0, 9)
    ));
    doc.para(format!("Kreatinīns | {crea} | µmol/l | 62-106"));
    if s.diag.measures.contains(&Measure::Egfr) {
        let m = Measure::Egfr.generate(levels[idx(Measure::Egfr.domain())], rng);
        doc.para(format!(
            "eGFR (CKD-EPI) | {} | ml/min/1,73m² | >90",
            m.value
        ));
        doc.measurements.push(m);
    }
    if matches!(s.diag.specialty, Specialty::Endocrinology) || s.diag.code.starts_with("E1") {
        doc.para(format!(
            "HbA1c | {},{} | % | 4,0-6,0",
            rng.range(7, 11),
            rng.range(0, 9)
        ));
    }
    if matches!(
        s.diag.specialty,
        Specialty::Gastroenterology | Specialty::Haematology
    ) {
        doc.para(format!(
            "Trombocīti | {} | x10^9/l | 150-400",
            rng.range(40, 160)
        ));
        doc.para(format!("CRO | {} | mg/l | <5", rng.range(3, 60)));
    }
    doc.footer
        .push(format!("Laborants: {}", people::doctor(rng)));
    doc
}
