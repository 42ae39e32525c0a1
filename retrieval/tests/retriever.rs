//! The retriever over a backend: indexing is idempotent and resumable, a case without text is
//! refused, a query never returns the case itself, and the score parts explain the match.

mod common;

use std::sync::Arc;

use atzinums_ingest::case_file::{DiagnosisEntry, assemble};
use atzinums_models::dataset::DecisionJson;
use atzinums_models::{ApplicationKind, Outcome, Sex};
use atzinums_retrieval::edge::{EdgeIndex, EdgeOptions};
use atzinums_retrieval::memory::MemoryIndex;
use atzinums_retrieval::{
    AgeBand, CaseDescription, Mode, PrecedentFilter, PrecedentIndex, PrecedentSource,
    RetrievalError, Retriever, SimilarOptions,
};
use chrono::NaiveDate;
use common::WordsEmbedder;

const DIM: usize = 32;

const TEXTS: [(&str, &str, &str); 4] = [
    (
        "G35",
        "Multiplā skleroze ar izteiktiem kustību traucējumiem, staigā ar spieķi",
        "group_II",
    ),
    (
        "F32.1",
        "Vidēji smaga depresīva epizode, miega traucējumi, nomākts garastāvoklis",
        "group_III",
    ),
    (
        "M54.5",
        "Muguras lejasdaļas sāpes, ierobežota kustību amplitūda jostas daļā",
        "none",
    ),
    (
        "I63.9",
        "Smadzeņu infarkts, labās puses hemiparēze, runas traucējumi",
        "group_I",
    ),
];

fn case(i: usize, text: &str, code: &str) -> CaseDescription {
    let submitted = NaiveDate::from_ymd_opt(2020, 5, 4).unwrap();
    let mut file = assemble(Vec::new(), submitted, None, None);
    file.main_diagnosis = Some(DiagnosisEntry {
        code: code.parse().unwrap(),
        phrase: text.split(',').next().unwrap().to_string(),
        who_title: None,
        evidence: Vec::new(),
    });
    CaseDescription {
        case_id: format!("C-2020-{i:06}"),
        kind: ApplicationKind::DisabilityFirst,
        age_band: AgeBand::A45,
        sex: Sex::F,
        region: "Rīga".into(),
        file,
        text: format!("{text}. Pacientes izmeklēšanas dati {i}."),
        source_hash: None,
    }
}

fn decision(code: &str, outcome: &str) -> DecisionJson {
    DecisionJson::from_value(serde_json::json!({
        "decided_at": "2020-06-17",
        "outcome": outcome,
        "work_capacity_loss_pct": null,
        "term": { "months": 24 },
        "cause": "general_illness",
        "primary_icd10": code,
        "icd10": [code],
        "functioning": { "mobility": 2 },
        "opinions": {},
        "complex": false,
        "opinion_text": "Personas kods 020571-12345. Atzinums: 12.06.2020 konstatēti traucējumi.",
        "expert": "E-001"
    }))
    .unwrap()
}

fn archive(n: usize) -> Vec<(CaseDescription, DecisionJson)> {
    (0..n)
        .map(|i| {
            let (code, text, outcome) = TEXTS[i % TEXTS.len()];
            (case(i, text, code), decision(code, outcome))
        })
        .collect()
}

fn retriever(index: Arc<dyn PrecedentIndex>) -> Retriever {
    Retriever::new(index, Arc::new(WordsEmbedder { dim: DIM })).unwrap()
}

#[test]
fn indexing_is_idempotent_resumable_and_detects_changes() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("index");
    let cases = archive(40);
    {
        let r = retriever(Arc::new(
            EdgeIndex::open(&path, EdgeOptions::new(DIM, "test-words")).unwrap(),
        ));
        // An interrupted first run: only the first half.
        let out = r
            .index_batch(&cases[..20], PrecedentSource::Dataset, false)
            .unwrap();
        assert_eq!((out.indexed, out.unchanged), (20, 0));
        r.index.flush().unwrap();
    }
    let r = retriever(Arc::new(
        EdgeIndex::open(&path, EdgeOptions::new(DIM, "test-words")).unwrap(),
    ));
    let out = r
        .index_batch(&cases, PrecedentSource::Dataset, false)
        .unwrap();
    assert_eq!((out.indexed, out.unchanged), (20, 20), "the rerun resumes");
    let out = r
        .index_batch(&cases, PrecedentSource::Dataset, false)
        .unwrap();
    assert_eq!(
        (out.indexed, out.unchanged),
        (0, 40),
        "a third run is a no-op"
    );
    assert_eq!(r.index.count(&PrecedentFilter::default()).unwrap(), 40);

    let mut changed = cases.clone();
    changed[3].1 = decision("G35", "group_I");
    let out = r
        .index_batch(&changed, PrecedentSource::Dataset, false)
        .unwrap();
    assert_eq!(
        (out.indexed, out.unchanged),
        (1, 39),
        "a changed decision is re-indexed"
    );
    assert_eq!(
        r.index.get(&cases[3].0.case_id).unwrap().unwrap().outcome,
        Outcome::GroupI
    );
    let out = r
        .index_batch(&changed, PrecedentSource::Dataset, true)
        .unwrap();
    assert_eq!(out.indexed, 40, "--force re-embeds everything");
}

