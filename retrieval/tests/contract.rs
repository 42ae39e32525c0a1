//! The `PrecedentIndex` contract, run against every backend: the exact in-memory one, the
//! embedded qdrant-edge one, and — when `QDRANT_URL` is set and the `qdrant-server` feature is
//! on — a Qdrant server or cluster (`QDRANT_URL=… cargo test -p atzinums-retrieval
//! --features qdrant-server --test contract`).

mod common;

use std::sync::Arc;

use atzinums_retrieval::edge::{EdgeIndex, EdgeOptions};
use atzinums_retrieval::memory::MemoryIndex;
use atzinums_retrieval::sparse::TermCounts;
use atzinums_retrieval::{
    AgeBand, PrecedentFilter, PrecedentIndex, Query, RetrievalError, SparseVector,
};
use chrono::NaiveDate;
use common::*;

const DIM: usize = 16;
const N: usize = 240;

/// A fresh, empty index of one backend, and whatever must live as long as it.
type Make = dyn Fn(&str) -> (Arc<dyn PrecedentIndex>, Box<dyn std::any::Any>);

fn memory() -> Box<Make> {
    Box::new(|_: &str| {
        (
            Arc::new(MemoryIndex::new(DIM)) as Arc<dyn PrecedentIndex>,
            Box::new(()) as Box<dyn std::any::Any>,
        )
    })
}

fn edge() -> Box<Make> {
    Box::new(|_: &str| {
        let dir = tempfile::tempdir().unwrap();
        let index =
            EdgeIndex::open(&dir.path().join("index"), EdgeOptions::new(DIM, "test")).unwrap();
        (
            Arc::new(index) as Arc<dyn PrecedentIndex>,
            Box::new(dir) as Box<dyn std::any::Any>,
        )
    })
}

#[cfg(feature = "qdrant-server")]
fn server() -> Option<Box<Make>> {
    use atzinums_retrieval::server::{ServerConfig, ServerIndex};
    std::env::var("QDRANT_URL").ok().filter(|u| !u.is_empty())?;
    Some(Box::new(|name: &str| {
        let mut config = ServerConfig::from_env(DIM).unwrap();
        config.collection = format!("{}-contract-{name}", config.collection);
        let index = ServerIndex::connect(config, true).unwrap();
        (
            Arc::new(index) as Arc<dyn PrecedentIndex>,
            Box::new(()) as Box<dyn std::any::Any>,
        )
    }))
}

#[cfg(not(feature = "qdrant-server"))]
fn server() -> Option<Box<Make>> {
    None
}

/// Runs `check` on every backend available here.
fn each_backend(name: &str, check: impl Fn(&dyn PrecedentIndex)) {
    let mut backends = vec![memory(), edge()];
    match server() {
        Some(s) => backends.push(s),
        None => println!(
            "SKIPPED qdrant-server backend for {name}: set QDRANT_URL and build with --features qdrant-server"
        ),
    }
    for make in backends {
        let (index, guard) = make(name);
        check(index.as_ref());
        // The index closes (and flushes) before its folder is removed.
        drop(index);
        drop(guard);
    }
}

fn filled(index: &dyn PrecedentIndex) {
    index.upsert(batch(N, DIM, 7)).unwrap();
}

#[test]
fn upsert_count_get_and_replace() {
    each_backend("upsert", |index| {
        assert_eq!(index.count(&PrecedentFilter::default()).unwrap(), 0);
        filled(index);
        assert_eq!(
            index.count(&PrecedentFilter::default()).unwrap(),
            N,
            "{}",
            index.backend()
        );
        let got = index.get("C-000005").unwrap().expect("stored");
        assert_eq!(
            got,
            precedent(5),
            "{}: payload round-trips",
            index.backend()
        );
        assert!(index.get("C-999999").unwrap().is_none());

        // Same case id again: replaced, not duplicated.
        let mut again = batch(1, DIM, 99);
        again[0].precedent.conclusion = "pārskatīts".into();
        again[0].precedent.content_hash = "new".into();
        index.upsert(again).unwrap();
        assert_eq!(index.count(&PrecedentFilter::default()).unwrap(), N);
        assert_eq!(
            index.get("C-000000").unwrap().unwrap().conclusion,
            "pārskatīts"
        );
        let hashes = index
            .content_hashes(&["C-000000".into(), "C-000001".into(), "C-404".into()])
            .unwrap();
        assert_eq!(hashes.len(), 2);
        assert_eq!(hashes["C-000000"], "new");
        assert_eq!(hashes["C-000001"], "hash-1");
    });
}

