//! Pieces several documents share: diagnosis lines, functioning paragraphs,
//! measurements, the previous decision, prognosis wording.

use atzinums_models::{DecisionJson, Domain, Outcome, Term};
use chrono::Datelike;

use super::super::diagnoses::{Prognosis, Reversibility, name_of};
use super::super::lang::{date_any, year_any};
use super::super::phrases::describe;
use super::super::scenario::{DOMAINS, idx, stated_level};
use super::{Ctx, Doc};
use crate::rng::Rng;

/// "G35 Multiplā skleroze" in one of the ways doctors write it.
pub fn dx(code: &str, rng: &mut Rng) -> String {
    let name = name_of(code).unwrap_or("");
    match rng.below(6) {
        0 => format!("{code} - {name}"),
        1 => format!("{name} ({code})"),
        2 => format!("{code} – {name}"),
        _ => format!("{code} {name}"),
    }
}

/// Writes the diagnosis part; records the stated codes.
pub fn diagnoses(doc: &mut Doc, ctx: &Ctx<'_>, with_secondary: bool, rng: &mut Rng) {
    let s = ctx.s;
    let main_label = *rng.pick(&[
        "Pamatdiagnoze",
        "Pamatslimība",
        "Dg.",
        "Diagnoze (SSK-10)",
        "Pamatdiagnoze (SSK-10)",
    ]);
    doc.field(main_label, dx(s.diag.code, rng));
    doc.icd_main = Some(s.diag.code.to_owned());
    if with_secondary && !s.secondary.is_empty() {
        let label = *rng.pick(&[
            "Blakusdiagnozes",
            "Blakusslimības",
            "Pavadošās slimības",
            "Komplikācijas/blakusdiagnozes",
        ]);
        let list: Vec<String> = s.secondary.iter().map(|c| dx(c, rng)).collect();
        doc.field(label, list.join("; "));
        doc.icd_secondary = s.secondary.iter().map(|c| (*c).to_owned()).collect();
    }
}

/// The levels this document states for all six domains.
pub fn doc_levels(ctx: &Ctx<'_>, contradicting: bool, rng: &mut Rng) -> [u8; 6] {
    let mut out = [0u8; 6];
    for d in DOMAINS {
        out[idx(d)] = stated_level(ctx.s, d, contradicting, rng);
    }
    out
}

/// Domains a document talks about: the affected ones (by the doc's levels
/// or the condition), and now and then an unaffected one, negated.
pub fn domains_to_state(ctx: &Ctx<'_>, levels: &[u8; 6], max: usize, rng: &mut Rng) -> Vec<Domain> {
    let mut affected: Vec<Domain> = DOMAINS
        .iter()
        .copied()
        .filter(|d| levels[idx(*d)] > 0 || ctx.s.diag.profile[idx(*d)] > 0)
        .collect();
    // The contradicting domain is always stated where the contradiction is.
    affected.sort_by_key(|d| std::cmp::Reverse(levels[idx(*d)]));
    affected.truncate(max);
    if let Some((d, _)) = ctx.s.contradiction
        && !affected.contains(&d)
    {
        affected.push(d);
    }
    let unaffected: Vec<Domain> = DOMAINS
        .iter()
        .copied()
        .filter(|d| !affected.contains(d))
        .collect();
    if !unaffected.is_empty() && rng.chance(0.6) {
        affected.push(*rng.pick(&unaffected));
    }
    if !unaffected.is_empty() && rng.chance(0.25) {
        let extra = *rng.pick(&unaffected);
        if !affected.contains(&extra) {
            affected.push(extra);
        }
    }
    DOMAINS
        .iter()
        .copied()
        .filter(|d| affected.contains(d))
        .collect()
}

