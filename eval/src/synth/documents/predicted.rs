//! Predicted disability: the individual rehabilitation plan and the
//! sick-leave certificate B.

use atzinums_models::{DocumentKind, Domain};
use chrono::Duration;

use super::common::{diagnoses, dx, signature};
use super::{Ctx, Doc};
use crate::rng::Rng;
use crate::synth::lang::{add_months, date_any};
use crate::synth::people;
use crate::synth::phrases::describe;

pub fn rehabilitation_plan(ctx: &Ctx<'_>, rng: &mut Rng) -> Doc {
    let s = ctx.s;
    let issued = s.submitted - Duration::days(rng.range(5, 30));
    let mut doc = Doc::new(
        DocumentKind::RehabilitationPlan,
        "rehabilitation-plan",
        issued,
        rng,
    );
    doc.header.push(
        rng.pick(&[
            "VSIA \"Nacionālais rehabilitācijas centrs \"Vaivari\"\"",
            "SIA \"Rehabilitācijas centrs \"Līgatne\"\"",
            "Ambulatorās rehabilitācijas nodaļa",
        ])
        .to_string(),
    );
    doc.title = "INDIVIDUĀLAIS REHABILITĀCIJAS PLĀNS".to_owned();
    doc.field("Pacients", ctx.person_label.clone());
    diagnoses(&mut doc, ctx, false, rng);
    doc.heading("Funkcionālais stāvoklis");
    for d in [Domain::Mobility, Domain::SelfCare] {
        let q = s.level(d);
        doc.functioning.insert(d, q);
        doc.para(describe(d, q, &ctx.subject, rng));
    }
    doc.heading("Rehabilitācijas mērķi");
    doc.para(
        rng.pick(&[
            "Uzlabot pārvietošanās spējas un slodzes toleranci, atgriezties darba tirgū.",
            "Panākt neatkarību pašaprūpē, mazināt sāpes, uzlabot vispārējo fizisko sagatavotību.",
            "Saglabāt esošās funkcijas, pielāgot darba vietu, apgūt kompensējošas stratēģijas.",
        ])
        .to_string(),
    );
    doc.heading("Plānotie pasākumi");
    doc.para(rng.pick(&[
        "Fizioterapija 3x nedēļā, ergoterapija, psihologa konsultācijas, tehnisko palīglīdzekļu piemērošana.",
        "Ārstnieciskā vingrošana, hidroterapija, ergoterapija, sociālā darbinieka konsultācija par darba pielāgošanu.",
        "Multiprofesionālas komandas rehabilitācija 14 dienas stacionārā, tad ambulatori.",
    ]).to_string());
    doc.field(
        "Plāna termiņš",
        format!(
            "{} - {}",
            date_any(issued, rng),
            date_any(add_months(issued, 6), rng)
        ),
    );
    doc.field(
        "Prognoze darbspēju atgūšanai",
        rng.pick(&[
            "daļēji labvēlīga",
            "apšaubāma",
            "labvēlīga, ja tiks ievērots plāns",
        ])
        .to_string(),
    );
    let who = people::doctor(rng);
    let id = people::doctor_id(rng);
    signature(
        &mut doc,
        &who,
        "fizikālās un rehabilitācijas medicīnas ārsts",
        &id,
        rng,
    );
    doc
}

pub fn sick_leave_b(ctx: &Ctx<'_>, rng: &mut Rng) -> Doc {
    let s = ctx.s;
    let issued = s.submitted - Duration::days(rng.range(1, 10));
    let mut doc = Doc::new(DocumentKind::SickLeaveB, "sick-leave-b", issued, rng);
    doc.header.push("E-veselība".to_owned());
    doc.title = "Darbnespējas lapa B (izdruka)".to_owned();
    doc.field(
        "Darbnespējas lapas Nr.",
        format!("B {}", rng.range(1_000_000, 9_999_999)),
    );
    doc.field("Persona", ctx.person_label.clone());
    doc.field("Darbnespējas iemesls", "01 - slimība");
    doc.field("Diagnoze", dx(s.diag.code, rng));
    doc.icd_main = Some(s.diag.code.to_owned());
    doc.field("Darbnespējas sākums", date_any(s.treatment_start, rng));
    doc.treatment_start = Some(s.treatment_start);
    let days = (issued - s.treatment_start).num_days();
    let unit = if days % 10 == 1 && days % 100 != 11 {
        "diena"
    } else {
        "dienas"
    };
    doc.field("Darbnespēja turpinās", format!("jā, {days} {unit}"));
    doc.para(super::common::end_sentence(format!(
        "Darbnespēja ilgst vairāk nekā 26 nedēļas. Persona nosūtīta uz VDEĀVK prognozējamas invaliditātes noteikšanai {}",
        date_any(issued, rng)
    )));
    doc.mentions_previous = false;
    let who = ctx.gp.clone();
    let id = ctx.gp_id.clone();
    signature(&mut doc, &who, "ģimenes ārsts", &id, rng);
    doc
}