#[test]
fn dense_search_finds_the_point_itself_first_best_first() {
    each_backend("dense", |index| {
        let points = batch(N, DIM, 7);
        filled(index);
        for probe in [0, 17, 123] {
            let hits = index
                .search_dense(&points[probe].dense, &PrecedentFilter::default(), 10, false)
                .unwrap();
            assert_eq!(hits.len(), 10);
            assert_eq!(
                hits[0].precedent.case_id,
                points[probe].precedent.case_id,
                "{}",
                index.backend()
            );
            assert!(
                (hits[0].score - 1.0).abs() < 1e-3,
                "cosine of a vector with itself: {}",
                hits[0].score
            );
            assert!(
                hits.windows(2).all(|w| w[0].score >= w[1].score),
                "best first"
            );
        }
    });
}

#[test]
fn filters_match_the_reference_semantics() {
    let filters = [
        PrecedentFilter {
            kinds: vec![KINDS[1]],
            ..Default::default()
        },
        PrecedentFilter {
            age_bands: vec![AgeBand::A45, AgeBand::Child],
            ..Default::default()
        },
        PrecedentFilter {
            icd10_chapters: vec!["VI".into()],
            ..Default::default()
        },
        PrecedentFilter {
            decided_from: NaiveDate::from_ymd_opt(2015, 3, 1),
            decided_to: NaiveDate::from_ymd_opt(2018, 6, 30),
            ..Default::default()
        },
        PrecedentFilter {
            kinds: vec![KINDS[0]],
            icd10_chapters: vec!["VI".into(), "V".into()],
            exclude_case_ids: vec!["C-000000".into(), "C-000006".into()],
            ..Default::default()
        },
    ];
    each_backend("filters", |index| {
        let points = batch(N, DIM, 7);
        filled(index);
        for f in &filters {
            let expected = points.iter().filter(|p| f.matches(&p.precedent)).count();
            assert!(
                expected > 0 && expected < N,
                "the filter must select something: {f:?}"
            );
            assert_eq!(
                index.count(f).unwrap(),
                expected,
                "{}: count {f:?}",
                index.backend()
            );
            let hits = index.search_dense(&points[3].dense, f, N, false).unwrap();
            assert_eq!(hits.len(), expected, "{}: dense {f:?}", index.backend());
            assert!(hits.iter().all(|h| f.matches(&h.precedent)));
            let mut q = TermCounts::default();
            q.add_text("kopīgs");
            let hits = index.search_sparse(&q.query_vector(), f, N).unwrap();
            assert_eq!(hits.len(), expected, "{}: sparse {f:?}", index.backend());
            assert!(hits.iter().all(|h| f.matches(&h.precedent)));
        }
    });
}

#[test]
fn sparse_search_weighs_rare_terms_higher() {
    each_backend("sparse", |index| {
        filled(index);
        // "unikāls42" is in one precedent, "diagnoze3" in a sixth of them, "kopīgs" in all.
        let mut q = TermCounts::default();
        q.add_text("unikāls42 kopīgs");
        let hits = index
            .search_sparse(&q.query_vector(), &PrecedentFilter::default(), 5)
            .unwrap();
        assert_eq!(hits[0].precedent.case_id, "C-000042", "{}", index.backend());
        assert!(
            hits[0].score > 2.0 * hits[1].score,
            "{}: rare term dominates: {} vs {}",
            index.backend(),
            hits[0].score,
            hits[1].score
        );

        let mut q = TermCounts::default();
        q.add_text("diagnoze3");
        let hits = index
            .search_sparse(&q.query_vector(), &PrecedentFilter::default(), N)
            .unwrap();
        assert_eq!(hits.len(), N / CODES.len(), "{}", index.backend());
        assert!(
            hits.iter()
                .all(|h| h.precedent.primary_icd10.as_deref() == Some(CODES[3]))
        );

        let mut q = TermCounts::default();
        q.add_text("neviena");
        assert!(
            index
                .search_sparse(&q.query_vector(), &PrecedentFilter::default(), 5)
                .unwrap()
                .is_empty()
        );
    });
}