/// One paragraph (or one per domain) describing functioning; records it.
pub fn functioning(
    doc: &mut Doc,
    ctx: &Ctx<'_>,
    levels: &[u8; 6],
    domains: &[Domain],
    rng: &mut Rng,
) {
    let sentences: Vec<String> = domains
        .iter()
        .map(|d| {
            doc.functioning.insert(*d, levels[idx(*d)]);
            describe(*d, levels[idx(*d)], &ctx.subject, rng)
        })
        .collect();
    if rng.chance(0.5) {
        doc.para(sentences.join(" "));
    } else {
        for (d, t) in domains.iter().zip(sentences) {
            let label = match d {
                Domain::Learning => "Mācīšanās",
                Domain::Communication => "Komunikācija",
                Domain::Orientation => "Orientēšanās",
                Domain::Mobility => "Pārvietošanās",
                Domain::SelfCare => "Pašaprūpe",
                Domain::Behaviour => "Uzvedība",
            };
            doc.para(format!("{label}: {t}"));
        }
    }
}

/// Measurements of the condition consistent with the document's levels.
pub fn measurements(
    doc: &mut Doc,
    ctx: &Ctx<'_>,
    levels: &[u8; 6],
    max: usize,
    rng: &mut Rng,
) -> Vec<String> {
    let mut out = Vec::new();
    for m in ctx.s.diag.measures.iter().take(max) {
        let level = levels[idx(m.domain())];
        let v = m.generate(level, rng);
        out.push(v.text.clone());
        doc.measurements.push(v);
    }
    out
}

pub fn outcome_lv(o: Outcome) -> &'static str {
    match o {
        Outcome::GroupI => "I grupas invaliditāte",
        Outcome::GroupII => "II grupas invaliditāte",
        Outcome::GroupIII => "III grupas invaliditāte",
        Outcome::ChildDisability => "invaliditāte (bērns ar invaliditāti)",
        Outcome::PredictedDisability => "prognozējama invaliditāte",
        Outcome::None => "invaliditāte netika noteikta",
        Outcome::Premature => "ekspertīze netika veikta (nepietiekams ārstēšanās ilgums)",
        Outcome::Incomplete => "ekspertīze netika pabeigta (nepilnīgi dokumenti)",
    }
}

pub fn term_lv(t: Option<Term>) -> String {
    match t {
        Some(Term::Lifelong) => "uz mūžu".to_owned(),
        Some(Term::UntilEighteen) => "līdz 18 gadu vecumam".to_owned(),
        Some(Term::Months(m)) => match m.get() {
            6 => "uz 6 mēnešiem".to_owned(),
            12 => "uz 1 gadu".to_owned(),
            24 => "uz 2 gadiem".to_owned(),
            60 => "uz 5 gadiem".to_owned(),
            n => format!("uz {n} mēnešiem"),
        },
        None => String::new(),
    }
}

/// A sentence about the previous decision, as a treating doctor writes it.
pub fn previous_sentence(prev: &DecisionJson, rng: &mut Rng) -> String {
    let y = year_any(prev.decided_at.year(), rng);
    let what = outcome_lv(prev.outcome);
    let term = term_lv(prev.term);
    let pct = prev
        .work_capacity_loss_pct
        .map(|p| format!(", darbspēju zaudējums {}%", p.value()))
        .unwrap_or_default();
    match rng.below(4) {
        0 => format!("{y} VDEĀVK noteikta {what} {term}{pct}."),
        1 => format!("Iepriekš ({y}) VDEĀVK: {what}{pct}, termiņš {term}."),
        2 => format!(
            "Atkārtota ekspertīze. Iepriekšējais VDEĀVK lēmums {}: {what} {term}.",
            date_any(prev.decided_at, rng)
        ),
        _ => format!("Invaliditāte kopš {y}: {what}{pct}."),
    }
    .replace("  ", " ")
    .replace(" .", ".")
    .replace(" ,", ",")
}

