//! The expert's conclusion (`opinion_text`): which documents were weighed,
//! the decisive findings, and the decision in the commission's words.

use atzinums_models::{Cause, DecisionJson, DocumentKind, OpinionKind, Outcome};

use super::Doc;
use super::common::{outcome_lv, term_lv};
use crate::rng::Rng;
use crate::synth::diagnoses::name_of;
use crate::synth::expert::Judgement;
use crate::synth::lang::{date_dots, upper_first};
use crate::synth::phrases::{domain_lv, level_adverb};
use crate::synth::scenario::{DOMAINS, Scenario};

fn doc_lv(k: DocumentKind) -> &'static str {
    match k {
        DocumentKind::Referral088u => "nosūtījums 088/u",
        DocumentKind::DischargeSummary => "izraksts no slimības vēstures",
        DocumentKind::SpecialistOpinion => "speciālista konsultācija",
        DocumentKind::SelfAssessment => "pašnovērtējuma anketa",
        DocumentKind::FunctioningAssessment => "sociālā dienesta novērtējums",
        DocumentKind::RehabilitationPlan => "individuālais rehabilitācijas plāns",
        DocumentKind::SickLeaveB => "darbnespējas lapa B",
        DocumentKind::SocialCareAssessment => "sociālās aprūpes novērtējums",
        DocumentKind::LabResult => "laboratorisko izmeklējumu rezultāti",
        DocumentKind::Imaging => "radioloģiskā izmeklējuma apraksts",
        DocumentKind::Other => "iesniegums",
    }
}

fn cause_lv(c: Cause) -> &'static str {
    match c {
        Cause::GeneralIllness => "vispārēja saslimšana",
        Cause::OccupationalDisease => "arodslimība",
        Cause::WorkplaceAccident => "nelaimes gadījums darbā",
        Cause::Childhood => "slimība kopš bērnības",
        Cause::Other => "cits cēlonis",
    }
}

/// Limitations worth naming: the two or three heaviest judged domains.
fn limitations(judged: &[u8; 6]) -> String {
    let mut ds: Vec<(usize, u8)> = judged
        .iter()
        .copied()
        .enumerate()
        .filter(|(_, q)| *q > 0)
        .collect();
    ds.sort_by_key(|(i, q)| (std::cmp::Reverse(*q), *i));
    ds.truncate(3);
    if ds.is_empty() {
        return "būtiski funkcionēšanas ierobežojumi netiek konstatēti".to_owned();
    }
    let parts: Vec<String> = ds
        .iter()
        .map(|(i, q)| format!("{} {} jomā", level_adverb(*q), domain_lv(DOMAINS[*i])))
        .collect();
    format!("funkcionēšanas ierobežojumi: {}", parts.join(", "))
}

