//! Izraksts no slimības vēstures: the hospital's discharge summary.

use atzinums_models::DocumentKind;
use chrono::Duration;

use super::common::{
    append_measurements, diagnoses, doc_levels, domains_to_state, end_sentence, functioning,
    measurements, previous_sentence, signature, treatment_start_sentence,
};
use super::{Ctx, Doc};
use crate::rng::Rng;
use crate::synth::clinical;
use crate::synth::diagnoses::Specialty;
use crate::synth::lang::{date_any, upper_first};
use crate::synth::people;

pub fn build(ctx: &Ctx<'_>, contradicting: bool, rng: &mut Rng) -> Doc {
    let s = ctx.s;
    let span = (s.submitted - s.treatment_start).num_days().max(10);
    let left = s.treatment_start + Duration::days(rng.range(span / 4, span - 3).max(1));
    let stay = rng.range(4, 21);
    let admitted = left - Duration::days(stay);
    let mut doc = Doc::new(
        DocumentKind::DischargeSummary,
        "discharge-summary",
        left,
        rng,
    );
    doc.contradicting = contradicting;
    let hospital = if s.age < 18 {
        people::CHILD_HOSPITAL
    } else if matches!(s.diag.specialty, Specialty::Psychiatry) {
        rng.pick(people::PSYCH_HOSPITALS)
    } else {
        people::hospital(s.region, rng)
    };
    doc.header.push(hospital.to_owned());
    doc.header
        .push(clinical::department(s.diag.specialty).to_owned());
    doc.title = format!(
        "{} Nr. {}/{}",
        rng.pick(&[
            "IZRAKSTS NO SLIMĪBAS VĒSTURES",
            "Izraksts no stacionārā pacienta medicīniskās kartes",
            "IZRAKSTS",
        ]),
        rng.range(100, 29_999),
        admitted.format("%y")
    );
    doc.field("Pacients", ctx.person_label.clone());
    doc.field(
        ctx.subject.fill(rng.choose(&[
            "Stacionēt{s|a}",
            "Ārstēj{ies|usies} stacionārā",
            "Stacionārā",
        ])),
        format!("{} - {}", date_any(admitted, rng), date_any(left, rng)),
    );
    let levels = doc_levels(ctx, contradicting, rng);
    doc.heading(*rng.pick(&["Klīniskā diagnoze", "Diagnoze izrakstoties", "Diagnoze"]));
    diagnoses(&mut doc, ctx, rng.chance(0.7), rng);

    doc.heading(*rng.pick(&["Sūdzības iestājoties", "Sūdzības"]));
    doc.para(
        upper_first(
            &ctx.subject
                .fill(clinical::complaints(s.diag.specialty, s.diag.code, rng)),
        ) + ".",
    );
    doc.heading("Anamnēze");
    let mut a = end_sentence(treatment_start_sentence(&mut doc, ctx, rng));
    if let Some(prev) = ctx.prev
        && prev.decided_at <= doc.issued
        && rng.chance(0.5)
    {
        a.push(' ');
        a.push_str(&previous_sentence(prev, rng));
        doc.mentions_previous = true;
    }
    a.push(' ');
    const COURSE: &[&str] = &[
        "Stāvoklis pēdējā laikā pasliktinājies.",
        "Iestājas plānveidā.",
        "Stacionēts neatliekamā kārtā.",
        "Atkārtota hospitalizācija.",
    ];
    a.push_str(rng.choose(COURSE));
    doc.para(ctx.subject.fill(&a));

    doc.heading(*rng.pick(&["Objektīvi", "Objektīvais stāvoklis iestājoties"]));
    doc.para(
        ctx.subject
            .fill(clinical::objective(s.diag.specialty, s.diag.code, rng)),
    );
    doc.heading(*rng.pick(&["Izmeklējumi", "Veiktie izmeklējumi"]));
    let m = measurements(&mut doc, ctx, &levels, 3, rng);
    let mut inv = ctx
        .subject
        .fill(clinical::investigation(s.diag.specialty, s.diag.code, rng));
    append_measurements(&mut inv, &m, "; ");
    doc.para(inv);
    doc.heading(*rng.pick(&["Ārstēšana", "Saņemtā terapija"]));
    doc.para(
        ctx.subject.fill(
            &clinical::treatment(s.diag.specialty, s.diag.code, rng)
                .replace("{start}", &date_any(s.treatment_start, rng)),
        ),
    );
    doc.heading(*rng.pick(&[
        "Stāvoklis izrakstoties",
        "Funkcionālais stāvoklis izrakstoties",
    ]));
    let ds = domains_to_state(ctx, &levels, 3, rng);
    functioning(&mut doc, ctx, &levels, &ds, rng);
    doc.heading("Rekomendācijas");
    doc.para(rng.pick(&[
        "Ģimenes ārsta un speciālista uzraudzība. Turpināt medikamentozo terapiju. Rehabilitācija.",
        "Kontrole pie ārstējošā ārsta pēc 1 mēneša. Medikamenti pēc saraksta.",
        "Turpināt terapiju, izvairīties no fiziskas pārslodzes. Ieteicams vērsties VDEĀVK.",
        "Ambulatora rehabilitācija, ergoterapeita konsultācija, tehnisko palīglīdzekļu izvērtēšana.",
    ]).to_string());
    let who = people::doctor(rng);
    let id = people::doctor_id(rng);
    signature(&mut doc, &who, "ārstējošais ārsts", &id, rng);
    doc
}
