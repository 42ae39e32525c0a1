//! What only the embedded backend has to show: it survives a restart, a damaged directory is a
//! clear error (never a panic), and approximate dense search keeps recall against brute force.

mod common;

use std::time::Instant;

use atzinums_retrieval::edge::{EdgeIndex, EdgeOptions};
use atzinums_retrieval::memory::MemoryIndex;
use atzinums_retrieval::{IndexedPrecedent, PrecedentFilter, PrecedentIndex, RetrievalError};
use common::*;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

const DIM: usize = 16;

#[test]
fn survives_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("index");
    let points = batch(500, DIM, 3);
    {
        let index = EdgeIndex::open(&path, EdgeOptions::new(DIM, "test")).unwrap();
        index.upsert(points.clone()).unwrap();
        index.delete(&["C-000004".into()]).unwrap();
        index.flush().unwrap();
    }
    let index = EdgeIndex::open(&path, EdgeOptions::new(DIM, "test")).unwrap();
    assert_eq!(index.count(&PrecedentFilter::default()).unwrap(), 499);
    assert!(index.get("C-000004").unwrap().is_none());
    assert_eq!(index.get("C-000007").unwrap().unwrap(), precedent(7));
    let hits = index
        .search_dense(&points[9].dense, &PrecedentFilter::default(), 3, false)
        .unwrap();
    assert_eq!(hits[0].precedent.case_id, "C-000009");

    // Optimised (HNSW built), reopened again: still all there.
    index.optimize().unwrap();
    drop(index);
    let index = EdgeIndex::open(&path, EdgeOptions::new(DIM, "test")).unwrap();
    assert_eq!(index.count(&PrecedentFilter::default()).unwrap(), 499);
}

fn expect_damaged(result: Result<EdgeIndex, RetrievalError>, what: &str) {
    match result {
        Err(e @ RetrievalError::Damaged { .. }) => {
            let message = e.to_string();
            assert!(
                message.contains("atzinums index --rebuild"),
                "{what}: {message}"
            );
        }
        Err(other) => panic!("{what}: expected a damaged-index error, got {other}"),
        Ok(_) => panic!("{what}: a damaged index was opened"),
    }
}

#[test]
fn damaged_directories_are_clear_errors() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("index");
    {
        let index = EdgeIndex::open(&path, EdgeOptions::new(DIM, "test")).unwrap();
        index.upsert(batch(300, DIM, 3)).unwrap();
        index.flush().unwrap();
    }
    let snapshot = dir.path().join("copy");
    copy_dir(&path, &snapshot);

    // Our metadata overwritten with garbage.
    std::fs::write(path.join("atzinums-index.json"), b"\x00\x01garbage").unwrap();
    expect_damaged(
        EdgeIndex::open(&path, EdgeOptions::new(DIM, "test")),
        "garbage metadata",
    );

    // The shard folder gone.
    std::fs::remove_dir_all(&path).unwrap();
    copy_dir(&snapshot, &path);
    std::fs::remove_dir_all(path.join("shard")).unwrap();
    expect_damaged(
        EdgeIndex::open(&path, EdgeOptions::new(DIM, "test")),
        "missing shard",
    );

    // Every file of the shard overwritten with garbage of the same length.
    std::fs::remove_dir_all(&path).unwrap();
    copy_dir(&snapshot, &path);
    let mut files = Vec::new();
    walk(&path.join("shard"), &mut files);
    assert!(files.len() > 3, "the shard has files: {files:?}");
    for f in &files {
        let len = std::fs::metadata(f).unwrap().len() as usize;
        std::fs::write(f, vec![0xA5u8; len.max(1)]).unwrap();
    }
    expect_damaged(
        EdgeIndex::open(&path, EdgeOptions::new(DIM, "test")),
        "garbage shard files",
    );

    // Another dimension or model: refused, with the rebuild command.
    std::fs::remove_dir_all(&path).unwrap();
    copy_dir(&snapshot, &path);
    let err = EdgeIndex::open(&path, EdgeOptions::new(DIM * 2, "test"))
        .err()
        .unwrap();
    assert!(matches!(err, RetrievalError::Incompatible { .. }), "{err}");
    assert!(err.to_string().contains("--rebuild"), "{err}");
    // The intact copy still opens.
    let index = EdgeIndex::open(&path, EdgeOptions::new(DIM, "test")).unwrap();
    assert_eq!(index.count(&PrecedentFilter::default()).unwrap(), 300);
}

