//! `atzinums synth`: a synthetic case archive in the `atzinums-dataset/1`
//! format, with a ground-truth sidecar per case. See `eval/SYNTH.md` for
//! the model behind it.
//!
//! Every case draws from its own random stream seeded by (seed, index), so
//! the output is byte-identical for a seed whatever the number of threads.

pub mod clinical;
pub mod diagnoses;
pub mod documents;
pub mod expert;
pub mod lang;
pub mod measures;
pub mod noise;
pub mod people;
pub mod phrases;
pub mod scenario;
pub mod summary;
pub mod truth;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use atzinums_models::{
    CaseJson, DatasetPerson, DecisionJson, DocumentEntry, Manifest, MediaType, PersonCode,
    PersonRef, PreviousDecision, Representative,
};
use chrono::{DateTime, Datelike};
use serde_json::{Map, Value};
use thiserror::Error;

use crate::dataset::{DatasetError, DatasetWriter, TRUTH_FILE, write_case};
use crate::render::layout::logical_lines;
use crate::render::pdf::{PdfError, PdfFont};
use crate::rng::Rng;
use documents::{Ctx, Doc};
use scenario::{DOMAINS, Scenario};
pub use summary::SynthSummary;

/// Options of `atzinums synth`.
#[derive(Debug, Clone, PartialEq)]
pub struct SynthOptions {
    pub cases: usize,
    pub seed: u64,
    /// Share of documents written as PDF (0..=1).
    pub pdf_share: f64,
    /// Share of documents written as DOCX (0..=1); the rest is plain text.
    pub docx_share: f64,
    /// Worker threads (output does not depend on it).
    pub threads: usize,
    /// Write valid synthetic personal codes and birth dates instead of
    /// pseudonyms and birth years (default: de-identified).
    pub identified: bool,
    /// The TrueType font for PDFs; default `ATZINUMS_FONT` or DejaVu Sans.
    pub font: Option<PathBuf>,
    /// The number in the first case's id (`C-YYYY-NNNNNN`): sets drawn with other seeds can
    /// be numbered apart, so a test set never shares an id with its archive.
    pub first_case: usize,
}

impl Default for SynthOptions {
    fn default() -> Self {
        SynthOptions {
            cases: 200,
            seed: 1,
            pdf_share: 0.2,
            docx_share: 0.05,
            threads: 2,
            identified: false,
            font: None,
            first_case: 1,
        }
    }
}

