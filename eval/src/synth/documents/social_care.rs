//! Self-care, mobility and home-life score by a municipal social worker or
//! occupational therapist (for the special-care opinion; below 7 points
//! indicates the need).

use atzinums_models::{DocumentKind, Domain};
use chrono::Duration;

use super::{Ctx, Doc};
use crate::rng::Rng;
use crate::synth::lang::date_any;
use crate::synth::measures::Measurement;
use crate::synth::people;

/// Ten activities, each scored 0 (cannot), 1 (with help), 2 (independently).
const ITEMS: [(&str, Domain); 10] = [
    ("Ēšana", Domain::SelfCare),
    ("Ģērbšanās", Domain::SelfCare),
    ("Personīgā higiēna", Domain::SelfCare),
    ("Tualetes lietošana", Domain::SelfCare),
    ("Pārvietošanās mājoklī", Domain::Mobility),
    ("Pārvietošanās ārpus mājokļa", Domain::Mobility),
    ("Kāpšana pa kāpnēm", Domain::Mobility),
    ("Ēdiena gatavošana", Domain::SelfCare),
    ("Mājokļa uzkopšana", Domain::SelfCare),
    ("Medikamentu lietošana", Domain::SelfCare),
];

pub fn build(ctx: &Ctx<'_>, rng: &mut Rng) -> (Doc, u8) {
    let s = ctx.s;
    let issued = s.submitted - Duration::days(rng.range(3, 45));
    let mut doc = Doc::new(
        DocumentKind::FunctioningAssessment,
        "social-care-assessment",
        issued,
        rng,
    );
    let municipality = match s.region {
        "Rīga" => "Rīgas valstspilsētas pašvaldības Sociālais dienests",
        "Pierīga" => "Ropažu novada Sociālais dienests",
        "Kurzeme" => "Kuldīgas novada Sociālais dienests",
        "Zemgale" => "Jelgavas novada Sociālais dienests",
        "Vidzeme" => "Valmieras novada Sociālais dienests",
        _ => "Rēzeknes novada Sociālais dienests",
    };
    doc.header.push(municipality.to_owned());
    doc.title = "Personas pašaprūpes, mobilitātes un mājas dzīves novērtējums".to_owned();
    doc.field("Persona", ctx.person_label.clone());
    doc.field("Novērtēšanas datums", date_any(issued, rng));
    let sc = s.level(Domain::SelfCare);
    let mo = s.level(Domain::Mobility);
    doc.functioning.insert(Domain::Mobility, mo);
    doc.functioning.insert(Domain::SelfCare, sc);
    doc.para("Vērtējums: 2 - veic patstāvīgi, 1 - veic ar palīdzību, 0 - neveic.");
    let mut total: u32 = 0;
    for (name, d) in ITEMS {
        let level = if d == Domain::Mobility { mo } else { sc };
        let points: u32 = match level {
            0 => 2,
            1 => {
                if rng.chance(0.8) {
                    2
                } else {
                    1
                }
            }
            2 => {
                if rng.chance(0.6) {
                    1
                } else {
                    2
                }
            }
            3 => {
                if rng.chance(0.7) {
                    0
                } else {
                    1
                }
            }
            _ => 0,
        };
        total += points;
        doc.para(format!("{name}: {points}"));
    }
    let total = total as u8;
    doc.field("Kopējais punktu skaits", format!("{total} no 20"));
    doc.measurements.push(Measurement {
        name: "social_care_score",
        value: f64::from(total),
        unit: "points",
        text: format!("Kopējais punktu skaits: {total} no 20"),
    });
    doc.heading("Secinājums");
    doc.para(if total < 7 {
        "Persona ikdienas aktivitātēs pārsvarā atkarīga no citu palīdzības, nepieciešama regulāra aprūpe."
    } else {
        "Persona daļu ikdienas aktivitāšu veic patstāvīgi, palīdzība nepieciešama atsevišķās darbībās."
    });
    let who = people::doctor(rng);
    doc.footer.push(format!(
        "{}: {who}",
        rng.pick(&["Sociālais darbinieks", "Ergoterapeits"])
    ));
    doc.footer
        .push(format!("Datums: {}", date_any(issued, rng)));
    (doc, total)
}