/// The conclusion for the new decision.
pub fn opinion_text(
    s: &Scenario,
    j: &Judgement,
    docs: &[Doc],
    prev: Option<&DecisionJson>,
    rng: &mut Rng,
) -> String {
    let mut out = Vec::new();
    let cited: Vec<String> = docs
        .iter()
        .filter(|d| d.kind != DocumentKind::Other)
        .map(|d| format!("{} ({})", doc_lv(d.kind), date_dots(d.issued)))
        .collect();
    if !cited.is_empty() {
        out.push(format!(
            "{} {}.",
            rng.pick(&[
                "Izvērtēti iesniegtie medicīniskie dokumenti:",
                "Ekspertīze veikta dokumentāri, pamatojoties uz:",
                "Izvērtējot iesniegtos dokumentus -",
            ]),
            cited.join(", ")
        ));
    }
    let name = name_of(s.diag.code).unwrap_or("");
    out.push(format!("Pamatdiagnoze: {} {}.", s.diag.code, name));
    let mut seen = Vec::new();
    let measures: Vec<String> = docs
        .iter()
        .flat_map(|d| d.measurements.iter())
        .filter(|m| {
            let new = !seen.contains(&m.name);
            seen.push(m.name);
            new
        })
        .take(3)
        .map(|m| m.text.clone())
        .collect();
    if !measures.is_empty() {
        out.push(format!("Objektīvie dati: {}.", measures.join("; ")));
    }
    out.push(format!("{}.", upper_first(&limitations(&j.judged))));
    if s.contradiction.is_some() {
        out.push("Dokumentos ir pretrunīgas ziņas par funkcionēšanas ierobežojumu smagumu; izvērtējumā ņemts vērā objektīvo izmeklējumu rezultāts.".to_owned());
    }
    if let Some(p) = prev {
        out.push(format!(
            "Iepriekš ({}) noteikta {}.",
            date_dots(p.decided_at),
            outcome_lv(p.outcome)
        ));
    }
    let decision = match j.outcome {
        Outcome::GroupI | Outcome::GroupII | Outcome::GroupIII => {
            let roman = match j.outcome {
                Outcome::GroupI => "I",
                Outcome::GroupII => "II",
                _ => "III",
            };
            let pct = j
                .pct
                .map(|p| format!(", darbspēju zaudējums {p}%"))
                .unwrap_or_else(|| ", darbspēju zaudējums netiek noteikts (persona sasniegusi valsts pensijas vecumu)".to_owned());
            format!("Noteikta {roman} invaliditātes grupa {}{pct}.", term_lv(j.term))
        }
        Outcome::ChildDisability => format!("Noteikta invaliditāte bērnam {}.", term_lv(j.term)),
        Outcome::PredictedDisability => format!(
            "Noteikta prognozējama invaliditāte {}{}.",
            term_lv(j.term),
            j.pct.map(|p| format!(", prognozējamais darbspēju zaudējums {p}%")).unwrap_or_default()
        ),
        Outcome::None => "Funkcionēšanas ierobežojumi nav tik izteikti, lai noteiktu invaliditāti. Invaliditāte netiek noteikta.".to_owned(),
        Outcome::Premature => "Nav izpildīts nosacījums par vismaz 6 mēnešu nepārtrauktu ārstēšanos; ekspertīze atlikta, iesakot turpināt ārstēšanu un vērsties atkārtoti.".to_owned(),
        Outcome::Incomplete => "Nav iesniegta funkcionālo spēju pašnovērtējuma anketa; lēmumu pieņemt nav iespējams, pieprasīti trūkstošie dokumenti.".to_owned(),
    };
    out.push(decision);
    if s.kind == atzinums_models::ApplicationKind::Contest {
        out.push(if prev.is_some_and(|p| p.outcome == j.outcome) {
            "Apstrīdētais lēmums atstāts negrozīts.".to_owned()
        } else {
            "Apstrīdētais lēmums atcelts un pieņemts jauns lēmums.".to_owned()
        });
    }
    if let Some(c) = j.cause {
        out.push(format!("Invaliditātes cēlonis: {}.", cause_lv(c)));
    }
    for (k, granted) in &j.opinions {
        let what = match k {
            OpinionKind::SpecialCare => "īpašas kopšanas nepieciešamību",
            OpinionKind::Transport => "transporta izdevumu kompensāciju",
            OpinionKind::Escort => "pavadoņa nepieciešamību",
            OpinionKind::TechnicalAids => "tehniskajiem palīglīdzekļiem",
        };
        out.push(format!(
            "Atzinums par {what}: {}.",
            if *granted { "ir pamats" } else { "nav pamata" }
        ));
    }
    out.join(" ")
}

/// A short conclusion for an earlier decision (embedded in case.json).
pub fn previous_text(s: &Scenario, j: &Judgement) -> String {
    let name = name_of(s.diag.code).unwrap_or("");
    format!(
        "Pamatdiagnoze: {} {}. {}. Lēmums: {} {}.",
        s.diag.code,
        name,
        upper_first(&limitations(&j.judged)),
        outcome_lv(j.outcome),
        term_lv(j.term)
    )
    .replace(" .", ".")
}
