//! A decision signed in the store becomes a precedent; an unsigned case does not.

mod common;

use std::sync::Arc;

use atzinums_models::dataset::DecisionJson;
use atzinums_models::{ApplicationKind, DocumentKind, MediaType, Role, Sex};
use atzinums_retrieval::memory::MemoryIndex;
use atzinums_retrieval::{
    AgeBand, CaseDescription, PrecedentIndex, PrecedentSource, RetrievalError, Retriever,
    add_signed_decision,
};
use atzinums_store::{
    Actor, BlobLocation, DEFAULT_MAX_DOCUMENT_BYTES, MasterKey, Store, StoreConfig, testing,
};

async fn store_with_a_case(dir: &std::path::Path) -> (Store, String) {
    let config = StoreConfig {
        database_url: format!("sqlite://{}", dir.join("t.db").display()),
        blobs: BlobLocation::Local {
            path: dir.join("blobs"),
        },
        max_document_bytes: DEFAULT_MAX_DOCUMENT_BYTES,
    };
    let store = Store::open(&config, &MasterKey::generate()).await.unwrap();
    let summary = (
        "izraksts.txt",
        DocumentKind::DischargeSummary,
        MediaType::PlainText,
        "Izraksts: multiplā skleroze, G35.".into(),
    );
    let case_id = store
        .submit(&testing::application(1, vec![summary]))
        .await
        .unwrap()
        .case_id;
    (store, case_id)
}

fn description(case_id: &str) -> CaseDescription {
    let submitted = chrono::NaiveDate::from_ymd_opt(2026, 11, 1).unwrap();
    CaseDescription {
        case_id: case_id.to_string(),
        kind: ApplicationKind::DisabilityFirst,
        age_band: AgeBand::A45,
        sex: Sex::F,
        region: "Rīga".into(),
        file: atzinums_ingest::case_file::assemble(Vec::new(), submitted, None, None),
        text: "Multiplā skleroze ar kustību traucējumiem; personas kods 010180-12345.".into(),
        source_hash: None,
    }
}

#[tokio::test]
async fn a_signed_decision_becomes_a_de_identified_precedent() {
    let dir = tempfile::tempdir().unwrap();
    let (store, case_id) = store_with_a_case(dir.path()).await;
    let index = Arc::new(MemoryIndex::new(32));
    let retriever =
        Retriever::new(index.clone(), Arc::new(common::WordsEmbedder { dim: 32 })).unwrap();
    let case = description(&case_id);

    // Not decided yet: refused, nothing stored.
    let early = add_signed_decision(&store, &retriever, &case).await;
    assert!(
        matches!(early, Err(RetrievalError::NotDecided { .. })),
        "{early:?}"
    );
    assert_eq!(index.count(&Default::default()).unwrap(), 0);

    testing::bring_to_signature(&store, &case_id).await.unwrap();
    let decision: DecisionJson = serde_json::from_str(
        r#"{"decided_at":"2026-11-20","outcome":"group_II","work_capacity_loss_pct":65,"term":{"months":24},
            "cause":"general_illness","primary_icd10":"G35","icd10":["G35"],
            "functioning":{"learning":1,"communication":0,"orientation":1,"mobility":3,"self_care":2,"behaviour":0},
            "opinions":{"special_care":false},"complex":false,
            "opinion_text":"Pacientei (p.k. 010180-12345) 20.11.2026. noteikta II grupa.","expert":"E-042"}"#,
    )
    .unwrap();
    store
        .sign_decision(
            &case_id,
            &decision,
            &Actor::person(Role::Official, "official-1"),
        )
        .await
        .unwrap();

    let precedent = add_signed_decision(&store, &retriever, &case)
        .await
        .unwrap();
    assert_eq!(precedent.source, PrecedentSource::Store);
    assert_eq!(precedent.primary_icd10.as_deref(), Some("G35"));
    assert_eq!(precedent.decided_at, "2026-11");
    assert!(
        !precedent.conclusion.contains("010180"),
        "{}",
        precedent.conclusion
    );
    assert!(
        !precedent.conclusion.contains("20.11.2026"),
        "{}",
        precedent.conclusion
    );
    assert_eq!(index.get(&case_id).unwrap(), Some(precedent));
}