#[test]
fn precedents_are_de_identified() {
    let r = retriever(Arc::new(MemoryIndex::new(DIM)));
    let cases = archive(4);
    r.index_batch(&cases, PrecedentSource::Dataset, false)
        .unwrap();
    let p = r.index.get(&cases[0].0.case_id).unwrap().unwrap();
    let json = serde_json::to_string(&p).unwrap();
    assert!(!json.contains("020571"), "{json}");
    assert!(!json.contains("12.06.2020"), "{json}");
    assert_eq!(p.decided_at, "2020-06");
    assert_eq!(p.age_band, AgeBand::A45);
    assert_eq!(p.icd10_chapters, vec!["VI".to_string()]);
}

#[test]
fn a_case_without_text_is_refused() {
    let r = retriever(Arc::new(MemoryIndex::new(DIM)));
    let mut cases = archive(3);
    cases[1].0.text = "  \n ".into();
    let err = r
        .index_batch(&cases, PrecedentSource::Dataset, false)
        .unwrap_err();
    assert!(
        matches!(&err, RetrievalError::NoText { case_id } if case_id == &cases[1].0.case_id),
        "{err}"
    );
    assert!(err.to_string().contains("no readable text"));
    assert_eq!(
        r.index.count(&PrecedentFilter::default()).unwrap(),
        0,
        "nothing half-written"
    );
    let err = r
        .similar(&cases[1].0, &SimilarOptions::default())
        .unwrap_err();
    assert!(matches!(err, RetrievalError::NoText { .. }));
}

#[test]
fn embedder_and_index_must_agree_on_dimension() {
    let err = Retriever::new(
        Arc::new(MemoryIndex::new(DIM + 1)),
        Arc::new(WordsEmbedder { dim: DIM }),
    )
    .err()
    .unwrap();
    assert!(matches!(err, RetrievalError::Dimension { .. }), "{err}");
}

#[test]
fn similar_cases_share_the_diagnosis_and_never_include_the_query() {
    let dir = tempfile::tempdir().unwrap();
    for index in [
        Arc::new(MemoryIndex::new(DIM)) as Arc<dyn PrecedentIndex>,
        Arc::new(EdgeIndex::open(&dir.path().join("i"), EdgeOptions::new(DIM, "t")).unwrap()),
    ] {
        let r = retriever(index);
        let cases = archive(40);
        r.index_batch(&cases, PrecedentSource::Dataset, false)
            .unwrap();
        let query = &cases[5].0; // 5 % 4 = 1: F32.1
        for mode in [Mode::Dense, Mode::Sparse, Mode::Hybrid] {
            let hits = r
                .similar(
                    query,
                    &SimilarOptions {
                        k: 5,
                        mode,
                        ..Default::default()
                    },
                )
                .unwrap();
            assert_eq!(hits.len(), 5);
            assert!(
                hits.iter().all(|h| h.case_id != query.case_id),
                "never the case itself"
            );
            assert!(
                hits.iter()
                    .all(|h| h.precedent.primary_icd10.as_deref() == Some("F32.1")),
                "{mode:?}: {:?}",
                hits.iter()
                    .map(|h| &h.precedent.primary_icd10)
                    .collect::<Vec<_>>()
            );
            match mode {
                Mode::Dense => {
                    assert!(hits.iter().all(|h| h.dense.is_some() && h.sparse.is_none()))
                }
                Mode::Sparse => {
                    assert!(hits.iter().all(|h| h.sparse.is_some() && h.dense.is_none()))
                }
                Mode::Hybrid => {
                    assert!(hits.iter().all(|h| h.dense.is_some() && h.sparse.is_some()))
                }
            }
        }
        // A filter that excludes the diagnosis' chapter leaves only other diagnoses.
        let hits = r
            .similar(
                query,
                &SimilarOptions {
                    k: 5,
                    filter: PrecedentFilter {
                        icd10_chapters: vec!["VI".into()],
                        ..Default::default()
                    },
                    ..Default::default()
                },
            )
            .unwrap();
        assert!(!hits.is_empty());
        assert!(
            hits.iter()
                .all(|h| h.precedent.icd10_chapters == vec!["VI".to_string()])
        );
    }
}