pub fn prognosis_text(p: Prognosis, r: Reversibility, rng: &mut Rng) -> String {
    let a = match p {
        Prognosis::Favourable => *rng.pick(&[
            "Prognoze relatīvi labvēlīga.",
            "Prognoze labvēlīga, ja tiek ievērots ārstēšanas plāns.",
            "Prognoze attiecībā uz funkciju atjaunošanos - labvēlīga.",
        ]),
        Prognosis::Uncertain => *rng.pick(&[
            "Prognoze apšaubāma.",
            "Prognoze nenoteikta.",
            "Prognoze atkarīga no terapijas efekta, šobrīd apšaubāma.",
        ]),
        Prognosis::Poor => *rng.pick(&[
            "Prognoze nelabvēlīga.",
            "Prognoze attiecībā uz izveseļošanos nelabvēlīga.",
            "Slimība progresējoša, prognoze nelabvēlīga.",
        ]),
    };
    let b = match r {
        Reversibility::Reversible => *rng.pick(&[
            "Funkcionēšanas ierobežojumi, visticamāk, atgriezeniski.",
            "Sagaidāma funkciju uzlabošanās rehabilitācijas rezultātā.",
        ]),
        Reversibility::Partial => *rng.pick(&[
            "Funkcionēšanas ierobežojumi daļēji atgriezeniski.",
            "Iespējama daļēja funkciju uzlabošanās.",
            "Pilnīga funkciju atjaunošanās nav sagaidāma.",
        ]),
        Reversibility::Irreversible => *rng.pick(&[
            "Funkcionēšanas ierobežojumi neatgriezeniski.",
            "Izmaiņas ir neatgriezeniskas.",
            "Funkciju atjaunošanās nav sagaidāma.",
        ]),
    };
    format!("{a} {b}")
}

/// "Dr. I. Kalniņa, ģimenes ārsts" with id, and a signature line.
pub fn signature(doc: &mut Doc, who: &str, role: &str, id: &str, rng: &mut Rng) {
    let date = date_any(doc.issued, rng);
    let role = if crate::synth::people::is_female_name(who) {
        crate::synth::people::feminine_role(role)
    } else {
        role.to_owned()
    };
    match rng.below(3) {
        0 => {
            doc.footer.push(format!("Ārsts: {who}, {role}"));
            doc.footer.push(format!("Ārsta ID: {id}"));
            doc.footer.push(format!("Datums: {date}"));
        }
        1 => {
            doc.footer.push(date.clone());
            doc.footer
                .push(format!("{role} {who} (id. Nr. {id})   ____________"));
        }
        _ => {
            doc.footer
                .push(format!("Datums: {date}    Paraksts: ____________"));
            doc.footer
                .push(format!("{who}, {role}, ārstniecības personas kods {id}"));
        }
    }
}

/// "Ārstējas kopš 12.05.2018." in one of several forms; records the date.
pub fn treatment_start_sentence(doc: &mut Doc, ctx: &Ctx<'_>, rng: &mut Rng) -> String {
    let d = ctx.s.treatment_start;
    doc.treatment_start = Some(d);
    let ds = date_any(d, rng);
    match rng.below(5) {
        0 => format!("Ārstēšana uzsākta {ds}"),
        1 => format!("Ārstējas kopš {ds}"),
        2 => format!("Ārstēšanās sākums: {ds}"),
        3 => format!("Diagnoze noteikta un ārstēšana sākta {ds}"),
        _ => format!("Nepārtraukti ārstējas no {ds}"),
    }
}

pub fn domain_in(levels: &[u8; 6], d: Domain) -> u8 {
    levels[idx(d)]
}

/// Ends a sentence with a full stop unless it already ends with one
/// (dates and abbreviations do: "14.03.2019.", "g.").
pub fn end_sentence(mut s: String) -> String {
    if !s.ends_with('.') {
        s.push('.');
    }
    s
}

/// Appends measurement phrases to a paragraph as one more sentence.
pub(super) fn append_measurements(text: &mut String, measurements: &[String], separator: &str) {
    if !measurements.is_empty() {
        text.push(' ');
        text.push_str(&crate::synth::lang::upper_first(
            &measurements.join(separator),
        ));
        text.push('.');
    }
}

/// The objective findings under one of `headings`, closed by up to two measurements that agree
/// with the document's levels.
pub(super) fn objective_paragraph(
    doc: &mut Doc,
    ctx: &Ctx<'_>,
    levels: &[u8; 6],
    headings: &[&str],
    rng: &mut Rng,
) {
    doc.heading(*rng.pick(headings));
    let m = measurements(doc, ctx, levels, 2, rng);
    let s = ctx.s;
    let mut text = ctx.subject.fill(super::super::clinical::objective(
        s.diag.specialty,
        s.diag.code,
        rng,
    ));
    append_measurements(&mut text, &m, ", ");
    doc.para(text);
}
