//! The verifier on a case assembled by the real findings rules: the template's draft passes,
//! and each kind of unsupported statement an edit could slip in is caught and named.

use atzinums_ingest::case_file::{DocumentInput, assemble};
use atzinums_ingest::{ExtractedDocument, Page, PageSource};
use atzinums_models::{ApplicationKind, DocumentKind, Outcome};
use atzinums_pipeline::calibration::Calibration;
use atzinums_pipeline::rules::rule_set_on;
use atzinums_pipeline::{CaseInput, Draft, assess, draft, verify};
use chrono::NaiveDate;

const REFERRAL: &str = "Nosūtījums uz VDEĀVK\nIzdošanas datums: 14.03.2024.\n\
Diagnoze: G35 Multiplā skleroze.\n\
Slimo kopš 02.05.2015.\n\
Objektīvi: EDSS 6,5 balles. Staigā ar spieķi, noiet līdz 100 m.\n\
Pārvietošanās ievērojami ierobežota, smagi traucējumi.\n";

const SELF: &str = "Funkcionālo spēju pašnovērtējuma anketa\nAizpildīts 20.03.2024.\n\
Pārvietoties man ir ļoti grūti.\n";

fn case() -> CaseInput {
    let doc = |id: &str, kind, text: &str| DocumentInput {
        id: id.into(),
        sha256: format!("{id}-hash"),
        kind,
        issued_at: None,
        extracted: Ok(ExtractedDocument {
            pages: vec![Page {
                number: 1,
                text: text.into(),
                source: PageSource::TextLayer,
                needs_human: false,
                original_offsets: Vec::new(),
            }],
            encoding: None,
        }),
    };
    let inputs = vec![
        doc("01-referral.txt", DocumentKind::Referral088u, REFERRAL),
        doc("02-self.txt", DocumentKind::SelfAssessment, SELF),
    ];
    let submitted = NaiveDate::from_ymd_opt(2024, 4, 2).unwrap();
    let pages = inputs
        .iter()
        .map(|d| {
            let doc = d.extracted.as_ref().unwrap();
            (
                d.id.clone(),
                doc.pages
                    .iter()
                    .map(|p| (p.number, p.text.clone()))
                    .collect(),
            )
        })
        .collect();
    let file = assemble(inputs, submitted, None, None);
    CaseInput {
        case_id: "C-2024-000001".into(),
        kind: ApplicationKind::DisabilityRepeat,
        submitted_at: submitted,
        birth_date: None,
        birth_year: 1970,
        requested_opinions: Vec::new(),
        previous_outcome: None,
        file,
        pages,
    }
}

fn drafted() -> (CaseInput, atzinums_pipeline::Assessment, Draft) {
    let case = case();
    let a = assess(&case, &[], &Calibration::uncalibrated(&Default::default()));
    let fields = draft::fields_of(&a);
    let d = draft::render(&case, &a, &fields).unwrap();
    (case, a, d)
}

fn problems(
    case: &CaseInput,
    a: &atzinums_pipeline::Assessment,
    d: &Draft,
) -> Vec<(String, String)> {
    verify::verify(case, d, &rule_set_on(case.submitted_at), &a.profile, a.age)
        .problems
        .into_iter()
        .map(|p| (p.kind, p.token))
        .collect()
}

#[test]
fn the_templates_draft_passes_and_cites_its_evidence() {
    let (case, a, d) = drafted();
    assert_eq!(a.outcome.value, Outcome::GroupIII, "{:#?}", a.profile);
    assert!(d.conclusion.contains("G35"), "{}", d.conclusion);
    assert!(
        d.conclusion.contains("[01-referral.txt, 1. lpp.]"),
        "{}",
        d.conclusion
    );
    assert!(
        d.decision.contains("III grupas invaliditāte"),
        "{}",
        d.decision
    );
    assert_eq!(
        problems(&case, &a, &d),
        Vec::<(String, String)>::new(),
        "{}",
        d.conclusion
    );
    // Rendering is deterministic.
    let again = draft::render(&case, &a, &d.fields).unwrap();
    assert_eq!(again, d);
}

#[test]
fn every_unsupported_statement_is_caught() {
    let (case, a, d) = drafted();
    let edited = |line: &str| {
        let mut e = d.clone();
        e.conclusion.push_str(line);
        e.conclusion.push('\n');
        problems(&case, &a, &e)
    };
    let one = |kind: &str, token: &str| vec![(kind.to_string(), token.to_string())];
    assert_eq!(
        edited("Blakusdiagnoze: G20 Parkinsona slimība."),
        one("code", "G20")
    );
    assert_eq!(edited("Apskate 15.03.2024."), one("date", "15.03.2024."));
    assert_eq!(
        edited("EDSS 7,5 balles [01-referral.txt, 1. lpp.]"),
        one("number", "7.5")
    );
    assert!(edited("EDSS 6,5 balles [01-referral.txt, 1. lpp.]").is_empty());
    assert_eq!(
        edited("Skat. [03-missing.txt, 1. lpp.]"),
        one("citation", "[03-missing.txt, 1. lpp.]")
    );
    assert_eq!(
        edited("Skat. [01-referral.txt, 4. lpp.]"),
        one("citation", "[01-referral.txt, 4. lpp.]")
    );
    assert_eq!(
        edited("„noiet līdz 500 m” [01-referral.txt, 1. lpp.]"),
        one("quote", "noiet līdz 500 m")
    );
    assert!(edited("„noiet līdz 100 m” [01-referral.txt, 1. lpp.]").is_empty());
    // A number the line does not cite a page for is not grounded, even if a page has it.
    assert_eq!(edited("Noiet līdz 100 m."), one("number", "100"));
}

#[test]
fn inconsistent_fields_are_caught() {
    let (case, a, d) = drafted();
    let mut e = d.clone();
    e.fields.work_capacity_loss_pct = Some(70);
    let found = problems(&case, &a, &e);
    assert!(
        found.contains(&("consistency".into(), "pct_band".into())),
        "{found:?}"
    );
    let mut e = d.clone();
    e.fields.term = None;
    let found = problems(&case, &a, &e);
    assert!(
        found.contains(&("consistency".into(), "term_missing".into())),
        "{found:?}"
    );
}
