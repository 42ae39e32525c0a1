//! Form 088/u: the GP's or treating doctor's referral to the commission.

use atzinums_models::{ApplicationKind, DocumentKind, OpinionKind};
use chrono::{Datelike, Duration};

use super::common::{
    diagnoses, doc_levels, domains_to_state, end_sentence, functioning, objective_paragraph,
    previous_sentence, prognosis_text, signature, treatment_start_sentence,
};
use super::{Ctx, Doc};
use crate::rng::Rng;
use crate::synth::clinical;
use crate::synth::lang::{months_lv, year_any};

pub fn build(ctx: &Ctx<'_>, rng: &mut Rng) -> Doc {
    let s = ctx.s;
    let issued = s.submitted - Duration::days(rng.range(2, 40));
    let mut doc = Doc::new(DocumentKind::Referral088u, "referral-088u", issued, rng);
    doc.header.push(ctx.gp_practice.clone());
    doc.header.push(format!(
        "Ārstniecības iestādes kods: {}",
        rng.range(100_000_000, 999_999_999)
    ));
    doc.header.push("Veidlapa Nr. 088/u".to_owned());
    doc.title = rng
        .pick(&[
            "NOSŪTĪJUMS uz Veselības un darbspēju ekspertīzes ārstu valsts komisiju",
            "NOSŪTĪJUMS UZ VDEĀVK",
            "Nosūtījums veselības stāvokļa un darbspēju ekspertīzei (088/u)",
        ])
        .to_string();

    doc.field("Pacients", ctx.person_label.clone());
    let purpose = match s.kind {
        ApplicationKind::DisabilityFirst => *rng.pick(&[
            "pirmreizēja invaliditātes ekspertīze",
            "invaliditātes noteikšana (pirmreizēji)",
        ]),
        ApplicationKind::DisabilityRepeat => *rng.pick(&[
            "atkārtota invaliditātes ekspertīze",
            "atkārtota ekspertīze sakarā ar invaliditātes termiņa beigām",
        ]),
        ApplicationKind::PredictedDisability => {
            "prognozējamas invaliditātes noteikšana (darbnespēja > 26 nedēļas)"
        }
        ApplicationKind::Contest => "papildu informācija lēmuma apstrīdēšanas procesam",
        _ => "ekspertīze",
    };
    doc.field(*rng.pick(&["Nosūtīšanas mērķis", "Mērķis"]), purpose);
    if !s.requested.is_empty() {
        let wants: Vec<&str> = s
            .requested
            .iter()
            .map(|k| match k {
                OpinionKind::SpecialCare => "īpašas kopšanas nepieciešamība",
                OpinionKind::Transport => "atzinums par transporta izdevumu kompensāciju",
                OpinionKind::Escort => "pavadoņa nepieciešamība",
                OpinionKind::TechnicalAids => "tehniskie palīglīdzekļi",
            })
            .collect();
        doc.field("Lūdzu izvērtēt arī", wants.join(", "));
    }

    let levels = doc_levels(ctx, false, rng);
    doc.heading(*rng.pick(&["Diagnoze", "Diagnozes", "DIAGNOZE"]));
    diagnoses(&mut doc, ctx, true, rng);

    doc.heading(*rng.pick(&["Sūdzības", "Sūdzības"]));
    doc.para(
        ctx.subject
            .fill(&crate::synth::lang::upper_first(clinical::complaints(
                s.diag.specialty,
                s.diag.code,
                rng,
            )))
            + ".",
    );

    doc.heading(*rng.pick(&["Anamnēze", "Anamnesis morbi", "Slimības anamnēze"]));
    // Chronic conditions start before their treatment; acute ones do not.
    let onset = s.treatment_start.year()
        - if s.diag.treat_months.0 >= 12 && rng.chance(0.4) {
            rng.range(1, 3) as i32
        } else {
            0
        };
    let hist0 = format!(
        "Slimo kopš {}",
        crate::synth::lang::year_since(onset.max(s.birth.year()), rng)
    );
    let hist1 = treatment_start_sentence(&mut doc, ctx, rng);
    let mut hist = vec![end_sentence(hist0), end_sentence(hist1)];
    if rng.chance(0.5) {
        hist.push(end_sentence(format!(
            "Stacionēt{} {} reizes, pēdējo reizi {}",
            if ctx.subject.masculine { "s" } else { "a" },
            rng.range(1, 5),
            year_any(s.submitted.year() - rng.range(0, 1) as i32, rng)
        )));
    }
    if let Some(prev) = ctx.prev
        && prev.decided_at <= doc.issued
    {
        hist.push(previous_sentence(prev, rng));
        doc.mentions_previous = true;
    }
    if s.kind == ApplicationKind::PredictedDisability {
        hist.push(format!(
            "Darbnespēja (DNL B) kopš {}, nepārtraukti.",
            crate::synth::lang::date_any(s.treatment_start, rng)
        ));
    }
    doc.para(hist.join(" "));

    doc.heading(*rng.pick(&["Ārstēšana", "Līdzšinējā ārstēšana", "Veiktā ārstēšana"]));
    let months = s.months_treated().max(1) as u32;
    let dur = if months >= 24 && rng.chance(0.6) {
        format!("Ārstējas {} gadus.", months / 12)
    } else {
        format!(
            "Ārstēšanās ilgums - {}.",
            months_lv(months)
                .replace("mēnešiem", "mēneši")
                .replace("mēnesi", "mēnesis")
        )
    };
    doc.para(format!(
        "{} {dur}",
        ctx.subject.fill(
            &clinical::treatment(s.diag.specialty, s.diag.code, rng).replace(
                "{start}",
                &crate::synth::lang::date_any(s.treatment_start, rng)
            )
        )
    ));

    objective_paragraph(
        &mut doc,
        ctx,
        &levels,
        &["Objektīvi", "Objektīvā atrade", "St. praesens"],
        rng,
    );
    if rng.chance(0.5) {
        doc.heading(*rng.pick(&[
            "Izmeklējumi",
            "Veiktie izmeklējumi",
            "Izmeklējumu rezultāti",
        ]));
        doc.para(
            ctx.subject
                .fill(clinical::investigation(s.diag.specialty, s.diag.code, rng)),
        );
    }

    doc.heading(*rng.pick(&[
        "Funkcionālais stāvoklis",
        "Funkcionēšanas ierobežojumi",
        "Funkcionālās spējas",
    ]));
    let ds = domains_to_state(ctx, &levels, 4, rng);
    functioning(&mut doc, ctx, &levels, &ds, rng);

    doc.heading(*rng.pick(&["Prognoze", "Prognoze"]));
    doc.para(prognosis_text(s.diag.prognosis, s.diag.reversibility, rng));

    doc.heading(*rng.pick(&["Slēdziens", "Rekomendācijas", "Slēdziens un rekomendācijas"]));
    doc.para(rng.pick(&[
        "Nosūtu uz VDEĀVK funkcionēšanas ierobežojumu izvērtēšanai.",
        "Lūdzu izvērtēt invaliditātes esamību.",
        "Ņemot vērā ilgstošu ārstēšanos un noturīgus funkcionēšanas ierobežojumus, nosūtu uz ekspertīzi.",
        "Turpināt ārstēšanu pēc speciālistu rekomendācijām. Nosūtīts uz VDEĀVK.",
    ]).to_string());
    let gp = ctx.gp.clone();
    let id = ctx.gp_id.clone();
    let role = if s.age < 18 {
        "ģimenes ārsts (pediatrs)"
    } else {
        "ģimenes ārsts"
    };
    signature(&mut doc, &gp, role, &id, rng);
    doc
}
