//! Letters from the person: a contest of a decision and a request for a
//! duplicate certificate.

use atzinums_models::DocumentKind;
use chrono::Duration;

use super::common::{outcome_lv, term_lv};
use super::{Ctx, Doc};
use crate::rng::Rng;
use crate::synth::lang::{date_any, date_long};

pub fn contest(ctx: &Ctx<'_>, rng: &mut Rng) -> Doc {
    let s = ctx.s;
    let issued = s.submitted - Duration::days(rng.range(0, 3));
    let mut doc = Doc::new(DocumentKind::Other, "contest-application", issued, rng);
    doc.header
        .push("Veselības un darbspēju ekspertīzes ārstu valsts komisijas vadītājai".to_owned());
    doc.title = "IESNIEGUMS par lēmuma apstrīdēšanu".to_owned();
    doc.field("Iesniedzējs", ctx.person_label.clone());
    if let Some(prev) = ctx.prev {
        doc.mentions_previous = true;
        let was = outcome_lv(prev.outcome);
        let term = term_lv(prev.term);
        doc.para(
            format!(
                "Apstrīdu VDEĀVK {} lēmumu, ar kuru man noteikta {was} {term}.",
                date_long(prev.decided_at)
            )
            .replace("  ", " ")
            .replace(" .", "."),
        );
    }
    doc.para(rng.pick(&[
        "Uzskatu, ka lēmums nav pamatots, jo mans veselības stāvoklis ir smagāks, nekā novērtēts. Ikdienā nespēju sevi aprūpēt bez palīdzības.",
        "Komisija nav ņēmusi vērā speciālista atzinumu un to, ka slimība progresē. Lūdzu pārvērtēt funkcionēšanas ierobežojumus.",
        "Nepiekrītu lēmumam, jo ārstējošais ārsts uzskata, ka ierobežojumi ir smagi. Pielikumā pievienoju jaunākos izmeklējumus.",
    ]).to_string());
    doc.para("Lūdzu atcelt lēmumu un pieņemt jaunu lēmumu.");
    doc.footer.push(format!(
        "{}    ____________ (paraksts)",
        date_any(issued, rng)
    ));
    doc
}

pub fn duplicate(ctx: &Ctx<'_>, rng: &mut Rng) -> Doc {
    let s = ctx.s;
    let mut doc = Doc::new(
        DocumentKind::Other,
        "duplicate-application",
        s.submitted,
        rng,
    );
    doc.header
        .push("Veselības un darbspēju ekspertīzes ārstu valsts komisijai".to_owned());
    doc.title = "IESNIEGUMS invaliditātes apliecības dublikāta saņemšanai".to_owned();
    doc.field("Iesniedzējs", ctx.person_label.clone());
    doc.para(format!(
        "Lūdzu izsniegt invaliditātes apliecības dublikātu, jo {}.",
        rng.pick(&[
            "apliecība ir nozaudēta",
            "apliecība ir bojāta",
            "ir mainījies mans uzvārds",
            "apliecība nozagta kopā ar maku",
        ])
    ));
    if let Some(prev) = ctx.prev {
        doc.mentions_previous = true;
        doc.para(format!(
            "Invaliditāte noteikta ar VDEĀVK {} lēmumu.",
            date_any(prev.decided_at, rng)
        ));
    }
    doc.footer.push(format!(
        "{}    ____________ (paraksts)",
        date_any(s.submitted, rng)
    ));
    doc
}