#[test]
fn hybrid_fuses_and_reports_score_parts() {
    each_backend("hybrid", |index| {
        let points = batch(N, DIM, 7);
        filled(index);
        let mut q = TermCounts::default();
        q.add_text("unikāls77 kopīgs");
        let query = Query {
            dense: Some(points[77].dense.clone()),
            sparse: Some(q.query_vector()),
            k: 8,
            ..Default::default()
        };
        let hits = index.search(&query).unwrap();
        assert_eq!(hits.len(), 8);
        let top = &hits[0];
        assert_eq!(top.case_id, "C-000077", "{}", index.backend());
        assert_eq!((top.dense_rank, top.sparse_rank), (Some(1), Some(1)));
        assert!(top.dense.unwrap() > 0.99 && top.sparse.unwrap() > 0.0);
        let rrf = 2.0 / (atzinums_retrieval::index::RRF_K + 1.0);
        assert!(
            (top.score - rrf).abs() < 1e-6,
            "fused score {} vs {rrf}",
            top.score
        );
        assert!(hits.windows(2).all(|w| w[0].score >= w[1].score));

        // Diversity: at most one hit per main-diagnosis category.
        let capped = index
            .search(&Query {
                max_per_diagnosis: Some(1),
                ..query.clone()
            })
            .unwrap();
        let mut cats: Vec<_> = capped
            .iter()
            .map(|h| h.precedent.primary_category.clone())
            .collect();
        let n = cats.len();
        cats.sort();
        cats.dedup();
        assert_eq!(cats.len(), n, "{}: one per category", index.backend());
        assert_eq!(n, 5, "five categories among the codes");

        // Dense-only queries carry only the dense part.
        let dense_only = index
            .search(&Query {
                sparse: None,
                ..query
            })
            .unwrap();
        assert!(
            dense_only
                .iter()
                .all(|h| h.sparse.is_none() && h.dense.is_some())
        );
        assert_eq!(dense_only[0].score, dense_only[0].dense.unwrap());
    });
}

#[test]
fn delete_removes_from_everything() {
    each_backend("delete", |index| {
        let points = batch(N, DIM, 7);
        filled(index);
        index
            .delete(&["C-000010".into(), "C-000011".into()])
            .unwrap();
        assert_eq!(index.count(&PrecedentFilter::default()).unwrap(), N - 2);
        assert!(index.get("C-000010").unwrap().is_none());
        let hits = index
            .search_dense(&points[10].dense, &PrecedentFilter::default(), 5, false)
            .unwrap();
        assert!(hits.iter().all(|h| h.precedent.case_id != "C-000010"));
        assert!(
            index
                .content_hashes(&["C-000011".into()])
                .unwrap()
                .is_empty()
        );
    });
}

#[test]
fn bad_vectors_are_refused_and_nothing_is_written() {
    each_backend("bad", |index| {
        let mut wrong = batch(3, DIM, 1);
        wrong[2].dense.push(0.5);
        let err = index.upsert(wrong).unwrap_err();
        assert!(
            matches!(err, RetrievalError::Dimension { expected: DIM, got } if got == DIM + 1),
            "{}: {err}",
            index.backend()
        );
        let mut nan = batch(2, DIM, 1);
        nan[1].dense[0] = f32::NAN;
        assert!(matches!(
            index.upsert(nan).unwrap_err(),
            RetrievalError::NotFinite
        ));
        let mut dup = batch(1, DIM, 1);
        dup[0].sparse = SparseVector {
            indices: vec![5, 5],
            values: vec![1.0, 1.0],
        };
        assert!(matches!(
            index.upsert(dup).unwrap_err(),
            RetrievalError::Sparse(_)
        ));
        assert_eq!(
            index.count(&PrecedentFilter::default()).unwrap(),
            0,
            "{}",
            index.backend()
        );

        let err = index
            .search_dense(&[0.1; DIM - 1], &PrecedentFilter::default(), 3, false)
            .unwrap_err();
        assert!(err.to_string().contains("dimension"), "{err}");
    });
}
