//! A specialist's consultation or opinion.

use atzinums_models::DocumentKind;
use chrono::Duration;

use super::common::{
    diagnoses, doc_levels, domains_to_state, functioning, objective_paragraph, previous_sentence,
    prognosis_text, signature,
};
use super::{Ctx, Doc};
use crate::rng::Rng;
use crate::synth::clinical;
use crate::synth::lang::upper_first;
use crate::synth::people;

pub fn build(ctx: &Ctx<'_>, nth: usize, contradicting: bool, rng: &mut Rng) -> Doc {
    let s = ctx.s;
    let span = (s.submitted - s.treatment_start).num_days().max(5);
    let issued = s.submitted - Duration::days(rng.range(3, span.min(200)));
    let slug = if nth == 0 {
        "specialist-opinion"
    } else {
        "specialist-opinion-2"
    };
    let mut doc = Doc::new(DocumentKind::SpecialistOpinion, slug, issued, rng);
    doc.contradicting = contradicting;
    let (role, title) = clinical::specialist(s.diag.specialty);
    doc.header.push(rng.pick(people::OUTPATIENT).to_string());
    doc.title = if nth > 0 && rng.chance(0.5) {
        format!("{title} (atkārtota)")
    } else {
        title.to_owned()
    };
    doc.field("Pacients", ctx.person_label.clone());
    let levels = doc_levels(ctx, contradicting, rng);
    doc.heading("Sūdzības");
    doc.para(
        upper_first(
            &ctx.subject
                .fill(clinical::complaints(s.diag.specialty, s.diag.code, rng)),
        ) + ".",
    );
    if let Some(prev) = ctx.prev
        && prev.decided_at <= doc.issued
        && rng.chance(0.3)
    {
        doc.heading("Anamnēze");
        doc.para(previous_sentence(prev, rng));
        doc.mentions_previous = true;
    }
    objective_paragraph(&mut doc, ctx, &levels, &["Objektīvi", "Stāvoklis"], rng);
    let ds = domains_to_state(ctx, &levels, 2, rng);
    functioning(&mut doc, ctx, &levels, &ds, rng);
    doc.heading(*rng.pick(&["Slēdziens", "Diagnoze", "Dg."]));
    diagnoses(&mut doc, ctx, rng.chance(0.3), rng);
    if rng.chance(0.6) {
        doc.para(prognosis_text(s.diag.prognosis, s.diag.reversibility, rng));
    }
    doc.heading("Rekomendācijas");
    doc.para(
        rng.pick(&[
            "Turpināt iesākto terapiju. Kontrole pēc 3 mēnešiem.",
            "Terapija bez izmaiņām, atkārtota konsultācija pēc 6 mēn.",
            "Ieteicama VDEĀVK konsultācija funkcionēšanas ierobežojumu izvērtēšanai.",
            "Fizioterapija, ergoterapija; izvērtēt tehnisko palīglīdzekļu nepieciešamību.",
        ])
        .to_string(),
    );
    let who = people::doctor(rng);
    let id = people::doctor_id(rng);
    signature(&mut doc, &who, role, &id, rng);
    doc
}