fn walk(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            walk(&p, out);
        } else {
            out.push(p);
        }
    }
}

fn copy_dir(from: &std::path::Path, to: &std::path::Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let p = e.unwrap().path();
        let target = to.join(p.file_name().unwrap());
        if p.is_dir() {
            copy_dir(&p, &target);
        } else {
            std::fs::copy(&p, &target).unwrap();
        }
    }
}

/// Embedding-like data: points scattered around cluster centres, so neighbours are meaningful.
fn clustered(n: usize, dim: usize, seed: u64) -> (Vec<IndexedPrecedent>, Vec<Vec<f32>>) {
    let mut rng = StdRng::seed_from_u64(seed);
    let centres: Vec<Vec<f32>> = (0..200).map(|_| random_unit(&mut rng, dim)).collect();
    let mut points = batch(n, dim, seed);
    for p in &mut points {
        let c = &centres[rng.random_range(0..centres.len())];
        let noise = random_unit(&mut rng, dim);
        p.dense = unit(c.iter().zip(&noise).map(|(a, b)| a + 0.6 * b).collect());
    }
    let queries = (0..200)
        .map(|_| {
            let c = &centres[rng.random_range(0..centres.len())];
            let noise = random_unit(&mut rng, dim);
            unit(c.iter().zip(&noise).map(|(a, b)| a + 0.6 * b).collect())
        })
        .collect();
    (points, queries)
}

#[test]
fn approximate_dense_recall_at_10_against_brute_force() {
    const N: usize = 10_000;
    // The dimension of the e5 embeddings the index holds in service.
    const D: usize = 384;
    let (points, queries) = clustered(N, D, 11);
    let exact = MemoryIndex::new(D);
    exact.upsert(points.clone()).unwrap();

    let dir = tempfile::tempdir().unwrap();
    let mut options = EdgeOptions::new(D, "test");
    // Small threshold: the whole set gets an HNSW graph (the default would keep 10k × 64-d in
    // plain, exact segments and the test would measure nothing).
    options.indexing_threshold_kb = Some(100);
    let index = EdgeIndex::open(&dir.path().join("index"), options).unwrap();
    let t = Instant::now();
    for chunk in points.chunks(1000) {
        index.upsert(chunk.to_vec()).unwrap();
    }
    index.optimize().unwrap();
    let indexed = index.indexed_vectors().unwrap();
    eprintln!(
        "upsert + HNSW build of {N} × {D}-d: {:.1} s, {indexed} in the graph",
        t.elapsed().as_secs_f64()
    );
    // Each point counts once for its dense vector in the graph and once for its sparse vector.
    assert!(
        indexed >= N + N * 9 / 10,
        "the graph holds the dense vectors: {indexed}"
    );

    let filter = PrecedentFilter::default();
    let mut found = 0;
    for q in &queries {
        let truth: Vec<String> = exact
            .search_dense(q, &filter, 10, true)
            .unwrap()
            .into_iter()
            .map(|s| s.precedent.case_id)
            .collect();
        let approx = index.search_dense(q, &filter, 10, false).unwrap();
        found += approx
            .iter()
            .filter(|s| truth.contains(&s.precedent.case_id))
            .count();
    }
    let recall = found as f64 / (10 * queries.len()) as f64;
    eprintln!("recall@10 = {recall:.4} over {} queries", queries.len());
    assert!(recall >= 0.95, "recall@10 {recall:.4} < 0.95");
}