#[derive(Debug, Error)]
pub enum SynthError {
    #[error("invalid option: {0}")]
    Options(String),
    #[error(transparent)]
    Dataset(#[from] DatasetError),
    #[error(transparent)]
    Pdf(#[from] PdfError),
    #[error("case {case}: {message}")]
    Case { case: String, message: String },
    #[error("a generator thread panicked")]
    Thread,
}

/// Independent random streams of one case.
const CONTENT: u64 = 0;
const FORMATS: u64 = 1;
const LAYOUT: u64 = 2;
const IDS: u64 = 3;

/// Generates `options.cases` cases into `out_dir` (new or empty), writes
/// `manifest.json` last and returns the distribution summary.
pub fn generate(options: &SynthOptions, out_dir: &Path) -> Result<SynthSummary, SynthError> {
    let share_ok = |x: f64| (0.0..=1.0).contains(&x);
    if !share_ok(options.pdf_share)
        || !share_ok(options.docx_share)
        || options.pdf_share + options.docx_share > 1.0 + 1e-9
    {
        return Err(SynthError::Options(
            "--pdf-share and --docx-share must be within 0..1 and add up to at most 1".to_owned(),
        ));
    }
    if options.first_case == 0 || options.first_case + options.cases > 1_000_000 {
        return Err(SynthError::Options(
            "case numbers run from --first-case (at least 1) and have six digits: \
             --first-case plus --cases must stay within 1000000"
                .to_owned(),
        ));
    }
    let font = if options.pdf_share > 0.0 {
        Some(PdfFont::load(options.font.as_deref())?)
    } else {
        None
    };
    let writer = DatasetWriter::create(out_dir)?;
    let threads = options.threads.clamp(1, 64);
    let dir = writer.dir().to_owned();
    let results: Vec<Result<SynthSummary, SynthError>> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                let font = font.clone();
                let dir = dir.clone();
                scope.spawn(move || -> Result<SynthSummary, SynthError> {
                    let mut summary = SynthSummary::default();
                    let mut i = t;
                    while i < options.cases {
                        let out = make_case(i, options, font.as_ref())?;
                        write_case(
                            &dir,
                            &out.case,
                            out.decision.as_ref(),
                            &out.files,
                            &out.sidecars,
                        )?;
                        summary.merge(&out.summary);
                        i += threads;
                    }
                    Ok(summary)
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or(Err(SynthError::Thread)))
            .collect()
    });
    let mut summary = SynthSummary::default();
    for r in results {
        summary.merge(&r?);
    }
    let mut manifest = Manifest::new(
        format!("Atzinums synthetic archive (seed {})", options.seed),
        DateTime::from_timestamp(1_767_225_600, 0).unwrap_or_default(),
        options.cases as u64,
        !options.identified,
    );
    let mut extra = Map::new();
    extra.insert("generator".into(), Value::from("atzinums synth"));
    extra.insert("synthetic".into(), Value::from(true));
    extra.insert("seed".into(), Value::from(options.seed));
    extra.insert("pdf_share".into(), Value::from(options.pdf_share));
    extra.insert("docx_share".into(), Value::from(options.docx_share));
    extra.insert("truth_sidecar".into(), Value::from(TRUTH_FILE));
    manifest.extra = extra;
    writer.finish(&manifest)?;
    Ok(summary)
}

/// One generated case, ready to write.
pub struct CaseOutput {
    pub case: CaseJson,
    pub decision: Option<DecisionJson>,
    pub files: Vec<(String, Vec<u8>)>,
    pub sidecars: Vec<(String, Vec<u8>)>,
    pub summary: SynthSummary,
}

fn case_error(s: &Scenario, message: impl ToString) -> SynthError {
    SynthError::Case {
        case: s.case_id.clone(),
        message: message.to_string(),
    }
}

/// Builds case number `index` (pure: same inputs, same bytes).
pub fn make_case(
    index: usize,
    options: &SynthOptions,
    font: Option<&Arc<PdfFont>>,
) -> Result<CaseOutput, SynthError> {
    let seed = options.seed;
    let mut rng = Rng::for_item(seed, index as u64, CONTENT);
    let mut fmt_rng = Rng::for_item(seed, index as u64, FORMATS);
    let mut layout_rng = Rng::for_item(seed, index as u64, LAYOUT);
    let mut id_rng = Rng::for_item(seed, index as u64, IDS);

    let s = scenario::draw(index, options.first_case + index, &mut rng);
    let person_ref = person_ref(&s, options.identified, &mut id_rng);
    let person_label = if options.identified {
        format!("personas kods {}", person_ref.as_str())
    } else {
        format!("{} (dzim. {}. g.)", person_ref.as_str(), s.birth.year())
    };

    // The decision is judged first (documents never state it), but the
    // previous decision must exist before the documents mention it.
    let social_placeholder = None;
    let mut j = expert::judge(&s, social_placeholder, &mut rng);
    let prev = expert::previous(&s, j.pre_contest, &mut rng).map(|(d, _)| d);
    let mut subject = lang::Subject::new(s.female(), s.child(), &mut rng);
    subject.condition = condition_of(s.diag);
    let gp_surname = people::doctor(&mut rng);
    let gp_practice = rng.choose(people::GP_PRACTICE).to_owned();
    let ctx = Ctx {
        s: &s,
        prev: prev.as_ref(),
        subject,
        person_label,
        gp_practice,
        gp: gp_surname,
        gp_id: people::doctor_id(&mut rng),
    };
    let (docs, social_score) = documents::build(&ctx, &mut rng);
    if social_score.is_some()
        && j.opinions
            .contains_key(&atzinums_models::OpinionKind::SpecialCare)
    {
        // Opinions depend on the social-care score: judge them again.
        let granted = special_care(&s, &j, social_score);
        j.opinions
            .insert(atzinums_models::OpinionKind::SpecialCare, granted);
    }

    // Render.
    let mut files = Vec::with_capacity(docs.len());
    let mut entries = Vec::with_capacity(docs.len());
    let mut doc_truths = Vec::with_capacity(docs.len());
    let mut summary = SynthSummary::default();
    for (n, doc) in docs.iter().enumerate() {
        let r = fmt_rng.f64();
        let media = if font.is_some() && r < options.pdf_share {
            MediaType::Pdf
        } else if r < options.pdf_share + options.docx_share && r >= options.pdf_share {
            MediaType::Docx
        } else {
            MediaType::PlainText
        };
        let ext = match media {
            MediaType::Pdf => "pdf",
            MediaType::Docx => "docx",
            _ => "txt",
        };
        let name = format!("{:02}-{}.{ext}", n + 1, doc.slug);
        let lines = logical_lines(doc, &mut layout_rng);
        let (bytes, pages) = match (media, font) {
            (MediaType::Pdf, Some(f)) => {
                let (b, p) = crate::render::pdf::render(&lines, f, doc.hyphenate)?;
                (b, p)
            }
            (MediaType::Docx, _) => {
                let (b, t) = crate::render::docx::render(&lines).map_err(|e| case_error(&s, e))?;
                (b, vec![t])
            }
            _ => {
                let width = layout_rng.range(68, 96) as usize;
                let t = crate::render::text::render(&lines, width, doc.hyphenate);
                (t.clone().into_bytes(), vec![t])
            }
        };
        summary.bytes += bytes.len() as u64;
        summary::bump(&mut summary.media_types, ext);
        doc_truths.push(doc_truth(doc, &name, media, pages));
        entries.push(DocumentEntry {
            file: name.parse().map_err(|e| case_error(&s, e))?,
            kind: doc.kind,
            issued_at: Some(doc.issued),
            media_type: media,
            extra: Map::new(),
        });
        files.push((name, bytes));
    }

    let decision = if s.kind.is_examination() {
        let text = documents::opinion_text::opinion_text(&s, &j, &docs, prev.as_ref(), &mut rng);
        Some(expert::to_json(&s, &j, s.decided, text))
    } else {
        None
    };

    let representative = match s.representative {
        Some(role) => {
            let name = if options.identified {
                people::full_name(&mut id_rng)
            } else {
                format!("R-{:08x}", id_rng.next_u64() as u32)
            };
            Some(Representative::new(role, &name).map_err(|e| case_error(&s, e))?)
        }
        None => None,
    };
    let case = CaseJson {
        case_id: s.case_id.parse().map_err(|e| case_error(&s, e))?,
        kind: s.kind,
        submitted_at: s.submitted,
        channel: s.channel,
        person: DatasetPerson {
            person_code: person_ref,
            birth_date: options.identified.then_some(s.birth),
            birth_year: (!options.identified).then_some(s.birth.year()),
            sex: s.sex,
            region: s.region.to_owned(),
            extra: Map::new(),
        },
        representative,
        previous_decision: prev
            .clone()
            .map(|d| PreviousDecision::Decision(Box::new(d))),
        requested_opinions: s.requested.clone(),
        documents: entries,
        extra: Map::new(),
    };

    // Ground truth.
    let contradiction = s.contradiction.map(|(d, q)| truth::Contradiction {
        domain: d,
        true_level: s.level(d),
        contradicting_level: q,
        files: doc_truths
            .iter()
            .filter(|t| t.contradicting)
            .map(|t| t.file.clone())
            .collect(),
    });
    let truth = truth::CaseTruth {
        format: truth::TRUTH_FORMAT,
        case_id: s.case_id.clone(),
        latent: truth::Latent {
            main_icd10: s.diag.code.to_owned(),
            secondary_icd10: s.secondary.iter().map(|c| (*c).to_owned()).collect(),
            functioning: DOMAINS.iter().map(|d| (*d, s.level(*d))).collect(),
            treatment_start: s.treatment_start,
            prognosis: match s.diag.prognosis {
                diagnoses::Prognosis::Favourable => "favourable",
                diagnoses::Prognosis::Uncertain => "uncertain",
                diagnoses::Prognosis::Poor => "poor",
            },
            reversibility: match s.diag.reversibility {
                diagnoses::Reversibility::Reversible => "reversible",
                diagnoses::Reversibility::Partial => "partial",
                diagnoses::Reversibility::Irreversible => "irreversible",
            },
            age_at_decision: s.age,
            accident_at_work: s.at_work,
            social_care_score: social_score,
        },
        decision_model: decision.as_ref().map(|d| truth::DecisionModel {
            model_outcome: j.model_outcome,
            one_step_off: j.one_step_off,
            expert: d.expert.clone(),
        }),
        documents_contradict: contradiction.as_ref().is_some_and(|c| !c.files.is_empty()),
        contradiction,
        documents: doc_truths,
    };
    let mut truth_bytes = serde_json::to_vec_pretty(&truth).map_err(|e| case_error(&s, e))?;
    truth_bytes.push(b'\n');

    // Summary.
    summary.cases = 1;
    summary.documents = docs.len();
    summary::bump(&mut summary.kinds, s.kind.as_str());
    summary::bump(
        &mut summary.outcomes,
        decision
            .as_ref()
            .map(|d| d.outcome.as_str())
            .unwrap_or("(no decision)"),
    );
    summary::bump(&mut summary.age_bands, age_band(s.age));
    summary::bump(&mut summary.sexes, s.sex.as_str());
    summary::bump(&mut summary.regions, s.region);
    summary::bump(&mut summary.channels, s.channel.as_str());
    let chapter = s
        .diag
        .code
        .parse::<atzinums_models::Icd10>()
        .map(|c| {
            format!(
                "{:02} {} ({})",
                c.chapter().number(),
                c.chapter().roman(),
                &s.diag.code[..1]
            )
        })
        .unwrap_or_default();
    summary::bump(&mut summary.icd_chapters, chapter);
    summary::bump(&mut summary.docs_per_case, format!("{:>2}", docs.len()));
    let mut kinds_seen: Vec<&str> = docs.iter().map(|d| d.kind.as_str()).collect();
    kinds_seen.sort_unstable();
    kinds_seen.dedup();
    for k in kinds_seen {
        summary::bump(&mut summary.doc_kinds, k);
    }
    // media_types counted per document above; keep per-document counts.
    for k in &s.requested {
        summary::bump(&mut summary.requested_opinions, k.as_str());
    }
    if let Some(d) = &decision {
        summary.with_decision = 1;
        summary.complex = usize::from(d.complex);
        summary.one_step_off = usize::from(j.one_step_off);
        let term = match d.term {
            Some(atzinums_models::Term::Months(m)) => format!("{} months", m.get()),
            Some(atzinums_models::Term::Lifelong) => "lifelong".to_owned(),
            Some(atzinums_models::Term::UntilEighteen) => "until_18".to_owned(),
            None => "(none)".to_owned(),
        };
        summary::bump(&mut summary.terms, term);
    }
    summary.contradictions = usize::from(truth.documents_contradict);

    Ok(CaseOutput {
        case,
        decision,
        files,
        sidecars: vec![(TRUTH_FILE.to_owned(), truth_bytes)],
        summary,
    })
}

fn special_care(s: &Scenario, j: &expert::Judgement, score: Option<u8>) -> bool {
    if s.age < 18 {
        return j
            .opinions
            .get(&atzinums_models::OpinionKind::SpecialCare)
            .copied()
            .unwrap_or(false);
    }
    let psychiatric = s.diag.code.starts_with('F');
    j.outcome == atzinums_models::Outcome::GroupI
        && ((psychiatric && j.judged[5] >= 3) || score.is_some_and(|x| x < 7))
}

/// The broad kind of condition, for phrasings that fit only some.
fn condition_of(d: &diagnoses::Diagnosis) -> lang::Condition {
    use diagnoses::Specialty as S;
    match d.specialty {
        _ if d.code.starts_with('J') => lang::Condition::Breath,
        _ if d.code.starts_with("H9") || d.code.starts_with("H8") => lang::Condition::Ear,
        S::Cardiology => lang::Condition::Breath,
        S::Pulmonology => lang::Condition::Breath,
        S::Neurology | S::Paediatrics => lang::Condition::Neuro,
        S::Ophthalmology => lang::Condition::Eye,
        S::Otology => lang::Condition::Ear,
        S::Psychiatry if d.code.starts_with("F2") => lang::Condition::Psych,
        _ => lang::Condition::Other,
    }
}

pub fn age_band(age: u32) -> &'static str {
    match age {
        0..=6 => "00-06",
        7..=12 => "07-12",
        13..=17 => "13-17",
        18..=29 => "18-29",
        30..=39 => "30-39",
        40..=49 => "40-49",
        50..=64 => "50-64",
        65..=74 => "65-74",
        _ => "75+",
    }
}

fn doc_truth(doc: &Doc, file: &str, media: MediaType, pages: Vec<String>) -> truth::DocTruth {
    truth::DocTruth {
        file: file.to_owned(),
        kind: doc.kind,
        media_type: media,
        issued_at: doc.issued,
        pages,
        icd10_main: doc.icd_main.clone(),
        icd10_secondary: doc.icd_secondary.clone(),
        functioning: doc.functioning.clone(),
        measurements: doc.measurements.clone(),
        treatment_start: doc.treatment_start,
        mentions_previous_decision: doc.mentions_previous,
        contradicting: doc.contradicting,
        noise: doc.noise,
        hyphenation: doc.hyphenate,
    }
}

/// A pseudonym `PK-<16 hex>` or, for identified sets, a valid personal code
/// (old format, birth date encoded) for the person's birth date.
fn person_ref(s: &Scenario, identified: bool, rng: &mut Rng) -> PersonRef {
    if identified {
        let century = match s.birth.year() {
            1800..=1899 => 0,
            1900..=1999 => 1,
            _ => 2,
        };
        for _ in 0..20 {
            let serial = rng.range(0, 999);
            for check in 0..10 {
                let code = format!(
                    "{:02}{:02}{:02}-{century}{serial:03}{check}",
                    s.birth.day(),
                    s.birth.month(),
                    s.birth.year() % 100
                );
                if let Ok(pc) = code.parse::<PersonCode>() {
                    return PersonRef::Code(pc);
                }
            }
        }
    }
    let body = format!("PK-{:016x}", rng.next_u64());
    body.parse().unwrap_or_else(|_| {
        // "PK-" followed by hex always parses; keep a fixed fallback anyway.
        "PK-0".parse().expect("static pseudonym")
    })
}
